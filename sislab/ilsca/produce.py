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
from .editor import Request, request as check_editor

KIND = "ilsca"


@dataclass(frozen=True)
class ExtractResult:
    path: Path  # the file written
    preflight_path: Path  # its pre-flight findings (CSV), beside it
    records: int
    findings: pd.DataFrame


def extract(ws: Workspace | None = None, request: Request | None = None, *, user: str | None = None,
            today: date | None = None, out_dir: Path | None = None, **editor) -> ExtractResult:
    """Produce the file chosen by `request` (or by editor values: start, end, calendars, ...).

    Raises editor.EditorError (before any work) for a bad choice, store.NoSnapshot before the
    first import. Writes into `out_dir` (default reports/ilsca/).
    """
    req = request or check_editor(**editor)
    ws = ws or Workspace.locate()
    access.authorize(ws, user or access.current_user(), "The Illinois course assignment file")
    produced = today or date.today()
    folder = private_dir(Path(out_dir) if out_dir else ws.reports / "ilsca")
    with store.snapshot(ws) as con:
        report.build(con, req)
        name_part, sending_rcdts = report.sender(con)
        preflight.build(con, sending_rcdts)
        path = folder / formats.file_name(name_part, produced, req.file_id, req.format)
        preflight_path = path.with_name(path.stem + "_preflight.csv")
        preflight.write_csv(con, preflight_path)
        found = preflight.built(con)
        total = formats.write(con, req.format, path, produced, sending_rcdts)
    record_file(ws, path, user or access.current_user(), total)
    return ExtractResult(path, preflight_path, total, found)


def extract_newest_year(ws: Workspace | None = None, *, user: str | None = None, today: date | None = None,
                        out_dir: Path | None = None, **editor) -> ExtractResult:
    """`extract` with the editor's defaults: every calendar of the newest school year, from its
    first term start to its last term end (what `make demo` produces); `editor` overrides."""
    ws = ws or Workspace.locate()
    with store.snapshot(ws) as con:
        defaults = report.default_choices(con)
    return extract(ws, user=user, today=today, out_dir=out_dir, **{**defaults, **editor})


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
