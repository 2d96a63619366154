"""The CCI engine: per-student results, near misses and seniors' potential.

Everything is set-based SQL in DuckDB (`sql/*.sql`), run over the SIS tables of the
connection given: the population is chosen once, marks are filtered to it and aggregated per
student once, every measure is evaluated for every student at once, and the words of what a
student is missing are built only where a result shows them. Rule-set values and schools are bound
parameters. Results are temp tables of the connection, returned as DuckDB relations.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import duckdb
import pandas as pd

from sislab.core.store import sql_text

from .rules import RuleSet, load_rule_set

PACKAGE = "sislab.cci"
SCRATCH = ("cci_evidence_all", "cci_population")  # temp tables of one reading of the evidence
# Per-student SIS inputs evidence.sql reads as cci_<table>: only the population's rows when the
# population is at most SCOPE_SHARE of the cohort table (one school; one class of a district that
# has several classes' records) or when classes scored together have different evidence years,
# else the whole table. Measured on the statewide snapshot: the join costs a fifth more when every
# cohort member is scored, saves a sixth when a quarter is, and saves three quarters for one school.
SCOPED_INPUTS = ("mark", "test_score", "award", "work_based_learning", "cte_completion")
SCOPE_SHARE = 0.5
MAX_MEASURES = 63  # student_result.sql holds sets of measures and of rules as bits of a UBIGINT
# The measure columns of measures_wide.sql, in bit order (bit i of a set = MEASURES[i]).
MEASURES = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "P11",
            "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9")
_result_numbers = itertools.count(1)


def student_results(con: duckdb.DuckDBPyConnection, rule_set: RuleSet | str | None = None,
                    schools: Iterable[str] | None = None) -> duckdb.DuckDBPyRelation:
    """One row per student of the class `rule_set` scores (optionally only `schools`).

    Columns: student_id, school_id, cohort_year, fifth_year, outcome, level, counted,
    measures_met, best_measure, missing, flags, rule_set. Fifth-year graduates who are not
    Prepared are listed with counted = false and the reason in `missing`; roll-ups skip them.
    """
    rule_set = _resolve(rule_set)
    [scored] = score_classes(con, [Scoring(rule_set, rule_set.class_year)], schools)
    return scored.results


@dataclass(frozen=True)
class Scoring:
    """A class to score: the rule set, the cohort year, whether they are current seniors (as if
    each graduated now), whether their near misses are wanted too, and whether only each
    student's level is (a class read for change and colour, such as the prior year's: its
    results have the columns roll-ups read, level_result.sql, without the measures met, flags
    and words that are most of a result's cost)."""

    rule_set: RuleSet
    cohort_year: int
    seniors: bool = False
    near_misses: bool = False
    levels_only: bool = False


@dataclass(frozen=True)
class Scored:
    results: duckdb.DuckDBPyRelation  # as student_results
    near_misses: duckdb.DuckDBPyRelation | None  # as near_misses, when the Scoring asked for them


def score_classes(con: duckdb.DuckDBPyConnection, scorings: list[Scoring],
                  schools: Iterable[str] | None = None) -> list[Scored]:
    """Each class of `scorings` scored (optionally only `schools`), in order. Classes whose rule
    sets read the evidence alike (the same marks, courses, terms and scores count) share one
    reading of it: the inputs are read once for all of them."""
    scored: list[Scored] = []
    for group in _sharing_evidence(scorings):
        # one class whose result is all that reads its evidence: the evidence query is part of the
        # result query (not stored and read back; DuckDB fuses its last joins with the measures)
        inline = len(group) == 1 and not group[0].near_misses
        with _evidence(con, group, schools, stored=not inline) as evidence:
            for i, scoring in enumerate(group):
                if not inline:
                    con.execute(f"CREATE OR REPLACE TEMP VIEW cci_evidence AS SELECT * FROM cci_evidence_all "
                                f"WHERE scoring = {i:d}")
                rules = scoring.rule_set
                results = _result_table(con, rules, scoring.levels_only, None if evidence.stored else evidence)
                near = _near_misses(con, rules, results) if scoring.near_misses else None
                scored.append(Scored(results, near))
    return scored


@dataclass(frozen=True)
class Evidence:
    """evidence.sql over the population of a group of classes, with the values it is run with;
    `stored`: it was run into cci_evidence_all, else it is to be read inline (as a CTE)."""

    query: str
    params: dict
    stored: bool


def _sharing_evidence(scorings: list[Scoring]) -> list[list[Scoring]]:
    """`scorings` in runs of consecutive ones whose rule sets give evidence.sql the same values."""
    used = set(re.findall(r"\$([A-Za-z_]\w*)", sql_text(PACKAGE, "evidence.sql")))
    groups: list[list[Scoring]] = []
    for scoring in scorings:
        reads = {k: v for k, v in scoring.rule_set.sql_params().items() if k in used}
        if groups and reads == {k: v for k, v in groups[-1][0].rule_set.sql_params().items() if k in used}:
            groups[-1].append(scoring)
        else:
            groups.append([scoring])
    return groups


def potential(con: duckdb.DuckDBPyConnection, rule_set: RuleSet | str | None = None,
              schools: Iterable[str] | None = None, *, today: date | None = None) -> duckdb.DuckDBPyRelation:
    """Results for current seniors (the class `senior_class` names), as if each graduated now
    with a regular diploma and the evidence on file; same columns as `student_results`.
    Raises NoCurrentClass when the snapshot's calendars have all ended."""
    rule_set = _resolve(rule_set)
    [scored] = score_classes(con, [Scoring(rule_set, senior_class(con, today).year, True)], schools)
    return scored.results


class NoCurrentClass(ValueError):
    """The snapshot has no school year under way or ahead: there are no current seniors to score."""


@dataclass(frozen=True)
class SeniorClass:
    """The class of current seniors, and why it is that class (`reason`, for people)."""

    year: int
    reason: str


def senior_class(con: duckdb.DuckDBPyConnection, today: date | None = None) -> SeniorClass:
    """The class of current seniors: the school year of the regular calendars under way on
    `today` (default: the real date), or the next one loaded when `today` falls between school
    years. A snapshot whose calendars have all ended has no current class (NoCurrentClass),
    rather than re-scoring a class that has graduated."""
    today = today or date.today()
    newest, newest_ends, year, starts, ends = run_query(
        con, sql_text(PACKAGE, "senior_class.sql"), {"today": today}).fetchall()[0]
    if year is None:
        found = (f"the newest regular calendar ({_school_year(newest)}) ended on {newest_ends}"
                 if newest else "no regular calendar is loaded")
        raise NoCurrentClass(f"No current class of seniors on {today}: {found}. "
                             "Import a snapshot with the current school year's calendar to score seniors.")
    when = "under way" if starts <= today else f"starting {starts}"
    return SeniorClass(year, f"class of {year}: the seniors of {_school_year(year)}, the school year "
                             f"{when} on {today} (regular calendars {starts} to {ends})")


def _school_year(end_year: int) -> str:
    return f"{end_year - 1}-{end_year % 100:02d}"


def _class(con, rule_set: RuleSet, seniors: bool, today: date | None) -> int:
    return senior_class(con, today).year if seniors else rule_set.class_year


def near_misses(con: duckdb.DuckDBPyConnection, rule_set: RuleSet | str | None = None,
                schools: Iterable[str] | None = None, *, seniors: bool = True,
                today: date | None = None) -> pd.DataFrame:
    """Students one requirement away from Prepared, one row per student and measure, sorted by
    the requirement they miss: current seniors by default, else the scored class's graduates.

    Columns: requirement, measure, school_id, student_id, level, missing, rule_set.
    """
    rule_set = _resolve(rule_set)
    scoring = Scoring(rule_set, _class(con, rule_set, seniors, today), seniors, near_misses=True, levels_only=True)
    [scored] = score_classes(con, [scoring], schools)
    return scored.near_misses.df()


def _near_misses(con, rule_set: RuleSet, results: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """near_miss.sql over cci_evidence, with the levels of `results` (its class's result table),
    as a temp table (kept in DuckDB: a mass update writes it as it is)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW cci_scored AS SELECT student_id, level FROM {results.alias}")
    name = f"cci_near_miss_{next(_result_numbers)}"
    try:
        run_query(con, f"CREATE TEMP TABLE {name} AS\n" + _with_measures("near_miss.sql", rule_set),
                  rule_set.sql_params())
    finally:
        con.execute("DROP VIEW cci_scored")
    return con.table(name)


def student_measures(con: duckdb.DuckDBPyConnection, rule_set: RuleSet | str | None = None,
                     schools: Iterable[str] | None = None, *, seniors: bool = False,
                     today: date | None = None) -> pd.DataFrame:
    """Every enabled measure for every student (before the fifth-year filter): met, the rule
    that met it, and for a measure not met the requirements missing and what they are.

    Columns: student_id, measure, ordinal, tier, met, rule, gap, started, requirement, missing.
    """
    rule_set = _resolve(rule_set)
    with _one_evidence(con, rule_set, _class(con, rule_set, seniors, today), seniors, schools):
        query = _with_measures("measure_detail.sql", rule_set)
        return run_query(con, query, rule_set.sql_params()).df()


def _resolve(rule_set: RuleSet | str | None) -> RuleSet:
    return rule_set if isinstance(rule_set, RuleSet) else load_rule_set(rule_set)


@contextmanager
def _one_evidence(con, rule_set: RuleSet, cohort_year: int, seniors: bool, schools):
    """cci_evidence of one class, for the block."""
    with _evidence(con, [Scoring(rule_set, cohort_year, seniors)], schools):
        con.execute("CREATE OR REPLACE TEMP VIEW cci_evidence AS SELECT * FROM cci_evidence_all")
        yield


@contextmanager
def _evidence(con, scorings: list[Scoring], schools, stored: bool = True):
    """Builds cci_population and, when `stored`, cci_evidence_all for `scorings` (rule sets that
    read the evidence alike: the first one's values are used), yields the Evidence, and drops
    them afterwards."""
    schools = None if schools is None else [str(s) for s in schools]
    domains = _evidence_domains(con)
    con.execute(sql_text(PACKAGE, "macros.sql"))
    try:
        _populations(con, scorings, schools)
        years = {s.cohort_year for s in scorings}
        several_years = len(years) > 1
        if several_years:  # each input row with the evidence year(s) of its student
            con.execute("CREATE OR REPLACE TEMP TABLE cci_evidence_key AS "
                        "SELECT DISTINCT student_id, evidence_year FROM cci_population")
            scope = " JOIN cci_evidence_key AS k ON k.student_id = t.student_id"
            year = "k.evidence_year"
        else:
            scoped = _population_share(con) <= SCOPE_SHARE
            scope = " JOIN cci_population AS p ON p.student_id = t.student_id" if scoped else ""
            year = f"{years.pop():d}"
        for table in SCOPED_INPUTS:  # names and years from this module
            con.execute(f"CREATE OR REPLACE TEMP VIEW cci_{table} AS "
                        f"SELECT t.*, {year} AS evidence_year FROM {table} AS t{scope}")
        evidence = Evidence(_evidence_query(domains, several_years), {**scorings[0].rule_set.sql_params(), **domains},
                            stored)
        if stored:
            run_query(con, "CREATE OR REPLACE TEMP TABLE cci_evidence_all AS\n" + evidence.query, evidence.params)
        yield evidence
    finally:
        for view in ("cci_evidence", *(f"cci_{table}" for table in SCOPED_INPUTS)):
            con.execute(f"DROP VIEW IF EXISTS {view}")
        for table in (*SCRATCH, "cci_evidence_key"):
            con.execute(f"DROP TABLE IF EXISTS {table}")


def _populations(con, scorings: list[Scoring], schools: list[str] | None) -> None:
    """cci_population: the students of each class of `scorings`, each row with its scoring's
    number, from one scan of the cohort (population.sql). Several classes are stored class by
    class, as the evidence built on them is then: each class's result reads its own rows together
    (with the classes interleaved, the first result took twice as long)."""
    order = " ORDER BY scoring" if len(scorings) > 1 else ""
    run_query(con, f"CREATE OR REPLACE TEMP TABLE cci_population AS SELECT * FROM (\n"
                   f"{sql_text(PACKAGE, 'population.sql')}\n){order}",
              {"cohort_years": [s.cohort_year for s in scorings], "seniors": [s.seniors for s in scorings],
               "fifth_year_graduates": [s.rule_set.data["fifth_year_graduates"] for s in scorings],
               "schools": schools})


def _population_share(con) -> float:
    """cci_population's rows as a share of the cohort table's (0 for an empty cohort)."""
    counted, cohort = con.execute(
        "SELECT (SELECT count(*) FROM cci_population), (SELECT count(*) FROM cohort)").fetchone()
    return counted / cohort if cohort else 0.0


def _evidence_query(domains: dict, several_years: bool) -> str:
    """evidence.sql with its distinct counts written for the sizes of `domains`, grouped by
    student, and by evidence year too when the population has `several_years`."""
    courses, subjects = len(domains["ap_course_ids"]), len(domains["exam_subjects"])
    written = {"ap_courses": _bit_count("ap_bit", courses),
               "ap_exams": _bit_count("s.bit", subjects, "t.test = 'AP'"),
               "ib_exams": _bit_count("s.bit", subjects, "t.test = 'IB'"),
               "key": "student_id, evidence_year" if several_years else "student_id"}
    query = sql_text(PACKAGE, "evidence.sql")
    for key, expr in written.items():
        query = query.replace("{" + key + "}", expr)
    return query


def _bit_count(bit: str, values: int, where: str | None = None) -> str:
    """SQL counting a group's distinct values numbered by `bit` (0 <= bit < values; NULL: none):
    the bits OR-ed into one UBIGINT per 64 values, each counted (bit_or of integers is about a
    quarter cheaper than bitstring_agg's bit string per group)."""
    words = max(1, -(-values // 64))
    terms = []
    for w in range(words):
        conditions = [c for c in (where, f"{bit} // 64 = {w}" if words > 1 else None) if c]
        only = f" FILTER (WHERE {' AND '.join(conditions)})" if conditions else ""
        terms.append(f"coalesce(bit_count(bit_or(1::UBIGINT << ({bit} % 64)::UBIGINT){only}), 0)::BIGINT")
    return " + ".join(terms)


def _evidence_domains(con) -> dict:
    """The values evidence.sql counts as bits (evidence_domains.sql): ap_course_ids, exam_subjects."""
    row = con.execute(sql_text(PACKAGE, "evidence_domains.sql"))
    return dict(zip([d[0] for d in row.description], row.fetchone()))


def _result_table(con, rule_set: RuleSet, levels_only: bool = False,
                  inline: Evidence | None = None) -> duckdb.DuckDBPyRelation:
    """The class's results as a temp table, from cci_evidence, or from the `inline` evidence query."""
    if max(len(rule_set.measures), len(rule_set.data["uncertain"])) > MAX_MEASURES:
        raise ValueError(f"CCI rule set {rule_set.name}: more than {MAX_MEASURES} measures or uncertain rules.")
    name = f"cci_student_result_{next(_result_numbers)}"
    query = _with_measures("level_result.sql" if levels_only else "student_result.sql", rule_set,
                           inline and inline.query)
    run_query(con, f"CREATE TEMP TABLE {name} AS\n" + query,
              {**(inline.params if inline else {}), **_measure_params(rule_set)})
    return con.table(name)


def _measure_params(rule_set: RuleSet) -> dict:
    """The rule set's parameters, with its sets of measures as bit masks over MEASURES."""
    def mask(ids) -> int:
        return sum(1 << i for i, m in enumerate(MEASURES) if m in ids)

    params = rule_set.sql_params()
    return {**params, "measure_ids": list(MEASURES),
            "prepared_bits": mask(params["prepared_measures"]), "uncertain_bits": mask(params["uncertain"]),
            "order_bits": [MEASURES.index(m) for m in params["measure_order"]]}


@lru_cache
def measure_words() -> dict[str, dict[str, str]]:
    """measure_words.sql as {measure: {"requirement": expr, "missing": expr, "rule": expr}}."""
    words: dict[str, dict[str, str]] = {}
    for measure, part, expr in re.findall(r"^-- (\w+)\.(\w+)\n(.*?)(?=^-- \w+\.\w+$|\Z)",
                                          sql_text(PACKAGE, "measure_words.sql"), flags=re.MULTILINE | re.DOTALL):
        words.setdefault(measure, {})[part] = expr.strip()
    if set(words) != set(MEASURES):
        raise ValueError(f"measure_words.sql describes {sorted(words)}, the engine {sorted(MEASURES)}.")
    return words


def _enabled(rule_set: RuleSet) -> list[tuple[str, int]]:
    """The rule set's enabled measures in reporting order, each with its bit (index in MEASURES).
    The SQL the engine writes covers only these: a measure switched off costs nothing."""
    return [(m, MEASURES.index(m)) for m in rule_set.enabled() if m in MEASURES]


def _measure_rows(rule_set: RuleSet) -> str:
    """cci_measure_row: one branch per enabled measure of the wide row, with its words."""
    words = measure_words()
    return "\nUNION ALL\n".join(
        f"SELECT student_id, '{m}' AS measure, {words[m].get('rule', repr(m))} AS rule, {m}_met AS met, "
        f"{m}_gap AS gap, {m}_started AS started, ({words[m].get('closable', 'true')}) AS closable,\n"
        f"({words[m].get('diploma', 'regular_diploma')}) AS diploma,\n"
        f"({words[m]['requirement']}) AS requirement,\n"
        f"({words[m]['missing']}) AS missing\nFROM cci_measure_wide" for m, _ in _enabled(rule_set))


def _generated(rule_set: RuleSet) -> dict[str, str]:
    """What student_level.sql and student_result.sql have in braces, over the rule set's enabled
    measures: met_bits, nearest_gap (the fewest requirements open among the started Prepared
    measures not met) and nearest_missing (the words of those measures at that gap, in reporting
    order, '; '-joined). Open is tested on the measure's own columns (a bit set of the open
    measures, tested bit by bit, cost more)."""
    said, prepared = measure_words(), set(rule_set.sql_params()["prepared_measures"])
    enabled = _enabled(rule_set)
    open_ = [m for m, _ in enabled if m in prepared]

    def bit_set(terms: list[str]) -> str:
        return "(" + "\n | ".join(terms or ["0"]) + ")::UBIGINT"

    return {
        "met_bits": bit_set([f"({m}_met::UBIGINT << {i})" for m, i in enabled]),
        "nearest_gap": "least(" + ",\n ".join([f"CASE WHEN {m}_started AND NOT {m}_met THEN {m}_gap END"
                                                 for m in open_] or ["NULL"]) + ")",
        "nearest_missing": "concat_ws('; ',\n" + ",\n".join(
            [f"CASE WHEN {m}_started AND NOT {m}_met AND {m}_gap = nearest_gap THEN {said[m]['missing']} END"
             for m in open_] or ["NULL"]) + ")",
    }


def _with_measures(name: str, rule_set: RuleSet, evidence: str | None = None) -> str:
    """A query file that reads `cci_measure_wide`, `cci_student_level` or `cci_measure`, with
    measures_wide.sql (and, when read, the levels and the per-measure rows) put in front as CTEs;
    not materialized, so each use computes only the columns and rows it reads (words are costly).
    `evidence`: a query put in front as the CTE cci_evidence (else cci_evidence is a view)."""
    body = sql_text(PACKAGE, name)
    ctes = [f"cci_evidence AS (\n{evidence}\n)"] if evidence else []
    ctes += [f"cci_measure_wide AS NOT MATERIALIZED (\n{sql_text(PACKAGE, 'measures_wide.sql')}\n)"]
    if re.search(r"\bcci_student_level\b", body):
        ctes += [f"cci_student_level AS NOT MATERIALIZED (\n{sql_text(PACKAGE, 'student_level.sql')}\n)"]
    if re.search(r"\bcci_measure\b", body):
        ctes += [f"cci_measure_row AS NOT MATERIALIZED (\n{_measure_rows(rule_set)}\n)",
                 f"cci_measure AS NOT MATERIALIZED (\n{sql_text(PACKAGE, 'measures.sql')}\n)"]
    measures = "WITH " + ",\n".join(ctes)
    head, *rest = re.split(r"^WITH ", body, maxsplit=1, flags=re.MULTILINE)
    query = f"{head}{measures},\n{rest[0]}" if rest else f"{measures}\n{head}"
    for key, expr in _generated(rule_set).items():
        query = query.replace("{" + key + "}", expr)
    return query


def run_query(con: duckdb.DuckDBPyConnection, query: str, params: dict):
    """Execute `query` with the named parameters it uses (DuckDB refuses unused ones)."""
    used = set(re.findall(r"\$([A-Za-z_]\w*)", query))
    return con.execute(query, {k: v for k, v in params.items() if k in used})
