"""IL SCA extract at Chicago size: wall time and peak memory of producing the state file
(build, pre-flight, write, record) against DuckDB's plain COPY of the same records.

The district is the sample generator's, at ~325 k students (≈2.3 M records for the newest
school year); it is generated and imported once into bench/out/ilsca-<students>/ and reused.
`ratio` = extract wall time / plain COPY wall time of the same rows (target <= 3), each timed
around the step alone: `ilsca.extract` (not the SHA-256 of its outputs taken afterwards, ~1 s
for 0.5 GB), the COPY statement (not the formatting of its input). The two are
measured alternately (extract, COPY, extract, COPY ...) so that load from other work on the
machine falls on both alike; medians are reported, with the load average before and after.

`--against DIR` also runs, in the same rounds (against, extract, COPY), the extract of the
sislab package in DIR, e.g. `git archive <commit> | tar -x -C DIR`: before and after side by
side, each run's state file and pre-flight CSV compared by SHA-256. CPU seconds (all threads,
the step alone) are reported beside the wall times: on a shared machine they move less.

`--illinois` runs on an Illinois-shaped copy of that snapshot (9-digit state ids, state term
codes on every term: bench/ilsca_illinois.sql), made once in bench/out/ilsca-<students>-il/:
the same records, without the ≈0.67 M findings that only the generator's California shape
causes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import time
from datetime import date
from pathlib import Path

import bench
from bench.common import OUT, in_child, making, report, scratch
from sislab import ilsca
from sislab.core import store
from sislab.ilsca import formats, preflight
from sislab.ilsca import report as ilsca_report

CHICAGO_STUDENTS = 325_000


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--students", type=int, default=CHICAGO_STUDENTS, help="district size (default %(default)s)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each step, alternating; medians are reported")
    p.add_argument("--against", type=Path, metavar="DIR",
                   help="also run the extract of the sislab in DIR (a source tree), alternating")
    p.add_argument("--illinois", action="store_true",
                   help="on an Illinois-shaped copy of the snapshot (bench/ilsca_illinois.sql)")


def run(args: argparse.Namespace) -> None:
    root = prepare(args.students)
    if args.illinois:
        root = illinois(root)
    load_before = os.getloadavg()
    extracts, copies, against = [], [], []
    with scratch() as tmp:
        for _ in range(args.repeat):
            if args.against:
                against.append(in_child("bench.bench_ilsca:extract_step", str(root), tmp, sislab=args.against.resolve()))
            extracts.append(in_child("bench.bench_ilsca:extract_step", str(root), tmp))
            copies.append(in_child("bench.bench_ilsca:copy_step", str(root), tmp))
    load_after = os.getloadavg()
    records = extracts[0].result["records"]
    seconds = statistics.median(m.result["extract_seconds"] for m in extracts)
    cpu = statistics.median(m.result["cpu_seconds"] for m in extracts)
    copy_seconds = statistics.median(m.result["copy_seconds"] for m in copies)
    copy_cpu = statistics.median(m.result["copy_cpu_seconds"] for m in copies)
    rows = []
    for label, runs in ((f"extract of {args.against}", against), ("extract (state format, with pre-flight)", extracts)):
        if runs:
            rows.append({"step": label, "records": runs[0].result["records"],
                         "seconds": statistics.median(m.result["extract_seconds"] for m in runs),
                         "cpu_seconds": statistics.median(m.result["cpu_seconds"] for m in runs),
                         "peak_rss_mib": statistics.median(m.peak_rss_mib for m in runs)})
    for part in ("build", "preflight", "write"):
        rows.append({"step": f"  of which {part}", "records": records,
                     "seconds": statistics.median(m.result[f"{part}_seconds"] for m in copies),
                     "cpu_seconds": statistics.median(m.result[f"{part}_cpu_seconds"] for m in copies), "peak_rss_mib": 0.0})
    rows.append({"step": "plain COPY of the same records", "records": copies[0].result["records"],
                 "seconds": copy_seconds, "cpu_seconds": copy_cpu,
                 "peak_rss_mib": statistics.median(m.peak_rss_mib for m in copies)})
    ratio = seconds / copy_seconds
    outputs = sorted({(m.result["state_sha256"], m.result["preflight_sha256"]) for m in against + extracts})
    extra = {"ratio": round(ratio, 2), "cpu_ratio": round(cpu / copy_cpu, 2), "target_ratio": 3.0,
             "findings": extracts[0].result["findings"], "findings_by_check": extracts[0].result["findings_by_check"],
             "extract_seconds": [round(m.result["extract_seconds"], 2) for m in extracts],
             "extract_cpu_seconds": [round(m.result["cpu_seconds"], 2) for m in extracts],
             "copy_seconds": [round(m.result["copy_seconds"], 2) for m in copies],
             "copy_cpu_seconds": [round(m.result["copy_cpu_seconds"], 2) for m in copies],
             "outputs_sha256": outputs, "load_before": load_before, "load_after": load_after}
    if against:
        extra |= {"against": str(args.against), "against_seconds": [round(m.result["extract_seconds"], 2) for m in against],
                  "against_cpu_seconds": [round(m.result["cpu_seconds"], 2) for m in against],
                  "against_ratio": round(statistics.median(m.result["extract_seconds"] for m in against) / copy_seconds, 2)}
    report("ilsca", {"students": args.students, "repeat": args.repeat, "illinois": args.illinois,
                     "against": str(args.against) if args.against else None}, rows, extra)
    print(f"ratio extract / plain COPY (medians): {ratio:.2f} (target <= 3), CPU {cpu / copy_cpu:.2f}; "
          f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    if against:
        print(f"against {args.against}: {extra['against_ratio']:.2f} x the plain COPY")
    print("state file and pre-flight CSV SHA-256: " + ("the same on every run: " if len(outputs) == 1 else "DIFFER: ")
          + "; ".join(f"{a[:8]}… / {b[:8]}…" for a, b in outputs))
    print("findings by check: " + ", ".join(f"{k} {v:,}" for k, v in extracts[0].result["findings_by_check"].items()))


def prepare(students: int) -> Path:
    """The imported district (generated on first use): bench/out/ilsca-<students>/workspace."""
    root = OUT / f"ilsca-{students}"
    if not (root / "workspace" / "CURRENT").exists():
        from sislab.core.importer import import_sis
        from sislab.sample import generate

        making(f"the imported district of {students:,} students", root)

        generate(root / "csv", students=students, seed=1)
        import_sis(root / "csv", _workspace(str(root), str(root / "reports")), user="bench")
    return root


def illinois(root: Path) -> Path:
    """A copy of the imported district shaped as Illinois data (bench/ilsca_illinois.sql);
    made once, beside it."""
    target = root.with_name(root.name + "-il")
    if not (target / "workspace" / "CURRENT").exists():
        in_child("bench.bench_ilsca:make_illinois", str(root), str(target))
    return target


def make_illinois(root: str, target: str) -> dict:
    import duckdb

    source, ws = _workspace(root, str(Path(root) / "reports")), _workspace(target, str(Path(target) / "reports"))
    built = ws.tmp / "illinois.duckdb"
    shutil.copyfile(source.current_snapshot(), built)
    con = duckdb.connect(str(built))
    for statement in Path(__file__).with_name("ilsca_illinois.sql").read_text().split(";"):
        if statement.strip():
            con.execute(statement)
    con.close()
    store.publish_snapshot(ws, built)
    return {}


def _workspace(root: str, out: str):
    from sislab.core.workspace import Workspace

    ws = Workspace(Path(root) / "workspace", Path(out))
    ws.ensure()
    return ws


def _choices(ws) -> dict:
    with store.snapshot(ws) as con:
        return ilsca.default_choices(con)


def extract_step(root: str, out: str) -> dict:
    """The whole extract as a user runs it, newest school year, every calendar."""
    ws = _workspace(root, out)
    choices = _choices(ws)
    wall, cpu = time.perf_counter(), time.process_time()
    result = ilsca.extract(ws, user="bench", run_date=date(2026, 11, 25), replace=True, **choices)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    by_check = result.findings.check.value_counts(sort=False)
    return {"records": result.records, "findings": len(result.findings), "extract_seconds": wall, "cpu_seconds": cpu,
            "findings_by_check": {k: int(v) for k, v in by_check.items()},
            "state_sha256": _sha256(result.path), "preflight_sha256": _sha256(result.preflight_path)}


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:  # in chunks: the 0.4 GB file is not held in memory
        return hashlib.file_digest(f, "sha256").hexdigest()


def copy_step(root: str, out: str) -> dict:
    """The extract's parts, then a plain COPY of the very same records (the baseline)."""
    ws = _workspace(root, out)
    req = ilsca.request(**_choices(ws))
    timings = {}

    def timed(name: str, step):
        t, cpu = time.perf_counter(), time.process_time()
        done = step()
        timings[f"{name}_seconds"], timings[f"{name}_cpu_seconds"] = time.perf_counter() - t, time.process_time() - cpu
        return done

    with store.snapshot(ws) as con:
        timed("build", lambda: ilsca_report.build(con, req))
        timed("preflight", lambda: (preflight.build(con, ilsca_report.sender(con)[1]),
                                    preflight.write_csv(con, Path(out) / "parts_preflight.csv"), preflight.built(con)))
        timed("write", lambda: formats.write(con, "state", Path(out) / "parts.txt", date(2026, 11, 25), None,
                                             ilsca_report.record_count(con)))
        # the baseline's input: the very same records, already formatted, cut and in file order
        con.execute(f"CREATE TEMP TABLE plain AS {ilsca_report.record_query()}")
        target = (Path(out) / "plain.csv").as_posix()
        records = timed("copy", lambda: con.execute(f"COPY plain TO '{target}' (FORMAT csv, HEADER false)").fetchone()[0])
    return {"records": int(records), **timings}


bench.register(bench.Benchmark("ilsca", "IL SCA extract vs plain COPY at Chicago size", add_arguments, run))
