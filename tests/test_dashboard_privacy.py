"""Small-group suppression on every dashboard page, as every role: a school whose CCI class is
under the rule set's n-size (11) shows no count in any table, chart or download; and the
files a page offers go to its own user only."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from helpers.dashboard_server import (DEMO_PASSWORD, Browser, dashboard_workspace, download_links, kernel_id,
                                     running_server)

from sislab.cci import dashboard
from sislab.core import access, store

pytestmark = pytest.mark.slow
SMALL = "006"  # Ridgeview Continuation High: 2 students in the sample's scored class
ROLES = {"admin": "admin", "coordinator.ridge": "coordinator", "principal.ridge": "principal",
         "principal.north": "principal"}
NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*%?\s*$")


@pytest.fixture(scope="module")
def ws(sample_ws, tmp_path_factory):
    ws = dashboard_workspace(sample_ws, tmp_path_factory.mktemp("privacy"))
    access.add_user(ws, "coordinator.ridge", "coordinator", ["001", SMALL], DEMO_PASSWORD)
    access.add_user(ws, "principal.ridge", "principal", [SMALL], DEMO_PASSWORD)
    return ws


@pytest.fixture(scope="module")
def small_school(ws) -> str:
    """The name of the school whose class is under the n-size (checked, so the test means something)."""
    with store.snapshot(ws) as con:
        status = dashboard.load(con, school=SMALL).status
        name, n = con.execute("SELECT sc.name, s.denominator FROM cci_school_status s JOIN school sc USING (school_id) "
                              "WHERE s.school_id = ? AND s.population = 'graduated'", [SMALL]).fetchone()
    assert 0 < n < 11 and status["students"].isna().all()
    return name


@pytest.fixture(scope="module")
def server(ws):
    with running_server(ws) as server:
        yield server


def pages_of(browser: Browser) -> list[str]:
    """Every dashboard link the home page offers the user."""
    home = browser.get("").text
    return sorted(set(re.findall(r'href="/(voila/render/[^"]+)"', home.replace("&amp;", "&"))))


def as_html(page: str) -> str:
    """The page with the outputs Voilà holds as JSON strings read back as HTML."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page).replace('\\"', '"')


def rows_naming(text: str, name: str) -> list[list[str]]:
    """Cells of every table row that names `name`."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", text, re.S)
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
             for r in rows]
    return [c for c in cells if any(name in x for x in c)]


@pytest.mark.parametrize("user", ROLES)
def test_no_suppressed_count_is_visible_anywhere_on_any_page(server, user, small_school):
    browser = Browser(server)
    assert browser.sign_in(user).status == 200
    pages = pages_of(browser)
    assert pages
    for path in pages:
        reply = browser.get(path)
        assert reply.status == 200, path
        files = [browser.get(link) for link in download_links(reply.text)]
        assert browser.request(f"voila/api/shutdown/{kernel_id(reply.text)}", {}, "POST").status == 204
        if "cci_status" not in path:
            assert "sislab-cci-status" not in reply.text  # CCI counts appear on the CCI page only
            continue
        # tables: the small school's status row keeps its name and note, and no number
        text = as_html(reply.text)
        named = rows_naming(text, small_school)
        assert bool(named) == (user == "admin" or f"school={SMALL}" in path), (user, path)
        assert files, (user, path)  # the student list, and the near misses when there are any
        assert text.count(small_school) == len(named), (user, path)  # nowhere else: no table, data or chart
        for cells in named:
            assert not [c for c in cells if NUMBER.match(c)], (user, path, cells)
            assert any("fewer than 11" in c for c in cells)
        # the chart: no bar or label for it
        for svg in re.findall(r'<svg class="sislab-chart".*?</svg>', text, re.S):
            assert small_school not in svg, (user, path)
        # downloads: its aggregate rows carry no count; no measure count of it
        for f in files:
            assert f.status == 200
            for row in csv.DictReader(io.StringIO(f.text)):
                if row.get("school_id") == SMALL and "population" in row:
                    assert not (row["students"] or row["prepared"] or row["approaching"] or row["status"]), row


def test_the_small_schools_principal_is_told_why_nothing_is_counted(server, small_school):
    browser = Browser(server)
    browser.sign_in("principal.ridge")
    reply = browser.get("voila/render/cci_status.ipynb")
    browser.request(f"voila/api/shutdown/{kernel_id(reply.text)}", {}, "POST")
    assert small_school in reply.text and "fewer than 11 students: not shown" in reply.text


def page_with_another_user(server, notebook: str):
    """(North's principal, South's principal, the page North's principal got for `notebook`)."""
    owner, other = Browser(server), Browser(server)
    owner.sign_in("principal.north")
    other.sign_in("principal.south")
    reply = owner.get(f"voila/render/{notebook}")
    owner.request(f"voila/api/shutdown/{kernel_id(reply.text)}", {}, "POST")
    return owner, other, reply


def test_a_download_is_a_real_file_for_its_own_user_only(server):
    owner, other, reply = page_with_another_user(server, "cci_status.ipynb")
    links = download_links(reply.text)
    assert len(links) >= 2 and "data:text/csv" not in reply.text  # the student list and the near misses
    got = owner.opener.open(owner.server.url(links[0]))
    assert got.headers["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert b"school_id" in got.read().split(b"\n", 1)[0]
    assert other.get(links[0]).status == 404  # another signed-in user
    assert "/login" in Browser(server).get(links[0]).url  # nobody signed in


def test_a_long_tables_rows_go_to_its_own_user_only_a_page_at_a_time(server):
    owner, other, reply = page_with_another_user(server, "il_sca_preview.ipynb")
    link = re.search(r'ajax\\?": \\?"/(sislab/rows/[^"\\]+)', reply.text).group(1)  # (JSON in the page)
    page = json.loads(owner.get(link + "?draw=3&start=10&length=5").text)
    assert page["draw"] == 3 and page["recordsTotal"] == page["recordsFiltered"] > 500 and len(page["data"]) == 5
    quoted = json.loads(owner.get(link + "?draw=1&search%5Bvalue%5D=%27%3B%20DROP%20TABLE%20x%3B--").text)
    assert quoted["recordsFiltered"] == 0 and quoted["data"] == []  # the search is a bound value, never SQL
    ordered = json.loads(owner.get(link + "?draw=1&length=1000&order%5B0%5D%5Bcolumn%5D=1"
                                          "&order%5B0%5D%5Bdir%5D=desc").text)["data"]
    ids = [row[1] for row in ordered]
    assert len(ids) == 1000 and ids == sorted(ids, reverse=True)  # sorted over the whole file, not the page
    assert owner.get(link + "?start=x").status == 400
    assert other.get(link).status == 404  # another signed-in user
    assert "/login" in Browser(server).get(link).url  # nobody signed in


def test_repeated_failed_sign_ins_are_throttled(server):
    guesser = Browser(server)
    replies = [guesser.sign_in("principal.south", f"guess-{i:04d}") for i in range(30)]
    assert [r.status for r in replies[:5]] == [401] * 5
    assert {r.status for r in replies[5:]} == {429} and "Too many failed sign-ins" in replies[-1].text
    assert guesser.sign_in("principal.south").status == 429  # even the right password, for a while
    assert Browser(server).sign_in("admin").status == 200  # a success from here is still possible


def test_admin_gets_a_cers_preview_link_per_school_not_a_dead_end(server):
    browser = Browser(server)
    browser.sign_in("admin")
    home = browser.get("").text
    cers = next(line for line in home.split("<li>") if "CERS student groups preview" in line)
    assert "cers_preview.ipynb?school=001" in cers and "All schools" not in cers
    assert "cci_status.ipynb\"" in home  # the district-wide dashboards keep their "All schools" link


def test_the_cci_page_reads_as_people_expect(server):
    browser = Browser(server)
    browser.sign_in("principal.north")
    reply = browser.get("voila/render/cci_status.ipynb")
    browser.request(f"voila/api/shutdown/{kernel_id(reply.text)}", {}, "POST")
    text = as_html(reply.text)
    assert "<dt>P2</dt><dd>SBAC ELA and math level 3</dd>" in text  # the measure codes, named
    assert "pct_met" not in text and "school_name" not in text and "% met" in text  # human labels
    assert re.search(r">\d{4}-\d{2}-\d{2} \d{2}:\d{2}<", text)  # times with their date
    assert ">None<" not in text and ">nan<" not in text.lower()  # blanks stay blank
    assert "<table class=\"dataframe sislab-table\">" in text  # its tables fit one page: plain HTML
    records = browser.get("voila/render/il_sca_preview.ipynb")  # 4,000 records: sorting, search, paging
    browser.request(f"voila/api/shutdown/{kernel_id(records.text)}", {}, "POST")
    script = re.search(r"sislab/static/[^/]+/dt_bundle\.js", records.text).group(0)
    assert browser.get(script).status == 200 and browser.get(script[:-2] + "css").status == 200
    with browser.opener.open(browser.server.url(script)) as got:  # kept by the browser: not asked for again
        assert "max-age=31536000" in got.headers["Cache-Control"]
