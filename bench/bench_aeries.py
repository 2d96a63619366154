"""Aeries pull benchmark: a generated district served by the fake Aeries API (its own process,
`--latency` seconds added to every request) and pulled by `import_from_aeries` over
`--connections` connections, against `import_sis` of the same district's CSV folder (the
baseline: the same validation and snapshot without the API).

The figures: requests, records, seconds, the most requests in flight, the pull's peak memory
(the puller's process only; the server runs apart) and the load average around the run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bench

from .bench_import import sample_folder
from .common import ROOT, Measurement, in_child, report, scratch

DEFAULT_STUDENTS = 30_000
LATENCY = 0.05


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS, help=f"default {DEFAULT_STUDENTS:,}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds per request (default 0.05)")
    parser.add_argument("--connections", type=int, default=16, help="requests in flight at most (default 16)")


def run(args: argparse.Namespace) -> None:
    folder, _ = sample_folder(args.students, args.seed)
    load_before = os.getloadavg()
    with scratch() as tmp:
        tmp = Path(tmp)
        baseline = in_child("bench.bench_import:import_folder", str(folder), str(tmp / "csv"), None)
        merge = tmp / "not-in-aeries"
        merge.mkdir()
        from sislab.sources.aeries_map import mapping

        for path in folder.glob("*.csv"):
            if path.stem not in mapping().tables():
                shutil.copyfile(path, merge / path.name)
        server = subprocess.Popen([sys.executable, "-m", "sislab.sources.fake_aeries", str(tmp / "csv"),
                                   "--latency", str(args.latency)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            url = server.stdout.readline().strip()
            pulled = in_child("bench.bench_aeries:pull", url, str(tmp / "aeries"), str(merge), args.connections)
        finally:
            server.terminate()
            server.wait(30)
    load_after = os.getloadavg()
    r = pulled.result
    rows = [_row(f"Aeries pull + import ({args.latency * 1000:g} ms/request, {args.connections} connections)",
                 pulled, r["requests"], r["records"]),
            _row("CSV folder import_sis (baseline)", baseline, 0, baseline.result["rows"])]
    report("aeries", {"students": args.students, "seed": args.seed, "latency_s": args.latency,
                      "connections": args.connections, "years": r["years"]}, rows,
           {"requests": r["requests"], "most_in_flight": r["most_in_flight"], "rows_imported": r["rows"],
            "load_average_before": load_before, "load_average_after": load_after})
    print(f"{r['requests']:,} requests ({r['requests'] / pulled.seconds:,.0f}/s), at most {r['most_in_flight']} "
          f"in flight; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")


def _row(label: str, m: Measurement, requests: int, records: int) -> dict:
    return {"step": label, "requests": requests, "records or rows": records, "seconds": m.seconds,
            "peak RSS MiB": m.peak_rss_mib}


# --- the step, run in a child process by `in_child` ---------------------------------------------


def pull(url: str, root: str, merge: str, connections: int) -> dict:
    from dataclasses import replace

    from sislab.core import config
    from sislab.core.workspace import Workspace
    from sislab.sources.aeries import import_from_aeries
    from sislab.sources.fake_aeries import CERTIFICATE

    ws = Workspace.locate(root)
    settings = replace(config.Settings(), aeries_url=url, aeries_certificate=CERTIFICATE, aeries_prior_years=6,
                       aeries_connections=connections)
    report_, stats = import_from_aeries(ws, user="bench", merge=merge, settings=settings, show_progress=False)
    return {"requests": stats.requests, "records": stats.records, "years": stats.years,
            "most_in_flight": stats.most_in_flight, "rows": sum(report_.row_counts.values())}


bench.register(bench.Benchmark("aeries", "Aeries pull of a generated district through the fake API vs the CSV import",
                               add_arguments, run))
