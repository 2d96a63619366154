"""Locks hold across processes and users, and a killed holder frees them at once."""

import fcntl
import json
import os
import threading
import time

import pytest
from helpers.procs import Helper, workspace

from sislab.core import jobs, locks


@pytest.fixture
def ws(tmp_path, monkeypatch):
    return workspace(tmp_path, monkeypatch)


def test_second_process_gets_busy_with_first_holders_user_and_pid(ws):
    with Helper("hold_lock.py", ws.root, "cci:school:B", "alice") as first:
        assert first.line()["held"]["user"] == "alice"
        with Helper("hold_lock.py", ws.root, "cci:school:B", "bob") as second:
            busy = second.line()["busy"]
            assert second.finish() == 3
        assert (busy["user"], busy["pid"], busy["resource"]) == ("alice", first.proc.pid, "cci:school:B")
        with pytest.raises(locks.Busy) as caught:
            with locks.hold(ws, "cci:school:B", user="carol"):
                pass
        assert caught.value.holder.user == "alice"
        assert "running since" in str(caught.value) and "by alice" in str(caught.value)


def test_holder_shows_who_runs_a_school(ws):
    with Helper("hold_lock.py", ws.root, "cci:school:B", "alice") as first:
        first.line()
        shown = locks.holder(ws, "cci:school:B")
        assert (shown.user, shown.pid) == ("alice", first.proc.pid)
        assert shown.since
    assert locks.holder(ws, "cci:school:B") is None


def test_kill_9_frees_the_lock_at_once_despite_the_stale_record(ws):
    with Helper("hold_lock.py", ws.root, "cci:school:B", "alice") as first:
        first.line()
        first.kill9()
    path = locks.lock_path(ws, "cci:school:B")
    assert json.loads(path.read_text())["user"] == "alice"  # the dead holder's record stays...
    assert locks.holder(ws, "cci:school:B") is None  # ...but does not read as held
    with locks.hold(ws, "cci:school:B", user="bob") as me:
        assert locks.holder(ws, "cci:school:B").user == "bob" == me.user


def test_killed_run_is_marked_died_by_recover(ws):
    with Helper("blocking_run.py", ws.root, "cci", "alice", "B") as run:
        assert run.line() == {"working": "B"}
        [shown] = jobs.running(ws, "cci")
        assert (shown.school_id, shown.user, shown.pid) == ("B", "alice", run.proc.pid)
        run.kill9()
    assert locks.holder(ws, jobs.school_lock("cci", "B")) is None
    assert jobs.recover(ws) == [shown.job_id]
    report = jobs.report(ws, shown.job_id)
    assert report.status == "died"
    assert [s.status for s in report.schools] == ["died"]
    assert jobs.running(ws, "cci") == []
    [state] = jobs.school_state(ws, "cci")
    assert (state.last_status, state.last_completed) == ("died", None)


def test_different_schools_do_not_block_each_other(ws):
    with Helper("hold_lock.py", ws.root, "cci:school:B", "alice") as b:
        b.line()
        with Helper("hold_lock.py", ws.root, "cci:school:C", "bob") as c:
            assert c.line()["held"]["user"] == "bob"
            with locks.hold(ws, "cci:school:A", user="carol"):
                assert locks.holder(ws, "cci:school:C").user == "bob"


def test_same_process_cannot_hold_a_resource_twice(ws):
    with locks.hold(ws, "cci:school:A", user="alice", job_id=7):
        with pytest.raises(locks.Busy) as caught:
            with locks.hold(ws, "cci:school:A", user="alice"):
                pass
        assert caught.value.holder.job_id == 7


def test_lock_files_are_owner_only_safe_names_with_no_extra_data(ws):
    with locks.hold(ws, "cci:school:A", user="alice", job_id=3):
        path = locks.lock_path(ws, "cci:school:A")
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert set(json.loads(path.read_text())) == {"resource", "user", "job_id", "pid", "host", "since"}
    evil = locks.lock_path(ws, "../../etc/passwd")
    assert evil.parent == ws.locks and "/" not in evil.name
    assert locks.lock_path(ws, "a:b") != locks.lock_path(ws, "a_b")
    assert not path.exists()  # released locks leave no file behind


def test_a_page_checking_the_lock_does_not_make_a_run_skip(ws):
    """A reader's brief shared lock (what `holder` takes) is waited out, not reported as Busy."""
    reader = os.open(locks.lock_path(ws, "cci:school:A"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(reader, fcntl.LOCK_SH)  # a page frozen in the middle of `holder()`
    outcome = []

    def run():
        try:
            with locks.hold(ws, "cci:school:A", user="alice"):
                outcome.append("held")
        except locks.Busy as busy:
            outcome.append(busy)

    runner = threading.Thread(target=run)
    runner.start()
    time.sleep(0.05)
    os.close(reader)
    runner.join()
    assert outcome == ["held"]
