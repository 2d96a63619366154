"""`sislab import --from aeries` against the fake Aeries server (a real HTTP server on loopback).

The sample district is imported from its CSV folder, served through the fake API (whose
records are made from that snapshot) and pulled back: the two snapshots must be equal table
by table, and the CCI, CERS and IL SCA outputs the same. Fault modes use a tiny district.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest
from fixtures import write_export

from sislab.cli import main
from sislab.core import config, model, store
from sislab.core.importer import ImportRejected, import_sis
from sislab.core.workspace import Workspace
from sislab.sources import aeries, fake_aeries
from sislab.sources.aeries_map import mapping
from sislab.sources.fake_aeries import CERTIFICATE, FakeAeries, Faults, fixture_from_snapshot

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def settings(fake: FakeAeries, **kw) -> config.Settings:
    base = dict(aeries_url=fake.url, aeries_certificate=CERTIFICATE, aeries_backoff_seconds=0.01,
                aeries_retries=3, aeries_timeout=5.0, aeries_connections=4)
    return replace(config.Settings(), **{**base, **kw})


def rows(ws: Workspace, table: str) -> set:
    with duckdb.connect(str(ws.current_snapshot()), read_only=True) as con:
        return set(con.execute(f"SELECT * FROM {table}").fetchall())


# ---- the sample district, round trip ------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """(CSV-imported workspace, fixture made from it, folder of the tables Aeries does not hold)."""
    base = tmp_path_factory.mktemp("aeries_sample")
    csv_ws = Workspace.locate(base / "csv")
    import_sis(SAMPLE, csv_ws, user="test")
    with store.snapshot(csv_ws) as con:
        fixture = fixture_from_snapshot(con)
    merge = base / "merge"
    merge.mkdir()
    for path in SAMPLE.glob("*.csv"):
        if path.stem not in mapping().tables():
            shutil.copyfile(path, merge / path.name)
    return csv_ws, fixture, merge


@pytest.fixture(scope="module")
def pulled(sample, tmp_path_factory):
    """The sample pulled through the fake API by the CLI, settings from the environment."""
    csv_ws, fixture, merge = sample
    ws_root = tmp_path_factory.mktemp("aeries_pulled") / "ws"
    with FakeAeries(fixture) as fake:
        env = {"SISLAB_AERIES_URL": fake.url + "/", "SISLAB_AERIES_CERTIFICATE": CERTIFICATE,
               "SISLAB_AERIES_PRIOR_YEARS": "6", "SISLAB_AERIES_PAGE_SIZE": "500"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            status = main(["--workspace", str(ws_root), "import", "--from", "aeries", "--merge", str(merge),
                           "--user", "test"])
        finally:
            for k, v in old.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        requests = dict(fake.requests)
    assert status == 0
    return Workspace.locate(ws_root), requests


def test_sample_through_fake_aeries_gives_the_csv_snapshot_table_by_table(sample, pulled):
    csv_ws, _, _ = sample
    ws, _ = pulled
    for table in model.TABLES:
        assert rows(ws, table.name) == rows(csv_ws, table.name), table.name
    assert rows(ws, "mark") and rows(ws, "test_score") and rows(ws, "student_group_member")


def test_the_import_record_names_the_server_and_merge_folder_not_the_staging_folder(sample, pulled):
    ws, _ = pulled
    app = store.app_state(ws)
    try:
        (source,) = app.execute("SELECT source FROM import_run WHERE status = 'published'").fetchone()
    finally:
        app.close()
    assert source.startswith("Aeries http://127.0.0.1:") and source.endswith(f" + {sample[2].resolve()}")
    assert CERTIFICATE not in source and "tmp" not in Path(source.split(" + ")[0]).parts


def test_students_and_course_history_are_paged_and_every_pulled_year_asked(sample, pulled):
    _, requests = pulled
    csv_ws, fixture, _ = sample
    schools = len({s for (feed, s, _, _) in fixture.records if feed == "students"})
    assert requests["students"] > schools  # 500 per page: the big schools needed a second page
    assert requests["sections"] == requests["terms"] == 7 * len(fixture.years)  # 7 schools x 7 DatabaseYears
    assert requests["tests"] == len(rows(csv_ws, "student WHERE grade >= 3"))  # none in TK-2: no CAASPP yet


def test_cci_cers_and_il_sca_outputs_are_the_same_from_aeries(sample, pulled):
    from sislab import cers, ilsca
    from helpers_cci import school_results

    from sislab.cci.rules import load_rule_set

    csv_ws, _, _ = sample
    ws, _ = pulled
    outputs = []
    for w in (csv_ws, ws):
        with store.snapshot(w) as con:
            cci = school_results(con, "001", load_rule_set(None))
            cci = {k: sorted(map(repr, (v.df() if hasattr(v, "df") else v).itertuples(index=False)))
                   for k, v in cci.items()}
        # names carry the time, and a -2 when the other workspace's run (same reports folder) took it that second
        cers_files = [re.sub(rb"\d{8}T\d{6}Z(-\d+)?", b"", p.read_bytes()) for p in cers.demo(w, user="test")]
        sca = ilsca.extract_newest_year(w, user="test", run_date=date(2026, 11, 25), out_dir=w.root / "ilsca")
        outputs.append((cci, cers_files, sca.path.read_bytes(), sca.records))
    (cci_a, cers_a, sca_a, n_a), (cci_b, cers_b, sca_b, n_b) = outputs
    assert cci_a.keys() == cci_b.keys()
    for name in cci_a:
        assert cci_a[name] == cci_b[name] and cci_a[name], name
    assert cers_a == cers_b and len(cers_a) == 2
    assert sca_a == sca_b and n_a == n_b > 0


# ---- a tiny district for the fault modes ---------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    base = tmp_path_factory.mktemp("aeries_tiny")
    ws = Workspace.locate(base / "src")
    import_sis(write_export(base / "export"), ws, user="test")
    with store.snapshot(ws) as con:
        return fixture_from_snapshot(con)


def pull(tmp_path, fixture, faults=None, latency=0.0, **kw):
    ws = Workspace.locate(tmp_path / "ws")
    with FakeAeries(fixture, faults=faults, latency=latency) as fake:
        try:
            report, stats = aeries.import_from_aeries(ws, user="test", settings=settings(fake, **kw),
                                                      show_progress=False)
        finally:
            fake_requests = dict(fake.requests)
    return ws, report, stats, fake_requests


def test_tiny_district_pulls_with_school_codes_as_three_digits(tmp_path, tiny):
    ws, report, stats, requests = pull(tmp_path, tiny)
    assert {r[0] for r in rows(ws, "school")} == {"001", "002"}  # Aeries school codes 1 and 2
    assert {(r[0], r[10]) for r in rows(ws, "student")} == {("1001", "001"), ("1002", "001"), ("1003", "002")}
    assert stats.schools == 2 and stats.requests == sum(requests.values())


def test_bad_certificate_is_401_names_the_certificate_and_publishes_nothing(tmp_path, tiny, capsys):
    ws = Workspace.locate(tmp_path / "ws")
    with FakeAeries(tiny) as fake:
        os.environ["SISLAB_AERIES_URL"], os.environ["SISLAB_AERIES_CERTIFICATE"] = fake.url, "wrong-secret-123"
        try:
            status = main(["--workspace", str(ws.root), "import", "--from", "aeries"])
        finally:
            del os.environ["SISLAB_AERIES_URL"], os.environ["SISLAB_AERIES_CERTIFICATE"]
    err = capsys.readouterr()
    assert status == 2
    assert "HTTP 401" in err.err and "certificate" in err.err and "Traceback" not in err.err
    assert "wrong-secret-123" not in err.err + err.out  # the secret is never shown
    assert ws.current_snapshot() is None
    assert not list(ws.tmp.glob("aeries-*"))  # the staged export is gone


def test_missing_permission_area_is_403_and_says_which_area_to_grant(tmp_path, tiny):
    with pytest.raises(aeries.PullFailed) as e:
        pull(tmp_path, tiny, Faults(forbidden={"transcript"}))
    assert 'security area "Transcripts"' in str(e.value) and "HTTP 403" in str(e.value)
    assert Workspace.locate(tmp_path / "ws").current_snapshot() is None


def test_missing_endpoint_is_404_and_stops_the_pull(tmp_path, tiny):
    with pytest.raises(aeries.PullFailed, match=r"/api/v5/schools/\d+/StudentGroups.*HTTP 404"):
        pull(tmp_path, tiny, Faults(missing={"student_groups"}))


def test_500_then_success_and_429_then_success_are_retried(tmp_path, tiny):
    ws, _, stats, requests = pull(tmp_path, tiny, Faults(errors={"students": 2}, throttled={"courses": 2}))
    assert requests["courses"] == 3
    assert requests["students"] == 2 + 2  # two failures, then one page per school
    assert {r[0] for r in rows(ws, "student")} == {"1001", "1002", "1003"}


def test_errors_beyond_the_retries_fail_the_pull(tmp_path, tiny):
    with pytest.raises(aeries.PullFailed, match="HTTP 500 after 3 attempts"):
        pull(tmp_path, tiny, Faults(errors={"staff": 3}))


def test_truncated_json_is_retried_then_reported(tmp_path, tiny):
    ws, *_ = pull(tmp_path, tiny, Faults(truncated={"sections": 1}))
    assert rows(ws, "section")
    with pytest.raises(aeries.PullFailed, match="not complete JSON"):
        pull(tmp_path / "again", tiny, Faults(truncated={"sections": 10}))


def test_a_page_slower_than_the_timeout_is_retried_then_reported(tmp_path, tiny):
    with pytest.raises(aeries.PullFailed, match=r"/api/v5/courses.*no answer within 1 s after 2 attempts"):
        pull(tmp_path, tiny, Faults(slow={"courses": 3.0}), aeries_timeout=1.0, aeries_retries=2)


def test_requests_in_flight_never_exceed_the_connections(tmp_path, tiny):
    _, _, stats, _ = pull(tmp_path, tiny, latency=0.03, aeries_connections=3)
    assert 2 <= stats.most_in_flight <= 3


def test_prior_years_come_from_database_year_and_marks_of_older_years_lose_their_section(tmp_path, sample):
    _, fixture, _ = sample
    ws, report, stats, requests = pull(tmp_path, fixture, aeries_prior_years=1)
    assert stats.years == [2026, 2027]
    with duckdb.connect(str(ws.current_snapshot()), read_only=True) as con:
        years = {y for (y,) in con.execute("SELECT DISTINCT school_year FROM calendar").fetchall()}
        old = con.execute("SELECT count(*), count(section_id) FROM mark WHERE school_year < 2026").fetchone()
        kept = con.execute("SELECT count(*) FROM mark WHERE school_year >= 2026 AND section_id IS NULL").fetchone()
    assert years == {2026, 2027}
    assert old[0] > 0 and old[1] == 0 and kept[0] == 0
    assert any("left blank" in str(w) for w in report.warnings)
    with duckdb.connect(str(ws.current_snapshot()), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM enrollment WHERE calendar_id IS NULL").fetchone()[0] > 0


def test_a_bad_value_is_reported_on_its_endpoint_record_and_field(tmp_path, tiny):
    fixture = fake_aeries.Fixture(tiny.current_year, tiny.years, {k: list(v) for k, v in tiny.records.items()})
    key = next(k for k in fixture.records if k[0] == "students" and k[1] == 1)
    records = [json.loads(r) for r in fixture.records[key]]
    records[1]["StateStudentID"] = "12AB"
    fixture.records[key] = [json.dumps(r) for r in records]
    with pytest.raises(ImportRejected) as e:
        pull(tmp_path, fixture)
    text = str(e.value)
    assert ("GET /api/v5/schools/1/students?DatabaseYear=2024, record 2, "
            "field StateStudentID: '12AB' is not a 9- or 10-digit state student id") in text
    assert Workspace.locate(tmp_path / "ws").current_snapshot() is None


class MisPaging(FakeAeries):
    """Answers a school's students whatever StartingRecord asks: all of them (`rotate` False) or
    all of them starting one further each page. After 40 pages it answers [] so that a puller
    that never stops by itself still ends."""

    def __init__(self, fixture, rotate: bool):
        super().__init__(fixture)
        self.rotate = rotate

    async def answer(self, path, certificate, query):
        first = int(query.pop("StartingRecord", 1))
        last = int(query.pop("EndingRecord", first))
        status, body = await super().answer(path, certificate, query)
        if not path.endswith("/students") or status != 200:
            return status, body
        if self.requests["students"] > 40:
            return 200, "[]"
        records = json.loads(body)
        if self.rotate and records:
            k = (first - 1) // (last - first + 1) % len(records)
            records = records[k:] + records[:k]
        return 200, json.dumps(records)


def test_a_server_that_ignores_paging_is_asked_once_more_and_its_repeated_page_dropped(tmp_path, tiny):
    """School 1 has 2 students: with pages of 2 its whole answer looks like a full first page."""
    ws = Workspace.locate(tmp_path / "ws")
    with MisPaging(tiny, rotate=False) as fake:
        aeries.import_from_aeries(ws, user="test", settings=settings(fake, aeries_page_size=2), show_progress=False)
        asked = fake.requests["students"]
    assert asked == 2 + 1  # school 1: its page, then the same page again; school 2: one short page
    assert {r[0] for r in rows(ws, "student")} == {"1001", "1002", "1003"}


def test_a_server_that_never_ends_a_paged_feed_fails_the_pull_naming_the_endpoint(tmp_path, tiny, monkeypatch):
    monkeypatch.setattr(aeries, "MAX_PAGES", 5, raising=False)
    ws = Workspace.locate(tmp_path / "ws")
    with MisPaging(tiny, rotate=True) as fake, pytest.raises(aeries.PullFailed) as e:
        aeries.import_from_aeries(ws, user="test", settings=settings(fake, aeries_page_size=2), show_progress=False)
    assert "GET /api/v5/schools/1/students: still a full page of 2 records after 5 pages" in str(e.value)
    assert fake.requests["students"] <= 5 + 1 and ws.current_snapshot() is None


LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Aeries: Login</title></head><body>Please sign in</body></html>"


class Misanswers(FakeAeries):
    """Answers `endpoint` (how a path ends) with `body`, HTTP 200."""

    def __init__(self, fixture, endpoint: str, body: str):
        super().__init__(fixture)
        self.endpoint, self.body = endpoint, body

    async def answer(self, path, certificate, query):
        status, body = await super().answer(path, certificate, query)
        return (200, self.body) if path.lower().endswith(self.endpoint) else (status, body)


def cli_pull(ws_root, fake, capsys) -> tuple[int, str]:
    """`sislab import --from aeries` against `fake`: (exit status, stderr)."""
    env = {"SISLAB_AERIES_URL": fake.url, "SISLAB_AERIES_CERTIFICATE": CERTIFICATE,
           "SISLAB_AERIES_BACKOFF_SECONDS": "0.01", "SISLAB_AERIES_RETRIES": "3"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        status = main(["--workspace", str(ws_root), "import", "--from", "aeries"])
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return status, capsys.readouterr().err


def test_a_login_page_answered_200_fails_at_once_quoting_its_content_type_and_start(tmp_path, tiny, capsys):
    with Misanswers(tiny, "/students", LOGIN_PAGE) as fake:
        status, err = cli_pull(tmp_path / "ws", fake, capsys)
        asked = fake.requests["students"]
    assert status == 2 and "Traceback" not in err
    assert f"/students?DatabaseYear={tiny.current_year - 1}&StartingRecord=1&EndingRecord=1000: the answer is not JSON (Content-Type " \
           "'text/html; charset=utf-8', it begins '<!DOCTYPE html><html><head><title>Aeries: Login</title></head><body>" \
           "Please sign ')" in err
    assert "Try again later" not in err and asked <= 2  # one per school, none asked again
    assert Workspace.locate(tmp_path / "ws").current_snapshot() is None


@pytest.mark.parametrize("body, said", [
    ('{"AeriesVersion": "x"}', "the answer has no DatabaseYear"),
    ('{"DatabaseYear": "2026-27"}', "DatabaseYear '2026-27' or AvailableDatabaseYears None is not a year"),
    ("null", "the answer has no DatabaseYear")])
def test_systeminfo_without_a_database_year_names_the_field(tmp_path, tiny, capsys, body, said):
    with Misanswers(tiny, "/systeminfo", body) as fake:
        status, err = cli_pull(tmp_path / "ws", fake, capsys)
    assert status == 2 and "Traceback" not in err and f"GET /api/v5/systeminfo: {said}" in err


def test_a_value_its_transform_cannot_read_names_the_request_record_and_field(tmp_path, tiny, capsys):
    ws = Workspace.locate(tmp_path / "ws")
    with FakeAeries(tiny) as fake:
        aeries.import_from_aeries(ws, user="test", settings=settings(fake), show_progress=False)
    kept = ws.current_snapshot()
    fixture = fake_aeries.Fixture(tiny.current_year, tiny.years, {k: list(v) for k, v in tiny.records.items()})
    key = next(k for k in fixture.records if k[0] == "students" and k[1] == 1)
    records = [json.loads(r) for r in fixture.records[key]]
    records[1]["SchoolCode"] = "Lincoln"
    fixture.records[key] = [json.dumps(r) for r in records]
    with FakeAeries(fixture) as fake:
        status, err = cli_pull(ws.root, fake, capsys)
    assert status == 2 and "Traceback" not in err
    assert (f"GET /api/v5/schools/1/students?DatabaseYear={tiny.current_year - 1}, record 2, field SchoolCode: 'Lincoln' is not a school "
            "code such as 1. Nothing was imported.") in err
    assert ws.current_snapshot() == kept


def test_a_pull_from_cron_writes_no_progress_bars_into_the_log(tmp_path, tiny):
    """stderr a pipe, as in a cron job: the bars per school are for a terminal only."""
    import subprocess
    import sys

    with FakeAeries(tiny) as fake:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SISLAB_AERIES_URL": fake.url,
               "SISLAB_AERIES_CERTIFICATE": CERTIFICATE}
        done = subprocess.run([sys.executable, "-m", "sislab", "--workspace", str(tmp_path / "ws"), "import",
                               "--from", "aeries"], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=120)
    assert done.returncode == 0 and "pulled" in done.stdout, done.stderr
    assert "req" not in done.stderr and "\r" not in done.stderr and "\x1b" not in done.stderr, done.stderr[:300]


def test_settings_never_show_the_certificate():
    s = replace(config.Settings(), aeries_certificate="top-secret-cert")
    assert "top-secret-cert" not in repr(s) and "aeries_certificate='***'" in repr(s)


@pytest.mark.slow
def test_demo_through_the_fake_aeries_runs_every_job(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "SISLAB_WORKSPACE": str(tmp_path / "workspace"), "SISLAB_REPORTS": str(tmp_path / "reports")}
    done = subprocess.run([sys.executable, "-m", "sislab", "demo", "--source", "aeries-fake", "--no-serve"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "fake Aeries API at http://127.0.0.1:" in done.stdout and "requests from 7 schools" in done.stdout
    assert "CCI mass update (succeeded): 001 done, 002 done" in done.stdout
    assert list((tmp_path / "reports").glob("**/SCA8_*_001.txt"))


def test_docs_show_the_current_mapping():
    from sislab.sources.aeries_map import markdown

    page = (SAMPLE.parents[1] / "docs" / "aeries.md").read_text(encoding="utf-8")
    block = page.split("<!-- generated mapping: begin -->\n")[1].split("<!-- generated mapping: end -->")[0]
    assert block == markdown(), "run: python -m sislab.sources.aeries_map, paste into docs/aeries.md"


def test_without_settings_the_pull_says_what_to_set(tmp_path, capsys):
    assert main(["--workspace", str(tmp_path / "ws"), "import", "--from", "aeries"]) == 2
    assert "set [aeries] url and certificate" in capsys.readouterr().err


def test_a_student_listed_at_two_schools_is_kept_once_and_asked_for_once(tmp_path, tiny):
    fixture = fake_aeries.Fixture(tiny.current_year, tiny.years, {k: list(v) for k, v in tiny.records.items()})
    at_2 = next(k for k in fixture.records if k[0] == "students" and k[1] == 2)
    at_1 = next(k for k in fixture.records if k[0] == "students" and k[1] == 1)
    fixture.records[at_1].append(fixture.records[at_2][0])  # concurrently enrolled at school 1 too
    ws, _, _, requests = pull(tmp_path, fixture)
    assert {r[0] for r in rows(ws, "student")} == {"1001", "1002", "1003"}
    assert requests["tests"] == 3


def test_the_staged_export_is_owner_only_and_gone_afterwards(tmp_path):
    from sislab.sources.staged import Origin, Staging

    ws = Workspace.locate(tmp_path / "ws")
    with Staging(ws, "aeries", "Aeries test") as staging:
        staging.add("student", {"student_id": "1"}, Origin("GET /x"), 1)
        staging.rewrite("student", lambda row: row)
        folder, file = staging.folder, staging.folder / "student.csv"
        assert folder.stat().st_mode & 0o777 == 0o700 and file.stat().st_mode & 0o777 == 0o600
    assert not folder.exists()


def test_test_scores_are_read_from_the_scores_container_by_type():
    from sislab.sources.aeries_map import read_record, write_record

    table = mapping().feeds["tests"].tables[0]
    record = {"StudentID": 99400001, "TestID": "CAASPP-ELA", "TestPart": "1", "GradeLevel": 11.0,
              "TestDate": "2025-04-15T00:00:00",  # as the Test Scores article shows a record
              "Scores": [{"Type": "RawScore", "Score": 41.0}, {"Type": "ScaleScore", "Score": 2583.0},
                         {"Type": "PerformanceLevel", "Score": 3.0}]}
    row = read_record(table, [record, {"StudentID": 99400001}], 2025)
    assert (row["scale_score"], row["level"], row["grade"], row["school_year"]) == ("2583", "3", "11", "2025")
    no_level = read_record(table, [{**record, "Scores": [{"Type": "ScaleScore", "Score": 2583.0}]},
                                   {"StudentID": 99400001}], 2025)
    assert no_level["level"] == ""  # Aeries leaves out a score type it has no score for
    assert write_record(table, {**row, "scale_score": 2583, "level": None})["Scores"] == [
        {"Type": "ScaleScore", "Score": 2583.0}]


def test_college_tests_are_read_per_sub_test_of_each_test_as_the_article_nests_them():
    from sislab.sources.aeries_map import read_record, write_lists

    feed = mapping().feeds["college_tests"]
    record = {"StudentID": 99400001, "TestScores": [  # the College Entrance Test Scores article's shape
        {"TestName": "AP", "TestDate": "2025-05-06T00:00:00", "GradeLevel": 11.0, "OverallScore": 0.0,
         "SubTests": [{"Code": "Biology", "Score": 5.0}, {"Code": "Calculus AB", "Score": 2.0}]},
        {"TestName": "SAT I", "TestDate": "2024-10-05T00:00:00", "GradeLevel": 11.0, "OverallScore": 1210.0,
         "SubTests": [{"Code": "Total", "Score": 1210.0}]},
        {"TestName": "ACT", "TestDate": "2025-06-14T00:00:00", "GradeLevel": 11.0, "SubTests": []}]}
    got = [read_record(t, chain, 2025) for t in feed.tables for chain in t.chains(record) if t.applies(chain)]
    key = ("student_id", "test", "subject", "school_year", "grade", "scale_score", "level")
    assert sorted(tuple(r.get(k, "") for k in key) for r in got) == [
        ("99400001", "AP", "Biology", "2025", "11", "", "5"),  # an AP exam score is the level
        ("99400001", "AP", "Calculus AB", "2025", "11", "", "2"),
        ("99400001", "SAT", "Total", "2025", "11", "1210", ""),  # a SAT score is a scale score
    ]
    typed = [{"student_id": "99400001", "test": "AP", "subject": s, "school_year": 2025, "grade": 11,
              "scale_score": None, "level": level} for s, level in (("Biology", 5), ("Calculus AB", 2))]
    typed.append({**typed[0], "test": "SAT", "subject": "Total", "scale_score": 1210, "level": None})
    served = write_lists(list(feed.tables), typed)
    assert [(e["TestName"], [(t["Code"], t["Score"]) for t in e["SubTests"]]) for e in served] == [
        ("AP", [("Biology", 5), ("Calculus AB", 2)]), ("SAT I", [("Total", 1210)])]


def test_reduced_price_meals_make_a_student_sed_and_an_ended_program_does_not(tmp_path, tiny):
    fixture = fake_aeries.Fixture(tiny.current_year, tiny.years,
                                  {k: v for k, v in tiny.records.items() if k[0] != "programs"})

    def program(student, code, ended=None):
        return json.dumps({"StudentID": student, "ProgramCode": code, "ParticipationStartDate": "2024-08-15T00:00:00",
                           "ParticipationEndDate": ended})
    fixture.records[("programs", 1, tiny.current_year, None)] = [
        program(1001, "182"), program(1002, "181", ended="2025-01-31T00:00:00"), program(1003, "144")]
    ws, *_ = pull(tmp_path, fixture)
    with duckdb.connect(str(ws.current_snapshot()), read_only=True) as con:
        flags = dict(((s, (sed, swd)) for s, sed, swd in con.execute("SELECT student_id, sed, swd FROM student").fetchall()))
    assert flags == {"1001": (True, False), "1002": (False, False), "1003": (False, True)}
