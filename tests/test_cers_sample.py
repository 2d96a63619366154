"""End to end on the sample district: demo, consolidated file, scheduled process, upload, preview."""

from __future__ import annotations

from dataclasses import replace

import email
import os
import shutil
from datetime import date, datetime

import pytest

from sislab import cers, cli
from sislab.cers import extract
from sislab.cers.process import DEMO_PROFILES
from sislab.core import runner, store
from sislab.core.workspace import Workspace
from test_cers_upload import server  # noqa: F401  (the local warehouse fixture)

AS_OF = date(2026, 11, 25)  # the sample district's "today"


@pytest.fixture
def ws(tmp_path, sample_ws, monkeypatch):
    monkeypatch.setenv("SISLAB_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.setenv("SISLAB_REPORTS", str(tmp_path / "reports"))
    ws = Workspace.locate()
    shutil.copy(sample_ws.current_snapshot(), ws.snapshots / sample_ws.current_snapshot().name)
    shutil.copy(sample_ws.current_pointer, ws.current_pointer)
    return ws


def upload_to(server_settings, monkeypatch) -> None:
    """Turn the upload on, aimed at the local warehouse test server."""
    for name in ("cers_upload_enabled", "cers_api_url", "cers_token_url", "cers_username", "cers_password",
                 "cers_backoff_seconds", "cers_poll_seconds"):
        monkeypatch.setenv("SISLAB_" + name.upper(), str(getattr(server_settings, name)))


def test_demo_makes_a_consolidated_file_that_passes_preflight_and_its_report(ws):
    path, report = cers.demo(ws, user="demo")
    assert path.suffix == ".csv" and report.name.endswith(".preflight.txt")
    assert path.parent == ws.reports / "cers" and oct(path.stat().st_mode & 0o777) == "0o600"
    assert [f for f in cers.check_file(path) if f.severity == "error"] == []
    assert cli.main(["cers", "check", str(path)]) == 0  # RDW's rules, as of today
    assert "0 error(s)" in report.read_text()
    [listed] = cers.extracted_files(ws, "demo").itertuples()
    assert listed.record_count == len(path.read_text().splitlines()) - 1
    text = path.read_text()
    assert "004 " in text and "005 " in text and "AVID" in text  # flex, primary-class school, student group
    assert len(cers.demo(ws, user="demo")) == 2  # a second run reuses the saved profiles


def test_sample_flex_and_primary_schools_and_missing_emails(ws):
    with store.snapshot(ws) as con:
        built = cers.build(con, [p for p in DEMO_PROFILES if p.name in ("Demo elementary teachers",
                                                                         "Demo primary classes")], as_of=AS_OF)
        groups = cers.group_summary(con)
    assert set(groups.group_name.str[:3]) == {"004", "005"}
    assert groups[groups.group_name.str.startswith("004")].shape[0] > groups[groups.group_name.str.startswith("005")].shape[0]
    rules = {f.rule for f in built.findings}
    assert {"primary_classes_not_tracked", "overlapping_profiles", "ssid_missing"} <= rules


def test_scheduled_run_makes_one_consolidated_file_from_flagged_profiles_and_mails_counts(ws, tmp_path):
    for profile in DEMO_PROFILES:
        cers.save(ws, "alice", profile)
    made = cers.scheduled_run(ws, user="alice", notify_to="coordinator@district.org", out_dir=tmp_path / "run",
                              as_of=AS_OF)
    assert made.path.parent == tmp_path / "run" and made.path.exists()
    assert {p.name for p in made.build.profiles} == {p.name for p in DEMO_PROFILES if p.scheduled}
    [mail] = list(ws.outbox.glob("*.eml"))
    message = email.message_from_bytes(mail.read_bytes())
    assert f"{made.build.counts['rows']:,} rows" in message["Subject"]
    assert "groups" in message.get_payload()


def test_scheduled_process_refuses_a_non_admin_running_others_profiles(ws):
    cers.save(ws, "alice", DEMO_PROFILES[0])
    cers.save(ws, "bob", DEMO_PROFILES[1])
    with pytest.raises(cers.ProfileError, match="run it as an admin"):
        cers.scheduled_run(ws, user="alice")


def test_scheduled_process_refuses_anyone_but_the_owner_or_an_admin_even_with_one_owner(ws):
    """With every marked profile owned by alice, bob (or a principal) asking for the process got
    alice's file: the process acted as the one owner, whoever asked."""
    cers.save(ws, "alice", DEMO_PROFILES[0])
    with pytest.raises(cers.ProfileError, match="run it as their owner or an admin"):
        cers.scheduled_run(ws, user="bob")
    assert not list(ws.reports.glob("cers/*.csv"))


def test_create_uploads_when_the_flag_is_on(ws, server, monkeypatch):  # noqa: F811
    settings, state = server
    upload_to(server_settings=settings, monkeypatch=monkeypatch)
    cers.save(ws, "alice", DEMO_PROFILES[4])
    [made] = cers.create(ws, "alice", ["Demo counselors"], upload=True, as_of=AS_OF)
    assert made.upload.loaded and b"group_name,school_natural_id" in state["uploaded"]


def test_create_with_upload_refused_when_flag_off(ws):
    cers.save(ws, "alice", DEMO_PROFILES[4])
    with pytest.raises(cers.UploadError, match="off"):
        cers.create(ws, "alice", ["Demo counselors"], upload=True)


def test_separate_files_of_overlapping_profiles_warn(ws):
    for profile in DEMO_PROFILES[2:4]:
        cers.save(ws, "alice", profile)
    made = cers.create(ws, "alice", [p.name for p in DEMO_PROFILES[2:4]], as_of=AS_OF)
    assert len(made) == 2
    assert all(any(f.rule == "overlapping_profiles" and "consolidate" in f.message for f in e.findings) for e in made)


def test_preview_school_shows_only_that_school(ws):
    for profile in DEMO_PROFILES:
        cers.save(ws, "alice", profile)
    with store.snapshot(ws) as con:
        groups = cers.preview_school(con, "005", as_of=AS_OF)
    assert len(groups) and set(groups.group_name.str[:3]) == {"005"}


def test_preview_groups_are_those_of_the_file_built_with_its_findings(ws):
    from sislab.cers.build import build, group_summary

    for profile in DEMO_PROFILES:
        cers.save(ws, "alice", profile)
    narrowed = [replace(p, schools=("001",)) for p in DEMO_PROFILES if "001" in p.schools]
    with store.snapshot(ws) as con:
        preview = cers.preview_school(con, "001", as_of=AS_OF)
        built = build(con, narrowed, as_of=AS_OF)
        assert built.findings  # the full build looked for them (a staff member or roster is flagged)
        full = group_summary(con)[list(preview.columns)]
    assert len(preview) > 25 and preview.equals(full)


def test_cli_create_prints_each_file_written(ws, capsys):
    for profile in DEMO_PROFILES[4:]:
        cers.save(ws, "alice", profile)
    assert cli.main(["cers", "create", "--all", "--user", "alice", "--as-of", "2026-11-25"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("/")] == [str(p) for p in sorted((ws.reports / "cers").glob("*.csv"))]
    assert cli.main(["cers", "create", "--all", "--consolidate", "--user", "alice"]) == 0
    assert "consolidated" in capsys.readouterr().out


@pytest.mark.slow
def test_scheduled_process_runs_the_notebook_on_the_scheduler(ws):
    from sislab.core import schedule

    cers.save(ws, "alice", DEMO_PROFILES[4].__class__(**{**DEMO_PROFILES[4].__dict__, "scheduled": True}))
    added = cers.schedule_process(ws, "alice", days="daily", time_of_day="06:00", time_zone="America/Los_Angeles",
                                  notify_to="coordinator@district.org")
    assert list(cers.process_schedules(ws).id) == [added.schedule_id]
    _, path = schedule.notebook_ref(added.notebook)
    result = runner.run_notebook(path, schedule.check_parameters(path, added.parameters), ws=ws, user="alice")
    assert result.ok, result.error
    assert [p.suffix for p in result.produced_files if p.suffix == ".csv"] == [".csv"]


EMPTY = cers.Profile("Nothing taught", "secondary", ("001",), subject_areas=("Basket weaving",))


def test_a_profile_without_rows_writes_no_file_records_nothing_and_uploads_nothing(ws, server, monkeypatch):  # noqa: F811
    upload_to(server_settings=server[0], monkeypatch=monkeypatch)
    cers.save(ws, "alice", DEMO_PROFILES[4])
    cers.save(ws, "alice", EMPTY)
    full, empty = cers.create(ws, "alice", ["Demo counselors", "Nothing taught"], upload=True, as_of=AS_OF)
    assert full.path.exists() and full.upload.loaded
    assert empty.path is None and empty.upload is None and empty.empty
    assert "NOT WRITTEN: no rows (CERS rejects an empty file): Nothing taught gave none" in empty.text()
    assert "filters exclude every student (subject areas: Basket weaving)" in empty.report_path.read_text()
    assert list(cers.extracted_files(ws, "alice").path) == [str(full.path)]
    assert len(list((ws.reports / "cers").glob("*.csv"))) == 1


def test_a_consolidated_file_leaves_out_a_profile_without_rows_and_says_so(ws):
    cers.save(ws, "alice", DEMO_PROFILES[4])
    cers.save(ws, "alice", EMPTY)
    [made] = cers.create(ws, "alice", ["Demo counselors", "Nothing taught"], consolidate=True, as_of=AS_OF)
    assert made.path.exists() and made.build.empty_profiles == ("Nothing taught",)
    assert "left out, no rows: Nothing taught (why: see the report)" in made.text()
    [note] = [f for f in made.findings if f.rule == "empty_profile"]
    assert note.text().startswith("Warning: profile Nothing taught gives no rows, so the file has none of its groups")


@pytest.mark.parametrize("as_of", ["2026-11-25", "2027-06-29"])  # filters exclude all; after the terms end
def test_when_no_profile_has_rows_nothing_is_written_and_the_cli_exits_2(ws, capsys, as_of):
    cers.save(ws, "alice", EMPTY if as_of == "2026-11-25" else DEMO_PROFILES[1])
    assert cli.main(["cers", "create", "--all", "--user", "alice", "--as-of", as_of]) == 2
    err = capsys.readouterr().err
    assert "No CERS file written: no profile gives a row" in err
    assert ("filters exclude every student" if as_of == "2026-11-25" else "terms of its classes ended") in err
    assert list((ws.reports / "cers").glob("*.csv")) == [] and cers.extracted_files(ws, "alice").empty


SAME_SLUG = [cers.Profile("North ELA", "secondary", ("001",), subject="ELA", subject_areas=("ELA",)),
             cers.Profile("North-ELA", "secondary", ("002",), subject="ELA", subject_areas=("ELA",))]


def schools_in(path) -> set[str]:
    return {line.split(",")[1] for line in path.read_text().splitlines()[1:]}


def test_profiles_whose_names_give_one_file_name_each_get_their_own_file_and_report(ws):
    for profile in SAME_SLUG:
        cers.save(ws, "alice", profile)
    first, second = cers.create(ws, "alice", [p.name for p in SAME_SLUG], as_of=AS_OF)
    assert first.path.name.removesuffix(".csv") + "-2.csv" == second.path.name  # readable: the next free name
    assert len(schools_in(first.path)) == len(schools_in(second.path)) == 1
    assert schools_in(first.path) != schools_in(second.path)  # neither school's file lost
    assert first.report_path != second.report_path
    assert f"written: {first.path.name}" in first.report_path.read_text()
    assert f"written: {second.path.name}" in second.report_path.read_text()
    assert sorted(cers.extracted_files(ws, "alice").path) == sorted([str(first.path), str(second.path)])


class OneSecond(datetime):
    """The clock of two runs made in the same second."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 11, 25, 8, 0, 0, tzinfo=tz)


def test_two_runs_in_one_second_never_overwrite_a_file_or_a_report(ws, monkeypatch):
    monkeypatch.setattr(extract, "datetime", OneSecond)
    for profile in SAME_SLUG + [EMPTY]:
        cers.save(ws, "alice", profile)
    [scheduled] = cers.create(ws, "alice", [p.name for p in SAME_SLUG], consolidate=True, as_of=AS_OF)
    scheduled_rows = scheduled.path.read_text()
    [coordinator] = cers.create(ws, "alice", [SAME_SLUG[0].name, EMPTY.name], consolidate=True, as_of=AS_OF)
    assert (scheduled.path.name, coordinator.path.name) == ("cers-consolidated-20261125T080000Z.csv",
                                                            "cers-consolidated-20261125T080000Z-2.csv")
    assert scheduled.path.read_text() == scheduled_rows and len(schools_in(scheduled.path)) == 2
    assert len(schools_in(coordinator.path)) == 1
    assert "North-ELA" in scheduled.report_path.read_text() and "Nothing taught" in coordinator.report_path.read_text()
    with pytest.raises(cers.ProfileError):  # a run that writes no file still takes a name for its report
        cers.create(ws, "alice", [EMPTY.name], as_of=AS_OF)
    [unwritten] = (ws.reports / "cers").glob("cers-nothing-taught-*")
    (ws.reports / "cers" / "cers-north-ela-20261125T080000Z.csv").write_text("a file someone put there\n")
    [north] = cers.create(ws, "alice", [SAME_SLUG[0].name], as_of=AS_OF)
    assert north.path.name == "cers-north-ela-20261125T080000Z-2.csv"
    assert (ws.reports / "cers" / "cers-north-ela-20261125T080000Z.csv").read_text() == "a file someone put there\n"
    assert unwritten.name == "cers-nothing-taught-20261125T080000Z.preflight.txt"
    assert "being written" not in "".join(p.read_text() for p in (ws.reports / "cers").glob("*.preflight.txt"))


def test_names_stay_exclusive_on_a_file_system_without_hard_links(ws, monkeypatch):
    def no_hard_links(*_):
        raise PermissionError(1, "Operation not permitted")  # as a share without hard links answers

    monkeypatch.setattr(os, "link", no_hard_links)
    monkeypatch.setattr(extract, "datetime", OneSecond)
    for profile in SAME_SLUG:
        cers.save(ws, "alice", profile)
    first, second = cers.create(ws, "alice", [p.name for p in SAME_SLUG], as_of=AS_OF)
    assert (first.path.name, second.path.name) == ("cers-north-ela-20261125T080000Z.csv",
                                                   "cers-north-ela-20261125T080000Z-2.csv")
    assert schools_in(first.path) != schools_in(second.path) and oct(first.path.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in (ws.reports / "cers").iterdir()) == [
        "cers-north-ela-20261125T080000Z-2.csv", "cers-north-ela-20261125T080000Z-2.preflight.txt",
        "cers-north-ela-20261125T080000Z.csv", "cers-north-ela-20261125T080000Z.preflight.txt"]  # no temporary left


def test_a_run_that_fails_half_way_leaves_no_file_and_no_report(ws, monkeypatch):
    for profile in SAME_SLUG:
        cers.save(ws, "alice", profile)
    built = []

    def build_then_fail(con, batch, as_of=None):
        if built:
            raise RuntimeError("the snapshot went away")
        built.append(batch)
        return cers.build(con, batch, as_of=as_of)

    monkeypatch.setattr(extract, "build", build_then_fail)
    with pytest.raises(RuntimeError):
        cers.create(ws, "alice", [p.name for p in SAME_SLUG], as_of=AS_OF)
    assert list((ws.reports / "cers").iterdir()) == []  # neither the first file nor the second's claimed name
    assert cers.extracted_files(ws, "alice").empty
