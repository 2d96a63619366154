"""IL SCA editor form and displays (notebooks/il_sca_extract.ipynb, il_sca_preview.ipynb).

Everything is computed by `sislab.ilsca`; these only collect choices and show answers. The
form's values go through `ilsca.request`, so a mistake shows the same message as the CLI.
"""

from __future__ import annotations

import contextlib
import html

import ipywidgets as w
import pandas as pd
from IPython.display import display

from sislab import ilsca
from sislab.core import access, store
from sislab.core.workspace import Workspace
from sislab.ilsca import preflight
from sislab.ilsca.school_view import school_view

from . import NO_DATA, download_html, download_link, needs_workspace, show_message, show_table, working
from .controls import checkbox, labelled

DOWNLOAD_ALL = 5_000  # past this many records the table's rows also download as one CSV
GRADE_OPTIONS = [("K", 0)] + [(f"{g:02d}", g) for g in range(1, 13)]


class ExtractForm:
    """The extract editor: dates, calendars, grades or an ad hoc filter, file id, options and
    format; Preview builds the records and the pre-flight list, Produce writes the file."""

    def __init__(self, ws: Workspace, choices: dict, calendars: pd.DataFrame, output_dir=None, user=None):
        self.ws, self.output_dir, self.user = ws, output_dir, user
        offered = [(f"{r.calendar_id}  {r.school_name}  {r.name}", r.calendar_id) for r in calendars.itertuples()]
        self.start = w.DatePicker(description="Start Date", value=choices.get("start"))
        self.end = w.DatePicker(description="End Date", value=choices.get("end"))
        self.calendars = w.SelectMultiple(description="Calendars", options=offered,
                                          value=[c for c in choices.get("calendars", ()) if c in dict(offered).values()],
                                          rows=8, layout=w.Layout(width="32em"))
        self.grades = w.SelectMultiple(description="Grades", options=GRADE_OPTIONS,
                                       value=list(ilsca.editor.parse_grades(choices.get("grades"))), rows=6)
        self.group = labelled(w.Text, "Ad hoc filter", value=choices.get("student_group") or "",
                              placeholder="student group code")
        self.file_id = w.Text(description="File ID", value=str(choices.get("file_id", "001")))
        self.no_state_id = checkbox("Include students without state IDs", choices.get("include_no_state_id"))
        self.strip = checkbox("Strip apostrophes", choices.get("strip_apostrophes"))
        self.protected = checkbox("Report protected identities", choices.get("protected_identities"))
        self.run_date = w.DatePicker(description="Run Date", value=choices.get("run_date"))
        self.replace = checkbox("Replace a file with the same name", choices.get("replace"))
        self.format = w.Dropdown(description="Format", value=choices.get("format", "state"),
                                 options=[("State (comma delimited)", "state"), ("Tab delimited", "tab"),
                                          ("HTML", "html")])
        self.message = w.HTML()
        self.preview_button = w.Button(description="Preview and pre-flight")
        self.produce_button = w.Button(description="Produce file", button_style="primary")
        self.output = w.Output()
        self.preview_button.on_click(lambda _: self.show_preview())
        self.produce_button.on_click(lambda _: self.produce())
        self.widget = w.VBox([w.HBox([self.start, self.end]), w.HBox([self.calendars, self.grades]), self.group,
                              self.file_id, self.no_state_id, self.strip, self.protected, self.format,
                              w.HBox([self.run_date, self.replace]),
                              w.HBox([self.preview_button, self.produce_button]), self.message, self.output])

    def values(self) -> dict:
        return {"start": self.start.value, "end": self.end.value, "calendars": list(self.calendars.value),
                "grades": list(self.grades.value) or None, "student_group": self.group.value.strip() or None,
                "file_id": self.file_id.value, "include_no_state_id": self.no_state_id.value,
                "strip_apostrophes": self.strip.value, "protected_identities": self.protected.value,
                "format": self.format.value, "run_date": self.run_date.value, "replace": self.replace.value}

    def checked(self) -> ilsca.Request | None:
        """The editor's request, or None with the editor's message shown."""
        try:
            req = ilsca.request(**self.values())
        except ilsca.EditorError as e:
            self.message.value = _notice(str(e), "error")
            return None
        self.message.value = ""
        return req

    def show_preview(self, inline: bool = False) -> None:
        """Records and pre-flight list below the form (`inline`: as the cell's own output)."""
        req = self.checked()
        if req is None:
            if inline:
                display(w.HTML(self.message.value))
            return
        self.output.clear_output()
        with (contextlib.nullcontext() if inline else self.output), store.snapshot(self.ws) as con:
            try:
                with working("Building the records"):
                    ilsca.build(con, req)
            except ilsca.EditorError as e:
                show_message(str(e), "error")
                return
            show_records(ilsca.records(con))
            show_findings(ilsca.preflight_findings(con, ilsca.report.sender(con)[1]))

    def produce(self) -> ilsca.ExtractResult | None:
        """Write the file; a refusal (unknown or empty calendar, no record, file exists) is shown."""
        req = self.checked()
        if req is None:
            return None
        try:
            with self.output, working("Writing the Illinois file"):
                result = ilsca.extract(self.ws, req, user=self.user, out_dir=self.output_dir)
        except (ilsca.EditorError, access.NotAllowed) as e:
            self.message.value = _notice(str(e), "error")
            return None
        self.message.value = (_notice(f"Wrote {result.path.name}: {result.records} records; pre-flight "
                                      f"{len(result.findings)} findings in {result.preflight_path.name}.", "info")
                              + download_html(result.path, result.path.name, f"Download {result.path.name}")
                              + " · " + download_html(result.preflight_path, result.preflight_path.name,
                                                      "Download the pre-flight (CSV)"))
        return result


def show_extracted_files(ws: Workspace | None = None) -> None:
    """The files produced so far: date/time (UTC), user, record count, file."""
    files = ilsca.extracted_files(ws)
    files["path"] = files["path"].map(lambda p: p.rsplit("/", 1)[-1])
    show_table(files.rename(columns={"created_at": "Date/time (UTC)", "user_name": "User",
                                     "record_count": "Records", "path": "File"}),
               empty="No Illinois file has been produced yet.")


@needs_workspace
def extract_form(ws: Workspace | None = None, output_dir=None, user=None, **choices) -> ExtractForm | None:
    """The form filled with `choices` (defaults: the newest school year); None before an import."""
    ws = ws or Workspace.locate()
    try:
        with store.snapshot(ws) as con:
            defaults = ilsca.default_choices(con)
            offered = ilsca.calendars(con)
    except store.NoSnapshot:
        show_message(NO_DATA, "warning")
        return None
    given = {k: v for k, v in choices.items() if v not in (None, "", ())}
    if isinstance(given.get("calendars"), str):
        given["calendars"] = tuple(c.strip() for c in given["calendars"].split(","))
    for key in ("start", "end", "run_date"):
        if key in given:
            given[key] = ilsca.editor.parse_date(given[key], "", key)
    return ExtractForm(ws, {**defaults, **given}, offered, output_dir, user)


def show_records(df: pd.DataFrame) -> None:
    """Every record as a table to sort, search and page (a long table's page asks the server for
    its rows, so a district's whole file fits); past DOWNLOAD_ALL records also as one CSV, for a
    spreadsheet."""
    show_message(f"{len(df):,} records.")
    if len(df) > DOWNLOAD_ALL:
        download_link(df, "ilsca_records.csv", f"Download all {len(df):,} records (CSV)")
    show_table(df, empty="No student reports with these choices.")


def show_findings(df: pd.DataFrame) -> None:
    """The pre-flight list: counts per check, then every finding to sort, search and page (a
    long list's page asks the server for its rows), and all of them as one CSV."""
    if df.empty:
        show_message("Pre-flight: nothing ISBE is known to reject.")
        return
    show_message(f"Pre-flight: {len(df):,} findings. They do not change the file.", "warning")
    show_table(preflight.summary(df))
    show_table(df)
    download_link(df, "ilsca_preflight.csv", "Download every finding (CSV)")


@needs_workspace
def school_preview(school: str | None) -> None:
    """The dashboard: one school's records and pre-flight in the newest year's file, as the
    state gets them (`ilsca.school_view`: built once per snapshot, each page reads its rows).
    `school` is fixed by the server for a principal; every row shown is filtered by it."""
    ws = Workspace.locate()
    try:
        with store.snapshot(ws) as con:
            view = school_view(ws, con, school)
    except store.NoSnapshot:
        show_message(NO_DATA, "warning")
        return
    if view is None:
        show_message("The SIS data has no calendar to report.")
        return
    show_records(view.records)
    show_findings(view.findings)


def _notice(text: str, kind: str) -> str:
    colour = {"error": "#c53030", "info": "#2b6cb0", "warning": "#b7791f"}[kind]
    return f'<div style="border-left: 4px solid {colour}; padding: 0.3em 0.8em;">{html.escape(text)}</div>'


def display_form(form: ExtractForm | None) -> None:
    if form is not None:
        display(form.widget)
