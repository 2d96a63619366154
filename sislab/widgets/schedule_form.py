"""The coordinator's schedule form (notebooks/schedules.ipynb): the schedules with their next and
last run, a form to add one, and buttons to turn one on or off or remove it.

Every value is checked by `sislab.core.schedule`, the same code `sislab schedule add` uses;
the form only collects text and shows the answer.
"""

from __future__ import annotations

import html
import re

import ipywidgets as w
import pandas as pd

from ..core import runner, schedule
from ..core.workspace import Workspace
from . import needs_workspace, small_table_html
from .controls import checkbox

PARAMETER_LINE = re.compile(r"\s*([A-Za-z_]\w*)\s*=\s*(.*?)\s*")


@needs_workspace
def schedule_form(time_zone: str = "America/Los_Angeles", ws: Workspace | None = None) -> w.VBox:
    """The form as one widget, for a notebook cell to display."""
    return ScheduleForm(ws or Workspace.locate(), time_zone).widget


def parse_parameter_lines(text: str) -> dict[str, str]:
    """'school = 0123' per line -> {"school": "0123"} (values stay text, as on the command line)."""
    parameters = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = PARAMETER_LINE.fullmatch(line)
        if not match:
            raise schedule.ScheduleError(f"Parameters line {number}: {line.strip()!r} is not `name = value`.")
        parameters[match[1]] = match[2]
    return parameters


class ScheduleForm:
    def __init__(self, ws: Workspace, time_zone: str):
        self.ws = ws
        self.notebook = w.Dropdown(options=_notebook_names(), description="Notebook")
        self.parameters = w.Textarea(placeholder="school = 0123\nsubject = ELA", description="Parameters")
        self.days = {d: w.Checkbox(value=i < 5, description=d.title(), indent=False, layout=w.Layout(width="70px"))
                     for i, d in enumerate(schedule.DAYS)}
        self.time = w.Text(value="06:00", placeholder="HH:MM", description="Time")
        self.time_zone = w.Combobox(value=time_zone, options=sorted(schedule.available_zones()),
                                    ensure_option=False, description="Time zone")
        self.notify_to = w.Text(placeholder="ana@district.org, ben@district.org", description="E-mail to")
        self.enabled = checkbox("Enabled", True)
        self.add_button = w.Button(description="Add schedule", button_style="primary")
        self.chosen = w.Dropdown(description="Schedule")
        self.buttons = {action: w.Button(description=action.title()) for action in ("enable", "disable", "remove")}
        self.message = w.HTML()
        self.table = w.HTML()
        self.add_button.on_click(lambda _: self.add())
        for action, button in self.buttons.items():
            button.on_click(lambda _, action=action: self.change(action))
        self.widget = w.VBox([
            self.table, w.HBox([self.chosen, *self.buttons.values()]),
            w.HTML("<b>Add a schedule</b>"), self.notebook, self.parameters,
            w.HBox([w.Label("Days"), *self.days.values()]), self.time, self.time_zone, self.notify_to,
            self.enabled, self.add_button, self.message])
        self.refresh()

    def add(self) -> None:
        days = ",".join(d for d, box in self.days.items() if box.value)
        self._answer(lambda: schedule.add(
            self.ws, self.notebook.value or "", days=days, time_of_day=self.time.value,
            time_zone=self.time_zone.value, notify_to=self.notify_to.value, enabled=self.enabled.value,
            parameters=parse_parameter_lines(self.parameters.value)), "Added")

    def change(self, action: str) -> None:
        if self.chosen.value is None:
            self._show("Choose a schedule first.", "error")
        elif action == "remove":
            self._answer(lambda: schedule.remove(self.ws, self.chosen.value), "Removed")
        else:
            self._answer(lambda: schedule.set_enabled(self.ws, self.chosen.value, action == "enable"),
                         f"{action.title()}d")

    def refresh(self) -> None:
        listed = schedule.schedules(self.ws)
        self.chosen.options = [(f"{s.schedule_id}: {s.notebook}", s.schedule_id) for s in listed]
        rows = [schedule.summary(s) for s in listed]
        self.table.value = (small_table_html(pd.DataFrame(rows)) if rows
                            else "<p>No schedules yet.</p>")

    def _answer(self, action, done: str) -> None:
        try:
            s = action()
        except schedule.ScheduleError as e:
            self._show(str(e), "error")
            return
        self.refresh()
        self._show(f"{done} schedule {s.schedule_id}: {s.notebook} {s.when}.", "info")

    def _show(self, text: str, kind: str) -> None:
        colour = {"info": "#2b6cb0", "error": "#c53030"}[kind]
        self.message.value = (f'<div class="sislab-{kind}" style="border-left: 4px solid {colour};'
                              f' padding: 0.3em 1em;">{html.escape(text)}</div>')


def _notebook_names() -> list[str]:
    return sorted(p.stem for p in runner.notebooks_dir().glob("*.ipynb") if p.stem != "schedules")
