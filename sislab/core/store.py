"""The one place that opens databases.

- The SIS snapshot (DuckDB) is opened read-only. Imports never write into a published
  snapshot: they build a new file and move the CURRENT pointer (see `publish_snapshot`),
  so any number of readers (Voila kernels, notebooks, jobs) never meet a writer's lock.
- App state (jobs, users, files made, schedules, profiles) lives in SQLite in WAL mode,
  made for many small writers in many processes.
- Job results are Parquet files published with `publish_result` (a new file per version,
  never replaced in place), or written for many parts at once into a result batch and
  published part by part (`new_result_batch`, `publish_batch_part`); `snapshot()` exposes the
  current versions as views so that a query can join results with SIS tables.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import duckdb

from .workspace import FILE_MODE, NoSnapshot, Workspace, alive, private_dir, write_atomic

KEEP_SNAPSHOTS = 3
RESULT_GRACE_SECONDS = 600  # how long a replaced result version stays for readers that list it
STAMP = "%Y%m%dT%H%M%S%fZ"  # UTC time stamps in file names: their text sorts in time order
BATCHES = "_batches"  # results/<job>/_batches/<stamp>-<pid>/: result batches (new_result_batch)
BATCH_PARTS = "published"  # a batch's list of published parts, one "<part>\t<stamp>" line each
PART_COLUMN = "result_part"  # the column of a batch's result files that names each row's part
RESULT_PARTS = "result_part_current"  # temp table of a snapshot: the parts each batch file shows


def sql_text(package: str, name: str) -> str:
    """A `.sql` file shipped inside a sislab package (e.g. `sql_text("sislab.cci", "x.sql")`)."""
    return resources.files(package).joinpath("sql", name).read_text(encoding="utf-8")


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def snapshot(ws: Workspace | None = None, *, result_views: bool = True):
    """A read-only DuckDB connection on the current SIS snapshot, with result views.

    The current version of each result part (see `publish_result`) appears in a view
    `<job>_<name>`. Keep the block short: a replaced result version is kept only
    RESULT_GRACE_SECONDS for connections that still list it. A reader of the SIS tables only
    (a run that computes results) leaves the views out (`result_views=False`): listing the
    published versions grows with them.
    """
    ws = ws or Workspace.locate()
    path = ws.current_snapshot()
    if path is None:
        raise NoSnapshot(f"No SIS data imported in {ws.root} yet; run `sislab import DIR` first.")
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET enable_progress_bar = false")
    try:
        con.execute("SET temp_directory = ?", [str(ws.tmp / "duckdb")])
        if result_views:
            _create_result_views(con, ws)
        yield con
    finally:
        con.close()


def _create_result_views(con: duckdb.DuckDBPyConnection, ws: Workspace) -> None:
    """A view per published result set over the current version of each of its parts: part
    files are read together; a batch file is read once, restricted to the parts it holds the
    current version of (listed in the temp table RESULT_PARTS, filled with bound parameters)."""
    current = current_results(ws)
    batch_parts = [(str(source), part) for sources in current.values() for source, parts in sources.items()
                   for part in parts if part is not None]
    con.execute(f"CREATE TEMP TABLE {RESULT_PARTS} AS SELECT unnest(?::VARCHAR[]) AS source, "
                "unnest(?::VARCHAR[]) AS part", [[s for s, _ in batch_parts], [p for _, p in batch_parts]])
    for view, sources in sorted(current.items()):
        # A view cannot hold a bound parameter, so file names are spelled out (our paths).
        files = [source for source, parts in sources.items() if parts == [None]]
        selects = [f"SELECT * FROM read_parquet([{', '.join(sql_literal(f) for f in files)}], union_by_name = true)"
                   ] if files else []
        selects += [f"SELECT * EXCLUDE ({PART_COLUMN}) FROM read_parquet({sql_literal(source)}) WHERE {PART_COLUMN}"
                    f" IN (SELECT part FROM {RESULT_PARTS} WHERE source = {sql_literal(source)})"
                    for source, parts in sources.items() if parts != [None]]
        con.execute(f"CREATE TEMP VIEW {view} AS " + "\nUNION ALL BY NAME\n".join(selects))


def current_results(ws: Workspace) -> dict[str, dict[Path, list[str | None]]]:
    """{view name: {file: parts}} for every published result set: the file of each part's
    current version (its newest, by publication time), with [None] for a part file (it holds
    one part) and the parts a batch file holds the current version of."""
    newest: dict[tuple[str, str], tuple[str, Path, str | None]] = {}  # (view, part): (stamp, file, batch part)
    for job_dir in sorted(d for d in ws.results.iterdir() if d.is_dir()) if ws.results.is_dir() else []:
        for name_dir in sorted(d for d in job_dir.iterdir() if d.is_dir() and not d.name.startswith("_")):
            for part_dir in name_dir.iterdir():
                if versions := _versions(part_dir):
                    _keep_newest(newest, (f"{job_dir.name}_{name_dir.name}", part_dir.name),
                                 (_stamp_of(versions[-1]), versions[-1], None))
        for batch, parts in _batches(job_dir).items():
            for file in batch.glob("*.parquet"):
                for part, stamp in parts.items():
                    _keep_newest(newest, (f"{job_dir.name}_{file.stem}", part), (stamp, file, part))
    views: dict[str, dict[Path, list[str | None]]] = {}
    for (view, _), (_, file, part) in sorted(newest.items()):
        views.setdefault(view, {}).setdefault(file, []).append(part)
    return views


def _keep_newest(newest: dict, key, version: tuple) -> None:
    if key not in newest or version[0] > newest[key][0]:
        newest[key] = version


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


def new_result_batch(ws: Workspace, job: str) -> Path:
    """A new, empty result batch of `job`: a folder for result sets of many parts written at
    once (`write_batch_result`), whose parts become current one by one (`publish_batch_part`).
    Nothing in it is read before a part is published; batches no reader needs any more are
    removed here."""
    _prune_batches(ws.results / job)
    return private_dir(ws.results / job / BATCHES / f"{_stamp()}-{os.getpid()}")


def write_batch_result(batch: Path, name: str, con: duckdb.DuckDBPyConnection, query: str,
                       params: list | None = None) -> Path:
    """Write result set `name` of a batch: the rows of `query`, which names each row's part in
    the column PART_COLUMN (readers do not see that column). Sort the rows by part, so that
    a reader of a few parts skips the rest."""
    def write(tmp: Path) -> None:
        con.execute(f"COPY ({query}) TO {sql_literal(tmp)} (FORMAT parquet)", params or [])

    return write_atomic(batch / f"{name}.parquet", write)


def publish_batch_part(batch: Path, part: str) -> None:
    """Make `part`'s rows of every result set of `batch` its current version, all at once: one
    line appended to the batch's list of published parts (a reader ignores a line not yet ended)."""
    if not part or any(c in part for c in "\t\n\r"):
        raise ValueError(f"A result part name must be one line of text: {part!r}.")
    fd = os.open(batch / BATCH_PARTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.write(fd, f"{part}\t{_stamp()}\n".encode("utf-8"))
    finally:
        os.close(fd)


def published_after(batch: Path, part: str) -> bool:
    """Whether a batch of the same job made after `batch` (so computed later) has published
    `part`: that part's current version is then newer than what `batch` holds. Only the later
    batches' lists are read (usually none)."""
    for later in os.listdir(batch.parent):  # names, not Paths: a district run asks per school
        if later > batch.name:  # <stamp>-<pid>: the names sort by the time they were made
            try:
                lines = (batch.parent / later / BATCH_PARTS).read_text(encoding="utf-8").split("\n")[:-1]
            except FileNotFoundError:
                continue
            if any(line.split("\t")[0] == part for line in lines):
                return True
    return False


def _batches(job_dir: Path) -> dict[Path, dict[str, str]]:
    """{batch folder: {part: when it was published}} of a job's result batches."""
    out = {}
    for batch in sorted((job_dir / BATCHES).iterdir()) if (job_dir / BATCHES).is_dir() else []:
        try:
            text = (batch / BATCH_PARTS).read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        lines = text.split("\n")[:-1]  # the last piece is empty or a line still being written
        out[batch] = dict(line.split("\t") for line in lines)
    return out


def _prune_batches(job_dir: Path) -> None:
    """Remove the batches of `job_dir` that hold no part's current version, whose parts have
    all been published again at least RESULT_GRACE_SECONDS ago (readers that listed them
    are done), and whose writer has ended; and part files a batch superseded as long ago."""
    batches = _batches(job_dir)
    if not batches:
        return
    newest: dict[str, str] = {}
    for parts in batches.values():
        for part, stamp in parts.items():
            newest[part] = max(stamp, newest.get(part, ""))
    cutoff = datetime.fromtimestamp(time.time() - RESULT_GRACE_SECONDS, timezone.utc).strftime(STAMP)
    for batch, parts in batches.items():
        stamp, pid = batch.name.split("-")
        superseded = all(newest[part] > when and newest[part] < cutoff for part, when in parts.items())
        if superseded and stamp < cutoff and not alive(int(pid)):
            shutil.rmtree(batch, ignore_errors=True)
    for name_dir in (d for d in job_dir.iterdir() if d.is_dir() and d.name != BATCHES):
        for part_dir in name_dir.iterdir():
            old = [v for v in _versions(part_dir) if _stamp_of(v) < newest.get(part_dir.name, "") < cutoff]
            for version in old:
                version.unlink(missing_ok=True)
            _remove_if_empty(part_dir)  # so that readers need not list it
        _remove_if_empty(name_dir)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # not empty (or already gone)
        pass


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
    return datetime.now(timezone.utc).strftime(STAMP)


def _stamp_of(version: Path) -> str:
    """When a part file was published (its name begins with the stamp)."""
    return version.name.split("-")[0]


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
