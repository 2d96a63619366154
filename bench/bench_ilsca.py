"""IL SCA extract at Chicago size: wall time and peak memory of producing the state file
(build, pre-flight, write, record) against DuckDB's plain COPY of the same records.

The district is the sample generator's, at ~325 k students (≈2.3 M records for the newest
school year); it is generated and imported once into bench/out/ilsca-<students>/ and reused.
`ratio` = extract wall time / plain COPY wall time of the same rows (target <= 3). The two are
measured alternately (extract, COPY, extract, COPY ...) so that load from other work on the
machine falls on both alike; medians are reported, with the load average before and after.

`--illinois` runs on an Illinois-shaped copy of that snapshot (9-digit state ids, state term
codes on every term: bench/ilsca_illinois.sql), made once in bench/out/ilsca-<students>-il/:
the same records, without the ≈0.67 M findings that only the generator's California shape
causes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from datetime import date
from pathlib import Path

import bench
from bench.common import OUT, in_child, report, scratch
from sislab import ilsca
from sislab.core import store
from sislab.ilsca import formats, preflight
from sislab.ilsca import report as ilsca_report

CHICAGO_STUDENTS = 325_000


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--students", type=int, default=CHICAGO_STUDENTS, help="district size (default %(default)s)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each step, alternating; medians are reported")
    p.add_argument("--illinois", action="store_true",
                   help="on an Illinois-shaped copy of the snapshot (bench/ilsca_illinois.sql)")


def run(args: argparse.Namespace) -> None:
    root = prepare(args.students)
    if args.illinois:
        root = illinois(root)
    load_before = os.getloadavg()
    extracts, copies = [], []
    with scratch() as tmp:
        for _ in range(args.repeat):
            extracts.append(in_child("bench.bench_ilsca:extract_step", str(root), tmp))
            copies.append(in_child("bench.bench_ilsca:copy_step", str(root), tmp))
    load_after = os.getloadavg()
    records = extracts[0].result["records"]
    seconds = statistics.median(m.seconds for m in extracts)
    copy_seconds = statistics.median(m.result["copy_seconds"] for m in copies)
    rows = [{"step": "extract (state format, with pre-flight)", "records": records, "seconds": seconds,
             "peak_rss_mib": statistics.median(m.peak_rss_mib for m in extracts)}]
    for part in ("build", "preflight", "write"):
        rows.append({"step": f"  of which {part}", "records": records,
                     "seconds": statistics.median(m.result[f"{part}_seconds"] for m in copies), "peak_rss_mib": 0.0})
    rows.append({"step": "plain COPY of the same records", "records": copies[0].result["records"],
                 "seconds": copy_seconds, "peak_rss_mib": statistics.median(m.peak_rss_mib for m in copies)})
    ratio = seconds / copy_seconds
    report("ilsca", {"students": args.students, "repeat": args.repeat, "illinois": args.illinois}, rows,
           {"ratio": round(ratio, 2), "target_ratio": 3.0, "findings": extracts[0].result["findings"],
            "findings_by_check": extracts[0].result["findings_by_check"],
            "extract_seconds": [round(m.seconds, 2) for m in extracts],
            "copy_seconds": [round(m.result["copy_seconds"], 2) for m in copies],
            "load_before": load_before, "load_after": load_after})
    print(f"ratio extract / plain COPY (medians): {ratio:.2f} (target <= 3); "
          f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print("findings by check: " + ", ".join(f"{k} {v:,}" for k, v in extracts[0].result["findings_by_check"].items()))


def prepare(students: int) -> Path:
    """The imported district (generated on first use): bench/out/ilsca-<students>/workspace."""
    root = OUT / f"ilsca-{students}"
    if not (root / "workspace" / "CURRENT").exists():
        from sislab.core.importer import import_sis
        from sislab.sample import generate

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
    result = ilsca.extract(ws, user="bench", run_date=date(2026, 11, 25), replace=True, **_choices(ws))
    by_check = result.findings.check.value_counts(sort=False)
    return {"records": result.records, "findings": len(result.findings),
            "findings_by_check": {k: int(v) for k, v in by_check.items()}}


def copy_step(root: str, out: str) -> dict:
    """The extract's parts, then a plain COPY of the very same records (the baseline)."""
    ws = _workspace(root, out)
    req = ilsca.request(**_choices(ws))
    timings = {}
    with store.snapshot(ws) as con:
        t = time.perf_counter()
        ilsca_report.build(con, req)
        timings["build_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        preflight.build(con, ilsca_report.sender(con)[1])
        preflight.write_csv(con, Path(out) / "parts_preflight.csv")
        preflight.built(con)
        timings["preflight_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        formats.write(con, "state", Path(out) / "parts.txt", date(2026, 11, 25), None, ilsca_report.record_count(con))
        timings["write_seconds"] = time.perf_counter() - t
        # the baseline's input: the very same records, already formatted, cut and in file order
        con.execute(f"CREATE TEMP TABLE plain AS {ilsca_report.record_query()}")
        target = (Path(out) / "plain.csv").as_posix()
        t = time.perf_counter()
        records = con.execute(f"COPY plain TO '{target}' (FORMAT csv, HEADER false)").fetchone()[0]
        timings["copy_seconds"] = time.perf_counter() - t
    return {"records": int(records), **timings}


bench.register(bench.Benchmark("ilsca", "IL SCA extract vs plain COPY at Chicago size", add_arguments, run))
