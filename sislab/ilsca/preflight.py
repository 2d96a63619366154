"""Pre-flight: the checks ISBE's upload makes, run on the built extract before it is written.

Findings never change the file; they are shown before the file is produced and saved beside
it as CSV. Check texts and the patterns ISBE applies are data (preflight.toml).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core.safe_csv import FORMULA_START, copy_csv

from .report import PACKAGE, run_sql


@lru_cache
def rules() -> dict:
    return tomllib.loads(resources.files(PACKAGE).joinpath("preflight.toml").read_text(encoding="utf-8"))


def build(con: duckdb.DuckDBPyConnection, sending_rcdts: str | None,
          school: str | None = None) -> duckdb.DuckDBPyRelation:
    """Every finding over the built extract (see `report.build`) into the temp table
    `ilsca_finding`, in list order; only one serving school's when `school` is given."""
    r = rules()
    params = {k: v for k, v in r.items() if not isinstance(v, dict)}  # patterns and bounds
    params |= {"check_names": list(r["checks"]), "check_problems": list(r["checks"].values()),
               **{f"reason_{code}": text for code, text in r["reasons"].items()}}
    params["formula_start"] = list(FORMULA_START)  # the state file is not altered: such values are flagged
    run_sql(con, "preflight.sql", {**params, "sending_rcdts": sending_rcdts, "school": school})
    return con.table("ilsca_finding")


def findings(con: duckdb.DuckDBPyConnection, sending_rcdts: str | None, school: str | None = None) -> pd.DataFrame:
    """Every finding over the built extract, in the checks' order (see `build`)."""
    build(con, sending_rcdts, school)
    return built(con)


def built(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The findings of the last `build` as a DataFrame (through Arrow: ~10x faster than .df()
    for the million findings a large district can have)."""
    return con.table("ilsca_finding").to_arrow_table().to_pandas()


def write_csv(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Save the built findings (`build`) as CSV with a title row, atomically, owner-only."""
    copy_csv(con, "SELECT * FROM ilsca_finding", path, options="FORMAT csv, HEADER true, QUOTE '\"', ESCAPE '\"'")


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """How many findings of each check, for the top of the pre-flight list."""
    counts = df.groupby("check", sort=False).size().rename("findings").reset_index()
    counts["problem"] = counts["check"].map(rules()["checks"])
    return counts[["check", "findings", "problem"]]
