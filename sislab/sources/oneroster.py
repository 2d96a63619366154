"""`sislab import --from oneroster ZIP`: schools, terms, staff, students, courses, sections and
rosters from a OneRoster 1.1 bulk CSV zip (what most SIS products export, Infinite Campus too).

Our checker (sislab.roster.checker) reads the zip first: its errors are import errors, its
warnings are kept. The feed then becomes sislab tables by `sql/oneroster_import.sql`; tables a
OneRoster feed does not carry (course history, scores, CTE, awards, cohorts, grading, A-G
lists) come from a folder of our CSV exports (`--merge`), and a `district.csv` there replaces
the district row the zip gives. Everything then goes through the importer, all or nothing.

Only a bulk export is a whole district: a delta zip (manifest `file.users,delta`) holds only the
rows that changed, so read as a snapshot it would publish a smaller district. It is refused.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core.importer import ImportRejected, ImportReport
from sislab.core.store import sql_text
from sislab.core.workspace import Workspace
from sislab.roster.checker import check_feed, load_feed
from sislab.roster.writer import statements

from .staged import Origin, SourceFinding, Staging, source_label

# sislab table -> {sislab column: OneRoster column it comes from} (for findings), in load order.
FIELDS = {
    "district": {"district_id": "identifier", "name": "name", "state": "identifier", "cds_code": "identifier",
                 "rcdts": "identifier"},
    "school": {"school_id": "identifier", "name": "name", "cds_code": "identifier", "rcdts": "identifier",
               "school_type": "users.grades", "low_grade": "users.grades", "high_grade": "users.grades"},
    "calendar": {"calendar_id": "schoolYear", "school_year": "schoolYear", "name": "title"},
    "term": {"calendar_id": "schoolYear", "term_code": "title", "term_type": "type", "start_date": "startDate",
             "end_date": "endDate"},
    "staff": {"staff_id": "identifier", "last_name": "familyName", "first_name": "givenName", "email": "email",
              "school_id": "orgSourcedIds", "active": "enabledUser"},
    "student": {"student_id": "identifier", "state_id": "userIds", "last_name": "familyName", "first_name": "givenName",
                "middle_name": "middleName", "birth_date": "demographics.birthDate", "gender": "demographics.sex",
                "grade": "grades", "school_id": "orgSourcedIds", "email": "email",
                "hispanic": "demographics.hispanicOrLatinoEthnicity"},
    "enrollment": {"student_id": "identifier", "school_id": "orgSourcedIds", "grade": "grades"},
    "course": {"course_id": "courseCode", "title": "title", "subject_area": "subjects"},
    "section": {"section_id": "classCode", "school_id": "schoolSourcedId", "course_id": "courseSourcedId",
                "calendar_id": "termSourcedIds", "period": "periods", "homeroom": "classType"},
    "section_term": {"section_id": "classCode", "term_code": "termSourcedIds"},
    "section_staff": {"section_id": "classSourcedId", "staff_id": "userSourcedId", "primary_teacher": "primary",
                      "start_date": "beginDate", "end_date": "endDate"},
    "roster": {"section_id": "classSourcedId", "student_id": "userSourcedId", "start_date": "beginDate",
               "end_date": "endDate"},
}


def import_oneroster(zip_path: str | Path, ws: Workspace, user: str | None = None, merge=None,
                     progress=None, **guard) -> ImportReport:
    """Check the zip, read it as sislab tables, add `merge`'s other tables, import all or nothing."""
    zip_path = Path(zip_path)
    if not zip_path.is_file():
        raise ImportRejected([SourceFinding(str(zip_path), "no such file: name the OneRoster 1.1 CSV zip")])
    if deltas := _delta_files(zip_path):
        raise ImportRejected(deltas)
    checked = check_feed(zip_path)
    findings = [_checker_finding(f) for f in checked.findings.itertuples(index=False)]
    if not checked.passed:
        raise ImportRejected(findings)
    merged_district = merge is not None and (Path(merge) / "district.csv").is_file()
    with Staging(ws, "oneroster", source_label(f"OneRoster {zip_path.resolve()}", merge)) as staging:
        staging.warnings += findings
        con = duckdb.connect()
        try:
            load_feed(con, zip_path, "z")
            for statement in statements(sql_text(__package__, "oneroster_import.sql")):
                con.execute(statement)
            for table, fields in FIELDS.items():
                if table == "district" and merged_district:
                    continue
                _stage(con, staging, table, fields)
            if not merged_district:
                _require_state(con)
        finally:
            con.close()
        staging.merge(merge, set(FIELDS) - ({"district"} if merged_district else set()))
        return staging.run_import(user, progress, **guard)


def _delta_files(zip_path: Path) -> list[SourceFinding]:
    """The manifest's files sent as a delta: a snapshot is a bulk export of every file."""
    try:
        with zipfile.ZipFile(zip_path) as z:
            text = z.read("manifest.csv").decode("utf-8-sig", errors="replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return []  # the checker names what is wrong with the zip or its manifest
    reader = csv.reader(io.StringIO(text))
    return [SourceFinding("manifest.csv", f"{row[1].strip()!r}: sislab imports bulk exports only (a delta holds only "
                          "the rows that changed; export the full roster)", row=reader.line_num,
                          column=row[0].strip(), unit="line")
            for row in reader
            if len(row) >= 2 and row[0].strip().startswith("file.") and row[1].strip().lower() == "delta"]


def _stage(con, staging: Staging, table: str, fields: dict[str, str]) -> None:
    cur = con.execute(f"SELECT * FROM o_{table}")
    names = [d[0] for d in cur.description]
    staging.touch(table)
    origins: dict[str, Origin] = {}
    while batch := cur.fetchmany(50_000):
        for values in batch:
            row = dict(zip(names, values))
            file = row.pop("_file")
            origin = origins.setdefault(file, Origin(file, tuple(fields.items()), unit="line"))
            line = row.pop("_line")
            staging.add(table, {k: "" if v is None else str(v) for k, v in row.items()}, origin, line or 0)


def _require_state(con) -> None:
    missing = con.execute("SELECT _line, district_id FROM o_district WHERE state IS NULL").fetchall()
    if missing:
        line, district = missing[0]
        raise ImportRejected([SourceFinding(
            "orgs.csv", f"the district's identifier {district!r} is neither a California CDS code (7 digits) nor an "
            "Illinois RCDTS (15 characters), so its state is unknown: put a district.csv in the --merge folder",
            row=line, column="identifier", unit="line")])


def _checker_finding(f) -> SourceFinding:
    value = f" ({f.value!r})" if isinstance(f.value, str) and f.value else ""
    line = None if pd.isna(f.line) else int(f.line)
    column = f.column if isinstance(f.column, str) and f.column else None
    return SourceFinding(f.file, f"{f.rule}: {f.message}{value}", row=line, column=column,
                         severity=f.severity, unit="line")
