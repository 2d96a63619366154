"""`sislab import --from aeries`: a full snapshot pulled from a district's Aeries API v5.

The pull asks /api/v5/systeminfo for the district's DatabaseYear, then every feed of
aeries_map.toml: district-wide ones once, school ones for every school (prior years through
DatabaseYear for terms, sections and rosters), per-student test scores for every student.
Requests run concurrently over `connections` keep-alive connections; 429, 5xx, timeouts and
broken pages are retried with backoff; 401, 403 and 404 stop the pull with what to fix. The
records are written as our CSV export into the workspace and imported by `import_sis`, so a
failed pull or a rejected import publishes nothing.

The certificate travels only in the AERIES-CERT header: it is never in a URL, a message or a log.
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace

from sislab.core import config
from sislab.core.importer import ImportReport
from sislab.core.workspace import Workspace

from .aeries_map import Feed, Unreadable, mapping, read_record
from .staged import Origin, Staging, source_label

RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_PAGES = 10_000  # per request: a server that answers every page in full must not be asked forever


class PullFailed(Exception):
    """The pull stopped; the message says what to fix. Nothing was imported."""


# ---- one HTTP request, retried ------------------------------------------------------------------

class Client:
    """GETs against one Aeries base URL; one keep-alive connection per worker thread."""

    def __init__(self, url: str, certificate: str, timeout: float = 120.0, retries: int = 5,
                 backoff: float = 1.0, sleep=time.sleep):
        parts = urllib.parse.urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PullFailed(f"[aeries] url {url!r} is not an http(s) URL such as https://district.aeries.net/aeries")
        self.scheme, self.host, self.port, self.prefix = parts.scheme, parts.hostname, parts.port, parts.path
        self.certificate, self.timeout, self.retries, self.backoff, self.sleep = \
            certificate, timeout, max(1, retries), backoff, sleep
        self.requests = 0
        self.in_flight = self.most_in_flight = 0
        self._count = threading.Lock()
        self._local = threading.local()

    def get(self, path: str, params: dict | None = None, area: str = "") -> list | dict:
        """The JSON answer of GET path?params; raises PullFailed when it cannot be had."""
        label = path + ("?" + urllib.parse.urlencode(params) if params else "")
        problem, problem_wait = "", None  # problem_wait: the server's Retry-After, when it gave one
        for attempt in range(self.retries):
            if attempt:
                self.sleep(problem_wait if problem_wait is not None else self.backoff * 2 ** (attempt - 1))
            problem_wait = None
            try:
                status, retry_after, content_type, body = self._once(self.prefix + label)
            except (OSError, http.client.HTTPException) as e:
                self._drop()
                problem = f"no answer ({type(e).__name__}: {e})" if not isinstance(e, socket.timeout) \
                    else f"no answer within {self.timeout:g} s"
                continue
            if status == 200:
                try:
                    return json.loads(body)
                except ValueError:
                    if body.strip() and body.lstrip()[:1] not in (b"[", b"{"):
                        raise PullFailed(_not_json(label, content_type, body)) from None
                    problem = f"the answer is not complete JSON ({len(body):,} bytes)"
                    continue
            if status in RETRY_STATUSES:
                problem = f"HTTP {status}" + (" (too many requests)" if status == 429 else "")
                problem_wait = min(float(retry_after), 60.0) if retry_after and retry_after.isdigit() else None
                continue
            raise PullFailed(_refusal(status, label, area, body))
        raise PullFailed(f"GET {label}: {problem} after {self.retries} attempts; nothing was imported. "
                         "Try again later, or raise [aeries] retries / timeout.")

    def _once(self, target: str) -> tuple[int, str | None, str, bytes]:
        con = getattr(self._local, "con", None)
        if con is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            con = self._local.con = cls(self.host, self.port, timeout=self.timeout)
        with self._count:
            self.requests += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            con.request("GET", target, headers={"AERIES-CERT": self.certificate, "Accept": "application/json"})
            response = con.getresponse()
            body = response.read()
        finally:
            with self._count:
                self.in_flight -= 1
        if response.getheader("Connection", "").lower() == "close":
            self._drop()
        return response.status, response.getheader("Retry-After"), response.getheader("Content-Type", ""), body

    def _drop(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None


def _refusal(status: int, label: str, area: str, body: bytes) -> str:
    said = _message(body)
    if status == 401:
        return ("Aeries refused the certificate (HTTP 401): check [aeries] certificate / SISLAB_AERIES_CERTIFICATE "
                "— it may be mistyped, expired or re-issued; the district's Aeries administrator can see it under "
                "Security > API Security. Nothing was imported.")
    if status == 403:
        return (f"GET {label}: the certificate lacks the Aeries security area \"{area}\" (HTTP 403). In Aeries, "
                f"Security > API Security, grant this certificate read access to \"{area}\" "
                "(docs/aeries.md lists every area). Nothing was imported.")
    if status == 404:
        return (f"GET {label}: not found (HTTP 404) — this Aeries does not offer the endpoint (an older Aeries "
                "version, or a wrong [aeries] url). Nothing was imported.")
    return f"GET {label}: HTTP {status}{': ' + said if said else ''}. Nothing was imported."


def _not_json(label: str, content_type: str, body: bytes) -> str:
    """A 200 answer that is no JSON at all (a login or proxy page): asking again gives the same."""
    start = body[:80].decode("utf-8", errors="replace")
    return (f"GET {label}: the answer is not JSON (Content-Type {content_type or 'not given'!r}, it begins "
            f"{start!r}) — a login or proxy page, not the Aeries API: check [aeries] url. Nothing was imported.")


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("Message", ""))[:200]
    except (ValueError, AttributeError):
        return ""


# ---- the pull ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stream:
    """One request: a feed for one school, year or student (one page of a paged feed)."""

    feed: Feed
    year: int  # school end year
    school: int | None = None
    student: str | None = None
    first: int = 1  # StartingRecord of the page (paged feeds)
    previous: str | None = None  # the previous page's first record (paged feeds), as _first_key gives it

    @property
    def path(self) -> str:
        return self.feed.url(school=self.school, student=self.student)


@dataclass
class PullStats:
    requests: int = 0
    records: int = 0
    years: list[int] = field(default_factory=list)
    schools: int = 0
    blanked_sections: int = 0
    most_in_flight: int = 0


def pull(settings: config.Settings, staging: Staging, show_progress: bool = False) -> PullStats:
    """Pull every feed into `staging`; raises PullFailed (nothing staged is imported then)."""
    if not settings.aeries_url or not settings.aeries_certificate:
        raise PullFailed("set [aeries] url and certificate in sislab.toml (or SISLAB_AERIES_URL and "
                         "SISLAB_AERIES_CERTIFICATE) first; docs/aeries.md shows how")
    client = Client(settings.aeries_url, settings.aeries_certificate, settings.aeries_timeout,
                    settings.aeries_retries, settings.aeries_backoff_seconds)
    current, available = _database_years(client.get("/api/v5/systeminfo"))
    years = [y for y in range(current - settings.aeries_prior_years, current + 1) if y in available]
    puller = _Puller(client, staging, current, years, settings, show_progress)
    try:
        puller.run()
    finally:
        puller.bars.close()
    return PullStats(client.requests, puller.records, years, len(puller.schools), puller.blanked,
                     client.most_in_flight)


def _database_years(info) -> tuple[int, set[int]]:
    """The current school year and the years this Aeries holds, from its systeminfo. Aeries names
    a year by its start; sislab by its end."""
    where = "GET /api/v5/systeminfo"
    if not isinstance(info, dict) or info.get("DatabaseYear") in (None, ""):
        raise PullFailed(f"{where}: the answer has no DatabaseYear (the district's current Aeries year), so no "
                         "year can be asked for: check [aeries] url. Nothing was imported.")
    try:
        current = int(info["DatabaseYear"]) + 1
        available = {int(y) + 1 for y in info.get("AvailableDatabaseYears") or []} or {current}
    except (TypeError, ValueError):
        raise PullFailed(f"{where}: DatabaseYear {info['DatabaseYear']!r} or AvailableDatabaseYears "
                         f"{info.get('AvailableDatabaseYears')!r} is not a year such as 2026. Nothing was imported.") from None
    return current, available


class _Puller:
    def __init__(self, client, staging, current, years, settings, show_progress):
        self.client, self.staging, self.current, self.years = client, staging, current, years
        self.page_size = settings.aeries_page_size
        self.connections = max(1, settings.aeries_connections)
        self.bars = _Bars(show_progress)
        self.feeds = mapping().feeds
        self.schools: list[int] = []
        self.records = 0
        self.blanked = 0
        self.seen: dict[str, set] = defaultdict(set)  # dedupe keys per table
        self.held: dict[str, list] = defaultdict(list)  # student rows, finished with their programs
        self.programs: dict[str, set[str]] = defaultdict(set)
        self.links = _links_to_years()  # table -> [(column, table.column of a year-scoped table)]
        self.pulled: dict[str, set[str]] = defaultdict(set)  # "table.column" -> values pulled
        self.linked: dict[str, set[str]] = defaultdict(set)  # "table.column" -> values linked to
        self.targets = defaultdict(list)  # year-scoped table -> its columns others link to
        for links in self.links.values():
            for _, target in links:
                self.targets[target.split(".")[0]].append(target.split(".")[1])
        self._student_school: dict[str, int] = {}

    def run(self) -> None:
        with ThreadPoolExecutor(self.connections, thread_name_prefix="aeries") as pool:
            pending = {pool.submit(self._fetch, s): s for s in self._district_streams()}
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        stream = pending.pop(future)
                        for follow in self._take(stream, future.result()):
                            pending[pool.submit(self._fetch, follow)] = follow
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        self._finish()

    def _district_streams(self) -> list[Stream]:
        streams = [Stream(f, self.current, school=0) for f in self.feeds.values() if f.scope == "district"]
        self.bars.add(None, len(streams))
        return streams

    def _school_streams(self, school: int) -> list[Stream]:
        streams = []
        for feed in self.feeds.values():
            if feed.scope == "school":
                streams += [Stream(feed, y, school) for y in (self.years if feed.years == "each" else [self.current])]
        self.bars.add(school, len(streams))
        return streams

    def _fetch(self, stream: Stream) -> list[tuple[int, dict]]:
        """(record number, record) of the stream's page."""
        params = {"DatabaseYear": str(stream.year - 1)}
        if stream.feed.paged:
            params.update(StartingRecord=stream.first, EndingRecord=stream.first + self.page_size - 1)
        page = _as_list(self.client.get(stream.path, params, stream.feed.area))
        return list(enumerate(page, start=stream.first))

    def _take(self, stream: Stream, records: list[tuple[int, dict]]) -> list[Stream]:
        """Stage the rows of a page; return the requests it opens (the next page, per-student ones)."""
        feed = stream.feed
        school = stream.school if feed.scope != "student" else self._student_school.get(stream.student)
        self.bars.done(school, feed.name)
        if records and stream.previous is not None and _first_key(records) == stream.previous:
            return []  # the server ignores StartingRecord: this is the previous page again, all taken
        self.records += len(records)
        follow = []
        if feed.paged and len(records) == self.page_size:
            if (stream.first - 1) // self.page_size + 1 >= MAX_PAGES:
                raise PullFailed(
                    f"GET {stream.path}: still a full page of {self.page_size:,} records after {MAX_PAGES:,} pages — "
                    "this Aeries does not seem to honour StartingRecord / EndingRecord; nothing was imported. "
                    "Raise [aeries] page_size, or ask the district's Aeries administrator.")
            follow.append(replace(stream, first=stream.first + self.page_size, previous=_first_key(records)))
            self.bars.add(school, 1)
        label = f"GET {stream.path}?DatabaseYear={stream.year - 1}"
        parent = {"StudentID": stream.student} if stream.student is not None else None
        if feed.name == "programs":
            for _, r in records:
                if not r.get("ParticipationEndDate"):
                    self.programs[str(r.get("StudentID"))].add(str(r.get("ProgramCode")))
        for table in feed.tables:
            origin = Origin(label, tuple((c.column, c.field) for c in table.columns if c.field))
            for number, record in records:
                for chain in table.chains(record, parent):
                    if table.applies(chain):
                        try:
                            row = read_record(table, chain, stream.year)
                        except Unreadable as e:
                            raise PullFailed(f"{label}, record {number}, {e}. Nothing was imported.") from None
                        self._stage(table, row, origin, number)
        if feed.name == "schools":
            self.schools = sorted({int(r["SchoolCode"]) for _, r in records if int(r.get("SchoolCode") or 0)})
            district = [s for s in self.feeds.values() if s.district_too]
            self.bars.add(None, len(district))
            return follow + [s for school in self.schools for s in self._school_streams(school)] + \
                [Stream(f, self.current, 0) for f in district]
        if feed.name == "students":
            # A student listed at two schools (concurrent enrollment) is asked for once.
            asked = [Stream(f, self.current, student=str(r["StudentID"])) for f in self.feeds.values()
                     if f.scope == "student" for _, r in records
                     if f.asks_for(r) and str(r["StudentID"]) not in self._student_school]
            self._student_school.update((s.student, stream.school) for s in asked)
            self.bars.add(stream.school, len(asked))
            return follow + asked
        return follow

    def _stage(self, table, row: dict, origin: Origin, number: int) -> None:
        name = table.table
        if table.dedupe:
            key = tuple(row[k] for k in _key(name))
            if key in self.seen[name]:
                return
            self.seen[name].add(key)
        for target in self.targets.get(name, ()):
            self.pulled[f"{name}.{target}"].add(row[target])
        for column, target in self.links.get(name, ()):
            self.linked[target].add(row[column])
        if name == "student":
            self.held[name].append((row, origin, number))
        else:
            self.staging.add(name, row, origin, number)

    def _finish(self) -> None:
        """Student flags from programs. A history row (a mark, an enrollment) keeps its link to a
        section or calendar only when that year was pulled: older years are not asked for."""
        flags = mapping().programs
        for row, origin, number in self.held.pop("student", []):
            held = self.programs.get(row["student_id"], set())
            row.update({flag: "Y" if held.intersection(codes) else "N" for flag, codes in flags.items()})
            self.staging.add("student", row, origin, number)
        if any(values - self.pulled[target] - {""} for target, values in self.linked.items()):
            for name, links in self.links.items():
                self.staging.rewrite(name, lambda row, links=links: self._unlink(row, links))

    def _unlink(self, row: dict, links) -> dict:
        for column, target in links:
            if row[column] and row[column] not in self.pulled[target]:
                row[column] = ""
                self.blanked += 1
        return row


def _links_to_years() -> dict[str, list[tuple[str, str]]]:
    """Optional references from tables pulled for the current year only to tables pulled per
    DatabaseYear: {table: [(column, "table.column")]} (mark.section_id, enrollment.calendar_id)."""
    from sislab.core import model

    feeds = mapping().feeds.values()
    per_year = {t.table for f in feeds if f.years == "each" for t in f.tables}
    current = {t.table for f in feeds if f.years == "current" for t in f.tables}
    links = defaultdict(list)
    for name in sorted(current - per_year):
        for c in model.table(name).columns:
            if c.references and not c.required and c.references.split(".")[0] in per_year:
                links[name].append((c.name, c.references))
    return dict(links)


def _first_key(records: list[tuple[int, dict]]) -> str:
    """A page's first record, comparable with another page's."""
    return json.dumps(records[0][1], sort_keys=True, default=str)


def _as_list(answer) -> list:
    return answer if isinstance(answer, list) else [answer] if answer else []


def _key(table: str) -> tuple[str, ...]:
    from sislab.core import model

    return model.table(table).key


class _Bars:
    """A tqdm.auto bar per school (and one for the district feeds), counting requests done."""

    def __init__(self, show: bool):
        self.show = show
        self.bars: dict = {}

    def add(self, school, n: int) -> None:
        if not self.show:
            return
        bar = self._bar(school)
        bar.total = (bar.total or 0) + n
        bar.refresh()

    def done(self, school, feed: str) -> None:
        if self.show:
            bar = self._bar(school)
            bar.set_postfix_str(feed, refresh=False)
            bar.update(1)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()

    def _bar(self, school):
        school = school or None  # school code 0 is the district
        if school not in self.bars:
            from tqdm.auto import tqdm

            name = "district" if not school else f"school {school:03d}"
            self.bars[school] = tqdm(total=0, desc=name, unit="req", position=len(self.bars), leave=True)
        return self.bars[school]


# ---- the import -------------------------------------------------------------------------------

def import_from_aeries(ws: Workspace, user: str | None = None, merge=None, settings: config.Settings | None = None,
                       show_progress: bool | None = None, progress=None, **guard) -> tuple[ImportReport, PullStats]:
    """Pull the district from Aeries, add the tables Aeries does not hold from `merge` (a folder of
    our CSV exports), and import it all or nothing. The bars per school show when `show_progress`,
    by default when stderr is a terminal (as `cli_progress`): a cron log holds only what was said."""
    settings = settings or config.load(ws)
    if show_progress is None:
        show_progress = sys.stderr.isatty()
    with Staging(ws, "aeries", source_label(f"Aeries {settings.aeries_url}", merge)) as staging:
        stats = pull(settings, staging, show_progress)
        staging.merge(merge, mapping().tables())
        if stats.blanked_sections:
            from sislab.core.importer import Finding

            staging.warnings.append(Finding(
                "Aeries history", f"{stats.blanked_sections:,} marks or enrollments name a section or calendar of a year not "
                "pulled; it is left blank (raise [aeries] prior_years to keep it)", severity="warning"))
        return staging.run_import(user, progress, **guard), stats
