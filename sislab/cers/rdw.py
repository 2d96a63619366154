"""RDW's group-file validator, rule for rule: the check CERS runs when a group file is uploaded.

CERS is built on the Smarter Balanced reporting warehouse (RDW). Its upload runs
`DefaultCsvValidationService.validate` (SmarterApp/RDW_Common,
group/src/main/java/org/opentestsystem/rdw/group/DefaultCsvValidationService.java) on the
file, read with Apache commons-csv 1.6 (`CSVFormat.DEFAULT.withFirstRecordAsHeader()
.withIgnoreHeaderCase()`, UTF-8 after an optional BOM). One failure rejects the whole file.
This module transcribes that code, quirks included, so that `sislab cers check` gives RDW's
verdict and RDW's messages:

- the header: the first six names must be the six CERS names in order, any case (a name
  with a space is another name); a duplicate name, or a row shorter than the header, makes
  "File does not appear to be a valid CSV with a header row";
- no data row: "Empty file" (blank lines are skipped, as commons-csv does);
- each row needs a non-blank school and group name and an integer school year
  (`Integer.valueOf`: "+2025" and "02025" are integers, "2025 " is not); rows failing this
  are not checked further;
- the school year must be one of the warehouse's years (`SELECT year FROM school_year`);
- the subject, stripped, must be a warehouse subject code or `All` (any case); blank is fine;
- schools must be known to CERS for the uploading login (sislab cannot see CERS's list: the
  caller passes the SIS data's CDS codes, else any 14-digit code counts) and contiguous; a
  group (school + name + year, compared ignoring case with the row before) must be
  contiguous, and a later row of it may not state another subject (a blank subject changes
  nothing);
- at most 200 rows with a non-blank SSID per group, counted over adjacent rows whose
  names match ignoring case.

RDW reports a message once (the first row that has it), except the missing-key messages.
SSIDs and logins are not checked by RDW at all.

A malformed quote (text after a closing quote, or a quote never closed) is commons-csv's
IOException. On the header line it is thrown while the parser is made, and RDW answers
"Error reading file [<commons-csv's words>]"; on a data row it is thrown by the record
iterator wrapped in an IllegalStateException, which `validate` does not catch: the upload
fails with a server error and no `Row:` line, whatever else is wrong with the file. Spaces
after a closing quote are skipped (`"G 1" ,` is the name `G 1`).
"""

from __future__ import annotations

import csv
import io
import itertools
import unicodedata
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date

from .layout import HEADER, MAX_STUDENTS, SCHOOL_YEARS_BACK

# RDW's failure and success texts (DefaultCsvValidationService).
FAILURE = "Row: {row} Failure: {message}"
INVALID_CSV = "File does not appear to be a valid CSV with a header row"
INVALID_HEADERS = "Invalid headers. Headers must be in order: [" + ",".join(HEADER) + "]"
SUBJECTS = ("ELA", "Math")  # the warehouse's subject codes (RDW_Schema warehouse V1_0_0_1__dml.sql)
BOM = "\ufeff"
# java.lang.Character.isWhitespace: space separators except the no-break ones, and these controls.
JAVA_SPACE_CONTROLS = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")
NO_BREAK_SPACES = frozenset("\u00a0\u2007\u202f")
INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class Result:
    """One line of RDW's answer: a failure, or a school's success ("2 groups accepted for X.")."""

    row: int  # data rows from 1; 0 for the file as a whole
    message: str
    ok: bool = False

    def text(self) -> str:
        return FAILURE.format(row=self.row, message=self.message) if not self.ok else self.message


class _BadRecord(Exception):
    """commons-csv's IllegalArgumentException from CSVRecord.get: a name missing or a short row."""


class QuoteError(Exception):
    """commons-csv's IOException for a malformed quote, with its message, in the file's `record`-th
    record (the header is record 1)."""

    def __init__(self, message: str, record: int):
        super().__init__(message)
        self.record = record


def accepted(results: list[Result]) -> bool:
    return all(r.ok for r in results)


def school_years(today: date | None = None, back: int = SCHOOL_YEARS_BACK) -> frozenset[int]:
    """The years sislab takes as CERS's: the current school year (end year) and `back` before it.

    RDW accepts the years of its warehouse table `school_year`, which the state fills; a group
    file for an old year (or for next year, before the state opens it) is rejected."""
    day = today or date.today()
    current = day.year + 1 if day.month >= 7 else day.year
    return frozenset(range(current - back, current + 1))


def cds_code(school: str) -> bool:
    """sislab's stand-in for CERS's list of schools: a 14-digit CDS code."""
    return len(school) == 14 and school.isascii() and school.isdigit()


def validate(text: str, years: Collection[int], subjects: Collection[str] = SUBJECTS,
             known_school: Callable[[str], bool] = cds_code) -> list[Result]:
    """RDW's answer for a group file's text (decoded): failures, or one success per school."""
    results: list[Result] = []
    try:
        records = read(text)
        header = next(records, None) or []
        index = _header_index(header)
        rows = _numbered(records)
        first = next(rows, None)
        if first is None:
            return [Result(0, "Empty file")]
        results += _header_failures(header)
        results += _validate_records(_chain(first, rows), index, frozenset(years),
                                     {s.lower() for s in subjects} | {"all"}, known_school)
    except QuoteError as e:  # the failures found so far are lost with it (below)
        if e.record == 1:  # thrown while the parser reads the header: RDW's IOException branch
            return [Result(0, f"Error reading file [{e}]")]
        return [Result(e.record - 1, f"malformed quote [IOException reading next record: java.io.IOException: {e}]: "
                       "commons-csv throws this from a data row as an IllegalStateException, which RDW's "
                       "validator does not catch, so CERS answers the upload with a server error instead of "
                       "Row lines and loads nothing")]
    except _BadRecord:  # caught by DCV.validate: the failures found so far stay
        results.append(Result(0, INVALID_CSV))
    return results


def read(text: str) -> Iterator[list[str]]:
    """A group file's records (header first, blank lines skipped) as RDW reads them: commons-csv
    1.6's CSVFormat.DEFAULT; QuoteError for a malformed quote. Python's strict reader (fast)
    parses every record it accepts as commons-csv does; from one it refuses (spaces after a
    closing quote, or a malformed quote) on, the file is read by `_commons_records`."""
    text = text.removeprefix(BOM)
    done = 0
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=True):
            if record:
                yield record
                done += 1
    except csv.Error:
        yield from itertools.islice(_commons_records(text), done, None)


def _commons_records(text: str):
    """The records of commons-csv 1.6's CSVFormat.DEFAULT parser (Lexer.nextToken and its
    parse*Token, CSVParser.nextRecord), with its quote errors and its line numbers (lines as
    ExtendedBufferedReader counts them: CR, LF or CRLF, inside quotes too)."""
    end = len(text)
    pos = 0
    eols = 0  # ExtendedBufferedReader.eolCounter: the line ends read so far

    def eol_at(i: int) -> int:  # the length of the line end at i (readEndOfLine), 0 if none
        if i < end and text[i] == "\r":
            return 2 if i + 1 < end and text[i + 1] == "\n" else 1
        return 1 if i < end and text[i] == "\n" else 0

    records = 0
    while pos < end:
        record: list[str] = []
        while True:  # one token per turn; pos is at its first character
            at_line_start = pos == 0 or text[pos - 1] in "\r\n"
            while at_line_start and eol_at(pos):  # ignoreEmptyLines
                pos += eol_at(pos)
                eols += 1
            if pos >= end:
                if record:  # the file ends after a delimiter: an empty last value
                    record.append("")
                break
            if text[pos] == '"':
                start_line = eols + 1
                value, pos = [], pos + 1
                while True:
                    if pos >= end:
                        raise QuoteError(f"(startline {start_line}) EOF reached before encapsulated token "
                                          "finished", records + 1)
                    ch = text[pos]
                    if ch == '"' and pos + 1 < end and text[pos + 1] == '"':
                        value.append('"')
                        pos += 2
                    elif ch == '"':
                        pos += 1
                        while pos < end and text[pos] != "," and not eol_at(pos) and _java_whitespace(text[pos]):
                            pos += 1
                        if pos < end and text[pos] != "," and not eol_at(pos):  # line: of that character
                            raise QuoteError(f"(line {eols + 1}) invalid char between encapsulated token and "
                                              "delimiter", records + 1)
                        break
                    else:
                        if eol_at(pos) and not (ch == "\n" and pos > 0 and text[pos - 1] == "\r"):
                            eols += 1
                        value.append(ch)
                        pos += 1
                token = "".join(value)
            else:
                stop = pos
                while stop < end and text[stop] != "," and not eol_at(stop):
                    stop += 1
                token, pos = text[pos:stop], stop
            record.append(token)
            if pos < end and text[pos] == ",":
                pos += 1
                continue
            if pos < end:  # a line end closes the record
                pos += eol_at(pos)
                eols += 1
            break
        if record:
            records += 1
            yield record


def _numbered(records):
    return ((n, record) for n, record in enumerate(records, start=1))


def _chain(first, rest):
    yield first
    yield from rest


def _header_index(header: list[str]) -> dict[str, int]:
    """Name -> column, names compared ignoring case; a name twice is commons-csv's IllegalArgumentException."""
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        if name.lower() in index:
            raise _BadRecord(name)
        index[name.lower()] = i
    return index


def _header_failures(header: list[str]) -> list[Result]:
    # RDW compares the first six names; a shorter header ends in an exception there (no message of its own).
    if len(header) < len(HEADER) or any(not _equals_ignore_case(want, got) for want, got in zip(HEADER, header)):
        return [Result(0, INVALID_HEADERS)]
    return []


def _validate_records(rows, index: dict[str, int], years: frozenset[int], subjects: set[str],
                      known_school: Callable[[str], bool]) -> list[Result]:
    """DefaultCsvValidationService.validateRecords, line for line."""
    failures: list[Result] = []
    successes: list[Result] = []
    seen: set[str] = set()  # messages already reported (addUniqueFailure)

    def unique(row: int, message: str) -> None:
        if message not in seen:
            seen.add(message)
            failures.append(Result(row, message))

    def add(row: int, message: str) -> None:
        seen.add(message)
        failures.append(Result(row, message))

    def count_students(school, group, count, row) -> None:
        if count > MAX_STUDENTS:
            unique(row, f"School [{school}] Group [{group}] contains {count} students.  "
                        f"Maximum students allowed per group is {MAX_STUDENTS}")

    completed_schools: set[str] = set()
    completed_keys: set[str] = set()
    school_now = group_now = key_now = subject_now = None
    students = groups_in_school = 0
    row = 0
    for row, record in rows:
        school = _get(record, index, "school_natural_id")
        group = _get(record, index, "group_name")
        year = _java_int(_get(record, index, "school_year"))
        subject = _strip_to_none(_get(record, index, "subject_code"))
        missing = [m for m, bad in (("a school", _blank(school)), ("a group name", _blank(group)),
                                    ("a school year", year is None)) if bad]
        for what in missing:
            add(row, f"Record does not contain {what}")
        if missing:
            continue
        if year not in years:
            unique(row, f"Invalid school year: {year}")
        if subject is not None and subject.lower() not in subjects:
            unique(row, f"Invalid subject: {subject}")
        if school_now is None or school_now != school:
            if school_now is not None:
                completed_schools.add(school_now)
                successes.append(_success(groups_in_school, school_now))
            completed_keys.clear()
            key_now = school_now = None
            groups_in_school = 0
            valid = True
            if not known_school(school):
                unique(row, f"School [{school}] can not be found")
                valid = False
            if school in completed_schools:
                unique(row, f"School [{school}] is out-of-order: sort CSV by school, group, year")
                valid = False
            if not valid:
                continue
            school_now = school
        key = f"{school}{group}{year}"
        if key_now is None or not _equals_ignore_case(key_now, key):
            if key_now is not None:
                completed_keys.add(key_now)
            subject_now = None
            key_now = key
            count_students(school_now, group_now, students, row - 1)
            students = 0
            group_now = group
            groups_in_school += 1
            if key in completed_keys:  # exact case, as RDW's HashSet
                unique(row, "Record is out-of-order: sort CSV by school, group, year")
        if subject_now is None:
            subject_now = subject
        elif subject is not None and not _equals_ignore_case(subject, subject_now):
            unique(row, f"Record is attempting to re-define group subject from [{subject_now}] to [{subject}]")
            subject_now = subject
        if not _blank(_get(record, index, "student_ssid")):
            students += 1
    count_students(school_now, group_now, students, row)
    if failures:
        return failures
    return successes + [_success(groups_in_school, school_now)]


def _success(groups: int, school) -> Result:
    return Result(0, f"{groups} group{'' if groups == 1 else 's'} accepted for {school}.", ok=True)


def _get(record: list[str], index: dict[str, int], name: str) -> str:
    """CSVRecord.get(name): a missing name or a row too short is an IllegalArgumentException."""
    i = index.get(name)
    if i is None or i >= len(record):
        raise _BadRecord(name)
    return record[i]


def _java_whitespace(ch: str) -> bool:
    return ch in JAVA_SPACE_CONTROLS or (unicodedata.category(ch) in ("Zs", "Zl", "Zp")
                                         and ch not in NO_BREAK_SPACES)


def _blank(value: str) -> bool:
    """StringUtils.isBlank (Java's whitespace is a part of Python's: a first non-space character decides)."""
    if value and not value[0].isspace():
        return False
    return all(_java_whitespace(ch) for ch in value)


def _strip_to_none(value: str) -> str | None:
    """StringUtils.stripToNull."""
    if value and not value[0].isspace() and not value[-1].isspace():
        return value
    start, end = 0, len(value)
    while start < end and _java_whitespace(value[start]):
        start += 1
    while end > start and _java_whitespace(value[end - 1]):
        end -= 1
    return value[start:end] or None


def _java_int(value: str) -> int | None:
    """Integer.valueOf: an optional sign and decimal digits (any script), within 32 bits; else None."""
    if value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    digits = value[1:] if value[:1] in ("+", "-") else value
    if not digits or any(unicodedata.decimal(ch, None) is None for ch in digits):
        return None
    number = int(digits) * (-1 if value[:1] == "-" else 1)
    return number if -INT_MAX - 1 <= number <= INT_MAX else None


def _equals_ignore_case(a: str, b: str) -> bool:
    """String.equalsIgnoreCase: same length, each pair of characters equal upper- or lower-cased."""
    return a == b or (len(a) == len(b) and all(x == y or x.upper() == y.upper() or x.lower() == y.lower()
                                               for x, y in zip(a, b)))
