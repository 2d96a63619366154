"""`sislab cci run` / `sislab cci status`: each way of choosing schools and each user error."""

import pytest
from helpers.procs import workspace
from helpers_cci import sample_copy

from sislab import cli
from sislab.core import jobs


@pytest.fixture
def ws(sample_ws, tmp_path, monkeypatch):
    return sample_copy(sample_ws, tmp_path, monkeypatch)


def sislab(ws, *args: str) -> int:
    return cli.main(["--workspace", str(ws.root), *args])


def ran(ws) -> list[str]:
    return [s.school_id for s in jobs.school_state(ws, "cci")]


@pytest.mark.parametrize("choice, expected", [
    (["--school", "002"], ["002"]),
    (["--schools", "006, 001"], ["001", "006"]),
    (["--group", "grades 9-12"], ["001", "002", "006"]),
    (["--all"], ["001", "002", "006"]),  # not the middle, elementary or inactive schools
])
def test_each_way_of_choosing_schools_runs_exactly_those(ws, capsys, choice, expected):
    assert sislab(ws, "cci", "run", *choice, "--no-notify") == 0
    assert ran(ws) == expected
    out = capsys.readouterr().out
    assert out.count(": done (") == len(expected) and "no completion e-mail (--no-notify)" in out


def test_unknown_school_names_the_valid_choices(ws, capsys):
    assert sislab(ws, "cci", "run", "--schools", "001,0001") == 2
    err = capsys.readouterr().err
    assert "Unknown school '0001'" in err and "001 North High, 002 South High, 006 Ridgeview Continuation High" in err
    assert ran(ws) == []


def test_empty_school_list_says_so(ws, capsys):
    assert sislab(ws, "cci", "run", "--schools", " , ") == 2
    assert "No school given" in capsys.readouterr().err


def test_unknown_group_names_the_saved_groups(ws, capsys):
    assert sislab(ws, "cci", "run", "--group", "High") == 2
    assert "No school group 'High'. Saved groups: Elementary, Grades 9-12, Middle." in capsys.readouterr().err


def test_unknown_rule_set_names_the_available_ones(ws, capsys):
    assert sislab(ws, "cci", "run", "--school", "001", "--rule-set", "2031") == 2
    assert "No CCI rule set '2031'; available: 2024, 2025." in capsys.readouterr().err


def test_malformed_notify_address_stops_before_any_work(ws, capsys):
    assert sislab(ws, "cci", "run", "--school", "001", "--notify", "alice@") == 2
    assert "Not an e-mail address: 'alice@'" in capsys.readouterr().err
    assert ran(ws) == []


def test_without_address_the_run_says_how_to_get_the_email(ws, capsys):
    assert sislab(ws, "cci", "run", "--school", "006", "--user", "carol") == 0
    assert "no completion e-mail (no address for carol in app_user; use --notify ADDR)" in capsys.readouterr().out


def test_notify_writes_the_email_to_the_outbox_without_smtp(ws, capsys):
    assert sislab(ws, "cci", "run", "--school", "006", "--notify", "carol@district.example.org") == 0
    assert f"completion e-mail: {ws.outbox}" in capsys.readouterr().out


def test_choosing_two_ways_at_once_is_refused(ws, capsys):
    with pytest.raises(SystemExit) as e:
        sislab(ws, "cci", "run", "--school", "001", "--all")
    assert e.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_run_before_any_import_says_to_import(tmp_path, monkeypatch, capsys):
    empty = workspace(tmp_path, monkeypatch)
    assert sislab(empty, "cci", "run", "--all") == 2
    assert "sislab import" in capsys.readouterr().err


def test_status_lists_high_schools_with_their_last_run(ws, capsys):
    sislab(ws, "cci", "run", "--school", "001", "--no-notify")
    capsys.readouterr()
    assert sislab(ws, "cci", "status") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("001  North High: last started ") and ", last completed " in lines[0]
    assert lines[1:] == ["002  South High has not been processed yet",
                         "006  Ridgeview Continuation High has not been processed yet"]
