"""IL SCA editor messages, file name, header, formats, quoting, the produced-file list and
the pre-flight findings."""

from __future__ import annotations

import csv
import shutil
import io
import stat
from datetime import date

import pytest

from ilsca_fixtures import DISTRICT_RCDTS, Sis
from sislab import ilsca
from sislab.cli import main
from sislab.ilsca import editor, formats, preflight, report

TODAY = date(2005, 6, 22)
CHOICES = dict(start="081226", end="121826", calendars=["C1", "C2", "SU"])


def produce(sis: Sis, tmp_path, **choices):
    ws = sis.publish(tmp_path)
    return ws, ilsca.extract(ws, user="coordinator", run_date=TODAY, **{**CHOICES, **choices})


def lines(path):
    return path.read_text(encoding="utf-8").splitlines()


# --- editor messages -----------------------------------------------------------------------

@pytest.mark.parametrize(("values", "message"), [
    (dict(end="121826", calendars=["C1"]), "Must Enter A Start Date for Course Assignment."),
    (dict(start="081226", calendars=["C1"]), "Must Enter A End Date for Course Assignment."),
    (dict(start="081226", end="121826", calendars=[]), "Must Select 1 or More Calendars."),
])
def test_editor_messages_are_the_vendors_exact_text(values, message):
    with pytest.raises(editor.EditorError) as e:
        ilsca.request(**values)
    assert str(e.value) == message


def test_editor_checks_come_before_any_work(tmp_path):
    """No snapshot exists in this workspace: the editor's message wins all the same."""
    from sislab.core.workspace import Workspace

    ws = Workspace(tmp_path / "ws", tmp_path / "reports")
    with pytest.raises(editor.EditorError, match="Must Select 1 or More Calendars."):
        ilsca.extract(ws, start="081226", end="121826", calendars=[])


def test_cli_shows_the_editor_message(capsys):
    assert main(["ilsca", "extract", "--start", "081226", "--end", "121826"]) == 2
    assert capsys.readouterr().err.strip() == "sislab: Must Select 1 or More Calendars."


def test_notebook_form_shows_the_editor_message(sample_ws):
    from sislab.widgets import ilsca_form

    form = ilsca_form.extract_form(sample_ws)
    form.start.value = None
    assert form.checked() is None
    assert "Must Enter A Start Date for Course Assignment." in form.message.value


@pytest.mark.parametrize("file_id", ["1", "0001", "abc", ""])
def test_file_identifier_is_three_digits(file_id):
    with pytest.raises(editor.EditorError, match="3 digits"):
        ilsca.request(**CHOICES, file_id=file_id)


def test_dates_are_entered_as_mmddyy():
    req = ilsca.request(**CHOICES)
    assert (req.start, req.end) == (date(2026, 8, 12), date(2026, 12, 18))


def test_grades_accept_k_and_ranges():
    assert editor.parse_grades("K,01,09-12") == (0, 1, 9, 10, 11, 12)
    with pytest.raises(editor.EditorError):
        editor.parse_grades("13")


# --- file name and header ------------------------------------------------------------------

def test_file_name_is_sca8_rcdts_date_file_id():
    assert formats.file_name("500821040020000", TODAY, "001") == "SCA8_500821040020000_06222005_001.txt"


def test_file_name_uses_district_name_without_rcdts():
    sis = Sis(district_rcdts=None)
    assert report.sender(sis.con) == ("LakeDistrict7", None)


def test_header_record_type_total_name_date_sending_rcdts(tmp_path):
    sis = Sis()
    sis.simple()
    _, result = produce(sis, tmp_path)
    assert result.path.name == f"SCA8_{DISTRICT_RCDTS}_06222005_001.txt"
    header = next(csv.reader(io.StringIO(lines(result.path)[0])))
    assert header == ["Student Course Assignment", "2", result.path.name, "06/22/2005", DISTRICT_RCDTS]
    assert result.records == 2 == len(lines(result.path)) - 1


def test_every_record_has_29_fields_in_layout_order(tmp_path):
    sis = Sis()
    sis.simple()
    _, result = produce(sis, tmp_path)
    body = list(csv.reader(io.StringIO("\n".join(lines(result.path)[1:]))))
    assert [len(r) for r in body] == [29, 29]
    assert [f.title for f in report.fields()][:4] == ["Student ID", "SAP ID", "Last Name", "First Name"]
    assert body[0] == ["123456789", "S1", "Doe", "Jan", "03/04/2011", "340490250260001", "340490250260001", "2027",
                       "01", "01001A000", "C100", "Course C100", "08/12/2026", "SEC1", "02", "1.00", "02", "02", "01",
                       "", "", "02", "02", "", "", "", "", "000", "N"]


def test_records_are_in_file_order_school_student_course_section_term_context(tmp_path):
    """Ids sort as text (S10 before S2); a course's sections follow the course id, not the
    section number; the contexts of one enrollment history: flags set after those not set."""
    sis = Sis()
    sis.course("C200")
    sis.course("C100")
    sis.section("A", course_id="C200", terms=("S1",))
    sis.section("B", course_id="C100")  # S1 and S2
    sis.section("Z", course_id="C100", calendar_id="C2", terms=("S1",))
    for student in ("S2", "S10"):
        sis.student(student, enroll=False)
        sis.enroll(student, "C2", enrollment_type="partial")
        for section in ("A", "B", "Z"):
            sis.take(student, section, posted=("S1", "S2"))
    sis.enroll("S2", "C1", end="2026-10-01")
    sis.enroll("S2", "C1", start="2026-10-02", single_parent=True)
    sis.enroll("S10", "C1")
    _, result = produce(sis, tmp_path, calendars=["C1", "C2"])
    order = [(r[6][-3:], r[1], r[10], r[13], r[8], r[21]) for r in csv.reader(lines(result.path)[1:])]
    assert order == [
        ("001", "S10", "C100", "B", "01", "02"), ("001", "S10", "C100", "B", "02", "02"),
        ("001", "S10", "C200", "A", "01", "02"),
        ("001", "S2", "C100", "B", "01", "02"), ("001", "S2", "C100", "B", "01", "01"),
        ("001", "S2", "C100", "B", "02", "02"), ("001", "S2", "C100", "B", "02", "01"),
        ("001", "S2", "C200", "A", "01", "02"), ("001", "S2", "C200", "A", "01", "01"),
        ("002", "S10", "C100", "Z", "01", "02"),
        ("002", "S2", "C100", "Z", "01", "01"),  # partial: the home (latest primary) enrollment's flag
    ]


def test_fields_are_cut_to_their_widths(tmp_path):
    sis = Sis()
    sis.course(title="Advanced Placement Calculus BC")
    sis.section("SEC1", terms=("S1",))
    sis.student("S1", last_name="X" * 60, first_name="Y" * 40)
    sis.take("S1", "SEC1")
    _, result = produce(sis, tmp_path)
    record = next(csv.reader(io.StringIO(lines(result.path)[1])))
    assert (len(record[2]), len(record[3]), record[11]) == (50, 30, "Advanced Placem")


def test_comma_and_quote_in_a_field_are_quoted_rfc4180(tmp_path):
    sis = Sis()
    sis.course(title='Art, "Studio"')
    sis.section("SEC1", terms=("S1",))
    sis.student("S1", last_name="O'Neil, Jr")
    sis.take("S1", "SEC1")
    _, result = produce(sis, tmp_path)
    raw = lines(result.path)[1]
    assert '"O\'Neil, Jr"' in raw and '"Art, ""Studio"""' in raw
    assert ',,' in raw and '""' not in raw.replace('"Art, ""Studio"""', "")  # blanks are bare
    record = next(csv.reader(io.StringIO(raw)))
    assert (len(record), record[2], record[11]) == (29, "O'Neil, Jr", 'Art, "Studio"')


TRICKY = ("", " ", "a,b", 'say "hi"', "#1", "line\nbreak", "cr\rhere", "=1+2", "tab\there", "Zoë", "plain")


@pytest.mark.parametrize("value", TRICKY)
def test_state_lines_are_byte_for_byte_duckdbs_csv_of_the_records(tmp_path, value):
    """The state file is put together from fields quoted where they live (formats.state_lines);
    with `value` in every free-text field, id, code and override it holds exactly what DuckDB's
    CSV writer makes of the records: same quoting (empty, delimiter, quote, '#', CR, LF), order."""
    sis = Sis()
    sis.course("C1" + value, title=value, state_course_code=value)
    sis.course("C2", title="Second" + value)
    sis.section("A" + value, course_id="C1" + value)
    sis.section("B", course_id="C2", calendar_id="C2")
    sis.con.execute("UPDATE term SET state_term_code = ? WHERE term_code = 'S2'", [value])
    for student in ("S1" + value, "S2"):
        sis.student(student, state_id=value, last_name=value, first_name="F" + value, enroll=False)
        sis.enroll(student, "C1", home_rcdts=value or None)
        sis.enroll(student, "C2", enrollment_type="partial", serving_rcdts=value or None)
        sis.take(student, "A" + value, posted=("S1", "S2"))
        sis.take(student, "B")
    sis.rows(calendars=("C1", "C2"), include_no_state_id=True)
    made = b"".join(formats.state_lines(sis.con, ","))
    reference = tmp_path / "reference.csv"
    sis.con.execute(f"COPY ({report.record_query()}) TO '{reference}' (FORMAT csv, HEADER false, QUOTE '\"', ESCAPE '\"')")
    assert made.count(b"\n") >= 4 and made == reference.read_bytes()


def test_a_batch_of_lines_is_written_from_its_own_characters_and_never_without_a_line():
    """The writer writes a batch's character buffer: from the batch's first line to its last
    (an Arrow batch may be a slice of a larger buffer), and refuses a null line (it has none)."""
    import pyarrow as pa

    assert bytes(formats._text_bytes(pa.array(["a,b\n", "c,d\n", "e\n"]).slice(1, 1))) == b"c,d\n"
    with pytest.raises(AssertionError, match="null"):
        formats._text_bytes(pa.array(["a\n", None]))


def test_tab_format_has_titles_and_tab_delimiters(tmp_path):
    sis = Sis()
    sis.simple()
    _, result = produce(sis, tmp_path, format="tab")
    assert result.path.name.endswith("_001.tsv")
    rows = list(csv.reader(io.StringIO(result.path.read_text()), delimiter="\t"))
    assert rows[0] == [f.title for f in report.fields()] and len(rows) == 3 and len(rows[1]) == 29


def test_html_format_is_an_escaped_table(tmp_path):
    sis = Sis()
    sis.course(title="<b>Art</b>")
    sis.section("SEC1", terms=("S1",))
    sis.student("S1")
    sis.take("S1", "SEC1")
    _, result = produce(sis, tmp_path, format="html")
    text = result.path.read_text()
    assert result.path.suffix == ".html" and "&lt;b&gt;Art&lt;/b&gt;" in text and "<b>Art" not in text
    assert "Competency Based Education" in text and result.records == 1


def test_html_format_shows_blanks_as_blanks(tmp_path):
    """Course Level (05), Term (no state code) and the never-populated fields are blank cells."""
    sis = Sis()
    sis.course(course_level="05")
    sis.section("SEC1", calendar_id="SU", terms=("SU",))
    sis.student("S1", enroll=False)
    sis.enroll("S1", "SU", start="2026-08-12")
    sis.take("S1", "SEC1", posted=("SU",))
    _, result = produce(sis, tmp_path, format="html", calendars=["SU"])
    text = result.path.read_text()
    assert "None" not in text and "NA&gt;" not in text and "nan" not in text
    cells = text.split("<tbody>")[1].count("<td></td>")
    assert cells == 1 + 2 + 4  # Course Level; Actual / Total Attendance; numeric grade .. final grade


def test_tables_shown_in_notebooks_show_blanks_as_blanks():
    import duckdb

    from sislab.core.tables import html_table

    df = duckdb.sql("SELECT NULL::VARCHAR AS a, NULL::INTEGER AS b, NULL::BOOLEAN AS c, 'x' AS d, "
                    "DATE '2026-08-12' AS e").df()
    text = html_table(df)
    assert text.count("<td></td>") == 3 and "<td>x</td>" in text and "<td>2026-08-12</td>" in text


def test_files_are_owner_only_and_listed_with_user_and_record_count(tmp_path):
    sis = Sis()
    sis.simple()
    ws, result = produce(sis, tmp_path)
    for path in (result.path, result.preflight_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert result.path.parent == ws.reports / "ilsca" and not list((ws.reports / "ilsca").glob(".*"))  # no temp file left
    listed = ilsca.extracted_files(ws).iloc[0]
    assert (listed.user_name, listed.record_count, listed.path) == ("coordinator", 2, str(result.path))
    assert listed.created_at


def test_cli_prints_the_path_written(tmp_path, capsys, monkeypatch):
    sis = Sis()
    sis.simple()
    ws = sis.publish(tmp_path)
    monkeypatch.setenv("SISLAB_REPORTS", str(ws.reports))
    assert main(["--workspace", str(ws.root), "ilsca", "extract", "--start", "081226", "--end", "121826",
                 "--calendar", "C1,C2", "--file-id", "002", "--format", "state"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("_002.txt") and (ws.reports / "ilsca" / first.rsplit("/", 1)[1]).exists()


# --- refusals: nothing written, nothing recorded ---------------------------------------------

def cli_extract(ws, monkeypatch, *args):
    monkeypatch.setenv("SISLAB_REPORTS", str(ws.reports))
    return main(["--workspace", str(ws.root), "ilsca", "extract", "--start", "081226", "--end", "121826", *args])


def nothing_produced(ws):
    folder = ws.reports / "ilsca"
    return (not folder.exists() or not list(folder.iterdir())) and ilsca.extracted_files(ws).empty


def test_unknown_calendar_is_refused_and_nothing_is_written(tmp_path, capsys, monkeypatch):
    sis = Sis()
    sis.simple()
    ws = sis.publish(tmp_path)
    assert cli_extract(ws, monkeypatch, "--calendar", "C1,NOPE-2027") == 2
    assert capsys.readouterr().err.strip() == "sislab: Calendar NOPE-2027 is not in the SIS data: nothing was written."
    assert nothing_produced(ws)


def test_calendar_without_students_in_range_is_refused(tmp_path, capsys, monkeypatch):
    sis = Sis()
    sis.simple()  # enrolled in C1 only
    ws = sis.publish(tmp_path)
    assert cli_extract(ws, monkeypatch, "--calendar", "C2") == 2
    assert capsys.readouterr().err.strip() == (
        "sislab: No student is enrolled in calendar C2 between 08/12/2026 and 12/18/2026 in the selected grades: "
        "nothing was written.")
    assert nothing_produced(ws)
    assert cli_extract(ws, monkeypatch, "--calendar", "C1", "--grades", "K") == 2  # no kindergartner
    assert nothing_produced(ws)


def test_an_empty_calendar_beside_others_is_a_preflight_finding(tmp_path):
    sis = Sis()
    sis.simple()
    _, result = produce(sis, tmp_path, calendars=["C1", "SU"])
    assert result.records == 2
    assert result.findings[["check", "field", "value"]].values.tolist() == [["calendar_empty", "Calendar", "SU"]]


def test_no_reporting_record_is_refused_with_the_reasons(tmp_path):
    sis = Sis()
    sis.simple(state_course_code=None)
    ws = sis.publish(tmp_path)
    with pytest.raises(editor.EditorError) as e:
        ilsca.extract(ws, user="coordinator", run_date=TODAY, **CHOICES)
    assert str(e.value) == ("No student reports with these choices: nothing was written. Scheduled course/sections "
                            "that do not report: 1 x the course has no state course code.")
    assert nothing_produced(ws)


def test_an_existing_file_id_is_not_overwritten_without_replace(tmp_path, capsys, monkeypatch):
    sis = Sis()
    sis.simple()
    ws, first = produce(sis, tmp_path, calendars=["C1"])
    before = first.path.read_bytes()
    first.path.write_bytes(before + b"uploaded copy")
    with pytest.raises(editor.EditorError) as e:
        ilsca.extract(ws, user="coordinator", run_date=TODAY, **{**CHOICES, "calendars": ["C1"]})
    assert str(e.value) == f"{first.path.name} already exists: choose another File Identifier, or replace it (--replace)."
    assert first.path.read_bytes() == before + b"uploaded copy" and len(ilsca.extracted_files(ws)) == 1
    assert cli_extract(ws, monkeypatch, "--calendar", "C1", "--run-date", "062205") == 2
    assert "already exists" in capsys.readouterr().err
    assert cli_extract(ws, monkeypatch, "--calendar", "C1", "--run-date", "062205", "--replace") == 0
    assert first.path.read_bytes() == before and len(ilsca.extracted_files(ws)) == 2


def test_run_date_sets_file_name_and_header_and_a_rerun_reproduces_the_file(tmp_path, capsys, monkeypatch):
    sis = Sis()
    sis.simple()
    ws = sis.publish(tmp_path)
    assert cli_extract(ws, monkeypatch, "--calendar", "C1", "--run-date", "031527") == 0
    path = ws.reports / "ilsca" / f"SCA8_{DISTRICT_RCDTS}_03152027_001.txt"
    assert capsys.readouterr().out.splitlines()[0] == str(path)
    assert lines(path)[0] == f"Student Course Assignment,2,{path.name},03/15/2027,{DISTRICT_RCDTS}"
    first, first_preflight = path.read_bytes(), path.with_name(path.stem + "_preflight.csv").read_bytes()
    assert cli_extract(ws, monkeypatch, "--calendar", "C1", "--run-date", "03/15/2027", "--replace") == 0
    assert path.read_bytes() == first and path.with_name(path.stem + "_preflight.csv").read_bytes() == first_preflight


def test_a_calendar_chosen_twice_counts_once():
    assert ilsca.request(**{**CHOICES, "calendars": ["C1", " C2", "C1", ""]}).calendars == ("C1", "C2")


def test_run_date_defaults_to_today():
    assert ilsca.request(**CHOICES).run_date is None  # produce uses date.today()
    with pytest.raises(editor.EditorError, match="Run Date must be a date"):
        ilsca.request(**CHOICES, run_date="13/45/27")


# --- pre-flight ----------------------------------------------------------------------------

def checks(sis: Sis, **choices) -> dict[str, list]:
    ilsca.build(sis.con, ilsca.request(**{**CHOICES, **choices}))
    found = preflight.findings(sis.con, report.sender(sis.con)[1])
    return {c: found[found.check == c].to_dict("records") for c in found.check.unique()}


def test_preflight_rcdts_shape_and_school_not_district():
    sis = Sis()
    sis.con.execute("UPDATE school SET rcdts = '340490250260000' WHERE school_id = '001'")  # a district code
    sis.con.execute("UPDATE school SET rcdts = '990490250260002' WHERE school_id = '002'")  # region 99
    sis.course()
    for sid, cal in (("A", "C1"), ("B", "C2")):
        sis.section(sid, calendar_id=cal, terms=("S1",))
    sis.student("S1", enroll=False)
    sis.enroll("S1", "C1")
    sis.enroll("S1", "C2", enrollment_type="partial")
    sis.take("S1", "A")
    sis.take("S1", "B")
    values = {f["value"].split(" ")[0] for f in checks(sis)["rcdts"]}
    assert values == {"340490250260000", "990490250260002"}


@pytest.mark.parametrize(("rcdts", "flagged"), [
    ("010010000260001", False), ("561020000260001", False), ("34049025026001A", False),  # the edges of the shape
    ("000490250260001", True), ("570490250260001", True),  # region 01-56
    ("340000250260001", True), ("341030250260001", True),  # county 001-102
    ("34049025026001a", True), ("3404902502600011", True), ("34049025026001", True)])  # upper case; 15 characters
def test_preflight_rcdts_shape_at_its_edges(rcdts, flagged):
    sis = Sis()
    sis.con.execute("UPDATE school SET rcdts = ? WHERE school_id = '001'", [rcdts])
    sis.simple()
    assert [f["value"] for f in checks(sis).get("rcdts", [])] == (
        [f"{rcdts} on 2 rows"] * 2 if flagged else [])  # Home and Serving, on both rows of the year course


@pytest.mark.parametrize(("district", "flagged"), [("340490250260000", False), (None, True), ("3404902502600", True),
                                                   ("580490250260000", True), ("34049025026000A", False)])
def test_preflight_checks_the_sending_rcdts(district, flagged):
    """The header's sending RCDTS is the district's: none, or not of the RCDTS shape, is named."""
    sis = Sis(district_rcdts=district)
    sis.simple()
    found = checks(sis).get("sending_rcdts", [])
    assert [f["value"] for f in found] == ([district or "(blank)"] if flagged else [])


def test_preflight_checks_an_rcdts_override_as_written():
    sis = Sis()
    sis.course()
    sis.section("SEC1", terms=("S1",))
    sis.student("S1", enroll=False)
    sis.enroll("S1", serving_rcdts="340490250260000")  # a district, not a school
    sis.take("S1", "SEC1")
    found = checks(sis, calendars=["C1"])["rcdts"]
    assert [(f["field"], f["value"]) for f in found] == [("Serving School RCDTS", "340490250260000 on 1 rows")]


def test_preflight_rcdts_school_part_may_end_in_a_letter():
    sis = Sis()
    sis.con.execute("UPDATE school SET rcdts = '34049025026001A'")
    sis.simple()
    assert "rcdts" not in checks(sis)


def test_preflight_student_id_missing():
    sis = Sis()
    sis.course()
    sis.section("SEC1", terms=("S1",))
    sis.student("S1", state_id=None)
    sis.take("S1", "SEC1")
    assert [f["student_id"] for f in checks(sis, include_no_state_id=True)["student_id_missing"]] == ["S1"]


@pytest.mark.parametrize(("credit", "flagged"), [(None, True), (0.25, False), (3.5, True)])
def test_preflight_credit_outside_range(credit, flagged):
    sis = Sis()
    sis.course(credit=credit, mask=("S1",))
    sis.section("SEC1", terms=("S1",))
    sis.student("S1", grade=10)
    sis.take("S1", "SEC1")
    assert ("credit_range" in checks(sis)) is flagged


def test_preflight_start_date_outside_enrollment():
    sis = Sis()
    sis.course()
    sis.section("SEC1", terms=("S1",))
    sis.student("S1", enroll=False)
    sis.enroll("S1", start="2026-09-01")
    sis.take("S1", "SEC1", start="2026-08-12")
    assert checks(sis)["start_outside_enrollment"][0]["value"] == "08/12/2026"


def test_preflight_duplicate_student_course_section_term():
    sis = Sis()
    sis.course()
    sis.section("SEC1", terms=("S1",))
    sis.student("S1", enroll=False)
    sis.enroll("S1", end="2026-10-01")
    sis.enroll("S1", start="2026-10-02", single_parent=True)
    sis.take("S1", "SEC1")
    assert checks(sis)["duplicate"][0]["value"] == "01001A000 x2"


def test_preflight_duplicate_when_two_students_share_a_state_id():
    """ISBE knows a student by the state id: two SIS students with one state id in one section
    are that Student + Course + Section + Term twice (a third student, alone, is not)."""
    sis = Sis()
    sis.course()
    sis.section("SEC1", terms=("S1",))
    for student, state_id in (("S1", "123456789"), ("S2", "123456789"), ("S3", "987654321")):
        sis.student(student, state_id=state_id)
        sis.take(student, "SEC1")
    found = checks(sis)["duplicate"]
    assert [(f["student_id"], f["value"]) for f in found] == [("S1", "01001A000 x2")]


@pytest.mark.parametrize(("s1", "s2", "term"), [("01", "01", "01"), (None, "", "")])
def test_preflight_duplicate_when_two_terms_print_the_same_term(s1, s2, term):
    """One enrollment, one section meeting in S1 and S2, whose state term codes are the same
    (or both blank): its two records are one Student + Course + Section + Term twice."""
    sis = Sis()
    sis.course()
    sis.section("SEC1")
    for code, state_code in (("S1", s1), ("S2", s2)):
        sis.con.execute("UPDATE term SET state_term_code = ? WHERE term_code = ?", [state_code, code])
    sis.student("S1")
    sis.take("S1", "SEC1", posted=("S1", "S2"))
    found = checks(sis, calendars=("C1",), end="060527")["duplicate"]
    assert [(f["term"] if isinstance(f["term"], str) else "", f["value"]) for f in found] == [(term, "01001A000 x2")]


def test_preflight_course_code_shape_and_course_list():
    sis = Sis()
    sis.course("BAD", state_course_code="2130")
    sis.course("OK")
    for course in ("BAD", "OK"):
        sis.section(course, course_id=course, terms=("S1",))
    sis.student("S1")
    sis.take("S1", "BAD")
    sis.take("S1", "OK")
    assert [f["local_course_id"] for f in checks(sis)["course_code_shape"]] == ["BAD"]
    assert "course_code_not_listed" not in checks(sis)  # no course list loaded: no check
    sis.insert("state_course", state_course_code="99999A999")
    assert {f["local_course_id"] for f in checks(sis)["course_code_not_listed"]} == {"BAD", "OK"}


@pytest.mark.parametrize(("level", "value"), [(None, "(none) on 1 rows"), ("05", "05 on 1 rows"), ("04", None)])
def test_preflight_blank_course_level(level, value):
    sis = Sis()
    sis.course(course_level=level)
    sis.section("SEC1", terms=("S1",))
    sis.student("S1")
    sis.take("S1", "SEC1")
    found = checks(sis, calendars=["C1"]).get("course_level_blank", [])
    assert [(f["local_course_id"], f["field"], f["value"]) for f in found] == ([("C100", "Course Level", value)]
                                                                               if value else [])


def test_preflight_names_other_than_letters_spaces_hyphens():
    sis = Sis()
    sis.course()
    sis.section("SEC1", terms=("S1",))
    sis.student("S1", last_name="O'Brien-Núñez", first_name="Ana Maria")
    sis.take("S1", "SEC1")
    assert [f["field"] for f in checks(sis)["name_characters"]] == ["Last Name"]
    assert "name_characters" not in checks(sis, strip_apostrophes=True)


@pytest.mark.parametrize(("course_kw", "reason"), [
    (dict(state_course_code=None), "no state course code"),
    (dict(state_exclude=True), "state-excluded"),
    (dict(dual_credit=True), "dual credit"),
    (dict(task=False), "no state-reported grading task"),
])
def test_preflight_explains_why_a_scheduled_student_is_missing(course_kw, reason):
    sis = Sis()
    sis.simple(**course_kw)
    missing = checks(sis)["not_reported"]
    assert [(m["student_id"], m["section_number"]) for m in missing] == [("S1", "SEC1")]
    assert reason in missing[0]["value"]


def test_preflight_missing_student_without_posted_grade_or_state_id():
    sis = Sis()
    sis.course()
    sis.section("SEC1", terms=("S1",))
    sis.student("S1", state_id=None)
    sis.take("S1", "SEC1", posted=())
    why = checks(sis)["not_reported"][0]["value"]
    assert "no state id" in why and "no grade is posted" in why


def test_preflight_names_a_scheduled_student_without_an_enrollment_in_the_calendars():
    """On the roster of a section of the chosen calendars, but enrolled in none of them in the
    window (here: the enrollment has no calendar; one in another year; a no-show) — the student
    gives no record and the list says why. A student left out by the grades chosen is not listed."""
    sis = Sis()
    sis.course()
    sis.section("SEC1", terms=("S1",))
    sis.student("A", enroll=False)
    sis.enroll("A")
    sis.con.execute("UPDATE enrollment SET calendar_id = NULL WHERE student_id = 'A'")
    sis.student("B", enroll=False)
    sis.enroll("B", start="2025-08-12", end="2026-06-05")
    sis.student("C", enroll=False)  # no enrollment at all
    sis.student("D", grade=12)  # enrolled, but grade 12 is not chosen
    sis.student("E")  # reports
    for student in "ABCDE":
        sis.take(student, "SEC1")
    missing = checks(sis, grades=list(range(0, 12)))["not_reported"]
    assert [(m["student_id"], m["section_number"]) for m in missing] == [("A", "SEC1"), ("B", "SEC1"), ("C", "SEC1")]
    assert all("no active enrollment" in m["value"] for m in missing)


def test_preflight_is_saved_beside_the_file(tmp_path):
    sis = Sis()
    sis.simple(state_course_code="2130")
    _, result = produce(sis, tmp_path, calendars=["C1"])
    assert result.preflight_path == result.path.with_name(result.path.stem + "_preflight.csv")
    saved = list(csv.DictReader(io.StringIO(result.preflight_path.read_text())))
    assert [r["check"] for r in saved] == ["course_code_shape"] == result.findings.check.tolist()


def test_sample_district_produces_an_illinois_file(sample_ws, tmp_path):
    """What `make demo` runs: the newest year of the sample district, with its pre-flight."""
    result = ilsca.extract_newest_year(sample_ws, user="demo", run_date=TODAY, out_dir=tmp_path)
    assert result.path.name == "SCA8_340490250260000_06222005_001.txt" and result.records > 1000
    assert len(lines(result.path)) == result.records + 1
    assert {"not_reported", "course_code_shape"} <= set(result.findings.check)


def test_school_preview_shows_only_that_schools_records_and_findings():
    sis = Sis()
    sis.course()
    sis.course("NOCODE", state_course_code=None)
    for sid, cal, course in (("A", "C1", "C100"), ("B", "C2", "C100"), ("BX", "C2", "NOCODE")):
        sis.section(sid, course_id=course, calendar_id=cal, terms=("S1",))
    sis.student("S1", enroll=False)
    sis.enroll("S1", "C1")
    sis.enroll("S1", "C2", enrollment_type="partial")
    for section in ("A", "B", "BX"):
        sis.take("S1", section)
    sis.rows(calendars=("C1", "C2"))
    assert ilsca.records(sis.con, "001")["Section Number"].tolist() == ["A"]
    assert set(preflight.findings(sis.con, DISTRICT_RCDTS, "001").check) == set()
    assert preflight.findings(sis.con, DISTRICT_RCDTS, "002").section_number.tolist() == ["BX"]


def test_the_records_table_holds_every_record_and_a_long_one_downloads_too(monkeypatch):
    import pandas as pd

    from sislab.widgets import ilsca_form

    shown = []
    monkeypatch.setattr(ilsca_form, "show_table", lambda df, empty="": shown.append(len(df)))
    monkeypatch.setattr(ilsca_form, "show_message", lambda text, kind="info": shown.append(text))
    links = []
    monkeypatch.setattr(ilsca_form, "download_link", lambda df, name, label: links.append((len(df), name)))
    records = pd.DataFrame({"Student ID": [str(i) for i in range(ilsca_form.DOWNLOAD_ALL + 7)]})
    ilsca_form.show_records(records.head(ilsca_form.DOWNLOAD_ALL))
    assert shown == [f"{ilsca_form.DOWNLOAD_ALL:,} records.", ilsca_form.DOWNLOAD_ALL] and links == []
    shown.clear()
    ilsca_form.show_records(records)
    assert shown == [f"{ilsca_form.DOWNLOAD_ALL + 7:,} records.", ilsca_form.DOWNLOAD_ALL + 7]
    assert links == [(ilsca_form.DOWNLOAD_ALL + 7, "ilsca_records.csv")]


def test_every_preflight_finding_is_in_the_forms_table(monkeypatch):
    """A district's pre-flight runs to thousands of findings: the table holds them all (a long
    table is paged by the server), not the first few hundred."""
    import pandas as pd

    from sislab.widgets import SERVED_ROWS, ilsca_form

    shown, messages = [], []
    monkeypatch.setattr(ilsca_form, "show_table", lambda df, empty="": shown.append(len(df)))
    monkeypatch.setattr(ilsca_form, "show_message", lambda text, kind="info": messages.append(text))
    monkeypatch.setattr(ilsca_form, "download_link", lambda df, name, label: shown.append((len(df), name)))
    n = SERVED_ROWS * 3 + 1
    findings = pd.DataFrame({"check": ["student_id_width"] * n, "problem": ["Student ID is not 9 digits."] * n,
                             "student_id": [str(i) for i in range(n)]})
    ilsca_form.show_findings(findings)
    assert messages == [f"Pre-flight: {n:,} findings. They do not change the file."]
    assert shown == [1, n, (n, "ilsca_preflight.csv")]  # counts per check, every finding, the CSV


def test_extract_notebook_runs_headless_with_papermill_and_produces_the_file(tmp_path):
    """A scheduled run: parameters as text (file id "007" keeps its zeros), produce = true."""
    from sislab.core import runner

    sis = Sis()
    sis.simple()
    ws = sis.publish(tmp_path)
    run = runner.run_notebook("il_sca_extract", {"start": "081226", "end": "121826", "calendars": "C1,C2",
                                                 "file_id": "007", "produce": "true"}, ws=ws, user="cron")
    assert run.ok, run.error
    assert [p.name for p in run.produced_files if p.suffix == ".txt"] == [
        f"SCA8_{DISTRICT_RCDTS}_{date.today():%m%d%Y}_007.txt"]


def test_every_width_in_the_layout_is_cut_by_the_sql(monkeypatch):
    """The writers take the fields as the SQL made them: a width no sql/ step applies fails the
    build instead of leaving a field uncut."""
    report.check_widths.__wrapped__()  # the shipped layout and SQL agree
    wider = [report.Field(f.name, f.title, 2 if f.name == "sap_id" else f.width) for f in report.fields()]
    monkeypatch.setattr(report, "fields", lambda: wider)
    with pytest.raises(AssertionError, match="sap_id"):
        report.check_widths.__wrapped__()


def test_preflight_flags_values_a_spreadsheet_reads_as_formulas():
    sis = Sis()
    sis.course(title="=HYPERLINK(1)")
    sis.section("SEC1", terms=("S1",))
    sis.student("S1", last_name="-Smith", first_name="Ana")
    sis.take("S1", "SEC1")
    found = checks(sis)["formula_start"]
    assert [(f["field"], f["value"]) for f in found] == [("Local Course Title", "=HYPERLINK(1)"),
                                                         ("Last Name", "-Smith")]


# --- the produced bytes, fixed ----------------------------------------------------------------

# SHA-256 of what the newest year of the sample district (data/sample) produces, per format and
# options: any change in the bytes of a file (order, quoting, a field, the pre-flight list)
# fails here. A deliberate change of output, or a regenerated sample, updates these hashes.
SAMPLE_FILES = {
    ("state", False): ("SCA8_340490250260000_06222005_001.txt",
                       "fcd087b41b6ebc0a1aa1f0682e4d9177fa3369a00299394ad1acf63d3ab78d29",
                       "53456c0107cf3ffedaab520f740a4c5dca7f96ff95e1e37f70b5ac38f367fc5b"),
    ("tab", False): ("SCA8_340490250260000_06222005_001.tsv",
                     "0f3610ca57fe46148644d93603e193016bae5e695f031a4572e3509fd957580b",
                     "53456c0107cf3ffedaab520f740a4c5dca7f96ff95e1e37f70b5ac38f367fc5b"),
    ("html", False): ("SCA8_340490250260000_06222005_001.html",
                      "206cec57c5b43051c20bea90b29cd78f37b327520dec05c535b1ab9bef7357bb",
                      "53456c0107cf3ffedaab520f740a4c5dca7f96ff95e1e37f70b5ac38f367fc5b"),
    ("state", True): ("SCA8_340490250260000_06222005_001.txt",
                      "a81ac58acd34cd6344fbd42a52e25152eb91e4f772b225eb67586aaeee457ad3",
                      "0016b21143dedd8f6651e4182130f40417996d9f8d0a0eb3f6751a35c6a37a37"),
}


@pytest.mark.parametrize(("fmt", "options"), list(SAMPLE_FILES))
def test_sample_district_files_are_byte_for_byte_the_expected_ones(sample_ws, tmp_path, fmt, options):
    """Every format, and the state file with every option on (strip apostrophes, protected
    identities, students without state ids): the file and its pre-flight CSV, byte for byte."""
    import hashlib

    extra = dict(strip_apostrophes=True, protected_identities=True, include_no_state_id=True) if options else {}
    result = ilsca.extract_newest_year(sample_ws, user="demo", run_date=TODAY, out_dir=tmp_path, format=fmt, **extra)
    name, file_hash, preflight_hash = SAMPLE_FILES[(fmt, options)]
    got = (result.path.name, hashlib.sha256(result.path.read_bytes()).hexdigest(),
           hashlib.sha256(result.preflight_path.read_bytes()).hexdigest())
    assert got == (name, file_hash, preflight_hash)


# --- the principals' preview: a school's part of the newest year's file, kept per snapshot ---

def test_a_schools_preview_is_its_part_of_the_newest_years_file(sample_ws, tmp_path, monkeypatch):
    """Records and findings of each school (and of the whole file) read back from the kept
    file are exactly those of the district's newest-year build for that school."""
    from helpers_cci import sample_copy

    from sislab.core import store
    from sislab.ilsca.school_view import school_view

    ws = sample_copy(sample_ws, tmp_path, monkeypatch)
    with store.snapshot(ws) as con:
        schools = [r[0] for r in con.execute("SELECT school_id FROM school ORDER BY 1").fetchall()]
        views = {s: school_view(ws, con, s) for s in [*schools, None]}
        ilsca.build(con, ilsca.request(**ilsca.default_choices(con), file_id="001"))
        rcdts = report.sender(con)[1]
        for school, view in views.items():
            assert view.records.equals(ilsca.records(con, school)), school
            assert view.findings.equals(preflight.findings(con, rcdts, school)), school
    assert len(views["001"].records) > 1000 and len(views[None].records) > len(views["001"].records)
    assert 0 < len(views["001"].findings) < len(views[None].findings)


def test_the_preview_file_is_built_once_per_snapshot_owner_only(sample_ws, tmp_path, monkeypatch):
    from helpers_cci import sample_copy

    from sislab.core import store
    from sislab.ilsca import school_view as kept

    ws = sample_copy(sample_ws, tmp_path, monkeypatch)
    builds = []
    monkeypatch.setattr(report, "build", lambda *a, real=report.build: builds.append(1) or real(*a))
    with store.snapshot(ws) as con:
        first = kept.school_view(ws, con, "001")
        again = kept.school_view(ws, con, "001")
    assert len(builds) == 1 and again.records.equals(first.records)
    files = sorted((ws.root / kept.FOLDER).iterdir())
    assert len(files) == 2 and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    shutil.copyfile(ws.current_snapshot(), ws.tmp / "next.duckdb")  # an import: a new snapshot
    store.publish_snapshot(ws, ws.tmp / "next.duckdb")
    with store.snapshot(ws) as con:
        kept.school_view(ws, con, "001")
    assert len(builds) == 2 and len(list((ws.root / kept.FOLDER).iterdir())) == 4  # the old kept a while
