"""CCI roll-ups: status, change and colour per school, district and student group, and counts
per measure, from student results (`student_results` / `potential`, relation or DataFrame)."""

from __future__ import annotations

import duckdb
import pandas as pd

from sislab.core.store import sql_text

from .engine import PACKAGE, run_query
from .rules import RuleSet, load_rule_set

Results = duckdb.DuckDBPyRelation | pd.DataFrame


def school_status(con: duckdb.DuckDBPyConnection, results: Results, prior_results: Results | None = None,
                  rule_set: RuleSet | str | None = None) -> pd.DataFrame:
    """One row per school: denominator, prepared, approaching, status, status_level,
    prior_denominator, prior_status, change, change_level, colour, note (n-size reasons)."""
    return _status(con, results, prior_results, rule_set, by_school=True, by_group=False) \
        .drop(columns="student_group")


def district_status(con: duckdb.DuckDBPyConnection, results: Results, prior_results: Results | None = None,
                    rule_set: RuleSet | str | None = None) -> pd.DataFrame:
    """The district as one unit (all results given); columns as `school_status`."""
    return _status(con, results, prior_results, rule_set, by_school=False, by_group=False) \
        .drop(columns=["school_id", "student_group"])


def group_status(con: duckdb.DuckDBPyConnection, results: Results, prior_results: Results | None = None,
                 rule_set: RuleSet | str | None = None, *, by_school: bool = True) -> pd.DataFrame:
    """One row per student group (EL, LTEL, SED, SWD, FOS, HOM and ethnicity codes) per school,
    or for the district (`by_school=False`, where the LEA n-size for small groups applies)."""
    frame = _status(con, results, prior_results, rule_set, by_school=by_school, by_group=True)
    return frame if by_school else frame.drop(columns="school_id")


def measure_counts(con: duckdb.DuckDBPyConnection, results: Results, rule_set: RuleSet | str | None = None,
                   *, by_school: bool = True) -> pd.DataFrame:
    """Students meeting each measure and students whose best measure it is, per school."""
    _register(con, results, "cci_rollup_current")
    rule_set = _rule_set(con, rule_set)
    params = {**rule_set.sql_params(), "by_school": by_school}
    frame = run_query(con, sql_text(PACKAGE, "measure_counts.sql"), params).df()
    return frame if by_school else frame.drop(columns="school_id")


def _status(con, results, prior_results, rule_set, *, by_school: bool, by_group: bool) -> pd.DataFrame:
    _register(con, results, "cci_rollup_current")
    if prior_results is None:
        prior_results = con.sql("SELECT * FROM cci_rollup_current WHERE false")
    _register(con, prior_results, "cci_rollup_prior")
    rule_set = _rule_set(con, rule_set)
    params = {**rule_set.rollup_params(), **rule_set.group_params(), "by_school": by_school, "by_group": by_group}
    return run_query(con, sql_text(PACKAGE, "status.sql"), params).df()


def _register(con, results: Results, view: str) -> None:
    """Make `results` queryable as the temp view `view` of `con`."""
    con.register(view, results)


def _rule_set(con, rule_set: RuleSet | str | None) -> RuleSet:
    """The rule set given, else the one that produced the registered current results."""
    if isinstance(rule_set, RuleSet):
        return rule_set
    if rule_set is None:
        rule_set = con.execute("SELECT any_value(rule_set) FROM cci_rollup_current").fetchall()[0][0]
    return load_rule_set(rule_set)
