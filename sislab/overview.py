"""District overview: who is enrolled where, in which grade, and how big each school is.

The queries are pure functions over a DuckDB connection on a snapshot (see
`sislab.core.store.snapshot`); the dashboard notebook `notebooks/district_overview.ipynb`
only displays what `district_overview` returns. "Enrolled" means an open primary enrollment
on the `as_of` date (default: today), so a student shared with a second school is counted
once. Inactive schools are hidden unless asked for, as the data model says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from .core.store import sql_text
from .core.safe_csv import write_frame

GRADE_LABELS = {-1: "TK", 0: "K"}  # other grades are shown as their number
ENROLLMENT_CSV = "enrollment_by_school_grade.csv"


@dataclass(frozen=True)
class Overview:
    as_of: date
    enrollment: pd.DataFrame  # long: school_id, school_name, grade, students
    by_grade: pd.DataFrame  # one row per school, one column per grade label, and total
    schools: pd.DataFrame  # school_id, school_name, school_type, students, sections, staff

    @property
    def grades(self) -> list[str]:
        """The grade columns of `by_grade`, lowest grade first (empty when nobody is enrolled)."""
        return [c for c in self.by_grade.columns if c not in ("school_id", "school_name", "total")]


def enrollment_by_school_grade(con: duckdb.DuckDBPyConnection, schools: Sequence[str] | None = None,
                               as_of: date | str | None = None, include_inactive: bool = False) -> pd.DataFrame:
    """Students with an open primary enrollment on `as_of`, per school and grade."""
    return _query(con, "overview_enrollment.sql", schools, as_of, include_inactive)


def school_counts(con: duckdb.DuckDBPyConnection, schools: Sequence[str] | None = None,
                  as_of: date | str | None = None, include_inactive: bool = False) -> pd.DataFrame:
    """Students, sections in session and active staff, per school (schools without any included)."""
    return _query(con, "overview_school_counts.sql", schools, as_of, include_inactive)


def grade_table(enrollment: pd.DataFrame) -> pd.DataFrame:
    """The long enrollment counts as a school x grade table (TK, K, 1..12, total)."""
    if enrollment.empty:
        return pd.DataFrame(columns=["school_id", "school_name", "total"])
    wide = enrollment.pivot_table(index=["school_id", "school_name"], columns="grade", values="students",
                                  aggfunc="sum", fill_value=0).sort_index(axis=1)
    wide.columns = [grade_label(g) for g in wide.columns]
    wide["total"] = wide.sum(axis=1)
    return wide.reset_index()


def grade_label(grade: int) -> str:
    return GRADE_LABELS.get(int(grade), str(int(grade)))


def district_overview(con: duckdb.DuckDBPyConnection, school: str | None = None,
                      as_of: date | str | None = None) -> Overview:
    """Everything the district overview dashboard shows; `school` narrows it to one school."""
    day = as_of_date(as_of)
    schools = [school] if school else None
    enrollment = enrollment_by_school_grade(con, schools, day)
    return Overview(day, enrollment, grade_table(enrollment), school_counts(con, schools, day))


def write_outputs(overview: Overview, output_dir: str | Path | None) -> list[Path]:
    """Write the school x grade table as CSV into `output_dir` (nothing when it is None)."""
    if output_dir is None:
        return []
    return [write_frame(Path(output_dir) / ENROLLMENT_CSV, overview.by_grade)]


def as_of_date(value: date | str | None) -> date:
    """The day counts are taken on: a date, an ISO 'YYYY-MM-DD' string, or None for today."""
    if value is None or value == "":
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"as_of must be a date like 2025-01-31, not {value!r}") from None


def _query(con, sql_file: str, schools, as_of, include_inactive: bool) -> pd.DataFrame:
    params = {
        "schools": None if schools is None else [str(s) for s in schools],
        "as_of": as_of_date(as_of),
        "include_inactive": include_inactive,
    }
    return con.execute(sql_text("sislab", sql_file), params).df()
