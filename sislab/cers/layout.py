"""The file layout and profile choices of `layout.toml`, loaded once."""

from __future__ import annotations

import tomllib
from importlib import resources

from sislab.core.notify import ADDRESS

LAYOUT: dict = tomllib.loads(resources.files(__package__).joinpath("layout.toml").read_text(encoding="utf-8"))
HEADER: tuple[str, ...] = tuple(LAYOUT["header"])
MAX_STUDENTS: int = LAYOUT["max_students_per_group"]
MAX_NAME: int = LAYOUT["max_group_name"]
SCHOOL_YEARS_BACK: int = LAYOUT["school_years_back"]
LOGIN_PATTERN: str = ADDRESS.pattern  # a login is an e-mail address, checked as notify checks them


def filters_of(roster_type: str) -> list[str]:
    return LAYOUT["roster_types"][roster_type]["filters"]


def label(roster_type: str) -> str:
    return LAYOUT["roster_types"][roster_type]["label"]
