"""Tiny in-memory Illinois districts for the IL SCA tests: insert just the rows a case needs.

Defaults: district RCDTS 340490250260000; schools 001 (HS) and 002 (HS) with RCDTS ...0001 /
...0002; calendars C1 (school 001) and C2 (school 002) for 2026-27 with semesters S1 (state
term 01) and S2 (02), and SU (school 001's summer school, one term SU without a state code).
A course is general level (02) and gets a state-reported semester task SEM (credit 0.50, term mask S1+S2, score group
LET that maps to state grades) unless told otherwise.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sislab import ilsca
from sislab.ilsca import report
from sislab.core import model, store
from sislab.core.workspace import Workspace

DISTRICT_RCDTS = "340490250260000"
RCDTS = {"001": "340490250260001", "002": "340490250260002"}
START, END = "2026-08-12", "2027-06-05"
TERMS = {"C1": [("S1", "01", "2026-08-12", "2026-12-18"), ("S2", "02", "2027-01-06", "2027-06-05")],
         "C2": [("S1", "01", "2026-08-12", "2026-12-18"), ("S2", "02", "2027-01-06", "2027-06-05")],
         "SU": [("SU", None, "2027-06-15", "2027-07-17")]}
CALENDAR_SCHOOL = {"C1": "001", "C2": "002", "SU": "001"}


class Sis:
    """An in-memory DuckDB with the model's tables and helpers that add one fact each."""

    def __init__(self, district_rcdts: str | None = DISTRICT_RCDTS):
        self.con = duckdb.connect()
        self.con.execute(model.ddl())
        self.insert("district", district_id="D", name="Lake District 7", state="IL", rcdts=district_rcdts)
        for school_id, rcdts in RCDTS.items():
            self.insert("school", school_id=school_id, name=f"School {school_id}", rcdts=rcdts, school_type="HS",
                        low_grade=0, high_grade=12)
        for calendar_id, terms in TERMS.items():
            self.insert("calendar", calendar_id=calendar_id, school_id=CALENDAR_SCHOOL[calendar_id],
                        school_year=2027, name=calendar_id, summer=calendar_id == "SU")
            for code, state_code, start, end in terms:
                self.insert("term", calendar_id=calendar_id, term_code=code, term_type="summer" if code == "SU"
                            else "semester", state_term_code=state_code, start_date=start, end_date=end)
        self.insert("score_group", score_group_id="LET", score="A", state_grade="A")
        self.insert("score_group", score_group_id="LET", score="B", state_grade="B")
        self.insert("score_group", score_group_id="UNMAPPED", score="A", state_grade=None)

    def insert(self, table: str, **values) -> None:
        names = list(values)
        self.con.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                         [values[n] for n in names])

    def course(self, course_id: str = "C100", task: bool = True, credit: float | None = 0.5,
               mask: tuple[str, ...] = ("S1", "S2"), **kw) -> str:
        values = {"title": f"Course {course_id}", "state_course_code": "01001A000", "course_level": "02", **kw}
        self.insert("course", course_id=course_id, **values)
        if task:
            self.task(course_id, "SEM", credit=credit, mask=mask)
        return course_id

    def task(self, course_id: str, task_id: str, credit: float | None = None, mask: tuple[str, ...] = ("S1", "S2"),
             state_reported: bool = True, score_group_id: str = "LET") -> None:
        self.insert("grading_task", course_id=course_id, task_id=task_id, name=task_id, state_reported=state_reported,
                    credit=credit, score_group_id=score_group_id)
        for term in mask:
            self.insert("grading_task_term", course_id=course_id, task_id=task_id, term_code=term)

    def section(self, section_id: str, course_id: str = "C100", calendar_id: str = "C1",
                terms: tuple[str, ...] = ("S1", "S2")) -> str:
        self.insert("section", section_id=section_id, school_id=CALENDAR_SCHOOL[calendar_id], course_id=course_id,
                    calendar_id=calendar_id)
        for term in terms:
            self.insert("section_term", section_id=section_id, term_code=term)
        return section_id

    def student(self, student_id: str = "S1", state_id: str | None = "123456789", grade: int = 9,
                enroll: bool = True, **kw) -> str:
        values = {"last_name": "Doe", "first_name": "Jan", "birth_date": "2011-03-04", **kw}
        self.insert("student", student_id=student_id, state_id=state_id, grade=grade, school_id="001", **values)
        if enroll:
            self.enroll(student_id, grade=grade)
        return student_id

    def enroll(self, student_id: str, calendar_id: str = "C1", start: str = START, end: str | None = None,
               grade: int = 9, enrollment_type: str = "primary", single_parent: bool = False,
               displaced_homemaker: bool = False, home_rcdts: str | None = None,
               serving_rcdts: str | None = None) -> None:
        self.insert("enrollment", student_id=student_id, school_id=CALENDAR_SCHOOL[calendar_id],
                    calendar_id=calendar_id, start_date=start, end_date=end, grade=grade,
                    enrollment_type=enrollment_type, single_parent=single_parent,
                    displaced_homemaker=displaced_homemaker, home_rcdts=home_rcdts, serving_rcdts=serving_rcdts)

    def take(self, student_id: str, section_id: str, start: str = START, end: str | None = None,
             schedule_start: str | None = None, posted: tuple[str, ...] = ("S1",), task_id: str = "SEM") -> None:
        """The student on the section's roster, with the task's grade posted in `posted` terms."""
        self.insert("roster", section_id=section_id, student_id=student_id, start_date=start, end_date=end,
                    schedule_start_date=schedule_start)
        for term in posted:
            self.insert("posted_grade", student_id=student_id, section_id=section_id, task_id=task_id,
                        term_code=term, score="A")

    def rows(self, calendars=("C1", "C2", "SU"), start="081226", end="121826", **choices):
        """The extract's records in file order (file fields in layout order, as written, plus
        helper columns)."""
        ilsca.build(self.con, ilsca.request(start=start, end=end, calendars=calendars, **choices))
        return self.con.execute(f"SELECT * FROM ilsca_record ORDER BY {report.LINE_ORDER}").df()

    def simple(self, student_id: str = "S1", section_id: str = "SEC1", **course_kw) -> None:
        """One student in one year-long section of one course (the base of most cases)."""
        self.course(**course_kw)
        self.section(section_id)
        self.student(student_id)
        self.take(student_id, section_id)

    def publish(self, root: Path) -> Workspace:
        """A workspace under `root` whose current snapshot is this database (closed here)."""
        ws = Workspace(root / "workspace", root / "reports")
        ws.ensure()
        path = ws.tmp / "built.duckdb"
        self.con.execute(f"ATTACH '{path}' AS built")
        self.con.execute("COPY FROM DATABASE memory TO built")
        self.con.close()
        store.publish_snapshot(ws, path)
        return ws
