"""Workspace store under concurrency, with real processes.

Twenty readers poll `store.snapshot()` and `store.app_state()` while one process imports
two different exports in turn and another runs jobs that publish Parquet results. The
promise: no reader ever fails, and no reader ever sees half of a write — an import is
all old or all new, a result part is one whole version, a job is recorded with all its schools.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import duckdb
import pytest

from fixtures import write_export
from helpers_concurrency.shared import SCHOOLS, VIEW, publish_scores, result_rows
from sislab.core import store
from sislab.core.importer import import_sis
from sislab.core.workspace import Workspace

HELPERS = Path(__file__).parent / "helpers_concurrency"
READERS = 20
SIZE_A, SIZE_B = 40, 3000  # students in export A and B; each has one enrollment per student
IMPORTS = 4
JOB_RUNS = 6
MIN_READS = 5

pytestmark = pytest.mark.slow


def export_of(folder: Path, students: int) -> Path:
    """The minimal export with `students` students in school 1, one enrollment each."""
    ids = [str(100000 + i) for i in range(students)]
    student = "student_id,last_name,first_name,birth_date,grade,school_id\n" + "".join(
        f"{s},Last{s},First{s},2008-01-01,11,1\n" for s in ids)
    enrollment = "student_id,school_id,calendar_id,start_date,end_date,grade,enrollment_type\n" + "".join(
        f"{s},1,C1,2024-08-14,,11,primary\n" for s in ids)
    roster = "section_id,student_id,start_date,end_date\n" + "".join(f"101,{s},2024-08-14,\n" for s in ids)
    return write_export(folder, {"student": student, "enrollment": enrollment, "roster": roster})


def start(script: str, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(HELPERS / script), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(proc: subprocess.Popen, timeout: float = 180) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out)


@pytest.fixture
def ws(tmp_path) -> Workspace:
    """A workspace holding import A and a first version of every result part."""
    ws = Workspace.locate(tmp_path / "ws")
    import_sis(export_of(tmp_path / "A", SIZE_A), ws, user="tester")
    con = duckdb.connect()
    for school in SCHOOLS:
        publish_scores(ws, con, school, 0)
    return ws


def test_readers_never_fail_nor_see_half_a_write_while_imports_and_jobs_write(ws, tmp_path):
    folders = [export_of(tmp_path / "B", SIZE_B), tmp_path / "A"] * (IMPORTS // 2)
    stop = tmp_path / "stop"
    outs = [tmp_path / f"reader-{i}.json" for i in range(READERS)]
    with ExitStack() as cleanup:
        readers = [start("reader.py", ws.root, stop, out, f"{SIZE_A},{SIZE_B}") for out in outs]
        for proc in readers:
            cleanup.callback(_kill, proc)
        for proc in readers:  # every reader is polling before the writers start
            assert proc.stdout.readline() == "ready\n", proc.stderr.read()[-3000:]
        importer = start("import_loop.py", ws.root, *folders)
        job_runner = start("job_loop.py", ws.root, 1, JOB_RUNS)
        cleanup.callback(_kill, importer)
        cleanup.callback(_kill, job_runner)
        published = finished(importer)["published"]
        statuses = finished(job_runner)["statuses"]
        stop.touch()
        for proc in readers:
            proc.communicate(timeout=60)
            assert proc.returncode == 0
    results = [json.loads(out.read_text()) for out in outs]

    assert len(published) == IMPORTS and statuses == ["succeeded"] * JOB_RUNS
    assert [r["errors"] for r in results if r["error_count"]] == []
    assert min(r["reads"] for r in results) >= MIN_READS
    # The readers really raced the writers: between them they saw both exports, several
    # snapshots and several result versions.
    assert set().union(*(r["sizes"] for r in results)) == {SIZE_A, SIZE_B}
    assert len(set().union(*(r["snapshots"] for r in results))) >= 3
    assert len(set().union(*(r["versions"] for r in results))) >= 3


def parts(con) -> list[tuple]:
    return con.execute(f"SELECT school_id, count(*), max(version) FROM {VIEW} GROUP BY 1 ORDER BY 1").fetchall()


def test_open_snapshot_keeps_reading_the_result_version_it_listed(ws):
    """A result is never replaced in place: DuckDB opens a Parquet file more than once per
    query, so a swap under a running query would mix two versions."""
    con = duckdb.connect()
    with store.snapshot(ws) as reader:
        before = parts(reader)
        publish_scores(ws, con, "1", 7)
        assert parts(reader) == before  # the files it listed are still there, unchanged
    with store.snapshot(ws) as reader:
        assert parts(reader) == [("1", result_rows(7), 7), ("2", result_rows(0), 0)]


def test_superseded_result_version_is_deleted_after_the_grace_period(ws):
    con = duckdb.connect()
    first = store.publish_result(ws, "conc", "score", "1", con, "SELECT 1 AS version")
    second = store.publish_result(ws, "conc", "score", "1", con, "SELECT 2 AS version")
    assert first.exists()  # a reader may still be listing it
    past = second.stat().st_mtime - store.RESULT_GRACE_SECONDS - 1
    os.utime(second, (past, past))  # `second` has been current for longer than the grace period
    third = store.publish_result(ws, "conc", "score", "1", con, "SELECT 3 AS version")
    assert not first.exists() and second.exists() and third.exists()


def write_batch(ws, con, version: int) -> Path:
    """A result batch of the concurrency job holding every school's rows at `version`."""
    batch = store.new_result_batch(ws, "conc")
    store.write_batch_result(batch, "score", con,
                             f"SELECT school_id, ?::INTEGER AS version, school_id AS {store.PART_COLUMN}"
                             " FROM (VALUES ('1'), ('2'), ('3')) AS t(school_id) ORDER BY school_id", [version])
    return batch


def scores(ws) -> list[tuple]:
    with store.snapshot(ws) as reader:
        assert store.PART_COLUMN not in [c[0] for c in reader.execute(f"DESCRIBE {VIEW}").fetchall()]
        return reader.execute(f"SELECT school_id, max(version), count(*) FROM {VIEW} GROUP BY 1 ORDER BY 1").fetchall()


def test_a_result_batch_shows_each_part_once_published_until_a_newer_version_is(ws):
    """A batch is written for many parts at once; a part of it is read only once published,
    and each part shows its newest version, from a batch or from a part file."""
    con = duckdb.connect()
    batch = write_batch(ws, con, 7)
    assert scores(ws) == [("1", 0, result_rows(0)), ("2", 0, result_rows(0))]  # nothing published yet
    store.publish_batch_part(batch, "1")
    store.publish_batch_part(batch, "3")
    assert scores(ws) == [("1", 7, 1), ("2", 0, result_rows(0)), ("3", 7, 1)]
    publish_scores(ws, con, "3", 8)
    assert scores(ws) == [("1", 7, 1), ("2", 0, result_rows(0)), ("3", 8, result_rows(8))]
    with open(batch / store.BATCH_PARTS, "a", encoding="utf-8") as being_written:
        being_written.write("2\t2")  # a line not yet ended is not a publication
    assert scores(ws) == [("1", 7, 1), ("2", 0, result_rows(0)), ("3", 8, result_rows(8))]
    with pytest.raises(ValueError, match="one line"):
        store.publish_batch_part(batch, "4\n")


def test_a_superseded_batch_is_deleted_after_the_grace_period_once_its_writer_ended(ws, monkeypatch):
    con = duckdb.connect()
    first = write_batch(ws, con, 1)
    store.publish_batch_part(first, "1")
    store.publish_batch_part(first, "2")
    ended = subprocess.Popen(["true"])
    ended.wait()
    first = first.rename(first.with_name(f"{first.name.split('-')[0]}-{ended.pid}"))  # as its writer ended
    second = write_batch(ws, con, 2)
    store.publish_batch_part(second, "1")
    monkeypatch.setattr(store, "RESULT_GRACE_SECONDS", 0)
    store.new_result_batch(ws, "conc")
    assert first.exists()  # still the current version of school 2
    store.publish_batch_part(second, "2")
    store.new_result_batch(ws, "conc")
    assert not first.exists() and second.exists()
    assert not (ws.results / "conc" / "score").exists()  # the part files it superseded, and their folders
    assert scores(ws) == [("1", 2, 1), ("2", 2, 1)]


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.communicate()
