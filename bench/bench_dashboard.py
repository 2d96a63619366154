"""Dashboard benchmark: first paint of the CCI status page in a real browser, server running.

The sample district is imported into a scratch workspace, the CCI mass update publishes its
results and the demo users are created; then `sislab serve` starts and chromium (Debian's,
through Playwright) signs in as the sample principal and loads the page again and again. Each
load is timed from navigation to (a) first paint: the status table and the chart are on
screen, and (b) the drill-down widgets are live. The page's kernel start and the notebook's
run are inside those figures; the server's start and the sign-in are not. Target: median
first paint <= 2 s.
"""

from __future__ import annotations

import argparse
import csv
import os
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

TARGET_SECONDS = 2.0
PAGE = "voila/render/cci_status.ipynb"
PAINTED = "#rendered_cells table.sislab-cci-status"
LIVE = "#rendered_cells .widget-select"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--loads", type=int, default=10, help="page loads to time (default 10)")
    parser.add_argument("--user", default="principal.north", help="demo user to sign in as")


def run(args: argparse.Namespace) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("dashboard: skipped, chromium is not installed (apt-get install chromium)")
        return
    with scratch() as tmp:
        ws = prepare_workspace(Path(tmp))
        with dashboard_server(ws) as base:
            painted, live = time_page_loads(chromium, base, args.user, args.loads)
    rows = [_row("first paint (table + chart)", painted), _row("widgets live", live)]
    median = statistics.median(painted)
    report("dashboard", {"page": PAGE, "user": args.user, "loads": args.loads, "target_s": TARGET_SECONDS}, rows,
           {"first_paint_seconds": painted, "widgets_live_seconds": live, "meets_target": median <= TARGET_SECONDS})
    print(f"median first paint {median:.2f}s (target <= {TARGET_SECONDS:.0f}s)")


def _row(label: str, seconds: list[float]) -> dict:
    return {"measure": label, "median s": statistics.median(seconds), "min s": min(seconds), "max s": max(seconds)}


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

    def __init__(self, ws):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports)}

    def __enter__(self) -> str:
        self.process = subprocess.Popen([sys.executable, "-m", "sislab", "serve", "--port", str(self.port),
                                         "--no-browser"], env=self.env, cwd=ROOT,
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


def time_page_loads(chromium: str, base: str, user: str, loads: int) -> tuple[list[float], list[float]]:
    """Seconds to first paint and to live widgets, for each of `loads` loads of the page."""
    from playwright.sync_api import sync_playwright

    from sislab.core.access import DEMO_USERS

    with open(DEMO_USERS, newline="", encoding="utf-8") as fh:
        password = next(row["demo_password"] for row in csv.DictReader(fh) if row["user_name"] == user)
    painted, live = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page = context.new_page()
        page.goto(base + "login")
        page.fill("#username", user)
        page.fill("#password", password)
        page.click("#sign-in")
        page.goto(base + PAGE)  # warm-up: first imports from a cold disk cache are not what a user sees
        page.wait_for_selector(LIVE, timeout=120_000)
        for _ in range(loads):
            start = time.perf_counter()
            page.goto(base + PAGE)  # leaving the previous page shuts its kernel down
            page.wait_for_selector(PAINTED, state="visible", timeout=120_000)
            painted.append(time.perf_counter() - start)
            page.wait_for_selector(LIVE, timeout=120_000)
            live.append(time.perf_counter() - start)
        browser.close()
    return painted, live


bench.register(bench.Benchmark("dashboard", "first paint of the CCI dashboard in chromium, server running",
                               add_arguments, run))
