"""Pre-flight: the checks ISBE's upload makes, run on the built extract before it is written.

Findings never change the file; they are shown before the file is produced and saved beside
it as CSV. Check texts and the patterns ISBE applies are data (preflight.toml).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

import duckdb
import pandas as pd

from .report import PACKAGE, run_sql

COLUMNS = ["check", "problem", "student_id", "section_number", "local_course_id", "term", "field", "value"]


@lru_cache
def rules() -> dict:
    return tomllib.loads(resources.files(PACKAGE).joinpath("preflight.toml").read_text(encoding="utf-8"))


def findings(con: duckdb.DuckDBPyConnection, sending_rcdts: str | None, school: str | None = None) -> pd.DataFrame:
    """Every finding over the built extract (see `report.build`), in the checks' order; only
    one serving school's when `school` is given."""
    r = rules()
    params = {k: v for k, v in r.items() if not isinstance(v, dict)}  # patterns and bounds
    df = run_sql(con, "preflight.sql", {**params, "sending_rcdts": sending_rcdts, "school": school}).df()
    order = list(r["checks"])
    df["problem"] = df["check"].map(r["checks"])
    why = df["check"] == "not_reported"
    df.loc[why, "value"] = df.loc[why, "value"].map(_reasons)
    df["_order"] = df["check"].map(order.index)
    df = df.sort_values(["_order", "student_id", "local_course_id", "section_number", "term"], na_position="first")
    return df[COLUMNS].reset_index(drop=True)


def _reasons(codes: str) -> str:
    return "; ".join(rules()["reasons"][c] for c in codes.split(","))


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """How many findings of each check, for the top of the pre-flight list."""
    counts = df.groupby("check", sort=False).size().rename("findings").reset_index()
    counts["problem"] = counts["check"].map(rules()["checks"])
    return counts[["check", "findings", "problem"]]
