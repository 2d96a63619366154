"""Tiny in-memory SIS databases for CCI tests: insert just the rows a case needs."""

from __future__ import annotations

import itertools

import duckdb

from sislab.core import model

CLASS = 2025  # rule set 2025 scores the Class of 2025
SCHOOL = "1"


class Sis:
    """An in-memory DuckDB with the model's tables and helpers that add one fact each."""

    def __init__(self):
        self.con = duckdb.connect()
        self.con.execute(model.ddl())
        self._terms = itertools.count(1)
        self._schools: set[str] = set()

    def insert(self, table: str, **values) -> None:
        names = list(values)
        self.con.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                         [values[n] for n in names])

    def school(self, school_id: str = SCHOOL) -> str:
        if school_id not in self._schools:
            self._schools.add(school_id)
            self.insert("school", school_id=school_id, name=f"School {school_id}", school_type="HS",
                        low_grade=9, high_grade=12)
        return school_id

    def student(self, student_id: str, school_id: str = SCHOOL, **flags) -> str:
        self.insert("student", student_id=student_id, last_name="Doe", first_name=student_id,
                    birth_date="2007-01-01", grade=12, school_id=self.school(school_id), **flags)
        return student_id

    def graduate(self, student_id: str, cohort_year: int = CLASS, school_id: str = SCHOOL,
                 outcome: str = "regular_diploma", completion_year: int | None = None,
                 ag_met: bool = False, outcome_date: str | None = None, ever_el: bool | None = None,
                 ever_swd: bool | None = None, **flags) -> str:
        """A cohort member (a regular-diploma graduate of `cohort_year` unless told otherwise)."""
        self.student(student_id, school_id, **flags)
        if completion_year is None and outcome.endswith("diploma"):
            completion_year = cohort_year
        self.insert("cohort", student_id=student_id, cohort_year=cohort_year, school_id=school_id,
                    outcome=outcome, completion_year=completion_year, ag_met=ag_met, outcome_date=outcome_date,
                    ever_el=ever_el, ever_swd=ever_swd)
        return student_id

    def sbac(self, student_id: str, ela: int | None = None, math: int | None = None, grade: int = 11,
             school_year: int = CLASS - 1) -> None:
        for test, subject, level in (("CAASPP_ELA", "ELA", ela), ("CAASPP_MATH", "Math", math)):
            if level is not None:
                self.insert("test_score", student_id=student_id, test=test, subject=subject,
                            school_year=school_year, grade=grade, level=level)

    def exam(self, student_id: str, test: str, subject: str, level: int, school_year: int = CLASS) -> None:
        self.insert("test_score", student_id=student_id, test=test, subject=subject,
                    school_year=school_year, grade=12, level=level)

    def course(self, course_id: str, **kw) -> str:
        if not self.con.execute("SELECT 1 FROM course WHERE course_id = ?", [course_id]).fetchone():
            self.insert("course", course_id=course_id, title=course_id, **kw)
        return course_id

    def mark(self, student_id: str, course_id: str, mark: str = "B", term_type: str = "semester",
             school_year: int = CLASS, credits_earned: float | None = 5.0,
             college_credits: float | None = None) -> None:
        self.insert("mark", student_id=student_id, course_id=course_id, school_year=school_year,
                    term_code=f"T{next(self._terms)}", term_type=term_type, mark=mark,
                    credits_earned=credits_earned, college_credits=college_credits)

    def college(self, student_id: str, terms: int = 1, mark: str = "B", term_type: str = "semester",
                pathway: str | None = None, school_year: int = CLASS, level: str = "24",
                college_credits: float | None = 3.0, credits_earned: float | None = 5.0) -> None:
        """`terms` college-course marks (dual credit by default), each its own term."""
        course = self.course(f"COL-{level}-{pathway}", nonstandard_level=level, cte_pathway=pathway)
        for _ in range(terms):
            self.mark(student_id, course, mark, term_type, school_year, credits_earned, college_credits)

    def ap_course(self, student_id: str, course_id: str = "AP-BIO", mark: str = "B") -> None:
        self.mark(student_id, self.course(course_id, ap=True), mark)

    def cte(self, student_id: str, pathway: str = "HLT", capstone_mark: str | None = "C-",
            school_year: int = CLASS) -> None:
        self.insert("cte_completion", student_id=student_id, pathway_code=pathway,
                    school_year=school_year, capstone_mark=capstone_mark)

    def award(self, student_id: str, award: str, school_year: int = CLASS, years: int | None = None) -> None:
        self.insert("award", student_id=student_id, award=award, school_year=school_year, years=years)

    def wbl(self, student_id: str, wbl_type: str, school_year: int = CLASS) -> None:
        """Work-based learning of a CALPADS type ("25" registered pre-apprenticeship, ...)."""
        self.insert("work_based_learning", student_id=student_id, wbl_type=wbl_type, school_year=school_year)

    def school_year(self, year: int, school_id: str = SCHOOL) -> None:
        """A regular calendar of school year `year` (end year): August to early June."""
        calendar_id = f"{school_id}-{year}"
        self.insert("calendar", calendar_id=calendar_id, school_id=self.school(school_id), school_year=year,
                    name=f"{year - 1}-{year % 100:02d}", summer=False)
        self.insert("term", calendar_id=calendar_id, term_code="S1", term_type="semester",
                    start_date=f"{year - 1}-08-12", end_date=f"{year - 1}-12-18")
        self.insert("term", calendar_id=calendar_id, term_code="S2", term_type="semester",
                    start_date=f"{year}-01-06", end_date=f"{year}-06-05")


def cohort(sis: Sis, prepared: int, others: int, school_id: str = SCHOOL, cohort_year: int = CLASS,
           prefix: str = "s", **flags) -> None:
    """`prepared` graduates Prepared by SBAC (P2) and `others` graduates Not Prepared."""
    for i in range(prepared + others):
        sid = sis.graduate(f"{prefix}{school_id}-{cohort_year}-{i}", cohort_year, school_id, **flags)
        if i < prepared:
            sis.sbac(sid, 3, 3, school_year=cohort_year - 1)
