"""CCI mass update: recompute and publish the student summaries of one school or many.

A run is `jobs.run_per_school(ws, "cci", ...)`: each school is locked while it is processed
(a second run for it, school or district level, any user or process, skips it and names
who holds it), each school's last started / last completed time is kept, the starter gets
the completion e-mail. The first school's turn computes every chosen school's results from
one snapshot and writes them into one result batch (`store.new_result_batch`); each school's
turn then publishes its part of it (`store.publish_batch_part`, one part per rule set and
school, all result sets at once), so a school whose work fails or dies keeps its previous results.
A school whose turn comes after an import changed the snapshot, or after another run published
its results computed later than the batch (`store.published_after`), is computed anew (with
the schools after it) from the current snapshot: the district run never puts older results
back over newer ones that a school run published meanwhile.

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
from collections.abc import Iterable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core import access, jobs, store
from sislab.core import school_groups as core_school_groups
from sislab.core.progress import Progress, null_progress
from sislab.core.workspace import Workspace

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
    first school is processed (under its lock), and written once into a result batch; then
    each school publishes its share under its own lock, with its own timestamps (computed
    anew from the current snapshot if an import or another run's newer results came
    meanwhile). `notify_to`:
    addresses for the completion e-mail; by default the starter's address in app_user, if any
    (None sends nothing).
    """
    ws = ws or Workspace.locate()
    user = user or access.current_user()
    rules = load_rule_set(rule_set) if not isinstance(rule_set, RuleSet) else rule_set
    recipients = default_recipient(ws, user) if notify_to is DEFAULT else notify_to
    chosen = list(dict.fromkeys(str(s) for s in school_ids))
    with ExitStack() as open_snapshot:
        def connect() -> duckdb.DuckDBPyConnection:  # the SIS tables only: no views of published results
            return open_snapshot.enter_context(store.snapshot(ws, result_views=False))

        shared = SharedRun(connect, ws, chosen, rules)
        open_snapshot.callback(shared.close)

        def work(school_id: str, progress: Progress) -> dict:
            return update_school(shared, school_id, progress)

        return jobs.run_per_school(ws, KIND, user, chosen, work, progress=progress, notify_to=recipients)


class SharedRun:
    """One run's results of the chosen schools, computed on first use from the snapshot current
    then and written once into a result batch (`batch`), whose parts the schools then publish.

    A school whose turn comes after an import changed the snapshot, or after another run
    published the school's results computed later than the batch, gets results computed anew,
    from the current snapshot, for it and the schools after it (`compute`): a district run
    must never put older results back over newer ones.
    A failure is kept and raised again for every later school, so none publishes half a run.
    """

    def __init__(self, connect, ws: Workspace, school_ids: list[str], rules: RuleSet):
        self._connect, self.ws, self.school_ids, self.rules = connect, ws, school_ids, rules
        self._error = None
        self.batch = self.counts = self.snapshot = None
        self._batches: list = []

    def compute(self, school_id: str) -> None:
        """Make `batch` hold `school_id`'s results from the current snapshot: computed at the
        first school's turn, and again (for this school and the rest) when the snapshot changed
        or another run published newer results of the school since `batch` was computed."""
        if self._error is not None:
            raise self._error
        if (self.counts is not None and self.snapshot == _name(self.ws.current_snapshot())
                and not store.published_after(self.batch, self.part(school_id))):
            return
        try:
            con = self._connect()
            self.snapshot = opened_snapshot(con)
            remaining = self.school_ids[self.school_ids.index(school_id):]
            results = district_results(con, remaining, self.rules)
            stamp = store.utcnow()
            self.batch = store.new_result_batch(self.ws, KIND)
            self._batches.append(self.batch)
            for name, rows in results.items():
                with _registered(con, rows) as select:
                    store.write_batch_result(
                        self.batch, name, con,
                        f"SELECT *, concat(?::VARCHAR, '_', school_id) AS {store.PART_COLUMN} FROM ({select}) "
                        "ORDER BY school_id", [self.rules.name, stamp])
            self.counts = counts_by_school(results)
        except Exception as e:
            self._error = e
            self.close()
            raise

    def part(self, school_id: str) -> str:
        """The result part of a school: one per rule set and school."""
        return f"{self.rules.name}_{school_id}"

    def close(self) -> None:
        """Remove the batches no school published from (failed, skipped, killed first, or
        computed again from a newer snapshot before any school published)."""
        for batch in self._batches:
            if not (batch / store.BATCH_PARTS).exists():
                shutil.rmtree(batch, ignore_errors=True)


def opened_snapshot(con: duckdb.DuckDBPyConnection) -> str:
    """The file name of the snapshot `con` reads (the pointer may have moved since it opened)."""
    return _name(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
                 .fetchone()[0])


def _name(snapshot_file) -> str | None:
    """A snapshot's file name (each import publishes a new one), or None without a snapshot."""
    return Path(snapshot_file).name if snapshot_file else None


def update_school(shared: SharedRun, school_id: str, progress: Progress | None = None) -> dict:
    """Publish one school's share of the run's results; return its counts."""
    progress = progress or null_progress()
    progress.advance(0, f"{school_id}: computing")
    counts = school_share(shared, school_id)
    progress.advance(0, f"{school_id}: publishing")
    store.publish_batch_part(shared.batch, shared.part(school_id))
    return counts


def school_share(shared: SharedRun, school_id: str) -> dict:
    """The run's results computed (by the first school's turn, or anew from a newer snapshot)
    and this school's counts (no student data); a school without rows publishes an empty share."""
    shared.compute(school_id)
    return shared.counts.get(school_id, shared.counts[""])


def district_results(con: duckdb.DuckDBPyConnection, school_ids: list[str], rules: RuleSet) -> dict:
    """Everything published, for all of `school_ids` at once (each row has its school_id).
    Without a current class (a snapshot whose calendars have all ended) seniors' potential and
    near misses are empty, so no graduated class is shown as seniors."""
    try:
        seniors_class = engine.senior_class(con)
    except engine.NoCurrentClass:
        seniors_class = None
    prior_rules = prior_rule_set(rules)
    scorings = [engine.Scoring(rules, rules.class_year)]  # the classes share one reading of the evidence
    scorings += [engine.Scoring(rules, seniors_class.year, seniors=True, near_misses=True)] if seniors_class else []
    scorings += [engine.Scoring(prior_rules, prior_rules.class_year, levels_only=True)] if prior_rules else []
    scored = engine.score_classes(con, scorings, school_ids)
    current = scored[0].results
    prior = scored[-1].results if prior_rules else None
    status = [rollup.school_status(con, current, prior, rules).assign(population=GRADUATED,
                                                                       cohort_year=rules.class_year)]
    if seniors_class is None:
        seniors = current.filter("false")
        near = con.sql("SELECT " + ", ".join(f"NULL::VARCHAR AS {c}" for c in NEAR_MISS_COLUMNS) + " WHERE false")
    else:
        seniors, near = scored[1].results, scored[1].near_misses
        status.append(rollup.school_status(con, seniors, current, rules).assign(population=POTENTIAL,
                                                                                cohort_year=seniors_class.year))
    return {  # school_status last: a dashboard takes its presence to mean all are there
        "student_result": current,
        "potential": seniors,
        "near_miss": near,
        "measure_count": rollup.measure_counts(con, current, rules).assign(rule_set=rules.name),
        "school_status": pd.concat(status, ignore_index=True).assign(rule_set=rules.name),
    }


def prior_rule_set(rules: RuleSet) -> RuleSet | None:
    """The rule set of the year before (for change and colour), when sislab has it."""
    for name in rule_set_names():
        candidate = load_rule_set(name)
        if candidate.class_year == rules.class_year - 1:
            return candidate
    return None


@contextmanager
def _registered(con, rows):
    """`rows` as the view PUBLISH_VIEW, and the query that publishes it (one parameter: the
    computed_at stamp, its last column); columns that pandas left untyped (all empty) are cast
    to text."""
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
    for school, near in results["near_miss"].aggregate("school_id, count(DISTINCT student_id)", "school_id").fetchall():
        counts.setdefault(school, dict(counted))["near_misses"] = near
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


