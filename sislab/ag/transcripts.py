"""The CaliforniaColleges.edu transcript upload: Student, CourseGrade and CourseCatalog files.

Layouts (file names, headers in order, which query field fills each column) are data in
`transcripts.toml`; the queries are `sql/transcript_*.sql`. Students whose parents opted out
of transcript sharing get no Student row and, through it, no CourseGrade rows.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core.store import sql_text
from sislab.core.safe_csv import write_frame

from .alignment import PACKAGE, run_query

FILES = ("student", "course_grade", "course_catalog")


def layouts() -> dict:
    return tomllib.loads(resources.files(PACKAGE).joinpath("transcripts.toml").read_text(encoding="utf-8"))


def transcript_frames(con: duckdb.DuckDBPyConnection, school_year: int, schools=None) -> dict[str, pd.DataFrame]:
    """{file name: rows in the layout's columns} for the school year (optionally some schools)."""
    spec = layouts()
    values = dict(spec["values"])
    prepare = values.pop("prepare")
    params = {**values, "school_year": int(school_year),
              "schools": None if schools is None else [str(s) for s in schools]}
    frames = {}
    try:
        run_query(con, sql_text(PACKAGE, prepare), params)
        for name in FILES:
            layout = spec[name]
            rows = run_query(con, sql_text(PACKAGE, layout["query"]), params).df()
            frames[layout["file"]] = pd.DataFrame(
                {header: rows[f] if f else pd.Series([""] * len(rows), dtype=object) for header, f in layout["columns"]})
    finally:
        con.execute("DROP TABLE IF EXISTS ag_transcript_student")
    return frames


def write_transcripts(frames: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """Write the files (UTF-8, owner-only, atomically) into `out_dir`; return their paths."""
    return [write_frame(Path(out_dir) / name, df, date_format="%Y-%m-%d")
            for name, df in frames.items()]
