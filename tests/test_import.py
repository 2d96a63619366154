"""The importer: messy-but-valid exports load; each kind of bad input is named and loses nothing."""

from __future__ import annotations

import codecs
import csv
import os
import stat

import pytest

from fixtures import MINIMAL_EXPORT, write_export
from sislab.core import store
from sislab.core.importer import ImportRejected, import_sis
from sislab.core.workspace import Workspace

STUDENT_HEADER = "student_id,state_id,last_name,first_name,birth_date,grade,school_id,counselor_id\n"


@pytest.fixture
def ws(tmp_path):
    """A workspace that already holds a good import (the 'last good data')."""
    ws = Workspace.locate(tmp_path / "ws")
    import_sis(write_export(tmp_path / "good"), ws, user="tester")
    return ws


def students(ws) -> list[tuple]:
    with store.snapshot(ws) as con:
        return con.execute("SELECT student_id, last_name, first_name FROM student ORDER BY 1").fetchall()


def rejected(ws, tmp_path, overrides) -> list:
    """Import the minimal export with `overrides`; assert it is rejected and nothing changed."""
    before = students(ws)
    pointer = ws.current_pointer.read_text()
    with pytest.raises(ImportRejected) as info:
        import_sis(write_export(tmp_path / "bad", overrides), ws, user="tester")
    assert ws.current_pointer.read_text() == pointer
    assert students(ws) == before
    return [f for f in info.value.findings if f.severity == "error"]


def one(findings, **where):
    hits = [f for f in findings if all(getattr(f, k) == v for k, v in where.items())]
    assert hits, f"no finding {where} in {[str(f) for f in findings]}"
    return hits[0]


# --- what must load -------------------------------------------------------------------


def test_valid_export_publishes_snapshot_with_typed_rows(ws):
    assert students(ws) == [("1001", "Núñez", "José"), ("1002", "O'Brien", "Zoë"), ("1003", "Smith, Jr.", "Al")]
    with store.snapshot(ws) as con:
        birth, active = con.execute(
            "SELECT s.birth_date, sc.active FROM student s JOIN school sc USING (school_id) "
            "WHERE student_id = '1002'").fetchone()
    assert str(birth) == "2009-04-05"  # MM/DD/YYYY accepted
    assert active is True


def test_utf8_bom_crlf_and_blank_trailing_lines_load(ws, tmp_path):
    text = "\ufeff" + MINIMAL_EXPORT["student"].replace("\n", "\r\n") + "\r\n\r\n,,,,,,,\r\n"
    import_sis(write_export(tmp_path / "src", {"student": text}), ws)
    assert [s[0] for s in students(ws)] == ["1001", "1002", "1003"]


def test_bom_before_a_quoted_header_loads(ws, tmp_path):
    """PowerShell's Export-Csv -Encoding UTF8 quotes every field and writes a BOM: the BOM is not
    a character before the first field's opening quote."""
    lines = MINIMAL_EXPORT["student"].splitlines()
    quoted = ['"' + '","'.join(next(csv.reader([line]))) + '"' for line in lines]
    import_sis(write_export(tmp_path / "src", {"student": "\ufeff" + "\r\n".join(quoted) + "\r\n"}), ws)
    assert students(ws)[2] == ("1003", "Smith, Jr.", "Al")


def test_lines_of_tabs_and_a_final_ctrl_z_are_blank(ws, tmp_path):
    text = MINIMAL_EXPORT["student"] + "\t\t\n \t \n\x1a"
    import_sis(write_export(tmp_path / "src", {"student": text}), ws)
    assert [s[0] for s in students(ws)] == ["1001", "1002", "1003"]


def test_windows_1252_text_after_a_utf8_bom_keeps_its_first_column(ws, tmp_path):
    text = MINIMAL_EXPORT["student"].replace("O'Brien", "D\u2019Angelo")
    report = import_sis(write_export(tmp_path / "src", {"student": codecs.BOM_UTF8 + text.encode("cp1252")}), ws)
    assert ("1002", "D\u2019Angelo", "Zoë") in students(ws)
    assert any("Windows-1252" in f.message for f in report.warnings)
    assert not [f for f in report.warnings if f.column and "student_id" in f.column]


def test_windows_1252_export_is_transcoded(ws, tmp_path):
    text = MINIMAL_EXPORT["student"].replace("O'Brien", "D\u2019Angelo")
    report = import_sis(write_export(tmp_path / "src", {"student": text.encode("cp1252")}), ws)
    assert ("1002", "D\u2019Angelo", "Zoë") in students(ws)
    assert any("Windows-1252" in f.message for f in report.warnings)


def test_utf16_export_is_transcoded(ws, tmp_path):
    import_sis(write_export(tmp_path / "src", {"student": MINIMAL_EXPORT["student"].encode("utf-16")}), ws)
    assert ("1001", "Núñez", "José") in students(ws)


def test_header_is_case_insensitive_and_extra_columns_are_warned(ws, tmp_path):
    text = MINIMAL_EXPORT["course"].replace("course_id,title", "Course_ID, TITLE ").replace(
        "honors\n", "honors,room\n").replace(",N\n", ",N,12\n")
    report = import_sis(write_export(tmp_path / "src", {"course": text}), ws)
    warning = one(report.warnings, file="course.csv", column="room")
    assert "ignored" in warning.message


def test_optional_file_may_be_absent(ws):
    with store.snapshot(ws) as con:
        assert con.execute("SELECT count(*) FROM mark").fetchone()[0] == 0


def test_snapshot_files_are_owner_only(ws):
    mode = stat.S_IMODE(os.stat(ws.current_snapshot()).st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(ws.root).st_mode) == 0o700


# --- what must be rejected, one test per kind -------------------------------------------


def test_missing_required_file(ws, tmp_path):
    one(rejected(ws, tmp_path, {"student": None}), file="student.csv")


def test_empty_file(ws, tmp_path):
    f = one(rejected(ws, tmp_path, {"course": ""}), file="course.csv", line=1)
    assert "empty" in f.message


def test_missing_required_column(ws, tmp_path):
    text = MINIMAL_EXPORT["student"].replace("birth_date,", "").replace("2008-03-04,", "")
    one(rejected(ws, tmp_path, {"student": text}), file="student.csv", column="birth_date")


def test_duplicate_column_in_header(ws, tmp_path):
    text = "course_id,title,title\nE11,English 11,x\n"
    one(rejected(ws, tmp_path, {"course": text}), file="course.csv", column="title")


def test_semicolon_delimited_file(ws, tmp_path):
    f = one(rejected(ws, tmp_path, {"course": "course_id;title\nE11;English\n"}), file="course.csv")
    assert "comma-delimited" in f.message


def test_bytes_that_are_neither_utf8_nor_windows_1252(ws, tmp_path):
    data = MINIMAL_EXPORT["student"].encode("utf-8").replace("Zoë".encode(), b"Zo\x81")
    f = one(rejected(ws, tmp_path, {"student": data}), file="student.csv", line=3)
    assert "0x81" in f.message


def test_unquoted_comma_gives_wrong_field_count(ws, tmp_path):
    text = MINIMAL_EXPORT["student"].replace('"Smith, Jr.",Al,2015-01-02,4,2,', "Smith, Jr.,Al,2015-01-02,4,2,T1")
    findings = rejected(ws, tmp_path, {"student": text})
    f = one(findings, file="student.csv", row=3)
    assert "expected 8, found more" in f.message
    assert len(findings) == 1, "the shifted row's values are not blamed again as references"


def test_stray_quote(ws, tmp_path):
    text = MINIMAL_EXPORT["student"].replace("O'Brien", '"O\'Brien')
    f = one(rejected(ws, tmp_path, {"student": text}), file="student.csv", line=3)
    assert "quote" in f.message


def test_rows_are_numbered_among_data_rows_in_a_large_file(ws, tmp_path):
    """A row's number is its place among the data rows: an empty line and a spreadsheet's row
    of empty cells are both skipped, in a file big enough for DuckDB to read with all threads,
    and with the code and Y/N columns whose value lists DuckDB would plan as joins that
    reorder rows (the importer turns that rewrite off: rows are numbered by insert order)."""
    header = STUDENT_HEADER.rstrip("\n") + ",gender,el\n"
    good = [f"{2000 + i},,Last{i},First{i},2008-03-04,11,1,,{'MFX'[i % 3]},{'YN'[i % 2]}\n"
            for i in range(500_000)]  # 24 MB: DuckDB splits it among threads
    bad = [5, 150_000, 260_000, 420_000, 499_999]
    for i in bad:
        good[i] = f"{2000 + i},,Last,,2008-03-04,11,1,,F,N\n"
    text = header + "".join(good[:5]) + "\n,,,,,,,,,\n" + "".join(good[5:])
    findings = rejected(ws, tmp_path, {"student": text})
    assert [f.row for f in findings if f.column == "first_name"] == [i + 1 for i in bad]


@pytest.mark.parametrize("pad", [" ", "\u00a0", "\u3000", "\u2009"])
@pytest.mark.parametrize("where", ["before", "after", "quoted", "line end"])
def test_values_padded_with_spaces_are_trimmed(ws, tmp_path, pad, where):
    """Only files where a value may begin or end with a space are trimmed (for speed); every
    kind of space DuckDB's trim() removes, wherever it sits, still gets the file trimmed."""
    row = {"before": f"1004,,{pad}Lee,Ann,2008-03-04,11,1,\n", "after": f"1004,,Lee{pad},Ann,2008-03-04,11,1,\n",
           "quoted": f'1004,,"{pad}Lee",Ann,2008-03-04,11,1,\n', "line end": f"1004,,Lee,Ann,2008-03-04,11,1,{pad}\n"}
    text = MINIMAL_EXPORT["student"].replace("\"Smith, Jr.\"", "Smith") + row[where]
    import_sis(write_export(tmp_path / "src", {"student": text}), ws)
    assert ("1004", "Lee", "Ann") in students(ws)
    with store.snapshot(ws) as con:
        assert con.execute("SELECT counselor_id FROM student WHERE student_id = '1004'").fetchone() == (None,)


def test_the_spaces_looked_for_are_the_ones_duckdb_trims():
    import duckdb

    from sislab.core.importer import WIDE_SPACE_LEADS

    trimmed = duckdb.sql("SELECT list(i) FROM range(1, 65536) t(i) WHERE (i < 55296 OR i > 57343) "
                         "AND trim(chr(i::INT) || 'x') = 'x'").fetchall()[0][0]
    assert 32 in trimmed
    assert [c for c in trimmed if c > 127 and chr(c).encode()[:2] not in WIDE_SPACE_LEADS] == []


def test_byte_scan_agrees_with_its_definition_across_chunk_boundaries(tmp_path, monkeypatch):
    """The first stray quote's line and mixed line endings are found whichever chunk boundary
    falls between the bytes that tell them (chunks of 7 bytes here)."""
    import random

    from sislab.core import importer

    monkeypatch.setattr(importer, "CHUNK", 7)
    pieces = [b"ab,c", b'"x,y"', b'O"B', b'""', b'a""b', b"\xc3\xa9", b",", b""]
    rng = random.Random(3)
    for trial in range(1500):
        data = b"".join(rng.choice(pieces) + rng.choice([b"\n", b"\r\n"]) for _ in range(rng.randint(0, 8)))
        path = tmp_path / f"{trial}.csv"
        path.write_bytes(data)
        scan = importer._scan(path)
        crlf = data.count(b"\r\n")
        assert scan.mixed_endings == (crlf > 0 and crlf != data.count(b"\n")), data
        stray = next((i for i in range(1, len(data) - 1) if data[i] == 0x22
                      and data[i - 1] not in b',"\r\n' and data[i + 1] not in b',"\r\n'), None)
        expected = None if stray is None else data.count(b"\n", 0, stray) + 1
        assert (scan.quote_line and scan.quote_line[0]) == expected, data


def test_required_value_blank(ws, tmp_path):
    text = STUDENT_HEADER + "1001,,Núñez,,2008-03-04,11,1,\n"
    f = one(rejected(ws, tmp_path, {"student": text}), file="student.csv", row=1, column="first_name")
    assert f.message == "value is required"


def test_unparseable_date(ws, tmp_path):
    text = STUDENT_HEADER + "1001,,Núñez,José,2008-02-30,11,1,\n"
    f = one(rejected(ws, tmp_path, {"student": text}), file="student.csv", row=1, column="birth_date")
    assert "'2008-02-30' is not a date" in f.message


def test_not_a_whole_number(ws, tmp_path):
    text = STUDENT_HEADER + "1001,,Núñez,José,2008-03-04,eleven,1,\n"
    one(rejected(ws, tmp_path, {"student": text}), file="student.csv", row=1, column="grade")


def test_number_out_of_range(ws, tmp_path):
    text = STUDENT_HEADER + "1001,,Núñez,José,2008-03-04,13,1,\n"
    f = one(rejected(ws, tmp_path, {"student": text}), file="student.csv", row=1, column="grade")
    assert "between -1 and 12" in f.message


def test_bad_boolean(ws, tmp_path):
    text = MINIMAL_EXPORT["course"].replace("c,N", "c,maybe")
    one(rejected(ws, tmp_path, {"course": text}), file="course.csv", row=2, column="honors")


def test_code_not_in_list(ws, tmp_path):
    text = MINIMAL_EXPORT["course"].replace("E11,English 11,b", "E11,English 11,h")
    f = one(rejected(ws, tmp_path, {"course": text}), file="course.csv", row=1, column="ag_area")
    assert "must be one of a, b, c" in f.message


def test_codes_are_matched_without_case(ws, tmp_path):
    import_sis(write_export(tmp_path / "src", {"course": MINIMAL_EXPORT["course"].replace(",b,", ",B,")}), ws)
    with store.snapshot(ws) as con:
        assert con.execute("SELECT ag_area FROM course WHERE course_id = 'E11'").fetchone()[0] == "b"


def test_bad_cds_code(ws, tmp_path):
    text = MINIMAL_EXPORT["school"].replace("01612590130001", "0161259013000")
    f = one(rejected(ws, tmp_path, {"school": text}), file="school.csv", row=1, column="cds_code")
    assert "14-digit CDS" in f.message


def test_bad_state_student_id(ws, tmp_path):
    text = MINIMAL_EXPORT["student"].replace("1234567890", "12345X7890")
    one(rejected(ws, tmp_path, {"student": text}), file="student.csv", row=1, column="state_id")


def test_bad_email(ws, tmp_path):
    text = MINIMAL_EXPORT["staff"].replace("ann.nguyen@example.org", "ann.nguyen(at)example")
    one(rejected(ws, tmp_path, {"staff": text}), file="staff.csv", row=1, column="email")


def test_duplicate_key(ws, tmp_path):
    text = STUDENT_HEADER + "1001,,A,B,2008-03-04,11,1,\n1002,,C,D,2008-03-04,11,1,\n1001,,E,F,2008-03-04,11,1,\n"
    f = one(rejected(ws, tmp_path, {"student": text}), file="student.csv", row=1, column="student_id")
    assert str(f) == "student.csv, row 1, column student_id: duplicate key '1001' (student_id) also in row(s) 3"
    assert f.others == (3,)  # apart from the message: a source tells them as its own records


def test_duplicate_compound_key_with_dates_in_two_formats(ws, tmp_path):
    text = MINIMAL_EXPORT["enrollment"] + "1001,1,C1,08/14/2024,,11,primary\n"
    one(rejected(ws, tmp_path, {"enrollment": text}), file="enrollment.csv", row=1)


def test_unknown_school_reference(ws, tmp_path):
    text = MINIMAL_EXPORT["enrollment"].replace("1003,2,", "1003,7,")
    f = one(rejected(ws, tmp_path, {"enrollment": text}), file="enrollment.csv", row=3, column="school_id")
    assert "'7' is not a school_id in school.csv" in f.message


def test_unknown_section_reference(ws, tmp_path):
    text = MINIMAL_EXPORT["roster"] + "109,1001,2024-08-14,\n"
    one(rejected(ws, tmp_path, {"roster": text}), file="roster.csv", row=3, column="section_id")


def test_end_date_before_start_date(ws, tmp_path):
    text = MINIMAL_EXPORT["term"].replace("2024-12-20", "2024-07-01")
    f = one(rejected(ws, tmp_path, {"term": text}), file="term.csv", row=1, column="end_date")
    assert "before start_date" in f.message


def test_a_level_outside_its_tests_range(ws, tmp_path):
    """CAASPP levels are 1-4, AP scores 1-5, IB 1-7: a CAASPP level 5 would count as 'met'."""
    text = ("student_id,test,subject,school_year,grade,level\n"
            "1001,CAASPP_ELA,ELA,2025,11,4\n1001,AP,Biology,2025,11,5\n1001,IB,Math,2025,11,7\n"
            "1002,CAASPP_MATH,Math,2025,11,5\n1002,AP,Biology,2025,11,6\n")
    findings = rejected(ws, tmp_path, {"test_score": text})
    assert [(f.row, f.column) for f in findings] == [(4, "level"), (5, "level")]
    assert "level 5 is outside 1..4 for test CAASPP_MATH" in findings[0].message


def test_a_caaspp_score_without_its_grade_loads_with_a_warning_naming_the_row(ws, tmp_path):
    """CCI counts grade-11 CAASPP scores only: one without a grade loads, and the import says
    it will not count (an AP score needs no grade)."""
    text = ("student_id,test,subject,school_year,grade,level\n"
            "1001,CAASPP_ELA,ELA,2025,11,4\n1001,AP,Biology,2025,,5\n1002,CAASPP_MATH,Math,2025,,3\n")
    report = import_sis(write_export(tmp_path / "src", {"test_score": text}), ws)
    warned = [f for f in report.warnings if f.file == "test_score.csv"]
    assert [(f.row, f.column) for f in warned] == [(3, "grade")]
    assert "not counted" in warned[0].message


def test_all_errors_of_a_file_are_collected(ws, tmp_path):
    text = STUDENT_HEADER + "".join(f"{1000 + i},,A,B,2008-99-04,11,1,\n" for i in range(30))
    findings = [f for f in rejected(ws, tmp_path, {"student": text}) if f.column == "birth_date"]
    assert [f.row for f in findings if f.row] == list(range(1, 21))
    assert "10 more rows" in findings[-1].message


def test_errors_in_several_files_are_reported_together(ws, tmp_path):
    findings = rejected(ws, tmp_path, {
        "course": MINIMAL_EXPORT["course"].replace(",b,", ",h,"),
        "term": MINIMAL_EXPORT["term"].replace("2024-12-20", "12/45/2024"),
    })
    assert {f.file for f in findings} >= {"course.csv", "term.csv"}


def test_rejected_import_is_recorded(ws, tmp_path):
    rejected(ws, tmp_path, {"student": None})
    con = store.app_state(ws)
    rows = con.execute("SELECT status, error_count FROM import_run ORDER BY import_id").fetchall()
    assert [tuple(r) for r in rows] == [("published", 0), ("rejected", 1)]


def test_district_file_must_hold_one_row(ws, tmp_path):
    text = MINIMAL_EXPORT["district"] + "0161260,Other Unified,CA,0161260\n"
    f = one(rejected(ws, tmp_path, {"district": text}), file="district.csv")
    assert "exactly one row, found 2" in f.message


def test_published_tables_are_exactly_the_model_ddl(ws):
    import duckdb

    from sislab.core import model

    def columns(con):  # the database file's tables (not a connection's temp tables)
        return con.execute("SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                           "WHERE table_catalog = current_database() ORDER BY table_name, ordinal_position").fetchall()

    fresh = duckdb.connect()
    fresh.execute(model.ddl())
    with store.snapshot(ws) as con:
        assert columns(con) == columns(fresh)


# --- silent loss: shrink guard, empty and missing files -------------------------------------


def test_shrinking_students_is_refused_with_counts_unless_accepted(ws, tmp_path):
    two = {"student": MINIMAL_EXPORT["student"].rsplit("1003,", 1)[0],
           "enrollment": MINIMAL_EXPORT["enrollment"].rsplit("1003,", 1)[0]}
    findings = rejected(ws, tmp_path, two)
    f = one(findings, file="student.csv")
    assert "from 3 rows to 2 (33% fewer; at most 10% allowed)" in f.message and "--accept-shrink" in f.message
    one(findings, file="enrollment.csv")
    import_sis(write_export(tmp_path / "accepted", two), ws, accept_shrink=True)
    assert [s[0] for s in students(ws)] == ["1001", "1002"]


def test_shrink_within_the_allowed_share_is_published(ws, tmp_path):
    two = {"student": MINIMAL_EXPORT["student"].rsplit("1003,", 1)[0],
           "enrollment": MINIMAL_EXPORT["enrollment"].rsplit("1003,", 1)[0]}
    import_sis(write_export(tmp_path / "src", two), ws, max_shrink=0.5)
    assert len(students(ws)) == 2


def test_header_only_required_file_is_an_error(ws, tmp_path):
    f = one(rejected(ws, tmp_path, {"student": STUDENT_HEADER}), file="student.csv", line=2)
    assert "required file holds only its header" in f.message


def test_header_only_or_missing_optional_file_warns_what_is_missing_downstream(ws, tmp_path):
    mark_header = "student_id,course_id,school_year,term_code,term_type,mark\n"
    report = import_sis(write_export(tmp_path / "src", {"roster": "section_id,student_id,start_date\n",
                                                        "mark": mark_header}), ws, accept_shrink=True)
    roster = one(report.warnings, file="roster.csv", line=2)
    assert "holds only its header" in roster.message and "CERS rosters" in roster.message
    assert "CCI" in one(report.warnings, file="mark.csv").message
    assert "missing from the import folder" in one(report.warnings, file="test_score.csv").message


SCORES = ("student_id,test,subject,school_year,grade,level\n"
          "1001,CAASPP_ELA,ELA,2025,11,4\n1002,CAASPP_MATH,Math,2025,11,3\n1003,AP,Biology,2025,11,5\n")


def scores(ws) -> list[tuple]:
    with store.snapshot(ws) as con:
        return con.execute("SELECT student_id, test FROM test_score ORDER BY 1, 2").fetchall()


def test_an_export_without_test_scores_keeps_the_current_ones(ws, tmp_path):
    """Scores often come from the state's files (`sislab import --scores`), not the SIS export:
    the nightly export without test_score.csv emptied them. It keeps them now, but for students
    the export no longer has; an export that has the file (even empty) replaces them."""
    import_sis(write_export(tmp_path / "with", {"test_score": SCORES}), ws)
    report = import_sis(write_export(tmp_path / "without"), ws)
    assert scores(ws) == [("1001", "CAASPP_ELA"), ("1002", "CAASPP_MATH"), ("1003", "AP")]
    assert "3 rows are kept" in one(report.warnings, file="test_score.csv").message
    without_1003 = {t: "".join(line for line in text.splitlines(keepends=True) if "1003" not in next(csv.reader([line])))
                    for t, text in MINIMAL_EXPORT.items()}  # the student left the district
    report = import_sis(write_export(tmp_path / "fewer", without_1003), ws, accept_shrink=True)
    assert scores(ws) == [("1001", "CAASPP_ELA"), ("1002", "CAASPP_MATH")]
    assert "1 of students no longer in the export are left out" in one(report.warnings, file="test_score.csv").message
    import_sis(write_export(tmp_path / "empty", {**without_1003, "test_score": SCORES.splitlines()[0] + "\n"}), ws)
    assert scores(ws) == []


def test_snapshot_of_the_last_successful_job_is_never_pruned(ws, tmp_path):
    from sislab.core import jobs

    used = ws.current_snapshot()
    assert jobs.run_per_school(ws, "test", "tester", ["1"], lambda school, progress: {}).status == "succeeded"
    for i in range(4):
        import_sis(write_export(tmp_path / f"src{i}"), ws)
    kept = sorted(p.name for p in ws.snapshots.glob("sis-*.duckdb"))
    assert used.name in kept and len(kept) == store.KEEP_SNAPSHOTS + 1


def test_app_state_of_an_older_version_is_migrated(tmp_path):
    import sqlite3

    ws = Workspace.locate(tmp_path / "old")
    old = sqlite3.connect(ws.app_db)
    old.executescript(
        "CREATE TABLE import_run (import_id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, "
        "user_name TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN "
        "('running', 'published', 'rejected', 'failed')), snapshot TEXT, row_counts TEXT, "
        "error_count INTEGER NOT NULL DEFAULT 0);"
        "INSERT INTO import_run (started_at, user_name, source, status) VALUES ('t', 'u', 's', 'running');"
        "CREATE TABLE job (job_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, user_name TEXT NOT NULL, "
        "scope TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, pid INTEGER, "
        "host TEXT, counts TEXT, error TEXT, notified TEXT);")
    old.close()
    con = store.app_state(ws)
    con.execute("UPDATE import_run SET status = 'died'")
    assert con.execute("SELECT status FROM import_run").fetchone()[0] == "died"
    assert "snapshot" in {r[1] for r in con.execute("PRAGMA table_info(job)")}


def test_concurrent_import_is_refused_in_one_line_with_exit_2(ws, tmp_path, capsys):
    from sislab.cli import main
    from sislab.core import locks

    with locks.hold(ws, "import", user="alice"):
        code = main(["--workspace", str(ws.root), "import", str(write_export(tmp_path / "src"))])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("sislab: an import is running since ") and " by alice " in err
    assert len(err.splitlines()) == 1


# --- lengths, folders, locks ---------------------------------------------------------------


def test_length_limit_counts_characters_not_bytes(ws, tmp_path):
    name = "é" * 200  # 400 bytes of UTF-8, 200 characters: at the limit
    text = MINIMAL_EXPORT["student"].replace("Núñez", name)
    import_sis(write_export(tmp_path / "src", {"student": text}), ws)
    assert ("1001", name, "José") in students(ws)
    f = one(rejected(ws, tmp_path, {"student": text.replace(name, name + "é")}), file="student.csv", row=1)
    assert f.column == "last_name" and "longer than 200 characters" in f.message


def test_private_dir_makes_every_new_folder_owner_only_whatever_the_umask(tmp_path):
    from sislab.core.workspace import private_dir

    previous = os.umask(0o022)
    try:
        private_dir(tmp_path / "results" / "cci" / "students" / "001")
    finally:
        os.umask(previous)
    for folder in ("results", "results/cci", "results/cci/students", "results/cci/students/001"):
        assert stat.S_IMODE(os.stat(tmp_path / folder).st_mode) == 0o700, folder


def test_stale_lock_files_are_cleared_but_held_ones_kept(ws):
    from sislab.core import locks

    stale = locks.lock_path(ws, "cci:school:001")
    stale.write_text('{"user": "killed"}')  # what a holder killed by -9 leaves: a file, no lock
    with locks.hold(ws, "cci:school:002", user="alive"):
        assert locks.clear_stale(ws) == 1
        assert not stale.exists()
        assert locks.holder(ws, "cci:school:002").user == "alive"


def test_an_import_from_cron_writes_only_its_summary(ws, tmp_path):
    """No terminal (cron, a pipe): stdout has the one-line summary and stderr only the warnings,
    so a nightly log holds what was said, not progress bars."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "sislab", "--workspace", str(ws.root), "import",
                           str(write_export(tmp_path / "src"))], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr and all(line.startswith("warning: ") for line in done.stderr.splitlines())
    assert "\r" not in done.stderr and "it/s" not in done.stderr
    assert done.stdout.startswith("imported ") and len(done.stdout.splitlines()) == 1
