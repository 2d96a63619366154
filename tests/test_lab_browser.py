"""The coordinators' JupyterLab in a real browser: `sislab lab` opens the forms on the district's
workspace, and a coordinator runs a CCI mass update from the form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers.chromium import launched, need_chromium
from helpers.dashboard_server import dashboard_workspace, running_lab

from sislab.core.lab import ANNOUNCEMENTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def lab_ws(sample_ws, tmp_path_factory):
    need_chromium()
    return dashboard_workspace(sample_ws, tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="module")
def browser(lab_ws):
    with launched() as chromium:
        yield chromium


def open_form(browser, url: str, notebook: str):
    """A notebook opened in JupyterLab with every cell run (Run > Run All Cells)."""
    page = browser.new_page()
    page.goto(url.replace("/lab?", f"/lab/tree/{notebook}?reset&"))  # this notebook only, not saved tabs
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=90_000)
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    return page


def lab_notebooks(folder: Path) -> Path:
    """A copy of the notebooks: JupyterLab saves what a test runs into the notebook files."""
    return Path(shutil.copytree(NOTEBOOKS, folder / "notebooks"))


def test_a_coordinator_runs_a_cci_mass_update_in_the_jupyterlab_sislab_lab_opened(browser, lab_ws, tmp_path):
    with running_lab(lab_ws, "coordinator", lab_notebooks(tmp_path)) as (server, url):
        page = open_form(browser, url, "cci_mass_update.ipynb")
        schools = page.locator(".widget-select-multiple select")
        schools.wait_for(timeout=90_000)
        schools.select_option(label="001 North High")
        page.click("button:has-text('Process')")
        page.wait_for_selector("text=/Run \\d+ succeeded/", timeout=180_000)
        text = page.inner_text(".jp-Notebook")
        assert "North High" in text and "done" in text
        page.close()
        # its kernel talked to the Lab over encrypted sockets (ipykernel warns when it does not)
        assert "Kernel started" in server.log_text() and "without encryption" not in server.log_text()


def test_the_illinois_file_downloads_with_one_click_from_the_form(browser, lab_ws, tmp_path):
    with running_lab(lab_ws, "admin", lab_notebooks(tmp_path)) as (_server, url):
        page = open_form(browser, url, "il_sca_extract.ipynb")
        page.locator("button:has-text('Produce file')").wait_for(timeout=120_000)
        page.click("button:has-text('Produce file')")
        link = page.locator("a.sislab-download", has_text="SCA8_")
        link.wait_for(timeout=180_000)
        with page.expect_download() as download:
            link.click()
        name = download.value.suggested_filename
        assert name.startswith("SCA8_") and name.endswith("_001.txt")
        produced = next(lab_ws.reports.glob(f"**/{name}"))
        assert open(download.value.path(), "rb").read() == produced.read_bytes()  # the file itself
        # every record in the table: JupyterLab's server answers its pages (sislab.core.downloads)
        page.wait_for_function("[...document.querySelectorAll('.dt-info')].some(e => "
                               "/ of [0-9,]{4,} entries/.test(e.innerText))", timeout=60_000)
        assert cut_labels(page) == []
        page.close()


LABELS = """[...document.querySelectorAll('.jp-OutputArea .widget-label, .jp-OutputArea .widget-label-basic,'
                                       + ' .jp-OutputArea .widget-toggle-button')].filter(e => e.offsetParent !== null)"""
LAID_OUT = f"() => {LABELS}.length > 0 && {LABELS}.every(e => e.clientWidth > 0 || e.textContent.trim() === '')"
CUT_LABELS = f"() => {LABELS}.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"


def cut_labels(page) -> list[str]:
    """The form's labels that do not show whole (ipywidgets ends them with an ellipsis), once laid out."""
    page.wait_for_function(LAID_OUT, timeout=30_000)
    return page.evaluate(CUT_LABELS)


@pytest.mark.parametrize("notebook, control", [("ag_alignment.ipynb", "Middle schools by UC's grade 7-8 rule (mathematics and LOTE only; not rated)"),
                                               ("roster_check.ipynb", "Confirm a large drop against the accepted feed"),
                                               ("cers_groups.ipynb", "Include only primary classes")])
def test_every_label_of_a_form_reads_whole_and_the_lab_asks_nothing_of_jupyter_org(browser, lab_ws, tmp_path,
                                                                                  notebook, control):
    """ipywidgets cuts a label longer than its control ("Rate middle schools agains..."); and
    JupyterLab's news pop-up (fetched from jupyter.org) is not a district's question."""
    with running_lab(lab_ws, "admin", lab_notebooks(tmp_path)) as (_server, url):
        page = open_form(browser, url, notebook)
        page.get_by_text(control, exact=True).wait_for(timeout=90_000)
        assert cut_labels(page) == []
        config = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent)")
        assert config["news"] == {"disabled": True}
        assert ANNOUNCEMENTS in config["disabledExtensions"]
        assert page.get_by_text("official Jupyter news").count() == 0  # the question it asked every new user
        page.close()
