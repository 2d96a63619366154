"""The scheduled process, the principal's preview and the demo.

The scheduled process is the `cers_groups` notebook run by the project's scheduler
(sislab/core/schedule.py) with `scheduled = True`: it calls `scheduled_run`, which makes one
consolidated file from every profile marked "include in scheduled process", optionally
uploads it and e-mails the counts. `schedule_process` adds that schedule (days, time, on/off,
addresses); `process_schedules` lists it with its last run ("last processed").
"""

from __future__ import annotations

import smtplib
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd

from sislab.core import notify, schedule
from sislab.core.workspace import Workspace

from . import identity, profiles as profile_store
from .build import build, group_summary
from .extract import Extract, create
from .profiles import Profile, ProfileError

NOTEBOOK = "cers_groups"
DEMO_PROFILES = (
    Profile("Demo secondary ELA", "secondary", ("001", "002", "006"), subject="ELA", subject_areas=("ELA",),
            pattern="period", scheduled=True),
    Profile("Demo secondary Math", "secondary", ("001", "002", "003"), subject="Math", subject_areas=("Math",),
            pattern="course", scheduled=True),
    Profile("Demo elementary teachers", "elementary_teacher", ("004", "005"), scheduled=True),
    Profile("Demo primary classes", "secondary", ("005", "001"), primary_only=True, pattern="period"),
    Profile("Demo counselors", "counselor", ("001", "002")),
    Profile("Demo AVID", "student_group", ("001", "002"), groups=("AVID (001)", "AVID-002")),
)


def scheduled_run(ws: Workspace, *, user: str = "scheduler", upload: bool = False,
                  notify_to: str | None = None, out_dir: Path | None = None,
                  as_of: date | None = None) -> Extract:
    """One consolidated file from every profile marked for the scheduled process (whoever owns
    it), optionally uploaded; the counts e-mailed to `notify_to`."""
    marked = profile_store.scheduled(ws)
    if not marked:
        raise ProfileError("No profile is marked 'include in scheduled process'.")
    refs = [p.profile_id for p in marked]
    extract = create(ws, _process_user(ws, user, marked), refs, consolidate=True, upload=upload,
                     out_dir=out_dir, as_of=as_of)[0]
    if notify_to:
        _mail(ws, notify_to, extract)
    return extract


def _process_user(ws: Workspace, user: str, marked: list[Profile]) -> str:
    """The process acts as `user`, who must be an admin or the owner of every marked profile:
    it is never a way to make files of someone else's profiles (nor to act as their owner)."""
    owners = {p.owner for p in marked}
    if identity.is_admin(ws, user) or owners == {user}:
        return user
    raise ProfileError(f"The scheduled process covers profiles of {', '.join(sorted(owners))}: "
                       f"run it as {'their owner or ' if len(owners) == 1 else ''}an admin "
                       f"(the schedule's `user` parameter); {user} is neither.")


def _mail(ws: Workspace, to: str, extract: Extract) -> str:
    c = extract.build.counts
    status = "written" if extract.path else "NOT written (pre-flight errors)"
    subject = f"sislab CERS scheduled process: {c.get('rows', 0):,} rows, {len(extract.build.errors)} errors"
    body = extract.text() + f"\n\nFile {status}. Profiles: {', '.join(p.name for p in extract.build.profiles)}.\n"
    try:
        return notify.send(ws, to, subject, body)
    except (OSError, smtplib.SMTPException) as e:
        return f"not sent: {type(e).__name__}: {e}"


def schedule_process(ws: Workspace, owner: str, *, days: str, time_of_day: str, time_zone: str,
                     notify_to: str, upload: bool = False, enabled: bool = True) -> schedule.Schedule:
    """Add the scheduled process: the cers_groups notebook in scheduled mode on these days and time."""
    parameters = {"scheduled": "True", "upload": str(upload), "user": owner, "notify_to": notify_to}
    return schedule.add(ws, NOTEBOOK, days=days, time_of_day=time_of_day, time_zone=time_zone,
                        notify_to=notify_to, parameters=parameters, owner=owner, enabled=enabled)


def process_schedules(ws: Workspace) -> pd.DataFrame:
    """The scheduled process's schedules: days and time, on/off, addresses, last processed."""
    rows = [schedule.summary(s) for s in schedule.schedules(ws) if Path(s.notebook).stem == NOTEBOOK]
    return pd.DataFrame(rows, columns=["id", "notebook", "when", "next run", "last run", "parameters", "owner",
                                       "notify"])


def preview_school(con, school_id: str, as_of: date | None = None, ws: Workspace | None = None) -> pd.DataFrame:
    """The groups every profile would give one school (a principal's read-only preview).

    `school_id` is the dashboard's server-fixed school: each profile is narrowed to it before
    its roster is built, so no other school's row is read into the result.
    """
    narrowed = [_narrow(p, school_id) for p in profile_store.every_profile(ws or Workspace.locate())]
    narrowed = [p for p in narrowed if p is not None]
    if not narrowed:
        return pd.DataFrame(columns=["group_name", "subject_code", "students", "users", "profiles"])
    build(con, narrowed, as_of=as_of, findings=False)
    return group_summary(con)[["group_name", "subject_code", "students", "users", "profiles"]]


def _narrow(profile: Profile, school_id: str) -> Profile | None:
    return replace(profile, schools=(school_id,)) if school_id in profile.schools else None


def demo(ws: Workspace | None = None, user: str | None = None) -> list[Path]:
    """`make demo`: save the sample profiles (if missing) and make their consolidated file and its
    pre-flight report; returns [file, report] (the file is absent if the pre-flight failed)."""
    ws = ws or Workspace.locate()
    user = user or identity.current_user()
    existing = {p.name for p in profile_store.visible(ws, user)}
    for profile in DEMO_PROFILES:
        if profile.name not in existing:
            profile_store.save(ws, user, profile)
    extract = create(ws, user, [p.name for p in DEMO_PROFILES], consolidate=True)[0]
    return [p for p in (extract.path, extract.report_path) if p is not None]

