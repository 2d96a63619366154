"""Scheduled notebook runs: `sislab schedule add/list/enable/disable/remove/run-due`.

A schedule names a notebook (a job's or any other), its parameters, the days of the week and the
local time it runs at in an IANA time zone, who owns it and who is e-mailed. Cron or a systemd
timer calls `sislab schedule run-due` every few minutes; each schedule whose time has come
since it last ran is executed once through the runner (papermill) into
`reports/<notebook>/<timestamp>/`, and its addresses get the outcome: the files made with
their record counts, or the failing cell's error.

Due times are computed in the schedule's own time zone, across DST: a time that does not exist
on a spring-forward day runs at the first instant after the jump; a time that happens twice on
a fall-back day runs at the first. Slots missed while the machine was off collapse into one run.

A run starts once however many `run-due` processes race: each takes the schedule's lock
("schedule:<id>", flock: freed when its holder dies) and then claims the slot in one SQLite
write transaction by moving `due_after` forward; a run in progress holds the lock, so it is
never started again beside itself.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import shutil
import smtplib
import socket
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from . import access, config, locks, notify, runner
from .store import app_state, transaction
from .workspace import Workspace

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order
DAY_WORDS = {**{d: (d,) for d in DAYS},
             **{full: (d,) for d, full in zip(DAYS, ("monday", "tuesday", "wednesday", "thursday", "friday",
                                                    "saturday", "sunday"))},
             "daily": DAYS, "weekdays": DAYS[:5], "weekends": DAYS[5:]}
TIME_OF_DAY = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
RUN_STAMP = "%Y%m%dT%H%M%SZ"
NOT_STARTED = {"busy": "not started, a run is in progress ({note})",
               "taken": "not started, another `run-due` started it"}
COUNTED_SUFFIXES = {".csv": ",", ".txt": "\t"}  # data files whose rows are counted (minus header)

log = logging.getLogger(__name__)


class ScheduleError(ValueError):
    """A schedule that cannot be made or found; the message says what to fix."""


@dataclass(frozen=True)
class ScheduleRun:
    run_id: int
    schedule_id: int
    due_at: datetime
    started_at: str
    finished_at: str | None
    status: str  # running, succeeded, failed, died
    error: str | None
    output_dir: str | None
    executed_path: str | None
    files: tuple[dict, ...]  # {"file": path inside output_dir, "records": int | None}
    notified: str | None


@dataclass(frozen=True)
class Schedule:
    notebook: str
    days: frozenset[int]  # 0 = Monday
    time_of_day: time
    time_zone: str
    parameters: dict = field(default_factory=dict)
    notify_to: tuple[str, ...] = ()
    owner: str = ""
    enabled: bool = True
    schedule_id: int | None = None
    due_after: datetime | None = None  # slots after this instant are due
    last_run: ScheduleRun | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def when(self) -> str:
        return f"{days_text(self.days)} {self.time_of_day:%H:%M} {self.time_zone}"


@dataclass(frozen=True)
class RunOutcome:
    schedule: Schedule
    status: str  # succeeded, failed, or a key of NOT_STARTED
    run: ScheduleRun | None = None
    note: str | None = None

    def text(self) -> str:
        head = f"schedule {self.schedule.schedule_id} ({self.schedule.notebook})"
        if self.run is None:
            return f"{head}: " + NOT_STARTED[self.status].format(note=self.note)
        line = f"{head}: {self.status}, due {local_text(self.run.due_at, self.schedule.zone)}"
        detail = self.run.error or _files_text(self.run)
        return f"{line}\n  {detail}\n  report: {self.run.output_dir}"


# --- checking what users type --------------------------------------------------------------

def parse_days(text: str) -> frozenset[int]:
    """'mon,wed,fri', 'Monday Friday', 'weekdays', 'daily' -> weekday numbers (0 = Monday)."""
    names = [n.lower() for n in re.split(r"[,\s]+", text or "") if n]
    unknown = [n for n in names if n not in DAY_WORDS]
    if unknown or not names:
        what = f"Not a day of the week: {unknown[0]!r}" if unknown else "No days given"
        raise ScheduleError(f"{what} (use mon,tue,wed,thu,fri,sat,sun, weekdays, weekends or daily).")
    return frozenset(DAYS.index(day) for name in names for day in DAY_WORDS[name])


def days_text(days: frozenset[int]) -> str:
    """{0, 1, 2, 3, 4} -> 'weekdays'; {0, 2} -> 'mon,wed'."""
    names = tuple(DAYS[d] for d in sorted(days))
    return next((word for word, group in DAY_WORDS.items() if group == names and len(group) > 1), ",".join(names))


def parse_time(text: str) -> time:
    """'07:30' -> 07:30 (24-hour clock)."""
    match = TIME_OF_DAY.fullmatch((text or "").strip())
    if not match:
        raise ScheduleError(f"Not a time of day: {text!r} (use 24-hour HH:MM, e.g. 06:30 or 18:00).")
    return time(int(match[1]), int(match[2]))


def parse_zone(text: str) -> str:
    name = (text or "").strip()
    if name not in available_zones():
        raise ScheduleError(f"Unknown time zone {text!r}: use an IANA name such as America/Los_Angeles "
                            f"or America/Chicago.")
    return name


def parse_addresses(text: str | list[str]) -> tuple[str, ...]:
    try:
        return tuple(notify.addresses(text))
    except notify.BadAddress as e:
        raise ScheduleError(str(e)) from None


def notebook_ref(name: str) -> tuple[str, Path]:
    """How a schedule names its notebook (its name when it is in notebooks/, else its full path)."""
    try:
        path = runner.find_notebook(name)
    except FileNotFoundError as e:
        raise ScheduleError(str(e)) from None
    return (path.stem if path.parent == runner.notebooks_dir() else str(path)), path


def check_parameters(path: Path, parameters: dict[str, str]) -> dict:
    """The parameters as the notebook takes them (names it declares, values of its types)."""
    try:
        return runner.typed_parameters(path, parameters)
    except runner.ParameterError as e:
        raise ScheduleError(str(e)) from None


# --- when a schedule is due (pure: every function takes the clock as an argument) --------

def next_due(schedule: Schedule, after: datetime) -> datetime:
    """The first run instant strictly after `after` (an aware datetime), in UTC."""
    first = after.astimezone(schedule.zone).date()
    for offset in range(-1, 9):
        slot = _slot(schedule, first + timedelta(days=offset))
        if slot is not None and slot > after:
            return slot
    raise ScheduleError(f"Schedule {schedule.schedule_id} has no days of the week.")


def latest_due(schedule: Schedule, now: datetime) -> datetime | None:
    """The last run instant at or before `now`: the one slot that missed slots collapse into."""
    last = now.astimezone(schedule.zone).date()
    for offset in range(1, -9, -1):
        slot = _slot(schedule, last + timedelta(days=offset))
        if slot is not None and slot <= now:
            return slot
    return None


def is_due(schedule: Schedule, now: datetime, last_run: datetime) -> bool:
    """Whether a run instant has come after `last_run` (the slot last run, or when the schedule
    was added or re-enabled) and by `now`."""
    return schedule.enabled and next_due(schedule, last_run) <= now


def _slot(schedule: Schedule, day: date) -> datetime | None:
    if day.weekday() not in schedule.days:
        return None
    return wall_instant(datetime.combine(day, schedule.time_of_day), schedule.zone)


def wall_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a clock in `zone` shows the naive `wall` time: the first one when it
    shows it twice (fall back), the jump itself when it skips it (spring forward)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    if _wall(first, zone) == wall:
        return first
    # Inside a gap: the two folds give an instant before and one after the jump; bisect to it.
    before, after = sorted(int(wall.replace(tzinfo=zone, fold=f).timestamp()) for f in (0, 1))
    while after - before > 1:
        middle = (before + after) // 2
        if _wall(datetime.fromtimestamp(middle, timezone.utc), zone) > wall:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, timezone.utc)


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def local_text(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


# --- the schedules in app state ------------------------------------------------------------

def add(ws: Workspace, notebook: str, *, days: str, time_of_day: str, time_zone: str,
        notify_to: str | list[str], parameters: dict[str, str] | None = None, owner: str | None = None,
        enabled: bool = True, now: datetime | None = None) -> Schedule:
    """Check everything a user typed and store the schedule; its first run is the first slot
    after `now`."""
    ref, path = notebook_ref(notebook)
    raw = {str(k): str(v) for k, v in (parameters or {}).items()}
    check_parameters(path, raw)
    owner = owner or access.current_user()
    _authorize(ws, owner, f"A schedule of {ref}")
    values = [ref, json.dumps(raw), ",".join(DAYS[d] for d in sorted(parse_days(days))),
              f"{parse_time(time_of_day):%H:%M}", parse_zone(time_zone), int(enabled),
              ", ".join(parse_addresses(notify_to)), owner, _iso(_now(now))]
    with closing(app_state(ws)) as con, transaction(con):
        schedule_id = con.execute(
            "INSERT INTO schedule (notebook, parameters, days, time_of_day, time_zone, enabled, notify_to,"
            " owner, created_at, due_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [*values, values[-1]]).lastrowid
    log.info("schedule %s added for %s", schedule_id, ref)
    return get(ws, schedule_id)


def _authorize(ws: Workspace, owner: str, what: str) -> None:
    """The acting user may add or change a schedule that runs as `owner` (access.authorize_schedule)."""
    try:
        access.authorize_schedule(ws, access.current_user(), owner, what)
    except access.NotAllowed as e:
        raise ScheduleError(str(e)) from None


def schedules(ws: Workspace) -> list[Schedule]:
    """Every schedule not removed, with its last run."""
    recover(ws)
    with closing(app_state(ws)) as con:
        rows = con.execute("SELECT * FROM schedule WHERE removed_at IS NULL ORDER BY schedule_id").fetchall()
        return [_schedule(con, row) for row in rows]


def get(ws: Workspace, schedule_id: int) -> Schedule:
    with closing(app_state(ws)) as con:
        row = _row(con, schedule_id)
        return _schedule(con, row)


def set_enabled(ws: Workspace, schedule_id: int, enabled: bool, now: datetime | None = None) -> Schedule:
    """Turn a schedule on or off. Turning it on does not run the slots it missed while off."""
    schedule = get(ws, schedule_id)
    _authorize(ws, schedule.owner, f"Schedule {schedule_id} ({schedule.notebook})")
    with closing(app_state(ws)) as con, transaction(con):
        con.execute("UPDATE schedule SET enabled = ?,"
                    " due_after = CASE WHEN ? AND NOT enabled THEN max(due_after, ?) ELSE due_after END"
                    " WHERE schedule_id = ?", [int(enabled), int(enabled), _iso(_now(now)), schedule_id])
    return get(ws, schedule_id)


def remove(ws: Workspace, schedule_id: int, now: datetime | None = None) -> Schedule:
    """Stop and hide a schedule; its run history and reports stay."""
    schedule = get(ws, schedule_id)
    _authorize(ws, schedule.owner, f"Schedule {schedule_id} ({schedule.notebook})")
    with closing(app_state(ws)) as con, transaction(con):
        con.execute("UPDATE schedule SET removed_at = ?, enabled = 0 WHERE schedule_id = ?",
                    [_iso(_now(now)), schedule_id])
    return schedule


def runs(ws: Workspace, schedule_id: int) -> list[ScheduleRun]:
    """A schedule's runs, oldest first."""
    with closing(app_state(ws)) as con:
        return [_run(r) for r in con.execute("SELECT * FROM schedule_run WHERE schedule_id = ? ORDER BY run_id",
                                             [schedule_id])]


def recover(ws: Workspace) -> list[int]:
    """Mark runs whose process died (still 'running', their schedule's lock free) as died."""
    with closing(app_state(ws)) as con:
        live = con.execute("SELECT run_id, schedule_id FROM schedule_run WHERE status = 'running'").fetchall()
        dead = [r["run_id"] for r in live if locks.holder(ws, schedule_lock(r["schedule_id"])) is None]
        for run_id in dead:
            with transaction(con):
                con.execute("UPDATE schedule_run SET status = 'died', finished_at = ?,"
                            " error = 'the process ended without finishing' WHERE run_id = ? AND status = 'running'",
                            [_iso(_now()), run_id])
            log.warning("scheduled run %s: its process ended without finishing; marked died", run_id)
    return dead


def summary(schedule: Schedule, now: datetime | None = None) -> dict:
    """One line of the schedule list (CLI and notebook form): when, next run, last outcome."""
    last, now = schedule.last_run, _now(now)
    return {"id": schedule.schedule_id, "notebook": schedule.notebook, "when": schedule.when,
            "next run": _next_run_text(schedule, now),
            "last run": f"{last.started_at} {last.status}" if last else "never",
            "parameters": ", ".join(f"{k}={v}" for k, v in schedule.parameters.items()),
            "owner": schedule.owner, "notify": ", ".join(schedule.notify_to)}


def _next_run_text(schedule: Schedule, now: datetime) -> str:
    if not schedule.enabled:
        return "disabled"
    if is_due(schedule, now, schedule.due_after):
        return f"due now (slot {local_text(latest_due(schedule, now), schedule.zone)})"
    return local_text(next_due(schedule, schedule.due_after), schedule.zone)


def schedule_lock(schedule_id: int) -> str:
    return f"schedule:{schedule_id}"


def _row(con, schedule_id: int):
    row = con.execute("SELECT * FROM schedule WHERE schedule_id = ? AND removed_at IS NULL",
                      [schedule_id]).fetchone()
    if row is None:
        raise ScheduleError(f"No schedule {schedule_id}; `sislab schedule list` shows them.")
    return row


def _schedule(con, row) -> Schedule:
    last = con.execute("SELECT * FROM schedule_run WHERE schedule_id = ? ORDER BY run_id DESC LIMIT 1",
                       [row["schedule_id"]]).fetchone()
    return Schedule(row["notebook"], parse_days(row["days"]), parse_time(row["time_of_day"]), row["time_zone"],
                    json.loads(row["parameters"]), tuple(notify.addresses(row["notify_to"])), row["owner"],
                    bool(row["enabled"]), row["schedule_id"], datetime.fromisoformat(row["due_after"]),
                    _run(last) if last else None)


def _run(row) -> ScheduleRun:
    return ScheduleRun(row["run_id"], row["schedule_id"], datetime.fromisoformat(row["due_at"]),
                       row["started_at"], row["finished_at"], row["status"], row["error"], row["output_dir"],
                       row["executed_path"], tuple(json.loads(row["files"] or "[]")), row["notified"])


# --- running what is due -------------------------------------------------------------------

def run_due(ws: Workspace | None = None, now: datetime | None = None) -> list[RunOutcome]:
    """Run, once each, the schedules due by `now`; then prune reports past their retention."""
    ws = ws or Workspace.locate()
    now = _now(now)
    outcomes = [_run_if_due(ws, s, now) for s in schedules(ws) if is_due(s, now, s.due_after)]
    prune_reports(ws, now)
    return outcomes


def _run_if_due(ws: Workspace, schedule: Schedule, now: datetime) -> RunOutcome:
    """Lock the schedule, claim its slot, run it."""
    try:
        with locks.hold(ws, schedule_lock(schedule.schedule_id), user=schedule.owner):
            claimed = _claim(ws, schedule.schedule_id, now)
            return _execute(ws, *claimed) if claimed else RunOutcome(schedule, "taken")
    except locks.Busy as busy:
        log.info("schedule %s: a run is in progress; not started again", schedule.schedule_id)
        return RunOutcome(schedule, "busy", note=str(busy.holder))


def _claim(ws: Workspace, schedule_id: int, now: datetime) -> tuple[Schedule, int] | None:
    """Move the schedule's `due_after` to the slot being run, and record the run, in one write
    transaction: of racing processes exactly one gets (the schedule, its run id)."""
    with closing(app_state(ws)) as con, transaction(con):
        row = con.execute("SELECT * FROM schedule WHERE schedule_id = ? AND removed_at IS NULL",
                          [schedule_id]).fetchone()
        schedule = _schedule(con, row) if row is not None else None
        if schedule is None or not is_due(schedule, now, schedule.due_after):
            return None
        due = _iso(latest_due(schedule, now))
        claimed = con.execute("UPDATE schedule SET due_after = ? WHERE schedule_id = ? AND due_after < ?",
                              [due, schedule_id, due]).rowcount
        if not claimed:
            return None
        run_id = con.execute("INSERT INTO schedule_run (schedule_id, due_at, started_at, status, pid, host)"
                             " VALUES (?, ?, ?, 'running', ?, ?)",
                             [schedule_id, due, _iso(_now()), os.getpid(), socket.gethostname()]).lastrowid
        return schedule, run_id


def _execute(ws: Workspace, schedule: Schedule, run_id: int) -> RunOutcome:
    """Run the notebook, record how it ended and what it made, e-mail the schedule's addresses."""
    log.info("schedule %s: running %s (run %s)", schedule.schedule_id, schedule.notebook, run_id)
    try:
        _, path = notebook_ref(schedule.notebook)
        result = runner.run_notebook(path, check_parameters(path, schedule.parameters), ws=ws, user=schedule.owner)
    except Exception as e:
        _finish(ws, run_id, "failed", f"{type(e).__name__}: {e}")
    except BaseException as e:
        _finish(ws, run_id, "failed", f"interrupted ({type(e).__name__})")
        raise
    else:
        _finish(ws, run_id, "succeeded" if result.ok else "failed", result.error, result)
    run = _notify(ws, schedule, _one_run(ws, run_id))
    return RunOutcome(schedule, run.status, run)


def _finish(ws: Workspace, run_id: int, status: str, error: str | None,
            result: runner.RunResult | None = None) -> None:
    files = [{"file": str(p.relative_to(result.output_dir)), "records": record_count(p)}
             for p in result.produced_files] if result else []
    with closing(app_state(ws)) as con, transaction(con):
        con.execute("UPDATE schedule_run SET status = ?, finished_at = ?, error = ?, output_dir = ?,"
                    " executed_path = ?, files = ? WHERE run_id = ?",
                    [status, _iso(_now()), error, result and str(result.output_dir),
                     result and str(result.executed_path), json.dumps(files), run_id])


def _notify(ws: Workspace, schedule: Schedule, run: ScheduleRun) -> ScheduleRun:
    """E-mail the outcome (counts and paths only: no file is attached); a mail failure is
    recorded, it does not undo the run."""
    subject, body = run_mail(schedule, run)
    try:
        where = notify.send(ws, schedule.notify_to, subject, body)
    except (OSError, smtplib.SMTPException, notify.BadAddress) as e:
        where = f"not sent: {type(e).__name__}: {e}"
        log.warning("scheduled run %s: e-mail %s", run.run_id, where)
    with closing(app_state(ws)) as con, transaction(con):
        con.execute("UPDATE schedule_run SET notified = ? WHERE run_id = ?", [where, run.run_id])
    return _one_run(ws, run.run_id)


def run_mail(schedule: Schedule, run: ScheduleRun) -> tuple[str, str]:
    """(subject, body) of the e-mail that tells a schedule's addresses how its run went."""
    name = f"schedule {schedule.schedule_id} ({Path(schedule.notebook).stem})"
    lines = [f"Scheduled run of {schedule.notebook}, {schedule.when}, owner {schedule.owner}.",
             f"Due {local_text(run.due_at, schedule.zone)}; started {run.started_at}, finished {run.finished_at}.",
             ""]
    if run.status == "succeeded":
        subject = f"sislab {name} succeeded: {len(run.files)} file(s)"
        lines += [f"Files made, in {run.output_dir}:", *(f"  {_file_line(f)}" for f in run.files or [])]
        lines += [] if run.files else ["  (none)"]
    else:
        subject = f"sislab {name} failed"
        lines += [f"The run failed: {run.error}"]
    if run.executed_path:
        lines += ["", f"Executed notebook: {run.executed_path}"]
    return subject, "\n".join(lines) + "\n"


def _one_run(ws: Workspace, run_id: int) -> ScheduleRun:
    with closing(app_state(ws)) as con:
        return _run(con.execute("SELECT * FROM schedule_run WHERE run_id = ?", [run_id]).fetchone())


def record_count(path: Path) -> int | None:
    """Data rows of a produced CSV (comma) or TXT (tab) file: records, header not counted."""
    delimiter = COUNTED_SUFFIXES.get(path.suffix.lower())
    if delimiter is None:
        return None
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        return max(sum(1 for row in csv.reader(fh, delimiter=delimiter) if row) - 1, 0)


def _file_line(f: dict) -> str:
    return f["file"] if f["records"] is None else f"{f['file']}: {f['records']:,} records"


def _files_text(run: ScheduleRun) -> str:
    return "; ".join(_file_line(f) for f in run.files) or "no files made"


# --- retention -----------------------------------------------------------------------------

def prune_reports(ws: Workspace, now: datetime | None = None) -> list[Path]:
    """Remove run folders (reports/<notebook>/<UTC stamp>/) older than the retention setting.

    Nothing else is touched: not the notebook folders, nor any file or folder whose name is not
    a run stamp. A retention of 0 keeps everything.
    """
    days = config.load(ws).reports_retention_days
    if days <= 0 or not ws.reports.is_dir():
        return []
    cutoff = _now(now) - timedelta(days=days)
    old = [run for notebook in sorted(ws.reports.iterdir()) if notebook.is_dir() and not notebook.is_symlink()
           for run in sorted(notebook.iterdir()) if _run_started(run) and _run_started(run) < cutoff]
    for folder in old:
        shutil.rmtree(folder)
        log.info("pruned report folder %s/%s", folder.parent.name, folder.name)
    return old


def _run_started(folder: Path) -> datetime | None:
    if not runner.RUN_FOLDER.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
        return None
    return datetime.strptime(folder.name[:16], RUN_STAMP).replace(tzinfo=timezone.utc)


# --- helpers -------------------------------------------------------------------------------

def _now(now: datetime | None = None) -> datetime:
    if now is not None and now.tzinfo is None:
        raise ValueError("the clock must be time-zone aware")
    return now or datetime.now(timezone.utc)


def _iso(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).isoformat(timespec="seconds")


@cache
def available_zones() -> frozenset[str]:
    return frozenset(available_timezones())


# --- command line --------------------------------------------------------------------------

def add_commands(sub) -> None:
    p = sub.add_parser("schedule", help="run notebooks on days and times; `run-due` is for cron / systemd")
    cmds = p.add_subparsers(dest="schedule_command", required=True, metavar="ACTION")
    a = cmds.add_parser("add", help="schedule a notebook")
    a.add_argument("--notebook", required=True, help="a notebook in notebooks/ (name) or a notebook file")
    a.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    a.add_argument("--days", required=True, help="mon,tue,... or weekdays, weekends, daily")
    a.add_argument("--time", required=True, help="local time of day, 24-hour HH:MM")
    a.add_argument("--tz", required=True, help="IANA time zone, e.g. America/Los_Angeles")
    a.add_argument("--notify", required=True, help="e-mail addresses, comma separated")
    a.add_argument("--owner", help="who owns it (default: the login name)")
    a.add_argument("--disabled", action="store_true", help="add it switched off")
    a.set_defaults(func=add_command)
    cmds.add_parser("list", help="schedules, their next run and last outcome").set_defaults(func=list_command)
    for action in ("enable", "disable", "remove"):
        c = cmds.add_parser(action, help=f"{action} a schedule")
        c.add_argument("schedule_id", type=int, metavar="ID")
        c.set_defaults(func=change_command, action=action)
    cmds.add_parser("run-due", help="run what is due (call every few minutes)").set_defaults(func=run_due_command)


def add_command(args) -> int:
    s = _user_errors(add, Workspace.locate(), args.notebook, days=args.days, time_of_day=args.time,
                     time_zone=args.tz, notify_to=args.notify, parameters=dict(args.parameter),
                     owner=args.owner, enabled=not args.disabled)
    print(f"added schedule {s.schedule_id}: {s.notebook} {s.when}, "
          f"{'first run ' + local_text(next_due(s, s.due_after), s.zone) if s.enabled else 'disabled'}")
    return 0


def list_command(args) -> int:
    listed = schedules(Workspace.locate())
    for s in listed:
        print("\n".join(f"{key:>10}: {value}" for key, value in summary(s).items() if value != "") + "\n")
    if not listed:
        print("no schedules; add one with `sislab schedule add`")
    return 0


def change_command(args) -> int:
    ws = Workspace.locate()
    if args.action == "remove":
        s = _user_errors(remove, ws, args.schedule_id)
        print(f"removed schedule {s.schedule_id} ({s.notebook}); its reports are kept")
    else:
        s = _user_errors(set_enabled, ws, args.schedule_id, args.action == "enable")
        print(f"schedule {s.schedule_id} ({s.notebook}) {args.action}d")
    return 0


def run_due_command(args) -> int:
    outcomes = run_due(Workspace.locate())
    for outcome in outcomes:
        print(outcome.text())
    if not outcomes:
        print("nothing due")
    return int(any(o.status == "failed" for o in outcomes))


def _user_errors(fn, *args, **kwargs):
    from ..cli import UserError

    try:
        return fn(*args, **kwargs)
    except ScheduleError as e:
        raise UserError(str(e)) from None

