"""The difference between two OneRoster feeds: who was added, dropped, or moved class.

Answers "why is this student missing from my class": compare yesterday's accepted feed
with today's. Both zips are read by the checker's loader (any OneRoster 1.1 zip works).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from sislab.core.store import sql_text

from .checker import PREVIOUS_FILES, load_feed
from .spec import PACKAGE


def diff_feeds(old: str | Path, new: str | Path) -> pd.DataFrame:
    """One row per changed user: change, role, sourcedId, identifier, name, left_classes, joined_classes."""
    con = duckdb.connect()
    try:
        load_feed(con, Path(old), "o", only=PREVIOUS_FILES)
        load_feed(con, Path(new), "n", only=PREVIOUS_FILES)
        return con.execute(sql_text(PACKAGE, "diff.sql")).df()
    finally:
        con.close()
