"""The CaliforniaColleges.edu transcript upload package: Student, CourseGrade and CourseCatalog
files, named by the upload convention, with a manifest and a pre-flight.

Layouts (templates, headers in order, which query field fills each column) and the package's
naming are data in `transcripts.toml`; the queries are `sql/transcript_*.sql`. Students whose
parents opted out of transcript sharing get no Student row and, through it, no CourseGrade rows.
The default school year is the current one: its students with all their course history.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core.store import sql_text
from sislab.core.safe_csv import frame_csv
from sislab.core.workspace import write_atomic

from .alignment import DUAL_ENROLLMENT, PACKAGE, load_rule, run_query

FILES = ("student", "course_grade", "course_catalog")


def layouts() -> dict:
    return tomllib.loads(resources.files(PACKAGE).joinpath("transcripts.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Transcripts:
    school_year: int
    year_chosen: str  # how the year was chosen: "given" or "current school year"
    frames: dict[str, pd.DataFrame]  # layout name (student, course_grade, course_catalog) -> rows
    preflight: pd.DataFrame  # rule, student_id, cds_code, enrollment_start, course_grade_rows, message

    @property
    def year_text(self) -> str:
        return f"{self.school_year - 1}-{self.school_year % 100:02d} ({self.year_chosen})"


class NoStudents(ValueError):
    """The Student file would be empty: the package is not written (it would look like an
    upload with nothing to send)."""


def current_year(con: duckdb.DuckDBPyConnection, today: date | None = None) -> int:
    """The school year under way on `today` (the newest calendar year when none has begun)."""
    return int(run_query(con, sql_text(PACKAGE, "current_year.sql"), {"today": today or date.today()}).fetchone()[0])


def transcripts(con: duckdb.DuckDBPyConnection, school_year: int | None = None, schools=None,
                today: date | None = None) -> Transcripts:
    """The files' rows for the school year (default: the current one) and the pre-flight."""
    year = int(school_year or current_year(con, today))
    spec = layouts()
    values = dict(spec["values"])
    prepare = values.pop("prepare")
    rule = load_rule()
    params = {**values, "school_year": year, "areas": list(rule.areas), "dual_levels": list(rule.dual_levels),
              "schools": None if schools is None else [str(s) for s in schools]}
    frames = {}
    try:
        for name in (DUAL_ENROLLMENT, *prepare):
            run_query(con, sql_text(PACKAGE, name), params)
        for name in FILES:
            layout = spec[name]
            rows = run_query(con, sql_text(PACKAGE, layout["query"]), params).df()
            frames[name] = pd.DataFrame(
                {header: rows[f] if f else pd.Series([""] * len(rows), dtype=object) for header, f in layout["columns"]})
        preflight = run_query(con, sql_text(PACKAGE, "transcript_preflight.sql"), params).df()
    finally:
        for table in ("ag_transcript_student", "ag_transcript_enrollment"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    preflight["message"] = preflight["rule"].map(spec["preflight"])
    return Transcripts(year, "given" if school_year else "current school year", frames, preflight)


def no_students_text(run: Transcripts) -> str:
    unplaced = run.preflight[run.preflight["rule"] == "ENROLLMENT_NOT_PLACED"]
    why = (f" {unplaced['student_id'].nunique()} students have an enrollment no calendar places in a school year"
           " (see the pre-flight)." if len(unplaced) else "")
    values = layouts()["values"]
    return (f"No students for the transcript files of {run.year_text}: nobody has a primary enrollment that year "
            f"in grades {', '.join(map(str, values['student_grades']))} at a school with a CDS code (students whose "
            f"parents opted out left aside).{why} The package was not written.")


def package_name(template: str, district: str, on: date) -> str:
    """A file name of the upload package: <district>_<template>_<YYYYMMDD>.csv."""
    p = layouts()["package"]
    return p["file_name"].format(district=re.sub(r"[^A-Za-z0-9]", "", district), template=template,
                                 date=on.strftime(p["date_format"]))


def write_package(run: Transcripts, out_dir: str | Path, district: str, district_cds: str | None,
                  on: date | None = None) -> list[Path]:
    """Write the three files and the manifest (UTF-8, owner-only, atomically); return their paths.
    Raises NoStudents, writing nothing, when the Student file has no rows."""
    if run.frames["student"].empty:
        raise NoStudents(no_students_text(run))
    spec, on = layouts(), on or date.today()
    paths, listed = [], []
    for name in FILES:
        template = spec[name]["template"]
        text = frame_csv(run.frames[name], date_format="%Y-%m-%d")
        paths.append(write_atomic(Path(out_dir) / package_name(template, district, on), text))
        listed.append([paths[-1].name, template, len(run.frames[name]), run.school_year, district_cds or "",
                       on.isoformat(), hashlib.sha256(text.encode("utf-8")).hexdigest()])
    p = spec["package"]
    manifest = frame_csv(pd.DataFrame(listed, columns=p["manifest_columns"]))
    paths.append(write_atomic(Path(out_dir) / package_name(p["manifest_template"], district, on), manifest))
    return paths
