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
    assert out.splitlines()[1].startswith("seniors: class of 2027: the seniors of 2026-27, the school year under way")


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


def test_run_writes_no_progress_bar_when_stderr_is_not_a_terminal(ws, capsys):
    assert sislab(ws, "cci", "run", "--school", "001", "--no-notify") == 0
    assert capsys.readouterr().err == ""  # logs stay clean; a terminal gets the bar


def test_students_lists_the_class_per_student_and_says_which_class(ws, capsys):
    assert sislab(ws, "cci", "students", "--school", "001") == 0
    out, err = capsys.readouterr()
    assert err == "001: class of 2025: the four-year cohort and fifth-year graduates, rule set 2025\n"
    lines = out.splitlines()
    assert lines[0].split()[:7] == ["student_id", "last_name", "first_name", "school_id", "cohort_year", "level",
                                    "counted"]
    lam = next(line for line in lines if line.lstrip().startswith("900012 "))
    assert "Approaching Prepared" in lam and "two college quarters, needs three for P3" in lam


def test_students_of_the_current_seniors_class_are_scored_as_if_graduating_now(ws, capsys):
    assert sislab(ws, "cci", "students", "--school", "001", "--class", "2027") == 0
    out, err = capsys.readouterr()
    assert err.startswith("001: class of 2027: the seniors of 2026-27") and "as if graduating now" in err
    rows = out.splitlines()[1:]
    assert rows and all(" 2027 " in line and " 2025 " not in line for line in rows)


def test_students_csv_is_owner_only_with_one_row_per_student(ws, tmp_path, capsys):
    import stat

    import pandas as pd

    path = tmp_path / "north.csv"
    assert sislab(ws, "cci", "students", "--school", "001", "--csv", str(path)) == 0
    rows = pd.read_csv(path, dtype=str)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(rows.columns) == ["student_id", "last_name", "first_name", "school_id", "cohort_year", "level",
                                  "counted", "measures_met", "missing", "flags", "rule_set"]
    assert rows.student_id.is_unique and set(rows.rule_set) == {"2025"}
    late = rows.set_index("student_id").loc["900111"]
    assert (late.level, late.counted) == ("Not Prepared", "True")
    assert capsys.readouterr().out == ""


def test_students_unknown_school_is_a_user_error(ws, capsys):
    assert sislab(ws, "cci", "students", "--school", "999") == 2
    assert "Unknown school '999'" in capsys.readouterr().err


def test_show_prints_level_measures_missing_and_rule_set(ws, capsys):
    assert sislab(ws, "cci", "show", "900012") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "900012 Lam, Wei — school 001, class of 2025"
    assert "level: Approaching Prepared" in out and "measures met: A3" in out
    assert "missing: two college quarters, needs three for P3; a-g not met for P6" in out
    assert "  A3: " not in "\n".join(out)  # a measure met has no missing words
    assert out[-1] == "rule set: 2025"


def test_show_unknown_student_is_a_user_error(ws, capsys):
    assert sislab(ws, "cci", "show", "12345678") == 2
    assert "No student '12345678' in the snapshot" in capsys.readouterr().err
