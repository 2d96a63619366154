"""Rostering benchmark: the OneRoster feed of a large district, and the checker on it.

The district comes from `sislab sample --students N` (cached in bench/out, shared with the
import benchmark) and is imported once into a scratch workspace. Then, each in a fresh
process and alternating with its baseline, `--repeat` times for each receiver profile (generic:
every class; cli-engage: homerooms only): build the feed | a plain COPY of the same rows |
check it | a DuckDB read of the zip's CSVs | the check row by row (Python csv, the only path
before). Figures: medians, the ratios to the baselines, peak memory; the findings of both
check paths must be identical. Each step reports its wall and its own CPU seconds (all
threads, its work only): on a shared machine the CPU ratios hold while the wall ratios drift.

`--before DIR` (a copy of the code, e.g. main unpacked from `git archive`) also runs that
copy's build and check in the same rounds, each right after this tree's: before and after
side by side on the same data and load; the files built and the findings must be identical.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import bench

from .bench_import import sample_folder
from .common import in_child, report, scratch

DEFAULT_STUDENTS = 500_000
AS_OF = "2026-11-25"  # "today" of the synthetic district


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS, help=f"district size (default {DEFAULT_STUDENTS:,})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each step and its baseline (median)")
    parser.add_argument("--before", metavar="DIR", help="a copy of the code to compare (e.g. `git archive main` unpacked): "
                        "its build and check run in the same rounds")


def run(args: argparse.Namespace) -> None:
    """Per profile, `repeat` rounds of: build | (build before) | plain COPY of the same rows |
    check | (check before) | DuckDB read of the zip's CSVs | the row-by-row check; medians side
    by side, the files built and the findings of every check compared."""
    folder, _ = sample_folder(args.students, args.seed)
    before = str(Path(args.before).resolve()) if args.before else ""
    rows = []
    with scratch() as tmp:
        ws = str(Path(tmp) / "ws")
        imported = in_child("bench.bench_roster:import_district", str(folder), ws)
        for profile in ("generic", "cli-engage"):
            feed = str(Path(tmp) / f"{profile}.zip")
            runs: dict[str, list[dict]] = {}

            def step(key: str, target: str, *args) -> None:
                measured = in_child(f"bench.bench_roster:{target}", *args)
                runs.setdefault(key, []).append({**measured.result, "peak_rss_mib": measured.peak_rss_mib})

            for _ in range(args.repeat):
                step("build", "build", ws, feed, profile)
                if before:
                    step("build_before", "build", ws, feed + ".before", profile, before)
                step("copy", "plain_copy", feed, tmp)
                step("check", "check", feed, profile)
                if before:
                    step("check_before", "check", feed, profile, before)
                step("read", "duckdb_read", feed, tmp)
                step("rowwise", "check_rowwise", feed, profile)
            files = {r["files_sha256"] for k in ("build", "build_before") for r in runs.get(k, [])}
            findings = {r["findings_sha256"] for k in ("check", "check_before", "rowwise") for r in runs.get(k, [])}
            built, checked = runs["build"][-1], runs["check"][-1]
            n, mib = built["rows"], built["zip_mib"]

            def row(step: str, key: str, base: str | None, note: str = "") -> dict:
                return _row(step, runs[key], runs[base] if base else None, n, mib, note)

            rows += [row(f"build feed ({profile})", "build", "copy",
                         "target <= 2; files " + ("identical" if len(files) == 1 else "DIFFER")),
                     *([row("  before: build", "build_before", "copy")] if before else []),
                     row("  baseline: plain COPY of the same rows", "copy", None),
                     row(f"check feed ({profile})", "check", "read",
                         f"target <= 3; {checked['errors']} errors, {checked['warnings']} warnings; findings "
                         + ("identical" if len(findings) == 1 else "DIFFER")),
                     *([row("  before: check", "check_before", "read")] if before else []),
                     row("  baseline: DuckDB read of the zip's CSVs", "read", None),
                     row("  check row by row (Python csv)", "rowwise", "read")]
            print(f"{profile} feed findings by rule: {checked['findings_by_rule']}")
    report("roster", {"students": args.students, "seed": args.seed, "repeat": args.repeat, "before": before or None,
                      "import_seconds": round(imported.seconds, 1), "load_average": os.getloadavg()}, rows)


def _row(step: str, runs: list[dict], base: list[dict] | None, rows: int, zip_mib: float, note: str) -> dict:
    """Medians of a step's wall and CPU seconds; against its baseline, the ratio of the medians
    and the median of the rounds' own ratios ("pairs": step and baseline ran back to back)."""
    wall, cpu = [r["seconds"] for r in runs], [r["cpu_seconds"] for r in runs]
    ratios = ""
    if base:
        bwall, bcpu = [r["seconds"] for r in base], [r["cpu_seconds"] for r in base]
        ratios = (f"{statistics.median(wall) / statistics.median(bwall):.2f}x / "
                  f"{statistics.median(a / b for a, b in zip(wall, bwall)):.2f}x; CPU "
                  f"{statistics.median(cpu) / statistics.median(bcpu):.2f}x / "
                  f"{statistics.median(a / b for a, b in zip(cpu, bcpu)):.2f}x")
    return {"step": step, "rows": rows, "zip MiB": zip_mib, "seconds (median)": round(statistics.median(wall), 2),
            "CPU s (median)": round(statistics.median(cpu), 2), "x baseline: medians / pairs": ratios,
            "peak RSS MiB": round(max(r["peak_rss_mib"] for r in runs)), "note": note}


# --- the steps, each run in a child process by `in_child` ------------------------------
# Each step imports what it uses first and times only the work after it: `seconds` of wall
# clock and `cpu_seconds` of the process (all threads). Importing sislab.roster (pandas,
# pyarrow) takes ~0.7 s on a quiet machine, importing duckdb ~0.15 s. `code`: the folder
# whose sislab/ to import (a copy of other code, for --before); default this tree's.

class _Timer:
    """Wall and CPU seconds of a `with` block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def result(self, **more) -> dict:
        return {"seconds": self.wall, "cpu_seconds": self.cpu, **more}


def _use_code(code: str | None) -> None:
    if code:
        sys.path.insert(0, code)  # ahead of this tree (and of the editable install's finder)


def import_district(folder: str, root: str) -> dict:
    from sislab.core.importer import import_sis
    from sislab.core.workspace import Workspace

    import_sis(folder, Workspace.locate(root), user="bench")
    return {}


def build(root: str, target: str, profile: str, code: str | None = None) -> dict:
    import hashlib
    import zipfile

    _use_code(code)
    from sislab.core import store
    from sislab.core.workspace import Workspace
    from sislab.roster import FeedOptions, build_feed

    with _Timer() as timer, store.snapshot(Workspace.locate(root)) as con:
        built = build_feed(con, target, FeedOptions(as_of=date.fromisoformat(AS_OF), receiver=profile))
    counts = getattr(built, "rows", built)  # code before 2026-12-06's rosterfix returned the rows per file
    files = hashlib.sha256()
    with zipfile.ZipFile(target) as z:
        for name in sorted(z.namelist()):
            files.update(name.encode() + b"\0" + z.read(name))
    return timer.result(rows=sum(counts.values()), zip_mib=round(Path(target).stat().st_size / 2**20, 1),
                        files_sha256=files.hexdigest())


def plain_copy(feed: str, tmp: str) -> dict:
    """The build's baseline: the feed's rows, already in DuckDB tables, COPYed to CSV files
    (only the COPY is timed)."""
    import tempfile

    import duckdb

    from sislab.core.store import sql_literal

    con = duckdb.connect()
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        for name in _extract(feed, folder):
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true)", [f"{folder}/{name}.csv"])
        with _Timer() as timer:
            for name in _extract_names(feed):
                con.execute(f"COPY {name} TO {sql_literal(f'{folder}/copy_{name}.csv')} (HEADER)")
        return timer.result()


def duckdb_read(feed: str, tmp: str) -> dict:
    """The check's baseline: unzip the feed and read each CSV into a DuckDB table."""
    import tempfile

    import duckdb

    with _Timer() as timer, tempfile.TemporaryDirectory(dir=tmp) as folder:
        con = duckdb.connect()
        for name in _extract(feed, folder):
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true)", [f"{folder}/{name}.csv"])
    return timer.result()


def _extract_names(feed: str) -> list[str]:
    import zipfile

    with zipfile.ZipFile(feed) as z:
        return [n.removesuffix(".csv") for n in z.namelist() if n != "manifest.csv"]


def _extract(feed: str, folder: str) -> list[str]:
    import zipfile

    with zipfile.ZipFile(feed) as z:
        z.extractall(folder)
    return _extract_names(feed)


def check(feed: str, profile: str, code: str | None = None) -> dict:
    _use_code(code)
    from sislab.roster import check_feed

    with _Timer() as timer:
        report = check_feed(feed, receiver=profile)
    return _summary(report, timer)


def check_rowwise(feed: str, profile: str) -> dict:
    """The checker with its DuckDB reader switched off: every file row by row through Python's
    csv (the path malformed files take, and the only one before); its findings must be the same."""
    from sislab.roster import checker

    checker._read_csv = lambda *args: None
    with _Timer() as timer:
        report = checker.check_feed(feed, receiver=profile)
    return _summary(report, timer)


def _summary(report, timer: _Timer) -> dict:
    import hashlib

    by_rule = report.findings.groupby("rule").size().to_dict()
    return timer.result(rows=sum(report.rows.values()), errors=report.errors, warnings=report.warnings,
                        findings_by_rule={k: int(v) for k, v in by_rule.items()},
                        findings_sha256=hashlib.sha256(report.findings.to_csv(index=False).encode()).hexdigest())


bench.register(bench.Benchmark("roster", "OneRoster feed and its checker, each beside its DuckDB baseline",
                               add_arguments, run))
