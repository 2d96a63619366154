"""The OneRoster checker: each defect the spec lists, found in a hand-made broken zip (one
test per rule, named after it; `test_every_rule_has_a_test` keeps that true)."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from roster_fixtures import csv_text, feed, make_zip

from sislab.roster import checker
from sislab.roster.checker import FINDING_COLUMNS, check_feed, rules
from sislab.roster.writer import manifest_text


@pytest.fixture
def zpath(tmp_path):
    return tmp_path / "feed.zip"


def findings(path, rule, **kw):
    report = check_feed(path, **kw)
    return report.findings[report.findings["rule"] == rule]


def only(path, rule, **kw):
    """The findings of `rule`, asserting there is at least one and that the severity is the rule's."""
    rows = findings(path, rule, **kw)
    assert len(rows), f"{rule} not found"
    assert set(rows["severity"]) == {rules()[rule][0]}
    return rows


def test_good_feed_has_no_findings(zpath):
    report = check_feed(make_zip(zpath))
    assert report.findings.empty, report.findings.to_string()
    assert list(report.findings.columns) == FINDING_COLUMNS


def test_every_rule_has_a_test():
    names = set(vars(sys.modules[__name__]))
    assert not [r for r in rules() if f"test_{r.lower()}" not in names]


# ---- package ---------------------------------------------------------------------------------

def test_manifest_missing(zpath):
    only(make_zip(zpath, raw={"manifest.csv": None}), "MANIFEST_MISSING")


def test_manifest_not_at_root(zpath):
    only(make_zip(zpath, folder="export/"), "MANIFEST_NOT_AT_ROOT")


def test_manifest_version(zpath):
    text = manifest_text(tuple(feed())).replace("oneroster.version,1.1", "oneroster.version,1.0")
    rows = only(make_zip(zpath, manifest=text), "MANIFEST_VERSION")
    assert list(rows["column"]) == ["oneroster.version"]


def test_manifest_property_missing(zpath):
    text = manifest_text(tuple(feed())).replace("file.lineItems,absent\n", "")
    assert list(only(make_zip(zpath, manifest=text), "MANIFEST_PROPERTY_MISSING")["column"]) == ["file.lineItems"]


def test_manifest_mode(zpath):
    text = manifest_text(tuple(feed())).replace("file.users,bulk", "file.users,full")
    only(make_zip(zpath, manifest=text), "MANIFEST_MODE")


def test_file_missing(zpath):
    rows = only(make_zip(zpath, raw={"courses.csv": None}), "FILE_MISSING")
    assert list(rows["file"]) == ["courses.csv"]


def test_file_not_declared(zpath):
    text = manifest_text(tuple(feed())).replace("file.courses,bulk", "file.courses,absent")
    assert list(only(make_zip(zpath, manifest=text), "FILE_NOT_DECLARED")["file"]) == ["courses.csv"]


def test_bom(zpath):
    rows = only(make_zip(zpath, raw={"users.csv": "\ufeff" + csv_text("users", feed()["users"])}), "BOM")
    assert list(rows["file"]) == ["users.csv"]
    assert findings(zpath, "COLUMN_MISSING").empty  # the header is still read


def test_invalid_utf8(zpath):
    text = csv_text("users", feed()["users"]).encode("utf-8").replace("Zoë".encode(), b"Zo\xeb")
    rows = only(make_zip(zpath, raw={"users.csv": text}), "INVALID_UTF8")
    assert list(rows["line"]) == [4]


def test_manifest_bom_and_invalid_utf8(zpath):
    """manifest.csv goes through the encoding checks of every file: a BOM is a warning (its
    properties are still read) and a line that is not UTF-8 an error naming the line."""
    text = manifest_text(tuple(feed()))
    rows = only(make_zip(zpath, raw={"manifest.csv": "\ufeff" + text}), "BOM")
    assert list(zip(rows["file"], rows["line"])) == [("manifest.csv", 1)]
    assert check_feed(zpath).findings["rule"].tolist() == ["BOM"]
    bad = text.replace("source.systemName,sislab", "source.systemName,Syst\u00e8me").encode().replace("è".encode(), b"\xe8")
    rows = only(make_zip(zpath, raw={"manifest.csv": bad}), "INVALID_UTF8")
    line = text.splitlines().index("source.systemName,sislab") + 1
    assert list(zip(rows["file"], rows["line"], rows["value"])) == [("manifest.csv", line, repr(b"\xe8"))]


# ---- header and rows -------------------------------------------------------------------------

def header_zip(zpath, header):
    return make_zip(zpath, raw={"orgs.csv": csv_text("orgs", feed()["orgs"], header=header)})


ORG_COLUMNS = ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"]


def test_column_missing(zpath):
    rows = only(header_zip(zpath, [c for c in ORG_COLUMNS if c != "identifier"]), "COLUMN_MISSING")
    assert list(rows["column"]) == ["identifier"]


def test_column_extra(zpath):
    rows = only(header_zip(zpath, ORG_COLUMNS + ["notes"]), "COLUMN_EXTRA")
    assert list(rows["column"]) == ["notes"]
    assert findings(header_zip(zpath, ORG_COLUMNS + ["metadata.notes"]), "COLUMN_EXTRA").empty


def test_column_order(zpath):
    swapped = ORG_COLUMNS[:3] + ["type", "name"] + ORG_COLUMNS[5:]
    only(header_zip(zpath, swapped), "COLUMN_ORDER")


def test_column_miscased(zpath):
    rows = only(header_zip(zpath, [c if c != "parentSourcedId" else "parentsourcedid" for c in ORG_COLUMNS]),
                "COLUMN_MISCASED")
    assert list(rows["column"]) == ["parentSourcedId"]


def test_cell_count(zpath):
    text = csv_text("users", feed()["users"]).replace('"Smith, Jr."', "Smith, Jr.")
    rows = only(make_zip(zpath, raw={"users.csv": text}), "CELL_COUNT")
    assert (list(rows["line"]), list(rows["sourcedId"])) == ([5], ["u-s2"])


def test_required_empty(zpath):
    f = feed()
    f["users"][2]["familyName"] = ""
    rows = only(make_zip(zpath, f), "REQUIRED_EMPTY")
    assert (list(rows["line"]), list(rows["column"]), list(rows["sourcedId"])) == ([4], ["familyName"], ["u-s1"])


def test_required_blank_is_empty_once_trimmed(zpath):
    """Spaces only (also no-break and ideographic spaces) are empty; a value with a leading
    space but something after it is not."""
    f = feed()
    f["users"][0]["familyName"] = "\u00a0 \u00a0"
    f["users"][2]["familyName"] = "   "
    f["users"][3]["givenName"] = " José"
    f["users"][3]["familyName"] = "\u3000"
    rows = only(make_zip(zpath, f), "REQUIRED_EMPTY")
    assert list(zip(rows["line"], rows["column"])) == [(2, "familyName"), (4, "familyName"), (5, "familyName")]


def test_enum_invalid(zpath):
    f = feed()
    f["classes"][0]["classType"] = "Homeroom"  # enumerations are case-sensitive
    f["classes"][1]["grades"] = "09,9"
    rows = only(make_zip(zpath, f), "ENUM_INVALID")
    assert sorted(zip(rows["column"], rows["value"])) == [("classType", "Homeroom"), ("grades", "09,9")]


def test_date_format(zpath):
    f = feed()
    f["academicSessions"][1]["startDate"] = "08/01/2026"
    f["enrollments"][1]["beginDate"] = "2026-02-30"
    rows = only(make_zip(zpath, f), "DATE_FORMAT")
    assert sorted(rows["value"]) == ["08/01/2026", "2026-02-30"]


def test_bulk_has_status(zpath):
    f = feed()
    f["users"][0].update(status="active", dateLastModified="2026-11-25T00:00:00Z")
    assert list(only(make_zip(zpath, f), "BULK_HAS_STATUS")["sourcedId"]) == ["u-t1"]


def test_delta_missing_status(zpath):
    f = feed()
    text = manifest_text(tuple(f)).replace("file.users,bulk", "file.users,delta")
    for u in f["users"][1:]:
        u.update(status="active", dateLastModified="2026-11-25T00:00:00Z")
    assert list(only(make_zip(zpath, f, manifest=text), "DELTA_MISSING_STATUS")["sourcedId"]) == ["u-t1"]


# ---- keys and references ---------------------------------------------------------------------

def test_duplicate_id(zpath):
    f = feed()
    f["users"].append(dict(f["users"][3], identifier="1003"))
    rows = only(make_zip(zpath, f), "DUPLICATE_ID")
    assert list(rows["line"]) == [5, 6]  # every line


@pytest.mark.parametrize("file, row, column", [
    ("enrollments", 1, "userSourcedId"), ("enrollments", 1, "classSourcedId"), ("enrollments", 1, "schoolSourcedId"),
    ("classes", 0, "courseSourcedId"), ("classes", 0, "schoolSourcedId"), ("classes", 0, "termSourcedIds"),
    ("courses", 0, "orgSourcedId"), ("courses", 0, "schoolYearSourcedId"), ("users", 0, "orgSourcedIds"),
    ("orgs", 1, "parentSourcedId"), ("academicSessions", 1, "parentSourcedId"), ("users", 2, "agentSourcedIds"),
])
def test_ref_unresolved(zpath, file, row, column):
    f = feed()
    f[file][row][column] = (f[file][row].get(column) or "x") + "-gone"
    rows = only(make_zip(zpath, f), "REF_UNRESOLVED")
    assert (file + ".csv", column) in set(zip(rows["file"], rows["column"]))


@pytest.mark.parametrize("file, row, column, value, rule", [
    ("enrollments", 1, "classSourcedId", "k1 ", "REF_UNRESOLVED"),
    ("classes", 1, "termSourcedIds", "t1, t2", "REF_UNRESOLVED"),
    ("users", 2, "orgSourcedIds", " s1", "REF_UNRESOLVED"),
    ("classes", 1, "grades", "09, 10", "ENUM_INVALID"),
    ("users", 2, "grades", " 11", "ENUM_INVALID"),  # not also GRADE_NOT_IN_CLASS (its classes are 09)
    ("enrollments", 1, "role", " student", "ENUM_INVALID"),
])
def test_whitespace_around_a_value_or_a_list_item_is_reported_not_trimmed(zpath, file, row, column, value, rule):
    """A reference or enumerated value is read exactly: spaces around one (a single value or an
    item of a list) are named like any other wrong value, with file, line and column, and
    nothing else is reported for it."""
    f = feed()
    f[file][row][column] = value
    report = check_feed(make_zip(zpath, f))
    assert list(zip(report.findings["rule"], report.findings["file"], report.findings["line"],
                    report.findings["column"], report.findings["value"])) == [(rule, f"{file}.csv", row + 2, column, value)]


def test_ref_not_school(zpath):
    f = feed()
    f["classes"][0]["schoolSourcedId"] = "d1"
    rows = only(make_zip(zpath, f), "REF_NOT_SCHOOL")
    assert (list(rows["file"]), list(rows["sourcedId"])) == (["classes.csv"], ["k1"])


def test_org_parent_cycle(zpath):
    f = feed()
    f["orgs"][0]["parentSourcedId"] = "s1"
    assert sorted(only(make_zip(zpath, f), "ORG_PARENT_CYCLE")["sourcedId"]) == ["d1", "s1"]


# ---- meaning ---------------------------------------------------------------------------------

def test_end_before_start(zpath):
    f = feed()
    f["enrollments"][1].update(beginDate="2026-10-01", endDate="2026-09-01")
    assert list(only(make_zip(zpath, f), "END_BEFORE_START")["sourcedId"]) == ["e2"]


def test_session_outside_parent(zpath):
    f = feed()
    f["academicSessions"][2]["endDate"] = "2027-07-31"
    assert list(only(make_zip(zpath, f), "SESSION_OUTSIDE_PARENT")["sourcedId"]) == ["t2"]


def test_enrollment_outside_terms(zpath):
    f = feed()
    f["enrollments"][4].update(beginDate="2027-02-01")  # k2 meets in t1 (fall) only
    assert list(only(make_zip(zpath, f), "ENROLLMENT_OUTSIDE_TERMS")["sourcedId"]) == ["e5"]


def test_enrollment_role_mismatch(zpath):
    f = feed()
    f["enrollments"][1]["role"] = "teacher"
    assert list(only(make_zip(zpath, f), "ENROLLMENT_ROLE_MISMATCH")["sourcedId"]) == ["e2"]


def test_class_no_teacher(zpath):
    f = feed()
    f["users"][0]["enabledUser"] = "false"  # k1's only teacher is disabled
    assert list(only(make_zip(zpath, f), "CLASS_NO_TEACHER")["sourcedId"]) == ["k1"]


def test_class_primary_teacher(zpath):
    f = feed()
    f["enrollments"].append({"sourcedId": "e9", "classSourcedId": "k1", "schoolSourcedId": "s1", "userSourcedId": "u-t2",
                             "role": "teacher", "primary": "true"})
    assert list(only(make_zip(zpath, f), "CLASS_PRIMARY_TEACHER")["sourcedId"]) == ["k1"]


def test_teacher_email_missing(zpath):
    f = feed()
    f["users"][0]["email"] = ""
    assert list(only(make_zip(zpath, f), "TEACHER_EMAIL_MISSING")["sourcedId"]) == ["u-t1"]


def test_teacher_email_malformed(zpath):
    f = feed()
    f["users"][0]["email"] = "ann.example.org"
    assert list(only(make_zip(zpath, f), "TEACHER_EMAIL_MALFORMED")["sourcedId"]) == ["u-t1"]


def test_email_format(zpath):
    f = feed()
    f["users"][2]["email"] = "zoe@@example"
    assert list(only(make_zip(zpath, f), "EMAIL_FORMAT")["sourcedId"]) == ["u-s1"]


@pytest.mark.parametrize("rowwise", [False, True], ids=["duckdb-reader", "row-by-row"])
def test_formula_start(zpath, monkeypatch, rowwise):
    """A text cell people read that a spreadsheet would run as a formula: a warning naming the
    cell (the feed keeps the value; receivers key on it). Phone numbers may start with +."""
    if rowwise:
        monkeypatch.setattr(checker, "_read_csv", lambda *args: None)
    f = feed()
    f["users"][2]["givenName"] = "=1+1"
    f["users"][3]["familyName"] = "\tSmith"
    f["users"][0]["email"] = "-ann@example.org"
    f["users"][0]["phone"] = "+15551234567"
    f["classes"][1]["title"] = "@SUM(A1)"
    f["orgs"][1]["name"] = "+North"
    df = check_feed(make_zip(zpath, f)).findings
    assert [tuple(r) for r in df[["rule", "severity", "file", "line", "sourcedId", "column", "value"]].values] == [
        ("FORMULA_START", "warning", "classes.csv", 3, "k2", "title", "@SUM(A1)"),
        ("FORMULA_START", "warning", "orgs.csv", 3, "s1", "name", "+North"),
        ("FORMULA_START", "warning", "users.csv", 2, "u-t1", "email", "-ann@example.org"),
        ("FORMULA_START", "warning", "users.csv", 4, "u-s1", "givenName", "=1+1"),
        ("FORMULA_START", "warning", "users.csv", 5, "u-s2", "familyName", "\tSmith")]


def test_teacher_email_shared(zpath):
    f = feed()
    f["users"][1]["email"] = "Ann@example.org"
    assert sorted(only(make_zip(zpath, f), "TEACHER_EMAIL_SHARED")["sourcedId"]) == ["u-t1", "u-t2"]


def test_student_no_enrollment(zpath):
    f = feed()
    f["enrollments"] = [e for e in f["enrollments"] if e["userSourcedId"] != "u-s2"]
    assert list(only(make_zip(zpath, f), "STUDENT_NO_ENROLLMENT")["sourcedId"]) == ["u-s2"]


def test_student_no_homeroom(zpath):
    f = feed()
    f["enrollments"] = [e for e in f["enrollments"] if e["sourcedId"] != "e3"]  # u-s2 keeps only Art
    assert findings(make_zip(zpath, f), "STUDENT_NO_ENROLLMENT").empty
    assert list(only(zpath, "STUDENT_NO_HOMEROOM", receiver="cli-engage")["sourcedId"]) == ["u-s2"]


def test_homeroom_overlap(zpath):
    f = feed()
    f["classes"].append(dict(f["classes"][0], sourcedId="k4", title="Homeroom 2"))
    f["enrollments"] += [{"sourcedId": "e8", "classSourcedId": "k4", "schoolSourcedId": "s1", "userSourcedId": "u-t1",
                          "role": "teacher", "primary": "true"},
                         {"sourcedId": "e9", "classSourcedId": "k4", "schoolSourcedId": "s1", "userSourcedId": "u-s1",
                          "role": "student", "primary": "false"}]
    assert list(only(make_zip(zpath, f), "HOMEROOM_OVERLAP")["sourcedId"]) == ["e9"]


def test_schedule_conflict(zpath):
    f = feed()
    f["classes"][2]["periods"] = "1"  # Art now meets in Biology's period, both in the fall
    f["enrollments"].append({"sourcedId": "e9", "classSourcedId": "k3", "schoolSourcedId": "s1", "userSourcedId": "u-s1",
                             "role": "student", "primary": "false"})
    assert list(only(make_zip(zpath, f), "SCHEDULE_CONFLICT")["sourcedId"]) == ["e9"]


@pytest.mark.parametrize("biology, art, conflict", [
    ("1,2", "2", True), ("1,2", "2,1", True), ("1, 2", "2", True), ("1,2", "3,4", False), ("12", "1,2", False)])
def test_schedule_conflict_per_period_of_a_list(zpath, biology, art, conflict):
    """`periods` is a list: a class in periods 1 and 2 conflicts with one in period 2, once per
    pair of classes however many periods they share."""
    f = feed()
    f["classes"][1]["periods"], f["classes"][2]["periods"] = biology, art
    f["enrollments"].append({"sourcedId": "e9", "classSourcedId": "k3", "schoolSourcedId": "s1", "userSourcedId": "u-s1",
                             "role": "student", "primary": "false"})
    found = findings(make_zip(zpath, f), "SCHEDULE_CONFLICT")
    assert list(found["sourcedId"]) == (["e9"] if conflict else [])


def test_grade_not_in_class(zpath):
    f = feed()
    f["users"][3]["grades"] = "11"
    assert sorted(only(make_zip(zpath, f), "GRADE_NOT_IN_CLASS")["sourcedId"]) == ["e3", "e7"]


# ---- against the previous accepted feed ------------------------------------------------------

def test_share_gone(tmp_path):
    previous = make_zip(tmp_path / "previous.zip")
    f = feed()
    f["enrollments"] = f["enrollments"][:5]  # 2 of 7 enrollments gone: 28.6 % > 10 %
    rows = only(make_zip(tmp_path / "today.zip", f), "SHARE_GONE", previous=previous)
    assert list(rows["file"]) == ["enrollments.csv"]
    assert findings(tmp_path / "today.zip", "SHARE_GONE", previous=previous, max_gone_share=0.5).empty


def test_sourcedid_changed(tmp_path):
    previous = make_zip(tmp_path / "previous.zip")
    f = feed()
    f["users"][2]["sourcedId"] = "u-s1-new"
    for e in f["enrollments"]:
        if e["userSourcedId"] == "u-s1":
            e["userSourcedId"] = "u-s1-new"
    rows = only(make_zip(tmp_path / "today.zip", f), "SOURCEDID_CHANGED", previous=previous)
    assert list(rows["sourcedId"]) == ["u-s1-new"]


def test_sourcedid_changed_by_username(tmp_path):
    """A person without an identifier is matched by role and username (and only by that)."""
    f = feed()
    f["users"][2]["identifier"] = ""
    previous = make_zip(tmp_path / "previous.zip", f)
    f = feed()
    f["users"][2].update(sourcedId="u-s1-new", identifier="")
    f["users"][3]["username"] = "s2-renamed"  # identifier kept: not a change of person
    for e in f["enrollments"]:
        if e["userSourcedId"] == "u-s1":
            e["userSourcedId"] = "u-s1-new"
    rows = only(make_zip(tmp_path / "today.zip", f), "SOURCEDID_CHANGED", previous=previous)
    assert list(zip(rows["sourcedId"], rows["message"].str.extract(r"was (\S+)\)")[0])) == [("u-s1-new", "u-s1")]


# ---- rules added for issue 18, each with its exact finding (and no follow-on noise) ----------

def exact(path, **kw) -> list[tuple]:
    """Every finding of the feed as (rule, severity, file, line), line None when it has none."""
    df = check_feed(path, **kw).findings
    return [(r, s, f, None if pd.isna(n) else int(n)) for r, s, f, n in zip(df["rule"], df["severity"], df["file"], df["line"])]


def second_school(f):
    f["orgs"].append({"sourcedId": "s2", "name": "South High", "type": "school", "parentSourcedId": "d1"})
    return f


MANIFEST_LINES = 18  # header, two versions, 13 files, two source properties


def test_file_missing_without_follow_on_references(zpath):
    assert exact(make_zip(zpath, raw={"courses.csv": None})) == [("FILE_MISSING", "error", "courses.csv", None)]


def test_file_missing_for_a_file_outside_the_feed(zpath):
    text = manifest_text(tuple(feed())).replace("file.categories,absent", "file.categories,bulk")
    assert exact(make_zip(zpath, manifest=text)) == [("FILE_MISSING", "error", "categories.csv", None)]


def test_file_present_but_not_declared(zpath):
    text = manifest_text(tuple(feed())).replace("file.courses,bulk\n", "")
    assert exact(make_zip(zpath, manifest=text)) == [("FILE_NOT_DECLARED", "error", "courses.csv", None)]
    assert exact(make_zip(zpath, raw={"roles.csv": "sourcedId\n"})) == [("FILE_NOT_DECLARED", "error", "roles.csv", None)]


def test_manifest_property_unknown(zpath):
    text = manifest_text(tuple(feed())) + "file.user,bulk\n"
    assert exact(make_zip(zpath, manifest=text)) == [
        ("MANIFEST_PROPERTY_UNKNOWN", "warning", "manifest.csv", MANIFEST_LINES + 1)]


def test_manifest_property_duplicate(zpath):
    text = manifest_text(tuple(feed())) + "file.users,absent\n"  # the last one no longer silently wins
    rows = only(make_zip(zpath, manifest=text), "MANIFEST_PROPERTY_DUPLICATE")
    assert exact(zpath) == [("MANIFEST_PROPERTY_DUPLICATE", "error", "manifest.csv", MANIFEST_LINES + 1)]
    assert list(rows["column"]) == ["file.users"] and "line 16" in rows.iloc[0]["message"]


def test_manifest_header(zpath):
    text = manifest_text(tuple(feed())).replace("propertyName,value", "property,value")
    assert exact(make_zip(zpath, manifest=text)) == [("MANIFEST_HEADER", "error", "manifest.csv", 1)]


def test_file_empty(zpath):
    assert exact(make_zip(zpath, raw={"users.csv": ""})) == [("FILE_EMPTY", "error", "users.csv", 1)]
    assert exact(make_zip(zpath, manifest="")) == [("FILE_EMPTY", "error", "manifest.csv", 1)]


def test_enrollment_school_mismatch(zpath):
    f = second_school(feed())
    f["enrollments"][4]["schoolSourcedId"] = "s2"  # e5: its class k2 is at s1
    assert exact(make_zip(zpath, f)) == [("ENROLLMENT_SCHOOL_MISMATCH", "error", "enrollments.csv", 6)]


def test_student_outside_class_school(zpath):
    f = second_school(feed())
    f["classes"][1]["schoolSourcedId"] = "s2"  # k2 moves to s2; u-s1 belongs to s1 only
    for e in f["enrollments"]:
        if e["classSourcedId"] == "k2":
            e["schoolSourcedId"] = "s2"
    assert exact(make_zip(zpath, f)) == [("STUDENT_OUTSIDE_CLASS_SCHOOL", "error", "enrollments.csv", 6)]


def test_section_term_unknown(zpath):
    """The build's finding on the SIS data (a section's term code its calendar lacks; found by
    build_feed, see test_roster_feed) joins the zip's check report as a warning naming the
    section and the code: the feed is still accepted."""
    found = {"rule": "SECTION_TERM_UNKNOWN", "file": "classes", "line": 3, "sourcedId": "k2", "column": "termSourcedIds",
             "value": "FY", "message": "section 1001: term FY is not a term of its calendar C1"}
    report = check_feed(make_zip(zpath)).adding([found])
    rows = report.findings[report.findings["rule"] == "SECTION_TERM_UNKNOWN"]
    assert report.passed and list(zip(rows["severity"], rows["file"], rows["line"], rows["value"])) == \
        [("warning", "classes.csv", 3, "FY")]
    assert rows["message"].iloc[0].endswith("(section 1001: term FY is not a term of its calendar C1)")


def test_scheduled_in_homeroom_feed(zpath):
    make_zip(zpath)  # k2 and k3 are scheduled classes
    assert exact(zpath, receiver="cli-engage") == [("SCHEDULED_IN_HOMEROOM_FEED", "error", "classes.csv", 3),
                                                  ("SCHEDULED_IN_HOMEROOM_FEED", "error", "classes.csv", 4)]
    assert exact(zpath) == []


def test_class_no_teacher_is_an_error_for_the_homeroom_receiver(zpath):
    f = feed()
    f["classes"], f["courses"] = f["classes"][:1], f["courses"][:1]
    f["enrollments"] = [e for e in f["enrollments"] if e["classSourcedId"] == "k1" and e["role"] == "student"]
    assert exact(make_zip(zpath, f), receiver="cli-engage") == [("CLASS_NO_TEACHER", "error", "classes.csv", 2)]
    assert exact(zpath) == [("CLASS_NO_TEACHER", "warning", "classes.csv", 2)]


def test_bulk_status_violates_the_bulk_rules(zpath):
    f = feed()
    f["users"][0].update(status="active", dateLastModified="2026-11-25T00:00:00Z")
    assert exact(make_zip(zpath, f)) == [("BULK_HAS_STATUS", "error", "users.csv", 2)]


def test_value_outside_its_enumeration_triggers_no_dependent_rule(zpath):
    f = feed()
    f["enrollments"][1]["role"] = "Student"  # e2, line 3
    assert exact(make_zip(zpath, f)) == [("ENUM_INVALID", "error", "enrollments.csv", 3)]
    f = feed()
    f["users"][3]["grades"] = "9"  # u-s2, line 5
    assert exact(make_zip(zpath, f)) == [("ENUM_INVALID", "error", "users.csv", 5)]
    f = feed()
    f["enrollments"][0]["role"] = "Teacher"  # k1's teacher enrollment, line 2
    assert exact(make_zip(zpath, f)) == [("ENUM_INVALID", "error", "enrollments.csv", 2)]


def test_malformed_teacher_email_is_reported_once(zpath):
    f = feed()
    f["users"][0]["email"] = "ann@@example.org"
    assert exact(make_zip(zpath, f)) == [("TEACHER_EMAIL_MALFORMED", "error", "users.csv", 2)]


def test_accept_drop_confirms_a_large_drop(tmp_path):
    previous = make_zip(tmp_path / "previous.zip")
    f = feed()
    f["enrollments"] = f["enrollments"][:5]
    today = make_zip(tmp_path / "today.zip", f)
    assert not check_feed(today, previous).passed
    report = check_feed(today, previous, accept_drop=True)
    assert report.passed
    assert ("SHARE_GONE", "warning", "enrollments.csv", None) in exact(today, previous=previous, accept_drop=True)
    assert "SHARE_GONE" not in set(check_feed(today, previous, accept_drop=True).findings.query("severity == 'error'")["rule"])


def test_moodle_username_invalid(zpath):
    f = feed()
    f["users"][2]["identifier"] = "O'Brien 1001"
    f["users"][3]["identifier"] = ""
    make_zip(zpath, f)
    assert exact(zpath, receiver="moodle") == [("MOODLE_USERNAME_INVALID", "error", "users.csv", 4),
                                              ("MOODLE_USERNAME_INVALID", "error", "users.csv", 5)]
    assert exact(zpath) == []


def test_unknown_receiver_is_refused(zpath):
    with pytest.raises(ValueError, match="known: generic, cli-engage, moodle"):
        check_feed(make_zip(zpath), receiver="canvas")


def test_cell_count_of_a_row_with_one_extra_empty_last_cell(zpath):
    """DuckDB's reader forgives this row; the checker must not."""
    lines = csv_text("users", feed()["users"]).splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n") + ",\n"  # u-s1
    assert exact(make_zip(zpath, raw={"users.csv": "".join(lines)})) == [  # the row is dropped: its refs fail
        ("REF_UNRESOLVED", "error", "enrollments.csv", 3), ("REF_UNRESOLVED", "error", "enrollments.csv", 6),
        ("CELL_COUNT", "error", "users.csv", 4)]


def test_line_numbers_after_a_quoted_cell_spanning_lines(zpath):
    f = feed()
    f["users"][2]["familyName"] = "O'Brien\nSmith"  # u-s1's record takes lines 4-5
    f["users"][3]["familyName"] = ""  # u-s2 is on line 6
    rows = only(make_zip(zpath, f), "REQUIRED_EMPTY")
    assert (list(rows["line"]), list(rows["sourcedId"])) == ([6], ["u-s2"])


def test_findings_of_one_line_and_rule_come_in_one_order_whatever_order_the_queries_gave():
    """A teacher whose e-mail two others share has two TEACHER_EMAIL_SHARED findings on one line;
    the report lists them the same way in every run (the queries return them in no fixed order)."""
    shared = [checker._finding("TEACHER_EMAIL_SHARED", "users", line=7, source="t1", column="email",
                               value="a@x.org", message=f"also {other}") for other in ("t2", "t3")]
    first, second = checker._frame(shared), checker._frame(shared[::-1])
    assert first.equals(second) and list(first["message"].str[-3:-1]) == ["t2", "t3"]
