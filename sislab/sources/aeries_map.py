"""The Aeries -> sislab mapping (aeries_map.toml) read once, applied both ways.

`read_record` turns one Aeries record into sislab rows (the puller); `write_record` turns sislab
rows back into the record Aeries would send (the fake server, so its fixture comes from a real
snapshot and cannot drift from what the puller reads). Pure functions, no I/O.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sislab.core import model


@dataclass(frozen=True)
class ColumnMap:
    column: str
    field: str | None  # None for "$year"
    transform: str | None = None
    up: int = 0  # 0: the record (or list element) read; 1: its parent; 2: the parent's parent


def _levels_up(key: str) -> tuple[int, str]:
    """"^^Field" -> (2, "Field"): how many levels above the element read a field is."""
    name = key.lstrip("^")
    return len(key) - len(name), name


def _value(chain: list[dict], up: int, field: str):
    """A field `up` levels above the element in a chain [element, parent, grandparent, ...]."""
    return chain[up].get(field) if up < len(chain) else None


def _lookup(chain: list[dict], key: str):
    return _value(chain, *_levels_up(key))


def _matches(value, wanted) -> bool:
    return value in wanted if isinstance(wanted, list) else value == wanted


@dataclass(frozen=True)
class TableMap:
    table: str
    columns: tuple[ColumnMap, ...]
    each: str | None = None
    when: tuple[tuple[str, object], ...] = ()
    unless: tuple[tuple[str, object], ...] = ()
    dedupe: bool = False

    @property
    def lists(self) -> tuple[str, ...]:
        """The list fields walked, outermost first: each = "TestScores.SubTests" -> 2 levels."""
        return tuple(self.each.split(".")) if self.each else ()

    def applies(self, chain: list[dict]) -> bool:
        """Whether a row is read from this element; when/unless fields may name a parent (^Field),
        and a list value means any of its values."""
        return (all(_matches(_lookup(chain, f), v) for f, v in self.when)
                and not (self.unless and all(_matches(_lookup(chain, f), v) for f, v in self.unless)))

    def chains(self, record: dict, parent: dict | None = None):
        """[element, its parent, ..., record(, parent)] for every innermost element of `lists`
        (just [record(, parent)] for a flat table)."""
        def walk(chain: list[dict], lists: tuple[str, ...]):
            if not lists:
                yield chain
                return
            for child in chain[0].get(lists[0]) or []:
                yield from walk([child, *chain], lists[1:])
        yield from walk([record] + ([parent] if parent else []), self.lists)

    def source(self, c: ColumnMap) -> str:
        """How the docs name where a column's value comes from: TestScores[].SubTests[].Score."""
        if c.field is None:
            return "DatabaseYear (the year asked for)"
        return self._path(c.up, c.field) + (f" ({c.transform})" if c.transform else "")

    def conditions(self) -> str:
        """when / unless in the docs' words: " when TestScores[].TestName is AP or IB"."""
        def said(key: str, wanted) -> str:
            values = " or ".join(map(str, wanted)) if isinstance(wanted, list) else repr(wanted)
            return f"{self._path(*_levels_up(key))} is {values}"
        return "".join(f" when {said(f, v)}" for f, v in self.when) + \
            "".join(f" unless {said(f, v)}" for f, v in self.unless)

    def _path(self, up: int, field: str) -> str:
        depth = len(self.lists) - up
        return ("".join(f"{name}[]." for name in self.lists[:depth]) if depth >= 0 else "the student asked for: ") + field


@dataclass(frozen=True)
class Feed:
    name: str
    path: str
    scope: str  # district | school | student
    years: str  # current | each
    area: str
    tables: tuple[TableMap, ...]
    paged: bool = False
    district_too: bool = False  # also asked for school 0 (district-wide records)
    confirmed: tuple[str, ...] = ()
    grades: tuple[int, int] | None = None  # student scope: asked for students of these grades

    def asks_for(self, student: dict) -> bool:
        """Whether a student (a record of the students feed) is asked for, by grade."""
        if self.grades is None:
            return True
        grade = student.get("Grade")
        return isinstance(grade, int) and self.grades[0] <= grade <= self.grades[1]

    def url(self, school: int | None = None, student: str | None = None) -> str:
        return self.path.format(school=school, student=student)


@dataclass(frozen=True)
class Mapping:
    feeds: dict[str, Feed]
    programs: dict[str, tuple[str, ...]]  # sislab student flag -> the Aeries program codes that set it
    codes: dict[str, dict[str, str]]

    def tables(self) -> set[str]:
        """The sislab tables an Aeries pull fills."""
        return {t.table for f in self.feeds.values() for t in f.tables} | {"student"}


@cache
def mapping() -> Mapping:
    doc = tomllib.loads(resources.files(__package__).joinpath("aeries_map.toml").read_text(encoding="utf-8"))
    feeds = {}
    for name, f in doc["feeds"].items():
        tables = tuple(_table_map(t) for t in f.get("tables", ()))
        feeds[name] = Feed(name, f["path"], f["scope"], f["years"], f["area"], tables, f.get("paged", False),
                           f.get("district_too", False), tuple(f.get("confirmed", ())),
                           tuple(f["grades"]) if "grades" in f else None)
    programs = {flag: tuple(codes) if isinstance(codes, list) else (codes,) for flag, codes in doc["programs"].items()}
    return Mapping(feeds, programs, {k: dict(v) for k, v in doc["codes"].items()})


def _table_map(t: dict) -> TableMap:
    known = {c.name for c in model.table(t["table"]).columns}
    columns = []
    for column, spec in t["columns"].items():
        if column not in known:
            raise ValueError(f"aeries_map.toml: {t['table']}.{column} is not in the data model")
        if spec == "$year":
            columns.append(ColumnMap(column, None))
            continue
        field, _, transform = spec.partition("|")
        up, name = _levels_up(field)
        columns.append(ColumnMap(column, name, transform or None, up))
    return TableMap(t["table"], tuple(columns), t.get("each"), tuple(t.get("when", {}).items()),
                    tuple(t.get("unless", {}).items()), t.get("dedupe", False))


# ---- one record -> sislab text values -----------------------------------------------------------

def read_record(table: TableMap, chain: list[dict], year: int) -> dict[str, str]:
    """The sislab row (text, as a CSV export holds it) of one Aeries record or list element;
    `chain` is [element, its parent, ...] as `TableMap.chains` gives it."""
    row = {}
    for c in table.columns:
        if c.field is None:
            row[c.column] = str(year)
            continue
        value = _value(chain, c.up, c.field)
        try:
            row[c.column] = to_text(value, c.transform)
        except (ValueError, TypeError, AttributeError):
            raise Unreadable(c.field, value, c.transform) from None
    return row


class Unreadable(ValueError):
    """A field's value is not of the form its transform reads (a date where a year is expected)."""

    EXPECTED = {"school": "a school code such as 1", "start_year": "a year such as 2026",
                "school_year": "a date such as 2026-06-01", "score": "a list of scores with Type and Score"}

    def __init__(self, field: str, value, transform: str | None):
        expected = self.EXPECTED.get((transform or "").split(":")[0], f"readable as {transform}")
        super().__init__(f"field {field}: {str(value)[:80]!r} is not {expected}")
        self.field = field


def to_text(value, transform: str | None) -> str:
    """An Aeries JSON value as sislab's CSV text; blank for null or empty."""
    if transform == "active":
        return "N" if value else "Y"
    if value is None or value == "":
        return "N" if transform == "bool" else ""
    if transform == "bool":
        return "Y" if value is True or str(value).upper() in ("Y", "TRUE", "1") else "N"
    if transform == "school":
        return "" if int(value) == 0 else f"{int(value):03d}"
    if transform == "date":
        return str(value)[:10]
    if transform == "year_range":
        return str(value).split("-")[-1].strip()
    if transform == "start_year":
        return str(int(str(value)[:4]) + 1)
    if transform == "school_year":
        text = str(value)[:10]
        return str(int(text[:4]) + (1 if int(text[5:7]) >= 7 else 0))
    if transform and transform.startswith("code:"):
        return mapping().codes[transform[5:]].get(str(value), str(value))
    if transform and transform.startswith("score:"):
        return to_text(next((s.get("Score") for s in value if s.get("Type") == transform[6:]), None), None)
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Aeries sends grade levels and scores as 4.0
    return str(value)


# ---- sislab values -> the record Aeries sends (the fake server) --------------------------------

def write_record(table: TableMap, row: dict, up: int = 0) -> dict:
    """The Aeries fields of one sislab row (typed values from a snapshot) at one level: 0 the
    element itself, 1 its parent, ... Columns read from one container by type (score:<Type>)
    fill that container together."""
    record = {}
    for c in table.columns:
        if c.field is None or c.up != up:
            continue
        value = to_json(row[c.column], c.transform)
        if c.transform and c.transform.startswith("score:"):
            record.setdefault(c.field, []).extend(value)
        else:
            record[c.field] = value
    return record


def to_json(value, transform: str | None):
    if transform == "active":
        return "" if value else "I"
    if transform == "bool":
        return bool(value)
    if transform and transform.startswith("score:"):  # Aeries leaves out the types it has no score for
        return [] if value is None else [{"Type": transform[6:], "Score": float(value)}]
    if value is None:
        return 0 if transform == "school" else None
    if transform == "school":
        return int(value)
    if transform == "date":
        return f"{value.isoformat()}T00:00:00"
    if transform == "year_range":
        return f"{value - 1}-{value}"
    if transform == "start_year":
        return str(value - 1)
    if transform == "school_year":
        return f"{value}-04-15T00:00:00"
    if transform and transform.startswith("code:"):
        text = ("Y" if value else "N") if isinstance(value, bool) else str(value)
        return next((k for k, v in mapping().codes[transform[5:]].items() if v == text), text)
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_lists(tables: list[TableMap], rows: list[dict]) -> list[dict]:
    """The elements of the outermost list of `tables` (which share one `each`) made from the
    sislab rows of one record, inner lists nested: consecutive rows with the same fields at a
    level share that level's element (one TestScores element holds its SubTests). A row is
    written by the first table whose when/unless holds for what it writes."""
    lists = tables[0].lists

    def levels(row: dict) -> list[dict]:
        for table in tables:
            written = [write_record(table, row, up) for up in range(len(lists))]  # [element, parent, ...]
            if table.applies(written):
                return written[::-1]  # outermost first
        raise ValueError(f"no table of {lists} takes {row}")

    def nest(items: list[list[dict]], depth: int) -> list[dict]:
        if depth + 1 == len(lists):  # the innermost list: an element per row
            return [item[depth] for item in items]
        runs: list[tuple[dict, list]] = []  # consecutive items with the same fields at this level
        for item in items:
            if runs and runs[-1][0] == item[depth]:
                runs[-1][1].append(item)
            else:
                runs.append((item[depth], [item]))
        return [{**fields, lists[depth + 1]: nest(group, depth + 1)} for fields, group in runs]

    return nest([levels(row) for row in rows], 0)


# ---- docs/aeries.md ----------------------------------------------------------------------------

def markdown() -> str:
    """The security areas and the field mapping, as docs/aeries.md shows them (generated)."""
    m = mapping()
    out = ["| Aeries security area | endpoints | area name documented |", "|---|---|---|"]
    areas: dict[str, list[Feed]] = {}
    for feed in m.feeds.values():
        areas.setdefault(feed.area, []).append(feed)
    for area, feeds in areas.items():
        documented = "yes" if all("area" in f.confirmed for f in feeds) else "assumed"
        out.append(f"| {area} | {', '.join(f'`{f.path}`' for f in feeds)} | {documented} |")
    out += ["", "| endpoint | asked | Aeries field | sislab column | field documented |", "|---|---|---|---|---|"]
    for feed in m.feeds.values():
        asked = ("each DatabaseYear" if feed.years == "each" else "current year") + (", paged" if feed.paged else "")
        path = f"`{feed.path}`" + ("" if "path" in feed.confirmed else " (path assumed)")
        if feed.name == "programs":
            for flag, codes in m.programs.items():
                out.append(f"| {path} | {asked} | ProgramCode {' or '.join(codes)}, no ParticipationEndDate | student.{flag} | "
                           f"{'yes' if 'ProgramCode' in feed.confirmed else 'assumed'} |")
            continue
        for table in feed.tables:
            rows = f" (each element of {'[].'.join(table.lists)})" if table.each else ""
            cond = table.conditions()
            for c in table.columns:
                known = c.field is None or c.field in feed.confirmed
                out.append(f"| {path}{rows}{cond} | {asked} | {table.source(c)} | {table.table}.{c.column} | "
                           f"{'yes' if known else 'assumed'} |")
    codes = [f"- `{name}`: " + ", ".join(f"{k} → {v}" for k, v in table.items()) for name, table in m.codes.items()]
    return "\n".join(out + ["", "Code tables (Aeries code → sislab value):", "", *codes]) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
