"""Dashboard and form benchmark: first paint in a real browser, each beside a one-cell page.

The sample district is imported into a scratch workspace, the CCI mass update publishes its
results, the demo CERS profiles and users are made. A scratch copy of the notebooks folder
gets one more notebook, `one_cell.ipynb` (`print(1)`, with the `school` parameter every
dashboard declares), listed in its dashboards.toml. The baseline is that page as plain Voilà
serves it (`voila` on a folder holding only it, no sign-in, no sislab): what Voilà and a kernel
cost before sislab adds anything. sislab's servers serve it too (rows "one_cell").

Dashboards: `sislab serve` runs on that folder and chromium (Debian's, through Playwright)
signs in and loads every dashboard of dashboards.toml and the one-cell page in turn (one
round: one-cell, each dashboard; `--repeat` rounds). A load is timed from navigation to first
paint: the page's main content is visible (`DASHBOARDS` names it per page), checked at every
frame the browser draws. The kernel's start and the notebook's run are inside; the server's
start and the sign-in are not. Target: each dashboard's median <= 1.2 x plain Voilà's
one-cell page's median of the same run ("x plain Voila's one-cell"); "x one-cell" is against
the one-cell page of the same sislab server. `--warm-kernels 0,3` (the default: none and
`sislab serve`'s default) runs one server per count of warm kernels (kernels started ahead
with the dashboards' modules imported) and alternates them in every round, each in its
own browser context: the same run measures the pages without and with them. `--base TREE`
adds the same servers for another source tree (its notebooks, its sislab, in its kernels too):
before and after a change in one run.

Forms: `sislab lab` runs on the same folder and chromium opens each job notebook in
JupyterLab, waits for its kernel to be idle, chooses Run > Run All Cells and times until the
form's first widget is visible (the one-cell notebook's printed `1` for the baseline).
Each load starts from the notebook file as in the repository, in a fresh tab and kernel.
Target: median <= 3 s.

`--profile` adds where a page's time goes on the server: import times of the widget modules
(`python -X importtime`) and each cell's run time in a fresh kernel (nbclient), for every
dashboard and the one-cell notebook.
"""

from __future__ import annotations

import argparse
import contextlib
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
from dataclasses import dataclass
from pathlib import Path

import bench

from sislab.core.serve import WARM_KERNELS

from .common import ROOT, report, scratch

DASHBOARD_RATIO = 1.2  # a dashboard's median over the one-cell page's
FORM_SECONDS = 3.0
ONE_CELL = "one_cell.ipynb"
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 180_000
SETTLE_S = 3.0  # pause before each server's turn in a round


@dataclass(frozen=True)
class Dashboard:
    """A page and what shows that its main content is on screen (every selector visible)."""

    notebook: str
    painted: tuple[str, ...]
    query: str = ""  # e.g. "?school=001" for a page that shows one school at a time


TABLE = "#rendered_cells table.sislab-table tbody td"  # a table of sislab's: plain, or DataTables once drawn
DRAWN = "#rendered_cells .dt-container table.sislab-table tbody td"  # a DataTables table, drawn
DASHBOARDS = {
    ONE_CELL: Dashboard(ONE_CELL, ("#rendered_cells .jp-OutputArea-output pre",)),
    "cci_status.ipynb": Dashboard("cci_status.ipynb", ("#rendered_cells table.sislab-cci-status",
                                                       "#rendered_cells svg.sislab-chart")),
    "district_overview.ipynb": Dashboard("district_overview.ipynb", (TABLE, "#rendered_cells svg.sislab-chart")),
    "il_sca_preview.ipynb": Dashboard("il_sca_preview.ipynb", (DRAWN,)),  # the records: 4,304 for school 001
    "cers_preview.ipynb": Dashboard("cers_preview.ipynb", (TABLE,), "?school=001"),
}
# The job notebooks that show a form in JupyterLab, and the one-cell baseline.
FORMS = ("cci_mass_update.ipynb", "cers_groups.ipynb", "il_sca_extract.ipynb", "ag_alignment.ipynb",
         "roster_check.ipynb", "schedules.ipynb")
FORM_SHOWN = ".jp-Notebook .jp-OutputArea-output .jupyter-widgets"
ONE_CELL_SHOWN = ".jp-Notebook .jp-OutputArea-output pre"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeat", type=int, default=5, help="loads of each page, alternated (default 5)")
    parser.add_argument("--user", default="principal.north", help="demo user who opens the dashboards")
    parser.add_argument("--warm-kernels", default=f"0,{WARM_KERNELS}", metavar="N[,N...]",
                        help="warm kernels of the dashboard server: one server per count, alternated "
                             f"(default 0,{WARM_KERNELS}: none and sislab serve's default)")
    parser.add_argument("--lab-user", default="admin", help="demo user JupyterLab acts as (its forms)")
    parser.add_argument("--no-dashboards", action="store_true", help="skip the dashboards")
    parser.add_argument("--no-forms", action="store_true", help="skip the JupyterLab forms")
    parser.add_argument("--profile", action="store_true", help="also: import times and cell times per dashboard")
    parser.add_argument("--base", type=Path, metavar="TREE",
                        help="also serve the dashboards from this source tree (e.g. a `git archive` of main), "
                             "one server per count of warm kernels, alternated with this tree's in every round")


def run(args: argparse.Namespace) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("dashboard: skipped, chromium is not installed (apt-get install chromium)")
        return
    rows, extra = [], {"load_average": {"before": os.getloadavg()}}
    with scratch() as tmp:
        ws = prepare_workspace(Path(tmp))
        notebooks = served_notebooks(Path(tmp))
        if not args.no_dashboards:
            pages = [ONE_CELL] + dashboards_listed(NOTEBOOKS)
            warm = [int(n) for n in args.warm_kernels.split(",")]
            trees = {"": (ROOT, notebooks)}
            if args.base:
                trees["base "] = (args.base.resolve(), served_notebooks(Path(tmp) / "base", args.base.resolve()))
            with contextlib.ExitStack() as servers:
                bases = {PLAIN: Server(servers.enter_context(plain_voila_server(Path(tmp) / "plain")), [ONE_CELL])}
                bases |= {f"{t}{n} warm": Server(servers.enter_context(dashboard_server(ws, nb, n, tree)), pages,
                                                 args.user)
                          for t, (tree, nb) in trees.items() for n in warm}
                served: dict[str, dict[str, list[float]]] = {k: {} for k in bases}
                seconds = time_dashboards(chromium, bases, args.repeat, served)
            extra["load_average"]["after dashboards"] = os.getloadavg()
            plain = seconds[PLAIN]
            rows += _rows("plain Voila", plain, DASHBOARD_RATIO, ratio_target=True, served=served[PLAIN])
            for t in trees:
                for n in warm:
                    key = f"{t}{n} warm"
                    rows += _rows(f"{t}dashboard ({n} warm)", seconds[key], DASHBOARD_RATIO, ratio_target=True,
                                  served=served[key], plain=plain)
            extra["dashboard_seconds"] = seconds
            extra["dashboard_page_sent_seconds"] = served
        if not args.no_forms:
            forms = [ONE_CELL] + [f for f in FORMS if (NOTEBOOKS / f).exists()]
            with lab_server(ws, notebooks, args.lab_user) as (base, token):
                seconds = time_forms(chromium, base, token, notebooks, forms, args.repeat)
            extra["load_average"]["after forms"] = os.getloadavg()
            rows += _rows("lab form", seconds, FORM_SECONDS, ratio_target=False)
            extra["form_seconds"] = seconds
        if args.profile:
            extra["profile"] = profile(ws, notebooks, [ONE_CELL] + dashboards_listed(NOTEBOOKS))
    if not rows:  # --profile alone
        rows = [{"page": "(no page timed)"}]
    report("dashboard", {"repeat": args.repeat, "user": args.user, "lab_user": args.lab_user,
                         "dashboard_target": f"<= {DASHBOARD_RATIO} x one-cell", "form_target_s": FORM_SECONDS},
           rows, extra)
    print("load average " + "; ".join(f"{k}: {' '.join(f'{v:.1f}' for v in la)}"
                                      for k, la in extra["load_average"].items()))


def _rows(kind: str, seconds: dict[str, list[float]], target: float, ratio_target: bool,
          served: dict[str, list[float]] | None = None,
          plain: dict[str, list[float]] | None = None) -> list[dict]:
    """One row per page: median, min, max, the ratio to the one-cell page of the same run and
    server, and (dashboards) the median seconds until the server had sent the whole page and,
    with `plain` (plain Voilà's seconds), the ratio to its one-cell page: the target's."""
    base = statistics.median(seconds[ONE_CELL])
    baseline = statistics.median(plain[ONE_CELL]) if plain else base
    rows = []
    for name, values in seconds.items():
        median = statistics.median(values)
        meets = "" if name == ONE_CELL else "yes" if (median / baseline if ratio_target else median) <= target else "NO"
        rows.append({"page": f"{kind}: {name.removesuffix('.ipynb')}", "median s": median, "min s": min(values),
                     "max s": max(values), "x one-cell": median / base, "meets target": meets,
                     "page sent s": statistics.median(served[name]) if served else "",
                     "x plain Voila's one-cell": median / baseline if plain else ""})
    return rows


def dashboards_listed(notebooks: Path) -> list[str]:
    """The dashboards of `notebooks/dashboards.toml`; each needs its first-paint selectors."""
    from sislab.core.voila_auth import read_dashboards

    listed = [d.notebook for d in read_dashboards(notebooks)]
    unknown = [n for n in listed if n not in DASHBOARDS]
    if unknown:
        raise SystemExit(f"dashboard: no first-paint selector for {', '.join(unknown)}: add it to DASHBOARDS "
                         "in bench/bench_dashboard.py")
    return listed


def prepare_workspace(folder: Path):
    """The sample district with published CCI results, the demo CERS profiles and users."""
    os.environ["SISLAB_REPORTS"] = str(folder / "reports")
    from sislab import cers
    from sislab.cci import mass_update
    from sislab.core import access, store
    from sislab.core.importer import import_sis
    from sislab.core.workspace import Workspace
    from sislab.demo import DEMO_USER

    ws = Workspace.locate(folder / "workspace")
    import_sis(ROOT / "data" / "sample", ws, user=DEMO_USER)
    access.seed_demo_users(ws)
    with store.snapshot(ws) as con:
        high_schools = mass_update.select_schools(con, all_schools=True)
    mass_update.run(high_schools, ws=ws, user=DEMO_USER, notify_to=None)
    cers.demo(ws, user=DEMO_USER)
    return ws


def served_notebooks(folder: Path, tree: Path = ROOT) -> Path:
    """A copy of the tree's notebooks/ with the one-cell page added to it and to its dashboards.toml."""
    served = Path(shutil.copytree(tree / "notebooks", folder / "notebooks"))
    write_one_cell(served)
    with open(served / "dashboards.toml", "a", encoding="utf-8") as fh:
        fh.write(f'\n[[dashboard]]\nnotebook = "{ONE_CELL}"\ntitle = "One cell (benchmark baseline)"\n')
    return served


def write_one_cell(folder: Path) -> None:
    """The baseline notebook: one cell, the `school` parameter every dashboard declares, `print(1)`."""
    cell = {"cell_type": "code", "execution_count": None, "id": "one-cell", "metadata": {"tags": ["parameters"]},
            "outputs": [], "source": "school = None  # set by the server, as on every dashboard\nprint(1)"}
    kernel = json.loads((NOTEBOOKS / "cci_status.ipynb").read_text())["metadata"]
    (folder / ONE_CELL).write_text(json.dumps({"cells": [cell], "metadata": kernel, "nbformat": 4,
                                               "nbformat_minor": 5}, indent=1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PLAIN = "plain Voila"


@dataclass(frozen=True)
class Server:
    """A dashboard server of the run: its base URL, the pages loaded on it, who signs in (None: nobody)."""

    base: str
    pages: list[str]
    user: str | None = None


class plain_voila_server:
    """Plain Voilà (`voila`, its defaults, no sislab, no sign-in) on a folder holding only the
    one-cell notebook, on a free port for the `with` block; yields its base URL."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()

    def __enter__(self) -> str:
        self.folder.mkdir(parents=True)
        write_one_cell(self.folder)
        self.process = subprocess.Popen([sys.executable, "-m", "voila", "--no-browser", "--port", str(self.port),
                                         "--Voila.ip=127.0.0.1", str(self.folder)], cwd=self.folder,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{self.port}/"
        _wait_for(base, self.process, "voila")
        return base

    def __exit__(self, *exc) -> None:
        _stop(self.process)


class dashboard_server:
    """`sislab serve --warm-kernels N` of source tree `tree` (its server and its kernels import
    that tree's sislab) on a free port for the `with` block; yields its base URL."""

    def __init__(self, ws, notebooks: Path, warm_kernels: int, tree: Path = ROOT):
        self.port = free_port()
        self.notebooks = notebooks
        self.warm_kernels = warm_kernels
        self.tree = tree
        self.env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports)}
        # the tree first, also for this one: kernels start in the notebooks' folder
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")]))

    def __enter__(self) -> str:
        self.process = subprocess.Popen([sys.executable, "-m", "sislab", "serve", "--port", str(self.port),
                                         "--notebooks", str(self.notebooks), "--no-browser",
                                         "--warm-kernels", str(self.warm_kernels)], env=self.env,
                                        cwd=self.tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{self.port}/"
        _wait_for(base + "login", self.process, "sislab serve")
        return base

    def __exit__(self, *exc) -> None:
        _stop(self.process)


class lab_server:
    """`sislab lab --user USER` on a free port for the `with` block; yields (base URL, token)."""

    def __init__(self, ws, notebooks: Path, user: str):
        self.argv = [sys.executable, "-m", "sislab", "lab", "--user", user, "--port", str(free_port()),
                     "--notebooks", str(notebooks)]
        self.env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports)}

    def __enter__(self) -> tuple[str, str]:
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        url = re.search(r"(http://\S+)", self.process.stdout.readline().decode()).group(1)
        base, token = url.split("lab?token=")
        _wait_for(f"{base}api/status?token={token}", self.process, "sislab lab")
        return base, token

    def __exit__(self, *exc) -> None:
        _stop(self.process)


def _wait_for(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def _password(user: str) -> str:
    from sislab.core.access import DEMO_USERS

    with open(DEMO_USERS, newline="", encoding="utf-8") as fh:
        return next(row["demo_password"] for row in csv.DictReader(fh) if row["user_name"] == user)


def time_dashboards(chromium: str, servers: dict[str, Server], repeat: int,
                    served: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, list[float]]]:
    """Seconds to first paint of each page on each server (`servers`, by label, e.g. "2 warm"):
    in each round every page of one server, back to back as a user clicking through (a warm
    kernel started after one page may not be ready for the next), then the next server's; one
    untimed warm-up round first (first imports from a cold disk cache are not what a user
    sees), then `repeat` rounds. Each server has its own browser context (its own sign-in).
    `served` gets, per server and page, the seconds until the server sent the page's last
    byte: Voilà sends it once every cell has run, so the rest is the browser's."""
    from playwright.sync_api import sync_playwright

    seconds = {n: {p: [] for p in server.pages} for n, server in servers.items()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        tabs = {n: _signed_in(browser, server.base, server.user) for n, server in servers.items()}
        for round_ in range(repeat + 1):
            for n, server in servers.items():
                time.sleep(SETTLE_S)  # the other server's kernels started after its last page settle
                for name in server.pages:
                    dashboard = DASHBOARDS[name]
                    start = time.perf_counter()
                    # leaving a page ends its kernel; "commit": not the load event, which waits for every
                    # script the page loads (a page's widgets' scripts come after its content is drawn)
                    tabs[n].goto(f"{server.base}voila/render/{name}{dashboard.query}", wait_until="commit")
                    tabs[n].wait_for_function(VISIBLE, arg=list(dashboard.painted), polling="raf", timeout=TIMEOUT_MS)
                    took = time.perf_counter() - start
                    if round_:
                        seconds[n][name].append(took)
                        served[n].setdefault(name, []).append(tabs[n].evaluate(RESPONSE_END) / 1000)
                    print(f"  {name} ({n}): {took:.2f}s" + ("" if round_ else " (warm-up)"), flush=True)
        browser.close()
    return seconds


def _signed_in(browser, base: str, user: str | None):
    """A tab of a new browser context, signed in to the server at `base` as `user` (None: no sign-in)."""
    context = browser.new_context()
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    page = context.new_page()
    if user is None:
        return page
    page.goto(base + "login")
    page.fill("#username", user)
    page.fill("#password", _password(user))
    page.click("#sign-in")
    page.wait_for_load_state()
    return page


# Every selector matches an element on screen, checked at each frame the browser draws (Playwright's
# own wait_for_selector polls at growing intervals, up to 0.5 s apart: its figure moved in steps).
VISIBLE = """selectors => selectors.every(selector => {
  const element = document.querySelector(selector);
  if (!element) return false;
  const box = element.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== "hidden";
})"""
RESPONSE_END = "performance.getEntriesByType('navigation')[0].responseEnd"


def time_forms(chromium: str, base: str, token: str, notebooks: Path, forms: list[str],
               repeat: int) -> dict[str, list[float]]:
    """Seconds from Run > Run All Cells to the form's first widget on screen, each form in
    turn, `repeat` rounds after a warm-up round. Every load opens the notebook as in the
    repository (JupyterLab saves outputs into the file) in a fresh tab with a fresh kernel."""
    from playwright.sync_api import sync_playwright

    seconds: dict[str, list[float]] = {f: [] for f in forms}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        sign_in = context.new_page()
        sign_in.goto(f"{base}lab?token={token}")  # sets the session cookie
        sign_in.wait_for_selector(".jp-LauncherCard, .jp-DirListing", timeout=TIMEOUT_MS)
        sign_in.close()
        for round_ in range(repeat + 1):
            for name in forms:
                if name != ONE_CELL:
                    shutil.copyfile(NOTEBOOKS / name, notebooks / name)
                page = context.new_page()
                page.goto(f"{base}lab/tree/{name}?reset")
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=TIMEOUT_MS)
                page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=TIMEOUT_MS)
                page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
                run_all = page.get_by_role("menuitem", name="Run All Cells", exact=True)
                run_all.wait_for()
                start = time.perf_counter()
                run_all.click()
                page.wait_for_function(VISIBLE, arg=[ONE_CELL_SHOWN if name == ONE_CELL else FORM_SHOWN],
                                       polling="raf", timeout=TIMEOUT_MS)
                took = time.perf_counter() - start
                errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
                if errors.count() and "Error" in errors.first.inner_text():
                    raise RuntimeError(f"{name} failed in JupyterLab: {errors.first.inner_text()[-500:]}")
                if round_:
                    seconds[name].append(took)
                print(f"  lab {name}: {took:.2f}s" + ("" if round_ else " (warm-up)"), flush=True)
                _end_sessions(base, token)
                page.close()
        browser.close()
    return seconds


def _end_sessions(base: str, token: str) -> None:
    """Shut down every kernel of the Lab, as closing the notebook and its kernel would."""
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(base + "api/sessions", headers=headers)) as r:
        sessions = json.load(r)
    for s in sessions:
        urllib.request.urlopen(urllib.request.Request(f"{base}api/sessions/{s['id']}", headers=headers,
                                                      method="DELETE")).close()


def profile(ws, notebooks: Path, pages: list[str]) -> dict:
    """Where a page's server-side time goes: in a fresh kernel, its start, the notebook's
    imports, and each code cell's run (with school 001); and, in a Python that has already
    imported what a kernel imports, each heavy package's import time (medians of 3)."""
    env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports)}
    cells = {name: _cell_times(notebooks / name, env) for name in pages}
    for name, c in cells.items():
        print(f"{name}: kernel start {c['kernel_start_s']:.2f}s, imports {c['imports_s']:.2f}s, cells "
              + " ".join(f"{s:.2f}" for s in c["cells_s"]))
    imports = {m: statistics.median(_import_seconds(m, env) for _ in range(3)) for m in PROFILED_IMPORTS}
    for m, seconds in imports.items():
        print(f"import {m} (after ipykernel): {seconds:.2f}s")
    return {"cells": cells, "imports_after_kernel_s": imports}


# Cumulative: each line adds to the ones before it, as a notebook's imports would.
PROFILED_IMPORTS = ("numpy", "pyarrow", "pandas", "duckdb", "ipywidgets", "itables", "tornado.web",
                    "sislab.core.store", "sislab.core.downloads", "sislab.widgets", "sislab.overview",
                    "sislab.widgets.cci_dashboard", "sislab.widgets.cers_form", "sislab.widgets.ilsca_form")


def _import_seconds(module: str, env: dict) -> float:
    """Seconds to import `module` in a Python that already holds a kernel's modules and the
    modules listed before it in PROFILED_IMPORTS."""
    before = PROFILED_IMPORTS[:PROFILED_IMPORTS.index(module)]
    code = ("import time, ipykernel.kernelapp, ipykernel.ipkernel\n" + "".join(f"import {m}\n" for m in before)
            + f"t = time.perf_counter()\nimport {module}\nprint(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def _cell_times(path: Path, env: dict) -> dict:
    """Start a kernel; run the notebook's import lines, then its code cells with school 001."""
    import nbformat
    from jupyter_client.manager import start_new_kernel

    nb = nbformat.read(path, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    imports = "\n".join(line for c in code_cells for line in c.source.splitlines()
                        if re.match(r"(from \S+ )?import ", line))
    start = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(path.parent))
    kernel_start = time.perf_counter() - start
    try:
        imports_s = _execute(kc, imports, path)
        took = [_execute(kc, c.source + ("\nschool = '001'\noutput_dir = None"
                                         if "parameters" in c.metadata.get("tags", []) else ""), path)
                for c in code_cells]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return {"kernel_start_s": kernel_start, "imports_s": imports_s, "cells_s": took,
            "total_s": kernel_start + imports_s + sum(took)}


def _execute(kc, code: str, path: Path) -> float:
    start = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=300, output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{path.name}: {reply['content'].get('ename')} {reply['content'].get('evalue')}")
    return time.perf_counter() - start


bench.register(bench.Benchmark("dashboard", "first paint of every dashboard and JupyterLab form in chromium, "
                               "each beside a one-cell page", add_arguments, run))
