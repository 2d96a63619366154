"""CERS consolidated file for a large district: every secondary section, ELA + Math.

Measures `sislab.cers.create` (rosters, merge, 200-split, pre-flight, atomic write, record)
against DuckDB writing the same rows with one plain `COPY (query) TO` on the same snapshot,
and against `COPY` of the finished rows already in a table (the bare write cost).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date
from pathlib import Path

import bench
from bench.common import OUT, in_child, report

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
    start = time.perf_counter()
    [made] = cers.create(ws, "bench", ["bench ELA", "bench Math"], consolidate=True, as_of=date.fromisoformat(AS_OF))
    seconds = time.perf_counter() - start
    return {"rows": made.build.counts["rows"], "groups": made.build.counts["groups"], "file": str(made.path),
            "errors": len(made.build.errors), "seconds": seconds, "schools": len(schools)}


def step_plain(base: str, target: str) -> dict:
    import duckdb

    ws = _workspace(base)
    schools = _schools(ws)
    con = duckdb.connect(str(ws.current_snapshot()), read_only=True)
    start = time.perf_counter()
    con.execute(PLAIN.replace("{target}", target.replace("'", "''")),
                {"year": 2027, "schools": schools, "as_of": date.fromisoformat(AS_OF)})
    seconds = time.perf_counter() - start
    return {"rows": sum(1 for _ in open(target)) - 1, "seconds": seconds}


def step_copy_rows(source: str, target: str) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE r AS SELECT * FROM read_csv(?, all_varchar = true)", [source])
    start = time.perf_counter()
    con.execute(f"COPY r TO '{target}' (HEADER, DELIMITER ',')")
    return {"rows": con.execute("SELECT count(*) FROM r").fetchone()[0], "seconds": time.perf_counter() - start}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=500_000)


def run(args: argparse.Namespace) -> None:
    base = prepare(args.students)
    ours = in_child("bench.bench_cers:step_sislab", str(base))
    plain = in_child("bench.bench_cers:step_plain", str(base), str(base / "plain.csv"))
    bare = in_child("bench.bench_cers:step_copy_rows", ours.result["file"], str(base / "copy.csv"))
    rows = [
        {"step": "sislab cers create (consolidated)", "rows": ours.result["rows"],
         "seconds": ours.result["seconds"], "peak_rss_mib": ours.peak_rss_mib, "ratio": 1.0},
        {"step": "DuckDB plain COPY (query) TO", "rows": plain.result["rows"], "seconds": plain.result["seconds"],
         "peak_rss_mib": plain.peak_rss_mib, "ratio": ours.result["seconds"] / plain.result["seconds"]},
        {"step": "DuckDB COPY of the finished rows", "rows": bare.result["rows"], "seconds": bare.result["seconds"],
         "peak_rss_mib": bare.peak_rss_mib, "ratio": ours.result["seconds"] / bare.result["seconds"]},
    ]
    report("cers", {"students": args.students, "as_of": AS_OF, "schools": ours.result["schools"],
                    "groups": ours.result["groups"], "target_ratio": 2}, rows)


bench.register(bench.Benchmark("cers", __doc__.splitlines()[0], add_arguments, run))
