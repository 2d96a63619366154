"""Build the rows of a CERS file from profiles, on a snapshot connection.

The rows are made in DuckDB (temp tables on the read-only snapshot connection): each profile's
roster query adds candidate (group, student or staff) rows, `assemble.sql` merges, splits at
200 and sorts them into `cers_sorted` (numbered in the view `cers_row`), and `preflight.sql`
checks the result. Python only collects the findings: what was left out and why, and what
CERS would reject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

import duckdb
import pandas as pd

from sislab.core.store import sql_text

from . import rdw
from .layout import HEADER, LAYOUT, LOGIN_PATTERN, MAX_NAME, MAX_STUDENTS
from .profiles import Profile, is_control

PACKAGE = "sislab.cers"
PARAMETER = re.compile(r"\$([a-z_]+)")
# People as a reader alphabetizes them: accents and case aside ("Álvarez" among the A's).
BY_NAME = "strip_accents(lower(s.last_name)), strip_accents(lower(s.first_name)), s.staff_id"
# Additional staff must be active, with a state educator id and an e-mail (SQL over `staff s`).
ELIGIBLE = ("coalesce(s.active, false) AND s.state_educator_id IS NOT NULL"
            " AND regexp_full_match(coalesce(s.email, ''), $email)")
# preflight.sql's rules that RDW's validator applies too: `cers check` takes RDW's own (rdw.py) instead.
RDW_RULES = frozenset({"required", "cds_code", "school_year", "subject_code", "subject_conflict",
                       "group_over_limit", "group_not_contiguous", "school_not_contiguous"})
NO_FILTERS = {"departments": [], "subject_areas": [], "courses": [], "teachers": [], "primary_only": False,
              "grades": [], "counselors": [], "groups": []}


@dataclass(frozen=True)
class Finding:
    severity: str  # error (CERS would reject the file, or sislab refuses to write it) | warning
    rule: str
    message: str
    row: int | None = None  # CERS's numbering: data rows from 1 (0: the file as a whole)
    group: str | None = None
    profile: str | None = None  # the profile a finding is about, when it is about one

    def text(self) -> str:
        """One line in CERS's style: `Row: 12 Failure: <group>: <message>`."""
        where = f"Row: {self.row} " if self.row is not None else ""
        kind = "Failure" if self.severity == "error" else "Warning"
        group = f"{visible(self.group)}: " if self.group else ""
        return f"{where}{kind}: {group}{self.message}"


def visible(text: str) -> str:
    """`text` with each control character (`profiles.is_control`) written as its escape (`\\x1b`,
    `\\u2028`): a group name holding one stays on its finding's line, and a terminal or log shows
    it instead of obeying it."""
    return "".join(ch.encode("unicode_escape").decode("ascii") if is_control(ch) else ch for ch in text)


@dataclass
class Build:
    """One file's worth of rows (left in the connection's `cers_row` view) and what was found."""

    profiles: tuple[Profile, ...]
    school_year: int
    as_of: date
    findings: list[Finding] = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # rows, groups, students, users
    group_names: frozenset[str] = frozenset()
    empty_profiles: tuple[str, ...] = ()  # profiles that gave the file no row (each has a finding why)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def school_year_of(day: date) -> int:
    """The end year of the school year `day` falls in (July to June): 2024-25 -> 2025."""
    return day.year + 1 if day.month >= 7 else day.year


def build(con: duckdb.DuckDBPyConnection, profiles: list[Profile] | tuple[Profile, ...],
          as_of: date | None = None, school_year: int | None = None, findings: bool = True) -> Build:
    """Rows and findings for `profiles` consolidated into one file, as of `as_of` (default today).
    `findings=False`: the rows only (`cers_row`, `cers_candidate`), no finding looked for and no
    count made (a principal's preview shows the groups: the findings' queries were half its time)."""
    as_of = as_of or date.today()
    result = Build(tuple(profiles), school_year or school_year_of(as_of), as_of)
    con.execute(sql_text(PACKAGE, "macros.sql"))
    con.execute("CREATE OR REPLACE TEMP TABLE cers_candidate (profile VARCHAR, subject_code VARCHAR,"
                " school_id VARCHAR, group_base VARCHAR, student_id VARCHAR, staff_id VARCHAR, role VARCHAR,"
                " section_id VARCHAR)")  # section_id: section rosters only
    for profile in profiles:
        result.findings += _add_profile(con, profile, result.school_year, as_of, findings)
    con.execute("CREATE OR REPLACE TEMP TABLE cers_shared_ssid AS SELECT state_id FROM student"  # student_id is its key
                " WHERE state_id IS NOT NULL GROUP BY state_id HAVING count(*) > 1")
    if findings:
        result.findings += (_left_out(con) + _sections_without_teacher(con) + _shared_ssids(con)
                            + _subject_conflicts(con))
    con.execute(sql_text(PACKAGE, "groups.sql"))
    if findings:
        result.findings += _schools_without_cds(con) + _renamed_groups(con)
    run(con, sql_text(PACKAGE, "assemble.sql"), max_students=MAX_STUDENTS, email=LOGIN_PATTERN,
        school_year=result.school_year)
    # A table keeps its insertion order, so the sorted rows are numbered by their rowid: no second
    # sort and no second copy of the rows.
    con.execute("CREATE OR REPLACE TEMP VIEW cers_row AS SELECT rowid + 1 AS row_no, * FROM cers_sorted")
    if not findings:
        return result
    result.findings += [_in_built_file(f) for f in preflight(con)] + _overlaps(con)
    if result.school_year not in rdw.school_years():
        result.findings.append(Finding("error", "school_year", f"Invalid school year: {result.school_year} (CERS "
                                       f"takes the years {_years_text(rdw.school_years())}; the roster date "
                                       f"{as_of} is in school year {result.school_year})", row=0))
    per_group = con.execute("SELECT group_name, count(*), count(student_ssid), count(group_user_login)"
                            " FROM cers_row GROUP BY group_name").fetchall()  # one scan for counts and names
    result.group_names = frozenset(name for name, *_ in per_group)
    result.counts = {"rows": sum(g[1] for g in per_group), "groups": len(result.group_names - {None}),
                     "students": sum(g[2] for g in per_group), "users": sum(g[3] for g in per_group)}
    result.empty_profiles = _empty_profiles(con, profiles, result.counts["rows"])
    result.findings += [_empty_profile_finding(name, result.findings) for name in result.empty_profiles]
    return result


def run(con: duckdb.DuckDBPyConnection, sql: str, **values) -> duckdb.DuckDBPyConnection:
    """Execute `sql` with the named parameters it uses (`$name`), taken from `values`."""
    used = set(PARAMETER.findall(sql))
    missing = used - set(values)
    if missing:
        raise KeyError(f"no value for SQL parameter(s) {sorted(missing)}")
    return con.execute(sql, {k: v for k, v in values.items() if k in used})


def preflight(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """CERS's rules checked on the rows of `cers_row`, with CERS's row numbers."""
    rows = run(con, sql_text(PACKAGE, "preflight.sql"), max_name=MAX_NAME, max_students=MAX_STUDENTS,
               email=LOGIN_PATTERN).fetchall()
    return [Finding(severity, rule, message, row, group) for row, severity, rule, group, message in rows]


def file_rows(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> pd.DataFrame:
    """The file's rows in file order (the six CERS columns), with CERS's row number."""
    query = f"SELECT row_no AS \"Row\", {', '.join(HEADER)} FROM cers_row ORDER BY row_no"
    return con.execute(query + (" LIMIT ?" if limit else ""), [limit] if limit else []).df()


def group_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One line per group of the file: school, year, subject, students, users, profiles."""
    return con.execute(
        "WITH made_by AS (SELECT school_id, group_base, array_to_string(list_sort(list_distinct(list(profile))),"
        " ', ') AS profiles FROM cers_candidate GROUP BY ALL)"
        " SELECT group_name, school_natural_id, school_year, any_value(subject_code) AS subject_code,"
        " count(student_ssid) AS students, count(group_user_login) AS users, any_value(m.profiles) AS profiles,"
        " min(row_no) AS first_row FROM cers_row r LEFT JOIN made_by m USING (school_id, group_base)"
        " GROUP BY group_name, school_natural_id, school_year ORDER BY first_row").df()


def _add_profile(con, profile: Profile, school_year: int, as_of: date, findings: bool = True) -> list[Finding]:
    """Insert a profile's roster candidates; findings about its schools, staff and empty rosters."""
    roster_sql = sql_text(PACKAGE, LAYOUT["roster_types"][profile.roster_type]["sql"])
    values = _values(profile, school_year, as_of)
    run(con, f"INSERT INTO cers_candidate BY NAME SELECT $profile AS profile, $subject AS subject_code, q.*"
             f" FROM ({roster_sql}) q", **values)
    _add_staff(con, profile)
    if not findings:
        return []
    return (_unknown_schools(con, profile) + _primary_warnings(con, profile) + _ineligible_staff(con, profile)
            + _empty_rosters(con, profile, roster_sql, values))


def _values(profile: Profile, school_year: int, as_of: date) -> dict:
    return {"profile": profile.name, "subject": LAYOUT["subjects"][profile.subject],
            "roster_type": profile.roster_type, "pattern": profile.pattern, "schools": list(profile.schools),
            "school_year": school_year, "as_of": as_of,
            "departments": list(profile.departments), "subject_areas": list(profile.subject_areas),
            "courses": list(profile.courses), "teachers": list(profile.teachers),
            "primary_only": profile.primary_only, "grades": list(profile.grades),
            "counselors": list(profile.counselors), "groups": [g.lower() for g in profile.groups]}


def _add_staff(con, profile: Profile) -> None:
    """Additional staff get every group of the profile (active, with a state educator id and an e-mail)."""
    if profile.staff:
        run(con, "INSERT INTO cers_candidate SELECT DISTINCT c.profile, c.subject_code, c.school_id, c.group_base,"
                 " NULL, s.staff_id, 'additional staff', NULL FROM cers_candidate c"
                 " JOIN staff s ON list_contains($staff, s.staff_id) AND " + ELIGIBLE +
                 " WHERE c.profile = $profile", staff=list(profile.staff), profile=profile.name, email=LOGIN_PATTERN)


def eligible_staff(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Staff who may be added to every group of a profile: active, state educator id, e-mail."""
    return run(con, "SELECT s.staff_id, s.last_name, s.first_name, s.email, s.school_id FROM staff s WHERE "
               + ELIGIBLE + " ORDER BY " + BY_NAME, email=LOGIN_PATTERN).df()


def _ineligible_staff(con, profile: Profile) -> list[Finding]:
    rows = run(con, "SELECT x.id, s.last_name || ' ' || s.first_name FROM unnest($staff) AS x(id)"
                    " LEFT JOIN staff s ON s.staff_id = x.id WHERE s.staff_id IS NULL OR NOT (" + ELIGIBLE + ")",
               staff=list(profile.staff), email=LOGIN_PATTERN).fetchall()
    return [Finding("warning", "additional_staff", f"additional staff {name or '(unknown)'} ({sid}) of profile "
                    f"{profile.name} is not active with a state educator id and an e-mail: left out")
            for sid, name in rows]


def _unknown_schools(con, profile: Profile) -> list[Finding]:
    rows = run(con, "SELECT x.id FROM unnest($schools) AS x(id) WHERE x.id NOT IN (SELECT school_id FROM school)",
               schools=list(profile.schools)).fetchall()
    return [Finding("warning", "unknown_school", f"profile {profile.name}: no school {sid} in the SIS data",
                    profile=profile.name) for (sid,) in rows]


def _primary_warnings(con, profile: Profile) -> list[Finding]:
    """'Only primary classes' empties the extract of every school that does not track them."""
    if not profile.primary_only:
        return []
    rows = run(con, "SELECT school_id, name FROM school WHERE list_contains($schools, school_id)"
                    " AND NOT coalesce(tracks_primary_classes, false) ORDER BY school_id",
               schools=list(profile.schools)).fetchall()
    how = ("with a course or teacher filter both apply" if profile.courses or profile.teachers
           else "with no course or teacher filter")
    return [Finding("warning", "primary_classes_not_tracked",
                    f"profile {profile.name}: {sid} {name} does not track primary classes, so 'include only "
                    f"primary classes' ({how}) gives it no rows", profile=profile.name) for sid, name in rows]


def _empty_rosters(con, profile: Profile, roster_sql: str, values: dict) -> list[Finding]:
    """A school of the profile with no student: say why (terms ended, no primary classes, filters)."""
    empty = [s for (s,) in run(con, "SELECT x.id FROM unnest($schools) AS x(id) WHERE x.id IN (SELECT school_id FROM"
                                    " school) AND x.id NOT IN (SELECT school_id FROM cers_candidate WHERE profile ="
                                    " $profile AND student_id IS NOT NULL)", **values).fetchall()]
    return [Finding("warning", "empty_roster", f"profile {profile.name}: school {school} has no rows: "
                    + _why_empty(con, profile, roster_sql, {**values, "schools": [school]}), profile=profile.name)
            for school in empty]


def _why_empty(con, profile: Profile, roster_sql: str, values: dict) -> str:
    def students(**changed) -> int:
        return run(con, f"SELECT count(student_id) FROM ({roster_sql}) q", **{**values, **changed}).fetchone()[0]

    year_start = date(values["school_year"] - 1, 7, 1)
    tracks = run(con, "SELECT coalesce(tracks_primary_classes, false) FROM school WHERE school_id = $schools[1]",
                 **values).fetchone()[0]
    if profile.primary_only and not tracks:
        return "the school does not track primary classes and 'include only primary classes' is on"
    if students(as_of=year_start):
        if LAYOUT["roster_types"][profile.roster_type]["sql"] == "roster_sections.sql":
            return f"the terms of its classes ended before {values['as_of']} (rosters are empty once term dates pass)"
        return f"the enrollments of its students ended before {values['as_of']}"
    if profile.used_filters and students(**NO_FILTERS):
        used = "; ".join(f"{k.replace('_', ' ')}: {v if isinstance(v, bool) else ', '.join(map(str, v))}"
                         for k, v in profile.used_filters.items())
        return f"the filters exclude every student ({used})"
    return f"no current students in {values['school_year'] - 1}-{values['school_year'] % 100:02d} for this roster type"


def _left_out(con) -> list[Finding]:
    """Students without a 10-digit SSID and group users without a usable e-mail."""
    students = run(con, "SELECT c.student_id, any_value(s.state_id), count(DISTINCT c.group_base),"
                        " min(c.group_base), list(DISTINCT c.profile ORDER BY c.profile)"
                        " FROM cers_candidate c JOIN student s ON s.student_id = c.student_id"
                        " WHERE NOT regexp_full_match(coalesce(s.state_id, ''), '\\d{10}')"
                        " GROUP BY c.student_id ORDER BY c.student_id").fetchall()
    staff = run(con, "SELECT c.staff_id, any_value(s.last_name || ' ' || s.first_name), any_value(c.role),"
                     " any_value(s.email), count(DISTINCT c.group_base), min(c.group_base)"
                     " FROM cers_candidate c JOIN staff s ON s.staff_id = c.staff_id"
                     " WHERE NOT regexp_full_match(coalesce(trim(s.email), ''), $email)"
                     " GROUP BY c.staff_id ORDER BY c.staff_id", email=LOGIN_PATTERN).fetchall()
    found = [Finding("warning", "ssid_missing",
                     f"student {sid} has {'SSID ' + ssid if ssid else 'no SSID'}, not a 10-digit SSID: left out of "
                     f"{_groups_text(n, first)} (profile {', '.join(profiles)})")
             for sid, ssid, n, first, profiles in students]
    found += [Finding("warning", "email_missing",
                      f"{role} {name} ({sid}) has {'e-mail ' + repr(email) if email else 'no e-mail'} and cannot "
                      f"receive {_groups_text(n, first)}")
              for sid, name, role, email, n, first in staff]
    return found


def _sections_without_teacher(con) -> list[Finding]:
    """Sections with students but no current teacher: their groups go to no teacher (roster_sections.sql)."""
    rows = con.execute("SELECT section_id, any_value(group_base), list(DISTINCT profile ORDER BY profile)"
                       " FROM cers_candidate WHERE role = 'no teacher' GROUP BY section_id ORDER BY section_id"
                       ).fetchall()
    return [Finding("warning", "section_without_teacher",
                    f"section {section} has no current teacher, so no teacher receives its group (named with the "
                    f"section number in the teacher's place; profile {', '.join(profiles)}); assign a teacher in "
                    "the SIS", group=base)
            for section, base, profiles in rows]


def _shared_ssids(con) -> list[Finding]:
    """An SSID that two students of the SIS share: CERS cannot tell whose it is, so its rows are left out."""
    rows = con.execute(
        "WITH used AS (SELECT s.state_id, count(DISTINCT c.group_base) AS n, min(c.group_base) AS first,"
        "  list(DISTINCT c.profile ORDER BY c.profile) AS profiles, list(DISTINCT c.student_id) AS rostered"
        "  FROM cers_candidate c JOIN student s ON s.student_id = c.student_id"
        "  WHERE s.state_id IN (SELECT state_id FROM cers_shared_ssid) GROUP BY s.state_id)"
        " SELECT u.state_id, list(s.student_id || ' (' || concat_ws(' ', s.last_name, s.first_name)"
        "  || CASE WHEN list_contains(u.rostered, s.student_id) THEN '' ELSE ', in none of these rosters' END || ')'"
        "  ORDER BY s.student_id), any_value(u.n), any_value(u.first), any_value(u.profiles)"
        " FROM used u JOIN student s ON s.state_id = u.state_id GROUP BY u.state_id ORDER BY u.state_id").fetchall()
    return [Finding("warning", "ssid_shared",
                    f"SSID {ssid} is shared by students {' and '.join(holders)}: CERS cannot tell them apart, so "
                    f"their rows are left out of {_groups_text(n, first)} (profile {', '.join(profiles)}); correct "
                    "the SSID in the SIS")
            for ssid, holders, n, first, profiles in rows]


def _schools_without_cds(con) -> list[Finding]:
    """Schools of the rosters without a 14-digit CDS code: CERS cannot place their groups (one finding each)."""
    rows = con.execute(
        "SELECT c.school_id, any_value(sc.name), any_value(sc.cds_code), count(DISTINCT c.group_base),"
        " list(DISTINCT c.profile ORDER BY c.profile) FROM cers_candidate c JOIN school sc USING (school_id)"
        " WHERE NOT regexp_full_match(coalesce(sc.cds_code, ''), '\\d{14}') AND c.student_id IS NOT NULL"
        " GROUP BY c.school_id ORDER BY c.school_id").fetchall()
    return [Finding("warning", "school_cds_code",
                    f"school {sid} {name} has {'CDS code ' + repr(cds) if cds else 'no CDS code'}, not a 14-digit "
                    f"CDS code (CERS's school_natural_id): its {groups} group(s) are left out (profile "
                    f"{', '.join(profiles)}); add the CDS code in the SIS")
            for sid, name, cds, groups, profiles in rows]


def _renamed_groups(con) -> list[Finding]:
    """Groups whose names equal another's ignoring case, spaces and accents carry a suffix (groups.sql)."""
    rows = con.execute("SELECT g.group_base, g.group_label, f.group_base FROM cers_group g JOIN cers_group f"
                       " ON f.nth = 1 AND lower(strip_accents(trim(f.group_base)))"
                       " = lower(strip_accents(trim(g.group_base))) WHERE g.nth > 1 ORDER BY g.group_label").fetchall()
    return [Finding("warning", "group_name_renamed",
                    f"group {base!r} has the name of group {first!r} but for case, spaces or accents (CERS would "
                    f"make them one group): written as {label!r}", group=label)
            for base, label, first in rows]


def _in_built_file(finding: Finding) -> Finding:
    """Names CERS would fold together cannot stay in a file sislab makes (groups.sql adds a suffix)."""
    if finding.rule != "group_name_collision":
        return finding
    return replace(finding, severity="error", message=finding.message + "; a suffix could not tell them apart: "
                   "rename one of the groups in the SIS")


def _empty_profiles(con, profiles, rows: int) -> tuple[str, ...]:
    """Profiles none of whose groups is in the file (a group is there when it has a student row)."""
    names = [p.name for p in profiles]
    if len(names) == 1 or not rows:
        return tuple(names) if not rows else ()
    present = {name for (name,) in con.execute(
        "SELECT DISTINCT c.profile FROM (SELECT DISTINCT profile, school_id, group_base FROM cers_candidate) c"
        " SEMI JOIN (SELECT DISTINCT school_id, group_base FROM cers_sorted) r USING (school_id, group_base)"
    ).fetchall()}
    return tuple(name for name in names if name not in present)


def _empty_profile_finding(name: str, findings: list[Finding]) -> Finding:
    prefix = f"profile {name}: "
    why = [f.message.removeprefix(prefix) for f in findings if f.profile == name]
    return Finding("warning", "empty_profile", f"profile {name} gives no rows, so the file has none of its groups: "
                   + ("; ".join(why) if why else "its students have no usable SSID or its schools no CDS code "
                      "(see the findings above)"), profile=name)


def _years_text(years) -> str:
    return ", ".join(map(str, sorted(years)))


def _subject_conflicts(con) -> list[Finding]:
    rows = run(con, "SELECT group_base, list(DISTINCT subject_code ORDER BY subject_code),"
                    " list(DISTINCT profile ORDER BY profile) FROM cers_candidate"
                    " GROUP BY school_id, group_base HAVING count(DISTINCT subject_code) > 1 ORDER BY group_base"
               ).fetchall()
    return [Finding("error", "subject_conflict", f"profiles {' and '.join(profiles)} give this group different "
                    f"subjects ({', '.join(subjects)}); a group has one subject", group=base)
            for base, subjects, profiles in rows]


def _overlaps(con) -> list[Finding]:
    """Rows of a group that two or more profiles produced: written once, both profiles named."""
    rows = con.execute(
        "WITH shared AS (SELECT r.row_no, r.group_name, r.student_ssid, r.group_user_login, c.profile"
        "  FROM cers_row r JOIN cers_candidate c ON c.school_id = r.school_id AND c.group_base = r.group_base"
        "  AND c.student_id = r.student_id WHERE r.shared"
        " UNION ALL SELECT r.row_no, r.group_name, r.student_ssid, r.group_user_login, c.profile"
        "  FROM cers_row r JOIN cers_candidate c ON c.school_id = r.school_id AND c.group_base = r.group_base"
        "  AND c.staff_id = r.staff_id WHERE r.shared),"
        " per_row AS (SELECT row_no, group_name, student_ssid, group_user_login,"
        "  list_sort(list_distinct(list(profile))) AS profiles FROM shared GROUP BY ALL)"
        " SELECT min(row_no), group_name, count(student_ssid), count(group_user_login), profiles"
        " FROM per_row GROUP BY group_name, profiles ORDER BY 1").fetchall()
    return [Finding("warning", "overlapping_profiles", f"{students} student(s) and {users} user(s) of this group "
                    f"come from profiles {' and '.join(profiles)}: each written once", row, group)
            for row, group, students, users, profiles in rows]


def _groups_text(n: int, first: str) -> str:
    return f"group {first}" if n == 1 else f"{n} groups ({first}, ...)"
