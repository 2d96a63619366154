"""Create CERS files from profiles: build, pre-flight, write atomically, record, upload.

A file is written only when it has rows and its pre-flight finds no error (CERS rejects
an empty file, and a file with one error, whole); its report (`<file>.preflight.txt`) is
written either way; neither ever replaces another file (the next free name is taken). A
profile that gives no rows is named with its reasons; when no profile gives any, nothing is
written and `create` raises ProfileError. Each file is recorded in the `extracted_file` list
(kind 'cers') with the user and its record count.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import closing
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core import access, config, store
from sislab.core.store import app_state, transaction, utcnow
from sislab.core.workspace import Workspace, write_atomic

from . import identity, profiles as profile_store, rdw, upload as upload_client
from .build import RDW_RULES, Build, Finding, build, preflight
from .layout import HEADER
from .profiles import Profile, ProfileError

KIND = "cers"
CONSOLIDATED = "consolidated"
CLAIMED = "CERS pre-flight: being written\n"  # a report's first content: its name is taken


@dataclass
class Extract:
    """One file made (or refused) from one profile, or from several consolidated."""

    label: str
    build: Build
    path: Path | None  # None when the pre-flight found errors or there are no rows
    report_path: Path
    upload: upload_client.UploadResult | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return self.build.findings

    @property
    def empty(self) -> bool:
        return not self.build.counts.get("rows")

    @property
    def why_not_written(self) -> str:
        if self.empty:
            return "no rows (CERS rejects an empty file): " + ", ".join(self.build.empty_profiles) + " gave none"
        return "the pre-flight found errors"

    def text(self) -> str:
        c = self.build.counts
        head = (f"{self.label}: {c.get('rows', 0):,} rows, {c.get('groups', 0):,} groups, "
                f"{c.get('students', 0):,} students, {c.get('users', 0):,} user rows; "
                f"{len(self.build.errors)} errors, {len(self.findings) - len(self.build.errors)} warnings")
        lines = [head, f"  file: {self.path}" if self.path else f"  NOT WRITTEN: {self.why_not_written}",
                 f"  pre-flight report: {self.report_path}"]
        if self.path and self.build.empty_profiles:
            lines.append(f"  left out, no rows: {', '.join(self.build.empty_profiles)} (why: see the report)")
        lines += [f"  upload: {line}" for line in self.upload.text().splitlines()] if self.upload else []
        return "\n".join(lines + [f"  {n}" for n in self.notes])


def chosen_profiles(ws: Workspace, user: str, refs: list[str] | None = None, all_profiles: bool = False) -> list[Profile]:
    """The profiles named (each must be one `user` may see), or all `user` may see."""
    if all_profiles:
        found = profile_store.visible(ws, user)
        if not found:
            raise ProfileError(f"{user} has no CERS profile; create one first.")
        return found
    if not refs:
        raise ProfileError("Name at least one profile (or choose all).")
    return [profile_store.get(ws, user, ref) for ref in dict.fromkeys(refs)]


def create(ws: Workspace, user: str, refs: list[str] | None = None, *, all_profiles: bool = False,
           consolidate: bool = False, upload: bool = False, out_dir: Path | None = None,
           as_of: date | None = None) -> list[Extract]:
    """Make the files of the chosen profiles: one each, or one consolidated file."""
    if identity.is_read_only(ws, user):
        raise profile_store.NotAllowed(f"{user} may not create CERS files (read-only role).")
    chosen = chosen_profiles(ws, user, refs, all_profiles)
    access.authorize(ws, user, "CERS student group files", {s for p in chosen for s in p.schools})
    settings = config.load(ws)
    if upload:
        upload_client.check_enabled(settings)
    batches = [(CONSOLIDATED if len(chosen) > 1 else chosen[0].name, chosen)] if consolidate else \
        [(p.name, [p]) for p in chosen]
    out_dir = Path(out_dir) if out_dir else ws.reports / KIND
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    extracts: list[Extract] = []
    try:
        with store.snapshot(ws) as con:
            for label, batch in batches:
                built = build(con, batch, as_of=as_of)
                path, report = _write_new(con, out_dir, f"cers-{_slug(label)}-{stamp}",
                                          built.ok and bool(built.counts["rows"]))
                extracts.append(Extract(label, built, path, report))
        _warn_groups_in_two_files(extracts)
        for extract in extracts:
            write_report(extract)
    except BaseException:
        for extract in extracts:  # a run that fails leaves no file (none is recorded yet) and no report
            for made in (extract.path, extract.report_path):
                if made:
                    made.unlink(missing_ok=True)
        raise
    if all(e.empty for e in extracts):
        raise ProfileError("No CERS file written: no profile gives a row. " + " ".join(
            f.message + "." for e in extracts for f in e.findings if f.rule == "empty_profile"))
    for extract in extracts:
        if extract.path:
            record(ws, extract.path, user, extract.build.counts["rows"])
        if upload and extract.path:
            extract.upload = upload_client.upload_file(extract.path, settings)
    warning = upload_client.credential_warning(settings) if upload else None
    for extract in extracts if warning else ():
        extract.notes.append(warning)
    return extracts


def write_rows(con: duckdb.DuckDBPyConnection, path: Path, *, exclusive: bool = False) -> Path:
    """The rows of `cers_row` as a CERS file (header, CERS's columns, file order), atomically;
    `exclusive`: FileExistsError rather than replace a file.

    `cers_row` is stored in file order and DuckDB keeps insertion order, so no sort is needed."""
    query = f"COPY (SELECT {', '.join(HEADER)} FROM cers_row) TO ? (HEADER, DELIMITER ',')"
    return write_atomic(path, lambda tmp: con.execute(query, [str(tmp)]), exclusive=exclusive)


def _write_new(con: duckdb.DuckDBPyConnection, out_dir: Path, base: str, with_file: bool) -> tuple[Path | None, Path]:
    """Write the file (when `with_file`) under a name no other file has, and claim its report's name.

    Names are `<base>.csv` or, when taken (two profiles whose names give one slug, two runs in
    one second), `<base>-2.csv`, `<base>-3.csv`, ... A name is claimed by creating its report
    exclusively (the report is always written, so a claimed name stays taken); the file is then
    linked in exclusively too, so it never replaces another file, whoever else writes there."""
    n = 0
    while True:
        n += 1
        path = out_dir / f"{base}{'' if n == 1 else f'-{n}'}.csv"
        report = path.with_suffix(".preflight.txt")
        if path.exists():
            continue
        try:
            write_atomic(report, CLAIMED, exclusive=True)
        except FileExistsError:
            continue
        try:
            written = write_rows(con, path, exclusive=True) if with_file else None
        except FileExistsError:  # a file came in meanwhile under that name: the next name
            report.unlink()
            continue
        except BaseException:
            report.unlink()
            raise
        return written, report


def write_report(extract: Extract) -> Path:
    b = extract.build
    names = ", ".join(p.name for p in b.profiles)
    lines = [f"CERS pre-flight: {extract.label} (profiles: {names}); school year {b.school_year}, as of {b.as_of}",
             f"{len(b.errors)} error(s), {len(b.findings) - len(b.errors)} warning(s); "
             + (f"written: {extract.path.name}" if extract.path else "NOT WRITTEN: " + (
                 extract.why_not_written if extract.empty else "fix the errors (Failure lines)")),
             "Row numbers count data rows from 1, as CERS's messages do.", ""]
    return write_atomic(extract.report_path, "\n".join(lines + [f.text() for f in b.findings]) + "\n")


def record(ws: Workspace, path: Path, user: str, records: int) -> None:
    with closing(app_state(ws)) as con, transaction(con):
        con.execute("INSERT INTO extracted_file (kind, path, created_at, user_name, record_count)"
                    " VALUES (?, ?, ?, ?, ?)", [KIND, str(path), utcnow(), user, records])


def extracted_files(ws: Workspace, user: str) -> pd.DataFrame:
    """The CERS files made, newest first: admins see all, other users their own."""
    admin = identity.is_admin(ws, user)
    with closing(app_state(ws)) as con:
        rows = con.execute("SELECT file_id, created_at, user_name, record_count, path FROM extracted_file"
                           " WHERE kind = ? AND (? OR user_name = ?) ORDER BY created_at DESC, file_id DESC",
                           [KIND, int(admin), user]).fetchall()
    return pd.DataFrame([dict(r) for r in rows], columns=["file_id", "created_at", "user_name", "record_count", "path"])


def extracted_file(ws: Workspace, user: str, file_id: int) -> Path:
    """A file of the list that `user` may download."""
    listed = extracted_files(ws, user)
    match = listed[listed.file_id == file_id]
    if match.empty:
        raise ProfileError(f"No CERS file {file_id} that {user} can see.")
    return Path(match.path.iloc[0])


def check_file(path: Path, today: date | None = None, schools: Collection[str] | None = None) -> list[Finding]:
    """Any CERS file checked: RDW's verdict with RDW's messages (rule `rdw`, errors: CERS rejects
    the file), then sislab's warnings about what CERS accepts but users rarely mean. `schools`:
    the CDS codes CERS knows for the district (default: any 14-digit code)."""
    data = Path(path).read_bytes()
    found = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        found.append(Finding("error", "encoding", f"{Path(path).name} is not UTF-8: byte 0x{data[e.start]:02X} on "
                             f"line {line} is not a character; CERS reads group files as UTF-8 and would store "
                             "\ufffd in its place. Save the file as UTF-8 (Excel: CSV UTF-8)", row=0))
        text = data.decode("utf-8", errors="replace")
    known = rdw.cds_code if schools is None else frozenset(schools).__contains__
    results = rdw.validate(text, rdw.school_years(today), known_school=known)
    found += [Finding("error", "rdw", r.message, r.row) for r in results if not r.ok]
    if any(r.row == 0 and not r.ok for r in results):
        return found  # no usable header or rows: nothing more to say about them
    try:
        records = list(rdw.read(text))
    except rdw.QuoteError:
        return found  # RDW cannot read the file: nothing more to say about its rows
    return found + [f for f in _file_preflight(records[1:]) if f.rule not in RDW_RULES]


def sis_schools(ws: Workspace) -> frozenset[str] | None:
    """The CDS codes of the SIS data's schools (the schools a district's CERS login may upload
    for), or None before anything is imported."""
    try:
        with store.snapshot(ws) as con:
            return frozenset(c for (c,) in con.execute("SELECT cds_code FROM school WHERE cds_code IS NOT NULL"
                                                       ).fetchall())
    except store.NoSnapshot:
        return None


def _file_preflight(rows: list[list[str]]) -> list[Finding]:
    """preflight.sql over a file's data rows, as RDW reads them (RDW has accepted its header and its CSV)."""
    frame = pd.DataFrame({name: [(r[i] if i < len(r) else "").strip() and r[i] or None for r in rows]
                          for i, name in enumerate(HEADER)}, dtype=object)  # a blank value is NULL
    frame.insert(0, "row_no", range(1, len(frame) + 1))
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("file_rows", frame)
        con.execute("CREATE TEMP TABLE cers_row AS SELECT * FROM file_rows")
        return preflight(con)
    finally:
        con.close()


def _warn_groups_in_two_files(extracts: list[Extract]) -> None:
    """Upload replaces a group's members: a group in two files keeps only the last file's rows."""
    for i, first in enumerate(extracts):
        for second in extracts[i + 1:]:
            shared = sorted(first.build.group_names & second.build.group_names)
            for e in (first, second) if shared else ():
                e.build.findings.append(Finding(
                    "warning", "overlapping_profiles",
                    f"{len(shared)} group(s) ({', '.join(shared[:3])}{', ...' if len(shared) > 3 else ''}) are in "
                    f"the files of profiles {first.label} and {second.label}: uploading both keeps only the second "
                    "file's rows; consolidate the two profiles into one file"))


def _slug(label: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:60] or "profile"
