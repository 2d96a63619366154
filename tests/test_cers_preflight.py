"""sislab's own checks of any CERS file, beyond RDW's verdict (test_cers_rdw.py): the warehouse's
name rules (errors) and what CERS accepts but users rarely mean (warnings), with CERS's `Row: n`
numbering."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from sislab import cli
from sislab.cers import check_file
from sislab.cers.layout import HEADER

CDS = "19753091930001"
TODAY = date(2026, 11, 25)


def row(group="001 Smith Ann 1 1", cds=CDS, year="2027", subject="ELA", ssid="1234567890", login=""):
    return [group, cds, year, subject, ssid, login]


def check(tmp_path, rows, header=HEADER):
    path = tmp_path / "groups.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([list(header), *rows])
    return check_file(path, today=TODAY)


def found(findings, rule):
    return [(f.row, f.severity) for f in findings if f.rule == rule]


def test_a_good_file_has_no_findings(tmp_path):
    assert check(tmp_path, [row(ssid="", login="t1@district.org"), row(), row(ssid="1234567891")]) == []


def test_rows_are_numbered_from_1_without_the_header(tmp_path):
    findings = check(tmp_path, [row(), row(ssid="123")])
    assert [f.text() for f in findings] == [
        ("Row: 2 Warning: 001 Smith Ann 1 1: student_ssid 123 is not a 10-digit SSID (CERS does not check: it makes "
         "a placeholder student)")]


@pytest.mark.parametrize("name, rule", [("x" * 256, "group_name_length"), ("a\\b", "group_name_backslash"),
                                        ("a\tb", "group_name_control"), ("a\nb", "group_name_control"),
                                        ("a\x00b", "group_name_control"), ("a\x7fb", "group_name_control"),
                                        ("a\x80b", "group_name_control"), ("a\x85b", "group_name_control"),
                                        ("Dupont\x92s", "group_name_control"), ("a\x9fb", "group_name_control"),
                                        ("a\u2028b", "group_name_control"), ("a\u2029b", "group_name_control"),
                                        ("class 😀", "group_name_bmp")])
def test_group_name_rules(tmp_path, name, rule):
    assert found(check(tmp_path, [row(group=name)]), rule) == [(1, "error")]


def test_a_control_character_in_a_group_name_is_shown_as_its_escape(tmp_path):
    """The finding stays one line and a terminal reading it is not sent an escape sequence."""
    [finding] = [f for f in check(tmp_path, [row(group="a\x1b[31mb\nc\u2028d")]) if f.rule == "group_name_control"]
    assert finding.text().startswith("Row: 1 Failure: a\\x1b[31mb\\nc\\u2028d: group name contains a control")


@pytest.mark.parametrize("name", ["a\xa0b", "Ñúñez ~ 1", "a\u2027b"])  # the neighbours of the control ranges
def test_group_names_without_control_characters_pass(tmp_path, name):
    assert check(tmp_path, [row(group=name)]) == []


def test_group_name_of_255_characters_passes(tmp_path):
    assert check(tmp_path, [row(group="x" * 255)]) == []


def test_group_names_that_fold_together_warn(tmp_path):
    findings = check(tmp_path, [row(group="Álgebra 1"), row(group="algebra 1 "), row(group="ALGEBRA 1")])
    [collision] = [f for f in findings if f.rule == "group_name_collision"]
    assert collision.severity == "warning" and "CERS makes them one group" in collision.message


@pytest.mark.parametrize("first", ["=", "+", "-", "@"])
def test_group_name_read_as_a_spreadsheet_formula_warns(tmp_path, first):
    findings = check(tmp_path, [row(group=first + "SUM(A1) 1"), row(group="A=B 1")])
    assert found(findings, "group_name_formula") == [(1, "warning")]


@pytest.mark.parametrize("ssid", ["123456789", "12345678901", "12345abcde"])
def test_ssid_not_10_digits_is_a_warning_cers_does_not_check_it(tmp_path, ssid):
    assert found(check(tmp_path, [row(ssid=ssid)]), "ssid") == [(1, "warning")]


@pytest.mark.parametrize("login", ["teacher", "t1@", "a b@district.org", "t1@district"])
def test_login_not_an_email_is_a_warning_cers_does_not_check_it(tmp_path, login):
    assert found(check(tmp_path, [row(ssid="", login=login)]), "login") == [(1, "warning")]


def test_row_holding_only_the_group_key_is_a_warning(tmp_path):
    assert found(check(tmp_path, [row(ssid="", login="")]), "empty_row") == [(1, "warning")]


def test_duplicate_student_and_user_rows_warn_naming_the_first_row(tmp_path):
    findings = check(tmp_path, [row(ssid="", login="t1@district.org"), row(), row(),
                                row(ssid="", login="T1@district.org")])
    assert found(findings, "duplicate_student") == [(3, "warning")]
    assert found(findings, "duplicate_user") == [(4, "warning")]
    assert "Row: 2" in next(f.message for f in findings if f.rule == "duplicate_student")


def test_rdw_rules_are_reported_once_by_rdw_not_again_by_the_preflight(tmp_path):
    findings = check(tmp_path, [row(group="A"), row(group="B"), row(group="A", ssid="1234567891", subject="Math")])
    assert [f.rule for f in findings] == ["rdw"]


def test_cli_check_prints_warnings_and_passes_a_file_cers_accepts(tmp_path, capsys):
    path = tmp_path / "ok.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(row(ssid="1")) + "\n")
    assert cli.main(["cers", "check", str(path), "--as-of", str(TODAY)]) == 0
    assert "Row: 1 Warning: 001 Smith Ann 1 1: student_ssid 1 is not a 10-digit SSID" in capsys.readouterr().out
