"""Per-student CCI results for people: a school's class as a table (`class_results`) and one
student's level, measures met and what is missing (`student_report`), each naming the rule set
and the class it scored and why. Used by `sislab cci students` and `sislab cci show`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from sislab.core.store import sql_text

from . import engine
from .rules import RuleSet, load_rule_set, rule_set_names

COLUMNS = ["student_id", "last_name", "first_name", "school_id", "cohort_year", "level", "counted",
           "measures_met", "missing", "flags", "rule_set"]


class NotFound(ValueError):
    """A student or class the snapshot does not hold; the message says what it does hold."""


@dataclass(frozen=True)
class ClassResults:
    rows: pd.DataFrame  # COLUMNS, one row per student, by name
    scored: str  # which class was scored, by which rule set, and why
    rules: RuleSet
    seniors: bool  # current seniors, as if graduating now


def rules_for_class(class_year: int, rule_set: RuleSet | str | None = None) -> tuple[RuleSet, str]:
    """The rule set that scores `class_year`: the one named, else the Dashboard year of that
    class, else the newest applied to that class (said so)."""
    if rule_set is not None:
        rules = _rules(rule_set)
        if rules.class_year == class_year:
            return rules, f"rule set {rules.name}"
        return dataclasses.replace(rules, class_year=class_year), \
            f"rule set {rules.name} applied to the class of {class_year}"
    for name in reversed(rule_set_names()):
        rules = load_rule_set(name)
        if rules.class_year == class_year:
            return rules, f"rule set {rules.name} (the {name} Dashboard scores the class of {class_year})"
    newest = load_rule_set()
    return dataclasses.replace(newest, class_year=class_year), \
        f"rule set {newest.name} (the newest) applied to the class of {class_year}: no rule set scores it"


def class_results(con: duckdb.DuckDBPyConnection, school_id: str, class_year: int | None = None,
                  rule_set: RuleSet | str | None = None, *, today: date | None = None) -> ClassResults:
    """Every student of one school's class: the rule set's class by default; the current
    seniors (as if graduating now) when `class_year` is their class; else `class_year` under
    `rules_for_class`."""
    seniors = None
    if class_year is not None:
        try:
            seniors = engine.senior_class(con, today)
        except engine.NoCurrentClass:
            pass
    if seniors is not None and class_year == seniors.year:
        rules = _rules(rule_set)
        results = engine.potential(con, rules, [school_id], today=today)
        scored = f"{seniors.reason}; scored as if graduating now with the evidence on file, rule set {rules.name}"
        return ClassResults(_named(con, results), scored, rules, True)
    if class_year is None:
        rules = _rules(rule_set)
        why = f"rule set {rules.name}"
    else:
        rules, why = rules_for_class(class_year, rule_set)
    results = engine.student_results(con, rules, [school_id])
    scored = f"class of {rules.class_year}: the four-year cohort and fifth-year graduates, {why}"
    return ClassResults(_named(con, results), scored, rules, False)


def _rules(rule_set: RuleSet | str | None) -> RuleSet:
    return rule_set if isinstance(rule_set, RuleSet) else load_rule_set(rule_set)


def _named(con, results) -> pd.DataFrame:
    con.register("cci_students_result", results)
    try:
        return con.execute(sql_text("sislab.cci", "students.sql")).df()[COLUMNS]
    finally:
        con.unregister("cci_students_result")


def student_report(con: duckdb.DuckDBPyConnection, student_id: str, rule_set: RuleSet | str | None = None,
                   *, today: date | None = None) -> dict:
    """One student: name, school, class, level, counted, measures met, what is missing, every
    measure not met with its words, and the rule set; for the latest cohort the student is in."""
    cohorts = con.execute("SELECT cohort_year, school_id FROM cohort WHERE student_id = ? ORDER BY cohort_year DESC",
                          [student_id]).fetchall()
    if not cohorts:
        known = con.execute("SELECT count(*) FROM student WHERE student_id = ?", [student_id]).fetchall()[0][0]
        raise NotFound(f"Student {student_id!r} is in no graduation cohort of the snapshot"
                       if known else f"No student {student_id!r} in the snapshot")
    class_year, school_id = cohorts[0]
    found = class_results(con, school_id, class_year, rule_set, today=today)
    rows = found.rows[found.rows.student_id == student_id]  # every cohort member is in its class's run
    measures = engine.student_measures(con, found.rules, [school_id], seniors=found.seniors, today=today)
    measures = measures[measures.student_id == student_id]
    return {**rows.iloc[0].to_dict(), "scored": found.scored,
            "not_met": [(m.measure, m.missing) for m in measures.itertuples() if not m.met]}
