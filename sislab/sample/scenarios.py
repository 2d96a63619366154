"""Hand-made scenario students (scenarios.toml) expanded into rows of the model's tables.

Each scenario is the smallest record that shows one indicator rule or one messy case; the
bulk generator never uses ids of the 900000 range, so scenarios cannot collide with it.
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources

_DATA = tomllib.loads(resources.files(__package__).joinpath("scenarios.toml").read_text(encoding="utf-8"))

# case name -> student id, e.g. SCENARIOS["P2_SBAC_3_3"] == "900006"
SCENARIOS: dict[str, str] = {s["case"]: s["id"] for s in _DATA["student"]}
# case name -> what it exercises
NOTES: dict[str, str] = {s["case"]: s["note"] for s in _DATA["student"]}

TERM_TYPES = {"S": "semester", "T": "trimester", "Q": "quarter", "Y": "year", "SU": "summer"}
_SCALE_BASE = 2300  # CAASPP scale score = base + 100 x level + a few points


def term_dates(text: str) -> tuple[int, int, int]:
    """'08-12-1' -> (8, 12, -1): month, day, year offset from the school (end) year."""
    parts = [int(p) for p in text.split("-")]
    return parts[0], parts[1], -parts[2] if len(parts) == 3 else 0


def _day(year: int, mdo: tuple[int, int, int]) -> date:
    return date(year + mdo[2], mdo[0], mdo[1])


def scenario_rows(config: dict, sections: dict, courses: dict) -> dict[str, list[dict]]:
    """Rows per table for every scenario student plus the explicit `[[row.<table>]]` rows."""
    rows: dict[str, list[dict]] = {name: list(r) for name, r in _DATA.get("row", {}).items()}
    context = _Context(config, sections, courses)
    for spec in _DATA["student"]:
        for table, table_rows in context.student(spec).items():
            rows.setdefault(table, []).extend(table_rows)
    return rows


class _Context:
    def __init__(self, config: dict, sections: dict, courses: dict):
        self.config, self.sections, self.courses = config, sections, courses
        self.current = config["current_year"]
        self.today = config["today"]
        self.kinds = {k["kind"]: k for k in config["kind"]}

    def student(self, s: dict) -> dict[str, list[dict]]:
        cls, school = s["class"], s.get("school", "001")
        outcome = s.get("outcome", "regular_diploma")
        last_year = self.current if cls >= self.current or outcome in ("still_enrolled", "none") else \
            cls - 1 if outcome == "dropout" else s.get("completion", cls)
        out = {"student": [self._student_row(s, cls, school, last_year)],
               "enrollment": self._enrollments(s, cls, school, last_year),
               "test_score": self._scores(s, cls), "award": [], "mark": [], "roster": [], "cte_completion": []}
        if outcome != "none":
            completed = outcome not in ("dropout", "still_enrolled")
            out["cohort"] = [{"student_id": s["id"], "cohort_year": cls, "school_id": school, "outcome": outcome,
                              "completion_year": last_year if completed else None,
                              "outcome_date": date.fromisoformat(s.get("outcome_date", f"{last_year}-06-05"))
                              if completed else None,
                              "ag_met": s.get("ag_met", False), "ever_el": s.get("ever_el", s.get("el", False)),
                              "ever_swd": s.get("swd", False)}]
        for award, year, years in s.get("awards", []):
            out["award"].append({"student_id": s["id"], "award": award, "school_year": year, "years": years or None})
        out["work_based_learning"] = [{"student_id": s["id"], "wbl_type": wbl_type, "school_year": year}
                                      for wbl_type, year in s.get("wbl", [])]
        marks = list(s.get("marks", []))
        if "cte" in s:
            pathway, year, mark = s["cte"]
            capstone = next(cid for cid, c in self.courses.items()
                            if c.get("cte_pathway") == pathway and c.get("cte_capstone"))
            marks += [f"{capstone}:S1:{year}:{mark}", f"{capstone}:S2:{year}:{mark}"]
            out["cte_completion"].append({"student_id": s["id"], "pathway_code": pathway, "school_year": year,
                                          "capstone_course_id": capstone, "capstone_mark": mark})
        for text in marks:
            self._mark(s["id"], cls, school, text, out)
        for section_id, start, end in s.get("rosters", []):
            out["roster"].append({"student_id": s["id"], "section_id": section_id,
                                  "start_date": date.fromisoformat(start),
                                  "end_date": date.fromisoformat(end) if end else None})
        return out

    def _student_row(self, s: dict, cls: int, school: str, last_year: int) -> dict:
        number = int(s["id"])
        protected = s.get("protected", [None, None])
        return {
            "student_id": s["id"], "state_id": s.get("state_id", f"{8800000000 + number}"),
            "last_name": s["last"], "first_name": s["first"], "middle_name": s.get("middle"),
            "protected_last_name": protected[0], "protected_first_name": protected[1],
            "birth_date": date(cls - 19, 9, 1 + number % 28), "gender": s.get("gender", "X" if number % 17 == 0 else
                                                                             "F" if number % 2 else "M"),
            "grade": min(12, 12 - (cls - last_year)), "school_id": school, "counselor_id": f"C{school}1",
            "email": f"s{s['id']}@students.{self.config['district']['email_domain']}",
            "hispanic": number % 3 == 0, "race_code": "700", "el": s.get("el", False), "ltel": False, "sed": number % 2 == 0,
            "swd": s.get("swd", False), "foster": False, "homeless": False, "parent_opt_out": False,
        }

    def _school_in(self, school: str, grade: int) -> str:
        """Students of a school that starts above their grade took that grade at North High."""
        kind = self.kinds[int(school) % 10]
        return school if grade >= kind["grades"][0] else "001"

    def _enrollments(self, s: dict, cls: int, school: str, last_year: int) -> list[dict]:
        if "enrollments" in s:
            return [{"student_id": s["id"], "school_id": sch, "calendar_id": f"{sch}-{self.current}",
                     "start_date": date.fromisoformat(start), "end_date": date.fromisoformat(end) if end else None,
                     "grade": grade, "enrollment_type": etype, "single_parent": sp, "displaced_homemaker": dh}
                    for sch, start, end, grade, etype, sp, dh in s["enrollments"]]
        semester = self.config["term_sets"]["semester"]
        rows = []
        for year in range(max(self.config["first_year"], cls - 3), last_year + 1):
            grade = min(12, 12 - (cls - year))
            sch = self._school_in(school, grade)
            rows.append({"student_id": s["id"], "school_id": sch, "calendar_id": f"{sch}-{year}",
                         "start_date": _day(year, term_dates(semester[0][3])),
                         "end_date": _day(year, term_dates(semester[-1][4])) if year < self.current else None,
                         "grade": grade, "enrollment_type": "primary",
                         "single_parent": False, "displaced_homemaker": False})
        return rows

    def _scores(self, s: dict, cls: int) -> list[dict]:
        rows = []
        for test, subject, key in (("CAASPP_ELA", "ELA", "ela"), ("CAASPP_MATH", "Math", "math")):
            if key in s:
                rows.append({"student_id": s["id"], "test": test, "subject": subject, "school_year": cls - 1,
                             "grade": 11, "scale_score": _SCALE_BASE + 100 * s[key] + 42, "level": s[key]})
        for test in ("ap", "ib"):
            for subject, year, score in s.get(test, []):
                rows.append({"student_id": s["id"], "test": test.upper(), "subject": subject, "school_year": year,
                             "grade": 12 - (cls - year), "scale_score": None, "level": score})
        return rows

    def _mark(self, student_id: str, cls: int, school: str, text: str, out: dict) -> None:
        course, term, year_text, mark, *hs_only = text.split(":")
        year = int(year_text)
        grade = min(12, 12 - (cls - year))
        sch = self._school_in(school, grade)
        kind = int(sch) % 10
        plan = self.sections.get((kind, course))
        if plan is None or term not in plan["terms"] or not plan["y_from"] <= year <= plan["y_to"]:
            raise ValueError(f"scenario {student_id}: course {course} term {term} is not offered at {sch} in {year}")
        section_id = f"{year % 100:02d}{sch}{course}01"
        credits = self.courses[course].get("credits") or None
        failed = mark in ("F", "NP", "W", "I")
        out["mark"].append({
            "student_id": student_id, "course_id": course, "school_id": sch, "section_id": section_id,
            "school_year": year, "term_code": term, "term_type": TERM_TYPES.get(term, TERM_TYPES.get(term[0])),
            "grade": grade, "mark": mark, "credits_attempted": credits,
            "credits_earned": 0 if failed else credits,
            "college_credits": 3 if self.courses[course].get("nonstandard_level") in ("23", "24")
            and not failed and hs_only != ["hs"] else None,
            "in_district": True})
        if all(r["section_id"] != section_id for r in out["roster"]):
            start, end = self._section_span(kind, plan, year)
            out["roster"].append({"student_id": student_id, "section_id": section_id, "start_date": start,
                                  "end_date": end if end < self.today else None})

    def _section_span(self, kind: int, plan: dict, year: int) -> tuple[date, date]:
        term_set = self.config["term_sets"][self.kinds[kind]["calendars"][plan["cal_suffix"]]]
        chosen = [t for t in term_set if t[0] in plan["terms"]]
        return _day(year, term_dates(chosen[0][3])), _day(year, term_dates(chosen[-1][4]))
