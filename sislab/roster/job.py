"""The rostering job at its edges: build today's feed, check it (against the last accepted
feed), write the check report and the diff, and keep the feed as the accepted one when it has
no errors. Used by `sislab roster build`, notebooks/roster_check.ipynb and `make demo`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sislab.core import access, store
from sislab.core.workspace import Workspace, private_dir, write_atomic

from .checker import CheckReport, check_feed
from .diff import diff_feeds
from .writer import FeedOptions, build_feed

FEED_NAME = "oneroster.zip"
CHECK_NAME = "oneroster_check.csv"
DIFF_NAME = "oneroster_diff.csv"


@dataclass(frozen=True)
class FeedRun:
    feed: Path
    rows: dict[str, int]
    report: CheckReport
    check_file: Path
    diff: pd.DataFrame | None  # changes since the accepted feed (None on the first run)
    accepted: bool  # the feed replaced the accepted feed


def accepted_feed(ws: Workspace) -> Path:
    """Where the last feed that passed its check is kept (the baseline for the next run)."""
    return ws.root / "roster" / "accepted.zip"


def build_and_check(ws: Workspace | None, out_dir: str | Path, options: FeedOptions = FeedOptions(),
                    accept: bool = True) -> FeedRun:
    ws = ws or Workspace.locate()
    access.authorize(ws, access.current_user(), "The OneRoster feed")
    out = private_dir(Path(out_dir))
    with store.snapshot(ws) as con:
        rows = build_feed(con, out / FEED_NAME, options)
    previous = accepted_feed(ws)
    baseline = previous if previous.exists() else None
    report = check_feed(out / FEED_NAME, baseline, homeroom_profile=options.homeroom_only)
    check_file = write_report(report, out / CHECK_NAME)
    changes = diff_feeds(baseline, out / FEED_NAME) if baseline else None
    if changes is not None:
        write_atomic(out / DIFF_NAME, changes.to_csv(index=False))
    accepted = accept and report.passed
    if accepted:
        private_dir(previous.parent)
        write_atomic(previous, lambda tmp: shutil.copyfile(out / FEED_NAME, tmp))
    return FeedRun(out / FEED_NAME, rows, report, check_file, changes, accepted)


def write_report(report: CheckReport, path: str | Path) -> Path:
    """The findings as CSV (owner-only: values may name students)."""
    return write_atomic(Path(path), report.findings.to_csv(index=False))


def demo(ws: Workspace | None, out_dir: str | Path) -> FeedRun:
    """What `make demo` produces: the feed zip and its check report (homeroom profile)."""
    return build_and_check(ws, out_dir, FeedOptions(homeroom_only=True), accept=False)


@dataclass(frozen=True)
class CheckRun:
    feed: Path
    report: CheckReport
    diff: pd.DataFrame | None
    built: FeedRun | None  # set when the feed was built from the snapshot


def run(output_dir: str | Path | None = None, feed: str | Path | None = None, previous: str | Path | None = None,
        homeroom_only: bool = True, accept: bool = False, ws: Workspace | None = None) -> CheckRun:
    """What notebooks/roster_check.ipynb does: check the zip `feed` (against `previous`), or
    build today's feed from the snapshot and check it against the accepted one. Files go to
    `output_dir` (a private temporary folder when None)."""
    import tempfile

    out = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="sislab-roster-"))
    if feed is None:
        built = build_and_check(ws, out, FeedOptions(homeroom_only=bool(homeroom_only)), accept=bool(accept))
        return CheckRun(built.feed, built.report, built.diff, built)
    report = check_feed(feed, previous, homeroom_profile=bool(homeroom_only))
    write_report(report, out / CHECK_NAME)
    changes = diff_feeds(previous, feed) if previous else None
    if changes is not None:
        write_atomic(out / DIFF_NAME, changes.to_csv(index=False))
    return CheckRun(Path(feed), report, changes, None)
