"""A tiny SIS in memory for A-G tests: one high school, one year, courses and list entries per case."""

from __future__ import annotations

import duckdb

from sislab.core import model

YEAR = 2026


def empty_sis() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(model.ddl())
    insert(con, "district", [{"district_id": "D", "name": "D", "state": "CA"}])
    insert(con, "school", [
        {"school_id": "1", "name": "North", "school_type": "HS", "low_grade": 9, "high_grade": 12, "cds_code": "01234560000001"},
        {"school_id": "2", "name": "South", "school_type": "HS", "low_grade": 9, "high_grade": 12, "cds_code": "01234560000002"},
    ])
    insert(con, "calendar", [{"calendar_id": f"C{s}", "school_id": s, "school_year": YEAR, "name": "x"} for s in "12"])
    insert(con, "student", [{"student_id": "S1", "last_name": "A", "first_name": "B", "birth_date": "2009-01-01",
                             "grade": 11, "school_id": "1"}])
    return con


def insert(con, table: str, rows: list[dict]) -> None:
    cols = [c.name for c in model.table(table).columns]
    con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})",
                    [[r.get(c) for c in cols] for r in rows])


def taught(con, course_id: str, title: str, abbrev: str | None, area: str | None, honors: bool = False,
           school: str = "1", **course) -> None:
    """A course with one section of one student at `school` in YEAR."""
    if not con.execute("SELECT 1 FROM course WHERE course_id = ?", [course_id]).fetchone():
        insert(con, "course", [{"course_id": course_id, "title": title, "transcript_abbrev": abbrev,
                                "ag_area": area, "honors": honors, **course}])
    section = f"{school}-{course_id}"
    insert(con, "section", [{"section_id": section, "school_id": school, "course_id": course_id, "calendar_id": f"C{school}"}])
    insert(con, "roster", [{"section_id": section, "student_id": "S1", "start_date": "2025-08-15"}])


def listed(con, uc_id: str, title: str, area: str, codes: list[str], honors: bool = False, status: str = "approved",
           first_year: int = 2020, last_year: int | None = None, school: str = "1", code_type: str = "abbreviation") -> None:
    insert(con, "ag_list", [{"school_id": school, "uc_course_id": uc_id, "title": title, "ag_area": area,
                             "honors": honors, "status": status, "first_year": first_year, "last_year": last_year}])
    insert(con, "ag_list_code", [{"school_id": school, "uc_course_id": uc_id, "code": c, "code_type": code_type}
                                 for c in codes])


def marks(con, course_id: str, n: int, school: str = "1", in_district: bool = True) -> None:
    """n marks in YEAR (term codes T1..Tn keep the key unique)."""
    insert(con, "mark", [{"student_id": "S1", "course_id": course_id, "school_id": school, "school_year": YEAR,
                          "term_code": f"T{i}", "term_type": "semester", "mark": "A", "in_district": in_district}
                         for i in range(n)])
