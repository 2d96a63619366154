"""Progress, told the same way by every long job, shown wherever the job runs.

A job calls `start(total, label)`, then `advance(n, label)` as it goes, then `close()`.
The caller chooses the display: `cli_progress()` (a tqdm bar on stderr when it is a terminal),
`widget_progress()` (tqdm's notebook bar, an ipywidget) or `null_progress()` (scheduled runs, tests).
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


class TqdmProgress(Progress):
    """A tqdm bar: text on a terminal (`tqdm.std`), or tqdm's own ipywidgets bar in a notebook
    (`tqdm.notebook`), placed in `.widget` so a form can lay it out before the job starts."""

    def __init__(self, notebook: bool = False, file=None):
        self.notebook = notebook
        self.file = file
        self.bar = None
        self.widget = None
        if notebook:
            import ipywidgets as w

            self.widget = w.Box()

    def start(self, total: int, label: str = "") -> None:
        self.close()
        if self.notebook:
            from tqdm.notebook import tqdm

            self.bar = tqdm(total=total, desc=label, display=False, leave=True)
            self.widget.children = (self.bar.container,)
        else:
            from tqdm import tqdm

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

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def cli_progress(file=None) -> Progress:
    """A bar on `file`, or on stderr when stderr is a terminal; nothing when a command runs from
    cron or a pipe, so that logs hold only what was said."""
    if file is None and not sys.stderr.isatty():
        return null_progress()
    return TqdmProgress(file=file)


def widget_progress() -> TqdmProgress:
    """tqdm's notebook bar, shown in `.widget` from the job's start."""
    return TqdmProgress(notebook=True)


def null_progress() -> Progress:
    return Progress()
