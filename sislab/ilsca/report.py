"""The Illinois Student Course Assignment extract (K-12 In Progress V2): who and what reports.

`build(con, request)` runs the report logic set-based in DuckDB (sql/*.sql, in STEPS order):
per-course, per-school, per-student and per-section tables, then the narrow temp table
`ilsca_row` (integer keys and values, one row per record) and the view `ilsca_record` (its
fields as written). Students, sections and schools are ranked by id into integer keys once,
so that sorting, joining and grouping 2 M records never runs on VARCHAR ids. Each field is
made, and cut to its width (`$width_<field>`), once where it lives (per student, per section,
... per record); the view only puts them together while they are written. Writers and
previews read `ilsca_record` ORDER BY LINE_ORDER; pre-flight reads `ilsca_row` and the small
tables. Field values, codes and widths come from layout.toml.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import duckdb
import pandas as pd

from sislab.core.store import sql_text

from .editor import NO_STUDENTS, UNKNOWN_CALENDAR, EditorError, Request

PACKAGE = "sislab.ilsca"
STEPS = ("state_task.sql", "enrollment.sql", "chosen.sql", "course.sql", "school.sql", "school_year.sql", "student.sql",
         "context.sql", "section.sql", "section_term.sql", "section_task.sql", "scheduled.sql", "unenrolled.sql", "record_value.sql",
         "rows.sql", "record.sql")
# DuckDB settings a step runs under, set just for it and put back after (`planned_with`).
# scheduled.sql: DuckDB estimates the (student, section) pairs at ~83 K (the roster's date
# filter and the HAVING each look selective) where there are 1.46 M, so its build-side
# optimizer hashes the pairs to join the 0.3 M students instead of hashing the students; with
# that one optimizer off the join is planned as written (pairs probe, students build): the
# step's CPU 2.8-2.9 -> 2.1 s on the bench data. Materializing the pairs (their size then
# known) gave 2.4 s: the other joins then built on the pairs.
# rows.sql: the same estimate (the reporting pairs at ~0.3 M) made it hash the 1.16 M pairs to
# join the 0.3 M enrollment contexts.
STEP_SETTINGS = {step: {"disabled_optimizers": "build_side_probe_side"} for step in ("scheduled.sql", "rows.sql")}
# The records' file order as integer keys (ilsca_row, ilsca_record): school, student, course and
# section (section_key ranks sections by course, then section), term, enrollment context.
LINE_ORDER = "school_key, student_key, section_key, term_pos, context_rank"


@dataclass(frozen=True)
class Field:
    name: str  # column of the view ilsca_record
    title: str  # the field's name in the vendor's layout (review formats' header)
    width: int | None = None


@lru_cache
def layout() -> dict:
    return tomllib.loads(resources.files(PACKAGE).joinpath("layout.toml").read_text(encoding="utf-8"))


def fields() -> list[Field]:
    return [Field(**f) for f in layout()["field"]]


@lru_cache
def strip_translation() -> tuple[str, str]:
    """(from, to) for SQL translate(): every precomposed Latin letter carrying the listed marks
    (umlaut, tilde, grave, acute, circumflex; some carry two, as Vietnamese ễ) folds to the
    letter without them (ễ→e, Ḉ→Ç: other marks stay); the characters to remove, and the listed
    marks themselves (decomposed text, as Mac and web exports write `u` + U+0308), have no
    counterpart (translate drops them)."""
    rules = layout()["strip"]
    marks = set(rules["fold_marks"])
    folded = {}
    for code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:  # Latin-1 .. Extended-B, Extended Additional
        ch = chr(code)
        parts = unicodedata.normalize("NFD", ch)
        kept = unicodedata.normalize("NFC", "".join(p for p in parts if p not in marks))
        if kept != ch and len(kept) == 1:
            folded[ch] = kept
    removed = [*rules["remove"], *rules["fold_marks"]]
    return "".join(folded) + "".join(removed), "".join(folded.values())


def sql_params(request: Request) -> dict:
    """The bound parameters of the report SQL: the editor's choices and the layout's codes."""
    fold_from, fold_to = strip_translation()
    codes = layout()["codes"]
    return {
        "start": request.start, "end": request.end, "calendars": list(request.calendars),
        "grades": list(request.grades), "student_group": request.student_group,
        "include_no_state_id": request.include_no_state_id, "strip": request.strip_apostrophes,
        "protected": request.protected_identities, "fold_from": fold_from, "fold_to": fold_to,
        **{k: v for k, v in codes.items()},
        **{f"width_{f.name}": f.width for f in fields() if f.width},
    }


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> duckdb.DuckDBPyConnection:
    """Run sql/<name> with the named parameters it uses (DuckDB refuses unused ones)."""
    query = sql_text(PACKAGE, name)
    used = set(re.findall(r"\$([A-Za-z_]\w*)", query))
    return con.execute(query, {k: v for k, v in params.items() if k in used})


def build(con: duckdb.DuckDBPyConnection, request: Request) -> duckdb.DuckDBPyRelation:
    """Compute the extract (temp tables ilsca_scheduled, ilsca_row, ..., view ilsca_record).
    Raises EditorError for a calendar the SIS data does not have."""
    params = sql_params(request)
    check_widths()
    unknown = con.execute("SELECT list(c ORDER BY c) FROM unnest($chosen::VARCHAR[]) AS u(c) "
                          "WHERE c NOT IN (SELECT calendar_id FROM calendar)", {"chosen": list(request.calendars)}
                          ).fetchone()[0]
    if unknown:
        raise EditorError(UNKNOWN_CALENDAR.format(ids=", ".join(unknown)))
    for step in STEPS:
        with planned_with(con, STEP_SETTINGS.get(step, {})):
            run_sql(con, step, params)
    return con.table("ilsca_record")


@contextmanager
def planned_with(con: duckdb.DuckDBPyConnection, settings: dict[str, str]):
    """Run the block under DuckDB `settings`, then put back the values they had (these are
    global in DuckDB: set for one step only, never left behind, also when the step fails)."""
    before = {name: con.execute("SELECT current_setting($name)", {"name": name}).fetchone()[0] for name in settings}
    try:
        for name, value in settings.items():
            con.execute(f"SET {name} = $value", {"value": value})
        yield
    finally:
        for name, value in before.items():
            con.execute(f"SET {name} = $value", {"value": value})


def check_enrolled(con: duckdb.DuckDBPyConnection, request: Request) -> None:
    """After `build`: refuse the run when no chosen calendar has a student enrolled in the
    window (in the chosen grades and group): its file would be empty yet look complete. (Some
    empty among others, e.g. summer school in a fall window, only make a pre-flight finding.)"""
    none_enrolled = con.execute("SELECT list(calendar_id ORDER BY calendar_id) FROM ilsca_chosen "
                                "HAVING NOT bool_or(enrolled)").fetchone()
    if none_enrolled:
        group = f" and student group {request.student_group}" if request.student_group else ""
        raise EditorError(NO_STUDENTS.format(ids=", ".join(none_enrolled[0]), start=request.start, end=request.end, group=group))


@lru_cache
def check_widths() -> None:
    """Every field with a width in layout.toml must be cut by the SQL that makes it: the view
    `ilsca_record` hands fields out as they are (cutting 2 M records there cost a quarter of the
    write's CPU time)."""
    sql = "".join(sql_text(PACKAGE, step) for step in STEPS)
    uncut = [f.name for f in fields() if f.width and f"$width_{f.name}" not in sql]
    if uncut:
        raise AssertionError(f"layout.toml gives a width to {uncut}, which no sql/ step cuts ($width_<field>)")


def file_columns(titles: bool = False) -> str:
    """SELECT list of the file's fields in layout order (already cut to their widths)."""
    out = []
    for f in fields():
        alias = '"' + f.title.replace('"', '""') + '"' if titles else f.name
        out.append(f"{f.name} AS {alias}")
    return ", ".join(out)


def records(con: duckdb.DuckDBPyConnection, school: str | None = None, titles: bool = True) -> pd.DataFrame:
    """The built file's records (after `build`) in file order, optionally of one serving school only."""
    return con.execute(record_query(titles, "WHERE $school::VARCHAR IS NULL OR school_id = $school"),
                       {"school": school}).df()


def record_count(con: duckdb.DuckDBPyConnection) -> int:
    """Records of the built file (after `build`): ilsca_row holds one row per record."""
    return con.execute("SELECT count(*) FROM ilsca_row").fetchone()[0]


def record_query(titles: bool = False, where: str = "") -> str:
    """SELECT of the file's fields (cut to width) in file order: what every writer reads."""
    return f"SELECT {file_columns(titles)} FROM ilsca_record {where} ORDER BY {LINE_ORDER}"


def preview(con: duckdb.DuckDBPyConnection, request: Request, school: str | None = None) -> pd.DataFrame:
    """Build and return the records as the review formats show them (one school when given)."""
    build(con, request)
    return records(con, school)


def sender(con: duckdb.DuckDBPyConnection) -> tuple[str, str | None]:
    """(text for the file name, sending RCDTS): the district's RCDTS, else its name."""
    rcdts, name = con.execute("SELECT nullif(trim(rcdts), ''), name FROM district LIMIT 1").fetchone() or (None, "")
    return (rcdts or re.sub(r"[^A-Za-z0-9]", "", name or "district")), rcdts


def calendars(con: duckdb.DuckDBPyConnection, school: str | None = None) -> pd.DataFrame:
    """Calendars a user may choose (newest year first), with their dates, for the editor."""
    return con.execute(sql_text(PACKAGE, "calendars.sql"), {"school": school}).df()


def default_choices(con: duckdb.DuckDBPyConnection, school: str | None = None) -> dict:
    """Editor values for the newest school year: its calendars (of one school when given)
    and the window from its first term start to its last term end."""
    cals = calendars(con, school)
    if cals.empty:
        return {"calendars": ()}
    newest = cals[cals.school_year == cals.school_year.max()]
    return {"calendars": tuple(newest.calendar_id), "start": newest.first_day.min().date(),
            "end": newest.last_day.max().date()}
