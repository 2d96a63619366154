"""CCI benchmark: per-student CCI results for a whole generated cohort, against the time DuckDB
needs to scan the same input tables once (the floor: reading every input row).

The district comes from `sislab sample --students N` (cached in bench/out/data-<N>-seed<S>/,
shared with the import benchmark) and is imported once into bench/out/cci-ws-<N>-seed<S>/.
Then each step runs in its own fresh process on that snapshot:

- `cci student_results`: `cci.student_results` for every school of the scored class, written
  to Parquet (what a district-wide recalculation computes per student);
- `duckdb scan (baseline)`: `count(*)` and `sum(hash(column))` of each column the engine reads
  (ENGINE_COLUMNS), table by table: one scan of exactly the engine's input;
- `duckdb scan, all columns`: the same over every column of those tables (for reference);
- `mass update, K schools` (with --schools K > 0, or `all`): the mass update of the K largest
  schools (or every school), publishing every result set, as a coordinator's run does; also
  shown as a ratio to the engine run (target for all schools: <= 1.5x one district run); with
  --repeat N run N times (medians), alternating with the --against tree's mass update if given.

Figures: rows, wall seconds, CPU seconds (all threads), ratio to the baseline, peak RSS.
Target: ratio <= 3 and peak <= 4 GiB on 2 cores / 24 GiB. Other work may share the cores, so
with --repeat N the engine and the baseline run alternately N times, medians are reported, and
the load average is recorded before and after. With --explain the engine's queries are
profiled (EXPLAIN ANALYZE) into bench/out/cci-explain-<N>.txt.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import duckdb

import bench
# imported here, so that a step's child has them loaded before its timer starts: module import
# time is neither the engine's work nor the scan's
from sislab import cci
from sislab.cci import engine, mass_update
from sislab.core import store
from sislab.core.workspace import Workspace

from .bench_import import STATEWIDE_STUDENTS, sample_folder
from .common import OUT, Measurement, in_child, making, report, scratch

DEFAULT_STUDENTS = 1_650_000  # ~25 M mark rows: four years of a statewide class's course history
# The columns the engine's queries read (see the scans in --explain), per input table.
ENGINE_COLUMNS = {
    "cohort": ("student_id", "cohort_year", "school_id", "outcome", "completion_year", "outcome_date", "ag_met",
               "ever_swd"),
    "student": ("student_id", "swd"),
    "mark": ("student_id", "course_id", "school_year", "term_type", "mark", "college_credits"),
    "course": ("course_id", "cte_pathway", "nonstandard_level", "state_course_code", "ap", "jrotc"),
    "test_score": ("student_id", "test", "subject", "school_year", "grade", "level"),
    "cte_completion": ("student_id", "pathway_code", "school_year", "capstone_mark"),
    "award": ("student_id", "award", "school_year", "years"),
    "work_based_learning": ("student_id", "wbl_type", "school_year"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS,
                        help=f"district size (default {DEFAULT_STUDENTS:,}, ~25 M marks; "
                             f"{STATEWIDE_STUDENTS:,} gives a ~455 k class)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rule-set", default=None, help="rule set (default the newest)")
    parser.add_argument("--schools", type=_school_count, default=0,
                        help="also time a mass update of this many schools (the largest), or 'all'")
    parser.add_argument("--dense", action="store_true",
                        help="score every cohort member as one class (~4x the graduates on the same marks)")
    parser.add_argument("--explain", action="store_true", help="save EXPLAIN ANALYZE of the engine's queries")
    parser.add_argument("--repeat", type=int, default=1, help="run engine and baseline alternately N times (medians)")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="also run the engine (and the mass update) of the sislab in DIR (a source tree, "
                             "e.g. `git archive`), alternating with this one")


def _school_count(text: str) -> int:
    """--schools: a count, or 'all' (0 = no mass update; ALL = every school with a cohort)."""
    return ALL_SCHOOLS if text == "all" else int(text)


ALL_SCHOOLS = 10**9  # more schools than any district has: LIMIT keeps them all


def run(args: argparse.Namespace) -> None:
    folder, generated_in = sample_folder(args.students, args.seed)
    ws_root, imported_in = imported_workspace(folder)
    if args.dense:
        ws_root = dense_workspace(ws_root, args.rule_set)
    load_before = os.getloadavg()
    cci_runs, against_runs, scans, full_scans = [], [], [], []
    for i in range(args.repeat):
        with scratch() as tmp:
            if args.against:
                against_runs.append(in_child("bench.bench_cci:student_results_to_parquet", ws_root,
                                             str(Path(tmp) / "against.parquet"), args.rule_set, None,
                                             sislab=args.against.resolve()))
            explain = args.explain and i == 0 and str(OUT / f"cci-explain-{args.students}.txt")
            cci_runs.append(in_child("bench.bench_cci:student_results_to_parquet", ws_root,
                                     str(Path(tmp) / "cci.parquet"), args.rule_set, explain))
        scans.append(in_child("bench.bench_cci:scan_inputs", ws_root, False))
        full_scans.append(in_child("bench.bench_cci:scan_inputs", ws_root, True))
    cci_run, scan, full_scan = median(cci_runs), median(scans), median(full_scans)
    rows = [_row("cci student_results -> parquet", cci_run, scan)]
    if against_runs:
        rows.append(_row(f"  same, sislab of {args.against}", median(against_runs), scan))
    rows += [_row("duckdb scan (baseline)", scan, scan), _row("duckdb scan, all columns", full_scan, scan)]
    updates, against_updates = [], []
    for _ in range(args.repeat if args.schools else 0):  # publishes into the workspace, both alike
        if args.against:
            against_updates.append(mass_update_of(ws_root, args, sislab=args.against.resolve()))
        updates.append(mass_update_of(ws_root, args))
    if updates:
        update = median(updates)
        rows.append(_row(f"mass update, {update.result['schools']} schools", update, scan))
        if against_updates:
            rows.append(_row(f"  same, sislab of {args.against}", median(against_updates), scan))
        rows.append(_row("  same, x one district engine run", update, cci_run))
    report("cci", {"students": args.students, "seed": args.seed, "dense": args.dense, "rule_set": cci_run.result["rule_set"],
                   "graduates_scored": cci_run.result["rows"], "mark_rows": scan.result["tables"]["mark"],
                   "repeat": args.repeat, "load_before": _load(load_before), "load_after": _load(os.getloadavg()),
                   "generated_seconds": generated_in and round(generated_in, 1),
                   "imported_seconds": imported_in and round(imported_in, 1)},
           rows, {"levels": cci_run.result["levels"], "input_rows": scan.result["tables"],
                  "runs": {"engine_seconds": [m.seconds for m in cci_runs],
                           "engine_cpu_seconds": [m.result["cpu_seconds"] for m in cci_runs],
                           "against_seconds": [m.seconds for m in against_runs],
                           "against_cpu_seconds": [m.result["cpu_seconds"] for m in against_runs],
                           "scan_seconds": [m.seconds for m in scans],
                           "scan_cpu_seconds": [m.result["cpu_seconds"] for m in scans],
                           "all_columns_scan_seconds": [m.seconds for m in full_scans],
                           "mass_update_seconds": [m.seconds for m in updates],
                           "mass_update_cpu_seconds": [m.result["cpu_seconds"] for m in updates],
                           "against_mass_update_seconds": [m.seconds for m in against_updates],
                           "against_mass_update_cpu_seconds": [m.result["cpu_seconds"] for m in against_updates]}})


def median(runs: list[Measurement]) -> Measurement:
    """The run of median wall time (the lower middle one for an even count)."""
    return sorted(runs, key=lambda m: m.seconds)[(len(runs) - 1) // 2]


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def _row(label: str, m: Measurement, baseline: Measurement) -> dict:
    cpu, baseline_cpu = m.result.get("cpu_seconds"), baseline.result.get("cpu_seconds")
    return {"step": label, "rows": m.result["rows"], "seconds": m.seconds, "cpu seconds": cpu,
            "x baseline": m.seconds / baseline.seconds,
            "x baseline, CPU": cpu / baseline_cpu if cpu and baseline_cpu else None, "peak RSS MiB": m.peak_rss_mib}


def imported_workspace(folder: Path) -> tuple[str, float | None]:
    """A workspace holding `folder` imported (made now if not cached) and how long that took."""
    root = OUT / f"cci-ws-{folder.name.removeprefix('data-')}"
    if (root / "CURRENT").exists():
        return str(root), None
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    making("the imported district", root)
    start = time.perf_counter()
    in_child("bench.bench_import:import_folder", str(folder), str(partial), None)
    partial.rename(root)  # the snapshot pointer is a file name, so the folder may move
    return str(root), time.perf_counter() - start


def dense_workspace(ws_root: str, rule_set: str | None) -> str:
    """A copy of the imported workspace where every cohort member is in the scored class
    (see cci_dense_cohort.sql); made once."""
    root = Path(ws_root + "-dense")
    if not (root / "CURRENT").exists():
        in_child("bench.bench_cci:make_dense", ws_root, str(root), rule_set)
    return str(root)


def mass_update_of(ws_root: str, args: argparse.Namespace, sislab: Path | None = None) -> Measurement:
    """The mass update of the largest schools (it publishes into the benchmark workspace), with
    the sislab of this tree or of `sislab`."""
    return in_child("bench.bench_cci:mass_update_largest", ws_root, args.schools, args.rule_set, sislab=sislab)


# --- the steps, each run in a child process by `in_child` ------------------------------


def student_results_to_parquet(ws_root: str, target: str, rule_set: str | None, explain: str | None) -> dict:
    cpu = time.process_time()
    with store.snapshot(Workspace.locate(ws_root)) as con:
        if explain:
            _profile_each_query(con, explain)
        results = cci.student_results(con, rule_set)
        con.execute("PRAGMA disable_profiling")
        results.write_parquet(target)
        levels = dict(results.aggregate("level, count(*)").fetchall())
        return {"rows": sum(levels.values()), "levels": levels, "rule_set": cci.load_rule_set(rule_set).name,
                "cpu_seconds": time.process_time() - cpu}


def make_dense(ws_root: str, root: str, rule_set: str | None) -> dict:


    source, ws = Workspace.locate(ws_root), Workspace.locate(root)
    built = ws.tmp / "dense.duckdb"
    shutil.copyfile(source.current_snapshot(), built)
    con = duckdb.connect(str(built))
    params = {"class_year": cci.load_rule_set(rule_set).class_year}
    for statement in Path(__file__).with_name("cci_dense_cohort.sql").read_text().split(";"):
        if statement.strip():
            engine.run_query(con, statement, params)
    con.close()
    store.publish_snapshot(ws, built)
    return {"rows": 0}


def _profile_each_query(con, path: str) -> None:
    """EXPLAIN ANALYZE-style trees of each engine query, appended to `path` (bench only)."""

    run = engine.run_query
    Path(path).unlink(missing_ok=True)

    def profiled(con_, query, params):
        con_.execute("PRAGMA enable_profiling = 'query_tree_optimizer'")
        con_.execute("PRAGMA profiling_output = ?", [path + ".one.txt"])
        result = run(con_, query, params)
        one = Path(path + ".one.txt")
        with open(path, "a") as out:
            out.write(f"\n===== {query.splitlines()[0][:100]}\n" + one.read_text())
        one.unlink()
        return result

    engine.run_query = profiled


def scan_inputs(ws_root: str, all_columns: bool) -> dict:
    """One scan of the engine's input columns (or of every column of its input tables), each
    column hashed and summed so that nothing is skipped."""

    cpu = time.process_time()
    tables = {}
    with store.snapshot(Workspace.locate(ws_root)) as con:
        for table, columns in ENGINE_COLUMNS.items():
            # table and column names are this module's constants, not user text
            chosen = "*" if all_columns else repr(list(columns))
            row = con.execute(f"SELECT count(*), sum(hash(COLUMNS({chosen}))) FROM {table}").fetchall()[0]
            tables[table] = row[0]
    return {"rows": sum(tables.values()), "tables": tables, "cpu_seconds": time.process_time() - cpu}


def mass_update_largest(ws_root: str, schools: int, rule_set: str | None) -> dict:

    cpu = time.process_time()
    ws = Workspace.locate(ws_root)
    with store.snapshot(ws) as con:
        largest = [r[0] for r in con.execute(
            "SELECT school_id FROM cohort GROUP BY school_id ORDER BY count(*) DESC, school_id LIMIT ?",
            [schools]).fetchall()]
    job = mass_update.run(largest, ws=ws, user="bench", rule_set=rule_set, notify_to=None)
    return {"rows": job.counts.get("students", 0), "status": job.status, "schools": len(largest),
            "cpu_seconds": time.process_time() - cpu}


bench.register(bench.Benchmark("cci", "CCI student results of a generated cohort vs one DuckDB scan of the inputs",
                               add_arguments, run))
