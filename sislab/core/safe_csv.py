"""The one way sislab writes a CSV or TSV file meant for people: formula-safe.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel
and LibreOffice (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`, `@SUM(...)`): a student's name
typed that way into the SIS would run when a coordinator opens a worklist. Following OWASP's
"CSV Injection" advice, such a text cell is written with a leading apostrophe, which the
spreadsheet shows as text. Numbers, dates and booleans are left alone (-1 stays -1).

State and vendor files whose layout is fixed (the CERS upload file, the IL SCA state file, the
OneRoster feed, whose receivers key on its ids and names) are written as the state or vendor
defines them, never altered: their pre-flight checks (`sislab roster check` for the feed) call
`formula_cells` / `formula_condition` to flag such values instead.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from .store import sql_literal
from .workspace import write_atomic

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"
TEXT_TYPES = ("VARCHAR", "STRING", "TEXT")


def starts_like_formula(value: object) -> bool:
    """Would a spreadsheet read this text cell as a formula?"""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def neutralise(value: object) -> object:
    """The cell as it is safe to write: text that reads as a formula gets a leading apostrophe."""
    return NEUTRALISER + value if starts_like_formula(value) else value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` with every text cell neutralised (numbers and dates untouched)."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(neutralise, na_action="ignore")
    return out


def frame_csv(df: pd.DataFrame, **to_csv) -> str:
    """`df.to_csv(...)` as text, formula-safe (the text for a download link, or a file)."""
    return safe_frame(df).to_csv(**{"index": False, **to_csv})


def write_frame(path: str | Path, df: pd.DataFrame, **to_csv) -> Path:
    """Write `df` as a formula-safe CSV (or TSV with sep="\\t"), owner-only and atomically."""
    return write_atomic(Path(path), frame_csv(df, **to_csv))


def formula_condition(column_sql: str) -> str:
    """SQL that is true when the text `column_sql` would read as a formula (for pre-flights).

    One prefix test per starting character (`LIKE '=%'`, which DuckDB runs as a prefix
    comparison): 1.7x faster than taking the first character and searching it in the string of
    starting characters. Not `IN (...)` (nor `list_contains`, which DuckDB turns into it):
    DuckDB plans an IN list of six constants as a join, which does not keep rows in order, so a
    `COPY (... ORDER BY ...)` through `safe_select` came out unsorted past 2,048 rows."""
    text = f"CAST({column_sql} AS VARCHAR)"
    return "(" + " OR ".join(f"{text} LIKE {sql_literal(start + '%')}" for start in FORMULA_START) + ")"


def safe_select(con: duckdb.DuckDBPyConnection, query: str, params=None) -> str:
    """`query` with each of its text columns neutralised, for a DuckDB `COPY (...) TO`."""
    described = con.execute(f"SELECT * FROM ({query}) LIMIT 0", params or []).description
    columns = []
    for name, type_code, *_ in described:
        quoted = '"' + name.replace('"', '""') + '"'
        if str(type_code).upper() in TEXT_TYPES:
            columns.append(f"CASE WHEN {formula_condition(quoted)} THEN {sql_literal(NEUTRALISER)} || {quoted} "
                           f"ELSE {quoted} END AS {quoted}")
        else:
            columns.append(quoted)
    return f"SELECT {', '.join(columns)} FROM ({query})"


def copy_csv(con: duckdb.DuckDBPyConnection, query: str, path: str | Path, params=None,
             options: str = "FORMAT csv, HEADER true") -> tuple[Path, int]:
    """COPY the rows of `query` to a formula-safe CSV at `path` (owner-only, atomic); returns the
    path and the number of rows written. `options` are DuckDB COPY options (delimiter, dates)."""
    written = []

    def write(tmp: Path) -> None:
        written.append(con.execute(f"COPY ({safe_select(con, query, params)}) TO {sql_literal(tmp)} ({options})",
                                   params or []).fetchone()[0])

    return write_atomic(Path(path), write), written[0]


def formula_cells(df: pd.DataFrame) -> list[tuple[int, str, str]]:
    """(row index, column, value) of every text cell of `df` that would read as a formula: what a
    fixed-layout state file's pre-flight reports, since that file cannot be altered."""
    found = []
    for column in df.columns:
        hits = df[column].map(starts_like_formula)
        found += [(i, column, df.at[i, column]) for i in df.index[hits.fillna(False).astype(bool)]]
    return found
