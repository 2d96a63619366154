"""Poll the workspace until STOP_FILE exists: `reader.py WORKSPACE STOP_FILE OUT_JSON SIZES`.

Each poll opens `store.snapshot()` and, within that one connection, checks that the SIS
tables are one whole import (student, enrollment and their join all hold the same count,
one of SIZES) and that every result part is one whole version; then it opens `app_state()`
and checks that every job has all its schools. Prints "ready" after the first poll;
at the end writes {reads, errors, error_count, snapshots, sizes, versions} to OUT_JSON.
"""

import json
import sys
import time
import traceback
from contextlib import closing
from pathlib import Path

from shared import PAUSE, SCHOOLS, VIEW, result_rows

from sislab.core import store
from sislab.core.workspace import Workspace

DEADLINE = 90  # seconds: a reader never outlives a broken test by much

SIS_COUNTS = """SELECT (SELECT count(*) FROM student), (SELECT count(*) FROM enrollment),
                       (SELECT count(*) FROM student JOIN enrollment USING (student_id)),
                       (SELECT path FROM duckdb_databases() WHERE database_name = current_database())"""
RESULT_PARTS = f"SELECT school_id, count(*), min(version), max(version) FROM {VIEW} GROUP BY school_id"
JOB_SCHOOLS = ("SELECT j.job_id, count(s.school_id) FROM job j LEFT JOIN job_school s USING (job_id) "
               "GROUP BY j.job_id")


def check_snapshot(ws, sizes: set[int], seen: dict) -> list[str]:
    with store.snapshot(ws) as con:
        students, enrollments, joined, path = con.execute(SIS_COUNTS).fetchone()
        parts = con.execute(RESULT_PARTS).fetchall()
    seen["snapshots"].add(Path(path).name)
    seen["sizes"].add(students)
    problems = []
    if not (students == enrollments == joined and students in sizes):
        problems.append(f"mixed snapshot {path}: {students} students, {enrollments} enrollments, {joined} joined")
    if sorted(p[0] for p in parts) != sorted(SCHOOLS):
        problems.append(f"result parts {parts}")
    for school, rows, low, high in parts:
        seen["versions"].add(high)
        if low != high or rows != result_rows(high):
            problems.append(f"half a result for school {school}: {rows} rows, versions {low}..{high}")
    return problems


def check_app_state(ws) -> list[str]:
    with closing(store.app_state(ws)) as con:
        jobs = con.execute(JOB_SCHOOLS).fetchall()
    return [f"job {job_id} has {n} of {len(SCHOOLS)} schools" for job_id, n in jobs if n != len(SCHOOLS)]


def main(root: str, stop_file: str, out: str, sizes: str) -> int:
    ws = Workspace.locate(root)
    wanted = {int(s) for s in sizes.split(",")}
    seen = {"snapshots": set(), "sizes": set(), "versions": set()}
    reads, errors = 0, []
    end = time.monotonic() + DEADLINE
    while not Path(stop_file).exists() and time.monotonic() < end:
        try:
            errors += check_snapshot(ws, wanted, seen) + check_app_state(ws)
        except Exception:
            errors.append(traceback.format_exc(limit=3))
        reads += 1
        if reads == 1:
            print("ready", flush=True)
        time.sleep(PAUSE)
    result = {"reads": reads, "errors": errors[:20], "error_count": len(errors),
              **{k: sorted(v) for k, v in seen.items()}}
    Path(out).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
