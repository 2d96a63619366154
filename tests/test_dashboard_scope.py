"""Dashboards over HTTP and the kernel websocket, against one real `sislab serve`: sign-in, and
every request a principal can make to widen their school scope (URL, query string, widget
values, Voilà's and jupyter_server's kernel endpoints), kernel ownership and the kernel cap."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from pathlib import Path

import pytest
from helpers.dashboard_server import (Browser, KernelChannel, dashboard_workspace, download_links, kernel_id,
                                     running_server)
from tornado.websocket import WebSocketClosedError
from tornado.httpclient import HTTPClientError

from sislab.cci import dashboard
from sislab.core import access, store
from sislab.core.runner import notebooks_dir

pytestmark = pytest.mark.slow
CCI = "voila/render/cci_status.ipynb"
OVERVIEW = "voila/render/district_overview.ipynb"
ECHO = "voila/render/scope_echo.ipynb"
KERNELS_PER_USER = 2


@pytest.fixture(scope="module")
def ws(sample_ws, tmp_path_factory):
    return dashboard_workspace(sample_ws, tmp_path_factory.mktemp("dashboards"))


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> Path:
    """The real notebooks and dashboards.toml, plus a test dashboard that shows what it was given."""
    folder = tmp_path_factory.mktemp("notebooks")
    for nb in notebooks_dir().glob("*.ipynb"):
        shutil.copy(nb, folder)
    shutil.copy(Path(__file__).parent / "notebooks" / "scope_echo.ipynb", folder)
    listed = (notebooks_dir() / "dashboards.toml").read_text(encoding="utf-8")
    (folder / "dashboards.toml").write_text(listed + '\n[[dashboard]]\nnotebook = "scope_echo.ipynb"\ntitle = "Echo"\n')
    return folder


@pytest.fixture(scope="module")
def server(ws, notebooks):
    with running_server(ws, notebooks, "--kernels-per-user", str(KERNELS_PER_USER)) as server:
        yield server


@pytest.fixture(scope="module")
def students(ws) -> dict[str, set[str]]:
    """Student ids each high school's CCI dashboard lists."""
    with store.snapshot(ws) as con:
        return {s: set(dashboard.load(con, school=s).students["student_id"]) for s in ("001", "002")}


def signed_in(server, user: str) -> Browser:
    browser = Browser(server)
    assert browser.sign_in(user).status == 200
    return browser


def downloads(browser: Browser, page: str) -> list[str]:
    """The files the page's download links answer with, as its user gets them."""
    files = [browser.get(link) for link in download_links(page)]
    assert all(f.status == 200 for f in files)
    return [f.text for f in files]


def everything_in(page: str, browser: Browser | None = None) -> str:
    """The page with the files its download links give (they carry student rows too)."""
    return page + "".join(downloads(browser, page) if browser else [])


def shows_students(page: str, ids: set[str], browser: Browser | None = None) -> set[str]:
    text = everything_in(page, browser)
    return {i for i in ids if i in text}


def close_kernel(browser: Browser, page: str) -> None:
    assert browser.request(f"voila/api/shutdown/{kernel_id(page)}", {}, "POST").status == 204


# --- sign-in -------------------------------------------------------------------------------

def test_dashboard_without_sign_in_is_sent_to_the_login_page(server):
    reply = Browser(server).get(CCI)
    assert "/login?next=" in reply.url and "North High" not in reply.text


def test_the_access_log_keeps_no_query_string(server):
    """A rows request carries what the viewer typed in a table's search box (a student's name):
    a refused one was logged whole, query string included."""
    browser = signed_in(server, "principal.north")
    reply = browser.get("sislab/rows/" + "A" * 32 + "/table.parquet?draw=1&start=0&length=25&search%5Bvalue%5D=Olivia%20White")
    assert reply.status == 404
    logged = "/sislab/rows/" + "A" * 32 + "/table.parquet"
    deadline = time.monotonic() + 10  # the server logs a request after answering it
    while logged not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = server.log_text()
    assert logged in log and "Olivia" not in log and "search" not in log


def test_wrong_password_is_refused(server):
    browser = Browser(server)
    reply = browser.sign_in("principal.north", "not-the-password")
    assert reply.status == 401 and "Wrong user name or password" in reply.text
    assert "/login" in browser.get(CCI).url
    assert "sign-in refused for user name 'principal.north'" in server.log_text()
    assert "not-the-password" not in server.log_text()


def test_signing_out_ends_the_session_even_for_a_copied_cookie(server):
    browser = signed_in(server, "principal.north")
    page = browser.get(ECHO)
    copy = Browser(server)
    for cookie in browser.cookies:
        copy.cookies.set_cookie(cookie)
    assert browser.get("logout").status == 200
    for client in (browser, copy):
        assert "/login" in client.get(ECHO).url
    assert f"Kernel shutdown: {kernel_id(page.text)}" in server.log_text()  # its kernel went with it


def test_a_password_change_or_removal_ends_open_sessions(server, ws):
    access.add_user(ws, "temp.principal", "principal", ["001"], "first-password")
    browser = Browser(server)
    browser.sign_in("temp.principal", "first-password")
    assert browser.get("").url == server.url("")
    access.set_password(ws, "temp.principal", "second-password")
    assert "/login" in browser.get("").url
    browser.sign_in("temp.principal", "second-password")
    access.remove_user(ws, "temp.principal")
    assert "/login" in browser.get("").url


# --- scope ---------------------------------------------------------------------------------

def test_principal_sees_their_school_with_chart_and_tables_only(server, students):
    browser = signed_in(server, "principal.north")
    reply = browser.get(CCI)
    close_kernel(browser, reply.text)
    assert reply.status == 200
    assert "North High" in reply.text and "South High" not in reply.text
    assert "sislab-chart" in reply.text and "sislab-cci-status" in reply.text
    assert not [code for code in ("from sislab", "load_dashboard", 'school = "001"') if code in reply.text]
    assert shows_students(reply.text, students["001"], browser)
    assert not shows_students(reply.text, students["002"], browser)


@pytest.mark.parametrize("query", ["school=002", "school=002&school=002", "school=", "school=001%27%20or%201=1",
                                   "school=all", "school=*", "school=001,002", "school=..%2F002"])
def test_principal_asking_for_another_school_is_refused_and_logged(server, students, query):
    reply = signed_in(server, "principal.north").get(f"{CCI}?{query}")
    assert reply.status == 403
    assert not shows_students(reply.text, students["002"]) and "South High" not in reply.text
    assert "sislab: refused cci_status.ipynb school" in server.log_text()


def test_refusal_log_names_user_and_school_code_only(server, students):
    signed_in(server, "principal.north").get(f"{OVERVIEW}?school=002")
    line = next(l for l in server.log_text().splitlines() if "refused district_overview.ipynb" in l)
    assert line.endswith("refused district_overview.ipynb school '002' to principal.north")
    assert not shows_students(server.log_text(), students["001"] | students["002"])


@pytest.mark.parametrize("query", ["SCHOOL=002", "school%5B%5D=002", "school=002&school=001", "output_dir=%2Ftmp",
                                   "template=classic&theme=dark&school=001"])
def test_other_query_values_never_change_the_page_parameters(server, query):
    browser = signed_in(server, "principal.north")
    reply = browser.get(f"{ECHO}?{query}")
    close_kernel(browser, reply.text)
    assert "SCOPE school=[001] output_dir=[None] QUERY_STRING=[]" in reply.text
    assert "must be overridden by the server" not in reply.text and "print(f" not in reply.text  # no sources


def test_the_kernel_gets_its_school_as_a_parameter_and_no_query_string(server):
    browser = signed_in(server, "principal.north")
    reply = browser.get(f"{ECHO}?school=001&x=1")
    close_kernel(browser, reply.text)
    shown = reply.text.split("SCOPE", 1)[1].split("END", 1)[0]
    assert shown.startswith(" school=[001] output_dir=[None] QUERY_STRING=[] VOILA_REQUEST_URL=[http")
    assert "school=001" not in shown and "x=1" not in shown


def test_coordinator_chooses_among_their_schools_only(server, students):
    browser = signed_in(server, "coordinator")
    south = browser.get(f"{CCI}?school=002")
    close_kernel(browser, south.text)
    assert "South High" in south.text and "North High" not in south.text
    assert browser.get(f"{CCI}?school=006").status == 403


def test_admin_sees_every_school_or_the_one_asked_for(server):
    browser = signed_in(server, "admin")
    everything = browser.get(OVERVIEW)
    close_kernel(browser, everything.text)
    assert "North High" in everything.text and "Willow Elementary" in everything.text


def test_a_page_with_a_long_table_has_the_browser_fetch_its_script_while_the_cells_run(server):
    browser = signed_in(server, "principal.north")
    preview = browser.get("voila/render/il_sca_preview.ipynb")  # the school's 4,000 records
    close_kernel(browser, preview.text)
    imported = re.search(r"(/sislab/static/[^'\"\\]+/dt_bundle\.js)", preview.text).group(1)  # what its tables import
    assert preview.headers["Link"].startswith(f"<{imported}>; rel=modulepreload, <")
    assert browser.get(preview.headers["Link"].split("<")[2].split(">")[0]).status == 200  # the style sheet
    cci = browser.get(CCI)  # no table past one page for a school: nothing fetched ahead
    close_kernel(browser, cci.text)
    assert "dt_bundle" not in cci.text and "Link" not in cci.headers


@pytest.mark.parametrize("path", ["voila/render/cci_mass_update.ipynb", "voila/render/schedules.ipynb",
                                  "voila/render/./cci_status.ipynb", "voila/render/dashboards.toml",
                                  "voila/files/dashboards.toml", "voila/files/cci_status.ipynb",
                                  "voila/api/contents", "voila/api/contents/cci_status.ipynb", "api/kernels",
                                  "api/sessions", "api/contents/cci_status.ipynb", "lab", "tree"])
def test_only_listed_dashboards_are_served(server, path):
    reply = signed_in(server, "principal.north").get(path)
    assert reply.status in (403, 404, 405) and "North High" not in reply.text


def test_home_page_lists_the_dashboards_for_the_users_schools(server):
    page = signed_in(server, "coordinator").get("").text
    assert "CCI status" in page and "?school=001" in page and "?school=002" in page and "schedules" not in page


# --- the kernel: no code from the browser, widget values checked, owners, cap ----------------

def test_execute_request_from_the_browser_is_dropped(server, tmp_path):
    browser = signed_in(server, "principal.north")
    page = browser.get(ECHO).text
    marker = tmp_path / "ran"

    async def attempt() -> list[str]:
        channel = await KernelChannel.open(browser, kernel_id(page))
        try:
            executed = await channel.send("execute_request", {"code": f"open({str(marker)!r}, 'w').write('x')",
                                                              "silent": False, "store_history": False})
            info = await channel.send("kernel_info_request", {})
            await channel.replies_to(info, until="kernel_info_reply")
            await asyncio.sleep(0.5)  # an execution would have replied before kernel_info by now
            return [m["header"]["msg_type"] for m in channel.received.get(executed, [])]
        finally:
            channel.close()

    assert asyncio.run(attempt()) == []
    close_kernel(browser, page)
    assert not marker.exists()
    assert 'Received message of type "execute_request", which is not allowed' in server.log_text()


def test_widget_values_cannot_reach_another_schools_students(server, students):
    browser = signed_in(server, "principal.north")
    page = browser.get(CCI).text
    other = sorted(students["002"])[0]

    async def tamper() -> str:
        channel = await KernelChannel.open(browser, kernel_id(page))
        try:
            widgets = await channel.widget_states()
            drilldown = next(s["children"] for s in widgets.values() if s["_model_name"] == "VBoxModel")
            find, pick, detail = (child.removeprefix("IPY_MODEL_") for child in drilldown)
            assert widgets[find]["_model_name"] == "TextModel" and widgets[pick]["_model_name"] == "SelectModel"
            await channel.set_widget(find, {"value": other})
            await channel.set_widget(pick, {"index": 0})
            await channel.set_widget(pick, {"index": len(students["001"]) + 5})
            states = await channel.widget_states()
            return str(states[pick]) + str(states[detail])
        finally:
            channel.close()

    seen = asyncio.run(tamper())
    close_kernel(browser, page)
    assert other not in seen and not shows_students(seen, students["002"])


def test_another_users_kernel_cannot_be_attached_read_or_shut_down(server):
    owner = signed_in(server, "principal.north")
    page = owner.get(ECHO).text
    kernel = kernel_id(page)
    intruder = signed_in(server, "principal.south")
    assert intruder.get(f"api/kernels/{kernel}").status == 403
    assert intruder.request(f"api/kernels/{kernel}", None, "DELETE").status == 403
    assert intruder.request(f"voila/api/shutdown/{kernel}", {}, "POST").status == 403
    with pytest.raises((HTTPClientError, WebSocketClosedError)):
        asyncio.run(KernelChannel.open(intruder, kernel))
    assert owner.get(f"api/kernels/{kernel}").status == 200  # still there, still the owner's
    close_kernel(owner, page)


def test_past_the_cap_a_new_tab_takes_the_kernel_of_the_users_least_recently_used_one(server):
    browser = signed_in(server, "principal.south")
    pages = [browser.get(ECHO) for _ in range(KERNELS_PER_USER)]
    neighbour = signed_in(server, "principal.north")
    other_user = neighbour.get(ECHO)
    newest = browser.get(ECHO)
    assert [p.status for p in pages] == [200] * KERNELS_PER_USER and newest.status == 200
    # the oldest gave its kernel up (its owner is refused: there is nothing left to own); the others live
    assert browser.get(f"api/kernels/{kernel_id(pages[0].text)}").status == 403
    assert browser.get(f"api/kernels/{kernel_id(pages[1].text)}").status == 200
    for page in pages[1:] + [newest]:
        close_kernel(browser, page.text)
    close_kernel(neighbour, other_user.text)  # another user's kernel was never touched


def test_the_server_talks_to_its_kernels_over_encrypted_sockets(server):
    """Kernel ports are on 127.0.0.1, which every local account reaches: CurveZMQ, keys per kernel.
    A kernel started without keys says so in the server's log (ipykernel's warning)."""
    browser = signed_in(server, "principal.north")
    page = browser.get(ECHO).text
    close_kernel(browser, page)
    log = server.log_text()
    assert f"Kernel shutdown: {kernel_id(page)}" in log
    assert "without encryption" not in log


def test_every_page_gets_a_warm_kernel_no_other_page_or_user_had(server):
    """A warm kernel goes to one page view only: it shows its own user, no earlier page's names,
    and its kernel is shut down with the page, never handed out again."""
    north, south = signed_in(server, "principal.north"), signed_in(server, "principal.south")
    seen = []
    for browser, user in [(north, "principal.north"), (south, "principal.south")] * 2:
        page = browser.get(ECHO).text
        close_kernel(browser, page)
        seen.append((user, kernel_id(page), page.split("KERNEL", 1)[1].split("END", 1)[0]))
    assert len({kernel for _, kernel, _ in seen}) == len(seen)
    assert [shown.strip() for _, _, shown in seen] == [f"user=[{user}] earlier_page=[False] warm=[True]"
                                                       for user, _, _ in seen]
    log = server.log_text()
    assert all(f"Kernel shutdown: {kernel}" in log for _, kernel, _ in seen)
