"""A local fake Aeries API v5 for tests, the demo and the benchmark.

Its fixture is made from a sislab snapshot through the same mapping the puller reads
(`aeries_map.write_record`), so the sample district served here must come back as the same
snapshot. It checks the AERIES-CERT header, honours DatabaseYear and StartingRecord /
EndingRecord, and can misbehave on purpose: a wrong certificate (401), a security area not
granted (403), an endpoint this Aeries lacks (404), 500 or 429 a given number of times, a slow
or truncated page, and a latency per request.

    python -m sislab.sources.fake_aeries WORKSPACE [--latency 0.05]   # prints the base URL
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import duckdb

from .aeries_map import Feed, mapping, write_lists, write_record

CERTIFICATE = "477abe9e7d27439681d62f4e0de1f5e1"  # Aeries' own published demo certificate

# The snapshot rows behind each feed's records, with the request they answer: _school (Aeries
# school code), _year (school end year) and _student. Every column of every flat table of the
# feed is selected; nested lists are joined on afterwards.
FEED_ROWS = {
    "district": "SELECT *, 0 AS _school FROM district",
    "schools": "SELECT *, 0 AS _school FROM school",
    "terms": "SELECT t.*, c.school_id, c.school_year, c.name, c.summer, CAST(c.school_id AS INTEGER) AS _school, "
             "c.school_year AS _year FROM term t JOIN calendar c USING (calendar_id) "
             "ORDER BY c.school_id, c.calendar_id, t.start_date, t.term_code",
    "staff": "SELECT * FROM staff ORDER BY staff_id",
    "students": "SELECT *, CAST(school_id AS INTEGER) AS _school FROM student ORDER BY student_id",
    "enrollment": "SELECT *, CAST(school_id AS INTEGER) AS _school FROM enrollment ORDER BY student_id, start_date",
    "courses": "SELECT * FROM course ORDER BY course_id",
    "sections": "SELECT s.*, CAST(s.school_id AS INTEGER) AS _school, c.school_year AS _year "
                "FROM section s JOIN calendar c USING (calendar_id) ORDER BY s.section_id",
    "classes": "SELECT r.*, CAST(s.school_id AS INTEGER) AS _school, c.school_year AS _year FROM roster r "
               "JOIN section s USING (section_id) JOIN calendar c ON c.calendar_id = s.calendar_id "
               "ORDER BY r.section_id, r.student_id, r.start_date",
    "transcript": "SELECT s.student_id, CAST(s.school_id AS INTEGER) AS _school FROM student s "
                  "WHERE s.student_id IN (SELECT student_id FROM mark) ORDER BY s.student_id",
    "college_tests": "SELECT s.student_id, CAST(s.school_id AS INTEGER) AS _school FROM student s "
                     "WHERE s.student_id IN (SELECT student_id FROM test_score WHERE test NOT LIKE 'CAASPP%') "
                     "ORDER BY s.student_id",
    "tests": "SELECT *, student_id AS _student FROM test_score WHERE test LIKE 'CAASPP%' "
             "ORDER BY student_id, test, school_year",
    "activities": "SELECT a.*, CAST(s.school_id AS INTEGER) AS _school FROM ("
                  "  SELECT student_id, pathway_code, school_year, capstone_course_id, capstone_mark, NULL AS award, "
                  "         NULL::INTEGER AS years, NULL AS wbl_type, NULL::INTEGER AS hours, 'cte_completion' AS _table "
                  "  FROM cte_completion"
                  "  UNION ALL SELECT student_id, NULL, school_year, NULL, NULL, award, years, NULL, NULL, 'award' FROM award"
                  "  UNION ALL SELECT student_id, NULL, school_year, NULL, NULL, NULL, NULL, wbl_type, hours, 'work_based_learning' "
                  "  FROM work_based_learning) a "
                  "JOIN student s USING (student_id) "
                  "ORDER BY a.student_id, a._table, a.school_year, a.award, a.wbl_type",
    "student_groups": "SELECT *, coalesce(CAST(school_id AS INTEGER), 0) AS _school FROM student_group "
                      "ORDER BY group_code",
}
NESTED_ROWS = {  # (feed, list field) -> rows with the parent's key as _parent
    ("sections", "Terms"): "SELECT *, section_id AS _parent FROM section_term ORDER BY section_id, term_code",
    ("sections", "SectionStaffMembers"): "SELECT *, section_id AS _parent FROM section_staff "
                                         "ORDER BY section_id, staff_id",
    ("student_groups", "Students"): "SELECT *, group_code AS _parent FROM student_group_member "
                                    "ORDER BY group_code, student_id",
    ("transcript", "CourseGrades"): "SELECT *, student_id AS _parent FROM mark "
                                    "ORDER BY student_id, school_year, term_code, course_id",
    ("college_tests", "TestScores.SubTests"): "SELECT *, student_id AS _parent FROM test_score "
                                              "WHERE test NOT LIKE 'CAASPP%' "
                                              "ORDER BY student_id, test, school_year, grade, subject",
}
PARENT_KEY = {"sections": "section_id", "student_groups": "group_code", "transcript": "student_id",
              "college_tests": "student_id"}


@dataclass
class Fixture:
    """Pre-serialised records per request: (feed, school, year, student) -> JSON texts."""

    current_year: int
    years: list[int]
    records: dict[tuple, list[str]] = field(default_factory=lambda: defaultdict(list))


def fixture_from_snapshot(con: duckdb.DuckDBPyConnection) -> Fixture:
    """Every record the fake serves, made from the snapshot on `con`."""
    years = sorted(y for (y,) in con.execute("SELECT DISTINCT school_year FROM calendar").fetchall())
    fixture = Fixture(current_year=years[-1], years=years)
    m = mapping()
    for name, feed in m.feeds.items():
        if name == "programs":
            _program_records(con, fixture)
            continue
        nested = {each: _grouped(con, NESTED_ROWS[(name, each)]) for (f, each) in NESTED_ROWS if f == name}
        cur = con.execute(FEED_ROWS[name])
        names = [d[0] for d in cur.description]
        while batch := cur.fetchmany(10_000):
            for values in batch:
                row = dict(zip(names, values))
                record = _record(feed, row, nested)
                key = (name, 0 if feed.scope == "district" else row.get("_school"), row.get("_year") if feed.years == "each" else fixture.current_year,
                       row.get("_student"))
                fixture.records[key].append(json.dumps(record, default=str))
    district = con.execute("SELECT name FROM district").fetchone()
    fixture.records[("schools", 0, fixture.current_year, None)].insert(
        0, json.dumps({"SchoolCode": 0, "Name": district[0] if district else "", "InactiveStatusCode": ""}))
    return fixture


def _record(feed: Feed, row: dict, nested: dict) -> dict:
    record = {}
    lists: dict[str, list] = defaultdict(list)  # each -> its tables (college tests: two, by test)
    for table in feed.tables:
        if table.each:
            lists[table.each].append(table)
            record.update(write_record(table, row, up=len(table.lists)))  # the record's own fields
            continue
        if row.get("_table", table.table) != table.table:
            continue  # a row of one of the feed's tables (activities: CTE completion, award or WBL)
        record.update(write_record(table, row))
        record.update(dict(table.when))
    for each, tables in lists.items():
        record[tables[0].lists[0]] = write_lists(tables, nested[each].get(row[PARENT_KEY[feed.name]], []))
    if feed.name == "tests":  # asked per student: the student comes from the URL, not a column
        record["StudentID"] = row["student_id"]
    return record


def _grouped(con, sql: str) -> dict:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    out = defaultdict(list)
    for values in cur.fetchall():
        row = dict(zip(names, values))
        out[row["_parent"]].append(row)
    return out


def _program_records(con, fixture: Fixture) -> None:
    flags = mapping().programs
    unpivot = " UNION ALL ".join(f"SELECT student_id, school_id, '{codes[0]}' AS code FROM student WHERE {flag}"
                                 for flag, codes in flags.items())
    for student_id, school_id, code in con.execute(f"SELECT * FROM ({unpivot}) ORDER BY student_id, code").fetchall():
        fixture.records[("programs", int(school_id), fixture.current_year, None)].append(json.dumps(
            {"StudentID": student_id, "ProgramCode": code, "ParticipationStartDate": None,
             "ParticipationEndDate": None}))


# ---- the server ------------------------------------------------------------------------------

@dataclass
class Faults:
    """What goes wrong, per feed name (counts are how many requests misbehave first)."""

    forbidden: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    errors: dict[str, int] = field(default_factory=dict)  # 500 this many times
    throttled: dict[str, int] = field(default_factory=dict)  # 429 this many times
    truncated: dict[str, int] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)  # extra seconds per request


class FakeAeries:
    """The server on a free loopback port, in a thread of this process; use as a context manager."""

    def __init__(self, fixture: Fixture, certificate: str = CERTIFICATE, latency: float = 0.0,
                 faults: Faults | None = None, host: str = "127.0.0.1", port: int = 0):
        self.fixture, self.certificate, self.latency = fixture, certificate, latency
        self.faults = faults or Faults()
        self.host, self.port = host, port
        self.requests: Counter = Counter()  # per feed
        self._routes = [(re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", f.path) + "$", re.I), f)
                        for f in mapping().feeds.values()]
        self._loop = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> FakeAeries:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        from tornado.httpserver import HTTPServer
        from tornado.netutil import bind_sockets

        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        sockets = bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]
        server = HTTPServer(self._app())
        server.add_sockets(sockets)
        ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.stop()
            self._loop.close()

    def _app(self):
        from tornado.web import Application, RequestHandler

        fake = self

        class Handler(RequestHandler):
            async def get(self):
                status, body = await fake.answer(self.request.path, self.request.headers.get("AERIES-CERT"),
                                                 {k: self.get_query_argument(k) for k in self.request.query_arguments})
                self.set_status(status)
                if status == 429:
                    self.set_header("Retry-After", "0")
                page = "text/html" if body.lstrip().startswith("<") else "application/json"  # a login page
                self.set_header("Content-Type", f"{page}; charset=utf-8")
                self.finish(body)

        return Application([(r"/.*", Handler)])

    async def answer(self, path: str, certificate: str | None, query: dict) -> tuple[int, str]:
        """(status, body) for one GET."""
        if self.latency:
            await asyncio.sleep(self.latency)
        if path.lower() == "/api/v5/systeminfo":  # no certificate needed (documented)
            self.requests["systeminfo"] += 1
            return 200, json.dumps({"AeriesVersion": "fake", "DatabaseYear": str(self.fixture.current_year - 1),
                                    "AvailableDatabaseYears": [str(y - 1) for y in self.fixture.years]})
        if certificate != self.certificate:
            return 401, json.dumps({"Message": "Authorization has been denied for this request."})
        match, feed = next(((m, f) for r, f in self._routes if (m := r.match(path))), (None, None))
        if feed is None:
            return 404, json.dumps({"Message": f"No HTTP resource was found that matches {path}"})
        self.requests[feed.name] += 1
        f = self.faults
        if feed.name in f.missing:
            return 404, json.dumps({"Message": f"No HTTP resource was found that matches {path}"})
        if feed.name in f.forbidden:
            return 403, json.dumps({"Message": f"Certificate does not have permission to {feed.area}"})
        for counts, status in ((f.errors, 500), (f.throttled, 429)):
            if counts.get(feed.name, 0) > 0:
                counts[feed.name] -= 1
                return status, json.dumps({"Message": "An error has occurred."})
        if feed.name in f.slow:
            await asyncio.sleep(f.slow[feed.name])
        body = self._page(feed, match.groupdict(), query)
        if f.truncated.get(feed.name, 0) > 0:
            f.truncated[feed.name] -= 1
            body = body[: len(body) // 2]
        return 200, body

    def _page(self, feed: Feed, parts: dict, query: dict) -> str:
        year = self.fixture.current_year
        asked = query.get("DatabaseYear", "")
        if asked.isdigit() and int(asked) + 1 in self.fixture.years:  # else the default year (documented)
            year = int(asked) + 1
        if feed.years == "current":
            year = self.fixture.current_year if year == self.fixture.current_year else None
        school = int(parts["school"]) if "school" in parts else 0 if feed.scope == "district" else None
        records = self.fixture.records.get((feed.name, school, year, parts.get("student")), [])
        first, last = query.get("StartingRecord"), query.get("EndingRecord")
        if feed.paged and first:
            records = records[int(first) - 1: int(last) if last else None]
        return "[" + ",".join(records) + "]"


def main(argv=None) -> int:
    """Serve the current snapshot of a workspace until interrupted; print the base URL."""
    from sislab.core import store
    from sislab.core.workspace import Workspace

    p = argparse.ArgumentParser(prog="python -m sislab.sources.fake_aeries")
    p.add_argument("workspace")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args(argv)
    with store.snapshot(Workspace.locate(args.workspace)) as con:
        fixture = fixture_from_snapshot(con)
    with FakeAeries(fixture, latency=args.latency, port=args.port) as fake:
        print(fake.url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
