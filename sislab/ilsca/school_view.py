"""A school's part of the newest school year's Illinois file, for the principals' preview
(notebooks/il_sca_preview.ipynb).

The file is the one `extract_newest_year` writes for the district (every calendar of the
newest year, from its first term start to its last term end); a school's part is its records
as a serving school and the pre-flight findings over them (counted within the school's
records, as a school's own run would count them). Building the district's file takes a second
for the sample district and more for a large one, so it is built once per SIS snapshot, by the
first page that needs it, and kept beside the snapshots as Parquet: every record with its
serving school, and the findings of each school and of the whole file. Each later page reads
only its school's rows. A kept file is named by its snapshot and by the extract's code (SQL,
layout, checks), so an import or an upgrade never shows an older file.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core import store
from sislab.core.workspace import Workspace, private_dir, write_atomic

from . import preflight, report
from .editor import request

FOLDER = "previews"  # under the workspace: ilsca-<snapshot>-<code>-{records,findings}.parquet
WHOLE_FILE = ""  # the findings' school for the whole file (an admin's page of every school)
KEEP_SECONDS = 600  # a superseded preview stays this long for pages still reading it


@dataclass(frozen=True)
class SchoolView:
    records: pd.DataFrame  # the school's records in file order, the file's field titles
    findings: pd.DataFrame  # the pre-flight findings over them, in list order


def school_view(ws: Workspace, con: duckdb.DuckDBPyConnection, school: str | None) -> SchoolView | None:
    """`school`'s part of the newest year's file (None: the whole file) on the snapshot `con`
    reads; None when the SIS data has no calendar to report."""
    records, findings = kept_files(ws, con)
    if records is None:
        return None
    rows = con.execute("SELECT * EXCLUDE (line, school_id) FROM read_parquet($file) "
                       "WHERE $school::VARCHAR IS NULL OR school_id = $school ORDER BY line",
                       {"file": str(records), "school": school}).df()
    found = con.sql("SELECT * EXCLUDE (position, school_id) FROM read_parquet($file) "
                    "WHERE school_id = $school ORDER BY position",
                    params={"file": str(findings), "school": school or WHOLE_FILE}).to_arrow_table().to_pandas()
    return SchoolView(rows, found)


def kept_files(ws: Workspace, con: duckdb.DuckDBPyConnection) -> tuple[Path | None, Path | None]:
    """(records, findings) Parquet files of the newest year's file of the snapshot `con`
    reads, built now if no page has built them yet; (None, None) without a calendar."""
    snapshot = Path(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
                    .fetchone()[0])
    folder = ws.root / FOLDER
    stem = f"ilsca-{snapshot.stem}-{code_version()}"
    records, findings = folder / f"{stem}-records.parquet", folder / f"{stem}-findings.parquet"
    if findings.exists() and records.exists():
        return records, findings
    choices = report.default_choices(con)
    if not choices["calendars"]:
        return None, None
    private_dir(folder)
    report.build(con, request(**choices, file_id="001"))
    write_atomic(records, lambda tmp: con.execute(
        f"COPY (SELECT row_number() OVER (ORDER BY {report.LINE_ORDER}) AS line, school_id, "
        f"{report.file_columns(titles=True)} FROM ilsca_record) TO {store.sql_literal(tmp)} (FORMAT parquet)"))
    sending_rcdts = report.sender(con)[1]
    schools = [WHOLE_FILE] + [r[0] for r in con.execute("SELECT school_id FROM school ORDER BY school_id").fetchall()]
    for school in schools:  # each school's checks count within its own records
        preflight.build(con, sending_rcdts, school or None)
        con.execute("CREATE OR REPLACE TEMP TABLE ilsca_school_finding AS "
                    + ("SELECT * FROM ilsca_school_finding UNION ALL " if school else "")
                    + "SELECT $school AS school_id, rowid AS position, * FROM ilsca_finding",
                    {"school": school})
    write_atomic(findings, lambda tmp: con.execute(
        f"COPY ilsca_school_finding TO {store.sql_literal(tmp)} (FORMAT parquet)"))
    _remove_superseded(folder, stem)
    return records, findings


@lru_cache
def code_version() -> str:
    """A short digest of what makes the file (SQL, layout and checks): a kept preview made by
    other code is never read."""
    package = resources.files(report.PACKAGE)
    texts = [package.joinpath(n).read_bytes() for n in ("layout.toml", "preflight.toml")]
    texts += [f.read_bytes() for f in sorted(package.joinpath("sql").iterdir(), key=lambda f: f.name)]
    return hashlib.sha256(b"\0".join(texts)).hexdigest()[:12]


def _remove_superseded(folder: Path, current: str) -> None:
    """Previews of other snapshots or code, once no page has been able to start reading them for a while."""
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("ilsca-*.parquet"):
        if not old.name.startswith(current):
            try:
                if old.stat().st_mtime < cutoff:
                    old.unlink()
            except FileNotFoundError:
                pass
