"""CCI forms and displays: the coordinator's mass-update form (notebooks/cci_mass_update.ipynb)
and the status dashboard's tables, chart and drill-down (notebooks/cci_status.ipynb).

Everything is computed by `sislab.cci`; these only collect choices and show answers. Widget
callbacks take values the browser chooses, so each is checked against what the page offered.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as w
import pandas as pd
from IPython.display import HTML, display

from sislab.cci import dashboard, mass_update
from sislab.cci.rules import rule_set_names
from sislab.core import notify, school_groups, store
from sislab.core.progress import widget_progress
from sislab.core.workspace import Workspace

from . import csv_download_link, show_figure, show_message, show_table, stacked_bar

ALL = "__all__"
COLOURS = {"Blue": ("#1f4e9c", "white"), "Green": ("#2f855a", "white"), "Yellow": ("#f6e05e", "black"),
           "Orange": ("#dd6b20", "white"), "Red": ("#c53030", "white")}
STATUS_COLUMNS = {"school_name": "School", "population": "Class", "students": "Students", "prepared": "Prepared",
                  "approaching": "Approaching", "status": "Status (% Prepared)", "status_level": "Level",
                  "change": "Change", "change_level": "Change level", "colour": "Colour", "note": "Note",
                  "computed_at": "Computed"}
STUDENT_FIELDS = {"school_name": "School", "level": "Level", "measures_met": "Measures met",
                  "best_measure": "Best measure", "missing": "What is missing", "flags": "Flags",
                  "outcome": "Outcome", "computed_at": "Computed"}
MATCHES_SHOWN = 200


# --- mass update ---------------------------------------------------------------------------

def mass_update_form(ws: Workspace | None = None, user: str | None = None) -> w.Widget:
    """The mass-update form as one widget (a notice instead before the first import)."""
    try:
        return MassUpdateForm(ws or Workspace.locate(), user or mass_update.current_user()).widget
    except store.NoSnapshot as e:
        return w.HTML(_notice(str(e), "warning"))


class MassUpdateForm:
    """Choose schools (or a saved group), a rule set and who gets the e-mail; Process runs the
    mass update in the background, the button disabled until it ends."""

    def __init__(self, ws: Workspace, user: str):
        self.ws, self.user = ws, user
        with store.snapshot(ws) as con:
            known = mass_update.schools(con)
            groups = school_groups.all_groups(ws, con)
        self.known = [s for s in known if s.high_school]
        offered = {s.school_id for s in self.known}
        self.groups = {name: [i for i in ids if i in offered] for name, ids in groups.items()}
        self.group = w.Dropdown(description="Group", options=[("(pick schools)", None), ("All high schools", ALL)]
                                + [(name, name) for name, ids in self.groups.items() if ids])
        self.schools = w.SelectMultiple(description="Schools", options=[(str(s), s.school_id) for s in self.known],
                                        rows=min(10, max(3, len(self.known))))
        names = rule_set_names()
        self.rule_set = w.Dropdown(description="Rule set", options=names[::-1], value=names[-1])
        self.notify_to = w.Text(description="E-mail to", value=mass_update.default_recipient(ws, user) or "",
                                placeholder="you@district.org (empty: no e-mail)")
        self.process_button = w.Button(description="Process", button_style="primary", icon="play")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.progress = widget_progress()
        self.message = w.HTML()
        self.status = w.HTML()
        self.thread: threading.Thread | None = None
        self.busy = False  # a run started from this form is going
        self.group.observe(lambda _: self.choose_group(), names="value")
        self.schools.observe(lambda _: self.refresh(), names="value")
        self.process_button.on_click(lambda _: self.start())
        self.refresh_button.on_click(lambda _: self.refresh())
        self.widget = w.VBox([self.group, self.schools, self.rule_set, self.notify_to,
                              w.HBox([self.process_button, self.refresh_button]), self.progress.widget,
                              self.message, self.status])
        self.refresh()

    def choose_group(self) -> None:
        if self.group.value == ALL:
            self.schools.value = tuple(s.school_id for s in mass_update.high_schools(self.known))
        elif self.group.value in self.groups:
            self.schools.value = tuple(self.groups[self.group.value])

    def start(self) -> None:
        """The button: run in a thread so the page keeps answering (status, refresh)."""
        if self.busy or self.process_button.disabled:
            return
        self.busy = self.process_button.disabled = True
        self.thread = threading.Thread(target=self.process, name="cci-mass-update", daemon=True)
        self.thread.start()

    def process(self) -> None:
        """Run the mass update for the chosen schools and show how each ended."""
        chosen = [s for s in self.schools.value if s in {k.school_id for k in self.known}]
        self.busy = self.process_button.disabled = True
        self._say(f"Processing {len(chosen)} school(s) with rule set {self.rule_set.value}…")
        try:
            report = mass_update.run(chosen, ws=self.ws, user=self.user, rule_set=self.rule_set.value,
                                     notify_to=self.notify_to.value.strip() or None, progress=self.progress)
        except (notify.BadAddress, ValueError) as e:
            self._say(str(e), "error")
        else:
            self.message.value = self._report_html(report)
        finally:
            self.busy = False
            self.refresh()

    def refresh(self) -> None:
        """Who is processing which school now, and each school's last started / completed."""
        statuses = mass_update.run_status(self.ws, self.known)
        chosen = set(self.schools.value)
        busy = [s for s in statuses if s.running and s.school.school_id in chosen]
        lines = [_notice(s.message(), "warning") for s in statuses if s.running]
        table = pd.DataFrame([{"School": str(s.school), "Last started": mass_update.local_time(s.last_started),
                               "Last completed": mass_update.local_time(s.last_completed),
                               "Last run": s.last_status or "", "Now": "running" if s.running else ""}
                              for s in statuses])
        self.status.value = "".join(lines) + table.to_html(index=False, escape=True, border=0)
        self.process_button.disabled = self.busy or not chosen or len(busy) == len(chosen)

    def _report_html(self, report) -> str:
        names = {s.school_id: s.name for s in self.known}
        items = [f"{names.get(o.school_id, o.school_id)}: {o.status}" + (f" — {o.note}" if o.note else "")
                 for o in report.schools]
        mail = f"Completion e-mail: {report.notified}." if report.notified else "No completion e-mail."
        kind = "error" if report.failed else "info"
        body = "".join(f"<li>{html.escape(i)}</li>" for i in items)
        return _notice(f"Run {report.job_id} {report.status}. {mail}", kind) + f"<ul>{body}</ul>"

    def _say(self, text: str, kind: str = "info") -> None:
        self.message.value = _notice(text, kind)


def _notice(text: str, kind: str) -> str:
    colour = {"info": "#2b6cb0", "warning": "#b7791f", "error": "#c53030"}[kind]
    return (f'<div class="sislab-{kind}" style="border-left: 4px solid {colour}; padding: 0.3em 1em;">'
            f"{html.escape(text)}</div>")


# --- status dashboard ----------------------------------------------------------------------

def load_dashboard(school: str | None = None, rule_set: str | None = None) -> dashboard.CciDashboard | None:
    """The published results for the page, or a notice and None (nothing imported/published)."""
    try:
        with store.snapshot() as con:
            return dashboard.load(con, school=school, rule_set=rule_set)
    except store.NoSnapshot:
        show_message("No SIS data has been imported yet; this page shows CCI results afterwards.", "warning")
    except dashboard.NoResults as e:
        show_message(str(e), "warning")
    return None


def show_status(dash: dashboard.CciDashboard) -> None:
    """Status per school (the scored class and seniors' potential) with the colour cell coloured."""
    if dash.status.empty:
        show_message("No student of the chosen school is counted for this rule set.")
        return
    table = dash.status.assign(
        population=dash.status["population"].map({mass_update.GRADUATED: f"Class of {dash.class_year}",
                                                  mass_update.POTENTIAL: f"Seniors (class of {dash.class_year + 1}), potential"}),
        computed_at=dash.status["computed_at"].map(mass_update.local_time))[list(STATUS_COLUMNS)]
    styled = (table.rename(columns=STATUS_COLUMNS).style.hide(axis="index")
              .format(na_rep="", precision=1, escape="html")
              .map(_colour_cell, subset=["Colour"]).set_table_attributes('class="sislab-table sislab-cci-status"'))
    display(HTML(styled.to_html()))


def _colour_cell(value) -> str:
    background, text = COLOURS.get(value, ("", ""))
    return f"background-color: {background}; color: {text}; font-weight: bold" if background else ""


def show_prepared_chart(dash: dashboard.CciDashboard) -> None:
    """% Prepared by school, each bar split by the measure that placed the students."""
    wide = dashboard.prepared_by_measure(dash)
    if wide.empty:
        show_message("Nobody is Prepared in the chosen schools yet.")
        return
    measures = [c for c in wide.columns if c not in ("school_id", "school_name")]
    show_figure(stacked_bar(wide, "school_name", measures, f"% Prepared by school and measure (rule set "
                            f"{dash.rule_set})", "% of the class", legend="best measure"))
    show_table(dash.measures.drop(columns="school_id"))


def show_near_misses(dash: dashboard.CciDashboard) -> None:
    """Seniors one requirement away from Prepared, one table per missing requirement."""
    if dash.near_misses.empty:
        show_message("No senior is one requirement away from Prepared.")
        return
    for requirement, rows in dash.near_misses.groupby("requirement", sort=True):
        display(HTML(f"<h4>{html.escape(requirement)} — {rows['student_id'].nunique()} student(s)</h4>"))
        show_table(rows[["school_name", "last_name", "first_name", "student_id", "measure", "level", "missing"]])


def student_drilldown(dash: dashboard.CciDashboard) -> w.VBox:
    """Find a student by name or id; show level, measures met and what is missing."""
    choices = dash.student_choices()
    find = w.Text(description="Find", placeholder="name or student id")
    pick = w.Select(description="Student", options=choices[:MATCHES_SHOWN], rows=8, value=None,
                    layout=w.Layout(width="32em"))
    detail = w.HTML()

    def filter_choices(_=None) -> None:
        needle = find.value.strip().casefold()
        pick.options = [c for c in choices if needle in c[0].casefold()][:MATCHES_SHOWN]

    def show_student(_=None) -> None:
        row = dash.student(pick.value) if pick.value else dash.students.iloc[0:0]
        detail.value = "" if row.empty else _student_html(row.iloc[0])

    find.observe(filter_choices, names="value")
    pick.observe(show_student, names="value")
    return w.VBox([find, pick, detail])


def _student_html(row: pd.Series) -> str:
    cells = "".join(f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
                    f"<td>{html.escape('' if pd.isna(row[key]) else str(row[key]))}</td></tr>"
                    for key, label in STUDENT_FIELDS.items())
    name = f"{row['last_name']}, {row['first_name']} ({row['student_id']})"
    return f"<h4>{html.escape(name)}</h4><table class='sislab-table'>{cells}</table>"


def student_list(dash: dashboard.CciDashboard) -> None:
    """The download link of the student list (the file travels inside the page)."""
    csv_download_link(dash.students, dashboard.OUTPUT_FILES["students"],
                      f"Download the student list ({len(dash.students)} students, CSV)")
