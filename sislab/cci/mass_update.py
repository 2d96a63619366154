"""CCI mass update: recompute and publish the student summaries of one school or many.

A run is `jobs.run_per_school(ws, "cci", ...)`: each school is locked while it is processed
(a second run for it, school or district level, any user or process, skips it and names
who holds it), each school's last started / last completed time is kept, the starter gets
the completion e-mail. Per school the work computes everything from one snapshot first and
then publishes it (`store.publish_result`, one part per rule set and school), so a school
whose work fails or dies keeps its previous results.

Published result sets (views `cci_<name>` inside `store.snapshot()`), every row with
`rule_set` and `computed_at`:

| name | rows |
|---|---|
| student_result | the scored class, one per counted student (`cci.student_results`) |
| potential | current seniors as if they graduated now (`cci.potential`) |
| near_miss | seniors one requirement away from Prepared (`cci.near_misses`) |
| measure_count | students meeting each measure, and whose best measure it is |
| school_status | `population` 'graduated' (change from the prior year's rule set) and 'potential' (change from the graduated class) |
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core import access, jobs, store
from sislab.core import school_groups as core_school_groups
from sislab.core.progress import Progress, null_progress
from sislab.core.workspace import Workspace, private_dir

from . import engine, rollup
from .published import GRADUATED, KIND, POTENTIAL, local_time
from .rules import PREPARED, RuleSet, load_rule_set, rule_set_names

HIGH_SCHOOL_TYPES = ("HS", "ALT")
PUBLISH_VIEW = "cci_publish"
NEAR_MISS_COLUMNS = ["requirement", "measure", "school_id", "student_id", "level", "missing", "rule_set"]
DEFAULT = object()  # notify_to not given: the starter's address from app_user


class SelectionError(ValueError):
    """Schools chosen for a run that the snapshot does not know; the message lists valid ones."""


@dataclass(frozen=True)
class School:
    school_id: str
    name: str
    school_type: str
    active: bool

    @property
    def high_school(self) -> bool:
        return self.school_type in HIGH_SCHOOL_TYPES

    def __str__(self) -> str:
        return f"{self.school_id} {self.name}"


@dataclass(frozen=True)
class SchoolRunStatus:
    """What the mass-update page shows for one school."""

    school: School
    last_started: str | None
    last_completed: str | None
    last_status: str | None  # how its last run ended: running, done, failed, died
    running: jobs.RunningSchool | None

    def message(self) -> str:
        """"North High is being processed since 10:02 by alice", or when it last ran."""
        if self.running:
            return (f"{self.school.name} is being processed since {local_time(self.running.since)} "
                    f"by {self.running.user}")
        if self.last_started is None:
            return f"{self.school.name} has not been processed yet"
        text = f"{self.school.name}: last started {local_time(self.last_started)}"
        text += f", last completed {local_time(self.last_completed)}" if self.last_completed else ", never completed"
        return text + (f" (last run {self.last_status})" if self.last_status not in (None, "done") else "")


# --- choosing schools ----------------------------------------------------------------------

def schools(con: duckdb.DuckDBPyConnection) -> list[School]:
    """Every school of the snapshot, by id."""
    rows = con.execute(store.sql_text("sislab.cci", "mass_update_schools.sql")).fetchall()
    return [School(*row) for row in rows]


def high_schools(known: list[School]) -> list[School]:
    """The schools `--all` runs: active comprehensive and alternative (DASS) high schools."""
    return [s for s in known if s.high_school and s.active]


def select_schools(con: duckdb.DuckDBPyConnection, *, school: str | None = None,
                   school_ids: Iterable[str] | None = None, group: str | None = None,
                   all_schools: bool = False, ws: Workspace | None = None) -> list[str]:
    """The school ids of exactly one way of choosing: one school, a list, a saved group, all."""
    chosen = [c for c in (school, school_ids, group, all_schools or None) if c is not None]
    if len(chosen) != 1:
        raise SelectionError("Choose the schools one way: a school, a list of schools, a group, or all.")
    known = schools(con)
    if all_schools:
        return [s.school_id for s in high_schools(known)]
    if group is not None:
        return _group_members(core_school_groups.all_groups(ws or Workspace.locate(), con), group)
    ids = [school] if school is not None else [str(s).strip() for s in school_ids if str(s).strip()]
    return _known_ids(ids, known)


def _known_ids(ids: list[str], known: list[School]) -> list[str]:
    by_id = {s.school_id: s for s in known}
    unknown = [i for i in ids if i not in by_id]
    if not ids or unknown:
        what = f"Unknown school {', '.join(repr(i) for i in unknown)}" if unknown else "No school given"
        choices = ", ".join(str(s) for s in high_schools(known)) or "none"
        raise SelectionError(f"{what}. High schools in the snapshot: {choices}.")
    return list(dict.fromkeys(ids))


def _group_members(groups: dict[str, list[str]], group: str) -> list[str]:
    match = [name for name in groups if name.casefold() == group.strip().casefold()]
    if not match:
        raise SelectionError(f"No school group {group!r}. Saved groups: {', '.join(groups) or 'none'}.")
    return groups[match[0]]


# --- the run -------------------------------------------------------------------------------

def run(school_ids: Iterable[str], *, ws: Workspace | None = None, user: str | None = None,
        rule_set: RuleSet | str | None = None, notify_to=DEFAULT,
        progress: Progress | None = None) -> jobs.JobReport:
    """Recompute and publish the CCI results of `school_ids`, one school after another.

    The results of all the schools chosen are computed once, from one snapshot, while the
    first school is processed (under its lock); then each school publishes its share under
    its own lock, with its own timestamps, as before. `notify_to`: addresses for the
    completion e-mail; by default the starter's address in app_user, if any (None sends nothing).
    """
    ws = ws or Workspace.locate()
    user = user or access.current_user()
    rules = load_rule_set(rule_set) if not isinstance(rule_set, RuleSet) else rule_set
    recipients = default_recipient(ws, user) if notify_to is DEFAULT else notify_to
    chosen = list(dict.fromkeys(str(s) for s in school_ids))
    with ExitStack() as open_snapshot:
        shared = _Shared(lambda: open_snapshot.enter_context(store.snapshot(ws)), ws, chosen, rules)
        open_snapshot.callback(shared.close)

        def work(school_id: str, progress: Progress) -> dict:
            return update_school(ws, school_id, rules, progress, shared)

        return jobs.run_per_school(ws, KIND, user, chosen, work, progress=progress, notify_to=recipients)


class _Shared:
    """One run's snapshot and the chosen schools' results, computed on first use, once (a
    failure is kept and raised again for every school, so none publishes half a run), with
    each result set written once, split by school (`prepared`), for the schools to publish."""

    def __init__(self, connect, ws: Workspace, school_ids: list[str], rules: RuleSet):
        self._connect, self.ws, self.school_ids, self.rules = connect, ws, school_ids, rules
        self._con = self._results = self._error = None
        self.folder = self.stamp = self.counts = None

    def get(self) -> tuple[duckdb.DuckDBPyConnection, dict]:
        if self._error is not None:
            raise self._error
        if self._results is None:
            try:
                self._con = self._con or self._connect()
                results = district_results(self._con, self.school_ids, self.rules)
                self.stamp = store.utcnow()
                self.folder = Path(tempfile.mkdtemp(prefix="cci-run-", dir=private_dir(self.ws.tmp)))
                for name, rows in results.items():
                    _write_by_school(self._con, rows, self.folder / name, self.stamp)
                self.counts = counts_by_school(results)
                self._results = results
            except Exception as e:
                self._error = e
                raise
        return self._con, self._results

    def prepared(self, name: str, school_id: str) -> Path | None:
        """The school's file of result set `name`, when it has rows (a school without rows
        publishes an empty part the ordinary way)."""
        files = list((self.folder / name / f"school_id={school_id}").glob("*.parquet"))
        return files[0] if len(files) == 1 else None

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def update_school(ws: Workspace, school_id: str, rules: RuleSet, progress: Progress | None = None,
                  shared: _Shared | None = None) -> dict:
    """Publish one school's results (its share of `shared`, else computed for it alone from the
    current snapshot); return counts."""
    progress = progress or null_progress()
    with ExitStack() as stack:
        progress.advance(0, f"{school_id}: computing")
        if shared is None:
            con, district = stack.enter_context(store.snapshot(ws)), None
        else:
            con, district = shared.get()
        results = school_results(con, school_id, rules, district)
        by_school = shared.counts if shared is not None else counts_by_school(results)
        counts = by_school.get(school_id, by_school[""])
        progress.advance(0, f"{school_id}: publishing")
        stamp = shared.stamp if shared is not None else store.utcnow()
        part = f"{rules.name}_{school_id}"
        for name, rows in results.items():
            prepared = shared and shared.prepared(name, school_id)
            if prepared:
                store.publish_result_file(ws, KIND, name, part, prepared)
            else:
                _publish(ws, con, name, part, rows, stamp)
        return counts


def school_results(con: duckdb.DuckDBPyConnection, school_id: str, rules: RuleSet,
                   district: dict | None = None) -> dict:
    """Everything published for one school: {result name: relation or DataFrame}: its rows of
    `district` (district_results of a set of schools including it), else computed for it alone."""
    district = district if district is not None else district_results(con, [school_id], rules)
    one = duckdb.ColumnExpression("school_id") == duckdb.ConstantExpression(school_id)
    return {name: rows.filter(one) if isinstance(rows, duckdb.DuckDBPyRelation)
            else rows.loc[school_id:school_id].reset_index(drop=True)  # by the sorted school index
            for name, rows in district.items()}


def district_results(con: duckdb.DuckDBPyConnection, school_ids: list[str], rules: RuleSet) -> dict:
    """Everything published, for all of `school_ids` at once (each row has its school_id).
    Without a current class (a snapshot whose calendars have all ended) seniors' potential and
    near misses are empty, so no graduated class is shown as seniors."""
    current = engine.student_results(con, rules, school_ids)
    prior_rules = prior_rule_set(rules)
    prior = engine.student_results(con, prior_rules, school_ids) if prior_rules else None
    status = [rollup.school_status(con, current, prior, rules).assign(population=GRADUATED,
                                                                       cohort_year=rules.class_year)]
    try:
        seniors_class = engine.senior_class(con)
    except engine.NoCurrentClass:
        seniors, near = current.filter("false"), pd.DataFrame(columns=NEAR_MISS_COLUMNS)
    else:
        seniors, near = engine.potential_and_near_misses(con, rules, school_ids)
        status.append(rollup.school_status(con, seniors, current, rules).assign(population=POTENTIAL,
                                                                                cohort_year=seniors_class.year))
    return {  # school_status last: a dashboard takes its presence to mean all are there
        "student_result": current,
        "potential": seniors,
        "near_miss": _by_school(near),
        "measure_count": _by_school(rollup.measure_counts(con, current, rules).assign(rule_set=rules.name)),
        "school_status": _by_school(pd.concat(status, ignore_index=True).assign(rule_set=rules.name)),
    }


def _by_school(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` indexed and sorted by school, so that a school's rows are a slice, not a scan."""
    return frame.set_index(frame.school_id.rename("school")).sort_index()


def prior_rule_set(rules: RuleSet) -> RuleSet | None:
    """The rule set of the year before (for change and colour), when sislab has it."""
    for name in rule_set_names():
        candidate = load_rule_set(name)
        if candidate.class_year == rules.class_year - 1:
            return candidate
    return None


def _publish(ws: Workspace, con, name: str, part: str, rows, stamp: str) -> None:
    """One result part; columns that pandas left untyped (all empty) are published as text."""
    with _registered(con, rows) as select:
        store.publish_result(ws, KIND, name, part, con, select, [stamp])


def _write_by_school(con, rows, folder: Path, stamp: str) -> None:
    """Result set `rows` of many schools as one Parquet file per school (folder/school_id=<id>/),
    written in one pass: publishing a school is then a file move, not a query."""
    with _registered(con, rows) as select:
        con.execute(f"COPY ({select}) TO {store.sql_literal(folder)} "
                    "(FORMAT parquet, PARTITION_BY (school_id), WRITE_PARTITION_COLUMNS true)", [stamp])


@contextmanager
def _registered(con, rows):
    """`rows` as the view PUBLISH_VIEW, and the query that publishes it (one parameter: the
    computed_at stamp); columns that pandas left untyped (all empty) are cast to text."""
    con.register(PUBLISH_VIEW, rows)
    try:
        untyped = [c for c, t in con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {PUBLISH_VIEW})")
                   .fetchall() if t == '"NULL"']
        replace = f" REPLACE ({', '.join(f'{_ident(c)}::VARCHAR AS {_ident(c)}' for c in untyped)})" if untyped else ""
        yield f"SELECT *{replace}, ?::VARCHAR AS computed_at FROM {PUBLISH_VIEW}"
    finally:
        con.unregister(PUBLISH_VIEW)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def counts_by_school(results: dict) -> dict[str, dict]:
    """Counts for the job record and e-mail (no student data), per school of `results`."""
    counted = dict.fromkeys(("students", "prepared", "seniors", "near_misses"), 0)
    counts: dict[str, dict] = {}
    for school, students, prepared in results["student_result"].filter("counted").aggregate(
            f"school_id, count(*), count(*) FILTER (WHERE level = '{PREPARED}')", "school_id").fetchall():
        counts.setdefault(school, dict(counted)).update(students=students, prepared=prepared)
    for school, seniors in results["potential"].aggregate("school_id, count(*)", "school_id").fetchall():
        counts.setdefault(school, dict(counted))["seniors"] = seniors
    for school, near in results["near_miss"].groupby("school_id")["student_id"].nunique().items():
        counts.setdefault(school, dict(counted))["near_misses"] = int(near)
    return counts | {"": counted}  # "": a school without rows


# --- who, and what the page shows ------------------------------------------------------------



def default_recipient(ws: Workspace, user: str) -> str | None:
    """The starter's e-mail address (active users only), or None."""
    known = access.get_user(ws, user)
    return known.email if known and known.active and known.email else None


def run_status(ws: Workspace, known: list[School]) -> list[SchoolRunStatus]:
    """Per school of `known`: last started / completed, how it ended, who is processing it now."""
    state = {s.school_id: s for s in jobs.school_state(ws, KIND)}
    running = {r.school_id: r for r in jobs.running(ws, KIND)}
    out = []
    for school in known:
        s = state.get(school.school_id)
        out.append(SchoolRunStatus(school, s and s.last_started, s and s.last_completed,
                                   s and s.last_status, running.get(school.school_id)))
    return out


