"""Import benchmark: `import_sis` of a generated district against DuckDB's plain `read_csv`
of the same files (the floor: reading and storing without any check).

The district comes from `sislab sample --students N --seed S`, generated once into
bench/out/data-<N>-seed<S>/ and reused. Each side runs in its own fresh process on a fresh
workspace or database; the figures are rows, seconds, rows/s, the ratio to the baseline, CPU
seconds (all threads; steadier than wall time on a shared machine) and their ratio, and
peak memory. With --profile the import runs under cProfile and its busiest importer
functions are saved to bench/out/import-profile-<N>.txt.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path

import bench

from .common import OUT, Measurement, in_child, making, report, scratch

DEFAULT_STUDENTS = 200_000  # a large district; a few minutes in all on 2 cores
STATEWIDE_STUDENTS = 6_400_000  # California's size, as `sislab sample` counts students


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS,
                        help=f"district size (default {DEFAULT_STUDENTS:,}; statewide is {STATEWIDE_STUDENTS:,})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="profile the import too (slower)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run import and baseline N times, alternating, and report medians (default 1)")


def run(args: argparse.Namespace) -> None:
    folder, generated_in = sample_folder(args.students, args.seed)
    profile = str(OUT / f"import-profile-{args.students}.txt") if args.profile else None
    loads = [os.getloadavg()]
    imports, plains = [], []
    for _ in range(args.repeat):  # alternate, so both sides meet the same load
        with scratch() as tmp:
            imports.append(in_child("bench.bench_import:import_folder", str(folder), str(Path(tmp) / "ws"), profile))
        with scratch() as tmp:
            plains.append(in_child("bench.bench_import:read_csv_folder", str(folder), str(Path(tmp) / "plain.duckdb")))
        loads.append(os.getloadavg())
    imported, plain = _median(imports), _median(plains)
    mib = sum(f.stat().st_size for f in folder.glob("*.csv")) / 2**20
    rows = [_row("sislab import_sis", imported, plain, mib), _row("duckdb read_csv (baseline)", plain, plain, mib)]
    steps = imported.result["steps"]
    steps["snapshot checkpoint + publish"] = imported.seconds - sum(steps.values())
    runs = [{"import s": round(i.seconds, 2), "baseline s": round(p.seconds, 2), "ratio": round(i.seconds / p.seconds, 2),
             "CPU ratio": round(i.cpu_seconds / p.cpu_seconds, 2),
             "import peak RSS MiB": round(i.peak_rss_mib), "baseline peak RSS MiB": round(p.peak_rss_mib)}
            for i, p in zip(imports, plains)]
    report("import", {"students": args.students, "seed": args.seed, "csv_mib": round(mib, 1), "repeat": args.repeat,
                      "generated_seconds": generated_in and round(generated_in, 1)},
           rows, {"import_steps_seconds": steps, "profile": profile, "runs": runs,
                  "load_average_1_5_15": [[round(x, 2) for x in load] for load in loads]})
    for n, r in enumerate(runs, 1):
        print(f"run {n}: " + ", ".join(f"{k} {v}" for k, v in r.items()))
    print("load average (1, 5, 15 min) before and after each pair: "
          + "; ".join(" ".join(f"{x:.1f}" for x in load) for load in loads))
    slowest = sorted(steps.items(), key=lambda kv: -kv[1])[:6]
    print("import time by step (median run): " + ", ".join(f"{name} {s:.1f}s" for name, s in slowest))


def _median(measurements: list[Measurement]) -> Measurement:
    """The run with the median time (its own memory and steps); peak RSS is the worst of all runs."""
    ordered = sorted(measurements, key=lambda m: m.seconds)
    middle = ordered[(len(ordered) - 1) // 2]
    return Measurement(middle.seconds, max(m.peak_rss_mib for m in measurements), middle.result, middle.cpu_seconds)


def _row(label: str, m: Measurement, baseline: Measurement, mib: float) -> dict:
    rows = m.result["rows"]
    return {"step": label, "rows": rows, "seconds": m.seconds, "rows/s": round(rows / m.seconds),
            "MiB/s": mib / m.seconds, "x baseline": m.seconds / baseline.seconds, "CPU s": m.cpu_seconds,
            "x baseline CPU": m.cpu_seconds / baseline.cpu_seconds, "peak RSS MiB": m.peak_rss_mib}


def sample_folder(students: int, seed: int) -> tuple[Path, float | None]:
    """The generated district (made now if not cached) and how long making it took."""
    folder = OUT / f"data-{students}-seed{seed}"
    if folder.exists():
        return folder, None
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
    making(f"the generated district of {students:,} students", folder)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sislab", "sample", "--students", str(students), "--seed", str(seed),
                    "--out", str(partial)], check=True, stdout=subprocess.DEVNULL)
    try:
        partial.rename(folder)  # only a complete folder is ever reused
    except OSError:  # another benchmark finished the same folder first
        shutil.rmtree(partial)
    return folder, time.perf_counter() - start


# --- the steps, each run in a child process by `in_child` ------------------------------


def import_folder(folder: str, root: str, profile: str | None) -> dict:
    from sislab.core.importer import import_sis
    from sislab.core.workspace import Workspace

    steps = StepTimes()
    ws = Workspace.locate(root)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    done = import_sis(folder, ws, user="bench", progress=steps)
    if profiler:
        profiler.disable()
        _save_profile(profiler, profile)
    return {"rows": sum(done.row_counts.values()), "steps": steps.seconds}


def read_csv_folder(folder: str, database: str) -> dict:
    import duckdb

    con = duckdb.connect(database)
    rows = 0
    for path in sorted(Path(folder).glob("*.csv")):
        con.execute(f'CREATE TABLE "{path.stem}" AS SELECT * FROM read_csv(?)', [str(path)])
        rows += con.execute(f'SELECT count(*) FROM "{path.stem}"').fetchone()[0]
    con.execute("CHECKPOINT")
    con.close()
    return {"rows": rows}


class StepTimes:
    """A progress display that keeps the seconds each importer step took (per table, checks)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.last = time.perf_counter()

    def start(self, total: int, label: str = "") -> None:
        self.last = time.perf_counter()

    def advance(self, n: int = 1, label: str | None = None) -> None:
        now = time.perf_counter()
        self.seconds[label or "?"] = self.seconds.get(label or "?", 0.0) + now - self.last
        self.last = now

    def close(self) -> None:
        pass


def _save_profile(profiler: cProfile.Profile, path: str) -> None:
    with open(path, "w") as out:
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(r"sislab/core/(importer|store)\.py", 40)


bench.register(bench.Benchmark("import", "import_sis of a generated district vs DuckDB's plain read_csv",
                               add_arguments, run))
