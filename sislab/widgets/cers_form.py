"""The coordinator's CERS form (notebooks/cers_groups.ipynb) and the principal's preview
(notebooks/cers_preview.ipynb).

The form collects choices and shows answers; every rule (ownership, choices, rosters, the
pre-flight) is in sislab.cers, the same code the command line uses. The acting user is fixed
when the form is made; profiles and files of other users are reachable only through
sislab.cers's checks.
"""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import display

from .. import cers
from ..cers import identity
from ..cers.build import BY_NAME
from ..cers.layout import LAYOUT, filters_of
from ..cers.profiles import grade_label
from ..core import access, store
from ..core.workspace import Workspace
from . import download_html, needs_workspace, show_message, show_table, working
from .controls import checkbox, labelled

NEW = "(new profile)"
PREVIEW_ROWS = 50


@needs_workspace
def cers_notebook(*, scheduled: bool = False, upload: bool = False, user: str | None = None,
                  notify_to: str = "", output_dir: str | None = None) -> None:
    """What the cers_groups notebook shows: the scheduled process's outcome, or the form."""
    ws = Workspace.locate()
    if scheduled:
        made = cers.scheduled_run(ws, user=user or identity.current_user(), upload=upload, notify_to=notify_to or None,
                                  out_dir=Path(output_dir) if output_dir else None)
        show_extracts([made])
        if made.path is None:
            raise RuntimeError("The CERS pre-flight found errors: no file was written (see the report).")
        return
    try:
        display(CersForm(ws, user or identity.current_user()).widget)
    except store.NoSnapshot as e:
        show_message(str(e), "warning")


def show_extracts(made: list[cers.Extract]) -> None:
    for extract in made:
        show_message(extract.text(), "info" if extract.path else "error")
        show_table(findings_table(extract.findings), "The pre-flight found nothing to report.")


def findings_table(findings: list[cers.Finding]) -> pd.DataFrame:
    return pd.DataFrame([{"Row": f.row, "severity": f.severity, "rule": f.rule, "group": f.group,
                          "message": f.message} for f in findings],
                        columns=["Row", "severity", "rule", "group", "message"])


@needs_workspace
def show_school_preview(school: str | None) -> None:
    """The principal's page: the groups the profiles give `school` (fixed by the server)."""
    ws = Workspace.locate()
    if not school:
        show_message("Open this page for one school: the dashboards' home page lists a link per school.")
        return
    try:
        with store.snapshot(ws) as con:
            groups = cers.preview_school(con, str(school), ws=ws)
    except store.NoSnapshot:
        show_message("No SIS data has been imported yet.", "warning")
        return
    show_table(groups, "No CERS profile covers this school yet.")


class Picker:
    """A filterable multi-select with Select all / Clear all (and optionally a show-inactive switch)."""

    def __init__(self, title: str, options: list[tuple[str, object, bool]], inactive_switch: bool = False):
        self.options = options  # (label, value, active)
        self.filter = w.Text(placeholder="filter", layout=w.Layout(width="160px"))
        self.show_all = w.Checkbox(value=False, description="show inactive", indent=False,
                                   layout=w.Layout(display="" if inactive_switch else "none"))
        self.select = w.SelectMultiple(rows=6, layout=w.Layout(width="360px"))
        all_button, clear_button = w.Button(description="Select all"), w.Button(description="Clear all")
        all_button.on_click(lambda _: self.select_all())
        clear_button.on_click(lambda _: self.clear())
        for control in (self.filter, self.show_all):
            control.observe(lambda _: self.refresh(), names="value")
        self.widget = w.VBox([w.HTML(f"<b>{html.escape(title)}</b>"),
                              w.HBox([self.filter, self.show_all, all_button, clear_button]), self.select])
        self.refresh()

    def refresh(self, keep: tuple | None = None) -> None:
        chosen = set(self.select.value if keep is None else keep)
        text = self.filter.value.strip().lower()
        shown = [(label, value) for label, value, active in self.options
                 if (active or self.show_all.value or value in chosen) and (text in label.lower() or value in chosen)]
        self.select.options = shown
        self.select.value = tuple(v for _, v in shown if v in chosen)

    @property
    def value(self) -> tuple:
        return tuple(self.select.value)

    @value.setter
    def value(self, values) -> None:
        self.refresh(keep=tuple(values))

    def select_all(self) -> None:
        self.select.value = tuple(v for _, v in self.select.options)

    def clear(self) -> None:
        self.select.value = ()


class CersForm:
    def __init__(self, ws: Workspace, user: str):
        self.ws, self.user = ws, user
        with store.snapshot(ws) as con:
            self.pickers = {name: Picker(title, options, name == "schools")
                            for name, (title, options) in _choices(con).items()}
        self.chooser = labelled(w.Dropdown, "Profile")
        self.name = labelled(w.Text, "Name")
        self.roster_type = labelled(w.Dropdown, "Roster type", options=[(t["label"], k) for k, t in LAYOUT["roster_types"].items()])
        self.subject = labelled(w.Dropdown, "Subject area", options=list(LAYOUT["subjects"]), value="All")
        self.pattern = labelled(w.Dropdown, "Group name", width="40em",
                                options=[(p["label"], k) for k, p in LAYOUT["patterns"].items()])
        self.primary_only = checkbox("Include only primary classes")
        self.scheduled = checkbox("Include in scheduled process")
        self.message = w.HTML()
        self.output = w.Output()
        self.to_create = Picker("Profiles to create", [])
        self.consolidate = checkbox("Consolidate into one file", True)
        self.upload = checkbox("Upload to TOMS via API")
        self.files = w.Dropdown(description="File")
        self.download = w.HTML()
        buttons = {label: w.Button(description=label, button_style=style) for label, style in (
            ("Save", "primary"), ("Delete", "danger"), ("Preview", ""), ("Pre-flight", ""), ("Create files", "success"))}
        for label, action in (("Save", self.save), ("Delete", self.delete), ("Preview", self.preview),
                              ("Pre-flight", self.preview), ("Create files", self.create)):
            buttons[label].on_click(lambda _, action=action: action())
        self.chooser.observe(lambda change: self.load(change["new"]), names="value")
        self.files.observe(lambda _: self.link(), names="value")  # the link appears: one click downloads
        self.roster_type.observe(lambda _: self._show_filters(), names="value")
        self.widget = w.VBox([
            self.chooser, self.name, self.roster_type, self.subject, self.pattern,
            *(p.widget for p in self.pickers.values()), self.primary_only, self.scheduled,
            w.HBox([buttons["Save"], buttons["Delete"], buttons["Preview"], buttons["Pre-flight"]]), self.message,
            w.HTML("<h4>Create files</h4>"), self.to_create.widget, self.consolidate, self.upload,
            buttons["Create files"], w.HTML("<h4>Extracted files</h4>"), self.files,
            self.download, self.output])
        self.refresh()
        self.load(NEW)

    # --- profiles ---------------------------------------------------------------------------
    def refresh(self) -> None:
        visible = cers.visible(self.ws, self.user)
        self.chooser.options = [NEW] + [p.name for p in visible]
        self.to_create.options = [(f"{p.name} ({p.owner}{', scheduled' if p.scheduled else ''})", p.name, True)
                                  for p in visible]
        self.to_create.refresh()
        files = cers.extracted_files(self.ws, self.user)
        self.files.options = [(f"{r.created_at} {r.user_name} {r.record_count:,} records {Path(r.path).name}",
                               int(r.file_id)) for r in files.itertuples()]

    def load(self, ref: str) -> None:
        """Fill the editor with a profile the user may see (or a new one at their schools)."""
        if ref == NEW or ref is None:
            profile = cers.Profile("", "secondary", tuple(identity.home_schools(self.ws, self.user)))
        else:
            try:
                profile = cers.get(self.ws, self.user, ref)
            except cers.ProfileError as e:
                return self._say(str(e), "error")
        self.name.value, self.roster_type.value = profile.name, profile.roster_type
        self.subject.value, self.pattern.value = profile.subject, profile.pattern
        self.primary_only.value, self.scheduled.value = profile.primary_only, profile.scheduled
        for name, picker in self.pickers.items():
            picker.value = getattr(profile, name)
        self.loaded = profile
        self._show_filters()

    def current(self) -> cers.Profile:
        values = {name: picker.value for name, picker in self.pickers.items()}
        offered = set(filters_of(self.roster_type.value))
        values = {k: (v if k in ("schools", "staff") or k in offered else ()) for k, v in values.items()}
        profile = cers.Profile(self.name.value, self.roster_type.value, subject=self.subject.value,
                               pattern=self.pattern.value, scheduled=self.scheduled.value,
                               primary_only=self.primary_only.value and "primary_only" in offered, **values)
        same = getattr(self, "loaded", None)
        return replace(profile, profile_id=same.profile_id) if same and same.profile_id else profile

    def save(self) -> None:
        try:
            saved = cers.save(self.ws, self.user, self.current())
        except cers.ProfileError as e:
            return self._say(str(e), "error")
        self.refresh()
        self.chooser.value = saved.name
        self._say(f"Saved {saved.name}.", "info")

    def delete(self, ref: str | None = None) -> None:
        target = ref or (self.loaded.profile_id if getattr(self, "loaded", None) else None) or self.name.value
        try:
            gone = cers.delete(self.ws, self.user, target)
        except cers.ProfileError as e:
            return self._say(str(e), "error")
        self.refresh()
        self.load(NEW)
        self._say(f"Deleted {gone.name}.", "info")

    # --- preview, pre-flight, create --------------------------------------------------------
    def preview(self) -> None:
        """Groups, first rows and the pre-flight of the profile in the editor (nothing written)."""
        profile = self.current()
        problems = cers.profiles.problems(replace(profile, name=profile.name or "preview"))
        if problems:
            return self._say(" ".join(problems), "error")
        self.output.clear_output()
        with self.output, store.snapshot(self.ws) as con:
            with working("Building the groups"):
                built = cers.build(con, [profile])
            show_message(f"{built.counts['groups']:,} groups, {built.counts['rows']:,} rows; "
                         f"{len(built.errors)} errors", "info" if built.ok else "error")
            show_table(cers.group_summary(con), "No groups.")
            show_table(cers.file_rows(con, PREVIEW_ROWS), "No rows.")
            show_table(findings_table(built.findings), "The pre-flight found nothing to report.")

    def create(self) -> None:
        chosen = list(self.to_create.value)
        if not chosen:
            return self._say("Choose at least one profile to create.", "error")
        self.output.clear_output()
        with self.output:
            try:
                with working("Creating the CERS files"):
                    made = cers.create(self.ws, self.user, chosen, consolidate=self.consolidate.value,
                                       upload=self.upload.value)
            except (cers.ProfileError, cers.UploadError, access.NotAllowed) as e:
                return self._say(str(e), "error")
            show_extracts(made)
        self.refresh()
        self._say(f"{sum(e.path is not None for e in made)} file(s) written.", "info")

    def link(self) -> None:
        """A download link for the chosen extracted file (only files the user may see)."""
        if self.files.value is None:
            self.download.value = ""
            return None
        try:
            path = cers.extracted_file(self.ws, self.user, self.files.value)
            self.download.value = download_html(path, path.name)
        except (cers.ProfileError, FileNotFoundError) as e:
            return self._say(str(e), "error")

    def _show_filters(self) -> None:
        offered = set(filters_of(self.roster_type.value))
        for name, picker in self.pickers.items():
            picker.widget.layout.display = "" if name in offered | {"schools", "staff"} else "none"
        self.primary_only.layout.display = "" if "primary_only" in offered else "none"
        self.pattern.layout.display = "" if LAYOUT["roster_types"][self.roster_type.value]["named_by_pattern"] else "none"

    def _say(self, text: str, kind: str) -> None:
        colour = {"info": "#2b6cb0", "error": "#c53030"}[kind]
        self.message.value = f'<div style="border-left: 4px solid {colour}; padding: 0.3em 1em;">{html.escape(text)}</div>'


def _choices(con) -> dict[str, tuple[str, list[tuple[str, object, bool]]]]:
    """Every picker's options from the snapshot: (label, value, active)."""
    def rows(sql: str) -> list[tuple[str, object, bool]]:
        return [(str(label), value, bool(active)) for label, value, active in con.execute(sql).fetchall()]

    staff = "SELECT last_name || ' ' || first_name || ' (' || staff_id || ')', staff_id, coalesce(active, false) FROM staff s"
    by_name = " ORDER BY " + BY_NAME
    return {
        "schools": ("Schools", rows("SELECT school_id || ' ' || name, school_id, coalesce(active, false) FROM school"
                                    " ORDER BY school_id")),
        "departments": ("Departments", rows("SELECT DISTINCT department, department, true FROM course"
                                            " WHERE department IS NOT NULL ORDER BY 1")),
        "subject_areas": ("Subject areas", rows("SELECT DISTINCT subject_area, subject_area, true FROM course"
                                                " WHERE subject_area IS NOT NULL ORDER BY 1")),
        "courses": ("Courses", rows("SELECT course_id || ' ' || title, course_id, coalesce(active, true) FROM course"
                                    " ORDER BY course_id")),
        "teachers": ("Teachers", rows(staff + " WHERE staff_id IN (SELECT staff_id FROM section_staff)" + by_name)),
        "grades": ("Grades", [(grade_label(g), g, True) for g in range(-1, 13)]),
        "counselors": ("Counselors", rows(staff + " WHERE is_counselor" + by_name)),
        "groups": ("Student groups", rows("SELECT group_code || ' ' || name, group_code, true FROM student_group"
                                          " ORDER BY 1")),
        "staff": ("Additional staff (active, with state educator id and e-mail)",
                  [(f"{r.last_name} {r.first_name} ({r.staff_id})", r.staff_id, True)
                   for r in cers.eligible_staff(con).itertuples()]),
    }
