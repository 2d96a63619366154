"""The A-G check and OneRoster forms (notebooks/ag_alignment.ipynb, notebooks/roster_check.ipynb).

Each form collects choices, runs the job through the same functions as the command line and the
schedules (`sislab.ag.job`, `sislab.roster.job`), and shows the tables with a one-click
download of every file. A scheduled run (`output_dir` set) shows the same tables without the
form and leaves the files in its report folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import ipywidgets as w
from IPython.display import HTML, display
from tqdm.auto import tqdm

from ..ag import job as ag_job
from ..ag.alignment import default_year
from ..core import access, store
from ..core.workspace import Workspace, private_dir, write_atomic
from ..roster import job as roster_job
from ..roster.spec import receivers
from . import download_html, needs_workspace, notice_html, show_figure, show_message, show_table, working
from .controls import checkbox, choice_buttons, labelled


def _work_folder(ws: Workspace, prefix: str) -> Path:
    """A private folder for a form's files, inside the workspace (never next to the notebook)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=private_dir(ws.tmp / "forms")))


def _downloads(files: list[Path]) -> HTML:
    return HTML(" · ".join(download_html(p, p.name) for p in files))


# --- A-G ---------------------------------------------------------------------------------------

@needs_workspace
def ag_notebook(school_year: int | None = None, transcripts: bool = False, middle_school_rule: bool = False,
                output_dir: str | None = None):
    """A scheduled run writes the report (and transcript) files; otherwise the form."""
    ws = Workspace.locate()
    if output_dir:
        report = ag_job.alignment_report(ws, school_year, middle_school_rule=middle_school_rule)
        show_ag_report(report)
        ag_job.write_report(report, output_dir)
        if transcripts:
            ag_job.write_transcript_files(ws, output_dir, school_year)
        return None
    return AgForm(ws, school_year).widget


class AgForm:
    """School year and schools; Check shows rates, worklist and the courses to fix; the report
    files, and the CaliforniaColleges.edu transcript files on request, download with one click."""

    def __init__(self, ws: Workspace, school_year: int | None):
        self.ws = ws
        with store.snapshot(ws) as con:
            schools = con.execute("SELECT school_id, name FROM school WHERE active AND high_grade >= 9 "
                                  "ORDER BY school_id").fetchall()
            default = int(school_year or default_year(con))
        self.year = w.BoundedIntText(value=default, min=2000, max=2100, description="School year",
                                     tooltip="the end year: 2026 for 2025-26")
        self.schools = w.SelectMultiple(options=[(f"{i} {n}", i) for i, n in schools], rows=min(8, len(schools)),
                                        description="Schools", tooltip="none chosen: every school")
        self.middle = checkbox("Middle schools by UC's grade 7-8 rule (mathematics and LOTE only; not rated)")
        self.transcripts = checkbox("Also make the CaliforniaColleges.edu transcript package "
                                                  "(the current school year's students, all their history)")
        self.check_button = w.Button(description="Check", button_style="primary", icon="check")
        self.message = w.HTML()
        self.output = w.Output()
        self.check_button.on_click(lambda _: self.check())
        self.widget = w.VBox([self.year, self.schools, self.middle, self.transcripts, self.check_button, self.message, self.output])

    def check(self) -> None:
        schools = list(self.schools.value) or None
        self.output.clear_output()
        self.message.value = ""
        folder = _work_folder(self.ws, "ag-")
        with self.output, tqdm(total=3, desc="A-G check") as bar:
            try:
                report = ag_job.alignment_report(self.ws, self.year.value, schools,
                                                 middle_school_rule=self.middle.value)
                bar.update()
                files = ag_job.write_report(report, folder)
                bar.update()
                if self.transcripts.value:
                    run, package = ag_job.write_transcript_files(self.ws, folder, None, schools)
                    files += package
                    display(HTML(f"<p>Transcript package: school year {run.school_year} ({run.year_chosen}).</p>"))
                bar.update()
            except (access.NotAllowed, ValueError) as e:
                self.message.value = notice_html(str(e), "error")
                return
            display(_downloads(files))
            show_ag_report(report)


def show_ag_report(report) -> None:
    display(HTML(f"<h3>Alignment rate per school and for the district ({report.school_year})</h3>"))
    show_table(ag_job.rates_table(report))
    show_figure(ag_job.rate_chart(report))
    display(HTML("<h3>Worklist: one reason per course, with list entries whose title resembles it</h3>"))
    show_table(report.worklist, empty="Every A-G course is aligned.")
    display(HTML("<h3>On the list, not taught (archive them in the portal, or fix the course they are "
                 "suggested for)</h3>"))
    show_table(report.not_taught, empty="Every list entry is taught.")
    display(HTML("<h3>Taught and on the list, but not flagged A-G in the SIS</h3>"))
    show_table(report.missing_flags, empty="No course is missing its A-G flag.")
    display(HTML("<h3>Marks refused for an ambiguous in_district</h3>"))
    show_table(report.findings, empty="No mark was refused for an ambiguous in_district.")


# --- OneRoster -----------------------------------------------------------------------------------

BUILD, CHECK = "Build today's feed from the SIS", "Check a OneRoster zip"


@needs_workspace
def roster_notebook(feed=None, previous=None, receiver: str = "cli-engage", accept: bool = False,
                    accept_drop: bool = False, output_dir: str | None = None):
    """A scheduled run builds (or checks) and writes its files; otherwise the form."""
    ws = Workspace.locate()
    if output_dir:
        show_roster_run(roster_job.run(output_dir, feed, previous, receiver, accept, accept_drop, ws=ws))
        return None
    return RosterForm(ws, receiver).widget


class RosterForm:
    """Build today's feed and check it against the accepted one, or check an uploaded zip
    (against an uploaded previous one); the findings, the changes and every file."""

    def __init__(self, ws: Workspace, receiver: str):
        self.ws = ws
        self.mode = choice_buttons([BUILD, CHECK], BUILD)
        self.feed = w.FileUpload(accept=".zip", description="Feed zip")
        self.previous = w.FileUpload(accept=".zip", description="Previous zip")
        self.receiver = labelled(w.Dropdown, "Receiver", width="40em", value=receiver,
                                 options=[(f"{r.name}: {r.description}", r.name) for r in receivers().values()],
                                 tooltip="whose rules the feed is built and checked for")
        self.accept_drop = checkbox("Confirm a large drop against the accepted feed")
        self.accept = checkbox("Keep a feed without errors as the accepted baseline")
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.message = w.HTML()
        self.output = w.Output()
        self.run_button.on_click(lambda _: self.run())
        self.mode.observe(lambda _: self._show_choices(), names="value")
        self.uploads = w.HBox([self.feed, self.previous])
        self.widget = w.VBox([self.mode, self.uploads, self.receiver, self.accept, self.accept_drop, self.run_button,
                              self.message, self.output])
        self._show_choices()

    def _show_choices(self) -> None:
        building = self.mode.value == BUILD
        self.uploads.layout.display = "none" if building else ""
        self.accept.layout.display = "" if building else "none"

    def run(self) -> None:
        self.output.clear_output()
        self.message.value = ""
        folder = _work_folder(self.ws, "roster-")
        feed = previous = None
        if self.mode.value == CHECK:
            feed, previous = _saved(self.feed, folder / "feed.zip"), _saved(self.previous, folder / "previous.zip")
            if feed is None:
                self.message.value = notice_html("Choose the OneRoster zip to check.", "error")
                return
        with self.output:
            try:
                with working("Building and checking the feed" if feed is None else "Checking the feed"):
                    result = roster_job.run(folder / "out", feed, previous, self.receiver.value,
                                            self.accept.value, self.accept_drop.value, ws=self.ws)
            except (access.NotAllowed, ValueError) as e:
                self.message.value = notice_html(str(e), "error")
                return
            display(_downloads(sorted(p for p in (folder / "out").iterdir() if p.is_file())))
            show_roster_run(result)


def _saved(upload: w.FileUpload, path: Path) -> Path | None:
    """The uploaded file written to `path` (owner-only), or None when nothing was chosen."""
    if not upload.value:
        return None
    return write_atomic(path, bytes(upload.value[0]["content"]))


def show_roster_run(result) -> None:
    report = result.report
    verdict = "passes" if report.passed else "the receiver would reject files or drop rows"
    show_message(f"{result.feed.name}: {report.errors} errors, {report.warnings} warnings; {verdict}",
                 "info" if report.passed else "error")
    show_table(report.summary(), empty="No findings.")
    display(HTML("<h3>Findings (row level)</h3>"))
    show_table(report.findings, empty="No findings.")
    display(HTML("<h3>Changes since the previous feed</h3>"))
    if result.diff is None:
        show_message("No previous feed to compare with.")
    else:
        show_table(result.diff, empty="Nobody was added, dropped or moved.")

