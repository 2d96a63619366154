"""The dashboards in a real browser (Debian's chromium driven by Playwright): sign-in, the
principal's CCI page with its chart and tables, URL tampering, a wrong password, sign-out."""

from __future__ import annotations

import re

import pytest
from helpers.chromium import launched, need_chromium
from helpers.dashboard_server import DEMO_PASSWORD, dashboard_workspace, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RENDERED = "#rendered_cells .jp-OutputArea-output"  # shown once every cell has run
WIDGETS = "#rendered_cells .widget-select"  # the drill-down: widgets are live


@pytest.fixture(scope="module")
def server(sample_ws, tmp_path_factory):
    need_chromium()
    ws = dashboard_workspace(sample_ws, tmp_path_factory.mktemp("browser"))
    with running_server(ws) as server:
        yield server


@pytest.fixture(scope="module")
def browser(server):
    with launched() as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url else route.continue_())
    yield context.new_page()
    context.close()


def sign_in(page, server, user: str, password: str = DEMO_PASSWORD, then: str = "") -> None:
    page.goto(server.url(f"login?next=/{then}"))
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#sign-in")


def test_principal_signs_in_and_sees_their_cci_dashboard_rendered(page, server):
    sign_in(page, server, "principal.north", then="voila/render/cci_status.ipynb")
    page.wait_for_selector(WIDGETS, timeout=90_000)
    text = page.inner_text("#rendered_cells")
    assert "North High" in text and "South High" not in text
    assert page.locator("#rendered_cells svg.sislab-chart rect").count() >= 1  # the % Prepared chart
    assert page.locator("#rendered_cells table.sislab-cci-status").is_visible()
    assert page.locator("#rendered_cells table.sislab-table").count() >= 2
    assert "from sislab" not in page.content()


def test_principal_tampering_with_the_query_gets_no_other_schools_data(page, server):
    sign_in(page, server, "principal.north")
    response = page.goto(server.url("voila/render/cci_status.ipynb?school=002"))
    assert response.status == 403
    assert "South High" not in page.content() and "not one of yours" in page.content()


def test_a_dashboard_asks_its_own_server_only_and_its_icons_still_draw(browser, server):
    """Voilà's lab template links Font Awesome from cdn.jsdelivr.net; sislab's page template drops
    the links (the page's own scripts carry Font Awesome). A principal's browser then asks no third
    party, and no page waits for a style sheet a district's network cannot reach."""
    context = browser.new_context()
    asked = []

    def only_the_server(route):
        asked.append(route.request.url)
        route.continue_() if route.request.url.startswith(server.url("")) else route.abort()

    context.route("**/*", only_the_server)
    page = context.new_page()
    try:
        sign_in(page, server, "principal.north", then="voila/render/cci_status.ipynb")
        page.wait_for_selector(WIDGETS, timeout=90_000)
        assert [url for url in asked if not url.startswith(server.url(""))] == []
        font = page.evaluate("""() => { const i = document.createElement('i'); i.className = 'fa fa-download';
            document.body.append(i); return getComputedStyle(i, '::before').fontFamily; }""")
        assert "Font Awesome" in font
    finally:
        context.close()


def test_wrong_password_is_refused(page, server):
    sign_in(page, server, "principal.north", "wrong-password")
    assert page.locator("[role=alert]").inner_text() == "Wrong user name or password."
    page.goto(server.url("voila/render/cci_status.ipynb"))
    assert "/login" in page.url


def test_signing_out_ends_the_session(page, server):
    sign_in(page, server, "principal.north")
    assert page.inner_text("#signed-in-user").startswith("Pat North")
    page.click("#sign-out")
    assert "signed out" in page.content()
    page.goto(server.url("voila/render/district_overview.ipynb"))
    assert "/login" in page.url


def test_principal_opens_a_near_miss_senior_and_downloads_the_near_misses(page, server):
    sign_in(page, server, "principal.north", then="voila/render/cci_status.ipynb")
    page.wait_for_selector(WIDGETS, timeout=90_000)
    page.fill("#rendered_cells .widget-text input", "senior")  # the find box: seniors of the near-miss list
    page.wait_for_function("document.querySelector('#rendered_cells .widget-select option')"
                           "?.textContent.includes('senior')", timeout=30_000)
    senior = page.locator(f"{WIDGETS} option").first.inner_text()
    page.select_option(f"{WIDGETS} select", label=senior)
    detail = page.locator("#rendered_cells h4", has_text="— senior")
    detail.wait_for(timeout=30_000)
    assert senior.replace("\xa0", " ").split(" · ")[0] in detail.inner_text()  # the student chosen
    with page.expect_download() as download:
        page.click("a.sislab-download:has-text('near misses')")
    path = download.value.path()
    assert download.value.suggested_filename == "near_misses.csv"
    rows = open(path, encoding="utf-8").read().splitlines()
    assert rows[0].startswith("requirement,") and len(rows) > 1 and "South High" not in "".join(rows)


def test_a_long_table_pages_searches_and_sorts_through_the_server(page, server):
    """The Illinois preview's thousands of records are not inside the page: DataTables asks the
    server for the page it shows, searched there (sislab.core.downloads.RowsHandler). Each step
    waits in the page itself for the records table (the first) to show what it asks for."""
    sign_in(page, server, "principal.north", then="voila/render/il_sca_preview.ipynb")
    # the records table is the page's first; the findings after it may be served too (> 500 rows)
    table = "document.querySelector('#rendered_cells .dt-container')"

    def shown(condition: str, timeout: int = 30_000):
        """Wait until `condition` (JS over `info`, the table's "Showing 1 to 25 of 4,304 entries",
        and `rows`, its rows' texts) holds; returns [info, rows] as then."""
        return page.wait_for_function(
            f"() => {{ const t = {table}; if (!t) return false;"
            f" const info = t.querySelector('.dt-info')?.innerText || '';"
            f" const rows = [...t.querySelectorAll('tbody tr')].map(r => r.innerText);"
            f" return ({condition}) && [info, rows]; }}", timeout=timeout).json_value()

    info, rows = shown("rows.length == 25 && / of [0-9,]{4,} entries/.test(info)", timeout=90_000)  # > 500 rows
    total = int(re.search(r" of ([\d,]+) entries", info).group(1).replace(",", ""))
    assert '"data_json": ""' in page.content()  # its records served, none inside the page
    records = page.locator("#rendered_cells .dt-container", has=page.locator(".dt-info", has_text=f"of {total:,}"))
    records.locator(".dt-paging button", has_text="2").first.click()
    _, second = shown(f"info.startsWith('Showing 26 to 50') && rows.length == 25 && rows[0] != {rows[0]!r}")
    needle = second[0].split("\t")[3]  # a value of the second page, from the server
    records.locator(".dt-search input").first.fill(needle)
    table = ("[...document.querySelectorAll('#rendered_cells .dt-container')].find(c => "
             "c.querySelector('.dt-info')?.innerText.includes('filtered from ' + " + repr(f"{total:,}") + "))")
    info, _ = shown(f"rows.length > 0 && rows.every(r => r.toLowerCase().includes({needle.lower()!r}))")
    assert 0 < int(re.search(r" of ([\d,]+) entries", info).group(1).replace(",", "")) < total
