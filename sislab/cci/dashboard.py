"""What the CCI status dashboard (notebooks/cci_status.ipynb) shows, read from the results the
mass update published — nothing is recomputed, so the page paints fast.

`school` is the one scope parameter: every table is restricted to it in the SQL (a bound
parameter), so a server that fixes a principal's school only has to set it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core.store import sql_text
from sislab.core.safe_csv import write_frame

from .engine import run_query
from .published import GRADUATED, KIND, POTENTIAL
from .rules import load_rule_set

PACKAGE = "sislab.cci"
STATUS_VIEW = f"{KIND}_school_status"
OUTPUT_FILES = {"status": "school_status.csv", "students": "student_results.csv", "near_misses": "near_misses.csv"}


class NoResults(LookupError):
    """Nothing published for the rule set asked for; the message says how to publish it."""


@dataclass(frozen=True)
class CciDashboard:
    rule_set: str
    class_year: int
    school: str | None
    status: pd.DataFrame  # per school and population (graduated, potential)
    students: pd.DataFrame  # the scored class, one row per student
    near_misses: pd.DataFrame  # seniors one requirement away, by requirement
    measures: pd.DataFrame  # per school and measure: counts and percent of the class
    prepared_measures: tuple[str, ...]

    def graduated(self) -> pd.DataFrame:
        return self.status[self.status["population"] == GRADUATED]

    def potential(self) -> pd.DataFrame:
        return self.status[self.status["population"] == POTENTIAL]

    def student_choices(self) -> list[tuple[str, str]]:
        """(label, student_id) for a drill-down selector, by school and name."""
        s = self.students
        labels = s["last_name"].fillna("") + ", " + s["first_name"].fillna("") + " (" + s["student_id"] + ")"
        return list(zip(labels, s["student_id"]))

    def student(self, student_id: str) -> pd.DataFrame:
        """One student's row (empty when the id is not in this dashboard's scope)."""
        return self.students[self.students["student_id"] == student_id]


def load(con: duckdb.DuckDBPyConnection, school: str | None = None, rule_set: str | None = None) -> CciDashboard:
    """The published results of `rule_set` (default the newest), for `school` or every school."""
    rules = load_rule_set(rule_set)
    published = published_rule_sets(con)
    if rules.name not in published:
        have = f" Published rule sets: {', '.join(published)}." if published else ""
        raise NoResults(f"No CCI results for rule set {rules.name} have been published yet.{have} "
                        f"A coordinator publishes them with the CCI mass update "
                        f"(`sislab cci run --all --rule-set {rules.name}`).")
    params = {"rule_set": rules.name, "school": None if school is None else str(school),
              "graduated": GRADUATED, "measure_order": list(rules.measures),
              "shown_n": rules.data["n_size"]["shown"]}

    def query(name: str) -> pd.DataFrame:
        return run_query(con, sql_text(PACKAGE, f"dashboard_{name}.sql"), params).df()

    return CciDashboard(rules.name, rules.class_year, params["school"], query("status"), query("students"),
                        query("near_miss"), query("measures"), tuple(rules.sql_params()["prepared_measures"]))


def published_rule_sets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rule sets with published results, newest first (none before the first mass update)."""
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE view_name = ?", [STATUS_VIEW]).fetchall()
    if not views:
        return []
    return [r[0] for r in con.execute(sql_text(PACKAGE, "dashboard_rule_sets.sql")).fetchall()]


def prepared_by_measure(dash: CciDashboard) -> pd.DataFrame:
    """Per school: percent of the class whose best measure is each Prepared measure (the
    columns add up to the school's status, % Prepared)."""
    rows = dash.measures[dash.measures["measure"].isin(dash.prepared_measures)]
    wide = rows.pivot_table(index=["school_id", "school_name"], columns="measure", values="pct_best",
                            aggfunc="sum", fill_value=0.0)
    order = [m for m in dash.prepared_measures if m in wide.columns]
    return wide[order].reset_index()


def write_outputs(dash: CciDashboard, output_dir: str | Path | None) -> list[Path]:
    """The status, student and near-miss tables as CSV files in `output_dir` (None: nothing)."""
    if output_dir is None:
        return []
    tables = {"status": dash.status, "students": dash.students, "near_misses": dash.near_misses}
    return [write_frame(Path(output_dir) / OUTPUT_FILES[k], df) for k, df in tables.items()]
