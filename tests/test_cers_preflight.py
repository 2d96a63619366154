"""The pre-flight: CERS's file rules checked on any file, with CERS's `Row: n` numbering."""

from __future__ import annotations

import csv

import pytest

from sislab import cli
from sislab.cers import check_file
from sislab.cers.layout import HEADER

CDS = "19753091930001"


def row(group="001 Smith Ann 1 1", cds=CDS, year="2027", subject="ELA", ssid="1234567890", login=""):
    return [group, cds, year, subject, ssid, login]


def check(tmp_path, rows, header=HEADER):
    path = tmp_path / "groups.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([list(header), *rows])
    return check_file(path)


def found(findings, rule):
    return [(f.row, f.severity) for f in findings if f.rule == rule]


def test_a_good_file_has_no_findings(tmp_path):
    assert check(tmp_path, [row(ssid="", login="t1@district.org"), row(), row(ssid="1234567891")]) == []


def test_header_must_be_the_six_names_in_order_case_insensitive(tmp_path):
    assert check(tmp_path, [row()], header=[h.upper() for h in HEADER]) == []
    [finding] = check(tmp_path, [row()], header=list(reversed(HEADER)))
    assert finding.rule == "header" and finding.severity == "error"


def test_rows_are_numbered_from_1_without_the_header(tmp_path):
    findings = check(tmp_path, [row(), row(ssid="123")])
    assert [f.text() for f in findings] == ["Row: 2 Failure: 001 Smith Ann 1 1: student_ssid 123 is not a 10-digit SSID"]


@pytest.mark.parametrize("field", ["group", "cds", "year"])
def test_group_school_and_year_required_on_every_row(tmp_path, field):
    assert found(check(tmp_path, [row(), row(**{field: ""})]), "required") == [(2, "error")]


@pytest.mark.parametrize("name, rule", [("x" * 256, "group_name_length"), ("a\\b", "group_name_backslash"),
                                        ("a\tb", "group_name_control"), ("a\nb", "group_name_control"),
                                        ("class 😀", "group_name_bmp")])
def test_group_name_rules(tmp_path, name, rule):
    assert found(check(tmp_path, [row(group=name)]), rule) == [(1, "error")]


def test_group_name_of_255_characters_passes(tmp_path):
    assert check(tmp_path, [row(group="x" * 255)]) == []


def test_group_names_that_fold_together_warn(tmp_path):
    findings = check(tmp_path, [row(group="Álgebra 1"), row(group="algebra 1 "), row(group="ALGEBRA 1")])
    [collision] = [f for f in findings if f.rule == "group_name_collision"]
    assert collision.severity == "warning" and "CERS makes them one group" in collision.message


def test_cds_code_must_be_14_digits(tmp_path):
    assert found(check(tmp_path, [row(cds="1975309193000")]), "cds_code") == [(1, "error")]


@pytest.mark.parametrize("year", ["2024-25", "02025", "25"])
def test_school_year_must_be_the_plain_end_year(tmp_path, year):
    assert found(check(tmp_path, [row(year=year)]), "school_year") == [(1, "error")]


@pytest.mark.parametrize("subject, ok", [("ELA", True), ("math", True), ("ALL", True), ("", True),
                                         ("Science", False)])
def test_subject_code_values(tmp_path, subject, ok):
    assert (found(check(tmp_path, [row(subject=subject)]), "subject_code") == []) is ok


def test_a_later_row_may_not_change_a_groups_subject(tmp_path):
    findings = check(tmp_path, [row(subject=""), row(subject="All", ssid="1234567891"),
                                row(subject="Math", ssid="1234567892")])
    assert found(findings, "subject_conflict") == [(3, "error")]


@pytest.mark.parametrize("ssid", ["123456789", "12345678901", "12345abcde"])
def test_ssid_must_be_10_digits(tmp_path, ssid):
    assert found(check(tmp_path, [row(ssid=ssid)]), "ssid") == [(1, "error")]


@pytest.mark.parametrize("login", ["teacher", "t1@", "a b@district.org", "t1@district"])
def test_login_must_be_an_email(tmp_path, login):
    assert found(check(tmp_path, [row(ssid="", login=login)]), "login") == [(1, "error")]


def test_row_without_student_or_user_is_an_error(tmp_path):
    assert found(check(tmp_path, [row(ssid="", login="")]), "empty_row") == [(1, "error")]


def test_duplicate_student_and_user_rows_name_the_first_row(tmp_path):
    findings = check(tmp_path, [row(ssid="", login="t1@district.org"), row(), row(),
                                row(ssid="", login="T1@district.org")])
    assert found(findings, "duplicate_student") == [(3, "error")]
    assert found(findings, "duplicate_user") == [(4, "error")]
    assert "Row: 2" in next(f.message for f in findings if f.rule == "duplicate_student")


@pytest.mark.parametrize("students, error_row", [(200, None), (201, 201)])
def test_at_most_200_student_rows_per_group(tmp_path, students, error_row):
    findings = check(tmp_path, [row(ssid=f"{i:010d}") for i in range(students)])
    assert found(findings, "group_over_limit") == ([(error_row, "error")] if error_row else [])


def test_duplicates_count_toward_the_200(tmp_path):
    rows = [row(ssid=f"{i:010d}") for i in range(199)] + [row(ssid="0000000001")] * 2
    assert found(check(tmp_path, rows), "group_over_limit") == [(201, "error")]


def test_group_rows_must_be_contiguous(tmp_path):
    findings = check(tmp_path, [row(group="A"), row(group="B"), row(group="A", ssid="1234567891")])
    assert found(findings, "group_not_contiguous") == [(3, "error")]


def test_school_rows_must_be_contiguous(tmp_path):
    other = "19753091930002"
    findings = check(tmp_path, [row(group="A"), row(group="B", cds=other), row(group="C")])
    assert found(findings, "school_not_contiguous") == [(3, "error")]


def test_cli_check_prints_cers_style_lines_and_fails_on_errors(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(row(ssid="1")) + "\n")
    assert cli.main(["cers", "check", str(path)]) == 1
    assert "Row: 1 Failure: 001 Smith Ann 1 1: student_ssid 1 is not a 10-digit SSID" in capsys.readouterr().out
