"""The OneRoster 1.1 bulk feed from the SIS snapshot: CSV files zipped with manifest.csv at the root.

Rows come from `sql/feed_*.sql` over temp tables built by `sql/feed_prepare.sql`; the columns
and their order come from the binding (oneroster.toml), so a query cannot drift from it.
Files are UTF-8 without BOM, dates YYYY-MM-DD, bulk mode (status and dateLastModified blank).
SourcedIds are md5-UUIDs of district id + kind + local id: the same student keeps the same id
in every run, with nothing to store (each school's, class's and user's is made once, in the
prepared tables). Values are written exactly as the SIS has them: the feed is
a fixed layout read by machines that key on ids and names, so a value a spreadsheet would run
as a formula is not altered (an apostrophe would corrupt it); the checker warns about it
(`FORMULA_START`).
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from isal import isal_zlib

from sislab.ag.transcripts import current_year
from sislab.core.store import sql_literal, sql_text
from sislab.core.workspace import write_atomic

from .spec import PACKAGE, Receiver, binding, feed_settings, receiver

FEED_FILES = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
ZIP_LEVEL = 1  # ISA-L's level 1: ~5x zlib's fastest level, and a zip ~10 % smaller than it
ZIP_READ = 16 << 20  # bytes of a file handed to the compressor at a time
ZIP_PIECE = 1 << 20  # bytes deflated on their own, each by one core
SCRATCH = ("rf_school", "rf_class", "rf_class_term", "rf_member", "rf_teaching", "rf_student", "rf_teacher")


@dataclass(frozen=True)
class FeedOptions:
    school_year: int | None = None  # default: the current school year on as_of (sislab.ag's current_year)
    as_of: date | None = None  # memberships ended before this day are left out; default today
    receiver: str = "generic"  # receivers.toml: cli-engage writes homeroom classes only, moodle fixes what it refuses
    demographics: bool = False
    schools: tuple[str, ...] | None = None


@dataclass(frozen=True)
class BuiltFeed:
    rows: dict[str, int]  # rows per file
    findings: list[dict]  # what the build found wrong in the SIS data: rule, line, sourcedId, column, value, message


def build_feed(con: duckdb.DuckDBPyConnection, target: str | Path, options: FeedOptions = FeedOptions()) -> BuiltFeed:
    """Write the feed zip to `target` (owner-only, atomically); return rows per file and what
    the build left out of the feed (a section's term code that is not a term of its calendar).

    Each file is zipped while the next one is queried, the big ones first (DuckDB leaves a core
    idle on the smaller files' queries), so the zip lists manifest.csv and then the files in the
    reverse of FEED_FILES (receivers find members by name)."""
    files = FEED_FILES + (("demographics",) if options.demographics else ())
    counts: dict[str, int] = {}
    # The unzipped files hold names and e-mails: they are made beside the target, not in /tmp.
    with tempfile.TemporaryDirectory(prefix=".sislab-roster-", dir=Path(target).parent) as scratch, \
            _prepared(con, options) as params:
        folder = Path(scratch)
        profile = receiver(options.receiver)
        (folder / "manifest.csv").write_text(manifest_text(files), encoding="utf-8")

        def write(tmp: Path) -> None:
            with _Zip(folder, tmp) as z:
                z.add("manifest")
                for name in reversed(files):  # enrollments and users, the big ones, end FEED_FILES
                    counts[name] = _write_file(con, name, params, folder / f"{name}.csv", profile)
                    z.add(name)

        write_atomic(Path(target), write)
        unknown = run_query(con, sql_text(PACKAGE, "feed_unknown_terms.sql"), params)
        findings = [{"rule": "SECTION_TERM_UNKNOWN", "file": "classes",
                     **dict(zip((d[0] for d in unknown.description), row))} for row in unknown.fetchall()]
    return BuiltFeed({name: counts[name] for name in files}, findings)


def manifest_text(present: tuple[str, ...]) -> str:
    b, s = binding(), feed_settings()
    rows = [("manifest.version", b.manifest_version), ("oneroster.version", b.oneroster_version)]
    rows += [(f"file.{f}", "bulk" if f in present else "absent") for f in b.manifest_files]
    rows += [("source.systemName", s["source_system_name"]), ("source.systemCode", s["source_system_code"])]
    return "propertyName,value\n" + "".join(f"{k},{v}\n" for k, v in rows)


class _prepared:
    """Builds the rf_* temp tables for one run and drops them afterwards; yields the parameters."""

    def __init__(self, con, options: FeedOptions):
        self.con, self.options = con, options

    def __enter__(self) -> dict:
        o, con = self.options, self.con
        as_of = o.as_of or date.today()
        year = o.school_year or current_year(con, as_of)  # not next year's master schedule, once it is in the SIS
        settings = {k: v for k, v in feed_settings().items() if isinstance(v, list)}
        self.params = {**settings, "school_year": int(year), "as_of": as_of,
                       "homeroom_only": receiver(o.receiver).homeroom_only,
                       "schools": None if o.schools is None else [str(s) for s in o.schools]}
        for statement in statements(sql_text(PACKAGE, "feed_prepare.sql")):
            run_query(con, statement, self.params)
        return self.params

    def __exit__(self, *exc) -> None:
        for table in SCRATCH:
            self.con.execute(f"DROP TABLE IF EXISTS {table}")


def _write_file(con, name: str, params: dict, path: Path, profile: Receiver) -> int:
    """COPY one file in the binding's column order; columns the query lacks are left blank, and
    the receiver's cell rules rewrite what it would refuse."""
    body = sql_text(PACKAGE, f"feed_{name}.sql")
    used = bound(body, params)
    have = [d[0] for d in con.execute(f"SELECT * FROM ({body}) LIMIT 0", used).description]
    wanted = binding().columns(name)
    if unknown := set(have) - set(wanted):
        raise ValueError(f"feed_{name}.sql has columns not in the OneRoster binding: {sorted(unknown)}")
    fixes = {c.column: c for c in profile.cells if c.file == name}
    columns = ", ".join(_fixed(c, fixes.get(c)) if c in have else f'NULL AS "{c}"' for c in wanted)
    return con.execute(f"COPY (SELECT {columns} FROM ({body})) TO {sql_literal(path)} (HEADER, DELIMITER ',', DATEFORMAT '%Y-%m-%d')",
                       used).fetchone()[0]


def _fixed(column: str, cell) -> str:
    if cell is None:
        return f'"{column}"'
    return f'regexp_replace("{column}", {sql_literal(cell.bad)}, {sql_literal(cell.fix)}, \'g\') AS "{column}"'


class _Zip:
    """The feed zip being written: each file added is zipped by a background thread, in the
    order added, while the caller goes on; each file is deflated in 1 MiB pieces on every core
    by ISA-L (plain deflate, which any unzip reads; it leaves the GIL, as DuckDB's queries do)."""

    def __init__(self, folder: Path, target: Path):
        self.folder, self.zip = folder, zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
        self.pieces = ThreadPoolExecutor(os.cpu_count() or 1)
        self.writer = ThreadPoolExecutor(1)  # one member at a time: a zip is written in sequence
        self.added = []

    def __enter__(self) -> _Zip:
        return self

    def add(self, name: str) -> None:
        self.added.append(self.writer.submit(self._member, name))

    def _member(self, name: str) -> None:
        source = self.folder / f"{name}.csv"
        info = zipfile.ZipInfo.from_file(source, arcname=f"{name}.csv")
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(source, "rb") as data, self.zip.open(info, "w") as member:
            member._compressor = _PiecewiseDeflate(self.pieces)  # zipfile still counts the bytes and the CRC
            while block := data.read(ZIP_READ):
                member.write(block)

    def __exit__(self, *exc) -> None:
        self.writer.shutdown()  # waits: every member is written (or failed) before the zip is closed
        self.pieces.shutdown()
        self.zip.close()
        for member in self.added:
            member.result()  # raises a member's error


class _PiecewiseDeflate:
    """Raw deflate made of pieces compressed independently, as pigz does: each piece ends on a
    byte boundary with a sync flush (no final block), so the pieces joined are one valid
    stream, which `flush` ends. Pieces of 1 MiB lose almost nothing to the lost window."""

    def __init__(self, pool: ThreadPoolExecutor):
        self.pool = pool

    def compress(self, data) -> bytes:
        view = memoryview(data)
        return b"".join(self.pool.map(_deflate_piece, (view[i:i + ZIP_PIECE] for i in range(0, len(view), ZIP_PIECE))))

    def flush(self) -> bytes:
        return isal_zlib.compressobj(ZIP_LEVEL, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS).flush()


def _deflate_piece(piece) -> bytes:
    deflate = isal_zlib.compressobj(ZIP_LEVEL, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS)
    return deflate.compress(piece) + deflate.flush(isal_zlib.Z_SYNC_FLUSH)


def statements(script: str) -> list[str]:
    """A script's statements (each may take bound parameters; DuckDB binds only the last of a batch)."""
    body = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def bound(query: str, params: dict) -> dict:
    names = set(re.findall(r"\$([A-Za-z_]\w*)", query))
    return {k: v for k, v in params.items() if k in names}


def run_query(con, query: str, params: dict):
    return con.execute(query, bound(query, params))
