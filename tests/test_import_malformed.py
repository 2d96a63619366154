"""Malformed exports, as a nightly cron job would meet them, through the real command line.

Each case takes the sample district (data/sample) and breaks one thing in one file. The
import must be refused with exit status 2, no traceback, a finding that names the file and
the row or line (and the column, when the problem sits in one), and the current snapshot
must be the same before and after, compared by a query. `kill -9` of an import and of a job
must leave nothing behind once the next run (or `sislab import --recover`) has cleaned up.
"""

from __future__ import annotations

import codecs
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from sislab.cli import main
from sislab.core import store
from sislab.core.importer import import_sis
from sislab.core.workspace import Workspace, private_dir

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

pytestmark = pytest.mark.skipif(not (SAMPLE / "student.csv").exists(), reason="data/sample not generated")


def text(table: str) -> str:
    return (SAMPLE / f"{table}.csv").read_text(encoding="utf-8")


def header(table: str) -> list[str]:
    return text(table).split("\n", 1)[0].split(",")


def set_field(table: str, row: int, column: str, value: str) -> str:
    """The sample file with one field of data row `row` (1 = first after the header) replaced."""
    lines = text(table).split("\n")
    fields = lines[row].split(",")
    fields[header(table).index(column)] = value
    lines[row] = ",".join(fields)
    return "\n".join(lines)


def edit_line(table: str, row: int, change) -> str:
    lines = text(table).split("\n")
    lines[row] = change(lines[row])
    return "\n".join(lines)


def append_copy(table: str, row: int) -> str:
    return text(table) + text(table).split("\n")[row] + "\n"


def only_header(table: str) -> str:
    return text(table).split("\n", 1)[0] + "\n"


def utf16_with_lone_surrogate(table: str, row: int) -> bytes:
    """UTF-16 (with BOM) whose data row `row` holds half of a surrogate pair."""
    lines = text(table).split("\n")
    data = codecs.BOM_UTF16_LE + "\n".join(lines[:row]).encode("utf-16-le") + "\n".encode("utf-16-le")
    return data + b"\x00\xd8" + "\n".join(lines[row:]).encode("utf-16-le")


@dataclass(frozen=True)
class Case:
    name: str
    table: str  # the file broken
    content: object  # callable giving the file's new text or bytes; None removes the file
    row: int | None = None  # where the finding must point
    line: int | None = None
    column: str | None = None  # None: the problem is not in one column (bytes, field count, whole file)
    says: str = ""  # part of the message

    def where(self) -> str:
        parts = [f"{self.table}.csv"]
        parts += [f"line {self.line}"] if self.line is not None else []
        parts += [f"row {self.row}"] if self.row is not None else []
        parts += [f"column {self.column}"] if self.column else []
        return ", ".join(parts)


def value(name, table, row, column, bad, says):
    return Case(name, table, lambda: set_field(table, row, column, bad), row=row, column=column, says=says)


CASES = [
    # bytes and text
    Case("byte-neither-utf8-nor-1252", "student",
         lambda: set_field("student", 9, "last_name", "Zo\x81").encode("utf-8").replace(
             "Zo\x81".encode(), b"Zo\x81"), line=10, says="0x81"),
    Case("utf16-unpaired-surrogate", "student", lambda: utf16_with_lone_surrogate("student", 6), line=7,
         says="not valid UTF-16"),
    Case("nul-byte-in-name", "student", lambda: set_field("student", 5, "last_name", "Wh\x00ite"), row=5,
         column="last_name", says="NUL byte"),
    Case("nul-byte-in-mark", "mark", lambda: set_field("mark", 40, "mark", "A\x00"), row=40, column="mark",
         says="NUL byte"),
    Case("megabyte-field", "student", lambda: set_field("student", 3, "first_name", "x" * 1_000_000), row=3,
         column="first_name", says="longer than 200 characters"),
    Case("long-school-name", "school", lambda: set_field("school", 2, "name", "N" * 201), row=2, column="name",
         says="longer than 200"),
    Case("long-grade-text", "enrollment", lambda: set_field("enrollment", 8, "grade", "1" * 21), row=8,
         column="grade", says="longer than 20"),
    Case("bare-quote-in-last-name", "student", lambda: set_field("student", 3, "last_name", 'O"Brien'), line=4,
         column="last_name", says="quote inside a value"),
    Case("bare-quote-in-staff-name", "staff", lambda: set_field("staff", 2, "first_name", 'Jo"n'), line=3,
         column="first_name", says="quote inside a value"),
    Case("text-after-closing-quote", "course", lambda: set_field("course", 4, "title", '"Algebra"II'), line=5,
         column="title", says="quote inside a value"),
    Case("unterminated-quote", "student", lambda: set_field("student", 3, "last_name", '"Brien'), line=4,
         says="quote"),
    Case("one-trailing-empty-field", "student", lambda: edit_line("student", 6, lambda ln: ln + ","), row=6,
         says=f"expected {len(header('student'))}, found more"),
    Case("one-extra-field", "enrollment", lambda: edit_line("enrollment", 4, lambda ln: ln + ",X"), row=4,
         says=f"expected {len(header('enrollment'))}, found more"),
    Case("unquoted-comma-shifts-row", "staff",
         lambda: set_field("staff", 3, "last_name", "Flores, Jr."), row=3, says="found more"),
    Case("short-row", "roster", lambda: edit_line("roster", 7, lambda ln: ln.rsplit(",", 2)[0]), row=7,
         column="end_date", says="expected 5, found 3"),
    Case("far-too-many-fields", "mark", lambda: edit_line("mark", 2, lambda ln: ln + ",a,b,c"), line=3,
         says="wrong number of fields"),
    # header and whole files
    Case("duplicate-header-column", "student",
         lambda: text("student").replace("middle_name,", "first_name,", 1), line=1, column="first_name",
         says="more than once"),
    Case("required-column-missing", "enrollment",
         lambda: text("enrollment").replace("enrollment_type", "type", 1), line=1, column="enrollment_type",
         says="required column is missing"),
    Case("semicolon-delimited", "course", lambda: text("course").replace(",", ";"), line=1,
         says="comma-delimited"),
    Case("empty-file", "school", lambda: "", line=1, says="empty"),
    Case("header-only-students", "student", lambda: only_header("student"), line=2, says="only its header"),
    Case("header-only-enrollments", "enrollment", lambda: only_header("enrollment"), line=2,
         says="only its header"),
    Case("header-only-courses", "course", lambda: only_header("course"), line=2, says="only its header"),
    Case("header-only-district", "district", lambda: only_header("district"), line=2, says="only its header"),
    Case("missing-school-file", "school", None, says="missing from the import folder"),
    Case("missing-staff-file", "staff", None, says="missing from the import folder"),
    Case("district-two-rows", "district", lambda: append_copy("district", 1).replace("SLUSD", "OTHER", 1),
         says="exactly one row, found 2"),
    # values
    value("impossible-birth-date", "student", 5, "birth_date", "2008-02-30", "is not a date"),
    value("birth-date-out-of-range", "student", 6, "birth_date", "1850-01-01", "out of range"),
    value("grade-in-words", "student", 7, "grade", "eleven", "not a whole number"),
    value("grade-13", "student", 8, "grade", "13", "between -1 and 12"),
    value("unknown-gender-code", "student", 9, "gender", "Q", "must be one of M, F, X"),
    value("state-id-with-letter", "student", 10, "state_id", "10000X7919", "state student id"),
    value("student-email", "student", 11, "email", "s1000(at)students", "e-mail"),
    value("yes-no-maybe", "student", 12, "hispanic", "maybe", "Y or N"),
    value("blank-first-name", "student", 13, "first_name", "", "value is required"),
    value("blank-student-id", "student", 14, "student_id", "", "value is required"),
    value("student-school-unknown", "student", 15, "school_id", "999", "not a school_id in school.csv"),
    value("counselor-unknown", "student", 16, "counselor_id", "NOBODY", "not a staff_id in staff.csv"),
    value("race-code-form", "student", 17, "race_code", "30", "expected form"),
    value("enrollment-start-date", "enrollment", 5, "start_date", "2023-13-01", "is not a date"),
    value("enrollment-type-code", "enrollment", 6, "enrollment_type", "full", "must be one of primary"),
    value("enrollment-grade-range", "enrollment", 7, "grade", "-2", "between -1 and 12"),
    value("enrollment-student-unknown", "enrollment", 9, "student_id", "999999999", "not a student_id"),
    value("enrollment-calendar-unknown", "enrollment", 10, "calendar_id", "NOPE", "not a calendar_id"),
    Case("enrollment-end-before-start", "enrollment",
         lambda: set_field("enrollment", 11, "end_date", "2000-01-01"), row=11, column="end_date",
         says="before start_date"),
    Case("duplicate-enrollment", "enrollment", lambda: append_copy("enrollment", 3), row=3,
         column="student_id, school_id, start_date", says="duplicate key"),
    value("mark-code", "mark", 5, "mark", "Z", "must be one of A+"),
    value("mark-year-range", "mark", 6, "school_year", "1999", "between 2000 and 2100"),
    value("credits-in-words", "mark", 7, "credits_earned", "five", "is not a number"),
    value("mark-term-type", "mark", 8, "term_type", "season", "must be one of year"),
    value("mark-course-unknown", "mark", 9, "course_id", "NOPE", "not a course_id"),
    value("mark-section-unknown", "mark", 10, "section_id", "NOPE", "not a section_id"),
    Case("duplicate-mark", "mark", lambda: append_copy("mark", 12), row=12,
         column="student_id, course_id, school_year, term_code", says="duplicate key"),
    value("roster-section-unknown", "roster", 5, "section_id", "NOPE", "not a section_id"),
    value("roster-start-blank", "roster", 6, "start_date", "", "value is required"),
    Case("roster-end-before-start", "roster", lambda: set_field("roster", 8, "end_date", "2000-01-01"), row=8,
         column="end_date", says="before start_date"),
    value("cds-code-13-digits", "school", 3, "cds_code", "1975309193000", "14-digit CDS"),
    value("school-type-code", "school", 4, "school_type", "UNI", "must be one of ES"),
    value("low-grade-letter", "school", 5, "low_grade", "K", "not a whole number"),
    Case("duplicate-school", "school", lambda: append_copy("school", 2), row=2, column="school_id",
         says="duplicate key"),
    value("rcdts-form", "school", 6, "rcdts", "3404902502600", "RCDTS"),
    value("term-start-date", "term", 3, "start_date", "08/45/2020", "is not a date"),
    Case("term-end-before-start", "term", lambda: set_field("term", 4, "end_date", "2000-01-01"), row=4,
         column="end_date", says="before start_date"),
    value("calendar-year-range", "calendar", 2, "school_year", "3000", "between 2000 and 2100"),
    value("staff-email", "staff", 4, "email", "nora.flores@", "e-mail"),
    value("section-course-unknown", "section", 3, "course_id", "NOPE", "not a course_id"),
    value("section-calendar-unknown", "section", 4, "calendar_id", "NOPE", "not a calendar_id"),
    value("test-level-range", "test_score", 3, "level", "9", "between 1 and 7"),
    value("test-code", "test_score", 4, "test", "PSAT", "must be one of CAASPP_ELA"),
    value("cohort-outcome-code", "cohort", 3, "outcome", "graduated", "must be one of regular_diploma"),
    value("award-code", "award", 2, "award", "GOLD_STAR", "must be one of SEAL_OF_BILITERACY"),
    value("course-ag-area", "course", 5, "ag_area", "h", "must be one of a, b"),
    value("course-credits", "course", 6, "credits", "x", "is not a number"),
    value("posted-score-blank", "posted_grade", 3, "score", "", "value is required"),
    value("ag-list-status", "ag_list", 2, "status", "maybe", "must be one of approved"),
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    ws = Workspace.locate(tmp_path_factory.mktemp("malformed") / "ws")
    import_sis(SAMPLE, ws, user="tester")
    return ws


def snapshot_state(ws: Workspace) -> tuple:
    """What readers see: the pointer and a digest of the guarded tables."""
    with store.snapshot(ws) as con:
        digest = con.execute(
            "SELECT (SELECT count(*) FROM student), (SELECT sum(hash(student_id, last_name, birth_date)) FROM student),"
            " (SELECT count(*) FROM enrollment), (SELECT count(*) FROM mark), (SELECT count(*) FROM roster),"
            " (SELECT sum(hash(student_id, course_id, mark)) FROM mark)").fetchone()
    return ws.current_pointer.read_text(), digest


def export_with(folder: Path, table: str, content) -> Path:
    """The sample district (linked, not copied) with `table`'s file replaced or removed."""
    folder.mkdir()
    for path in SAMPLE.glob("*.csv"):
        if path.stem != table:
            (folder / path.name).symlink_to(path)
    if content is not None:
        data = content()
        (folder / f"{table}.csv").write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return folder


def test_the_suite_has_at_least_sixty_distinct_bad_exports():
    assert len({c.name for c in CASES}) == len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_export_is_refused_naming_where(case, ws, tmp_path, capsys):
    folder = export_with(tmp_path / "export", case.table, case.content)
    before = snapshot_state(ws)
    code = main(["--workspace", str(ws.root), "import", str(folder)])
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    assert "Traceback" not in err
    assert any(f"  {case.where()}: " in line and case.says in line for line in err.splitlines()), err[-3000:]
    assert snapshot_state(ws) == before
    assert not list(ws.tmp.glob("import-*")), "the refused import's work files are removed"


def test_mixed_line_endings_are_read(ws, tmp_path, capsys):
    lines = text("student").split("\n")
    lines[5] += "\r"  # one CR LF line in an LF file, as a hand edit leaves it
    folder = export_with(tmp_path / "export", "student", lambda: "\n".join(lines))
    assert main(["--workspace", str(ws.root), "import", str(folder)]) == 0, capsys.readouterr().err
    with store.snapshot(ws) as con:
        # the CR LF row's last field (a Y/N) reads as N, not as 'N\r' (which would be refused)
        assert con.execute("SELECT count(*), count(parent_opt_out) FROM student").fetchone() == (len(lines) - 2,) * 2


# --- kill -9 -----------------------------------------------------------------------------


def sislab(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sislab", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def killed_import(tmp_path: Path) -> tuple[Workspace, tuple]:
    """A workspace with a good snapshot and an import of it killed -9 while building."""
    ws = Workspace.locate(tmp_path / "ws")
    import_sis(SAMPLE, ws, user="tester")
    before = snapshot_state(ws)
    proc = sislab("--workspace", str(ws.root), "import", str(SAMPLE))
    wait_for(lambda: any(ws.tmp.glob("import-*/building.duckdb*")))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert any(ws.tmp.glob("import-*/building.duckdb*")), "the kill left its work behind"
    assert list(ws.locks.glob("*.lock")), "and its lock file"
    return ws, before


def import_runs(ws: Workspace) -> list[str]:
    with sqlite3.connect(ws.app_db) as con:
        return [r[0] for r in con.execute("SELECT status FROM import_run ORDER BY import_id")]


def test_killed_import_is_cleaned_up_by_recover(tmp_path, capsys):
    ws, before = killed_import(tmp_path)
    assert import_runs(ws) == ["published", "running"]
    assert main(["--workspace", str(ws.root), "import", "--recover"]) == 0
    assert "imports marked died: 2" in capsys.readouterr().out
    assert import_runs(ws) == ["published", "died"]
    assert not list(ws.tmp.iterdir()) and not list(ws.locks.iterdir())
    assert snapshot_state(ws) == before


def test_killed_import_is_cleaned_up_by_the_next_import(tmp_path, capsys):
    ws, before = killed_import(tmp_path)
    assert main(["--workspace", str(ws.root), "import", str(SAMPLE)]) == 0, capsys.readouterr().err
    assert import_runs(ws) == ["published", "died", "published"]
    assert not list(ws.tmp.glob("import-*")) and not list(ws.locks.iterdir())
    assert snapshot_state(ws)[1] == before[1]


STAGING_SOURCE = """
import sys, time
from pathlib import Path
from sislab.core.workspace import Workspace
from sislab.sources.staged import Staging
with Staging(Workspace.locate(sys.argv[1]), sys.argv[2], "a source") as staging:
    staging.add("student", {"student_id": "1001", "last_name": "Núñez"})
    staging.close()
    Path(sys.argv[3]).touch()
    time.sleep(300)
"""


def test_a_killed_sources_staged_data_is_removed_and_a_running_ones_kept(tmp_path, capsys):
    """An Aeries pull, a OneRoster zip or a score file writes its export (student data) into a
    staging folder before importing it; kill -9 leaves it behind. Recover and the next import
    remove it, but never the folder of a source still running."""
    ws = Workspace.locate(tmp_path / "ws")
    import_sis(SAMPLE, ws, user="tester")
    sources = {name: subprocess.Popen([sys.executable, "-c", STAGING_SOURCE, str(ws.root), name, str(tmp_path / name)],
                                      stderr=subprocess.PIPE, text=True) for name in ("aeries", "oneroster")}
    try:
        wait_for(lambda: all((tmp_path / name).exists() for name in sources))
        staged = {name: next(ws.tmp.glob(f"*{name}-*")) for name in sources}
        older = private_dir(ws.tmp / f"caaspp-{'0' * 32}")  # an older version's, which holds no lock
        (older / "test_score.csv").write_text("student_id\n1001\n")
        os.kill(sources["aeries"].pid, signal.SIGKILL)
        sources["aeries"].wait()
        assert main(["--workspace", str(ws.root), "import", "--recover"]) == 0
        assert "leftover work files removed: 2" in capsys.readouterr().out
        assert not staged["aeries"].exists() and not older.exists() and (staged["oneroster"] / "student.csv").exists()
        os.kill(sources["oneroster"].pid, signal.SIGKILL)
        sources["oneroster"].wait()
        assert main(["--workspace", str(ws.root), "import", str(SAMPLE)]) == 0, capsys.readouterr().err
        assert not list(ws.tmp.iterdir()) and not list(ws.locks.iterdir()), "nor the killed sources' lock files"
    finally:
        for proc in sources.values():
            proc.kill()
            proc.wait()


def test_import_work_files_are_owner_only_from_the_start(tmp_path):
    ws = Workspace.locate(tmp_path / "ws")
    proc = sislab("--workspace", str(ws.root), "import", str(SAMPLE))
    modes = set()

    def building_seen() -> bool:
        for path in ws.tmp.glob("import-*/*"):
            try:
                modes.add(stat.S_IMODE(path.stat().st_mode))
            except FileNotFoundError:
                pass
        return bool(modes) or proc.poll() is not None

    wait_for(building_seen)
    proc.wait()
    assert modes and modes <= {0o600, 0o700}


def test_killed_job_is_marked_died_and_its_locks_cleared_by_the_next_run(tmp_path):
    ws = Workspace.locate(tmp_path / "ws")
    import_sis(SAMPLE, ws, user="tester")
    proc = sislab("--workspace", str(ws.root), "cci", "run", "--all", "--no-notify", "--user", "tester")

    def school_running() -> bool:
        assert proc.poll() is None, proc.stderr.read()
        with sqlite3.connect(ws.app_db) as con:
            return con.execute("SELECT count(*) FROM job_school WHERE status = 'running'").fetchone()[0] > 0

    wait_for(school_running)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(list(ws.locks.glob("*.lock"))) >= 2, "the job's and the school's lock files stay behind"
    nxt = sislab("--workspace", str(ws.root), "cci", "run", "--school", "001", "--no-notify", "--user", "tester")
    assert nxt.wait(timeout=300) == 0, nxt.stderr.read()
    with sqlite3.connect(ws.app_db) as con:
        assert [r[0] for r in con.execute("SELECT status FROM job ORDER BY job_id")] == ["died", "succeeded"]
    assert not list(ws.locks.glob("*.lock"))
    assert not list(ws.results.rglob("*.tmp"))
    assert all(stat.S_IMODE(d.stat().st_mode) == 0o700 for d in ws.results.rglob("*") if d.is_dir())
