"""CERS consolidated file for a large district: every secondary section, ELA + Math.

Measures `sislab.cers.create` (rosters, merge, 200-split, pre-flight, atomic write, record)
against DuckDB writing the same rows with one plain `COPY (query) TO` on the same snapshot,
and against `COPY` of the finished rows already in a table (the bare write cost).
Other work may share the cores, so with --repeat N (default 5) sislab and the plain COPY run
alternately N times; the medians are reported, with the median of each pair's ratio, CPU
seconds, and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date
from pathlib import Path

import bench
from bench.common import OUT, Measurement, in_child, making, report

AS_OF = "2026-11-25"  # the sample district's "today": semester 1 of 2026-27
SECONDARY = ("HS", "MS", "ALT")

# What a person would write in DuckDB for the same rows (secondary sections of the year still
# running, their current students with an SSID and current teachers with an e-mail, groups of
# 200 named by section, sorted): the baseline.
PLAIN = """
COPY (
WITH sec AS (
    SELECT s.section_id, s.school_id, s.period, sc.cds_code, c.subject_area
    FROM section s JOIN course c ON c.course_id = s.course_id
    JOIN calendar cal ON cal.calendar_id = s.calendar_id JOIN school sc ON sc.school_id = s.school_id
    WHERE cal.school_year = $year AND c.subject_area IN ('ELA', 'Math') AND list_contains($schools, s.school_id)
      AND (SELECT max(t.end_date) FROM section_term st JOIN term t ON t.calendar_id = s.calendar_id
           AND t.term_code = st.term_code WHERE st.section_id = s.section_id) >= $as_of
), tch AS (
    SELECT ss.section_id, st.last_name, st.first_name, st.email,
           row_number() OVER (PARTITION BY ss.section_id ORDER BY coalesce(ss.primary_teacher, false) DESC, ss.staff_id) AS rk
    FROM section_staff ss JOIN staff st ON st.staff_id = ss.staff_id WHERE coalesce(ss.end_date, $as_of) >= $as_of
), named AS (
    SELECT sec.*, concat_ws(' ', sec.school_id, t.last_name || ' ' || t.first_name, sec.section_id) AS base
    FROM sec LEFT JOIN tch t ON t.section_id = sec.section_id AND t.rk = 1
), stu AS (
    SELECT DISTINCT n.cds_code, n.base, n.subject_area, st.state_id, st.last_name, st.first_name, st.student_id
    FROM named n JOIN roster r ON r.section_id = n.section_id AND coalesce(r.end_date, $as_of) >= $as_of
    JOIN student st ON st.student_id = r.student_id WHERE regexp_full_match(coalesce(st.state_id, ''), '\\d{10}')
), num AS (
    SELECT *, (row_number() OVER (PARTITION BY cds_code, base ORDER BY last_name, first_name, student_id) - 1) // 200 + 1 AS part
    FROM stu
), users AS (
    SELECT DISTINCT n.cds_code, n.base, n.subject_area, t.email
    FROM named n JOIN tch t ON t.section_id = n.section_id WHERE t.email IS NOT NULL
), rows AS (
    SELECT cds_code, base || ' ' || part AS group_name, subject_area, state_id, NULL AS login, 1 AS kind FROM num
    UNION ALL
    SELECT DISTINCT p.cds_code, p.base || ' ' || p.part, p.subject_area, NULL, u.email, 0
    FROM num p JOIN users u ON u.cds_code = p.cds_code AND u.base = p.base
)
SELECT group_name, cds_code AS school_natural_id, $year AS school_year, subject_area AS subject_code,
       state_id AS student_ssid, login AS group_user_login
FROM rows ORDER BY cds_code, group_name, kind, login, state_id
) TO '{target}' (HEADER, DELIMITER ',')
"""


def prepare(students: int) -> Path:
    """A workspace holding the generated district (cached in bench/out/cers-<n>/)."""
    from sislab.core.importer import import_sis
    from sislab.core.workspace import Workspace
    from sislab.sample import generate

    base = OUT / f"cers-{students}"
    ws = Workspace(base / "workspace", base / "reports")
    if ws.current_snapshot() is None:
        making(f"the imported district of {students:,} students", base)
        if not (base / "sis" / "student.csv").exists():
            generate(base / "sis", students=students, seed=1)
        ws.ensure()
        import_sis(base / "sis", ws, user="bench")
    return base


def _workspace(base: str):
    os.environ["SISLAB_WORKSPACE"] = str(Path(base) / "workspace")
    os.environ["SISLAB_REPORTS"] = str(Path(base) / "reports")
    from sislab.core.workspace import Workspace

    return Workspace.locate()


def _schools(ws) -> list[str]:
    from sislab.core import store

    with store.snapshot(ws) as con:
        return [r[0] for r in con.execute("SELECT school_id FROM school WHERE active AND list_contains(?, school_type)"
                                          " ORDER BY school_id", [list(SECONDARY)]).fetchall()]


def step_sislab(base: str) -> dict:
    from sislab import cers

    ws = _workspace(base)
    schools = tuple(_schools(ws))
    for subject in ("ELA", "Math"):
        cers.save(ws, "bench", cers.Profile(f"bench {subject}", "secondary", schools, subject=subject,
                                            subject_areas=(subject,), pattern="section"))
    start, cpu = time.perf_counter(), time.process_time()
    [made] = cers.create(ws, "bench", ["bench ELA", "bench Math"], consolidate=True, as_of=date.fromisoformat(AS_OF))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"rows": made.build.counts["rows"], "groups": made.build.counts["groups"], "file": str(made.path),
            "errors": len(made.build.errors), "seconds": seconds, "cpu_seconds": cpu, "schools": len(schools)}


def step_plain(base: str, target: str) -> dict:
    import duckdb

    ws = _workspace(base)
    schools = _schools(ws)
    con = duckdb.connect(str(ws.current_snapshot()), read_only=True)
    start, cpu = time.perf_counter(), time.process_time()
    con.execute(PLAIN.replace("{target}", target.replace("'", "''")),
                {"year": 2027, "schools": schools, "as_of": date.fromisoformat(AS_OF)})
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"rows": sum(1 for _ in open(target)) - 1, "seconds": seconds, "cpu_seconds": cpu}


def step_copy_rows(source: str, target: str) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE r AS SELECT * FROM read_csv(?, all_varchar = true)", [source])
    start, cpu = time.perf_counter(), time.process_time()
    con.execute(f"COPY r TO '{target}' (HEADER, DELIMITER ',')")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"rows": con.execute("SELECT count(*) FROM r").fetchone()[0], "seconds": seconds, "cpu_seconds": cpu}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=5,
                        help="run sislab and the plain COPY alternately N times (medians)")


def run(args: argparse.Namespace) -> None:
    base = prepare(args.students)
    load_before = os.getloadavg()
    runs, plains = [], []
    for _ in range(args.repeat):
        runs.append(in_child("bench.bench_cers:step_sislab", str(base)))
        plains.append(in_child("bench.bench_cers:step_plain", str(base), str(base / "plain.csv")))
    ours, plain = _median(runs), _median(plains)
    bare = in_child("bench.bench_cers:step_copy_rows", ours.result["file"], str(base / "copy.csv"))
    load_after = os.getloadavg()
    rows = [_row("sislab cers create (consolidated)", ours, ours), _row("DuckDB plain COPY (query) TO", plain, ours),
            _row("DuckDB COPY of the finished rows", bare, ours)]
    report("cers", {"students": args.students, "as_of": AS_OF, "schools": ours.result["schools"],
                    "groups": ours.result["groups"], "target_ratio": 2, "repeat": args.repeat,
                    "paired_ratio_median": round(statistics.median(
                        r.result["seconds"] / p.result["seconds"] for r, p in zip(runs, plains)), 2),
                    "load_before": _load(load_before), "load_after": _load(load_after)}, rows,
           {"runs": {"sislab_seconds": [m.result["seconds"] for m in runs],
                     "sislab_cpu_seconds": [m.result["cpu_seconds"] for m in runs],
                     "plain_seconds": [m.result["seconds"] for m in plains],
                     "plain_cpu_seconds": [m.result["cpu_seconds"] for m in plains]}})


def _row(label: str, m: Measurement, ours: Measurement) -> dict:
    """A step's figures; `ratio` is sislab's time over this step's (the target is <= 2 for the plain COPY)."""
    return {"step": label, "rows": m.result["rows"], "seconds": m.result["seconds"],
            "cpu_seconds": m.result["cpu_seconds"], "peak_rss_mib": m.peak_rss_mib,
            "ratio": ours.result["seconds"] / m.result["seconds"]}


def _median(runs: list[Measurement]) -> Measurement:
    """The run of median step time (the step's own timer, as in the table)."""
    return sorted(runs, key=lambda m: m.result["seconds"])[(len(runs) - 1) // 2]


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


bench.register(bench.Benchmark("cers", __doc__.splitlines()[0], add_arguments, run))
