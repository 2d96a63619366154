"""CCI mass update: one run per school across processes, skip and e-mail, timestamps, failures
and killed runs keep the previous results, the coordinator's form, the status dashboard."""

import html
import shutil
import subprocess
import sys
import time
from contextlib import closing
from email import message_from_bytes, policy

import duckdb
import pandas as pd
import pytest
from helpers.procs import smtp_server, use_smtp
from helpers_cci import cci_run, sample_copy, school_results

from sislab import cci
from sislab.cci import dashboard, engine, mass_update
from sislab.core import jobs, locks, runner, store

SCHOOLS = ["001", "002", "006"]  # the sample's active high schools (HS and ALT)


@pytest.fixture
def ws(sample_ws, tmp_path, monkeypatch):
    return sample_copy(sample_ws, tmp_path, monkeypatch)


def published(ws, view="cci_student_result", school="001") -> pd.DataFrame:
    with store.snapshot(ws) as con:
        return con.execute(f"SELECT * FROM {view} WHERE school_id = ? ORDER BY student_id", [school]).df()


def computed_at(ws) -> dict[str, set[str]]:
    with store.snapshot(ws) as con:
        rows = con.execute("SELECT school_id, list(DISTINCT computed_at) FROM cci_student_result GROUP BY 1").fetchall()
    return {school: set(stamps) for school, stamps in rows}


def sislab_cli(ws, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sislab", "--workspace", str(ws.root), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_district_run_skips_school_running_at_school_level_and_emails_the_starter(ws):
    with smtp_server() as (port, mailbox), cci_run(ws, "--school", "001", "--user", "bob", "--no-notify",
                                                   block="001") as school_run:
        use_smtp(ws, port)
        assert school_run.line() == {"working": "001"}
        seen = sislab_cli(ws, "cci", "status")  # a third process
        assert "001  North High is being processed since" in seen.stdout and "by bob" in seen.stdout
        with cci_run(ws, "--all", "--user", "alice", "--notify", "alice@district.example.org") as district:
            assert [district.line(), district.line()] == [{"working": "002"}, {"working": "006"}]
            end = district.line()
        school_run.say()
        assert school_run.line()["exit"] == 0
    assert end["exit"] == 0
    assert "001 North High: skipped: running since" in end["stdout"] and "by bob" in end["stdout"]
    assert "002 South High: done" in end["stdout"] and "006 Ridgeview Continuation High: done" in end["stdout"]
    [envelope] = mailbox.messages
    assert envelope.rcpt_tos == ["alice@district.example.org"]
    body = message_from_bytes(envelope.content, policy=policy.default).get_content()
    skipped = body.split("Skipped (already running) (1):")[1].split("\n\n")[0]
    assert "001" in skipped and "by bob" in skipped and "002" not in skipped


@pytest.mark.slow
def test_a_school_level_run_of_a_busy_school_does_nothing_and_exits_3(ws):
    with cci_run(ws, "--school", "001", "--user", "bob", "--no-notify", block="001") as school_run:
        assert school_run.line() == {"working": "001"}
        second = sislab_cli(ws, "cci", "run", "--school", "001", "--user", "alice", "--no-notify")
        school_run.say()
        assert school_run.line()["exit"] == 0
    assert second.returncode == 3
    assert "001 North High: skipped: running since" in second.stdout and "by bob" in second.stdout


@pytest.mark.slow
def test_each_school_gets_its_timestamps_as_the_district_run_goes(ws):
    with cci_run(ws, "--all", "--no-notify", block="002") as run:
        assert [run.line(), run.line()] == [{"working": "001"}, {"working": "002"}]
        state = {s.school_id: s for s in jobs.school_state(ws, "cci")}
        assert state["001"].last_completed >= state["001"].last_started
        assert state["002"].last_started and state["002"].last_completed is None
        assert "006" not in state
        run.say()
        assert run.line() == {"working": "006"} and run.line()["exit"] == 0
    assert all(s.last_status == "done" and s.last_completed for s in jobs.school_state(ws, "cci"))


@pytest.mark.slow
def test_a_killed_run_leaves_previous_results_readable_and_the_lock_recovered(ws):
    mass_update.run(["001"], ws=ws, user="alice", notify_to=None)
    before = published(ws)
    with cci_run(ws, "--school", "001", "--user", "bob", block="001") as run:
        assert run.line() == {"working": "001"}
        assert [r.user for r in jobs.running(ws, "cci")] == ["bob"]
        run.kill9()
    assert locks.holder(ws, jobs.school_lock("cci", "001")) is None
    assert jobs.running(ws, "cci") == []
    assert {s.school_id: s.last_status for s in jobs.school_state(ws, "cci")} == {"001": "died"}
    pd.testing.assert_frame_equal(published(ws), before)
    assert mass_update.run(["001"], ws=ws, user="alice", notify_to=None).status == "succeeded"


@pytest.mark.slow
def test_a_failing_school_keeps_its_previous_results_and_the_run_exits_non_zero(ws):
    mass_update.run(SCHOOLS, ws=ws, user="alice", notify_to=None)
    first = computed_at(ws)
    completed = {s.school_id: s.last_completed for s in jobs.school_state(ws, "cci")}
    while store.utcnow() <= max(first["001"] | first["006"]):  # stamps are to the second
        time.sleep(0.05)
    with cci_run(ws, "--all", "--no-notify", fail="002") as run:
        assert [run.line() for _ in SCHOOLS] == [{"working": s} for s in SCHOOLS]
        end = run.line()
    assert end["exit"] == 1
    assert "002 South High: failed: rule set 2025: injected error for school 002" in end["stdout"]
    now = computed_at(ws)
    assert now["002"] == first["002"]
    assert now["001"] != first["001"] and now["006"] != first["006"]
    state = {s.school_id: s for s in jobs.school_state(ws, "cci")}
    assert state["002"].last_status == "failed" and state["002"].last_completed == completed["002"]


def import_without_scores(ws, school_id: str) -> None:
    """A new snapshot (as an import publishes it): the current one without the test scores of
    `school_id`'s cohort."""
    built = ws.tmp / "new.duckdb"
    shutil.copyfile(ws.current_snapshot(), built)
    with closing(duckdb.connect(str(built))) as con:
        con.execute("DELETE FROM test_score WHERE student_id IN (SELECT student_id FROM cohort WHERE school_id = ?)",
                    [school_id])
    store.publish_snapshot(ws, built)


@pytest.mark.slow
def test_a_district_run_never_puts_back_results_older_than_a_school_run_published(ws):
    """The district run computed 002's results with 001's; then new data was imported and a
    school run of 002 published from it. At 002's turn the run computes 002 anew from the
    current snapshot instead of putting back the results of the older data, and 006 with it."""
    with cci_run(ws, "--all", "--no-notify", pause_after="001") as district:
        assert [district.line(), district.line()] == [{"working": "001"}, {"published": "001"}]
        with store.snapshot(ws) as con:
            older = school_results(con, "002", cci.load_rule_set())["student_result"].df()
        import_without_scores(ws, "002")
        assert sislab_cli(ws, "cci", "run", "--school", "002", "--no-notify").returncode == 0
        school_run = published(ws, school="002")
        district.say()
        assert [district.line(), district.line()] == [{"working": "002"}, {"working": "006"}]
        end = district.line()
    assert end["exit"] == 0 and "002 South High: done" in end["stdout"]
    assert (school_run["level"] == "Prepared").sum() < (older["level"] == "Prepared").sum()  # the new data counts
    after = published(ws, school="002")
    pd.testing.assert_frame_equal(after.drop(columns="computed_at"), school_run.drop(columns="computed_at"))
    assert after["computed_at"].min() >= school_run["computed_at"].max()
    # 001 from the first computation; 002 and 006 from one computation on the new snapshot
    assert [len(files) for files in store.current_results(ws).values()] == [2] * 5


@pytest.mark.slow
def test_a_district_run_never_puts_back_results_computed_before_a_school_runs(ws):
    """No import, but a school run of 002 published between the district run's computation and
    002's turn: its results were computed later, so the run computes 002 anew rather than put
    back the ones it computed first (the same data here: their stamps tell them apart)."""
    with cci_run(ws, "--all", "--no-notify", pause_after="001") as district:
        assert [district.line(), district.line()] == [{"working": "001"}, {"published": "001"}]
        first = computed_at(ws)["001"]
        while store.utcnow() <= max(first):  # stamps are to the second
            time.sleep(0.05)
        assert sislab_cli(ws, "cci", "run", "--school", "002", "--no-notify").returncode == 0
        school_run = computed_at(ws)["002"]
        district.say()
        assert [district.line(), district.line()] == [{"working": "002"}, {"working": "006"}]
        assert district.line()["exit"] == 0
    assert min(computed_at(ws)["002"]) >= max(school_run) > max(first)


def test_published_results_carry_what_the_dashboard_shows(ws):
    report = mass_update.run(["001"], ws=ws, user="alice", notify_to=None)
    rows = published(ws)
    expected = {"level", "measures_met", "best_measure", "missing", "flags", "rule_set", "computed_at"}
    assert expected <= set(rows.columns) and set(rows["rule_set"]) == {"2025"}
    assert report.done[0].counts["students"] == len(rows)
    with store.snapshot(ws) as con:
        assert len(rows) == cci.student_results(con, "2025", ["001"]).count("*").fetchall()[0][0]
        status = con.execute("SELECT population, status, colour FROM cci_school_status ORDER BY 1").fetchall()
    assert [s[0] for s in status] == ["graduated", "potential"]


def test_results_of_two_rule_sets_stay_side_by_side(ws):
    mass_update.run(["001"], ws=ws, user="alice", rule_set="2024", notify_to=None)
    mass_update.run(["001"], ws=ws, user="alice", rule_set="2025", notify_to=None)
    assert set(published(ws)["rule_set"]) == {"2024", "2025"}


def test_the_completion_email_goes_to_the_starters_app_user_address(ws):
    with closing(store.app_state(ws)) as con:
        con.execute("INSERT INTO app_user (user_name, role, email) VALUES ('alice', 'admin', 'alice@d.example.org')")
        con.execute("INSERT INTO app_user (user_name, role) VALUES ('bob', 'admin')")  # roles apply once users exist
    report = mass_update.run(["006"], ws=ws, user="alice")
    assert report.notified.startswith(str(ws.outbox))
    assert "To: alice@d.example.org" in open(report.notified, encoding="utf-8").read()
    assert mass_update.run(["006"], ws=ws, user="bob").notified is None


# --- the coordinator's form -------------------------------------------------------------------

def test_form_process_button_is_disabled_while_its_run_goes(ws, monkeypatch):
    from sislab.widgets import cci_forms

    form = cci_forms.MassUpdateForm(ws, "alice")
    form.notify_to.value = ""
    seen = []
    share = mass_update.school_share

    def watched(shared, school_id):
        seen.append((school_id, form.process_button.disabled, form.progress.bar.desc))
        return share(shared, school_id)

    monkeypatch.setattr(mass_update, "school_share", watched)
    form.group.value = "Grades 9-12"
    assert form.schools.value == tuple(SCHOOLS) and not form.process_button.disabled
    form.start()
    form.thread.join(60)
    assert [s[:2] for s in seen] == [(s, True) for s in SCHOOLS]
    assert seen[0][2] == "001: computing"
    assert not form.process_button.disabled and "succeeded" in form.message.value
    assert "Last completed" in form.status.value and form.progress.bar.n == 3


@pytest.mark.slow
def test_form_shows_who_is_processing_a_school_and_will_not_start_it(ws):
    from sislab.widgets import cci_forms

    with cci_run(ws, "--school", "001", "--user", "bob", block="001") as run:
        assert run.line() == {"working": "001"}
        form = cci_forms.MassUpdateForm(ws, "alice")
        form.schools.value = ("001",)
        assert "North High is being processed since" in form.status.value and "by bob" in form.status.value
        assert form.process_button.disabled
        form.schools.value = ("001", "002")
        assert not form.process_button.disabled
        run.say()
        assert run.line()["exit"] == 0


def test_form_group_all_picks_the_active_high_schools(ws):
    from sislab.widgets import cci_forms

    form = cci_forms.MassUpdateForm(ws, "alice")
    form.group.value = cci_forms.ALL
    assert form.schools.value == tuple(SCHOOLS)
    assert form.process_button.disabled is False


# --- the status dashboard ---------------------------------------------------------------------

def test_dashboard_reads_only_the_school_asked_for(ws):
    mass_update.run(SCHOOLS, ws=ws, user="alice", notify_to=None)
    with store.snapshot(ws) as con:
        one = dashboard.load(con, school="001")
        every = dashboard.load(con)
    for table in (one.status, one.students, one.near_misses, one.measures):
        assert set(table["school_id"]) == {"001"}
    assert set(every.students["school_id"]) == set(SCHOOLS)
    assert one.student(every.students.query("school_id == '002'")["student_id"].iloc[0]).empty


def test_dashboard_prepared_by_measure_adds_up_to_status(ws):
    mass_update.run(["001"], ws=ws, user="alice", notify_to=None)
    with store.snapshot(ws) as con:
        dash = dashboard.load(con, school="001")
    by_measure = dashboard.prepared_by_measure(dash).drop(columns=["school_id", "school_name"]).sum(axis=1)
    assert by_measure.iloc[0] == pytest.approx(dash.graduated()["status"].iloc[0], abs=0.6)


def test_dashboard_without_published_results_says_how_to_publish(ws):
    with store.snapshot(ws) as con, pytest.raises(dashboard.NoResults, match="sislab cci run --all"):
        dashboard.load(con)


@pytest.mark.slow
def test_status_notebook_headless_writes_only_the_schools_tables(ws):
    mass_update.run(SCHOOLS, ws=ws, user="alice", notify_to=None)
    result = runner.run_notebook("cci_status", {"school": "001"}, ws=ws)
    assert result.ok, result.error
    assert sorted(p.name for p in result.produced_files) == sorted(dashboard.OUTPUT_FILES.values())
    for path in result.produced_files:
        table = pd.read_csv(path, dtype=str)
        assert not table.empty and set(table["school_id"]) == {"001"}, path.name
    page = result.executed_path.read_text(encoding="utf-8")
    assert "background-color: #2f855a" in page  # North High's colour cell is Green (High, Increased)
    assert "sislab/download/" in page and "South High" not in page


def test_drilldown_finds_a_student_and_shows_what_is_missing(ws):
    from sislab.widgets import cci_dashboard

    mass_update.run(["001"], ws=ws, user="alice", notify_to=None)
    with store.snapshot(ws) as con:
        dash = dashboard.load(con, school="001")
    finder, pick, detail = cci_dashboard.student_drilldown(dash).children
    student = dash.students.query("level == 'Not Prepared' and missing.notna()").iloc[0]
    finder.value = student["student_id"]
    assert [value for _, value in pick.options] == [student["student_id"]]
    pick.value = student["student_id"]
    assert "Not Prepared" in detail.value and html.escape(student["missing"]) in detail.value


def test_a_district_run_computes_once_and_publishes_what_each_school_alone_gets(ws, monkeypatch):
    """Issue 16: every school's results come from one computation of the chosen schools (the
    evidence of the scored class, its prior year and the seniors is read once, not per school
    nor per class), and each school's published rows are what a run of that school alone computes."""
    readings = []
    run_query = engine.run_query

    def counted(con, query, params):
        if "TEMP TABLE cci_population" in query or "TEMP TABLE cci_evidence_all" in query:
            readings.append(params.get("cohort_years", "evidence"))
        return run_query(con, query, params)

    monkeypatch.setattr(engine, "run_query", counted)
    report = mass_update.run(SCHOOLS, ws=ws, user="alice", notify_to=None)
    assert [s.status for s in report.schools] == ["done"] * 3
    with store.snapshot(ws) as con:
        seniors = engine.senior_class(con).year
    assert readings == [[2025, seniors, 2024], "evidence"]  # three classes of all three schools, one reading
    assert [len(files) for files in store.current_results(ws).values()] == [1] * 5  # one batch file per result set
    monkeypatch.setattr(engine, "run_query", run_query)
    rules = cci.load_rule_set()
    with store.snapshot(ws) as con:
        for school in SCHOOLS:
            alone = school_results(con, school, rules)
            for name in ("student_result", "potential"):
                mine = published(ws, f"cci_{name}", school).drop(columns="computed_at")
                expected = alone[name].df().sort_values("student_id").reset_index(drop=True)
                assert mine.astype(str).equals(expected.astype(str)), (school, name)
            status = con.execute("SELECT population, denominator, status FROM cci_school_status WHERE school_id = ? "
                                 "ORDER BY population", [school]).df()
            expected = alone["school_status"].sort_values("population")[["population", "denominator", "status"]]
            assert status.astype(str).equals(expected.reset_index(drop=True).astype(str)), school


def test_without_a_current_class_a_run_publishes_the_graduated_class_and_no_seniors(tmp_path, monkeypatch):
    """A snapshot whose calendars have all ended has no current seniors: the run publishes the
    scored class, and empty (typed) potential and near-miss sets rather than a graduated class."""
    from cci_fixtures import CLASS, Sis, cohort
    from helpers.procs import workspace

    sis = Sis()
    sis.school_year(CLASS)  # ended in June of the class year, long before today
    cohort(sis, prepared=12, others=3)
    cohort(sis, prepared=2, others=1, cohort_year=CLASS + 1, prefix="j")  # a class there would be seniors
    ws = workspace(tmp_path, monkeypatch)
    built = ws.tmp / "ended.duckdb"
    sis.con.execute(f"ATTACH '{built}' AS built")
    sis.con.execute("COPY FROM DATABASE memory TO built")
    sis.con.execute("DETACH built")
    store.publish_snapshot(ws, built)
    report = mass_update.run(["1"], ws=ws, user="alice", notify_to=None)
    assert [s.status for s in report.schools] == ["done"]
    assert report.schools[0].counts == {"students": 15, "prepared": 12, "seniors": 0, "near_misses": 0}
    with store.snapshot(ws) as con:
        assert con.execute("SELECT count(*) FROM cci_student_result").fetchone() == (15,)
        for view in ("cci_potential", "cci_near_miss"):
            assert con.execute(f"SELECT count(*) FROM {view}").fetchone() == (0,), view
        near_types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE cci_near_miss)").fetchall())
        assert near_types["requirement"] == near_types["student_id"] == "VARCHAR"
        assert con.execute("SELECT population FROM cci_school_status").fetchall() == [("graduated",)]


def test_a_run_reads_the_sis_tables_without_listing_published_results(ws, monkeypatch):
    """The run's snapshot is opened without result views (listing published versions grows with
    them; the run computes from the SIS tables); a reader's snapshot has them."""
    mass_update.run(["001"], ws=ws, user="alice", notify_to=None)
    listed = []
    current_results = store.current_results
    monkeypatch.setattr(store, "current_results", lambda w: listed.append(w) or current_results(w))
    report = mass_update.run(["002"], ws=ws, user="alice", notify_to=None)
    assert [s.status for s in report.schools] == ["done"] and listed == []
    with store.snapshot(ws) as con:
        assert con.execute("SELECT count(DISTINCT school_id) FROM cci_student_result").fetchone() == (2,)
    with store.snapshot(ws, result_views=False) as con:
        assert not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'cci_student_result'").fetchone()[0]
