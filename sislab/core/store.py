"""The one place that opens databases.

- The SIS snapshot (DuckDB) is opened read-only. Imports never write into a published
  snapshot: they build a new file and move the CURRENT pointer (see `publish_snapshot`),
  so any number of readers (Voila kernels, notebooks, jobs) never meet a writer's lock.
- App state (jobs, users, files made, schedules, profiles) lives in SQLite in WAL mode,
  made for many small writers in many processes.
- Job results are Parquet files published with `publish_result` (a new file per version,
  never replaced in place); `snapshot()` exposes the current versions as views so that a
  query can join results with SIS tables.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import duckdb

from .workspace import FILE_MODE, NoSnapshot, Workspace, write_atomic

KEEP_SNAPSHOTS = 3
RESULT_GRACE_SECONDS = 600  # how long a replaced result version stays for readers that list it


def sql_text(package: str, name: str) -> str:
    """A `.sql` file shipped inside a sislab package (e.g. `sql_text("sislab.cci", "x.sql")`)."""
    return resources.files(package).joinpath("sql", name).read_text(encoding="utf-8")


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def snapshot(ws: Workspace | None = None):
    """A read-only DuckDB connection on the current SIS snapshot, with result views.

    The current version of each result part (see `publish_result`) appears in a view
    `<job>_<name>`. Keep the block short: a replaced result version is kept only
    RESULT_GRACE_SECONDS for connections that still list it.
    """
    ws = ws or Workspace.locate()
    path = ws.current_snapshot()
    if path is None:
        raise NoSnapshot(f"No SIS data imported in {ws.root} yet; run `sislab import DIR` first.")
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    try:
        con.execute("SET temp_directory = ?", [str(ws.tmp / "duckdb")])
        for view, files in result_views(ws).items():
            # A view cannot hold a bound parameter, so the file list is spelled out (our paths).
            listed = ", ".join(sql_literal(f) for f in files)
            con.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM read_parquet([{listed}], union_by_name = true)")
        yield con
    finally:
        con.close()


def result_views(ws: Workspace) -> dict[str, list[str]]:
    """{view name: the current version of each part} for every published result set."""
    views: dict[str, list[str]] = {}
    for name_dir in sorted(d for d in ws.results.glob("*/*") if d.is_dir()):
        files = [str(versions[-1]) for part in sorted(name_dir.iterdir()) if (versions := _versions(part))]
        if files:
            views[f"{name_dir.parent.name}_{name_dir.name}"] = files
    return views


def publish_result(ws: Workspace, job: str, name: str, part: str, con: duckdb.DuckDBPyConnection,
                   query: str, params: list | None = None) -> Path:
    """Write the rows of `query` as a new version of results/<job>/<name>/<part>/; return its file.

    `part` is usually a school id: a school's run replaces only that school's rows, and a
    failed run leaves the previous version current.

    A published file is never replaced: DuckDB opens a Parquet file more than once in one
    query (metadata, then data), so a file swapped under a reader's query yields rows of
    one version counted by the other. Each publish adds a file named by time, readers take
    the newest, and a superseded version is deleted once its successor has been current
    for RESULT_GRACE_SECONDS.
    """
    def write(tmp: Path) -> None:
        con.execute(f"COPY ({query}) TO {sql_literal(tmp)} (FORMAT parquet)", params or [])

    return _publish_version(ws.results / job / name / part, write)


def publish_result_file(ws: Workspace, job: str, name: str, part: str, prepared: Path) -> Path:
    """Publish a Parquet file written beforehand (e.g. one partition of a COPY ... PARTITION_BY
    over many parts at once) as `publish_result` would; the file is moved, so it must be on the
    workspace's file system (ws.tmp)."""
    return _publish_version(ws.results / job / name / part, lambda tmp: os.replace(prepared, tmp))


def _publish_version(part_dir: Path, write) -> Path:
    target = part_dir / f"{_stamp()}-{os.getpid()}.parquet"
    write_atomic(target, write)
    _prune_results(part_dir)
    return target


def _versions(part_dir: Path) -> list[Path]:
    """A result part's published versions, oldest first (their names sort by time)."""
    return sorted(part_dir.glob("*.parquet")) if part_dir.is_dir() else []


def _prune_results(part_dir: Path) -> None:
    versions = _versions(part_dir)
    cutoff = time.time() - RESULT_GRACE_SECONDS
    for old, successor in zip(versions, versions[1:]):
        if _mtime(successor) < cutoff:
            old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # pruned by another publisher, so superseded long ago
        return 0.0


def _stamp() -> str:
    """A UTC time stamp whose text sorts in time order."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def sql_literal(value: Path | str) -> str:
    """A string literal where DuckDB takes no bound parameter (COPY ... TO, views, code lists).

    Only for values sislab makes (its own paths, constants of the model), never for user text.
    """
    return "'" + str(value).replace("'", "''") + "'"


def build_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection on a snapshot being built (only the importer uses it)."""
    return duckdb.connect(str(path))


def publish_snapshot(ws: Workspace, built: Path) -> Path:
    """Move a finished snapshot into place and point CURRENT at it, atomically."""
    final = ws.snapshots / f"sis-{_stamp()}-{os.getpid()}.duckdb"
    os.chmod(built, FILE_MODE)
    os.replace(built, final)
    write_atomic(ws.current_pointer, final.name + "\n")
    _prune_snapshots(ws, keep=final)
    return final


def _prune_snapshots(ws: Workspace, keep: Path) -> None:
    """Keep the newest few snapshots (readers that opened an older one keep their inode), and
    always the one the last successful job ran on: its results were computed from it."""
    kept = {keep.name, last_job_snapshot(ws)}
    olds = sorted((p for p in ws.snapshots.glob("sis-*.duckdb") if p.name not in kept),
                  key=lambda p: p.stat().st_mtime)
    for old in olds[: max(0, len(olds) - (KEEP_SNAPSHOTS - 1))]:
        old.unlink(missing_ok=True)


def last_job_snapshot(ws: Workspace) -> str | None:
    """Name of the snapshot the last successful job started on, if any job recorded one."""
    con = app_state(ws)
    try:
        row = con.execute("SELECT snapshot FROM job WHERE status = 'succeeded' AND snapshot IS NOT NULL"
                          " ORDER BY job_id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return row[0] if row else None


def app_state(ws: Workspace | None = None) -> sqlite3.Connection:
    """A connection to the app-state database, schema applied, WAL on, waits on busy."""
    ws = ws or Workspace.locate()
    new = not ws.app_db.exists()
    con = sqlite3.connect(ws.app_db, timeout=30, isolation_level=None)
    if new:
        os.chmod(ws.app_db, FILE_MODE)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA busy_timeout = 30000")
    _retry_locked(lambda: con.execute("PRAGMA journal_mode = WAL"))
    con.execute("PRAGMA foreign_keys = ON")
    _retry_locked(lambda: con.executescript(sql_text("sislab.core", "app_state.sql")))
    _migrate(con)
    return con


def _migrate(con: sqlite3.Connection) -> None:
    """Bring an app state made by an older sislab up to app_state.sql (which only creates):
    `job.snapshot` was added, and `import_run.status` learned 'died'."""
    if "snapshot" not in {r[1] for r in con.execute("PRAGMA table_info(job)")}:
        with transaction(con):
            if "snapshot" not in {r[1] for r in con.execute("PRAGMA table_info(job)")}:
                con.execute("ALTER TABLE job ADD COLUMN snapshot TEXT")
    if "'died'" not in _table_sql(con, "import_run"):
        with transaction(con):
            old = _table_sql(con, "import_run")
            if "'died'" not in old:
                con.execute("ALTER TABLE import_run RENAME TO import_run_old")
                con.execute(old.replace("'failed')", "'failed', 'died')"))
                con.execute("INSERT INTO import_run SELECT * FROM import_run_old")
                con.execute("DROP TABLE import_run_old")


def _table_sql(con: sqlite3.Connection, name: str) -> str:
    return con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone()[0]


@contextmanager
def transaction(con: sqlite3.Connection):
    """BEGIN IMMEDIATE ... COMMIT: the write lock is taken up front, so no upgrade deadlocks."""
    _retry_locked(lambda: con.execute("BEGIN IMMEDIATE"))
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _retry_locked(fn, attempts: int = 50):
    for i in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or i == attempts - 1:
                raise
            time.sleep(0.05 * (i + 1))
