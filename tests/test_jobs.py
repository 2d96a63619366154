"""The per-school run: queue, lock, skip, fail, timestamps, completion e-mail, progress."""

import io
from email import message_from_bytes, policy

import pytest
from helpers.procs import Helper, smtp_server, use_smtp, workspace

from sislab.core import jobs, locks, notify
from sislab.core.progress import cli_progress, widget_progress


@pytest.fixture
def ws(tmp_path, monkeypatch):
    return workspace(tmp_path, monkeypatch)


def count_students(school_id, progress):
    return {"students": 10, "prepared": 4}


def test_district_run_skips_school_running_from_school_level_run_and_emails_it(ws):
    with smtp_server() as (port, mailbox), Helper("blocking_run.py", ws.root, "cci", "bob", "B") as school_run:
        use_smtp(ws, port)
        assert school_run.line() == {"working": "B"}
        report = jobs.run_per_school(ws, "cci", "alice", ["A", "B", "C"], count_students,
                                     notify_to="alice@district.example.org")
        school_run.say()
        assert school_run.line() == {"status": "succeeded"}
    assert [(s.school_id, s.status) for s in report.schools] == [("A", "done"), ("B", "skipped"), ("C", "done")]
    assert "by bob" in report.skipped[0].note
    assert report.status == "succeeded" and report.counts == {"students": 20, "prepared": 8}
    assert report.notified == f"smtp://127.0.0.1:{port}"
    [envelope] = mailbox.messages
    assert envelope.rcpt_tos == ["alice@district.example.org"]
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert "1 skipped" in mail["Subject"]
    body = mail.get_content().splitlines()
    at = body.index("Skipped (already running) (1):")
    assert body[at + 1].startswith("  B  at ") and "running since" in body[at + 2] and "by bob" in body[at + 2]


def test_each_school_gets_last_started_then_last_completed(ws):
    jobs.run_per_school(ws, "cci", "alice", ["A", "C"], count_students)
    states = jobs.school_state(ws, "cci")
    assert [s.school_id for s in states] == ["A", "C"]
    for s in states:
        assert s.last_started <= s.last_completed and s.last_status == "done"


def test_a_failing_school_fails_alone_and_keeps_its_previous_completion(ws):
    first = jobs.run_per_school(ws, "cci", "alice", ["A", "B", "C"], count_students)
    completed_before = {s.school_id: s.last_completed for s in jobs.school_state(ws, "cci")}

    def work(school_id, progress):
        if school_id == "B":
            raise RuntimeError("rule set 2026 has no cut points for school B")
        return count_students(school_id, progress)

    report = jobs.run_per_school(ws, "cci", "alice", ["A", "B", "C"], work)
    assert [(s.school_id, s.status) for s in report.schools] == [("A", "done"), ("B", "failed"), ("C", "done")]
    assert report.failed[0].note == "rule set 2026 has no cut points for school B"
    assert report.status == "failed" and report.error == "1 of 3 school(s) failed"
    assert locks.holder(ws, jobs.school_lock("cci", "B")) is None
    state = {s.school_id: s for s in jobs.school_state(ws, "cci")}
    assert state["B"].last_completed == completed_before["B"] and state["B"].last_status == "failed"
    assert state["B"].last_job_id == report.job_id != first.job_id


def test_anyone_sees_which_school_is_running_by_whom(ws):
    seen = []

    def work(school_id, progress):
        seen.append([(r.school_id, r.user) for r in jobs.running(ws, "cci")])
        return {}

    report = jobs.run_per_school(ws, "cci", "alice", ["A", "B"], work)
    assert seen == [[("A", "alice")], [("B", "alice")]]
    assert jobs.running(ws, "cci") == [] and report.status == "succeeded"


def test_other_job_kinds_do_not_lock_each_others_schools(ws):
    def work(school_id, progress):
        return {"inner": jobs.run_per_school(ws, "cers", "alice", [school_id], count_students).done != ()}

    assert jobs.run_per_school(ws, "cci", "alice", ["A"], work).counts == {"inner": 1}


def test_a_malformed_notify_address_stops_the_run_before_any_work(ws):
    with pytest.raises(notify.BadAddress, match="alice@"):
        jobs.run_per_school(ws, "cci", "alice", ["A"], count_students, notify_to="alice@")
    assert jobs.school_state(ws, "cci") == []


def test_a_run_needs_schools(ws):
    with pytest.raises(ValueError, match="No schools selected"):
        jobs.run_per_school(ws, "cci", "alice", [], count_students)


def test_completion_mail_goes_to_the_outbox_without_smtp(ws):
    report = jobs.run_per_school(ws, "cci", "alice", ["A"], count_students, notify_to="a@x.example.org")
    assert report.notified.startswith(str(ws.outbox))


def test_cli_progress_advances_one_step_per_school(ws):
    out = io.StringIO()
    bar = cli_progress(file=out)
    jobs.run_per_school(ws, "cci", "alice", ["A", "B", "C"], count_students, progress=bar)
    assert (bar.bar.n, bar.bar.total) == (3, 3)
    assert "C: done" in out.getvalue()


def test_widget_progress_is_tqdms_notebook_bar_advancing_towards_its_total(ws):
    from tqdm.notebook import tqdm as notebook_tqdm

    bar = widget_progress()
    values = []

    def work(school_id, progress):
        values.append((progress.bar.n, progress.bar.total, progress.bar.desc))
        return {}

    jobs.run_per_school(ws, "cci", "alice", ["A", "B"], work, progress=bar)
    assert values == [(0, 2, "A: running"), (1, 2, "B: running")]
    assert isinstance(bar.bar, notebook_tqdm) and bar.widget.children == (bar.bar.container,)
    shown = bar.bar.container.children[1]  # description, the bar itself, the counts
    assert (shown.value, shown.max, shown.bar_style) == (2, 2, "success")
