"""Dashboard and form benchmark: first paint in a real browser, servers running, each page
beside a one-cell Voilà page (`print(1)`) measured in the same run.

The sample district is imported into a scratch workspace, the CCI mass update publishes its
results and the demo users are created. Then:

- dashboards: `sislab serve` on a copy of the notebooks folder with one more dashboard,
  `one_cell.ipynb` (its parameters cell and `print(1)`). Chromium (Debian's, through
  Playwright) signs in and, round after round, loads each dashboard and the one-cell page in
  turn; a load is timed from navigation to the page's `load` event, when Voilà has run every
  cell and sent the whole page (kernel start and the notebook's run included). Target: each
  dashboard's median <= 1.2 x the one-cell page's median.
- forms: `sislab lab` on the same copy; each form notebook is opened with no kernel running
  (its sessions are deleted first), and timed from Run All Cells to the form's first widget on
  screen (kernel start, imports and the form's queries included). Target: <= 3 s.

Medians of `--loads` rounds (default 5); the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import bench

from .common import ROOT, report, scratch

DASHBOARD_TARGET = 1.2  # x the one-cell page
FORM_TARGET_SECONDS = 3.0
ONE_CELL = "one_cell.ipynb"
DASHBOARDS = ("cci_status.ipynb", "district_overview.ipynb", "il_sca_preview.ipynb", "cers_preview.ipynb")
FORMS = ("cci_mass_update.ipynb", "cers_groups.ipynb", "il_sca_extract.ipynb", "ag_alignment.ipynb",
         "roster_check.ipynb", "schedules.ipynb")
WIDGET = ".jp-OutputArea-output .jupyter-widgets"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--loads", type=int, default=5, help="rounds of page loads to time (default 5)")
    parser.add_argument("--user", default="coordinator", help="demo user to sign in as (dashboards)")
    parser.add_argument("--no-forms", action="store_true", help="time the dashboards only")


def run(args: argparse.Namespace) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("dashboard: skipped, chromium is not installed (apt-get install chromium)")
        return
    with scratch() as tmp:
        ws = prepare_workspace(Path(tmp))
        notebooks = benchmark_notebooks(Path(tmp))
        with dashboard_server(ws, notebooks) as base:
            pages = time_dashboards(chromium, base, args.user, args.loads)
        forms = {} if args.no_forms else time_forms(chromium, ws, notebooks, args.loads)
    baseline = statistics.median(pages[ONE_CELL])
    rows = [{**_row(name, seconds), "x one-cell": statistics.median(seconds) / baseline}
            for name, seconds in pages.items()]
    rows += [{**_row(f"form {name}", seconds), "x one-cell": float("nan")} for name, seconds in forms.items()]
    load = os.getloadavg()
    report("dashboard", {"loads": args.loads, "user": args.user, "load average": f"{load[0]:.1f} {load[1]:.1f}"},
           rows, {"pages_seconds": pages, "forms_seconds": forms, "one_cell_median": baseline,
                  "dashboards_meet_target": all(statistics.median(s) <= DASHBOARD_TARGET * baseline
                                                for n, s in pages.items() if n != ONE_CELL),
                  "forms_meet_target": all(statistics.median(s) <= FORM_TARGET_SECONDS for s in forms.values())})


def _row(label: str, seconds: list[float]) -> dict:
    return {"page": label, "median s": statistics.median(seconds), "min s": min(seconds), "max s": max(seconds)}


def benchmark_notebooks(folder: Path) -> Path:
    """A copy of the notebooks with the one-cell dashboard listed beside the real ones."""
    notebooks = Path(shutil.copytree(ROOT / "notebooks", folder / "notebooks"))
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {"tags": ["parameters"]}, "outputs": [],
              "source": ["school = None\n", "output_dir = None"]},
             {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": ["print(1)"]}]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                      "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    (notebooks / ONE_CELL).write_text(json.dumps(nb), encoding="utf-8")
    with open(notebooks / "dashboards.toml", "a", encoding="utf-8") as fh:
        fh.write(f'\n[[dashboard]]\nnotebook = "{ONE_CELL}"\ntitle = "One cell"\n')
    return notebooks


def prepare_workspace(folder: Path):
    """The sample district with published CCI results and the demo users, in `folder`."""
    os.environ["SISLAB_REPORTS"] = str(folder / "reports")
    from sislab.cci import mass_update
    from sislab.core import access
    from sislab.core.importer import import_sis
    from sislab.core.workspace import Workspace

    ws = Workspace.locate(folder / "workspace")
    import_sis(ROOT / "data" / "sample", ws, user="bench")
    mass_update.run(["001", "002", "006"], ws=ws, user="bench", notify_to=None)
    access.seed_demo_users(ws)
    return ws


class dashboard_server:
    """`sislab serve` on a free port for the `with` block; yields its base URL."""

    def __init__(self, ws, notebooks: Path):
        self.notebooks = notebooks
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports)}

    def __enter__(self) -> str:
        self.process = subprocess.Popen([sys.executable, "-m", "sislab", "serve", "--port", str(self.port),
                                         "--no-browser", "--notebooks", str(self.notebooks)], env=self.env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{self.port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "login", timeout=5).close()
                return base
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("sislab serve did not start") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _password(user: str) -> str:
    from sislab.core.access import DEMO_USERS

    with open(DEMO_USERS, newline="", encoding="utf-8") as fh:
        return next(row["demo_password"] for row in csv.DictReader(fh) if row["user_name"] == user)


def time_dashboards(chromium: str, base: str, user: str, loads: int) -> dict[str, list[float]]:
    """Seconds to each page's load event, the pages taken in turn, `loads` rounds."""
    from playwright.sync_api import sync_playwright

    pages = {name: f"voila/render/{name}?school=001" for name in (*DASHBOARDS, ONE_CELL)}
    seconds: dict[str, list[float]] = {name: [] for name in pages}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page = context.new_page()
        page.goto(base + "login")
        page.fill("#username", user)
        page.fill("#password", _password(user))
        page.click("#sign-in")
        for path in pages.values():  # warm-up: first imports from a cold disk cache are not what a user sees
            page.goto(base + path, wait_until="load", timeout=180_000)
        for _ in range(loads):
            for name, path in pages.items():
                start = time.perf_counter()
                page.goto(base + path, wait_until="load", timeout=180_000)  # the previous page's kernel ends
                seconds[name].append(time.perf_counter() - start)
        browser.close()
    return seconds


def time_forms(chromium: str, ws, notebooks: Path, loads: int) -> dict[str, list[float]]:
    """Seconds from Run All Cells to each form's first widget, in a fresh kernel each time."""
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports)}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lab = subprocess.Popen([sys.executable, "-m", "sislab", "lab", "--user", "admin", "--port", str(port),
                            "--notebooks", str(notebooks)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    seconds: dict[str, list[float]] = {name: [] for name in FORMS}
    try:
        url = re.search(r"(http://\S+)", lab.stdout.readline()).group(1)
        token = url.split("token=")[1]
        base = url.split("lab?")[0]
        _wait(base + f"api/status?token={token}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url)
            for round_ in range(loads + 1):  # round 0 warms the disk cache
                for name in FORMS:
                    _end_sessions(base, token)
                    page.goto(f"{base}lab/tree/{name}?reset&token={token}")  # this form's tab only
                    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
                    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
                    start = time.perf_counter()
                    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
                    page.locator(WIDGET).first.wait_for(timeout=120_000)
                    if round_:
                        seconds[name].append(time.perf_counter() - start)
            browser.close()
    finally:
        lab.send_signal(signal.SIGTERM)
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            lab.kill()
    return seconds


def _end_sessions(base: str, token: str) -> None:
    """Shut down every kernel of the Lab, so that the next form starts a fresh one."""
    with urllib.request.urlopen(f"{base}api/sessions?token={token}", timeout=30) as r:
        for session in json.load(r):
            urllib.request.urlopen(urllib.request.Request(f"{base}api/sessions/{session['id']}?token={token}",
                                                          method="DELETE"), timeout=60).close()


def _wait(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer") from None
            time.sleep(0.3)


bench.register(bench.Benchmark("dashboard", "first paint of each dashboard and form in chromium, beside a "
                               "one-cell Voila page",
                               add_arguments, run))
