"""Produce the extract: check the editor, build, pre-flight, write, record the file made.

The one call the CLI, the notebook and `make demo` share. The editor is checked before the
snapshot is opened; the file and its pre-flight CSV are written atomically, owner-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from sislab.core import access, store
from sislab.core.workspace import Workspace, private_dir

from . import formats, preflight, report
from .editor import FILE_EXISTS, NO_RECORDS, EditorError, Request, request as check_editor

KIND = "ilsca"


@dataclass(frozen=True)
class ExtractResult:
    path: Path  # the file written
    preflight_path: Path  # its pre-flight findings (CSV), beside it
    records: int
    findings: pd.DataFrame


def extract(ws: Workspace | None = None, request: Request | None = None, *, user: str | None = None,
            out_dir: Path | None = None, **editor) -> ExtractResult:
    """Produce the file chosen by `request` (or by editor values: start, end, calendars, ...).

    Raises editor.EditorError for a bad choice (before any work), for a file of that name that
    exists (unless `replace`), for a calendar that is unknown or has no student in the window,
    and when no record reports: then nothing is written or recorded. store.NoSnapshot before
    the first import. Writes into `out_dir` (default reports/ilsca/).
    """
    req = request or check_editor(**editor)
    ws = ws or Workspace.locate()
    access.authorize(ws, user or access.current_user(), "The Illinois course assignment file")
    produced = req.run_date or date.today()
    folder = Path(out_dir) if out_dir else ws.reports / "ilsca"
    with store.snapshot(ws) as con:
        name_part, sending_rcdts = report.sender(con)
        path = folder / formats.file_name(name_part, produced, req.file_id, req.format)
        if path.exists() and not req.replace:
            raise EditorError(FILE_EXISTS.format(name=path.name))
        report.build(con, req)
        report.check_enrolled(con, req)
        preflight.build(con, sending_rcdts)
        found = preflight.built(con)
        total = report.record_count(con)
        if not total:
            raise EditorError(NO_RECORDS.format(reasons=not_reported(found)))
        private_dir(folder)
        preflight_path = path.with_name(path.stem + "_preflight.csv")
        preflight.write_csv(con, preflight_path)
        formats.write(con, req.format, path, produced, sending_rcdts, total)
    record_file(ws, path, user or access.current_user(), total)
    return ExtractResult(path, preflight_path, total, found)


def not_reported(found: pd.DataFrame) -> str:
    """How many scheduled course/sections do not report, per reason (for the no-records refusal)."""
    reasons = found.loc[found["check"] == "not_reported", "value"].value_counts()
    return "; ".join(f"{n} x {why}" for why, n in reasons.items()) or "none (no student on a roster in the window)"


def extract_newest_year(ws: Workspace | None = None, *, user: str | None = None,
                        out_dir: Path | None = None, **editor) -> ExtractResult:
    """`extract` with the editor's defaults: every calendar of the newest school year, from its
    first term start to its last term end (what `make demo` produces); `editor` overrides."""
    ws = ws or Workspace.locate()
    with store.snapshot(ws) as con:
        defaults = report.default_choices(con)
    return extract(ws, user=user, out_dir=out_dir, **{**defaults, **editor})


def record_file(ws: Workspace, path: Path, user: str, records: int) -> None:
    """Add the file to the extracted-file list (date/time, user, record count)."""
    con = store.app_state(ws)
    try:
        with store.transaction(con):
            con.execute("INSERT INTO extracted_file (kind, path, created_at, user_name, record_count) "
                        "VALUES (?, ?, ?, ?, ?)", (KIND, str(path), store.utcnow(), user, records))
    finally:
        con.close()


def extracted_files(ws: Workspace | None = None) -> pd.DataFrame:
    """Files this job produced, newest first: created_at (UTC), user, records, file."""
    con = store.app_state(ws or Workspace.locate())
    try:
        rows = con.execute("SELECT created_at, user_name, record_count, path FROM extracted_file "
                           "WHERE kind = ? ORDER BY file_id DESC", (KIND,)).fetchall()
    finally:
        con.close()
    return pd.DataFrame([dict(r) for r in rows], columns=["created_at", "user_name", "record_count", "path"])
