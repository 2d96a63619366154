"""`sislab import --scores FILE`: the CAASPP Student Score Data File (TOMS) into test_score."""

from __future__ import annotations

import duckdb
import pytest
from fixtures import write_export

from sislab.cli import main
from sislab.core.importer import ImportRejected, import_sis
from sislab.core.workspace import Workspace
from sislab.sources.caaspp import import_scores

# The layout's leading fields and the score fields sislab reads, as TOMS names them (^-delimited).
HEADER = ("RecordType^SSID^StudentLastName^StudentFirstName^StudentMiddleName^DateofBirth^Gender^Blank1^Blank2^"
          "CALPADSGrade^GradeAssessed^FinalTestCompletedDate^ConditionCode^ScaleScore^StandardErrorMeasurement^"
          "AchievementLevels^EndofRecord")


def score_file(path, *records: str):
    path.write_text("\n".join([HEADER, *records]) + "\n", encoding="utf-8")
    return path


def record(record_type="01", ssid="1234567890", grade="11", completed="05072025", scale="2650", level="3"):
    return f"{record_type}^{ssid}^Nunez^Jose^^03042008^M^^^{grade}^{grade}^{completed}^^{scale}^23^{level}^Y"


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.locate(tmp_path / "ws")
    import_sis(write_export(tmp_path / "export"), ws, user="test")
    return ws


def scores(ws) -> set:
    with duckdb.connect(str(ws.current_snapshot()), read_only=True) as con:
        return set(con.execute("SELECT * FROM test_score").fetchall())


def test_smarter_balanced_ela_and_math_are_matched_on_ssid(ws, tmp_path):
    path = score_file(tmp_path / "scores.txt", record(), record("02", scale="2590", level="2"),
                      record("01", ssid="2234567890", grade="04", scale="2400", level="1"),
                      record("05", scale="300"),  # CAST science: not a Smarter Balanced record
                      record("02", ssid="2234567890", scale=""))  # not scored: skipped
    report, matched = import_scores(path, ws, user="test")
    assert matched == 3
    assert scores(ws) == {("1001", "CAASPP_ELA", "ELA", 2025, 11, 2650, 3),
                          ("1001", "CAASPP_MATH", "Math", 2025, 11, 2590, 2),
                          ("1003", "CAASPP_ELA", "ELA", 2025, 4, 2400, 1)}
    assert report.row_counts["student"] == 3 and report.row_counts["roster"] == 2  # the rest carried over


def test_a_new_file_replaces_that_year_and_keeps_other_years(ws, tmp_path):
    import_scores(score_file(tmp_path / "a.txt", record(completed="05072024", scale="2500")), ws)
    import_scores(score_file(tmp_path / "b.txt", record(scale="2700", level="4")), ws)
    import_scores(score_file(tmp_path / "c.txt", record(scale="2710", level="4")), ws)
    assert {(r[3], r[5]) for r in scores(ws)} == {(2024, 2500), (2025, 2710)}


def test_an_unknown_ssid_is_a_finding_on_its_record_and_the_rest_is_imported(ws, tmp_path):
    path = score_file(tmp_path / "scores.txt", record(), record(ssid="9999999999"))
    report, matched = import_scores(path, ws)
    assert matched == 1
    assert [str(w) for w in report.warnings] == [
        "scores.txt, record 2, field SSID: SSID '9999999999' is not a state_id of any student; "
        "the score is not imported"]


def test_a_bad_level_is_rejected_on_the_file_record_and_field(ws, tmp_path):
    before = ws.current_snapshot()
    with pytest.raises(ImportRejected) as e:
        import_scores(score_file(tmp_path / "scores.txt", record(), record("02", level="9")), ws)
    assert "scores.txt, record 2, field AchievementLevels: '9' must be between 1 and 7" in str(e.value)
    assert ws.current_snapshot() == before


def test_a_file_of_another_district_or_format_is_rejected(ws, tmp_path):
    with pytest.raises(ImportRejected, match="no Smarter Balanced score of a known student"):
        import_scores(score_file(tmp_path / "other.txt", record(ssid="9999999999")), ws)
    (tmp_path / "roster.csv").write_text("SSID,Name\n1234567890,Jose\n")
    with pytest.raises(ImportRejected, match="lacks RecordType, GradeAssessed, ScaleScore"):
        import_scores(tmp_path / "roster.csv", ws)
    with pytest.raises(ImportRejected, match="'2025-13-45' is not a test completion date"):
        import_scores(score_file(tmp_path / "bad.txt", record(completed="2025-13-45")), ws)


def test_cli_imports_scores_and_rejects_without_traceback(ws, tmp_path, capsys):
    path = score_file(tmp_path / "scores.txt", record())
    assert main(["--workspace", str(ws.root), "import", "--scores", str(path)]) == 0
    assert "read 1 CAASPP scores" in capsys.readouterr().out
    assert main(["--workspace", str(ws.root), "import", "--scores", str(tmp_path / "missing.txt")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_a_source_import_keeps_the_shrink_guard_and_its_options(ws, tmp_path):
    """Every source ends in import_sis with the same guard: a staged export with fewer students is
    refused, and published once the shrink is accepted (what `--accept-shrink` passes)."""
    from fixtures import MINIMAL_EXPORT

    from sislab.sources.staged import Staging

    two = write_export(tmp_path / "two", {"student": MINIMAL_EXPORT["student"].rsplit("1003,", 1)[0],
                                          "enrollment": MINIMAL_EXPORT["enrollment"].rsplit("1003,", 1)[0]})
    for accept in (False, True):
        with Staging(ws, "test", "a test source") as staging:
            staging.merge(two, pulled=set())
            if accept:
                staging.run_import("test", accept_shrink=True)
            else:
                with pytest.raises(ImportRejected, match="would shrink from 3 rows to 2"):
                    staging.run_import("test")
    with duckdb.connect(str(ws.current_snapshot()), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM student").fetchone()[0] == 2


def test_a_scores_import_during_another_import_is_refused_in_one_line(ws, tmp_path, capsys):
    from sislab.core import locks

    path = score_file(tmp_path / "scores.txt", record())
    with locks.hold(ws, "import", user="alice"):
        code = main(["--workspace", str(ws.root), "import", "--scores", str(path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("sislab: an import is running since ") and len(err.splitlines()) == 1


def test_a_record_cut_short_rejects_the_file_on_its_record(ws, tmp_path):
    """A download cut mid-line: its last record has fewer fields than the header. Skipping it (a
    record without a score) would publish the rest as the year's scores."""
    before = ws.current_snapshot()
    full = record("01", ssid="2234567890", grade="04", scale="2400", level="1")
    path = score_file(tmp_path / "scores.txt", record(), "", record("02", scale="2590", level="2"), full[:40])
    with pytest.raises(ImportRejected) as e:
        import_scores(path, ws)
    assert [str(f) for f in e.value.findings] == [
        "scores.txt, record 4: wrong number of fields (expected 17, found 10): the file is cut short or damaged; "
        "download it again from TOMS"]
    assert ws.current_snapshot() == before


def test_scores_that_replace_a_test_and_year_are_under_the_shrink_guard(ws, tmp_path, capsys):
    """A file cut short at a line's end looks valid: the test and year it replaces may lose at
    most a tenth of their scores unless the shrink is accepted; other tests and years are not
    counted against it."""
    import_scores(score_file(tmp_path / "full.txt", record(), record(ssid="2234567890", grade="04"),
                             record("02", scale="2590", level="2")), ws)
    short = score_file(tmp_path / "short.txt", record(scale="2700"), record("02", scale="2600", level="2"))
    with pytest.raises(ImportRejected) as e:
        import_scores(short, ws)
    assert [str(f) for f in e.value.findings if f.severity == "error"] == [
        "test_score.csv: test_score of test CAASPP_ELA, school_year 2025 would shrink from 2 rows to 1 (50% fewer; "
        "at most 10% allowed): if this export is right, import it again with --accept-shrink"]
    assert main(["--workspace", str(ws.root), "import", "--scores", str(short), "--accept-shrink"]) == 0
    assert {(r[0], r[1], r[5]) for r in scores(ws)} == {("1001", "CAASPP_ELA", 2700), ("1001", "CAASPP_MATH", 2600)}
    import_scores(score_file(tmp_path / "2026.txt", record(completed="05072026")), ws)  # another year: no shrink


def test_an_import_that_publishes_while_scores_are_read_is_never_undone(ws, tmp_path):
    """The scores import copies the current snapshot's other tables: an import publishing in
    between would be undone by that copy. It holds the import lock from its first read, so the
    nightly import is refused while it runs and cron's next run imports it. Two real processes."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from fixtures import MINIMAL_EXPORT

    from sislab.core.importer import ImportBusy

    nightly = write_export(tmp_path / "nightly", {"student": MINIMAL_EXPORT["student"].replace("Núñez", "Renamed")})
    gate = tmp_path / "gate"
    gate.mkdir()
    helper = Path(__file__).parent / "helpers_concurrency" / "paused_scores.py"
    scores_import = subprocess.Popen([sys.executable, str(helper), str(ws.root), str(score_file(
        tmp_path / "scores.txt", record())), str(gate)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (gate / "reading").exists():
            assert scores_import.poll() is None and time.monotonic() < deadline, scores_import.stderr.read()
            time.sleep(0.05)
        with pytest.raises(ImportBusy, match="an import is running since .* by coordinator"):
            import_sis(nightly, ws, user="cron")
    finally:
        (gate / "go").touch()
        out, err = scores_import.communicate(timeout=120)
    assert scores_import.returncode == 0, err
    assert ws.current_snapshot().name in out and {r[5] for r in scores(ws)} == {2650}
    import_sis(nightly, ws, user="cron")  # cron's next run
    with duckdb.connect(str(ws.current_snapshot()), read_only=True) as con:
        assert con.execute("SELECT last_name FROM student WHERE student_id = '1001'").fetchone() == ("Renamed",)


def test_a_duplicate_score_names_both_records_of_the_file(ws, tmp_path):
    """Every row a finding names is a record of the file given, not a row of the staged export
    (which starts with the scores of other years carried over)."""
    import_scores(score_file(tmp_path / "2024.txt", record(completed="05072024")), ws)
    path = score_file(tmp_path / "scores.txt", record(), record("02"), record(scale="2700"))
    with pytest.raises(ImportRejected) as e:
        import_scores(path, ws)
    assert [str(f) for f in e.value.findings if f.severity == "error"] == [
        "scores.txt, record 1, field student_id, test, subject, school_year: duplicate key '1001 / CAASPP_ELA / ELA "
        "/ 2025' (student_id, test, subject, school_year) also in record(s) 3"]


def test_a_duplicate_from_another_request_is_named_with_it(ws, tmp_path):
    """A staged row's duplicate read from another request (another school's students) is named
    with that request and its record; more than five are cut short."""
    from sislab.sources.staged import Origin, Staging

    with Staging(ws, "test", "a test source") as staging:
        first, second = Origin("GET /schools/1/students"), Origin("GET /schools/2/students")
        staging.add("test_score", {"student_id": "1001", "test": "CAASPP_ELA", "subject": "ELA",
                                   "school_year": "2025", "scale_score": "2650"}, first, 4)
        for number in range(1, 8):
            staging.add("test_score", {"student_id": "1001", "test": "CAASPP_ELA", "subject": "ELA",
                                       "school_year": "2025", "scale_score": "2650"}, (first, second)[number % 2],
                        number * 10)
        staging.merge(write_export(tmp_path / "rest"), pulled={"test_score"})
        with pytest.raises(ImportRejected) as e:
            staging.run_import("test")
    assert [str(f).split(": ", 1)[1] for f in e.value.findings if f.severity == "error"] == [
        "duplicate key '1001 / CAASPP_ELA / ELA / 2025' (student_id, test, subject, school_year) also in record(s) "
        "20, 40; record 10 of GET /schools/2/students; record 30 of GET /schools/2/students; "
        "record 50 of GET /schools/2/students ..."]
