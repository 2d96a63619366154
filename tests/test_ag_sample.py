"""The A-G job on the sample district: every kind of mismatch shows up, the transcript files
follow their layouts, parental opt-out is respected, and the CLI writes the files."""

from __future__ import annotations

import csv
import hashlib
from datetime import date

import duckdb
import pandas as pd
import pytest

from ag_fixtures import YEAR, empty_sis, insert, marks

from sislab.ag import check, job, transcripts
from sislab.cli import main
from sislab.core import store


def test_sample_district_has_every_kind_of_mismatch(sample_ws):
    report = job.alignment_report(sample_ws)
    assert set(report.worklist["reason"]) == {"NO_MATCH", "NOT_ON_LIST_THIS_YEAR", "SUBJECT_MISMATCH",
                                              "HONORS_MISMATCH", "AMBIGUOUS"}
    assert not report.not_taught.empty and not report.missing_flags.empty
    results = set(job.rates_table(report)["result"])
    assert {"pass", "fail", "n/a"} <= results


def test_transcript_layouts_have_the_published_column_counts():
    spec = transcripts.layouts()
    assert [len(spec[f]["columns"]) for f in transcripts.FILES] == [38, 18, 14]


def test_parental_opt_out_gets_no_transcript_rows(sample_ws):
    with store.snapshot(sample_ws) as con:
        frames = transcripts.transcripts(con, 2026).frames
        opted_out = {r[0] for r in con.execute("SELECT student_id FROM student WHERE parent_opt_out").fetchall()}
        opted_out_state = {r[0] for r in con.execute(
            "SELECT state_id FROM student WHERE parent_opt_out AND state_id IS NOT NULL").fetchall()}
    assert opted_out
    assert not opted_out & set(frames["student"]["LocalStudentID"])
    assert not opted_out_state & set(frames["course_grade"]["StateID"].dropna())
    assert len(frames["student"]) > 0 and len(frames["course_grade"]) > 0


def test_transcript_atp_placeholder_when_school_has_none():
    con = empty_sis()  # school 1 has no ATP code
    insert(con, "enrollment", [{"student_id": "S1", "school_id": "1", "calendar_id": "C1", "start_date": "2025-08-15",
                                "grade": 11, "enrollment_type": "primary"}])
    insert(con, "course", [{"course_id": "BI", "title": "Biology", "ag_area": "d"}])
    marks(con, "BI", 1)
    rows = transcripts.transcripts(con, YEAR).frames["course_grade"]
    assert list(rows["ATPCode"]) == ["111111"]


def test_cli_ag_check_and_transcripts_write_the_named_package(sample_ws, tmp_path, capsys):
    assert main(["ag", "check", "--out", str(tmp_path)]) == 0
    assert main(["ag", "transcripts", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "District" in out and "courses to fix" in out
    assert "A-G alignment 2025-26 (the newest year with marks)" in out
    assert "transcripts for 2026-27 (current school year)" in out
    with open(tmp_path / "ag_worklist.csv", newline="", encoding="utf-8") as f:
        assert {row["reason"] for row in csv.DictReader(f)} >= {"NO_MATCH", "AMBIGUOUS"}
    day = date.today().strftime("%Y%m%d")
    names = {f"SierraLakesUnifiedSchoolDistrict_{t}_{day}.csv" for t in
             ("StudentTemplate", "CourseGradeTemplate", "CourseCatalog", "ManifestTemplate")}
    assert names <= {p.name for p in tmp_path.iterdir()}
    assert not (tmp_path / "Student.csv").exists()
    with open(tmp_path / f"SierraLakesUnifiedSchoolDistrict_StudentTemplate_{day}.csv", newline="", encoding="utf-8") as f:
        assert next(csv.reader(f))[0] == "PrimaryCDSCode"
    assert (tmp_path / f"SierraLakesUnifiedSchoolDistrict_CourseCatalog_{day}.csv").stat().st_mode & 0o077 == 0


def test_manifest_lists_each_file_with_its_rows_and_checksum(sample_ws, tmp_path):
    run, paths = job.write_transcript_files(sample_ws, tmp_path)
    manifest = [p for p in paths if "_ManifestTemplate_" in p.name][0]
    with open(manifest, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["Template"] for r in rows] == ["StudentTemplate", "CourseGradeTemplate", "CourseCatalog"]
    for r in rows:
        data = (tmp_path / r["FileName"]).read_bytes()
        assert r["SHA256"] == hashlib.sha256(data).hexdigest()
        assert int(r["Rows"]) == len(data.decode("utf-8").splitlines()) - 1 > 0
        assert r["SchoolYear"] == "2027" and r["DistrictCDSCode"] == "1975309"


def test_default_transcript_year_is_the_current_school_year_with_all_history(sample_ws):
    """Every student enrolled in grades 9-12 this school year gets a record (not only those
    with marks in the newest year with marks), with marks from earlier years."""
    with store.snapshot(sample_ws) as con:
        run = transcripts.transcripts(con, today=date(2026, 11, 25))
        current = {r[0] for r in con.execute(
            "SELECT DISTINCT e.student_id FROM enrollment e JOIN calendar k USING (calendar_id) "
            "JOIN school s ON s.school_id = e.school_id JOIN student st ON st.student_id = e.student_id "
            "WHERE k.school_year = 2027 AND e.enrollment_type = 'primary' AND e.grade BETWEEN 9 AND 12 "
            "AND s.cds_code IS NOT NULL AND NOT coalesce(st.parent_opt_out, false)").fetchall()}
    assert run.school_year == 2027 and run.year_chosen == "current school year"
    assert set(run.frames["student"]["LocalStudentID"]) == current
    assert {"2024-2025", "2025-2026"} <= set(run.frames["course_grade"]["SchoolYear"])


def test_course_catalog_graduation_requirements_is_the_a_g_area():
    con = empty_sis()
    insert(con, "course", [{"course_id": "BI", "title": "Biology", "ag_area": "d"},
                           {"course_id": "PE", "title": "PE 9", "ag_area": None}])
    for c in ("BI", "PE"):
        insert(con, "section", [{"section_id": c, "school_id": "1", "course_id": c, "calendar_id": "C1"}])
    rows = transcripts.transcripts(con, YEAR).frames["course_catalog"]
    assert dict(zip(rows["CourseNumber"], rows["GraduationRequirements"].fillna(""))) == {"BI": "D", "PE": ""}


def test_preflight_names_students_without_state_id():
    con = empty_sis()  # S1 has no StateID
    insert(con, "student", [{"student_id": "S2", "state_id": "1234567890", "last_name": "C", "first_name": "D",
                             "birth_date": "2009-01-01", "grade": 11, "school_id": "1"}])
    insert(con, "enrollment", [{"student_id": s, "school_id": "1", "calendar_id": "C1", "start_date": "2025-08-15",
                                "grade": 11, "enrollment_type": "primary"} for s in ("S1", "S2")])
    insert(con, "course", [{"course_id": "BI", "title": "Biology", "ag_area": "d"}])
    marks(con, "BI", 2)
    preflight = transcripts.transcripts(con, YEAR).preflight
    assert preflight[["rule", "student_id", "course_grade_rows"]].values.tolist() == [["STATE_ID_BLANK", "S1", 2]]
    assert "StateID" in preflight["message"][0]


# ---- enrollments without a calendar ----------------------------------------------------------

def _sample_in_memory(ws) -> duckdb.DuckDBPyConnection:
    """A writable copy of the sample snapshot."""
    con = duckdb.connect()
    con.execute("ATTACH ? AS s (READ_ONLY)", [str(ws.current_snapshot())])
    con.execute("COPY FROM DATABASE s TO memory")
    con.execute("DETACH s")
    return con


def test_enrollments_without_calendar_are_placed_in_their_year_by_their_dates(sample_ws):
    """calendar_id is optional: the files are the same with it blank everywhere."""
    con = _sample_in_memory(sample_ws)
    given = transcripts.transcripts(con, today=date(2026, 12, 6))
    con.execute("UPDATE enrollment SET calendar_id = NULL")
    by_dates = transcripts.transcripts(con, today=date(2026, 12, 6))
    assert len(given.frames["student"]) > 800 and len(given.frames["course_grade"]) > 10000
    for name in transcripts.FILES:
        pd.testing.assert_frame_equal(by_dates.frames[name], given.frames[name])
    assert set(by_dates.preflight["rule"]) == {"STATE_ID_BLANK"}


def _terms(con, calendar_id: str) -> None:
    insert(con, "term", [{"calendar_id": calendar_id, "term_code": "S1", "term_type": "semester",
                          "start_date": "2025-08-15", "end_date": "2025-12-19"},
                         {"calendar_id": calendar_id, "term_code": "S2", "term_type": "semester",
                          "start_date": "2026-01-05", "end_date": "2026-06-05"}])


def test_enrollment_no_calendar_places_is_named_in_the_preflight():
    con = empty_sis()
    _terms(con, "C1")  # school 2's calendar has no terms: nothing dates it
    insert(con, "student", [{"student_id": "S2", "state_id": "1234567890", "last_name": "C", "first_name": "D",
                             "birth_date": "2009-01-01", "grade": 11, "school_id": "2"}])
    insert(con, "enrollment", [
        {"student_id": "S1", "school_id": "1", "start_date": "2025-08-20", "grade": 11, "enrollment_type": "primary"},
        {"student_id": "S2", "school_id": "2", "start_date": "2025-09-02", "grade": 11, "enrollment_type": "primary"},
        {"student_id": "S2", "school_id": "1", "start_date": "2026-06-20", "grade": 11, "enrollment_type": "primary"},
        {"student_id": "S2", "school_id": "1", "start_date": "2024-08-20", "end_date": "2025-06-01", "grade": 10,
         "enrollment_type": "primary"},  # another year's (July-June): not this year's concern
    ])
    insert(con, "course", [{"course_id": "BI", "title": "Biology", "ag_area": "d"}])
    insert(con, "mark", [{"student_id": "S2", "course_id": "BI", "school_id": "2", "school_year": YEAR,
                          "term_code": "S1", "term_type": "semester", "mark": "A"}])
    run = transcripts.transcripts(con, YEAR)
    assert list(run.frames["student"]["LocalStudentID"]) == ["S1"]
    unplaced = run.preflight[run.preflight["rule"] == "ENROLLMENT_NOT_PLACED"]
    assert unplaced[["student_id", "cds_code", "enrollment_start", "course_grade_rows"]].astype(str).values.tolist() == [
        ["S2", "01234560000002", "2025-09-02", "1"], ["S2", "01234560000001", "2026-06-20", "1"]]
    assert unplaced["message"].str.contains("calendar").all()


def test_no_students_writes_no_package(tmp_path):
    con = empty_sis()
    insert(con, "enrollment", [{"student_id": "S1", "school_id": "1", "start_date": "2025-08-20", "grade": 11,
                                "enrollment_type": "primary"}])  # C1 has no terms: the enrollment is in no year
    run = transcripts.transcripts(con, YEAR)
    assert run.frames["student"].empty and list(run.preflight["rule"]) == ["ENROLLMENT_NOT_PLACED"]
    with pytest.raises(transcripts.NoStudents, match="No students .* 1 students have an enrollment no calendar"):
        transcripts.write_package(run, tmp_path, "D", None)
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_an_empty_transcript_package(sample_ws, tmp_path, capsys):
    assert main(["ag", "transcripts", "--out", str(tmp_path), "--year", "2019"]) == 2
    assert "No students for the transcript files of 2018-19" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["ag_transcript_preflight.csv"]


def test_dual_enrollment_is_one_definition_for_the_universe_and_the_course_grade_indicator():
    """A course the A-G universe leaves out as dual enrolment is the one CourseGrade marks 'Y'."""
    con = empty_sis()
    insert(con, "enrollment", [{"student_id": "S1", "school_id": "1", "calendar_id": "C1", "start_date": "2025-08-15",
                                "grade": 11, "enrollment_type": "primary"}])
    insert(con, "course", [
        {"course_id": "BI", "title": "Biology", "transcript_abbrev": "BIO", "ag_area": "d"},
        {"course_id": "FLAG", "title": "College Biology", "transcript_abbrev": "CBIO", "ag_area": "d", "dual_credit": True},
        {"course_id": "L24", "title": "College English", "transcript_abbrev": "CENG", "ag_area": "b",
         "nonstandard_level": "24"},  # CALPADS 24 = dual credit, dual_credit left blank
        {"course_id": "L23", "title": "College Math", "transcript_abbrev": "CMATH", "ag_area": "c",
         "nonstandard_level": "23", "dual_credit": False},
    ])
    for course in ("BI", "FLAG", "L24", "L23"):
        marks(con, course, 1)
    universe = set(check(con, YEAR).courses["course_id"])
    grades = transcripts.transcripts(con, YEAR).frames["course_grade"]
    indicator = dict(zip(grades["LocalCourseID"], grades["DualEnrollmentIndicator"]))
    assert universe == {"BI"}
    assert indicator == {"BI": "N", "FLAG": "Y", "L24": "Y", "L23": "Y"}
