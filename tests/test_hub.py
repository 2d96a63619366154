"""sislab under a real JupyterHub (from PyPI) with configurable-http-proxy (from npm), started
here with a test authenticator: a coordinator signs in to the hub and runs a CCI mass update in
their own JupyterLab; a principal signs in and gets their school's dashboards and no JupyterLab.

`make test` installs both. Where they are missing the tests are skipped, saying so."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from helpers.chromium import launched, need_chromium
from helpers.dashboard_server import dashboard_workspace, free_port, stop

from sislab.core import store

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
PROXY = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
HUB_PASSWORD = "hub-test-password"  # DummyAuthenticator: every user signs in with it
CONFIG = """
from sislab.core import hub
from sislab.core.workspace import Workspace

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{folder}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "{folder}/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
hub.configure(c, Workspace.locate({ws!r}), notebooks=Path({notebooks!r}), service_port={service_port})
"""


def proxy_command() -> str | None:
    return str(PROXY) if PROXY.exists() else shutil.which("configurable-http-proxy")


@pytest.fixture(scope="module")
def hub(sample_ws, tmp_path_factory):
    need_chromium()
    pytest.importorskip("jupyterhub", reason="SKIPPED: jupyterhub is not installed (`make test` installs it)")
    proxy = proxy_command()
    if proxy is None:
        pytest.skip("SKIPPED: configurable-http-proxy is not installed (`make test` installs it with npm)")
    folder = tmp_path_factory.mktemp("hub")
    ws = dashboard_workspace(sample_ws, folder)
    notebooks = Path(shutil.copytree(ROOT / "notebooks", folder / "notebooks"))
    port = free_port()
    config = folder / "jupyterhub_config.py"
    config.write_text("from pathlib import Path\n" + CONFIG.format(
        port=port, hub_port=free_port(), proxy_api_port=free_port(), proxy=proxy, folder=folder,
        password=HUB_PASSWORD, ws=str(ws.root), notebooks=str(notebooks), service_port=free_port()))
    log = folder / "hub.log"
    env = {**os.environ, "SISLAB_REPORTS": str(ws.reports)}
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=folder,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(base + "hub/health", process, log)
        yield base, ws, log
    finally:
        stop(process, 60)


def _wait_for(url: str, process, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterHub did not start:\n{log.read_text(errors='replace')[-5000:]}") from None
            time.sleep(0.5)


@pytest.fixture(scope="module")
def browser(hub):
    with launched() as chromium:
        yield chromium


def hub_sign_in(browser, base: str, user: str):
    page = browser.new_context().new_page()
    page.goto(base + "hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", HUB_PASSWORD)
    page.click("#login_submit")
    return page


def test_a_principal_gets_their_schools_dashboards_and_no_jupyterlab(browser, hub):
    base, _ws, _log = hub
    page = hub_sign_in(browser, base, "principal.north")
    page.wait_for_url("**/services/sislab/**", timeout=60_000)
    home = page.inner_text("body")
    assert "CCI status" in home and "North High" in home and "South High" not in home
    assert page.goto(base + "hub/spawn").status == 403  # asking for a JupyterLab anyway
    page.goto(base + "user/principal.north/lab")
    page.wait_for_load_state("networkidle")
    assert "/user/principal.north/lab" not in page.url and page.locator(".jp-LabShell").count() == 0
    page.goto(base + "services/sislab/voila/render/cci_status.ipynb")
    page.wait_for_selector("#rendered_cells .jp-OutputArea-output", timeout=120_000)
    text = page.inner_text("#rendered_cells")
    assert "North High" in text and "South High" not in text


def test_a_coordinator_runs_a_cci_mass_update_in_their_own_jupyterlab(browser, hub):
    base, ws, _log = hub
    page = hub_sign_in(browser, base, "coordinator")
    page.wait_for_url("**/user/coordinator/lab**", timeout=180_000)
    page.goto(base + "user/coordinator/lab/tree/cci_mass_update.ipynb?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    schools = page.locator(".widget-select-multiple select")
    schools.wait_for(timeout=120_000)
    assert "006" not in schools.inner_text()  # only the coordinator's schools are offered
    schools.select_option(label="002 South High")
    page.click("button:has-text('Process')")
    page.wait_for_selector("text=/Run \\d+ succeeded/", timeout=240_000)
    with closing(store.app_state(ws)) as con:
        user, scope = con.execute("SELECT user_name, scope FROM job ORDER BY job_id DESC LIMIT 1").fetchone()
    assert user == "coordinator" and "002" in scope  # the job record names the hub user
    assert page.get_by_text("official Jupyter news").count() == 0  # the hub's Labs are set up as sislab lab's
