"""Job records and the per-school run every long job stands on.

`run_per_school` is the mass update of the CCI spec, for any kind of job: it records the
job, queues the schools and works through them one by one. Each school is locked
("<kind>:school:<id>") while it is processed, so no second run — school or district level,
any user, any process — can work on it at the same time; a school that is already running
is skipped and named, with its holder, in the completion e-mail. A school whose work fails
is marked failed and the run goes on. Each school's last started / last completed time is
kept in `school_run_state`.

The job itself holds the lock "job:<id>" for its whole life. A job still marked running
whose lock is free belongs to a process that died (killed, crashed, machine rebooted);
`recover` marks it 'died'. The work function writes results atomically (see
`store.publish_result`), so a failed or dead run leaves the previous results in place.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import socket
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass

from . import access, locks, notify
from .progress import Progress, null_progress
from .store import app_state, transaction, utcnow
from .workspace import Workspace, remove_orphans

Work = Callable[[str, Progress], dict | None]

LIVE = ("queued", "running")
SECTIONS = (("done", "Done"), ("skipped", "Skipped (already running)"), ("failed", "Failed"),
            ("died", "Died"))

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchoolOutcome:
    school_id: str
    status: str  # queued, running, done, skipped, failed, died
    started_at: str | None
    finished_at: str | None
    note: str | None  # skipped: who holds the school; failed: the error
    counts: dict


@dataclass(frozen=True)
class JobReport:
    job_id: int
    kind: str
    user: str
    status: str  # running, succeeded, failed, died
    started_at: str
    finished_at: str | None
    schools: tuple[SchoolOutcome, ...]
    counts: dict
    error: str | None
    notified: str | None  # where the completion e-mail went, or why it was not sent

    def with_status(self, status: str) -> tuple[SchoolOutcome, ...]:
        return tuple(s for s in self.schools if s.status == status)

    @property
    def done(self) -> tuple[SchoolOutcome, ...]:
        return self.with_status("done")

    @property
    def skipped(self) -> tuple[SchoolOutcome, ...]:
        return self.with_status("skipped")

    @property
    def failed(self) -> tuple[SchoolOutcome, ...]:
        return self.with_status("failed")

    def subject(self) -> str:
        return (f"sislab {self.kind} run {self.job_id} {self.status}: {len(self.done)} done, "
                f"{len(self.skipped)} skipped, {len(self.failed)} failed")

    def text(self) -> str:
        """The completion e-mail: every school with its times, who holds the skipped ones."""
        lines = [f"sislab {self.kind} run {self.job_id}, started by {self.user}: {self.status}",
                 f"Started {self.started_at}, finished {self.finished_at}."]
        for status, title in SECTIONS:
            outcomes = self.with_status(status)
            if outcomes:
                lines += ["", f"{title} ({len(outcomes)}):", *(_outcome_line(o) for o in outcomes)]
        if self.counts:
            lines += ["", f"Totals: {_counts_text(self.counts)}"]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class RunningSchool:
    school_id: str
    user: str
    job_id: int
    since: str
    pid: int | None
    host: str | None


@dataclass(frozen=True)
class SchoolState:
    school_id: str
    last_started: str | None
    last_completed: str | None
    last_job_id: int | None
    last_status: str | None  # the school's status in that job: running, done, failed, died


def school_lock(kind: str, school_id: str) -> str:
    return f"{kind}:school:{school_id}"


def job_lock(job_id: int) -> str:
    return f"job:{job_id}"


def run_per_school(ws: Workspace, kind: str, user: str, schools: Iterable[str], work: Work, *,
                   progress: Progress | None = None,
                   notify_to: str | Sequence[str] | None = None) -> JobReport:
    """Run `work(school_id, progress)` for each school in order, each under its school lock.

    `work` returns a dict of counts (no student data). The run owns `progress` (one step per
    school); `work` may update its label with `progress.advance(0, label)`. `notify_to`
    (addresses, or one comma-separated string) gets the completion e-mail.
    """
    recipients = notify.addresses(notify_to) if notify_to else None
    queue = list(dict.fromkeys(str(s) for s in schools))
    if not queue:
        raise ValueError(f"No schools selected for the {kind} run: choose at least one school.")
    access.authorize(ws, user, f"The {kind.upper()} run", queue)
    progress = progress or null_progress()
    recover(ws)
    with closing(app_state(ws)) as con, ExitStack() as job_held, progress:
        # A school's bookkeeping is two small commits. In WAL mode NORMAL leaves out their
        # fsync (about 1 ms each: most of a school's turn in a district run) and keeps the
        # database consistent; the job's last commit is FULL, so everything before it is durable.
        con.execute("PRAGMA synchronous = NORMAL")
        job_id = _open_job(con, ws, job_held, kind, user, queue)
        progress.start(len(queue), f"{kind}: {len(queue)} school(s)")
        try:
            for school_id in queue:
                progress.advance(0, f"{school_id}: running")
                status = _run_school(con, ws, kind, user, job_id, school_id, work, progress)
                progress.advance(1, f"{school_id}: {status}")
        finally:
            _close_job(con, job_id)
        if recipients:
            _notify(con, ws, recipients, _report(con, job_id))
        return _report(con, job_id)


def recover(ws: Workspace) -> list[int]:
    """Mark jobs whose process died (still 'running' but their lock is free) as died, and
    remove what such a process left behind: its lock files and half-written result files."""
    locks.clear_stale(ws)
    remove_orphans(ws.results)
    with closing(app_state(ws)) as con:
        live = [r[0] for r in con.execute("SELECT job_id FROM job WHERE status IN (?, ?)", LIVE)]
        died = [job_id for job_id in live if locks.holder(ws, job_lock(job_id)) is None]
        recovered = [job_id for job_id in died if _mark_died(con, job_id)]
    for job_id in recovered:
        log.warning("job %s: its process ended without finishing; marked died", job_id)
    return recovered


def running(ws: Workspace, kind: str) -> list[RunningSchool]:
    """Schools being processed now by a `kind` run: who started it, which job, since when."""
    recover(ws)
    with closing(app_state(ws)) as con:
        rows = con.execute(
            "SELECT js.school_id, j.user_name, j.job_id, js.started_at, j.pid, j.host"
            " FROM job_school js JOIN job j ON j.job_id = js.job_id"
            " WHERE j.kind = ? AND js.status = 'running' ORDER BY js.started_at, js.school_id",
            [kind]).fetchall()
    return [RunningSchool(*row) for row in rows]


def school_state(ws: Workspace, kind: str) -> list[SchoolState]:
    """Last started / last completed per school for `kind`, with how its last run ended."""
    recover(ws)
    with closing(app_state(ws)) as con:
        rows = con.execute(
            "SELECT s.school_id, s.last_started, s.last_completed, s.last_job_id, js.status"
            " FROM school_run_state s LEFT JOIN job_school js"
            "   ON js.job_id = s.last_job_id AND js.school_id = s.school_id"
            " WHERE s.kind = ? ORDER BY s.school_id", [kind]).fetchall()
    return [SchoolState(*row) for row in rows]


def report(ws: Workspace, job_id: int) -> JobReport:
    """A job as recorded: status, times, every school's outcome."""
    with closing(app_state(ws)) as con:
        return _report(con, job_id)


def _open_job(con: sqlite3.Connection, ws: Workspace, job_held: ExitStack, kind: str, user: str,
              queue: list[str]) -> int:
    """Record the job and take its lock before the record is visible, so `recover` never
    sees a live job without its lock."""
    with transaction(con):
        snapshot = ws.current_snapshot()
        job_id = con.execute(
            "INSERT INTO job (kind, user_name, scope, status, started_at, pid, host, snapshot)"
            " VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
            [kind, user, json.dumps({"schools": queue}), utcnow(), os.getpid(), socket.gethostname(),
             snapshot.name if snapshot else None],
        ).lastrowid
        job_held.enter_context(locks.hold(ws, job_lock(job_id), user=user, job_id=job_id))
        con.executemany("INSERT INTO job_school (job_id, school_id, status) VALUES (?, ?, 'queued')",
                        [(job_id, s) for s in queue])
    log.info("job %s: %s run of %d school(s) started by %s", job_id, kind, len(queue), user)
    return job_id


def _run_school(con, ws, kind, user, job_id, school_id, work: Work, progress: Progress) -> str:
    """One school under its lock; returns its status: done, skipped or failed."""
    try:
        with locks.hold(ws, school_lock(kind, school_id), user=user, job_id=job_id):
            _school_started(con, kind, job_id, school_id)
            try:
                counts = work(school_id, progress) or {}
            except Exception as e:
                return _school_ended(con, job_id, school_id, "failed", note=str(e) or type(e).__name__)
            except BaseException as e:
                _school_ended(con, job_id, school_id, "failed", note=f"interrupted ({type(e).__name__})")
                raise
            _school_done(con, kind, job_id, school_id, counts)
            return "done"
    except locks.Busy as busy:
        return _school_ended(con, job_id, school_id, "skipped", note=str(busy.holder))


def _school_started(con, kind, job_id, school_id) -> None:
    now = utcnow()
    with transaction(con):
        con.execute("UPDATE job_school SET status = 'running', started_at = ? WHERE job_id = ? AND school_id = ?",
                    [now, job_id, school_id])
        con.execute(
            "INSERT INTO school_run_state (kind, school_id, last_started, last_job_id) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, school_id) DO UPDATE"
            " SET last_started = excluded.last_started, last_job_id = excluded.last_job_id",
            [kind, school_id, now, job_id])


def _school_done(con, kind, job_id, school_id, counts: dict) -> None:
    now = utcnow()
    with transaction(con):
        con.execute("UPDATE job_school SET status = 'done', finished_at = ?, counts = ?"
                    " WHERE job_id = ? AND school_id = ?", [now, json.dumps(counts), job_id, school_id])
        con.execute("UPDATE school_run_state SET last_completed = ? WHERE kind = ? AND school_id = ?",
                    [now, kind, school_id])
    log.info("job %s: school %s done", job_id, school_id)


def _school_ended(con, job_id, school_id, status: str, *, note: str) -> str:
    with transaction(con):
        con.execute("UPDATE job_school SET status = ?, finished_at = ?, note = ? WHERE job_id = ? AND school_id = ?",
                    [status, utcnow(), note, job_id, school_id])
    log.warning("job %s: school %s %s: %s", job_id, school_id, status, note)
    return status


def _close_job(con, job_id) -> None:
    """Final status, committed while the job lock is still held (so `recover` leaves it be),
    and made durable with every school's record before it."""
    con.execute("PRAGMA synchronous = FULL")
    now = utcnow()
    with transaction(con):
        con.execute("UPDATE job_school SET status = 'failed', finished_at = ?, note = 'not run: the run stopped'"
                    " WHERE job_id = ? AND status = 'queued'", [now, job_id])
        rows = con.execute("SELECT status, counts FROM job_school WHERE job_id = ?", [job_id]).fetchall()
        failed = sum(r["status"] == "failed" for r in rows)
        con.execute("UPDATE job SET status = ?, finished_at = ?, counts = ?, error = ? WHERE job_id = ?",
                    ["failed" if failed else "succeeded", now, json.dumps(_totals(rows)),
                     f"{failed} of {len(rows)} school(s) failed" if failed else None, job_id])


def _totals(rows) -> dict:
    totals: dict = {}
    for row in rows:
        for key, value in json.loads(row["counts"] or "{}").items():
            if isinstance(value, (int, float)):
                totals[key] = totals.get(key, 0) + value
    return totals


def _notify(con, ws: Workspace, recipients: list[str], job: JobReport) -> None:
    """Send the completion e-mail; a mail failure is recorded, it does not undo the run."""
    try:
        where = notify.send(ws, recipients, job.subject(), job.text())
    except (OSError, smtplib.SMTPException) as e:
        where = f"not sent: {type(e).__name__}: {e}"
        log.warning("job %s: completion e-mail %s", job.job_id, where)
    with transaction(con):
        con.execute("UPDATE job SET notified = ? WHERE job_id = ?", [where, job.job_id])


def _mark_died(con, job_id: int) -> bool:
    now = utcnow()
    with transaction(con):
        changed = con.execute(
            "UPDATE job SET status = 'died', finished_at = ?, error = 'the process ended without finishing'"
            " WHERE job_id = ? AND status IN (?, ?)", [now, job_id, *LIVE]).rowcount
        con.execute("UPDATE job_school SET status = 'died', finished_at = ?, note = 'the run died'"
                    " WHERE job_id = ? AND status IN (?, ?)", [now, job_id, *LIVE])
    return bool(changed)


def _report(con, job_id: int) -> JobReport:
    job = con.execute("SELECT * FROM job WHERE job_id = ?", [job_id]).fetchone()
    if job is None:
        raise LookupError(f"No job {job_id} in this workspace.")
    schools = tuple(
        SchoolOutcome(r["school_id"], r["status"], r["started_at"], r["finished_at"], r["note"],
                      json.loads(r["counts"] or "{}"))
        for r in con.execute("SELECT * FROM job_school WHERE job_id = ? ORDER BY rowid", [job_id]))
    return JobReport(job["job_id"], job["kind"], job["user_name"], job["status"], job["started_at"],
                     job["finished_at"], schools, json.loads(job["counts"] or "{}"), job["error"],
                     job["notified"])


def _outcome_line(o: SchoolOutcome) -> str:
    when = f"started {o.started_at}, ended {o.finished_at}" if o.started_at else f"at {o.finished_at}"
    detail = o.note or _counts_text(o.counts)
    return f"  {o.school_id}  {when}" + (f"\n      {detail}" if detail else "")


def _counts_text(counts: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in counts.items())
