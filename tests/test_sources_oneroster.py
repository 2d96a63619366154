"""`sislab import --from oneroster ZIP`: a OneRoster 1.1 zip (checked first) as sislab tables."""

from __future__ import annotations

import csv
import io
import zipfile

import duckdb
import pytest

from sislab.cli import main
from sislab.core import store
from sislab.core.importer import ImportRejected, import_sis
from sislab.core.workspace import Workspace
from sislab.roster.checker import check_feed
from sislab.roster.writer import FeedOptions, build_feed
from sislab.sources.oneroster import import_oneroster
from test_sources_aeries import SAMPLE


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    """(the sample's CSV-imported workspace, the OneRoster zip sislab writes from it)."""
    base = tmp_path_factory.mktemp("oneroster")
    ws = Workspace.locate(base / "csv")
    import_sis(SAMPLE, ws, user="test")
    with store.snapshot(ws) as con:
        build_feed(con, base / "feed.zip", FeedOptions(demographics=True))
    return ws, base / "feed.zip"


def table(ws, sql: str) -> set:
    with duckdb.connect(str(ws.current_snapshot()), read_only=True) as con:
        return set(con.execute(sql).fetchall())


def rewrite(src, dst, file: str, change) -> None:
    """Copy the zip with `change(rows)` applied to one file's rows (header first)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == f"{file}.csv":
                rows = list(csv.reader(io.StringIO(data.decode())))
                out = io.StringIO()
                csv.writer(out, lineterminator="\n").writerows(change(rows))
                data = out.getvalue().encode()
            zout.writestr(name, data)


def test_our_feed_comes_back_as_the_same_people_classes_and_rosters(feed, tmp_path):
    csv_ws, zip_path = feed
    ws = Workspace.locate(tmp_path / "ws")
    report = import_oneroster(zip_path, ws, user="test")
    people = "SELECT student_id, last_name, first_name, birth_date, grade FROM student"
    assert table(ws, people) <= table(csv_ws, people) and report.row_counts["student"] > 2900
    binary = "SELECT student_id, gender FROM student WHERE gender IN ('M', 'F')"  # OneRoster 1.1 sex: male, female
    assert table(ws, binary) == table(csv_ws, binary) & {(s[0], s[1]) for s in table(ws, "SELECT student_id, 'M' FROM "
                                                         "student UNION SELECT student_id, 'F' FROM student")}
    classes = "SELECT section_id, course_id, period FROM section"
    assert table(ws, classes) <= table(csv_ws, classes) and report.row_counts["section"] > 500
    rosters = "SELECT section_id, student_id, start_date, end_date FROM roster"
    assert table(ws, rosters) <= table(csv_ws, rosters)
    with zipfile.ZipFile(zip_path) as z:
        enrollments = list(csv.DictReader(io.StringIO(z.read("enrollments.csv").decode())))
    assert report.row_counts["roster"] == sum(e["role"] == "student" for e in enrollments)
    teachers = "SELECT section_id, staff_id, primary_teacher FROM section_staff"
    assert table(ws, teachers) <= table(csv_ws, teachers) and report.row_counts["section_staff"] > 500
    assert table(ws, "SELECT state, cds_code FROM district") == {("CA", "1975309")}  # from the district identifier
    assert {r[0] for r in table(ws, "SELECT school_type FROM school")} >= {"HS", "ES", "MS"}
    app = store.app_state(ws)
    try:
        assert app.execute("SELECT source FROM import_run").fetchall()[0][0] == f"OneRoster {zip_path.resolve()}"
    finally:
        app.close()


def test_a_state_student_id_in_user_ids_becomes_the_ssid(feed, tmp_path):
    _, zip_path = feed
    with_ids = tmp_path / "ids.zip"

    def add_ssid(rows):
        at, role = rows[0].index("userIds"), rows[0].index("role")
        first = next(i for i, r in enumerate(rows) if r[role] == "student")
        return [r[:at] + ["{SSID:1234567890},{Fed:77}" if i == first else r[at]] + r[at + 1:]
                for i, r in enumerate(rows)]

    rewrite(zip_path, with_ids, "users", add_ssid)
    ws = Workspace.locate(tmp_path / "ws")
    import_oneroster(with_ids, ws)
    assert table(ws, "SELECT state_id FROM student WHERE state_id IS NOT NULL") == {("1234567890",)}


def test_the_roster_feed_can_be_made_again_from_the_oneroster_import(feed, tmp_path):
    _, zip_path = feed
    ws = Workspace.locate(tmp_path / "ws")
    import_oneroster(zip_path, ws, user="test")
    with store.snapshot(ws) as con:
        counts = build_feed(con, tmp_path / "again.zip", FeedOptions()).rows
    assert counts["enrollments"] > 10_000 and check_feed(tmp_path / "again.zip").passed


def test_checker_errors_are_import_errors_naming_file_line_and_column(feed, tmp_path):
    _, zip_path = feed
    bad = tmp_path / "bad.zip"
    rewrite(zip_path, bad, "classes", lambda rows: [rows[0]] + [r[:7] + ["lecture"] + r[8:] for r in rows[1:2]] + rows[2:])
    ws = Workspace.locate(tmp_path / "ws")
    with pytest.raises(ImportRejected) as e:
        import_oneroster(bad, ws)
    assert "classes.csv, line 2, field classType: ENUM_INVALID" in str(e.value) and "'lecture'" in str(e.value)
    assert ws.current_snapshot() is None


def test_a_delta_zip_is_refused_naming_the_manifest_line(feed, tmp_path):
    """A delta holds only the rows that changed: read as the district it would publish a smaller one."""
    _, zip_path = feed
    ws = Workspace.locate(tmp_path / "ws")
    import_oneroster(zip_path, ws)
    kept = ws.current_snapshot()
    delta = tmp_path / "delta.zip"
    rewrite(zip_path, delta, "manifest", lambda rows: [[p, "delta" if p == "file.users" else v] for p, v in rows])
    line = next(n for n, (p, _) in enumerate(csv.reader(io.StringIO(zipfile.ZipFile(delta).read("manifest.csv")
                                                                  .decode())), 1) if p == "file.users")
    with pytest.raises(ImportRejected) as e:
        import_oneroster(delta, ws)
    assert f"manifest.csv, line {line}, field file.users: 'delta': sislab imports bulk exports only" in str(e.value)
    assert len(e.value.findings) == 1 and ws.current_snapshot() == kept


def test_a_student_without_a_birth_date_is_rejected_on_the_users_line(feed, tmp_path):
    _, zip_path = feed
    bad = tmp_path / "bad.zip"
    rewrite(zip_path, bad, "demographics", lambda rows: [rows[0]] + [r[:3] + [""] + r[4:] for r in rows[1:2]] + rows[2:])
    with pytest.raises(ImportRejected, match=r"users\.csv, line \d+, field demographics\.birthDate: value is required"):
        import_oneroster(bad, Workspace.locate(tmp_path / "ws"))


def test_a_district_without_a_state_code_needs_district_csv_in_merge(feed, tmp_path):
    _, zip_path = feed
    bad = tmp_path / "nostate.zip"
    rewrite(zip_path, bad, "orgs", lambda rows: [r[:5] + (["SLUSD"] if r[4] == "district" else r[5:6]) + r[6:]
                                                 for r in rows])
    with pytest.raises(ImportRejected, match="orgs.csv, line 2, field identifier: the district's identifier 'SLUSD'"):
        import_oneroster(bad, Workspace.locate(tmp_path / "ws"))
    merge = tmp_path / "merge"
    merge.mkdir()
    (merge / "district.csv").write_text("district_id,name,state\nSLUSD,Sierra Lakes USD,CA\n")
    with zipfile.ZipFile(zip_path) as z:
        current = {r["identifier"] for r in csv.DictReader(io.StringIO(z.read("users.csv").decode()))}
    scores = [r for r in csv.DictReader((SAMPLE / "test_score.csv").open()) if r["student_id"] in current]
    with (merge / "test_score.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, scores[0].keys())
        w.writeheader()
        w.writerows(scores)
    report = import_oneroster(bad, Workspace.locate(tmp_path / "ws2"), merge=merge)
    assert report.row_counts["test_score"] == len(scores) > 100
    assert report.row_counts["district"] == 1


def test_cli_reads_the_zip(feed, tmp_path, capsys):
    _, zip_path = feed
    assert main(["--workspace", str(tmp_path / "ws"), "import", "--from", "oneroster", str(zip_path)]) == 0
    assert "read OneRoster" in capsys.readouterr().out
    assert main(["--workspace", str(tmp_path / "ws"), "import", "--from", "oneroster"]) == 2
