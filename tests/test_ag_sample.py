"""The A-G job on the sample district: every kind of mismatch shows up, the transcript files
follow their layouts, parental opt-out is respected, and the CLI writes the files."""

from __future__ import annotations

import csv

from ag_fixtures import YEAR, empty_sis, insert, marks

from sislab.ag import job, transcripts
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
        frames = transcripts.transcript_frames(con, 2026)
        opted_out = {r[0] for r in con.execute("SELECT student_id FROM student WHERE parent_opt_out").fetchall()}
        opted_out_state = {r[0] for r in con.execute(
            "SELECT state_id FROM student WHERE parent_opt_out AND state_id IS NOT NULL").fetchall()}
    assert opted_out
    assert not opted_out & set(frames["Student.csv"]["LocalStudentID"])
    assert not opted_out_state & set(frames["CourseGrade.csv"]["StateID"].dropna())
    assert len(frames["Student.csv"]) > 0 and len(frames["CourseGrade.csv"]) > 0


def test_transcript_atp_placeholder_when_school_has_none():
    con = empty_sis()  # school 1 has no ATP code
    insert(con, "enrollment", [{"student_id": "S1", "school_id": "1", "calendar_id": "C1", "start_date": "2025-08-15",
                                "grade": 11, "enrollment_type": "primary"}])
    insert(con, "course", [{"course_id": "BI", "title": "Biology", "ag_area": "d"}])
    marks(con, "BI", 1)
    rows = transcripts.transcript_frames(con, YEAR)["CourseGrade.csv"]
    assert list(rows["ATPCode"]) == ["111111"]


def test_cli_ag_check_and_transcripts_write_files(sample_ws, tmp_path, capsys):
    assert main(["ag", "check", "--out", str(tmp_path)]) == 0
    assert main(["ag", "transcripts", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "District" in out and "courses to fix" in out
    with open(tmp_path / "ag_worklist.csv", newline="", encoding="utf-8") as f:
        assert {row["reason"] for row in csv.DictReader(f)} >= {"NO_MATCH", "AMBIGUOUS"}
    with open(tmp_path / "Student.csv", newline="", encoding="utf-8") as f:
        assert next(csv.reader(f))[0] == "PrimaryCDSCode"
    assert (tmp_path / "CourseCatalog.csv").stat().st_mode & 0o077 == 0
