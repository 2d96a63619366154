"""The extract editor: what a user chooses, checked before any work starts.

The CLI, the Python API and the notebook form all build a `Request` through `request()`, so
the same mistake gets the same message everywhere (the first three are the vendor's text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

MISSING_START = "Must Enter A Start Date for Course Assignment."
MISSING_END = "Must Enter A End Date for Course Assignment."
NO_CALENDAR = "Must Select 1 or More Calendars."
BAD_FILE_ID = "File Identifier must be 3 digits (e.g. 001)."
BAD_FORMAT = "Format must be one of: state, tab, html."
END_BEFORE_START = "End Date must not be before Start Date."
BAD_DATE = "{label} must be a date as MMDDYY (e.g. 081226); got {value!r}."
BAD_GRADE = "Grades must be K or 01-12 (e.g. K,01,09-12); got {value!r}."
# Refusals once the SIS data is open: nothing is written and nothing is recorded.
UNKNOWN_CALENDAR = "Calendar {ids} is not in the SIS data: nothing was written."
NO_STUDENTS = ("No student is enrolled in calendar {ids} between {start:%m/%d/%Y} and {end:%m/%d/%Y} "
               "in the selected grades{group}: nothing was written.")
NO_RECORDS = ("No student reports with these choices: nothing was written. Scheduled course/sections "
              "that do not report: {reasons}.")
FILE_EXISTS = "{name} already exists: choose another File Identifier, or replace it (--replace)."

FORMATS = ("state", "tab", "html")
ALL_GRADES = tuple(range(0, 13))  # K = 0 .. 12
DATE_FORMATS = ("%m%d%y", "%m%d%Y", "%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d")


class EditorError(ValueError):
    """A choice in the extract editor that must be fixed before the extract can run."""


@dataclass(frozen=True)
class Request:
    """A checked set of editor choices."""

    start: date
    end: date
    calendars: tuple[str, ...]
    file_id: str = "001"
    grades: tuple[int, ...] = ALL_GRADES
    student_group: str | None = None  # the ad hoc filter: a student_group code
    include_no_state_id: bool = False
    strip_apostrophes: bool = False
    protected_identities: bool = False
    format: str = "state"
    run_date: date | None = None  # the date in the file name and header; None: the day it runs
    replace: bool = False  # overwrite a file of the same name (same sender, date and file id)


def request(start=None, end=None, calendars=(), file_id="001", grades=None, student_group=None,
            include_no_state_id=False, strip_apostrophes=False, protected_identities=False,
            format="state", run_date=None, replace=False) -> Request:
    """Check the editor's values in the vendor's order and return a Request, or raise EditorError.
    `run_date` (MMDDYY, blank = today) lets a rerun for a past date reproduce that day's file."""
    start_date = parse_date(start, MISSING_START, "Start Date")
    end_date = parse_date(end, MISSING_END, "End Date")
    chosen = tuple(dict.fromkeys(c.strip() for c in ([calendars] if isinstance(calendars, str) else calendars or ())
                                 if c.strip()))  # each once, in the order given
    if not chosen:
        raise EditorError(NO_CALENDAR)
    if end_date < start_date:
        raise EditorError(END_BEFORE_START)
    file_id = str(file_id or "").strip()
    if not re.fullmatch(r"\d{3}", file_id):
        raise EditorError(BAD_FILE_ID)
    if format not in FORMATS:
        raise EditorError(BAD_FORMAT)
    produced = parse_date(run_date, "", "Run Date") if str(run_date or "").strip() else None
    return Request(start_date, end_date, chosen, file_id, parse_grades(grades), (student_group or None),
                   bool(include_no_state_id), bool(strip_apostrophes), bool(protected_identities), format,
                   produced, bool(replace))


def parse_date(value, missing: str, label: str) -> date:
    """A date from a date, or text as MMDDYY, MMDDYYYY, MM/DD/YYYY or YYYY-MM-DD."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise EditorError(missing)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise EditorError(BAD_DATE.format(label=label, value=text))


def parse_grades(value) -> tuple[int, ...]:
    """Grades from ints or text like "K,01,09-12" (K is 0); None means K-12."""
    if value is None or value == "" or value == ():
        return ALL_GRADES
    items = value.split(",") if isinstance(value, str) else list(value)
    grades: set[int] = set()
    for item in items:
        text = str(item).strip().upper()
        low, _, high = text.partition("-")
        try:
            span = range(_grade(low), _grade(high or low) + 1)
        except ValueError:
            raise EditorError(BAD_GRADE.format(value=str(item))) from None
        if not span:
            raise EditorError(BAD_GRADE.format(value=str(item)))
        grades.update(span)
    return tuple(sorted(grades))


def _grade(text) -> int:
    text = str(text).strip().upper()
    if text in ("K", "KG", "15"):
        return 0
    number = int(text)
    if not 0 <= number <= 12:
        raise ValueError(text)
    return number
