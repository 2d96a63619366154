"""Import a folder of SIS CSV exports into a new snapshot: all of it, or none of it.

Every file is read as text by DuckDB, checked against the data model (`model.py`), typed,
then cross-checked (keys, references, date order). Only when no file has an error is the new
snapshot published; otherwise the previous snapshot stays current and untouched, and the
user gets every problem found, each naming file, row and column. A snapshot that would lose
more than a tenth of its students, enrollments, marks or rosters (or, for a source that
names them, of a group of other rows: the CAASPP scores of a test and year) is refused too,
unless the user says the shrink is expected (`accept_shrink`): an export cut short looks valid.

Row numbers count data rows from 1, header not counted, blank lines skipped (CERS's
convention too; a spreadsheet's row of empty cells is a blank line). Problems with the text
itself (bad bytes, a stray quote) name the physical line instead, since there is no row to
speak of.

Each file is read once: typing and every value rule run in the same scan, which only flags
rows (`_bad`). A row's number is its `rowid` + 1 in the staging table, which DuckDB fills in
file order; numbering in the scan itself (a window) would hold the scan to one core. Only
when a file has flagged rows is it read again, those rows alone, to say what is wrong with
each. The work happens in an owner-only folder `tmp/import-<run>/` (the
snapshot being built, transcoded copies, DuckDB's spill files), removed when the import ends,
or by the next import or `sislab import --recover` when the process was killed.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
import shutil
import uuid
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import access, jobs, locks, model, store
from .model import Column, Table
from .workspace import Workspace, owner_only, private_dir, private_tree

IMPORT_LOCK = "import"
STAGING = "staging-"  # tmp/staging-<source>-<id>/: the export a source writes, then imports
# Staging folders of older versions, which hold no lock (not `aeries-demo-*`, the demo's scratch)
OLD_STAGING = re.compile(r"^(aeries|oneroster|caaspp)-[0-9a-f]{32}$")
MAX_SHRINK = 0.10  # share of rows a guarded table may lose against the current snapshot
# Guarded tables, each counted per group of these columns (none: the whole table)
SHRINK_GUARDED = {"student": (), "enrollment": (), "mark": (), "roster": ()}
# Tables another import path fills (`sislab import --scores`): an export without the file keeps
# the current snapshot's rows (of the students still in it) instead of emptying the table.
KEPT_WHEN_ABSENT = ("test_score",)
MISSING = "is missing from the import folder"
MEMORY_LIMIT = "2GB"  # DuckDB's buffers for the build; beyond that it spills into the work folder
ROWS_LISTED = 20  # rows named per (column, rule); the rest are counted
CHUNK = 16 << 20
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]
DATE_RANGE = "DATE '1900-01-01' AND DATE '2100-12-31'"
CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
# Read as NULL. No export holds it, so NULL in a column means the line had no field there
# (DuckDB pads short lines); an empty field reads as ''.
NO_FIELD = "\x1e\x1f"
EXTRA = "_extra"  # one column past the header: a field there means the line is too long
SHOWN = 60  # characters of a bad value quoted in a finding


@dataclass(frozen=True)
class Finding:
    """One problem in the input, located as precisely as the input allows."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    line: int | None = None
    severity: str = "error"
    # Other rows the finding is about (a duplicate key's), numbered like `row` and kept apart
    # from the message, so a source can tell them as its own records; text names a row elsewhere.
    others: tuple[int | str, ...] = ()

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}{self.also('row')}"

    def also(self, unit: str) -> str:
        """The other rows, as the message's end: ' also in row(s) 7, 9' (five named at most)."""
        if not self.others:
            return ""
        shown = self.others[:5]
        numbers = ", ".join(str(o) for o in shown if isinstance(o, int))
        parts = [f"{unit}(s) {numbers}"] * bool(numbers) + [o for o in shown if isinstance(o, str)]
        return " also in " + "; ".join(parts) + (" ..." if len(self.others) > 5 else "")


class ImportRejected(Exception):
    """The import found errors; nothing was published."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.severity == "error"]
        head = "\n".join(f"  {f}" for f in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"Import rejected, previous data kept: {len(errors)} problem(s)\n{head}{more}")


class ImportBusy(Exception):
    """Another import holds the workspace; says who and since when, in one line."""

    def __init__(self, holder: locks.Holder):
        self.holder = holder
        super().__init__(f"an import is {holder}; try again when it has finished")


@dataclass
class ImportReport:
    snapshot: Path
    row_counts: dict[str, int]
    warnings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Recovery:
    """What `recover` cleaned up after killed imports and jobs (names only, no student data)."""

    imports_died: list[int]
    jobs_died: list[int]
    removed: list[str]

    def __str__(self) -> str:
        return (f"imports marked died: {_ids(self.imports_died)}; jobs marked died: {_ids(self.jobs_died)}; "
                f"leftover work files removed: {len(self.removed)}")


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids)) or "none"


def import_sis(source_dir: str | os.PathLike, ws: Workspace | None = None, user: str | None = None,
               progress=None, *, accept_shrink: bool = False, max_shrink: float = MAX_SHRINK,
               source_label: str | None = None,
               shrink_by: dict[str, tuple[str, ...]] | None = None,
               lock: ImportLock | None = None) -> ImportReport:
    """Validate every export in `source_dir` and publish them as the new SIS snapshot.

    `source_label` is what the import's record names as its source (default: the folder); a
    source that stages its records as CSV names itself (the Aeries server, the zip).
    `shrink_by` guards more tables against shrinking, each per group of columns: a source that
    replaces part of a table (the CAASPP scores of a test and year) has each part guarded.
    `lock`: the import lock the caller holds on `ws` (`import_lock`), else it is taken here.

    Raises ImportRejected (nothing published) or ImportBusy (another import is running).
    """
    ws = ws or Workspace.locate()
    user = user or access.current_user()
    source = Path(source_dir)
    if not source.is_dir():
        raise ImportRejected([Finding(str(source), "is not a folder of CSV exports")])
    held = lock is not None and lock.held and lock.root == ws.root.resolve()
    with nullcontext() if held else import_lock(ws, user), owner_only():
        _recover_locked(ws)
        guarded = {**SHRINK_GUARDED, **(shrink_by or {})}
        return _import(source, ws, user, progress, None if accept_shrink else max_shrink,
                       source_label or str(source.resolve()), guarded)


def recover(ws: Workspace | None = None, user: str | None = None) -> Recovery:
    """Clean up after imports and jobs that were killed: mark their runs died, remove their
    work files (snapshots half built, transcoded copies, spill files) and stale lock files."""
    ws = ws or Workspace.locate()
    with import_lock(ws, user or access.current_user()):
        return _recover_locked(ws)


@dataclass
class ImportLock:
    """The workspace's import lock, held by this process (see `import_lock`)."""

    root: Path
    held: bool = True


@contextmanager
def import_lock(ws: Workspace, user: str | None = None):
    """Hold the workspace's import lock for the block, or raise ImportBusy at once: no other
    import publishes meanwhile. A source that builds the next snapshot from the current one
    (the CAASPP scores onto it) holds it from its first read of the snapshot to publishing, and
    hands it to `import_sis` (`lock=`), which then does not take it again."""
    with ExitStack() as stack:
        try:
            stack.enter_context(locks.hold(ws, IMPORT_LOCK, user=user or access.current_user()))
        except locks.Busy as busy:
            raise ImportBusy(busy.holder) from None
        lock = ImportLock(ws.root.resolve())
        try:
            yield lock
        finally:
            lock.held = False


@contextmanager
def staging_dir(ws: Workspace, source: str, user: str | None = None):
    """An owner-only folder tmp/staging-<source>-<id>/ for the export a source (an Aeries pull,
    a OneRoster zip, a score file) writes and then imports, removed when the block ends. The
    folder's lock is held meanwhile: `recover` and the next import remove the staged student
    data of a source killed mid-way (no one holds its lock), never a running source's."""
    name = f"{STAGING}{source}-{uuid.uuid4().hex}"
    with locks.hold(ws, _staging_resource(name), user=user or access.current_user()):
        folder = private_dir(ws.tmp / name)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _staging_resource(name: str) -> str:
    return f"staging:{name}"


def _orphaned_staging(ws: Workspace) -> list[Path]:
    """Staging folders whose source process is gone."""
    return [p for p in ws.tmp.glob("*") if p.is_dir() and (p.name.startswith(STAGING) or OLD_STAGING.match(p.name))
            and locks.holder(ws, _staging_resource(p.name)) is None]


def _recover_locked(ws: Workspace) -> Recovery:
    """Called holding the import lock: no import is alive, so whatever one left is garbage."""
    with owner_only():
        removed = []
        # tmp/import-<run>/ now; building-*.duckdb(.wal) and utf8-* copies from older versions;
        # the staging folders of sources that were killed
        for leftover in (*ws.tmp.glob("import-*"), *ws.tmp.glob("building-*"), *ws.tmp.glob("utf8-*"),
                         *_orphaned_staging(ws)):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            removed.append(leftover.name)
        app = store.app_state(ws)
        try:
            with store.transaction(app):
                died = [r[0] for r in app.execute("SELECT import_id FROM import_run WHERE status = 'running'")]
                app.execute("UPDATE import_run SET status = 'died', finished_at = ? WHERE status = 'running'",
                            [store.utcnow()])
        finally:
            app.close()
        private_tree(ws.results)
        return Recovery(died, jobs.recover(ws), removed)


def _import(source: Path, ws: Workspace, user: str, progress, max_shrink: float | None,
            label: str, guarded: dict[str, tuple[str, ...]]) -> ImportReport:
    app = store.app_state(ws)
    run_id = app.execute(
        "INSERT INTO import_run (started_at, user_name, source, status) VALUES (?, ?, ?, 'running')",
        [store.utcnow(), user, label]).lastrowid
    work = private_dir(ws.tmp / f"import-{run_id}")
    built = work / "building.duckdb"
    try:
        findings, counts = _build(source, built, work, progress, ws.current_snapshot())
        if max_shrink is not None and not _errors(findings):
            findings += _shrink_findings(ws, built, max_shrink, guarded)
        errors = _errors(findings)
        if errors:
            _finish(app, run_id, "rejected", error_count=len(errors))
            raise ImportRejected(findings)
        final = store.publish_snapshot(ws, built)
        _finish(app, run_id, "published", snapshot=final.name, counts=counts)
        return ImportReport(final, counts, findings)
    except ImportRejected:
        raise
    except BaseException:
        _finish(app, run_id, "failed")
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        app.close()


def _errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def _finish(app, run_id, status, snapshot=None, counts=None, error_count=0) -> None:
    app.execute(
        "UPDATE import_run SET finished_at = ?, status = ?, snapshot = ?, row_counts = ?, error_count = ? "
        "WHERE import_id = ?",
        [store.utcnow(), status, snapshot, json.dumps(counts) if counts else None, error_count, run_id])


def _shrink_findings(ws: Workspace, built: Path, max_shrink: float,
                     guarded: dict[str, tuple[str, ...]]) -> list[Finding]:
    """Guarded tables (or groups of their rows) that lose more than `max_shrink` of their rows
    against the current snapshot; a group that is gone has lost all of them."""
    if ws.current_snapshot() is None:
        return []
    with store.snapshot(ws, result_views=False) as con:
        before = _guarded_counts(con, guarded)
    with duckdb.connect(str(built), read_only=True) as con:
        after = _guarded_counts(con, guarded)
    findings = []
    for (t, group), old in before.items():
        new = after.get((t, group), 0)
        if old and new < old * (1 - max_shrink):
            of = " of " + ", ".join(f"{c} {v}" for c, v in zip(guarded[t], group)) if group else ""
            findings.append(Finding(
                model.table(t).file_name,
                f"{t}{of} would shrink from {old:,} rows to {new:,} ({(old - new) / old:.0%} fewer; at most "
                f"{max_shrink:.0%} allowed): if this export is right, import it again with --accept-shrink"))
    return findings


def _guarded_counts(con, guarded: dict[str, tuple[str, ...]]) -> dict[tuple[str, tuple], int]:
    """Rows per (table, group of its guarded columns' values)."""
    counts = {}
    for t, by in guarded.items():
        group = ", ".join(by)
        sql = (f"SELECT {group}, count(*) FROM {t} GROUP BY {group} ORDER BY {group}" if by
               else f"SELECT count(*) FROM {t}")
        for *values, n in con.execute(sql).fetchall():
            counts[(t, tuple(values))] = n
    return counts


def _build(source: Path, built: Path, work: Path, progress,
           current: Path | None = None) -> tuple[list[Finding], dict[str, int]]:
    files = {p.name.lower(): p for p in source.iterdir() if p.is_file()}
    findings: list[Finding] = []
    unusable: set[str] = set()
    con = store.build_connection(built)
    try:
        con.execute("SET temp_directory = ?", [str(work / "spill")])
        con.execute("SET memory_limit = ?", [MEMORY_LIMIT])
        con.execute("SET enable_progress_bar = false")
        # Row numbers are rowids, so rows must be stored in file order: insertion order kept (the
        # default), and value lists (`code IN ('A', 'B', ...)`) evaluated in place, not rewritten
        # into a join, which DuckDB does for longer lists and which reorders rows.
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET disabled_optimizers = 'in_clause'")
        _create_staging_tables(con)
        if progress:
            progress.start(len(model.TABLES) + 1, "import")
        kept = [t for t in model.TABLES if t.name in KEPT_WHEN_ABSENT and t.file_name not in files and current]
        for table in model.TABLES:
            if table not in kept:
                table_findings, usable = _load_table(con, table, files.get(table.file_name), work)
                findings += table_findings
                if not usable:
                    unusable.add(table.file_name)
            if progress:
                progress.advance(1, table.name)
        for table in kept:  # after the tables their rows refer to
            findings.append(_keep_rows(con, table, current))
        findings += _check_references(con, skip_targets=unusable)
        counts = {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in model.TABLES}
        if not _errors(findings):
            _publish_tables(con)
        if progress:
            progress.advance(1, "checks")
            progress.close()
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return findings, counts


# --- one file -------------------------------------------------------------------------


def _load_table(con: duckdb.DuckDBPyConnection, table: Table, path: Path | None,
                work: Path) -> tuple[list[Finding], bool]:
    """Read one export into its snapshot table (typed, numbered by rowid); return what is wrong
    with it, and whether its rows can be used to check other files' references."""
    if path is None:
        return [_no_rows(table, MISSING)], False
    try:
        readable, findings, scan = _readable(path, work)
        if readable is None:
            return findings, False
        header, header_findings = _read_header(readable, table)
    except OSError as e:
        return [Finding(table.file_name, f"cannot be read: {e.strerror or e}")], False
    findings += header_findings
    if _errors(header_findings):
        return findings, False
    if scan.quote_line:
        line, index = scan.quote_line
        findings.append(Finding(table.file_name, "a quote inside a value: write it doubled (\"\") and put the "
                                "whole value in quotes", line=line, column=_column_at(header, index)))
    present = {name: f"c{i}" for i, name in enumerate(header) if name and header.index(name) == i}
    try:
        rows, flagged = _stage_typed(con, table, readable, header, present, scan)
    except duckdb.Error as e:
        return findings + [_unreadable(table, e)], False
    findings += _rejects(con, table, len(header))
    if flagged:
        findings += _flagged_rows(con, table, readable, header, present)
    if rows == 0:
        findings.append(_no_rows(table, "holds only its header, no rows", line=2))
        return findings, False
    findings += _check_keys(con, table)
    findings += _check_one_row(con, table)
    findings += _check_date_order(con, table)
    findings += _check_ranges_by(con, table)
    findings += _check_expected_with(con, table)
    return findings, True


def _keep_rows(con: duckdb.DuckDBPyConnection, table: Table, current: Path) -> Finding:
    """The current snapshot's rows of `table` (whose file the export does not have) whose
    references the new data still holds; a warning saying so, or the usual one when they cannot
    be read (a snapshot of an older data model)."""
    cols = ", ".join(c.name for c in table.columns)
    still = " AND ".join(f"({c.name} IS NULL OR {c.name} IN (SELECT {c.references.split('.')[1]} "
                         f"FROM {c.references.split('.')[0]}))" for c in table.columns if c.references) or "true"
    try:
        con.execute(f"ATTACH {store.sql_literal(current)} AS kept (READ_ONLY)")
        try:
            total = con.execute(f"SELECT count(*) FROM kept.{table.name}").fetchone()[0]
            if total:
                con.execute(f"INSERT INTO {table.name} ({cols}, _bad) SELECT {cols}, false FROM kept.{table.name} "
                            f"WHERE {still} ORDER BY rowid")
        finally:
            con.execute("DETACH kept")
    except duckdb.Error:
        total = 0
    if not total:
        return _no_rows(table, MISSING)
    n = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
    gone = f"; {total - n:,} of students no longer in the export are left out" if total > n else ""
    return Finding(table.file_name, f"is not in the export: the current snapshot's {n:,} rows are kept (`sislab "
                   f"import --scores` fills it){gone}. Put the file in the export to replace them",
                   severity="warning")


def _no_rows(table: Table, what: str, line: int | None = None) -> Finding:
    """A file without rows: an error for a required table; for an optional one a warning that
    says what will be missing downstream."""
    if table.required:
        return Finding(table.file_name, f"required file {what}", line=line)
    return Finding(table.file_name, f"{what}: the snapshot will have no rows for {table.feeds}", line=line,
                   severity="warning")


def _unreadable(table: Table, error: duckdb.Error) -> Finding:
    """A file DuckDB could not read at all (a case the checks above did not foresee)."""
    text = str(error)
    line = None
    if "CSV Error on Line:" in text:
        digits = text.split("CSV Error on Line:")[1].split()[0]
        line = int(digits) if digits.isdigit() else None
    return Finding(table.file_name, "cannot be read as CSV: " + text.splitlines()[0][:200], line=line)


def _column_at(header: list[str], index: int | None) -> str | None:
    if index is None:
        return None
    return header[index] if index < len(header) else f"field {index + 1} (beyond the header)"


# --- the bytes: encoding, line endings, stray quotes -------------------------------------


@dataclass
class _Scan:
    utf8: bool = True
    mixed_endings: bool = False  # some lines end CR LF, others LF
    quote_line: tuple[int, int | None] | None = None  # (line, field index) of the first stray quote
    nul: bool = False  # a NUL byte somewhere (then every value is checked for one)
    padded: bool = False  # a value may start or end with a space (else no value is trimmed)


def _readable(path: Path, work: Path) -> tuple[Path | None, list[Finding], _Scan | None]:
    """A UTF-8 file DuckDB can read strictly: the export itself when it is one, else a copy in
    the work folder (transcoded, or with one kind of line ending); the file's findings; what the
    pass over its bytes found."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    findings: list[Finding] = []
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        readable, findings = _transcode(path, "utf-16", work)
        if readable is None:
            return None, findings, None
        scan = _scan(readable)
    else:
        readable, scan = path, _scan(path)
        if not scan.utf8:
            bad = _cp1252_undefined(path)
            if bad is not None:
                return None, [Finding(path.name, f"byte 0x{bad[1]:02X} is neither UTF-8 nor Windows-1252 text; "
                                                 "export the file again as UTF-8", line=bad[0])], None
            readable, findings = _transcode(path, "cp1252", work)
            findings.append(Finding(path.name, "file is Windows-1252 text, not UTF-8; read as Windows-1252",
                                    severity="warning"))
            scan = _scan(readable)
    if scan.mixed_endings:  # DuckDB wants one kind of line ending
        readable = _one_line_ending(readable, work)
    return readable, findings, scan


# A `"` between two characters that are neither a delimiter, a line end nor a quote.
STRAY_QUOTE = re.compile(rb'(?<=[^,"\r\n])"(?=[^,"\r\n])')
# The first two bytes, in UTF-8, of the other characters DuckDB's trim() removes (Unicode
# space separators: U+00A0, U+1680, U+2000-U+200A, U+202F, U+205F, U+3000). Where one occurs at
# all, values are trimmed; a curly quote (U+2019) shares a prefix and costs a trim, nothing more.
WIDE_SPACE_LEADS = (b"\xc2\xa0", b"\xe1\x9a", b"\xe2\x80", b"\xe2\x81", b"\xe3\x80")


def _scan(path: Path) -> _Scan:
    """One pass over the bytes: valid UTF-8?, line endings, and the first stray quote.

    A stray quote is a `"` between two characters that are neither a delimiter, a line end nor
    a quote: `O"Brien`, or text after a closing quote. Quotes that open, close or are doubled
    inside a quoted value always touch one of those. DuckDB reads such a value as it stands.
    Every test is a C-speed search, and most chunks are ASCII without a CR: the common file
    costs little more than reading it.
    """
    scan = _Scan()
    decoder = None  # made at the first chunk that is not ASCII, then fed everything after
    crlf = lf = 0  # counted in chunks that hold a CR; a LF-only chunk before or after is mixing
    lf_alone = False
    tail = b""  # the last bytes of the previous chunk, so a CR LF or quote across chunks is seen
    offset = 0  # file offset of `tail`
    with open(path, "rb") as fh:
        if fh.read(3) == codecs.BOM_UTF8:  # not a character before the first value: `"id",...` opens a quote
            offset = 3
        else:
            fh.seek(0)
        while chunk := fh.read(CHUNK):
            if decoder is not None or not chunk.isascii():
                decoder = decoder or codecs.getincrementaldecoder("utf-8")()
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    scan.utf8 = False
                    return scan
            buf = tail + chunk
            if b"\r" in buf:
                crlf += buf.count(b"\r\n") - tail.count(b"\r\n")
                lf += chunk.count(b"\n")
            elif b"\n" in chunk:
                lf_alone = True
            scan.nul = scan.nul or b"\0" in chunk
            if not scan.padded and b" " in buf:
                scan.padded = _space_at_an_edge(buf)
            if not scan.padded and decoder is not None:
                scan.padded = any(lead in buf for lead in WIDE_SPACE_LEADS)
            if scan.quote_line is None and b'"' in buf:
                found = STRAY_QUOTE.search(buf)
                if found:
                    scan.quote_line = _line_and_field(path, offset + found.start())
            tail = buf[-2:]
            offset += len(buf) - len(tail)
    scan.padded = scan.padded or tail.endswith(b" ")
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            scan.utf8 = False
    scan.mixed_endings = bool(crlf) and (lf_alone or crlf != lf)
    return scan


EDGES = b',"\r\n'


def _space_at_an_edge(buf: bytes) -> bool:
    """A space next to a delimiter, quote or line end: some value may begin or end with one.
    Spaces are few in most exports, so visiting each is cheaper than searching for pairs."""
    i = buf.find(b" ")
    while i >= 0:
        if (i and buf[i - 1] in EDGES) or (i + 1 < len(buf) and buf[i + 1] in EDGES):
            return True
        i = buf.find(b" ", i + 1)
    return False


def _line_and_field(path: Path, position: int) -> tuple[int, int]:
    """(line, field index) of a byte of the file; read again in chunks, as it is wanted only for
    a finding."""
    lines, line, rest = 0, b"", position
    with open(path, "rb") as fh:
        while rest > 0 and (chunk := fh.read(min(CHUNK, rest))):
            rest -= len(chunk)
            lines += chunk.count(b"\n")
            cut = chunk.rfind(b"\n")
            line = chunk[cut + 1:] if cut >= 0 else line + chunk
    quoted, commas = False, 0
    for b in line:
        if b == 0x22:
            quoted = not quoted
        elif b == 0x2C and not quoted:
            commas += 1
    return lines + 1, commas


def _cp1252_undefined(path: Path) -> tuple[int, int] | None:
    line = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            for i, b in enumerate(chunk):
                if b in CP1252_UNDEFINED:
                    return line + chunk.count(b"\n", 0, i), b
            line += chunk.count(b"\n")
    return None


def _transcode(path: Path, encoding: str, work: Path) -> tuple[Path | None, list[Finding]]:
    """A UTF-8 copy of the file in the work folder, or a finding naming the first line that
    does not decode (e.g. UTF-16 with an unpaired surrogate); no partial copy is left."""
    out = work / f"utf8-{path.name}"
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    line = 1
    with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        if encoding == "utf-16" or src.read(3) != codecs.BOM_UTF8:  # a UTF-8 BOM on Windows-1252 text
            src.seek(0)  # is not `ï»¿` in the first column's name
        while True:
            chunk = src.read(CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            bad = text.find("\ufffd")
            if bad >= 0:
                break
            dst.write(text)
            line += text.count("\n")
            if not chunk:
                return out, []
    out.unlink()
    return None, [Finding(path.name, f"is not valid {encoding.upper()} text (a broken character, e.g. half of a "
                                     "surrogate pair); export the file again as UTF-8",
                          line=line + text.count("\n", 0, bad))]


def _one_line_ending(path: Path, work: Path) -> Path:
    """A copy whose lines all end LF (exports edited by hand mix CR LF and LF)."""
    out = work / f"lf-{path.name}"
    with open(path, "rb") as src, open(out, "wb") as dst:
        carry = b""
        while chunk := src.read(CHUNK):
            buf = carry + chunk
            carry = b"\r" if buf.endswith(b"\r") else b""
            dst.write(buf[: len(buf) - len(carry)].replace(b"\r\n", b"\n"))
        dst.write(carry)
    if path.parent == work:
        path.unlink()
    return out


def _read_header(path: Path, table: Table) -> tuple[list[str], list[Finding]]:
    """Column names of the file, normalised; the file's header problems."""
    name = table.file_name
    with open(path, encoding="utf-8-sig", newline="") as fh:
        try:
            first = next(csv.reader(fh), None)
        except csv.Error as e:
            return [], [Finding(name, f"header cannot be read: {e}", line=1)]
    if not first or not any(c.strip() for c in first):
        return [], [Finding(name, "file is empty: the first line must be the header", line=1)]
    header = [c.strip().lower() for c in first]
    if len(header) == 1 and (";" in first[0] or "\t" in first[0]):
        return header, [Finding(name, "header has one column: the file must be comma-delimited", line=1)]
    findings = [Finding(name, f"column {c!r} appears more than once in the header", line=1, column=c)
                for c in sorted({c for c in header if header.count(c) > 1})]
    known = {c.name for c in table.columns}
    findings += [Finding(name, "required column is missing from the header", line=1, column=c.name)
                 for c in table.columns if c.required and c.name not in header]
    findings += [Finding(name, "column is not part of the data model and is ignored", line=1, column=c,
                         severity="warning") for c in header if c and c not in known]
    return header, findings


# --- rows: one typing scan that flags, details only for flagged rows ----------------------


def _data_rows(header: list[str], options: str, parallel: bool = True) -> str:
    """The data rows of a file, blank ones left out, as text: columns c0..c<width-1> and one
    more, `_extra`, in file order."""
    return ("SELECT * FROM read_csv(?, header = false, skip = 1, columns = ?, "
            "delim = ',', quote = '\"', escape = '\"', auto_detect = false, strict_mode = true, "
            f"null_padding = true, nullstr = {store.sql_literal(NO_FIELD)}, parallel = {str(parallel).lower()}, "
            f"{options}) WHERE NOT ({_blank(header)})")


def _raw_columns(header: list[str]) -> dict[str, str]:
    return {**{f"c{i}": "VARCHAR" for i in range(len(header))}, EXTRA: "VARCHAR"}


def _stage_typed(con, table: Table, path: Path, header: list[str], present: dict[str, str],
                 scan: _Scan) -> tuple[int, int]:
    """Read and type the file straight into the snapshot's table in one scan, in file order (a
    row's number is its rowid + 1), each row `_bad` when any rule fails; returns (rows, flagged rows).

    `_bad` is computed from the typed values where it can (a typed value is NULL when its
    text is bad), so each value is typed once; `_flagged_rows` then says which rule failed.
    """
    cols = ", ".join(c.name for c in table.columns)
    typed = ", ".join(f"{_typed_expr(c, present.get(c.name), scan.padded)} AS {c.name}" for c in table.columns)
    # One WHEN per rule: each is tried only on rows no earlier rule flagged, and NULL is not true.
    rules = " ".join(f"WHEN {cond} THEN true" for cond in _flags(table, header, present, scan))
    bad = f"CASE {rules} ELSE false END"
    rejects = (f"store_rejects = true, rejects_table = '_rej_{table.name}', "
               f"rejects_scan = '_rejscan_{table.name}'")
    params = [str(path), _raw_columns(header)]
    for parallel in (True, False):
        sql = (f"INSERT INTO {table.name} ({cols}, _bad) SELECT {cols}, {bad} FROM ("
               f"SELECT {typed}, * FROM ({_data_rows(header, rejects, parallel)}))")
        try:
            con.execute(sql, params)
            break
        except duckdb.Error as e:
            # DuckDB pads short lines only in a serial read when a quoted value spans lines.
            if not parallel or "parallel=false" not in str(e):
                raise
    return con.execute(f"SELECT count(*), count_if(_bad) FROM {table.name}").fetchone()


def _flags(table: Table, header: list[str], present: dict[str, str], scan: _Scan) -> list[str]:
    """Conditions, over the typed value (named as its column) and its text (c<i>), true
    exactly when one of `_row_rules` is: a row is flagged when, and only when, it has a finding."""
    flags = [f"c{len(header) - 1} IS NULL", f"{EXTRA} IS NOT NULL"]
    for col in table.columns:
        raw = present.get(col.name)
        if not raw:
            continue
        value, text = col.name, _text(raw, scan.padded)
        limit = col.length_limit
        flags.append(f"strlen({raw}) > {limit} AND length({raw}) > {limit}")  # bytes first: cheap
        if scan.nul:
            flags.append(f"contains({raw}, chr(0))")
        if col.required and col.type != "bool":  # blank, or text that does not type
            flags.append(f"{value} IS NULL")
        elif col.required:
            flags.append(f"{text} IS NULL")
        if not col.required and (col.type != "text" or col.codes):  # text that does not type
            flags.append(f"{value} IS NULL AND {text} IS NOT NULL")
        if col.type == "date":
            flags.append(f"{value} NOT BETWEEN {DATE_RANGE}")
        if col.pattern:
            flags.append(f"NOT regexp_full_match({value}, '{col.pattern}')")
        if col.min is not None:
            flags.append(f"{value} NOT BETWEEN {col.min} AND {col.max}")
    return flags


# What a blank line may hold: spaces, tabs, vertical tab, form feed, and DOS's end-of-file mark
# (Ctrl-Z, which old exports append).
BLANK_CHARACTERS = " \t\v\f\x1a"


def _blank(header: list[str]) -> str:
    """Spreadsheet exports end with rows of empty cells: they are blank lines, not records; so
    are lines of tabs or spaces, and a final Ctrl-Z. A first field starting with a printable
    character settles it for nearly every row."""
    chars = store.sql_literal(BLANK_CHARACTERS)
    empty = " AND ".join(f"nullif(trim({c}, {chars}), '') IS NULL"
                         for c in [*(f"c{i}" for i in range(len(header))), EXTRA])
    return f"coalesce(ascii(c0), 0) <= 32 AND {empty}"


def _row_rules(table: Table, header: list[str], present: dict[str, str]) -> list[tuple[str, str, str | None]]:
    """(SQL condition true for a bad row, what to tell the user, column) for every rule of the file."""
    last = f"c{len(header) - 1}"
    rules = [(f"{last} IS NULL", "short", None), (f"{EXTRA} IS NOT NULL", "long", None)]
    for col in table.columns:
        raw = present.get(col.name)
        if raw:
            rules += [(cond, text, col.name) for cond, text in _problem_expr(col, raw)]
    return rules


def _flagged_rows(con, table: Table, path: Path, header: list[str], present: dict[str, str]) -> list[Finding]:
    """Read the flagged rows again as text and say, per rule, which rows break it."""
    raw = f"_raw_{table.name}"
    for parallel in (True, False):
        sql = (f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT * FROM (SELECT row_number() OVER () AS _row, * "
               f"FROM ({_data_rows(header, 'ignore_errors = true', parallel)})) "
               f"WHERE _row IN (SELECT rowid + 1 FROM {table.name} WHERE _bad)")
        try:
            con.execute(sql, [str(path), _raw_columns(header)])
            break
        except duckdb.Error as e:
            if not parallel or "parallel=false" not in str(e):
                raise
    findings = _field_counts(con, table, raw, header)
    rules = _row_rules(table, header, present)[2:]
    if rules:
        counts = con.execute("SELECT " + ", ".join(f"count_if(coalesce({cond}, false))" for cond, _, _ in rules)
                             + f" FROM {raw} WHERE c{len(header) - 1} IS NOT NULL AND {EXTRA} IS NULL").fetchone()
        for (cond, text, column), n in zip(rules, counts):
            if n:
                findings += _rule_findings(con, table, raw, cond, text, column, present[column], n)
    con.execute(f"DROP TABLE {raw}")
    return findings


def _field_counts(con, table: Table, raw: str, header: list[str]) -> list[Finding]:
    """Rows with fewer or more fields than the header (a value with an unquoted comma, a cut line)."""
    width = len(header)
    found = " + ".join(f"(c{i} IS NOT NULL)::INT" for i in range(width))
    rows = con.execute(f"SELECT _row, {found}, {EXTRA} IS NOT NULL FROM {raw} "
                       f"WHERE c{width - 1} IS NULL OR {EXTRA} IS NOT NULL ORDER BY _row").fetchall()
    findings = []
    for row, n, long in rows[:ROWS_LISTED]:
        if long:
            findings.append(Finding(table.file_name, f"wrong number of fields (expected {width}, found more); "
                                    "a value with a comma must be in double quotes", row=row))
        else:
            findings.append(Finding(table.file_name, f"wrong number of fields (expected {width}, found {n})",
                                    row=row, column=_column_at(header, n)))
    if len(rows) > ROWS_LISTED:
        findings.append(Finding(table.file_name, f"... and {len(rows) - ROWS_LISTED} more rows with a wrong "
                                "number of fields"))
    return findings


def _rejects(con, table: Table, width: int) -> list[Finding]:
    """Lines DuckDB could not split into fields (an unclosed quote, far too many fields)."""
    rejects = con.execute(
        f"SELECT line, arg_max(error_type, error_type = 'UNQUOTED VALUE'), arg_max(error_message, "
        f"error_type = 'UNQUOTED VALUE') FROM _rej_{table.name} GROUP BY line ORDER BY line").fetchall()
    return [Finding(table.file_name, _reject_text(kind, message, width), line=int(line))
            for line, kind, message in rejects]


def _reject_text(kind: str, message: str, width: int) -> str:
    if kind in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        found = message.split("Found:")[-1].strip()
        return (f"wrong number of fields (expected {width}, found {found}); "
                "a value with a comma must be in double quotes")
    if kind == "UNQUOTED VALUE":
        return "a quote inside a value must be doubled (\"\"), and a quoted value must end with a quote"
    return message.splitlines()[0]


def _text(col: str, padded: bool = True) -> str:
    """A field's text, NULL when blank; trimmed only where a value may be padded with spaces
    (trimming every value of a large file costs more than typing it)."""
    return f"nullif(trim({col}), '')" if padded else f"nullif({col}, '')"


def _typed_expr(column: Column, raw: str | None, padded: bool = True) -> str:
    """SQL turning raw text into the column's value; NULL where the text is bad."""
    blank_false = column.type == "bool" and not column.blank_unknown
    if raw is None:
        return "false" if blank_false else f"CAST(NULL AS {column.sql_type})"
    v = _text(raw, padded)
    # The casts skip surrounding blanks themselves and make '' NULL: no trim needed.
    if column.type == "int":
        return f"TRY_CAST({raw} AS INTEGER)"
    if column.type == "decimal":
        return f"TRY_CAST({raw} AS DECIMAL(9,3))"
    if column.type == "date":  # YYYY-MM-DD by the fast cast, MM/DD/YYYY (or blanks around) by the format
        return (f"CASE WHEN strlen({raw}) = 10 AND {raw}[5] = '-' AND {raw}[8] = '-' THEN TRY_CAST({raw} AS DATE) "
                f"ELSE CAST(try_strptime({v}, {_sql_list(DATE_FORMATS)}) AS DATE) END")
    if column.type == "bool":
        false = f"upper({v}) IN {_sql_tuple(model.BOOL_FALSE)}"
        return (f"CASE WHEN upper({v}) IN {_sql_tuple(model.BOOL_TRUE)} THEN true "
                f"WHEN {f'{v} IS NULL OR {false}' if blank_false else false} THEN false END")
    if column.codes:  # written as listed (the usual case) by a set lookup, else without case
        return (f"CASE WHEN {raw} IN {_sql_tuple(column.codes)} THEN {raw} ELSE "
                f"{_sql_list(column.codes)}[list_position({_sql_list([c.lower() for c in column.codes])}, lower({v}))] END")
    return v


def _problem_expr(column: Column, raw: str) -> list[tuple[str, str]]:
    """(SQL condition that is true for a bad value, what to tell the user) for one column."""
    v = _text(raw)
    typed = _typed_expr(column, raw)
    rules = [(f"contains({raw}, chr(0))", "holds a NUL byte: the export is damaged"),
             (f"length({raw}) > {column.length_limit}", f"is longer than {column.length_limit} characters")]
    if column.required:
        rules.append((f"{v} IS NULL", "value is required"))
    what = {"int": "a whole number", "decimal": "a number", "date": "a date (use YYYY-MM-DD or MM/DD/YYYY)",
            "bool": "Y or N"}.get(column.type)
    if what:
        rules.append((f"{v} IS NOT NULL AND {typed} IS NULL", f"is not {what}"))
    if column.type == "date":
        rules.append((f"{typed} NOT BETWEEN {DATE_RANGE}", "date is out of range"))
    if column.codes:
        rules.append((f"{v} IS NOT NULL AND {typed} IS NULL", "must be one of " + ", ".join(column.codes)))
    if column.pattern:
        rules.append((f"NOT regexp_full_match({v}, '{column.pattern}')", _pattern_text(column)))
    if column.min is not None:
        rules.append((f"{typed} NOT BETWEEN {column.min} AND {column.max}",
                      f"must be between {column.min} and {column.max}"))
    return rules


def _pattern_text(column: Column) -> str:
    known = {model.CDS_SCHOOL: "is not a 14-digit CDS code", model.RCDTS: "is not a 15-character RCDTS code",
             model.STATE_ID: "is not a 9- or 10-digit state student id", model.EMAIL: "is not an e-mail address"}
    return known.get(column.pattern, f"does not have the expected form ({column.pattern})")





def _rule_findings(con, table: Table, raw: str, cond: str, text: str, column: str, field: str,
                   n: int) -> list[Finding]:
    rows = con.execute(f"SELECT _row, {field} FROM {raw} WHERE coalesce({cond}, false) "
                       f"ORDER BY _row LIMIT {ROWS_LISTED}").fetchall()
    findings = [Finding(table.file_name, f"{_shown(value)} {text}" if value and value.strip() else text,
                        row=row, column=column) for row, value in rows]
    if n > ROWS_LISTED:
        findings.append(Finding(table.file_name, f"... and {n - ROWS_LISTED} more rows: {text}", column=column))
    return findings


def _shown(value: str) -> str:
    """A bad value as quoted in a finding: cut short, so a pasted document stays one line."""
    return repr(value if len(value) <= SHOWN else value[:SHOWN] + "...")


def _create_staging_tables(con) -> None:
    """The snapshot's tables as the model declares them, opened up for staging: each gets the
    flag `_bad`, and required columns accept NULL until the
    checks are done (a bad value is typed as NULL and reported, not refused mid-insert)."""
    con.execute(model.ddl())
    for table in model.TABLES:
        con.execute(f"ALTER TABLE {table.name} ADD COLUMN _bad BOOLEAN")
        for c in table.columns:
            if c.required:
                con.execute(f"ALTER TABLE {table.name} ALTER COLUMN {c.name} DROP NOT NULL")


def _check_keys(con, table: Table) -> list[Finding]:
    key = ", ".join(table.key)
    not_null = " AND ".join(f"{k} IS NOT NULL" for k in table.key)
    # Grouping one hash is much cheaper than grouping the key's text; equal keys hash alike,
    # so no repeated hash means no duplicate, and the exact query runs only when one repeats.
    repeated = con.execute(f"SELECT count(*) FROM (SELECT hash({key}) AS h FROM {table.name} WHERE {not_null} "
                           "GROUP BY h HAVING count(*) > 1)").fetchone()[0]
    if not repeated:
        return []
    dups = con.execute(
        f"SELECT list(rowid + 1 ORDER BY rowid)[:7], concat_ws(' / ', {key}) FROM {table.name} "
        f"WHERE {not_null} GROUP BY {key} HAVING count(*) > 1 ORDER BY min(rowid) LIMIT {ROWS_LISTED}").fetchall()
    return [Finding(table.file_name, f"duplicate key {value!r} ({key})", row=rows[0], column=key,
                    others=tuple(rows[1:])) for rows, value in dups]


def _check_one_row(con, table: Table) -> list[Finding]:
    if not table.one_row:
        return []
    n = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
    return [] if n == 1 else [Finding(table.file_name, f"must hold exactly one row, found {n}")]


def _check_date_order(con, table: Table) -> list[Finding]:
    findings = []
    for earlier, later in table.ordered:
        rows = con.execute(
            f"SELECT rowid + 1, {earlier}, {later} FROM {table.name} WHERE {later} < {earlier} "
            f"ORDER BY rowid LIMIT {ROWS_LISTED}").fetchall()
        findings += [Finding(table.file_name, f"{later} {b} is before {earlier} {a}", row=r, column=later)
                     for r, a, b in rows]
    return findings


def _check_ranges_by(con, table: Table) -> list[Finding]:
    """Values whose range depends on another column (a CAASPP level is 1-4, an AP score 1-5)."""
    findings = []
    for column, by, ranges in table.ranges_by:
        low, high = (f"CASE {by} " + " ".join(f"WHEN {store.sql_literal(code)} THEN {bound[i]}"
                                              for code, *bound in ranges) + " END" for i in (0, 1))
        rows = con.execute(
            f"SELECT rowid + 1, {by}, {column}, {low}, {high} FROM {table.name} WHERE {column} NOT BETWEEN {low} AND {high} "
            f"ORDER BY rowid LIMIT {ROWS_LISTED}").fetchall()
        findings += [Finding(table.file_name, f"{column} {value} is outside {lo}..{hi} for {by} {code}",
                             row=r, column=column) for r, code, value, lo, hi in rows]
    return findings


def _check_expected_with(con, table: Table) -> list[Finding]:
    """Warnings for a value left blank where a job needs it (a CAASPP score without its grade)."""
    findings = []
    for column, by, codes, why in table.expected_with:
        where = f"{column} IS NULL AND {by} IN {_sql_tuple(codes)}"
        n, rows = con.execute(f"SELECT count(*), list(rowid + 1 ORDER BY rowid)[:{ROWS_LISTED}] FROM {table.name} "
                              f"WHERE {where}").fetchone()
        text = f"blank on a {' or '.join(codes)} row: {why}"
        findings += [Finding(table.file_name, text, row=r, column=column, severity="warning") for r in rows or []]
        if n > ROWS_LISTED:
            findings.append(Finding(table.file_name, f"... and {n - ROWS_LISTED} more rows: {text}", column=column,
                                    severity="warning"))
    return findings


def _check_references(con, skip_targets: set[str]) -> list[Finding]:
    """Rows pointing at keys that do not exist; a missing or unreadable file is not blamed twice."""
    findings = []
    for table in model.TABLES:
        for col in table.columns:
            if not col.references:
                continue
            target, target_col = col.references.split(".")
            if f"{target}.csv" in skip_targets:
                continue
            rows = con.execute(
                f"SELECT t.rowid + 1, t.{col.name} FROM {table.name} t "
                f"WHERE t.{col.name} IS NOT NULL AND NOT t._bad AND NOT EXISTS "
                f"(SELECT 1 FROM {target} r WHERE r.{target_col} = t.{col.name}) "
                f"ORDER BY t.rowid LIMIT {ROWS_LISTED}").fetchall()
            findings += [Finding(table.file_name, f"{value!r} is not a {target_col} in {target}.csv",
                                 row=row, column=col.name) for row, value in rows]
    return findings


def _publish_tables(con) -> None:
    """Close the staging: required columns NOT NULL again (checked once more by DuckDB), the
    flags dropped, so the snapshot's tables are exactly the model's DDL."""
    for table in model.TABLES:
        for c in table.columns:
            if c.required:
                con.execute(f"ALTER TABLE {table.name} ALTER COLUMN {c.name} SET NOT NULL")
        con.execute(f"ALTER TABLE {table.name} DROP COLUMN _bad")


def _sql_list(values) -> str:
    return "[" + ", ".join(store.sql_literal(v) for v in values) + "]"


def _sql_tuple(values) -> str:
    return "(" + ", ".join(store.sql_literal(v) for v in values) + ")"
