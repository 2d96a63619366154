"""The OneRoster 1.1 CSV binding as data (oneroster.toml): files, columns, enumerations.

Both the feed writer and the checker read it, so the columns we write are the columns we check.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

PACKAGE = "sislab.roster"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    kind: str  # text, id, ref, refs, enum, enums, date, datetime, year, email
    target: str | None = None  # the file a ref points at, or the enumeration's name


@dataclass(frozen=True)
class Binding:
    manifest_version: str
    oneroster_version: str
    manifest_files: tuple[str, ...]
    manifest_modes: tuple[str, ...]
    manifest_properties: tuple[str, ...]  # the other properties a 1.1 manifest may give
    enumerations: dict[str, tuple[str, ...]]
    files: dict[str, tuple[Column, ...]]
    patterns: dict[str, re.Pattern]
    formula_checked: dict[str, tuple[str, ...]]  # text people read: warned about when it starts like a formula

    def columns(self, file: str) -> list[str]:
        return [c.name for c in self.files[file]]


@cache
def binding() -> Binding:
    d = tomllib.loads(resources.files(PACKAGE).joinpath("oneroster.toml").read_text(encoding="utf-8"))
    return Binding(
        manifest_version=d["manifest_version"], oneroster_version=d["oneroster_version"],
        manifest_files=tuple(d["manifest_files"]), manifest_modes=tuple(d["manifest_modes"]),
        manifest_properties=tuple(d["manifest_properties"]),
        enumerations={k: tuple(v) for k, v in d["enumerations"].items()},
        files={name: tuple(Column(*c) for c in cols) for name, cols in d["files"].items()},
        patterns={k.removesuffix("_pattern"): re.compile(v) for k, v in d.items() if k.endswith("_pattern")},
        formula_checked={k: tuple(v) for k, v in d["formula_checked"].items()},
    )


def feed_settings() -> dict:
    return tomllib.loads(resources.files(PACKAGE).joinpath("feed.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class CellRule:
    rule: str
    file: str
    column: str
    bad: str  # regex: a value it matches is reported
    fix: str  # what the builder puts in place of each match
    required: bool = False  # an empty value is reported too


@dataclass(frozen=True)
class Receiver:
    """A receiver profile (receivers.toml): the extra rules a real receiver applies."""

    name: str
    description: str
    homeroom_only: bool
    rules: tuple[str, ...]
    severity: dict[str, str]
    cells: tuple[CellRule, ...]


@cache
def receivers() -> dict[str, Receiver]:
    d = tomllib.loads(resources.files(PACKAGE).joinpath("receivers.toml").read_text(encoding="utf-8"))
    return {name: Receiver(name, p["description"], p["homeroom_only"], tuple(p["rules"]), dict(p["severity"]),
                           tuple(CellRule(**c) for c in p["cells"])) for name, p in d.items()}


def receiver(name: str) -> Receiver:
    """The profile called `name`; ValueError naming the known ones otherwise."""
    try:
        return receivers()[name]
    except KeyError:
        raise ValueError(f"unknown receiver {name!r} (known: {', '.join(receivers())})") from None
