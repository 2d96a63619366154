"""Tiny in-memory SIS databases for CERS tests: schools, terms, staff, sections and students."""

from __future__ import annotations

from datetime import date

import duckdb

from sislab.core import model

AS_OF = date(2026, 11, 25)  # school year 2026-27 -> 2027
YEAR = 2027
TERMS = {"S1": ("2026-08-12", "2026-12-18"), "S2": ("2027-01-06", "2027-06-05")}


class CersSis:
    """An in-memory DuckDB with the model's tables and helpers that add one fact each."""

    def __init__(self):
        self.con = duckdb.connect()
        self.con.execute(model.ddl())
        self._next = 1

    def insert(self, table: str, **values) -> None:
        names = list(values)
        self.con.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                         [values[n] for n in names])

    def school(self, school_id: str = "001", cds: str | None = None, school_type: str = "HS",
               tracks_primary: bool = False, flex: bool = False, active: bool = True) -> str:
        self.insert("school", school_id=school_id, name=f"School {school_id}", school_type=school_type,
                    cds_code=cds if cds is not None else f"1975309{int(school_id):07d}", low_grade=-1,
                    high_grade=12, tracks_primary_classes=tracks_primary, flex_schedule=flex, active=active)
        self.insert("calendar", calendar_id=f"{school_id}-{YEAR}", school_id=school_id, school_year=YEAR, name="Regular")
        for code, (start, end) in TERMS.items():
            self.insert("term", calendar_id=f"{school_id}-{YEAR}", term_code=code, term_type="semester",
                        start_date=start, end_date=end)
        return school_id

    def staff(self, staff_id: str, last: str = "Smith", first: str = "Ann", email: str | None = "default",
              seid: str | None = "1234567", active: bool = True, counselor: bool = False) -> str:
        self.insert("staff", staff_id=staff_id, last_name=last, first_name=first,
                    email=f"{staff_id.lower()}@district.org" if email == "default" else email,
                    state_educator_id=seid, active=active, is_counselor=counselor)
        return staff_id

    def course(self, course_id: str, title: str | None = None, subject_area: str = "ELA",
               department: str = "English") -> str:
        if not self.con.execute("SELECT 1 FROM course WHERE course_id = ?", [course_id]).fetchone():
            self.insert("course", course_id=course_id, title=title or f"Course {course_id}",
                        subject_area=subject_area, department=department)
        return course_id

    def section(self, section_id: str, school_id: str = "001", course_id: str = "ELA9", teachers=("T1",),
                period: str | None = "1", terms=("S1",), primary_class: bool = False, homeroom: bool = False,
                co_teachers=()) -> str:
        self.course(course_id)
        self.insert("section", section_id=section_id, school_id=school_id, course_id=course_id,
                    calendar_id=f"{school_id}-{YEAR}", period=period, primary_class=primary_class, homeroom=homeroom)
        for term in terms:
            self.insert("section_term", section_id=section_id, term_code=term)
        for i, staff_id in enumerate(tuple(teachers) + tuple(co_teachers)):
            self.insert("section_staff", section_id=section_id, staff_id=staff_id, primary_teacher=i == 0)
        return section_id

    def students(self, n: int, school_id: str = "001", grade: int = 9, ssid: bool = True,
                 counselor: str | None = None) -> list[str]:
        first = self._next
        self._next += n
        ids = [f"S{i:06d}" for i in range(first, first + n)]
        self.con.execute(
            "INSERT INTO student (student_id, state_id, last_name, first_name, birth_date, grade, school_id,"
            " counselor_id) SELECT 'S' || lpad(i::VARCHAR, 6, '0'), CASE WHEN $ssid THEN lpad(i::VARCHAR, 10, '0') END,"
            " 'LS' || lpad(i::VARCHAR, 6, '0'), 'F', DATE '2011-01-01', $grade, $school, $counselor"
            " FROM range($first, $last) t(i)",
            {"ssid": ssid, "grade": grade, "school": school_id, "counselor": counselor, "first": first,
             "last": first + n})
        self.con.execute(
            "INSERT INTO enrollment (student_id, school_id, calendar_id, start_date, grade, enrollment_type)"
            " SELECT unnest($ids), $school, $calendar, DATE '2026-08-12', $grade, 'primary'",
            {"ids": ids, "school": school_id, "calendar": f"{school_id}-{YEAR}", "grade": grade})
        return ids

    def roster(self, section_id: str, student_ids: list[str], end_date: str | None = None) -> None:
        self.con.execute("INSERT INTO roster (section_id, student_id, start_date, end_date)"
                         " SELECT $section, unnest($ids), DATE '2026-08-12', $end::DATE",
                         {"section": section_id, "ids": list(student_ids), "end": end_date})

    def rows(self) -> list[tuple]:
        """The built file's rows (six CERS columns), in file order."""
        return self.con.execute("SELECT group_name, school_natural_id, school_year, subject_code, student_ssid,"
                                " group_user_login FROM cers_row ORDER BY row_no").fetchall()

    def groups(self) -> dict[str, tuple[int, list[str]]]:
        """{group name: (student rows, sorted logins)}."""
        out: dict[str, tuple[int, list[str]]] = {}
        for name, _, _, _, ssid, login in self.rows():
            students, logins = out.get(name, (0, []))
            out[name] = (students + (ssid is not None), sorted(logins + ([login] if login else [])))
        return out


def section_class(n: int, sis: CersSis | None = None, **kw) -> CersSis:
    """One school, teacher T1, one section with `n` students."""
    sis = sis or CersSis()
    sis.school("001")
    sis.staff("T1", "Smith", "Ann")
    sis.section("100", **kw)
    sis.roster("100", sis.students(n))
    return sis
