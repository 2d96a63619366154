"""CCI benchmark: per-student CCI results for a whole generated cohort, against the time DuckDB
needs to scan the same input tables once (the floor: reading every input row).

The district comes from `sislab sample --students N` (cached in bench/out/data-<N>-seed<S>/,
shared with the import benchmark) and is imported once into bench/out/cci-ws-<N>-seed<S>/.
Then each step runs in its own fresh process on that snapshot:

- `cci student_results`: `cci.student_results` for every school of the scored class, written
  to Parquet (what a district-wide recalculation computes per student);
- `duckdb scan (baseline)`: `count(*)` and `sum(hash(column))` of every column of each table
  the engine reads (cohort, student, mark, course, test_score, cte_completion, award);
- `mass update, K schools` (with --schools K > 0): the per-school mass update of the K largest
  schools, publishing every result set, as a coordinator's run does.

Figures: rows, seconds, ratio to the baseline, peak RSS. Target: ratio <= 3 and peak <= 4 GiB
on 2 cores / 24 GiB. With --explain the engine's queries are profiled (EXPLAIN ANALYZE) into
bench/out/cci-explain-<N>.txt.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import bench

from .bench_import import STATEWIDE_STUDENTS, sample_folder
from .common import OUT, Measurement, in_child, report, scratch

DEFAULT_STUDENTS = 1_650_000  # ~25 M mark rows: four years of a statewide class's course history
INPUT_TABLES = ("cohort", "student", "mark", "course", "test_score", "cte_completion", "award")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS,
                        help=f"district size (default {DEFAULT_STUDENTS:,}, ~25 M marks; "
                             f"{STATEWIDE_STUDENTS:,} gives a ~455 k class)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rule-set", default=None, help="rule set (default the newest)")
    parser.add_argument("--schools", type=int, default=0, help="also time a mass update of this many schools")
    parser.add_argument("--dense", action="store_true",
                        help="score every cohort member as one class (~4x the graduates on the same marks)")
    parser.add_argument("--explain", action="store_true", help="save EXPLAIN ANALYZE of the engine's queries")


def run(args: argparse.Namespace) -> None:
    folder, generated_in = sample_folder(args.students, args.seed)
    ws_root, imported_in = imported_workspace(folder)
    if args.dense:
        ws_root = dense_workspace(ws_root, args.rule_set)
    with scratch() as tmp:
        engine = in_child("bench.bench_cci:student_results_to_parquet", ws_root, str(Path(tmp) / "cci.parquet"),
                          args.rule_set, args.explain and str(OUT / f"cci-explain-{args.students}.txt"))
    scan = in_child("bench.bench_cci:scan_inputs", ws_root)
    rows = [_row("cci student_results -> parquet", engine, scan), _row("duckdb scan (baseline)", scan, scan)]
    if args.schools:
        rows.append(_row(f"mass update, {args.schools} schools", mass_update_of(ws_root, args), scan))
    report("cci", {"students": args.students, "seed": args.seed, "dense": args.dense, "rule_set": engine.result["rule_set"],
                   "graduates_scored": engine.result["rows"], "mark_rows": scan.result["tables"]["mark"],
                   "generated_seconds": generated_in and round(generated_in, 1),
                   "imported_seconds": imported_in and round(imported_in, 1)},
           rows, {"levels": engine.result["levels"], "input_rows": scan.result["tables"]})


def _row(label: str, m: Measurement, baseline: Measurement) -> dict:
    return {"step": label, "rows": m.result["rows"], "seconds": m.seconds, "x baseline": m.seconds / baseline.seconds,
            "peak RSS MiB": m.peak_rss_mib}


def imported_workspace(folder: Path) -> tuple[str, float | None]:
    """A workspace holding `folder` imported (made now if not cached) and how long that took."""
    root = OUT / f"cci-ws-{folder.name.removeprefix('data-')}"
    if (root / "CURRENT").exists():
        return str(root), None
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
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


def mass_update_of(ws_root: str, args: argparse.Namespace) -> Measurement:
    """The mass update of the largest schools (it publishes into the benchmark workspace)."""
    return in_child("bench.bench_cci:mass_update_largest", ws_root, args.schools, args.rule_set)


# --- the steps, each run in a child process by `in_child` ------------------------------


def student_results_to_parquet(ws_root: str, target: str, rule_set: str | None, explain: str | None) -> dict:
    from sislab import cci
    from sislab.core import store
    from sislab.core.workspace import Workspace

    with store.snapshot(Workspace.locate(ws_root)) as con:
        if explain:
            _profile_each_query(con, explain)
        results = cci.student_results(con, rule_set)
        con.execute("PRAGMA disable_profiling")
        results.write_parquet(target)
        levels = dict(results.aggregate("level, count(*)").fetchall())
        return {"rows": sum(levels.values()), "levels": levels, "rule_set": cci.load_rule_set(rule_set).name}


def make_dense(ws_root: str, root: str, rule_set: str | None) -> dict:
    import duckdb

    from sislab.cci import load_rule_set
    from sislab.cci.engine import run_query
    from sislab.core import store
    from sislab.core.workspace import Workspace

    source, ws = Workspace.locate(ws_root), Workspace.locate(root)
    built = ws.tmp / "dense.duckdb"
    shutil.copyfile(source.current_snapshot(), built)
    con = duckdb.connect(str(built))
    params = {"class_year": load_rule_set(rule_set).class_year}
    for statement in Path(__file__).with_name("cci_dense_cohort.sql").read_text().split(";"):
        if statement.strip():
            run_query(con, statement, params)
    con.close()
    store.publish_snapshot(ws, built)
    return {"rows": 0}


def _profile_each_query(con, path: str) -> None:
    """EXPLAIN ANALYZE-style trees of each engine query, appended to `path` (bench only)."""
    from sislab.cci import engine

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


def scan_inputs(ws_root: str) -> dict:
    from sislab.core import store
    from sislab.core.workspace import Workspace

    tables = {}
    with store.snapshot(Workspace.locate(ws_root)) as con:
        for table in INPUT_TABLES:
            # table names are this module's constants, not user text
            row = con.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {table}").fetchall()[0]
            tables[table] = row[0]
    return {"rows": sum(tables.values()), "tables": tables}


def mass_update_largest(ws_root: str, schools: int, rule_set: str | None) -> dict:
    from sislab.cci import mass_update
    from sislab.core import store
    from sislab.core.workspace import Workspace

    ws = Workspace.locate(ws_root)
    with store.snapshot(ws) as con:
        largest = [r[0] for r in con.execute(
            "SELECT school_id FROM cohort GROUP BY school_id ORDER BY count(*) DESC, school_id LIMIT ?",
            [schools]).fetchall()]
    job = mass_update.run(largest, ws=ws, user="bench", rule_set=rule_set, notify_to=None)
    return {"rows": job.counts.get("students", 0), "status": job.status}


bench.register(bench.Benchmark("cci", "CCI student results of a generated cohort vs one DuckDB scan of the inputs",
                               add_arguments, run))
