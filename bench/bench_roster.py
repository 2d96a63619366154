"""Rostering benchmark: the OneRoster feed of a large district, and the checker on it.

The district comes from `sislab sample --students N` (cached in bench/out, shared with the
import benchmark) and is imported once into a scratch workspace. Then, each in a fresh
process: build the full feed (every class), check it; build the homeroom-only feed (the
CLI Engage profile), check it. Figures: rows, seconds, peak memory.
"""

from __future__ import annotations

import argparse
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


def run(args: argparse.Namespace) -> None:
    folder, _ = sample_folder(args.students, args.seed)
    rows = []
    with scratch() as tmp:
        ws = str(Path(tmp) / "ws")
        imported = in_child("bench.bench_roster:import_district", str(folder), ws)
        for profile in ("full", "homeroom"):
            feed = str(Path(tmp) / f"{profile}.zip")
            built = in_child("bench.bench_roster:build", ws, feed, profile == "homeroom")
            checked = in_child("bench.bench_roster:check", feed, profile == "homeroom")
            rows.append(_row(f"build feed ({profile})", built, built.result["rows"], built.result["zip_mib"]))
            rows.append(_row(f"check feed ({profile})", checked, checked.result["rows"], built.result["zip_mib"],
                             f"{checked.result['errors']} errors, {checked.result['warnings']} warnings"))
            print(f"{profile} feed findings by rule: {checked.result['findings_by_rule']}")
    report("roster", {"students": args.students, "seed": args.seed, "import_seconds": round(imported.seconds, 1)}, rows)


def _row(step: str, m, rows: int, zip_mib: float, note: str = "") -> dict:
    return {"step": step, "rows": rows, "zip MiB": zip_mib, "seconds": m.seconds, "rows/s": round(rows / m.seconds),
            "peak RSS MiB": m.peak_rss_mib, "note": note}


# --- the steps, each run in a child process by `in_child` ------------------------------

def import_district(folder: str, root: str) -> dict:
    from sislab.core.importer import import_sis
    from sislab.core.workspace import Workspace

    import_sis(folder, Workspace.locate(root), user="bench")
    return {}


def build(root: str, target: str, homeroom_only: bool) -> dict:
    from sislab.core import store
    from sislab.core.workspace import Workspace
    from sislab.roster import FeedOptions, build_feed

    with store.snapshot(Workspace.locate(root)) as con:
        counts = build_feed(con, target, FeedOptions(as_of=date.fromisoformat(AS_OF), receiver="cli-engage" if homeroom_only else "generic"))
    return {"rows": sum(counts.values()), "zip_mib": round(Path(target).stat().st_size / 2**20, 1)}


def check(feed: str, homeroom_profile: bool) -> dict:
    from sislab.roster import check_feed

    result = check_feed(feed, receiver="cli-engage" if homeroom_profile else "generic")
    by_rule = result.findings.groupby("rule").size().to_dict()
    return {"rows": sum(result.rows.values()), "errors": result.errors, "warnings": result.warnings,
            "findings_by_rule": {k: int(v) for k, v in by_rule.items()}}


bench.register(bench.Benchmark("roster", "OneRoster feed for a large district and the checker on it",
                               add_arguments, run))
