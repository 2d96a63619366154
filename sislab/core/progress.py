"""Progress, told the same way by every long job, shown wherever the job runs.

A job calls `start(total, label)`, then `advance(n, label)` as it goes, then `close()`.
The caller chooses the display: `cli_progress()` (a tqdm bar on stderr when it is a terminal), `widget_progress()`
(an ipywidgets bar a notebook displays) or `null_progress()` (scheduled runs, tests).
Labels name schools or steps, never students.
"""

from __future__ import annotations

import sys


class Progress:
    """The protocol, and the display that shows nothing."""

    def start(self, total: int, label: str = "") -> None:
        pass

    def advance(self, n: int = 1, label: str | None = None) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class CliProgress(Progress):
    def __init__(self, file=None):
        self.file = file
        self.bar = None

    def start(self, total: int, label: str = "") -> None:
        from tqdm import tqdm

        self.close()
        self.bar = tqdm(total=total, desc=label, file=self.file or sys.stderr, leave=True)

    def advance(self, n: int = 1, label: str | None = None) -> None:
        if label is not None:
            self.bar.set_description_str(label, refresh=False)
        self.bar.update(n)
        if n == 0:
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class WidgetProgress(Progress):
    """An IntProgress bar and a Label; display `.widget` (or the object itself) in a notebook."""

    def __init__(self):
        import ipywidgets as w

        self.bar = w.IntProgress(value=0, min=0, max=1)
        self.label = w.Label("")
        self.widget = w.HBox([self.bar, self.label])

    def start(self, total: int, label: str = "") -> None:
        self.bar.bar_style = ""
        self.bar.max = max(total, 1)
        self.bar.value = 0
        self.label.value = label

    def advance(self, n: int = 1, label: str | None = None) -> None:
        self.bar.value = min(self.bar.value + n, self.bar.max)
        if label is not None:
            self.label.value = label

    def close(self) -> None:
        self.bar.bar_style = "success"

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def cli_progress(file=None) -> Progress:
    """A bar on `file`, or on stderr when stderr is a terminal; nothing when a command runs from
    cron or a pipe, so that logs hold only what was said."""
    if file is None and not sys.stderr.isatty():
        return null_progress()
    return CliProgress(file)


def widget_progress() -> WidgetProgress:
    return WidgetProgress()


def null_progress() -> Progress:
    return Progress()
