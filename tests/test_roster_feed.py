"""The OneRoster feed made from the sample district: it passes our own checker, its ids are
stable, the package follows the binding, and the CLI builds, checks and compares feeds."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from roster_fixtures import feed, make_zip

from sislab.cli import main
from sislab.core import store
from sislab.roster import FeedOptions, build_and_check, build_feed, check_feed
from sislab.roster.job import accepted_feed
from sislab.roster.spec import binding

AS_OF = date(2026, 11, 25)
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def feeds(sample_ws, tmp_path_factory):
    """The full feed with demographics, and the homeroom-only feed, built once."""
    folder = tmp_path_factory.mktemp("feeds")
    paths = {}
    with store.snapshot(sample_ws) as con:
        for name, options in {"full": FeedOptions(as_of=AS_OF, demographics=True),
                              "homeroom": FeedOptions(as_of=AS_OF, receiver="cli-engage")}.items():
            paths[name] = folder / f"{name}.zip"
            build_feed(con, paths[name], options)
    return paths


def read(path, name) -> list[dict]:
    with zipfile.ZipFile(path) as z:
        return list(csv.DictReader(io.StringIO(z.read(f"{name}.csv").decode("utf-8"))))


def test_our_feed_passes_our_checker(feeds):
    report = check_feed(feeds["full"])
    assert report.passed, report.summary().to_string()
    assert report.rows["users"] > 3000 and report.rows["demographics"] > 0


def test_our_homeroom_feed_passes_our_checker_with_the_homeroom_profile(feeds):
    report = check_feed(feeds["homeroom"], receiver="cli-engage")
    assert report.passed, report.summary().to_string()


def test_a_file_of_many_pieces_zips_to_one_valid_member(tmp_path):
    """The zip deflates a file in independent 1 MiB pieces: joined, they must read back as the
    file itself, with the right CRC, in Python's reader and in Info-ZIP's `unzip`."""
    import random
    import shutil
    import subprocess

    from sislab.roster.writer import ZIP_PIECE, _Zip

    rng = random.Random(18)
    text = "".join(f"{rng.getrandbits(128):032x},e{i},student,{i % 7}\n" for i in range(90_000)).encode()
    assert len(text) > 3 * ZIP_PIECE
    (tmp_path / "big.csv").write_bytes(text)
    (tmp_path / "empty.csv").write_bytes(b"")
    with _Zip(tmp_path, tmp_path / "out.zip") as z:
        z.add("big")
        z.add("empty")
    with zipfile.ZipFile(tmp_path / "out.zip") as z:
        assert z.testzip() is None
        assert z.read("big.csv") == text and z.read("empty.csv") == b""
        assert z.getinfo("big.csv").compress_type == zipfile.ZIP_DEFLATED
    if shutil.which("unzip"):
        assert subprocess.run(["unzip", "-tq", str(tmp_path / "out.zip")], capture_output=True).returncode == 0


def test_homeroom_profile_has_only_homeroom_classes(feeds):
    assert {c["classType"] for c in read(feeds["homeroom"], "classes")} == {"homeroom"}
    assert {c["classType"] for c in read(feeds["full"], "classes")} == {"homeroom", "scheduled"}


def test_zip_has_manifest_at_root_and_every_file_utf8_without_bom(feeds):
    with zipfile.ZipFile(feeds["full"]) as z:
        names = z.namelist()
        assert names[0] == "manifest.csv" and all("/" not in n for n in names)
        for n in names:
            data = z.read(n)
            assert not data.startswith(b"\xef\xbb\xbf")
            data.decode("utf-8")


def test_headers_are_the_binding_columns_in_order(feeds):
    with zipfile.ZipFile(feeds["full"]) as z:
        for name in binding().files:
            header = z.read(f"{name}.csv").decode("utf-8").splitlines()[0].split(",")
            assert header == binding().columns(name)


def test_demographics_only_when_asked(feeds):
    with zipfile.ZipFile(feeds["homeroom"]) as z:
        assert "demographics.csv" not in z.namelist()
        assert "file.demographics,absent" in z.read("manifest.csv").decode()


def test_sourced_ids_are_stable_across_runs(sample_ws, feeds, tmp_path):
    with store.snapshot(sample_ws) as con:
        build_feed(con, tmp_path / "again.zip", FeedOptions(as_of=AS_OF, demographics=True))
    for name in ("orgs", "academicSessions", "courses", "classes", "users", "enrollments"):
        assert read(tmp_path / "again.zip", name) == read(feeds["full"], name)


def test_same_student_keeps_the_same_id_in_both_profiles(feeds):
    full = {u["identifier"]: u["sourcedId"] for u in read(feeds["full"], "users")}
    homeroom = {u["identifier"]: u["sourcedId"] for u in read(feeds["homeroom"], "users")}
    assert all(full[k] == v for k, v in homeroom.items() if k in full)


def test_build_and_check_keeps_a_passing_feed_as_the_baseline(sample_ws, tmp_path):
    accepted_feed(sample_ws).unlink(missing_ok=True)
    first = build_and_check(sample_ws, tmp_path / "one", FeedOptions(as_of=AS_OF))
    assert first.accepted and first.diff is None and accepted_feed(sample_ws).exists()
    second = build_and_check(sample_ws, tmp_path / "two", FeedOptions(as_of=AS_OF))
    assert second.report.passed and second.diff.empty
    assert (tmp_path / "two" / "oneroster_check.csv").stat().st_mode & 0o077 == 0
    accepted_feed(sample_ws).unlink()


def test_each_receiver_and_school_set_has_its_own_baseline(sample_ws, tmp_path):
    """The homeroom feed checked against the full feed's baseline would lose most classes
    (SHARE_GONE) and never be accepted; a feed of some schools against all schools' likewise."""
    baselines = [accepted_feed(sample_ws), accepted_feed(sample_ws, "cli-engage"),
                 accepted_feed(sample_ws, "generic", ("002", "001"))]
    assert len(set(baselines)) == 3 and baselines[2].name == "accepted-generic-001+002.zip"
    try:
        for p in baselines:
            p.unlink(missing_ok=True)
        assert build_and_check(sample_ws, tmp_path / "full", FeedOptions(as_of=AS_OF)).accepted
        for n, options in enumerate([FeedOptions(as_of=AS_OF, receiver="cli-engage"),
                                     FeedOptions(as_of=AS_OF, schools=("002", "001"))]):
            run = build_and_check(sample_ws, tmp_path / str(n), options)
            assert run.accepted and run.diff is None, run.report.summary().to_string()
            again = build_and_check(sample_ws, tmp_path / f"{n}again", options)
            assert again.accepted and again.diff.empty
        assert [p.exists() for p in baselines] == [True, True, True]
        assert read(baselines[1], "classes") != read(baselines[0], "classes")
    finally:
        for p in baselines:
            p.unlink(missing_ok=True)


def test_the_single_baseline_of_before_is_read_as_the_generic_ones(sample_ws, tmp_path):
    """A district's roster/accepted.zip (one baseline for every feed, before there was one per
    receiver) stays the generic feed's baseline until a generic feed is accepted; it is not
    the baseline of another receiver."""
    legacy = sample_ws.root / "roster" / "accepted.zip"
    try:
        build_and_check(sample_ws, tmp_path / "old", FeedOptions(as_of=AS_OF), accept=False)
        legacy.parent.mkdir(exist_ok=True)
        legacy.write_bytes((tmp_path / "old" / "oneroster.zip").read_bytes())
        homeroom = build_and_check(sample_ws, tmp_path / "homeroom", FeedOptions(as_of=AS_OF, receiver="cli-engage"),
                                   accept=False)
        assert homeroom.diff is None and homeroom.report.passed
        generic = build_and_check(sample_ws, tmp_path / "generic", FeedOptions(as_of=AS_OF))
        assert generic.diff is not None and generic.diff.empty and generic.accepted
        assert accepted_feed(sample_ws).read_bytes() == (tmp_path / "generic" / "oneroster.zip").read_bytes()
    finally:
        legacy.unlink(missing_ok=True)
        accepted_feed(sample_ws).unlink(missing_ok=True)


def test_cli_roster_check_exits_1_on_errors_and_names_the_rule(tmp_path, capsys):
    f = feed()
    f["users"][0]["role"] = "Teacher"
    assert main(["roster", "check", str(make_zip(tmp_path / "bad.zip", f)), "--out", str(tmp_path / "f.csv")]) == 1
    assert "ENUM_INVALID" in capsys.readouterr().out
    assert main(["roster", "check", str(make_zip(tmp_path / "good.zip"))]) == 0


def test_cli_roster_check_names_a_missing_file(tmp_path, capsys):
    assert main(["roster", "check", str(tmp_path / "nope.zip")]) == 2
    assert "nope.zip: no such file" in capsys.readouterr().err


def test_cli_roster_build_and_diff(sample_ws, tmp_path, capsys):
    assert main(["roster", "build", "--out", str(tmp_path), "--receiver", "cli-engage", "--as-of", "2026-11-25",
                 "--no-accept"]) == 0
    assert (tmp_path / "oneroster.zip").exists() and (tmp_path / "oneroster_check.csv").exists()
    assert main(["roster", "diff", str(tmp_path / "oneroster.zip"), str(tmp_path / "oneroster.zip")]) == 0
    assert "0 users changed" in capsys.readouterr().out


def test_cli_roster_check_names_a_file_that_is_not_a_zip(tmp_path, capsys):
    (tmp_path / "users.csv").write_text("sourcedId\n")
    assert main(["roster", "check", str(tmp_path / "users.csv")]) == 2
    assert "not a zip file" in capsys.readouterr().err


def test_feed_built_for_moodle_passes_the_moodle_profile(sample_ws, tmp_path):
    with store.snapshot(sample_ws) as con:
        build_feed(con, tmp_path / "moodle.zip", FeedOptions(as_of=AS_OF, receiver="moodle"))
    report = check_feed(tmp_path / "moodle.zip", receiver="moodle")
    assert report.passed, report.summary().to_string()


def writable_copy(ws):
    """An in-memory copy of the workspace's snapshot, to change."""
    import duckdb

    from sislab.core import model

    con = duckdb.connect()
    con.execute(model.ddl())
    with store.snapshot(ws) as src:
        for t in model.TABLES:
            rows = src.execute(f"SELECT * FROM {t.name}").df()  # noqa: F841 (read below)
            con.execute(f"INSERT INTO {t.name} SELECT * FROM rows")
    return con


def test_builder_writes_what_the_receiver_accepts(sample_ws, tmp_path):
    """A student id Moodle cannot take as a username is rewritten for Moodle only."""
    con = writable_copy(sample_ws)
    student = con.execute("SELECT min(student_id) FROM roster").fetchone()[0]
    for table in ("student", "enrollment", "roster", "mark"):
        con.execute(f"UPDATE {table} SET student_id = ? WHERE student_id = ?", [f"O'B {student}", student])
    build_feed(con, tmp_path / "generic.zip", FeedOptions(as_of=AS_OF))
    build_feed(con, tmp_path / "moodle.zip", FeedOptions(as_of=AS_OF, receiver="moodle"))
    assert f"O'B {student}" in {u["identifier"] for u in read(tmp_path / "generic.zip", "users")}
    assert f"OB{student}" in {u["identifier"] for u in read(tmp_path / "moodle.zip", "users")}
    assert not check_feed(tmp_path / "generic.zip", receiver="moodle").passed
    report = check_feed(tmp_path / "moodle.zip", receiver="moodle")
    assert report.passed, report.findings.head(5).to_string()


def test_a_value_like_a_formula_is_written_exactly_and_the_check_warns(sample_ws, tmp_path):
    """The feed is a fixed layout receivers key on: a name or title that a spreadsheet would
    run as a formula is written as the SIS has it (no apostrophe), and the check names each
    such cell as a FORMULA_START warning."""
    con = writable_copy(sample_ws)
    student = con.execute("SELECT min(student_id) FROM roster").fetchone()[0]
    course = con.execute("SELECT min(course_id) FROM section").fetchone()[0]
    name, title = '=HYPERLINK("http://evil.example","x")', "@SUM(1+1)"
    con.execute("UPDATE student SET last_name = ? WHERE student_id = ?", [name, student])
    con.execute("UPDATE course SET title = ? WHERE course_id = ?", [title, course])
    build_feed(con, tmp_path / "feed.zip", FeedOptions(as_of=AS_OF))
    users, courses = read(tmp_path / "feed.zip", "users"), read(tmp_path / "feed.zip", "courses")
    line = next(i for i, u in enumerate(users, start=2) if u["identifier"] == student)
    assert users[line - 2]["familyName"] == name
    assert [c["title"] for c in courses if c["courseCode"] == course] == [title]
    report = check_feed(tmp_path / "feed.zip")
    found = report.findings[report.findings["rule"] == "FORMULA_START"]
    assert report.passed and set(found["severity"]) == {"warning"}
    assert ("users.csv", line, "familyName", name) in set(zip(found["file"], found["line"], found["column"], found["value"]))
    assert {("courses.csv", "title", title)} <= set(zip(found["file"], found["column"], found["value"]))
    assert set(found[found["file"] == "classes.csv"]["value"].str[:len(title)]) == {title}  # the class titles start with it


def test_a_build_that_fails_halfway_leaves_the_last_feed(sample_ws, tmp_path, monkeypatch):
    """Files are zipped in the background while the next is queried: a query that fails stops
    the build with its error, and the feed already at the target stays as it was."""
    from sislab.roster import writer

    target = tmp_path / "oneroster.zip"
    target.write_bytes(b"yesterday's feed")
    real = writer._write_file

    def failing(con, name, *args):
        if name == "users":  # after enrollments, which is being zipped
            raise RuntimeError("the query failed")
        return real(con, name, *args)

    monkeypatch.setattr(writer, "_write_file", failing)
    with store.snapshot(sample_ws) as con, pytest.raises(RuntimeError, match="the query failed"):
        build_feed(con, target, FeedOptions(as_of=AS_OF))
    assert target.read_bytes() == b"yesterday's feed"
    assert [p.name for p in tmp_path.iterdir()] == ["oneroster.zip"]


def test_a_user_of_several_schools_lists_each_schools_id_in_school_id_order(sample_ws, tmp_path):
    """orgSourcedIds: the md5-UUID of each of the user's schools, ordered by school id, for a
    teacher and a student given a class at every school of the year."""
    import hashlib
    import uuid

    con = writable_copy(sample_ws)
    district = con.execute("SELECT district_id FROM district").fetchone()[0]
    year = con.execute("SELECT max(school_year) FROM calendar").fetchone()[0]
    sections = con.execute("SELECT s.school_id, min(s.section_id) FROM section s JOIN calendar USING (calendar_id) "
                           "WHERE school_year = ? GROUP BY s.school_id ORDER BY s.school_id DESC", [year]).fetchall()
    staff, student = con.execute("SELECT min(staff_id) FROM section_staff").fetchone()[0], "S-MANY"
    con.execute("INSERT INTO student SELECT * REPLACE (? AS student_id) FROM student LIMIT 1", [student])
    for _, section in sections:
        con.execute("INSERT INTO section_staff VALUES (?, ?, false, NULL, NULL)", [section, staff])
        con.execute("INSERT INTO roster VALUES (?, ?, DATE '2026-08-20', NULL, NULL)", [section, student])
    build_feed(con, tmp_path / "feed.zip", FeedOptions(as_of=AS_OF))

    def org(school):
        return str(uuid.UUID(hashlib.md5(f"{district}|org|{district}/{school}".encode()).hexdigest()))

    expected = ",".join(org(school) for school, _ in sorted(sections))
    users = {u["identifier"]: u["orgSourcedIds"] for u in read(tmp_path / "feed.zip", "users")}
    assert len(sections) > 2 and users[staff] == users[student] == expected


def session_id(district, calendar, term):
    """The sourcedId of a calendar's term ('year', school year: the school year's session)."""
    import hashlib
    import uuid

    return str(uuid.UUID(hashlib.md5(f"{district}|session|{calendar}/{term}".encode()).hexdigest()))


def test_a_section_without_section_term_rows_takes_the_terms_of_its_calendar(sample_ws, tmp_path):
    """section_term is optional: a class of a section with none gets every term of its
    calendar (not a blank termSourcedIds, which the receiver refuses), or the school year's
    session when the calendar has no terms."""
    con = writable_copy(sample_ws)
    district = con.execute("SELECT district_id FROM district").fetchone()[0]
    section, calendar = con.execute("SELECT min(section_id), arg_min(calendar_id, section_id) FROM section s "
                                    "JOIN calendar USING (calendar_id) WHERE school_year = 2027").fetchone()
    terms = [t for (t,) in con.execute("SELECT term_code FROM term WHERE calendar_id = ? ORDER BY term_code", [calendar]).fetchall()]
    con.execute("DELETE FROM section_term WHERE section_id = ?", [section])
    con.execute("INSERT INTO calendar SELECT * REPLACE ('NO-TERMS' AS calendar_id) FROM calendar WHERE calendar_id = ?", [calendar])
    con.execute("INSERT INTO section SELECT * REPLACE ('NT1' AS section_id, 'NO-TERMS' AS calendar_id) FROM section "
                "WHERE section_id = ?", [section])
    built = build_feed(con, tmp_path / "feed.zip", FeedOptions(as_of=AS_OF))
    classes = {c["classCode"]: c for c in read(tmp_path / "feed.zip", "classes")}
    assert len(terms) > 1 and classes[section]["termSourcedIds"] == ",".join(session_id(district, calendar, t) for t in terms)
    assert classes["NT1"]["termSourcedIds"] == session_id(district, "year", 2027)  # its calendar has no terms
    assert built.findings == []
    report = check_feed(tmp_path / "feed.zip")
    assert report.passed, report.summary().to_string()


def test_a_term_code_not_of_the_sections_calendar_is_named_by_the_build_and_not_written(sample_ws, tmp_path):
    """The importer takes any term code for a section: one that is not a term of its calendar
    is named (section and code) and left out of termSourcedIds, which then resolve; a section
    whose every code is unknown meets in its calendar's terms."""
    con = writable_copy(sample_ws)
    district = con.execute("SELECT district_id FROM district").fetchone()[0]
    (one, calendar), (other, other_calendar) = con.execute(
        "SELECT section_id, calendar_id FROM section JOIN calendar USING (calendar_id) WHERE school_year = 2027 "
        "AND section_id IN (SELECT section_id FROM section_term WHERE term_code = 'S2') "
        "AND section_id IN (SELECT section_id FROM section_term WHERE term_code = 'S1') ORDER BY section_id LIMIT 2").fetchall()
    con.execute("UPDATE section_term SET term_code = 'FY' WHERE section_id = ? AND term_code = 'S1'", [one])
    con.execute("DELETE FROM section_term WHERE section_id = ?", [other])
    con.execute("INSERT INTO section_term VALUES (?, 'X9')", [other])
    built = build_feed(con, tmp_path / "feed.zip", FeedOptions(as_of=AS_OF))
    classes = read(tmp_path / "feed.zip", "classes")
    line = {c["classCode"]: i for i, c in enumerate(classes, start=2)}
    assert classes[line[one] - 2]["termSourcedIds"] == session_id(district, calendar, "S2")
    every = con.execute("SELECT list(term_code ORDER BY term_code) FROM term WHERE calendar_id = ?", [other_calendar]).fetchone()[0]
    assert classes[line[other] - 2]["termSourcedIds"] == ",".join(session_id(district, other_calendar, t) for t in every)
    assert [(f["line"], f["value"]) for f in built.findings] == sorted([(line[one], "FY"), (line[other], "X9")])
    assert f"section {one}: term FY is not a term of its calendar {calendar}" in built.findings[0 if line[one] < line[other] else 1]["message"]
    report = check_feed(tmp_path / "feed.zip")
    assert report.passed, report.summary().to_string()


@pytest.fixture(scope="module")
def odd_terms_ws(tmp_path_factory):
    """The sample district imported with one section's S1 listed as FY, a term code its
    calendar does not have (the importer takes it); returns the workspace and the section."""
    import shutil

    from sislab.core.importer import import_sis
    from sislab.core.workspace import Workspace

    folder = tmp_path_factory.mktemp("odd_terms")
    export = shutil.copytree(SAMPLE, folder / "export")
    with open(export / "calendar.csv", encoding="utf-8") as f:
        this_year = {k["calendar_id"] for k in csv.DictReader(f) if k["school_year"] == "2027"}
    with open(export / "section.csv", encoding="utf-8") as f:
        sections = {s["section_id"] for s in csv.DictReader(f) if s["calendar_id"] in this_year}
    lines = (export / "section_term.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.rstrip("\r\n").endswith(",S1") and line.split(",")[0] in sections)
    section = lines[at].split(",")[0]
    lines[at] = lines[at].replace(",S1", ",FY")
    (export / "section_term.csv").write_text("".join(lines), encoding="utf-8")
    ws = Workspace.locate(folder / "ws")
    import_sis(export, ws, user="pytest")
    return ws, section


def test_build_and_check_reports_the_builds_findings(odd_terms_ws, tmp_path, capsys):
    """`roster build` names an unknown term code in its check report and its output (a
    warning: the feed is accepted, the class written with its other terms)."""
    ws, section = odd_terms_ws
    run = build_and_check(ws, tmp_path / "out", FeedOptions(as_of=AS_OF), accept=False)
    found = run.report.findings[run.report.findings["rule"] == "SECTION_TERM_UNKNOWN"]
    assert run.report.passed and list(found["severity"]) == ["warning"] and list(found["value"]) == ["FY"]
    assert f"section {section}: term FY" in found["message"].iloc[0] and list(found["file"]) == ["classes.csv"]
    with open(run.check_file, encoding="utf-8") as f:
        assert "SECTION_TERM_UNKNOWN" in f.read()


def test_the_default_school_year_is_the_current_one_not_next_years_schedule(sample_ws, tmp_path):
    """Once next year's master schedule is in the SIS (spring scheduling), the daily feed stays
    on the school year under way; it moves on when a term of the new year has begun."""
    con = writable_copy(sample_ws)
    spring = date(2027, 4, 1)
    today = build_feed(con, tmp_path / "before.zip", FeedOptions(as_of=spring)).rows
    school, course, student = con.execute("SELECT min(school_id), min(course_id), min(student_id) FROM section "
                                          "JOIN roster USING (section_id)").fetchone()
    con.execute("INSERT INTO calendar (calendar_id, school_id, school_year, name) VALUES ('NEXT', ?, 2028, '2027-28')", [school])
    con.execute("INSERT INTO term (calendar_id, term_code, term_type, start_date, end_date) "
                "VALUES ('NEXT', 'S1', 'semester', DATE '2027-08-16', DATE '2027-12-17')")
    con.execute("INSERT INTO section (section_id, school_id, course_id, calendar_id) VALUES ('NX1', ?, ?, 'NEXT')", [school, course])
    con.execute("INSERT INTO section_term VALUES ('NX1', 'S1')")
    con.execute("INSERT INTO roster (section_id, student_id, start_date) VALUES ('NX1', ?, DATE '2027-08-16')", [student])
    built = build_feed(con, tmp_path / "spring.zip", FeedOptions(as_of=spring)).rows
    assert today["classes"] > 500 and built == today
    assert "NX1" not in {c["classCode"] for c in read(tmp_path / "spring.zip", "classes")}
    autumn = build_feed(con, tmp_path / "autumn.zip", FeedOptions(as_of=date(2027, 8, 17)))
    assert [c["classCode"] for c in read(tmp_path / "autumn.zip", "classes")] == ["NX1"] and autumn.rows["classes"] == 1
    chosen = build_feed(con, tmp_path / "chosen.zip", FeedOptions(as_of=spring, school_year=2028))
    assert chosen.rows["classes"] == 1
