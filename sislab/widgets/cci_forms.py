"""The CCI mass-update form (notebooks/cci_mass_update.ipynb); the status dashboard's displays
are in `cci_dashboard`.

Everything is computed by `sislab.cci`; these only collect choices and show answers. Widget
callbacks take values the browser chooses, so each is checked against what the page offered.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as w
import pandas as pd

from sislab.cci import mass_update
from sislab.cci.published import local_time
from sislab.cci.rules import rule_set_names
from sislab.core import access, notify, school_groups, store
from sislab.core.progress import widget_progress
from sislab.core.workspace import Workspace

from . import show_message, small_table_html


ALL = "__all__"


# --- mass update ---------------------------------------------------------------------------

def mass_update_form(ws: Workspace | None = None, user: str | None = None) -> w.Widget | None:
    """The mass-update form as one widget (a notice instead, with no workspace or before the first import)."""
    try:
        return MassUpdateForm(ws or Workspace.locate(), user or access.current_user()).widget
    except store.NoSnapshot as e:  # NoWorkspace too: the message says what to run
        show_message(str(e), "warning")
        return None


class MassUpdateForm:
    """Choose schools (or a saved group), a rule set and who gets the e-mail; Process runs the
    mass update in the background, the button disabled until it ends."""

    def __init__(self, ws: Workspace, user: str):
        self.ws, self.user = ws, user
        with store.snapshot(ws) as con:
            known = mass_update.schools(con)
            groups = school_groups.all_groups(ws, con)
        self.known = [s for s in known if s.high_school and access.may_run_for(ws, user, s.school_id)]
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
        table = pd.DataFrame([{"School": str(s.school), "Last started": local_time(s.last_started),
                               "Last completed": local_time(s.last_completed),
                               "Last run": s.last_status or "", "Now": "running" if s.running else ""}
                              for s in statuses])
        self.status.value = "".join(lines) + small_table_html(table)
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
