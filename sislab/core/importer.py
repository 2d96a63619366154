"""Import a folder of SIS CSV exports into a new snapshot: all of it, or none of it.

Every file is read as text by DuckDB, checked against the data model (`model.py`), typed,
then cross-checked (keys, references, date order). Only when no file has an error is the new
snapshot published; otherwise the previous snapshot stays current and untouched, and the
user gets every problem found, each naming file, row and column.

Row numbers count data rows from 1, header not counted, blank lines skipped (CERS's
convention too). Problems with the text itself (a wrong number of fields, bad bytes) name
the physical line instead, since there is no row to speak of.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import access, locks, model, store
from .model import Column, Table
from .workspace import Workspace

ROWS_LISTED = 20  # rows named per (column, rule); the rest are counted
CHUNK = 16 << 20
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]
CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


@dataclass(frozen=True)
class Finding:
    """One problem in the input, located as precisely as the input allows."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    line: int | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class ImportRejected(Exception):
    """The import found errors; nothing was published."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.severity == "error"]
        head = "\n".join(f"  {f}" for f in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"Import rejected, previous data kept: {len(errors)} problem(s)\n{head}{more}")


@dataclass
class ImportReport:
    snapshot: Path
    row_counts: dict[str, int]
    warnings: list[Finding] = field(default_factory=list)


def import_sis(source_dir: str | os.PathLike, ws: Workspace | None = None, user: str | None = None,
               progress=None) -> ImportReport:
    """Validate every export in `source_dir` and publish them as the new SIS snapshot."""
    ws = ws or Workspace.locate()
    user = user or access.current_user()
    source = Path(source_dir)
    if not source.is_dir():
        raise ImportRejected([Finding(str(source), "is not a folder of CSV exports")])
    with locks.hold(ws, "import", user=user):
        app = store.app_state(ws)
        run_id = app.execute(
            "INSERT INTO import_run (started_at, user_name, source, status) VALUES (?, ?, ?, 'running')",
            [store.utcnow(), user, str(source.resolve())]).lastrowid
        built = ws.tmp / f"building-{uuid.uuid4().hex}.duckdb"
        try:
            findings, counts = _build(source, built, ws, progress)
            errors = [f for f in findings if f.severity == "error"]
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
            for leftover in (built, built.with_suffix(".duckdb.wal")):
                leftover.unlink(missing_ok=True)
            app.close()


def _finish(app, run_id, status, snapshot=None, counts=None, error_count=0) -> None:
    app.execute(
        "UPDATE import_run SET finished_at = ?, status = ?, snapshot = ?, row_counts = ?, error_count = ? "
        "WHERE import_id = ?",
        [store.utcnow(), status, snapshot, json.dumps(counts) if counts else None, error_count, run_id])


def _build(source: Path, built: Path, ws: Workspace, progress) -> tuple[list[Finding], dict[str, int]]:
    files = {p.name.lower(): p for p in source.iterdir() if p.is_file()}
    findings: list[Finding] = []
    con = store.build_connection(built)
    try:
        con.execute("SET temp_directory = ?", [str(ws.tmp / "duckdb")])
        con.execute("SET enable_progress_bar = false")
        _create_staging_tables(con)
        if progress:
            progress.start(len(model.TABLES) + 1, "import")
        for table in model.TABLES:
            findings += _load_table(con, table, files.get(table.file_name), ws)
            if progress:
                progress.advance(1, table.name)
        unusable = {f.file for f in findings if f.severity == "error" and f.row is None and f.line in (None, 1)}
        findings += _check_references(con, skip_targets=unusable)
        counts = {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in model.TABLES}
        if not any(f.severity == "error" for f in findings):
            _publish_tables(con)
        if progress:
            progress.advance(1, "checks")
            progress.close()
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return findings, counts


# --- one file -------------------------------------------------------------------------


def _load_table(con: duckdb.DuckDBPyConnection, table: Table, path: Path | None, ws: Workspace) -> list[Finding]:
    """Read one export into its snapshot table (typed, with `_row`); return what is wrong with it."""
    if path is None:
        _stage_empty(con, table)
        return [Finding(table.file_name, "required file is missing from the import folder")] if table.required else []
    readable, findings = _as_utf8(path, ws)
    if readable is None:
        _stage_empty(con, table)
        return findings
    try:
        header, header_findings = _read_header(readable, table)
        findings += header_findings
        if any(f.severity == "error" for f in header_findings):
            _stage_empty(con, table)
            return findings
        present = {name: f"c{i}" for i, name in enumerate(header) if header.index(name) == i}
        findings += _stage_raw(con, table, readable, header)
        findings += _check_values(con, table, present)
        _stage_typed(con, table, present)
        findings += _check_keys(con, table)
        findings += _check_one_row(con, table)
        findings += _check_date_order(con, table)
    finally:
        if readable != path:
            readable.unlink(missing_ok=True)
    return findings


def _as_utf8(path: Path, ws: Workspace) -> tuple[Path | None, list[Finding]]:
    """The file itself when it is UTF-8 (BOM or not); else a UTF-8 copy of it.

    Windows exports come as Windows-1252 (or UTF-16 from Excel's "Unicode text"): they are
    transcoded, not guessed at row by row.
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _transcode(path, "utf-16", ws), []
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        try:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return path, []
        except UnicodeDecodeError:
            pass
    bad = _cp1252_undefined(path)
    if bad is not None:
        return None, [Finding(path.name, f"byte 0x{bad[1]:02X} is neither UTF-8 nor Windows-1252 text; "
                                         "export the file again as UTF-8", line=bad[0])]
    return _transcode(path, "cp1252", ws), [
        Finding(path.name, "file is Windows-1252 text, not UTF-8; read as Windows-1252", severity="warning")]


def _cp1252_undefined(path: Path) -> tuple[int, int] | None:
    line = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            for i, b in enumerate(chunk):
                if b in CP1252_UNDEFINED:
                    return line + chunk.count(b"\n", 0, i), b
            line += chunk.count(b"\n")
    return None


def _transcode(path: Path, encoding: str, ws: Workspace) -> Path:
    out = ws.tmp / f"utf8-{uuid.uuid4().hex}-{path.name}"
    with open(path, encoding=encoding, newline="") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        os.chmod(out, 0o600)
        while chunk := src.read(CHUNK):
            dst.write(chunk)
    return out


def _read_header(path: Path, table: Table) -> tuple[list[str], list[Finding]]:
    """Column names of the file, normalised; the file's header problems."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        first = next(csv.reader(fh), None)
    name = table.file_name
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


def _stage_raw(con, table: Table, path: Path, header: list[str]) -> list[Finding]:
    """Read the rows as text into `_raw_<table>`; lines that do not parse become findings."""
    columns = {f"c{i}": "VARCHAR" for i in range(len(header))}
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _raw_{table.name} AS
            SELECT * FROM read_csv(?, header = false, skip = 1, columns = ?, delim = ',', quote = '"',
                                   escape = '"', auto_detect = false, strict_mode = true,
                                   store_rejects = true, rejects_table = '_rej_{table.name}',
                                   rejects_scan = '_rejscan_{table.name}')""",
        [str(path), columns])
    # Spreadsheet exports end with rows of empty cells: they are blank lines, not records.
    blank = " AND ".join(f"nullif(trim(c{i}), '') IS NULL" for i in range(len(header)))
    con.execute(f"DELETE FROM _raw_{table.name} WHERE {blank}")
    # One finding per bad line: a stray quote also shows as a wrong field count on the same line.
    rejects = con.execute(
        f"SELECT line, arg_max(error_type, error_type = 'UNQUOTED VALUE'), arg_max(error_message, "
        f"error_type = 'UNQUOTED VALUE') FROM _rej_{table.name} GROUP BY line ORDER BY line").fetchall()
    return [Finding(table.file_name, _reject_text(kind, message), line=int(line)) for line, kind, message in rejects]


def _reject_text(kind: str, message: str) -> str:
    if kind in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        expected, _, found = message.split("Expected Number of Columns:")[-1].partition("Found:")
        return (f"wrong number of fields (expected {expected.strip()}, found {found.strip()}); "
                "a value with a comma must be in double quotes")
    if kind == "UNQUOTED VALUE":
        return "a quote inside a value must be doubled (\"\"), and a quoted value must end with a quote"
    return message.splitlines()[0]





def _text(col: str) -> str:
    return f"nullif(trim({col}), '')"


def _typed_expr(column: Column, raw: str | None) -> str:
    """SQL turning raw text into the column's value; NULL where the text is bad."""
    blank_false = column.type == "bool" and not column.blank_unknown
    if raw is None:
        return "false" if blank_false else f"CAST(NULL AS {column.sql_type})"
    v = _text(raw)
    if column.type == "int":
        return f"TRY_CAST({v} AS INTEGER)"
    if column.type == "decimal":
        return f"TRY_CAST({v} AS DECIMAL(9,3))"
    if column.type == "date":
        return f"CAST(try_strptime({v}, {_sql_list(DATE_FORMATS)}) AS DATE)"
    if column.type == "bool":
        false = f"upper({v}) IN {_sql_tuple(model.BOOL_FALSE)}"
        return (f"CASE WHEN upper({v}) IN {_sql_tuple(model.BOOL_TRUE)} THEN true "
                f"WHEN {f'{v} IS NULL OR {false}' if blank_false else false} THEN false END")
    if column.codes:
        return f"{_sql_list(column.codes)}[list_position({_sql_list([c.lower() for c in column.codes])}, lower({v}))]"
    return v


def _problem_expr(column: Column, raw: str) -> list[tuple[str, str]]:
    """(SQL condition that is true for a bad value, what to tell the user) for one column."""
    v = _text(raw)
    typed = _typed_expr(column, raw)
    rules = []
    if column.required:
        rules.append((f"{v} IS NULL", "value is required"))
    what = {"int": "a whole number", "decimal": "a number", "date": "a date (use YYYY-MM-DD or MM/DD/YYYY)",
            "bool": "Y or N"}.get(column.type)
    if what:
        rules.append((f"{v} IS NOT NULL AND {typed} IS NULL", f"is not {what}"))
    if column.type == "date":
        rules.append((f"{typed} NOT BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'", "date is out of range"))
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





def _check_values(con, table: Table, present: dict[str, str]) -> list[Finding]:
    checks = [(col, raw, cond, text) for col in table.columns if (raw := present.get(col.name))
              for cond, text in _problem_expr(col, raw)]
    if not checks:
        return []
    counts = con.execute(
        "SELECT " + ", ".join(f"count_if(coalesce({cond}, false))" for _, _, cond, _ in checks)
        + f" FROM _raw_{table.name}").fetchone()
    findings = []
    for (col, raw, cond, text), n in zip(checks, counts):
        if not n:
            continue
        rows = con.execute(
            f"SELECT rowid + 1, {raw} FROM _raw_{table.name} WHERE coalesce({cond}, false) "
            f"ORDER BY rowid LIMIT {ROWS_LISTED}").fetchall()
        findings += [Finding(table.file_name, f"{value!r} {text}" if value is not None and value.strip() else text,
                             row=row, column=col.name) for row, value in rows]
        if n > ROWS_LISTED:
            findings.append(Finding(table.file_name, f"... and {n - ROWS_LISTED} more rows: {text}",
                                    column=col.name))
    return findings





def _create_staging_tables(con) -> None:
    """The snapshot's tables as the model declares them, opened up for staging: each gets the
    source row number `_row`, and required columns accept NULL until the checks are done (a
    bad value is typed as NULL and reported, not refused mid-insert)."""
    con.execute(model.ddl())
    for table in model.TABLES:
        con.execute(f"ALTER TABLE {table.name} ADD COLUMN _row BIGINT")
        for c in table.columns:
            if c.required:
                con.execute(f"ALTER TABLE {table.name} ALTER COLUMN {c.name} DROP NOT NULL")


def _stage_empty(con, table: Table) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE _raw_{table.name} (c0 VARCHAR)")
    _stage_typed(con, table, {})


def _stage_typed(con, table: Table, present: dict[str, str]) -> None:
    """Type the text straight into the snapshot's table, with the source row number."""
    cols = ", ".join(c.name for c in table.columns)
    exprs = ", ".join(_typed_expr(c, present.get(c.name)) for c in table.columns)
    con.execute(f"INSERT INTO {table.name} ({cols}, _row) SELECT {exprs}, rowid + 1 FROM _raw_{table.name}")
    # Nothing reads the text once it is typed; dropping it now cuts peak memory by a third.
    con.execute(f"DROP TABLE _raw_{table.name}")


def _check_keys(con, table: Table) -> list[Finding]:
    key = ", ".join(table.key)
    dups = con.execute(
        f"SELECT list(_row ORDER BY _row), count(*), concat_ws(' / ', {key}) FROM {table.name} "
        f"WHERE {' AND '.join(f'{k} IS NOT NULL' for k in table.key)} "
        f"GROUP BY {key} HAVING count(*) > 1 ORDER BY min(_row) LIMIT {ROWS_LISTED}").fetchall()
    return [Finding(table.file_name, f"duplicate key {value!r} ({key}) also in row(s) "
                                     + ", ".join(map(str, rows[1:6])) + (" ..." if n > 6 else ""),
                    row=rows[0], column=key) for rows, n, value in dups]


def _check_one_row(con, table: Table) -> list[Finding]:
    if not table.one_row:
        return []
    n = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
    return [] if n == 1 else [Finding(table.file_name, f"must hold exactly one row, found {n}")]


def _check_date_order(con, table: Table) -> list[Finding]:
    findings = []
    for earlier, later in table.ordered:
        rows = con.execute(
            f"SELECT _row, {earlier}, {later} FROM {table.name} WHERE {later} < {earlier} "
            f"ORDER BY _row LIMIT {ROWS_LISTED}").fetchall()
        findings += [Finding(table.file_name, f"{later} {b} is before {earlier} {a}", row=r, column=later)
                     for r, a, b in rows]
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
                f"SELECT t._row, t.{col.name} FROM {table.name} t "
                f"WHERE t.{col.name} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} r WHERE r.{target_col} = t.{col.name}) "
                f"ORDER BY t._row LIMIT {ROWS_LISTED}").fetchall()
            findings += [Finding(table.file_name, f"{value!r} is not a {target_col} in {target}.csv",
                                 row=row, column=col.name) for row, value in rows]
    return findings


def _publish_tables(con) -> None:
    """Close the staging: required columns NOT NULL again (checked once more by DuckDB), the
    row numbers dropped, so the snapshot's tables are exactly the model's DDL."""
    for table in model.TABLES:
        for c in table.columns:
            if c.required:
                con.execute(f"ALTER TABLE {table.name} ALTER COLUMN {c.name} SET NOT NULL")
        con.execute(f"ALTER TABLE {table.name} DROP COLUMN _row")


def _sql_list(values) -> str:
    return "[" + ", ".join(store.sql_literal(v) for v in values) + "]"


def _sql_tuple(values) -> str:
    return "(" + ", ".join(store.sql_literal(v) for v in values) + ")"
