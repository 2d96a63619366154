"""The A-G alignment check: which in-district A-G courses match the school's UC A-G list.

Set-based SQL over the snapshot (`sql/*.sql`) builds the courses each school offered in the
year (`ag_offered`) and their key matches with the list (`ag_hit`); the course results, the
rates and the worklist are computed from those. Every knob is in `rule.toml`. Rates use exact
integer arithmetic: tenths of a percent rounded half up.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core.store import sql_text

PACKAGE = "sislab.ag"
NOT_AVAILABLE = "n/a"
SCRATCH = ("ag_hit", "ag_offered")
NOT_RATED = "not rated"
DUAL_ENROLLMENT = "dual_enrollment.sql"  # the macro ag_dual_enrollment, shared with the transcripts


@dataclass(frozen=True)
class AgRule:
    """The alignment rule's parameters (rule.toml); `replace` gives variants for tests."""

    areas: tuple[str, ...]
    in_district_only: bool
    exclude_dual_enrollment: bool
    dual_levels: tuple[str, ...]
    offered_by_section: bool
    offered_by_mark: bool
    sis_keys: tuple[str, ...]
    code_types: tuple[str, ...]
    current_status: tuple[str, ...]
    same_area: bool
    same_honors: bool
    pass_tenths: int
    suggestion_cutoff: float
    suggestion_limit: int
    suggest_for: tuple[str, ...]
    middle_school_rule: bool = False  # UC's grade 7-8 reading (rule.toml [middle_school]); off: the spec's formula
    middle_high_grade: int = 8
    middle_areas: tuple[str, ...] = ("c", "e")
    rate_middle_schools: bool = False
    reasons: dict[str, str] = field(default_factory=dict)
    findings: dict[str, str] = field(default_factory=dict)

    def sql_params(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self).items()
                if k not in ("reasons", "findings", "suggestion_cutoff", "suggestion_limit", "suggest_for",
                             "pass_tenths", "rate_middle_schools")}

    def replace(self, **changes) -> AgRule:
        return AgRule(**{**vars(self), **changes})


def load_rule(path: str | Path | None = None) -> AgRule:
    """The rule from `path`, or the shipped defaults (sislab/ag/rule.toml)."""
    text = Path(path).read_text(encoding="utf-8") if path else \
        resources.files(PACKAGE).joinpath("rule.toml").read_text(encoding="utf-8")
    d = tomllib.loads(text)
    u, m, ms = d["universe"], d["match"], d["middle_school"]
    return AgRule(
        areas=tuple(u["areas"]), in_district_only=u["in_district_only"],
        exclude_dual_enrollment=u["exclude_dual_enrollment"], dual_levels=tuple(u["dual_levels"]),
        offered_by_section=u["offered_by_section"], offered_by_mark=u["offered_by_mark"],
        sis_keys=tuple(m["sis_keys"]), code_types=tuple(m["code_types"]), current_status=tuple(m["current_status"]),
        same_area=d["aligned"]["same_area"], same_honors=d["aligned"]["same_honors"],
        pass_tenths=d["rate"]["pass_tenths"], suggestion_cutoff=d["suggestions"]["cutoff"],
        suggestion_limit=d["suggestions"]["limit"], suggest_for=tuple(d["suggestions"]["for_reasons"]),
        middle_school_rule=ms["apply"], middle_high_grade=ms["high_grade"], middle_areas=tuple(ms["areas"]), rate_middle_schools=ms["rated"],
        reasons=dict(d["reasons"]), findings=dict(d["findings"]),
    )


# ---- rate arithmetic -------------------------------------------------------------------------

def rate_tenths(aligned: int, universe: int) -> int | None:
    """aligned / universe in tenths of a percent, rounded half up; None for an empty universe."""
    if universe == 0:
        return None
    return (2000 * aligned + universe) // (2 * universe)


def rate_text(tenths: int | None) -> str:
    """'89.9', '100.0', or 'n/a' (an empty universe is not 100 %)."""
    return NOT_AVAILABLE if tenths is None else f"{tenths // 10}.{tenths % 10}"


def passes(tenths: int | None, rule: AgRule) -> bool | None:
    """Pass iff the rounded rate reaches the cut (90.0 by default); None when there is no rate."""
    return None if tenths is None else tenths >= rule.pass_tenths


# ---- the check -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgReport:
    school_year: int
    rule: AgRule
    courses: pd.DataFrame  # every course of the universe, aligned or with its reason
    schools: pd.DataFrame  # per school: universe, aligned, rate, pass, marks, weighted rate
    district: pd.DataFrame  # one row, same columns: Σ aligned ÷ Σ universe over the rated schools
    not_taught: pd.DataFrame  # list entries no offered course matches (archive them), with the courses suggested_for
    missing_flags: pd.DataFrame  # offered courses on the list but not flagged A-G
    findings: pd.DataFrame  # marks of the year refused because their in_district value is ambiguous

    @property
    def worklist(self) -> pd.DataFrame:
        """Courses not aligned: one reason each, what to fix, fuzzy title suggestions."""
        return self.courses[self.courses["reason"].notna()].reset_index(drop=True)


def check(con: duckdb.DuckDBPyConnection, school_year: int | None = None, schools=None,
          rule: AgRule | None = None) -> AgReport:
    """The A-G alignment report for a school year (default: the newest year with marks)."""
    rule = rule or load_rule()
    year = int(school_year or default_year(con))
    params = {**rule.sql_params(), "school_year": year,
              "schools": None if schools is None else [str(s) for s in schools]}
    with _matches(con, params):
        courses = _query(con, "course_result.sql", params)
        courses["what_to_fix"] = courses["reason"].map(rule.reasons)
        courses["suggestions"], suggested = _suggestions(courses, _query(con, "list_titles.sql", params), rule)
        school_rows = _query(con, "schools.sql", params)
        not_taught = _query(con, "not_taught.sql", params)
        missing = _query(con, "missing_flag.sql", params)
        findings = _query(con, "findings.sql", params)
    findings["message"] = findings["rule"].map(rule.findings)
    # An entry suggested as the likely match of a course may be fixed through that course
    # rather than archived: it stays listed (suggestions are never matches), naming the course.
    not_taught["suggested_for"] = pd.Series(
        [" | ".join(suggested.get((s, u), ())) for s, u in zip(not_taught["school_id"], not_taught["uc_course_id"])],
        index=not_taught.index, dtype=object)
    per_school = _school_rates(school_rows, courses, rule)
    return AgReport(year, rule, courses, per_school, _district_rate(per_school, rule), not_taught, missing, findings)


def default_year(con: duckdb.DuckDBPyConnection) -> int:
    """The newest school year with in-district marks (what transcripts report)."""
    return int(con.execute(sql_text(PACKAGE, "default_year.sql")).fetchone()[0])


@contextmanager
def _matches(con, params: dict):
    try:
        for name in (DUAL_ENROLLMENT, "marks.sql", "offered.sql", "hits.sql"):
            run_query(con, sql_text(PACKAGE, name), params)
        yield
    finally:
        for table in SCRATCH:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute("DROP VIEW IF EXISTS ag_mark")


def _query(con, name: str, params: dict) -> pd.DataFrame:
    return run_query(con, sql_text(PACKAGE, name), params).df()


def run_query(con, query: str, params: dict):
    """Execute `query` with the named parameters it uses (DuckDB refuses unused ones)."""
    used = set(re.findall(r"\$([A-Za-z_]\w*)", query))
    return con.execute(query, {k: v for k, v in params.items() if k in used})


def _school_rates(schools: pd.DataFrame, courses: pd.DataFrame, rule: AgRule) -> pd.DataFrame:
    rows = []
    for s in schools.itertuples():
        mine = courses[courses["school_id"] == s.school_id]
        rows.append({"school_id": s.school_id, "name": s.name, "rated": rule.rate_middle_schools or not s.middle,
                     **_counts(mine)})
    return _with_rates(pd.DataFrame(rows, columns=["school_id", "name", "rated", *_COUNTS]), rule)


_COUNTS = ("universe", "aligned", "marks", "aligned_marks")


def _counts(courses: pd.DataFrame) -> dict[str, int]:
    ok = courses["reason"].isna()
    return {"universe": int(len(courses)), "aligned": int(ok.sum()),
            "marks": int(courses["marks"].sum()), "aligned_marks": int(courses.loc[ok, "marks"].sum())}


def _district_rate(schools: pd.DataFrame, rule: AgRule) -> pd.DataFrame:
    """Σ aligned ÷ Σ universe over the rated schools (not an average of school rates)."""
    rated = schools[schools["rated"].astype(bool)]
    totals = {c: int(rated[c].sum()) for c in _COUNTS}
    return _with_rates(pd.DataFrame([{"school_id": "", "name": "District", "rated": True, **totals}]), rule)


def _with_rates(df: pd.DataFrame, rule: AgRule) -> pd.DataFrame:
    tenths = [rate_tenths(a, u) for a, u in zip(df["aligned"], df["universe"])]
    weighted = [rate_tenths(a, u) for a, u in zip(df["aligned_marks"], df["marks"])]
    df["rate"] = [rate_text(t) for t in tenths]
    df["passed"] = [passes(t, rule) if rated else None for t, rated in zip(tenths, df["rated"])]
    df["result"] = [NOT_RATED if not rated else NOT_AVAILABLE if p is None else "pass" if p else "fail"
                    for p, rated in zip(df["passed"], df["rated"])]
    df["weighted_rate"] = [rate_text(t) for t in weighted]
    return df


def _suggestions(courses: pd.DataFrame, titles: pd.DataFrame, rule: AgRule) -> tuple[list[str], dict]:
    """Up to `limit` list entries of the school whose title resembles the course title, and
    for each (school, entry) suggested the courses it is suggested for ('ART1 (Art 1)')."""
    by_school = {sid: g for sid, g in titles.groupby("school_id")}
    out, suggested = [], {}
    for c in courses.itertuples():
        entries = by_school.get(c.school_id)
        if c.reason not in rule.suggest_for or entries is None:
            out.append("")
            continue
        labels = {t.upper(): (u, f"{t} [{a}; {codes or 'no codes'}]")
                  for t, u, a, codes in zip(entries["title"], entries["uc_course_id"], entries["ag_area"], entries["codes"])}
        close = difflib.get_close_matches(str(c.title).upper(), list(labels), n=rule.suggestion_limit,
                                          cutoff=rule.suggestion_cutoff)
        out.append(" | ".join(labels[t][1] for t in close))
        for t in close:
            suggested.setdefault((c.school_id, labels[t][0]), []).append(f"{c.course_id} ({c.title})")
    return out, suggested
