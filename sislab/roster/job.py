"""The rostering job at its edges: build today's feed, check it (against the last accepted
feed for its receiver and schools), write the check report and the diff, and keep the feed as
the accepted one when it has no errors. Used by `sislab roster build`,
notebooks/roster_check.ipynb and `make demo`.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sislab.core import access, store
from sislab.core.safe_csv import write_frame
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


LEGACY_BASELINE = "accepted.zip"  # the one baseline of every feed until 2026-12: read as the generic one


def accepted_feed(ws: Workspace, receiver: str = "generic", schools: tuple[str, ...] | None = None) -> Path:
    """Where the last feed for this receiver and school set that passed its check is kept (the
    baseline of its next run): roster/accepted-<receiver>[-<schools>].zip. Each receiver and
    school set has its own: a homeroom feed compared with the full one would lose most classes."""
    return ws.root / "roster" / f"accepted-{receiver}{_schools_part(schools)}.zip"


def _schools_part(schools: tuple[str, ...] | None) -> str:
    """'' for every school, else '-' and the school ids in order ('+' between), or their md5
    when they do not make a short file name."""
    if schools is None:
        return ""
    ids = "+".join(sorted(set(schools)))
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", ids.replace("+", "")) and len(ids) <= 80:
        return f"-{ids}"
    return f"-{hashlib.md5(ids.encode()).hexdigest()[:12]}"


def baseline(ws: Workspace, options: FeedOptions) -> Path | None:
    """The accepted feed the run is checked against: its receiver's and school set's, or, for
    the generic feed of every school, the single accepted.zip kept before there was one per
    receiver (until a generic feed is accepted again)."""
    path = accepted_feed(ws, options.receiver, options.schools)
    if path.exists():
        return path
    legacy = ws.root / "roster" / LEGACY_BASELINE
    return legacy if options.receiver == "generic" and options.schools is None and legacy.exists() else None


def build_and_check(ws: Workspace | None, out_dir: str | Path, options: FeedOptions = FeedOptions(),
                    accept: bool = True, accept_drop: bool = False) -> FeedRun:
    """Build the feed for `options.receiver`, check it for that receiver against its accepted
    feed (`baseline`; the report also holds what the build found wrong in the SIS data), and
    keep it as the receiver's and school set's accepted feed when it has no errors
    (`accept_drop` confirms a large drop against the accepted feed)."""
    ws = ws or Workspace.locate()
    access.authorize(ws, access.current_user(), "The OneRoster feed")
    out = private_dir(Path(out_dir))
    with store.snapshot(ws) as con:
        built = build_feed(con, out / FEED_NAME, options)
    previous = baseline(ws, options)
    report = check_feed(out / FEED_NAME, previous, receiver=options.receiver, accept_drop=accept_drop).adding(built.findings)
    check_file = write_report(report, out / CHECK_NAME)
    changes = diff_feeds(previous, out / FEED_NAME) if previous else None
    if changes is not None:
        write_frame(out / DIFF_NAME, changes)
    accepted = accept and report.passed
    if accepted:
        target = accepted_feed(ws, options.receiver, options.schools)
        private_dir(target.parent)
        write_atomic(target, lambda tmp: shutil.copyfile(out / FEED_NAME, tmp))
    return FeedRun(out / FEED_NAME, built.rows, report, check_file, changes, accepted)


def write_report(report: CheckReport, path: str | Path) -> Path:
    """The findings as CSV (owner-only: values may name students)."""
    return write_frame(path, report.findings)


def demo(ws: Workspace | None, out_dir: str | Path) -> FeedRun:
    """What `make demo` produces: the CLI Engage feed zip and its check report."""
    return build_and_check(ws, out_dir, FeedOptions(receiver="cli-engage"), accept=False)


@dataclass(frozen=True)
class CheckRun:
    feed: Path
    report: CheckReport
    diff: pd.DataFrame | None
    built: FeedRun | None  # set when the feed was built from the snapshot


def run(output_dir: str | Path | None = None, feed: str | Path | None = None, previous: str | Path | None = None,
        receiver: str = "cli-engage", accept: bool = False, accept_drop: bool = False,
        ws: Workspace | None = None) -> CheckRun:
    """What notebooks/roster_check.ipynb does: check the zip `feed` (against `previous`), or
    build today's feed from the snapshot and check it against the accepted one. Files go to
    `output_dir` (when None, a new run folder reports/roster_check/<stamp>/: names and e-mails
    never go outside the workspace and reports)."""
    from ..core.runner import new_run_dir

    out = Path(output_dir) if output_dir else new_run_dir((ws or Workspace.locate()).reports / "roster_check")
    if feed is None:
        built = build_and_check(ws, out, FeedOptions(receiver=receiver), accept=bool(accept),
                                accept_drop=bool(accept_drop))
        return CheckRun(built.feed, built.report, built.diff, built)
    report = check_feed(feed, previous, receiver=receiver, accept_drop=bool(accept_drop))
    write_report(report, out / CHECK_NAME)
    changes = diff_feeds(previous, feed) if previous else None
    if changes is not None:
        write_frame(out / DIFF_NAME, changes)
    return CheckRun(Path(feed), report, changes, None)
