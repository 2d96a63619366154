"""Rostering benchmark: the OneRoster feed of a large district, and the checker on it.

The district comes from `sislab sample --students N` (cached in bench/out, shared with the
import benchmark) and is imported once into a scratch workspace. Then, each in a fresh
process and alternating with its baseline, `--repeat` times for each receiver profile (generic:
every class; cli-engage: homerooms only): build the feed | a plain COPY of the same rows |
check it | a DuckDB read of the zip's CSVs | the check row by row (Python csv, the only path
before). Figures: medians, the ratios to the baselines, peak memory; the findings of both
check paths must be identical.
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def run(args: argparse.Namespace) -> None:
    """Per profile, `repeat` rounds of: build | plain COPY of the same rows | check | DuckDB
    read of the zip's CSVs | the row-by-row check; medians side by side, and the findings of
    every check compared (the two loading paths must agree)."""
    folder, _ = sample_folder(args.students, args.seed)
    rows = []
    with scratch() as tmp:
        ws = str(Path(tmp) / "ws")
        imported = in_child("bench.bench_roster:import_district", str(folder), ws)
        for profile in ("generic", "cli-engage"):
            feed = str(Path(tmp) / f"{profile}.zip")
            times: dict[str, list[float]] = {k: [] for k in ("build", "copy", "check", "read", "rowwise")}
            findings = set()
            for _ in range(args.repeat):
                built = in_child("bench.bench_roster:build", ws, feed, profile)
                times["build"].append(built.result["seconds"])
                times["copy"].append(in_child("bench.bench_roster:plain_copy", feed, tmp).result["seconds"])
                checked = in_child("bench.bench_roster:check", feed, profile)
                times["check"].append(checked.result["seconds"])
                times["read"].append(in_child("bench.bench_roster:duckdb_read", feed, tmp).result["seconds"])
                rowwise = in_child("bench.bench_roster:check_rowwise", feed, profile)
                times["rowwise"].append(rowwise.result["seconds"])
                findings |= {checked.result["findings_sha256"], rowwise.result["findings_sha256"]}
            med = {k: statistics.median(v) for k, v in times.items()}
            paired = {k: statistics.median(x / y for x, y in zip(times[k], times[base]))  # each pair ran back to back
                      for k, base in (("build", "copy"), ("check", "read"))}
            n, mib = built.result["rows"], built.result["zip_mib"]
            note = f"{checked.result['errors']} errors, {checked.result['warnings']} warnings"
            rows += [_row(f"build feed ({profile})", med["build"], n, mib, built.peak_rss_mib,
                          f"{med['build'] / med['copy']:.2f}x plain COPY (pairs: {paired['build']:.2f}x; target <= 2)"),
                     _row("  baseline: plain COPY of the same rows", med["copy"], n, mib, None, ""),
                     _row(f"check feed ({profile})", med["check"], n, mib, checked.peak_rss_mib,
                          f"{med['check'] / med['read']:.2f}x DuckDB read (pairs: {paired['check']:.2f}x; target <= 3); {note}"),
                     _row("  baseline: DuckDB read of the zip's CSVs", med["read"], n, mib, None, ""),
                     _row("  before: check row by row (Python csv)", med["rowwise"], n, mib, rowwise.peak_rss_mib,
                          "same findings" if len(findings) == 1 else "FINDINGS DIFFER")]
            print(f"{profile} feed findings by rule: {checked.result['findings_by_rule']}")
    report("roster", {"students": args.students, "seed": args.seed, "repeat": args.repeat,
                      "import_seconds": round(imported.seconds, 1), "load_average": os.getloadavg()}, rows)


def _row(step: str, seconds: float, rows: int, zip_mib: float, peak, note: str) -> dict:
    return {"step": step, "rows": rows, "zip MiB": zip_mib, "seconds (median)": round(seconds, 2),
            "rows/s": round(rows / seconds), "peak RSS MiB": peak if peak is not None else "", "note": note}


# --- the steps, each run in a child process by `in_child` ------------------------------
# Each step imports what it uses first and times only the work after it (`seconds`): importing
# sislab.roster (pandas, pyarrow) takes ~0.7 s on a quiet machine, importing duckdb ~0.15 s.

def import_district(folder: str, root: str) -> dict:
    from sislab.core.importer import import_sis
    from sislab.core.workspace import Workspace

    import_sis(folder, Workspace.locate(root), user="bench")
    return {}


def build(root: str, target: str, profile: str) -> dict:
    from sislab.core import store
    from sislab.core.workspace import Workspace
    from sislab.roster import FeedOptions, build_feed

    start = time.perf_counter()
    with store.snapshot(Workspace.locate(root)) as con:
        counts = build_feed(con, target, FeedOptions(as_of=date.fromisoformat(AS_OF), receiver=profile))
    return {"seconds": time.perf_counter() - start, "rows": sum(counts.values()),
            "zip_mib": round(Path(target).stat().st_size / 2**20, 1)}


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
        start = time.perf_counter()
        for name in _extract_names(feed):
            con.execute(f"COPY {name} TO {sql_literal(f'{folder}/copy_{name}.csv')} (HEADER)")
        return {"seconds": time.perf_counter() - start}


def duckdb_read(feed: str, tmp: str) -> dict:
    """The check's baseline: unzip the feed and read each CSV into a DuckDB table."""
    import tempfile

    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        for name in _extract(feed, folder):
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true)", [f"{folder}/{name}.csv"])
    return {"seconds": time.perf_counter() - start}


def _extract_names(feed: str) -> list[str]:
    import zipfile

    with zipfile.ZipFile(feed) as z:
        return [n.removesuffix(".csv") for n in z.namelist() if n != "manifest.csv"]


def _extract(feed: str, folder: str) -> list[str]:
    import zipfile

    with zipfile.ZipFile(feed) as z:
        z.extractall(folder)
    return _extract_names(feed)


def check(feed: str, profile: str) -> dict:
    from sislab.roster import check_feed

    start = time.perf_counter()
    report = check_feed(feed, receiver=profile)
    return _summary(report, time.perf_counter() - start)


def check_rowwise(feed: str, profile: str) -> dict:
    """The checker with its DuckDB reader switched off: every file row by row through Python's
    csv (the path malformed files take, and the only one before); its findings must be the same."""
    from sislab.roster import checker

    checker._read_csv = lambda *args: None
    start = time.perf_counter()
    report = checker.check_feed(feed, receiver=profile)
    return _summary(report, time.perf_counter() - start)


def _summary(report, seconds: float) -> dict:
    import hashlib

    by_rule = report.findings.groupby("rule").size().to_dict()
    return {"seconds": seconds, "rows": sum(report.rows.values()), "errors": report.errors, "warnings": report.warnings,
            "findings_by_rule": {k: int(v) for k, v in by_rule.items()},
            "findings_sha256": hashlib.sha256(report.findings.to_csv(index=False).encode()).hexdigest()}


bench.register(bench.Benchmark("roster", "OneRoster feed and its checker, each beside its DuckDB baseline",
                               add_arguments, run))
