"""Scheduled runs: due times over days, time zones and DST (fixed clocks), one start per due run
across racing `run-due` processes, run records, e-mails through a real SMTP server, retention."""

import os
import subprocess
import sys
from datetime import datetime, time, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers.procs import smtp_server, workspace

from sislab import cli
from sislab.core import locks, schedule
from sislab.core.schedule import Schedule, is_due, latest_due, next_due, parse_days

NOTEBOOKS = Path(__file__).parent / "notebooks"
SLEEP_WRITE = str(NOTEBOOKS / "sched_sleep_write.ipynb")
FAILING = str(NOTEBOOKS / "sched_fail.ipynb")
UTC = timezone.utc
LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def ws(tmp_path, monkeypatch):
    """A fresh workspace, also the one the CLI (`Workspace.locate()`) finds."""
    monkeypatch.setenv("SISLAB_WORKSPACE", str(tmp_path / "ws"))
    return workspace(tmp_path, monkeypatch)


def every(days: str, at: str, zone: str, enabled: bool = True) -> Schedule:
    return Schedule("report", parse_days(days), time.fromisoformat(at), zone, enabled=enabled)


def at(zone, *fields) -> datetime:
    return datetime(*fields, tzinfo=zone)


def slots(s: Schedule, start: datetime, end: datetime) -> list[datetime]:
    found, t = [], start
    while (t := next_due(s, t)) < end:
        found.append(t)
    return found


# --- due times ---------------------------------------------------------------------------------

def test_next_run_is_the_next_chosen_day_at_the_local_time():
    s = every("mon,wed", "07:30", "America/Los_Angeles")
    tuesday_noon = at(LA, 2026, 11, 24, 12, 0)
    assert next_due(s, tuesday_noon) == at(LA, 2026, 11, 25, 7, 30)
    assert next_due(s, at(LA, 2026, 11, 25, 7, 30)) == at(LA, 2026, 11, 30, 7, 30)  # strictly after


def test_spring_forward_time_in_the_gap_runs_once_at_the_first_instant_after_the_jump():
    s = every("daily", "02:30", "America/Los_Angeles")  # 2026-03-08 02:00 PST jumps to 03:00 PDT
    runs = slots(s, at(LA, 2026, 3, 7, 12, 0), at(LA, 2026, 3, 9, 12, 0))
    assert runs == [datetime(2026, 3, 8, 10, 0, tzinfo=UTC), at(LA, 2026, 3, 9, 2, 30)]
    assert runs[0].astimezone(LA).strftime("%H:%M %Z") == "03:00 PDT"


def test_fall_back_time_that_happens_twice_runs_once_at_the_first():
    s = every("daily", "01:30", "America/Los_Angeles")  # 2026-11-01 01:00-02:00 happens twice
    runs = slots(s, at(LA, 2026, 10, 31, 12, 0), at(LA, 2026, 11, 2, 12, 0))
    assert [r.astimezone(LA).strftime("%d %H:%M %Z") for r in runs] == ["01 01:30 PDT", "02 01:30 PST"]
    second_half_past_one = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert not is_due(s, second_half_past_one, last_run=runs[0])


def test_monday_only_schedule_asked_on_sunday_night_elsewhere_uses_its_own_zone():
    tokyo_monday = every("mon", "07:00", "Asia/Tokyo")
    sunday_night_la = at(LA, 2026, 11, 22, 20, 0)  # already Monday 13:00 in Tokyo
    assert is_due(tokyo_monday, sunday_night_la, last_run=at(LA, 2026, 11, 22, 12, 0))
    assert latest_due(tokyo_monday, sunday_night_la) == at(ZoneInfo("Asia/Tokyo"), 2026, 11, 23, 7, 0)
    la_monday = every("mon", "07:00", "America/Los_Angeles")
    assert not is_due(la_monday, sunday_night_la, last_run=at(LA, 2026, 11, 22, 12, 0))
    assert next_due(la_monday, sunday_night_la) == at(LA, 2026, 11, 23, 7, 0)


def test_missed_runs_collapse_into_one_run_of_the_latest_slot():
    s = every("weekdays", "06:00", "America/Chicago")
    chicago = ZoneInfo("America/Chicago")
    last_run = at(chicago, 2026, 11, 2, 6, 0)  # then the machine was off for three weeks
    tuesday = at(chicago, 2026, 11, 24, 9, 0)
    assert is_due(s, tuesday, last_run)
    due = latest_due(s, tuesday)
    assert due == at(chicago, 2026, 11, 24, 6, 0)
    assert not is_due(s, tuesday, last_run=due)
    monday_after_weekend = at(chicago, 2026, 11, 30, 5, 0)
    assert latest_due(s, monday_after_weekend) == at(chicago, 2026, 11, 27, 6, 0)  # Friday's, once


def test_a_disabled_schedule_is_never_due():
    s = every("daily", "06:00", "UTC", enabled=False)
    assert not is_due(s, at(UTC, 2026, 11, 25, 12, 0), last_run=at(UTC, 2026, 11, 1, 0, 0))


# --- what users type ---------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"days": "mon,funday"}, "Not a day of the week: 'funday'"),
    ({"days": " , "}, "No days given"),
    ({"time_of_day": "25:00"}, "Not a time of day: '25:00'"),
    ({"time_of_day": "7.30"}, "Not a time of day: '7.30'"),
    ({"time_zone": "America/Springfield"}, "Unknown time zone 'America/Springfield'"),
    ({"time_zone": "PST"}, "Unknown time zone 'PST'"),
    ({"notify_to": "ana@district"}, "Not an e-mail address: 'ana@district'"),
    ({"notebook": "no_such_notebook"}, "No notebook 'no_such_notebook'"),
    ({"parameters": {"school": "0123"}}, "sched_sleep_write has no parameter 'school'"),
    ({"parameters": {"rows": "many"}}, "parameter rows takes a int"),
])
def test_a_bad_schedule_is_refused_naming_what_to_fix(ws, change, message):
    values = {"notebook": SLEEP_WRITE, "days": "mon", "time_of_day": "06:00", "time_zone": "America/Chicago",
              "notify_to": "ana@district.example.org", **change}
    with pytest.raises(schedule.ScheduleError, match=message):
        schedule.add(ws, values.pop("notebook"), **values)
    assert schedule.schedules(ws) == []


def test_cli_add_refuses_a_bad_time_with_a_clear_error(ws, capsys):
    status = cli.main(["schedule", "add", "--notebook", SLEEP_WRITE, "--days", "mon", "--time", "6pm",
                       "--tz", "America/Chicago", "--notify", "ana@district.example.org"])
    assert status == 2
    assert "sislab: Not a time of day: '6pm' (use 24-hour HH:MM" in capsys.readouterr().err


def test_cli_add_list_disable_enable_remove(ws, capsys):
    assert cli.main(["schedule", "add", "--notebook", SLEEP_WRITE, "-p", "rows", "0042", "--days", "mon,fri",
                     "--time", "6:05", "--tz", "America/Chicago", "--notify",
                     "ana@district.example.org, ben@district.example.org", "--owner", "ana"]) == 0
    assert "added schedule 1:" in capsys.readouterr().out
    [s] = schedule.schedules(ws)
    assert (s.when, s.parameters, s.owner) == ("mon,fri 06:05 America/Chicago", {"rows": "0042"}, "ana")
    assert s.notify_to == ("ana@district.example.org", "ben@district.example.org")
    cli.main(["schedule", "list"])
    listed = capsys.readouterr().out
    assert "mon,fri 06:05 America/Chicago" in listed and "never" in listed and "rows=0042" in listed
    for action, enabled in (("disable", False), ("enable", True)):
        assert cli.main(["schedule", action, "1"]) == 0
        assert schedule.get(ws, 1).enabled is enabled
    assert cli.main(["schedule", "remove", "1"]) == 0
    assert schedule.schedules(ws) == []
    assert cli.main(["schedule", "enable", "1"]) == 2
    assert "No schedule 1" in capsys.readouterr().err


def test_enabling_again_does_not_run_the_slots_missed_while_disabled(ws):
    added = at(UTC, 2026, 11, 1, 12, 0)
    s = schedule.add(ws, SLEEP_WRITE, days="daily", time_of_day="06:00", time_zone="UTC",
                     notify_to="ana@district.example.org", enabled=False, now=added)
    enabled_again = at(UTC, 2026, 11, 20, 12, 0)
    s = schedule.set_enabled(ws, s.schedule_id, True, now=enabled_again)
    assert not is_due(s, enabled_again, s.due_after)
    assert next_due(s, s.due_after) == at(UTC, 2026, 11, 21, 6, 0)


# --- starting each run once ----------------------------------------------------------------------

def test_a_run_in_progress_is_not_started_again(ws):
    s = schedule.add(ws, SLEEP_WRITE, days="daily", time_of_day="06:00", time_zone="UTC",
                     notify_to="ana@district.example.org", now=at(UTC, 2026, 11, 1, 12, 0))
    with locks.hold(ws, schedule.schedule_lock(s.schedule_id), user="cron"):
        [outcome] = schedule.run_due(ws, now=at(UTC, 2026, 11, 25, 7, 0))
    assert outcome.status == "busy" and "by cron" in outcome.text()
    assert schedule.runs(ws, s.schedule_id) == []
    assert schedule.get(ws, s.schedule_id).due_after == s.due_after  # still due for the next call


def test_a_run_whose_process_died_is_marked_died(ws):
    s = schedule.add(ws, SLEEP_WRITE, days="daily", time_of_day="06:00", time_zone="UTC",
                     notify_to="ana@district.example.org", now=at(UTC, 2026, 11, 1, 12, 0))
    with locks.hold(ws, schedule.schedule_lock(s.schedule_id), user="cron"):
        schedule._claim(ws, s.schedule_id, at(UTC, 2026, 11, 25, 7, 0))  # then the process is gone
    [s] = schedule.schedules(ws)
    assert s.last_run.status == "died" and s.last_run.error == "the process ended without finishing"
    assert not is_due(s, at(UTC, 2026, 11, 25, 7, 0), s.due_after)  # that slot is not retried


def run_due_processes(ws, port: int, count: int) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports),
           "SISLAB_SMTP_HOST": "127.0.0.1", "SISLAB_SMTP_PORT": str(port)}
    procs = [subprocess.Popen([sys.executable, "-m", "sislab", "schedule", "run-due"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(count)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), *p.communicate()) for p in procs]


def mails(mailbox) -> dict[str, object]:
    found = {}
    for envelope in mailbox.messages:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert list(mail.iter_attachments()) == []  # student files are never attached
        found[envelope.rcpt_tos[0]] = mail
    return found


@pytest.mark.slow
def test_concurrent_run_due_processes_start_each_due_run_once_and_email_files_with_counts(ws):
    three_weeks_ago = datetime.now(UTC) - timedelta(days=21)
    for rows, to in ((4, "ana@district.example.org"), (2, "ben@district.example.org")):
        schedule.add(ws, SLEEP_WRITE, days="daily", time_of_day="00:00", time_zone="UTC",
                     parameters={"rows": str(rows)}, notify_to=to, now=three_weeks_ago)
    with smtp_server() as (port, mailbox):
        done = run_due_processes(ws, port, count=2)
        again = run_due_processes(ws, port, count=1)
        received = mails(mailbox)
    assert [p.returncode for p in done] == [0, 0], [p.stderr for p in done]
    said = "".join(p.stdout for p in done)
    for schedule_id in (1, 2):
        [run] = schedule.runs(ws, schedule_id)  # three weeks of missed slots: one run
        assert run.status == "succeeded" and run.notified == f"smtp://127.0.0.1:{port}"
        assert said.count(f"schedule {schedule_id} ({SLEEP_WRITE}): succeeded") == 1
    assert again[0].stdout == "nothing due\n"
    assert len(list((ws.reports / "sched_sleep_write").iterdir())) == 2
    assert set(received) == {"ana@district.example.org", "ben@district.example.org"}
    ana = received["ana@district.example.org"]
    [run] = schedule.runs(ws, 1)
    assert ana["Subject"] == "sislab schedule 1 (sched_sleep_write) succeeded: 3 file(s)"
    body = ana.get_content().splitlines()
    files = body.index(f"Files made, in {run.output_dir}:")
    assert body[files + 1:files + 4] == ["  chart.png", "  groups.csv: 4 records", "  summary.txt: 2 records"]
    assert f"Executed notebook: {run.executed_path}" in body
    assert "groups.csv: 2 records" in received["ben@district.example.org"].get_content()
    assert {f["file"]: f["records"] for f in run.files} == {"chart.png": None, "groups.csv": 4, "summary.txt": 2}


@pytest.mark.slow
def test_a_failing_run_records_the_cell_error_and_emails_it_and_run_due_prunes_old_reports(ws):
    schedule.add(ws, FAILING, days="daily", time_of_day="00:00", time_zone="UTC",
                 notify_to="ana@district.example.org", now=datetime.now(UTC) - timedelta(days=2))
    expired = ws.reports / "sched_fail" / "20200101T000000Z"
    expired.mkdir(parents=True)
    with smtp_server() as (port, mailbox):
        [done] = run_due_processes(ws, port, count=1)
        mail = mails(mailbox)["ana@district.example.org"]
    assert done.returncode == 1
    [run] = schedule.runs(ws, 1)
    assert run.status == "failed" and run.files == ()
    assert run.error.endswith("LookupError: no CERS profile is marked for the scheduled process")
    assert run.error in done.stdout
    assert mail["Subject"] == "sislab schedule 1 (sched_fail) failed"
    body = mail.get_content()
    assert f"The run failed: {run.error}" in body and f"Executed notebook: {run.executed_path}" in body
    assert Path(run.executed_path).is_file() and not expired.exists()


# --- record counts and retention ---------------------------------------------------------------

def test_record_count_is_data_rows_without_the_header(tmp_path):
    quoted = tmp_path / "groups.csv"
    quoted.write_text('group,note\nG1,"two\nlines"\nG2,x\n\n')
    tabbed = tmp_path / "sca.txt"
    tabbed.write_text("school\tstudent\n0123\t1\n")
    header_only = tmp_path / "empty.csv"
    header_only.write_text("group,student\n")
    assert [schedule.record_count(p) for p in (quoted, tabbed, header_only)] == [2, 1, 0]
    assert schedule.record_count(tmp_path / "chart.png") is None


def test_retention_prunes_only_old_timestamped_run_folders(ws, tmp_path):
    (ws.root / "sislab.toml").write_text("[reports]\nretention_days = 30\n")
    now = at(UTC, 2026, 11, 25, 12, 0)
    old = [ws.reports / "cci" / "20261001T060000Z", ws.reports / "cci" / "20261001T060000Z-2",
           ws.reports / "cers" / "20250101T000000Z"]
    kept = [ws.reports / "cci" / "20261101T060000Z", ws.reports / "cci" / "notes",
            ws.reports / "cci" / "2026-10-01", ws.reports / "manual" / "20261001T060000Z.csv",
            ws.reports / "README.txt"]
    for folder in old + kept[:3]:
        folder.mkdir(parents=True)
        (folder / "run.json").write_text("{}")
    kept[3].parent.mkdir()
    for f in kept[3:]:
        f.write_text("kept")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.csv").write_text("kept")
    (ws.reports / "cci" / "20200101T000000Z").symlink_to(outside)
    assert sorted(schedule.prune_reports(ws, now)) == sorted(old)
    assert not any(p.exists() for p in old)
    assert all(p.exists() for p in kept) and (outside / "keep.csv").exists()


def test_retention_of_zero_keeps_every_report(ws):
    (ws.root / "sislab.toml").write_text("[reports]\nretention_days = 0\n")
    folder = ws.reports / "cci" / "20200101T000000Z"
    folder.mkdir(parents=True)
    assert schedule.prune_reports(ws, at(UTC, 2026, 11, 25, 12, 0)) == [] and folder.exists()


# --- the notebook form -------------------------------------------------------------------------

def test_the_form_adds_a_schedule_and_shows_errors_without_adding(ws, monkeypatch):
    from sislab.widgets.schedule_form import ScheduleForm

    monkeypatch.setenv("SISLAB_NOTEBOOKS", str(NOTEBOOKS))
    form = ScheduleForm(ws, "America/Chicago")
    assert "sched_sleep_write" in form.notebook.options
    form.notebook.value = "sched_sleep_write"
    form.parameters.value = "rows = 0042\n"
    form.time.value = "18:45"
    form.notify_to.value = "ana@district"
    form.add_button.click()
    assert "Not an e-mail address" in form.message.value and schedule.schedules(ws) == []
    form.notify_to.value = "ana@district.example.org"
    for day in ("mon", "tue", "wed", "thu", "fri"):
        form.days[day].value = day == "wed"
    form.add_button.click()
    [s] = schedule.schedules(ws)
    assert (s.notebook, s.when, s.parameters) == ("sched_sleep_write", "wed 18:45 America/Chicago", {"rows": "0042"})
    assert "Added schedule 1" in form.message.value and "sched_sleep_write" in form.table.value
    form.chosen.value = 1
    form.buttons["disable"].click()
    assert not schedule.get(ws, 1).enabled and "disabled" in form.table.value


def test_who_may_add_and_change_a_schedule(ws, monkeypatch):
    """A schedule runs its notebook's job as its owner: the owner must be a coordinator or an admin,
    and only an admin adds or changes someone else's, so it is never a way to act as another user."""
    from sislab.core import access

    access.add_user(ws, "boss", "admin", [])
    access.add_user(ws, "cora", "coordinator", ["001"])
    access.add_user(ws, "pat", "principal", ["001"])
    when = dict(days="daily", time_of_day="06:00", time_zone="UTC", notify_to="a@district.example.org")

    def acting(user):
        monkeypatch.setenv("JUPYTERHUB_USER", user)

    acting("pat")
    with pytest.raises(schedule.ScheduleError, match="coordinator or admin role.*pat is a principal"):
        schedule.add(ws, SLEEP_WRITE, **when)
    acting("cora")
    with pytest.raises(schedule.ScheduleError, match="only boss or an admin.*cora is a coordinator"):
        schedule.add(ws, SLEEP_WRITE, owner="boss", **when)
    assert schedule.schedules(ws) == []
    mine = schedule.add(ws, SLEEP_WRITE, **when)
    assert mine.owner == "cora"
    acting("boss")
    theirs = schedule.add(ws, SLEEP_WRITE, owner="cora", **when)
    with pytest.raises(schedule.ScheduleError, match="pat is a principal"):
        schedule.add(ws, SLEEP_WRITE, owner="pat", **when)
    acting("pat")
    for change in (lambda: schedule.set_enabled(ws, mine.schedule_id, False),
                   lambda: schedule.remove(ws, theirs.schedule_id)):
        with pytest.raises(schedule.ScheduleError, match="only cora or an admin"):
            change()
    assert all(s.enabled for s in schedule.schedules(ws)) and len(schedule.schedules(ws)) == 2
    acting("cora")
    schedule.remove(ws, theirs.schedule_id)
    acting("boss")
    assert not schedule.set_enabled(ws, mine.schedule_id, False).enabled


def test_the_list_shows_when_it_runs_next_and_that_it_never_ran(ws):
    s = schedule.add(ws, SLEEP_WRITE, days="daily", time_of_day="06:00", time_zone="UTC",
                     notify_to="ana@district.example.org", now=at(UTC, 2026, 11, 1, 12, 0))
    assert s.last_run is None and schedule.summary(s, at(UTC, 2026, 11, 1, 13, 0)) == {
        "id": 1, "notebook": SLEEP_WRITE, "when": "daily 06:00 UTC", "next run": "Mon 2026-11-02 06:00 UTC",
        "last run": "never", "parameters": "", "owner": s.owner, "notify": "ana@district.example.org"}
