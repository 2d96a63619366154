"""The OneRoster 1.1 CSV checker: row-level findings for our feed or any OneRoster zip.

One streaming pass per file checks what only the raw text shows (manifest, encoding, header,
cell counts) and loads the rows with their line numbers into DuckDB; the per-cell rules are
then generated from the binding (oneroster.toml) and the cross-file rules are SQL
(`sql/check_*.sql`). Severities and texts are data (rules.toml). Every finding has: rule,
severity, file, line, sourcedId, column, value, message.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from sislab.core.store import sql_text

from .spec import PACKAGE, Binding, binding, feed_settings
from .writer import bound, statements

FINDING_COLUMNS = ["rule", "severity", "file", "line", "sourcedId", "column", "value", "message"]
BATCH_ROWS = 100_000
PREVIOUS_FILES = ("users", "classes", "enrollments")
csv.field_size_limit(sys.maxsize)


@cache
def rules() -> dict[str, tuple[str, str]]:
    """{rule: (severity, text)} from rules.toml."""
    d = tomllib.loads(resources.files(PACKAGE).joinpath("rules.toml").read_text(encoding="utf-8"))
    return {rule: tuple(v) for group in d.values() for rule, v in group.items()}


@dataclass(frozen=True)
class CheckReport:
    findings: pd.DataFrame  # FINDING_COLUMNS, errors first, then by file and line
    rows: dict[str, int]  # rows loaded per file

    @property
    def errors(self) -> int:
        return int((self.findings["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        return int((self.findings["severity"] == "warning").sum())

    @property
    def passed(self) -> bool:
        """No errors: the receiver takes every file and row (warnings may remain)."""
        return self.errors == 0

    def summary(self) -> pd.DataFrame:
        """Findings per rule and severity, with what the rule means."""
        if self.findings.empty:
            return pd.DataFrame(columns=["rule", "severity", "findings", "meaning"])
        out = self.findings.groupby(["rule", "severity"], as_index=False).size().rename(columns={"size": "findings"})
        out["meaning"] = out["rule"].map(lambda r: rules()[r][1])
        return out.sort_values(["severity", "findings"], ascending=[True, False]).reset_index(drop=True)


def check_feed(path: str | Path, previous: str | Path | None = None, *, homeroom_profile: bool = False,
               max_gone_share: float | None = None) -> CheckReport:
    """Check the OneRoster zip at `path` (and compare with the `previous` accepted feed)."""
    share = feed_settings()["checks"]["max_gone_share"] if max_gone_share is None else max_gone_share
    # DuckDB's spill files hold the feed's rows: beside the feed, not in /tmp
    with tempfile.TemporaryDirectory(prefix=".sislab-check-", dir=Path(path).parent) as scratch:
        con = duckdb.connect()
        try:
            con.execute("SET temp_directory = ?", [str(Path(scratch) / "spill")])
            findings, rows, modes = _load(con, Path(path), "t")
            findings += _cell_findings(con, modes)
            params = {"homeroom_profile": bool(homeroom_profile), "max_gone_share": float(share),
                      "email_pattern": binding().patterns["email"].pattern}
            findings += _sql_findings(con, "check_relations.sql", params)
            if previous:
                _load(con, Path(previous), "p", only=PREVIOUS_FILES)
                findings += _sql_findings(con, "check_previous.sql", params)
        finally:
            con.close()
    return CheckReport(_frame(findings), rows)


# ---- the raw pass: package, encoding, header, cells per row; rows into DuckDB -----------------

def _load(con, path: Path, prefix: str, only: tuple[str, ...] | None = None):
    """Load the zip's files into `<prefix>_<file>` tables (empty when absent).

    Returns the package, encoding and header findings, rows loaded per file, and each file's
    manifest mode (bulk for all when the manifest gives none)."""
    b = binding()
    findings: list[dict] = []
    with zipfile.ZipFile(path) as z:
        root, manifest_findings = _find_manifest(z.namelist())
        findings += manifest_findings
        modes, mode_findings = _manifest_modes(z, root, b)
        findings += mode_findings
        rows = {}
        for name in b.files:
            member = f"{root}{name}.csv"
            present = member in z.namelist()
            if only is None:
                findings += _presence(name, present, modes.get(name))
            if only is not None and name not in only:
                continue
            if present and modes.get(name) != "absent":
                rows[name], file_findings = _load_file(con, z, member, name, f"{prefix}_{name}")
                findings += file_findings
            else:
                _create_table(con, f"{prefix}_{name}", name)
                rows[name] = 0
    return findings, rows, modes or {name: "bulk" for name in b.files}


def _find_manifest(names: list[str]) -> tuple[str, list[dict]]:
    if "manifest.csv" in names:
        return "", []
    nested = sorted(n for n in names if n.endswith("/manifest.csv"))
    if nested:
        return nested[0][: -len("manifest.csv")], [_finding("MANIFEST_NOT_AT_ROOT", "manifest", value=nested[0])]
    return "", [_finding("MANIFEST_MISSING", "manifest")]


def _manifest_modes(z: zipfile.ZipFile, root: str, b: Binding) -> tuple[dict[str, str], list[dict]]:
    member = f"{root}manifest.csv"
    if member not in z.namelist():
        return {}, []
    text = z.read(member).decode("utf-8-sig", errors="replace")
    props = {r[0].strip(): r[1].strip() for r in csv.reader(io.StringIO(text)) if len(r) >= 2}
    findings = []
    for prop, want in (("manifest.version", b.manifest_version), ("oneroster.version", b.oneroster_version)):
        if props.get(prop) != want:
            findings.append(_finding("MANIFEST_VERSION", "manifest", column=prop, value=props.get(prop),
                                     message=f"{prop} must be {want}"))
    modes = {}
    for name in b.manifest_files:
        value = props.get(f"file.{name}")
        if value is None:
            findings.append(_finding("MANIFEST_PROPERTY_MISSING", "manifest", column=f"file.{name}"))
        elif value not in b.manifest_modes:
            findings.append(_finding("MANIFEST_MODE", "manifest", column=f"file.{name}", value=value))
        else:
            modes[name] = value
    return modes, findings


def _presence(name: str, present: bool, mode: str | None) -> list[dict]:
    """A file the manifest declares but the zip lacks, or the reverse (a missing declaration
    is already a MANIFEST_PROPERTY_MISSING finding)."""
    if mode in ("bulk", "delta") and not present:
        return [_finding("FILE_MISSING", name, column=f"file.{name}", value=mode)]
    if present and mode == "absent":
        return [_finding("FILE_NOT_DECLARED", name, column=f"file.{name}", value=mode)]
    return []


def _load_file(con, z: zipfile.ZipFile, member: str, name: str, table: str) -> tuple[int, list[dict]]:
    findings = _encoding_findings(z, member, name)
    columns = binding().columns(name)
    _create_table(con, table, name)
    with z.open(member) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            return 0, findings + [_finding("COLUMN_MISSING", name, line=1, column=c) for c in columns]
        picks, header_findings = _header(name, header)
        findings += header_findings
        width, id_at = len(header), picks[0]
        batch, lines, loaded = [], [], 0
        for row in reader:
            if len(row) != width:
                if row:
                    findings.append(_finding("CELL_COUNT", name, line=reader.line_num,
                                             source=row[id_at] if id_at is not None and id_at < len(row) else None,
                                             value=f"{len(row)} cells, header has {width}"))
                continue
            batch.append(row)
            lines.append(reader.line_num)
            if len(batch) >= BATCH_ROWS:
                loaded += _insert(con, table, batch, lines, picks, columns)
                batch, lines = [], []
        loaded += _insert(con, table, batch, lines, picks, columns)
    return loaded, findings


def _encoding_findings(z: zipfile.ZipFile, member: str, name: str) -> list[dict]:
    """A BOM (warning) and each line that is not valid UTF-8 (error), in one streaming pass."""
    findings, line, first = [], 1, True
    decoder = codecs.getincrementaldecoder("utf-8")()
    with z.open(member) as raw:
        while chunk := raw.read(1 << 20):
            if first and chunk.startswith(codecs.BOM_UTF8):
                findings.append(_finding("BOM", name, line=1))
            first = False
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                for number, text in enumerate(chunk.split(b"\n"), start=line):
                    try:
                        text.decode("utf-8")
                    except UnicodeDecodeError as e:
                        findings.append(_finding("INVALID_UTF8", name, line=number, value=repr(text[e.start:e.end])))
                decoder.reset()
            line += chunk.count(b"\n")
    return findings


def _header(name: str, header: list[str]) -> tuple[list[int | None], list[dict]]:
    """For each binding column, the index of its cell (None when missing), and header findings."""
    wanted = binding().columns(name)
    exact = {h: i for i, h in enumerate(header)}
    folded = {h.strip().lower(): i for i, h in enumerate(header)}
    picks, findings = [], []
    for column in wanted:
        if column in exact:
            picks.append(exact[column])
        elif column.lower() in folded:
            picks.append(folded[column.lower()])
            findings.append(_finding("COLUMN_MISCASED", name, line=1, column=column, value=header[picks[-1]]))
        else:
            picks.append(None)
            findings.append(_finding("COLUMN_MISSING", name, line=1, column=column))
    known = {c.lower() for c in wanted}
    for h in header:
        if h.strip().lower() not in known and not h.startswith("metadata."):
            findings.append(_finding("COLUMN_EXTRA", name, line=1, column=h))
    found = [i for i in picks if i is not None]
    if found != sorted(found):
        findings.append(_finding("COLUMN_ORDER", name, line=1, value=",".join(header)))
    return picks, findings


def _create_table(con, table: str, name: str) -> None:
    cols = ", ".join(f'"{c}" VARCHAR' for c in binding().columns(name))
    con.execute(f'CREATE OR REPLACE TABLE {table} (line INTEGER, {cols})')


def _insert(con, table: str, batch: list[list[str]], lines: list[int], picks, columns) -> int:
    if not batch:
        return 0
    cells = list(zip(*batch))
    arrays = {"line": pa.array(lines, pa.int32())}
    for column, i in zip(columns, picks):
        arrays[column] = pa.array(cells[i] if i is not None else [None] * len(batch), pa.string())
    rows = pa.table(arrays)  # noqa: F841 (read by the INSERT below)
    con.execute(f"INSERT INTO {table} SELECT * FROM rows")
    return len(batch)


# ---- per-cell rules, generated from the binding ------------------------------------------------

def _cell_findings(con, modes: dict[str, str]) -> list[dict]:
    """The per-cell rules of every file, one UNION ALL query per file."""
    b = binding()
    findings = []
    for name, columns in b.files.items():
        parts, params = [], []
        for c in columns:
            for rule, condition, values in _cell_rules(c, b):
                parts.append(_cell_select(rule, c.name, _bind_v(condition, f'"{c.name}"')))
                params += values
        mode = modes.get(name, "bulk")
        if mode in ("bulk", "delta"):
            stamped = "coalesce(status, '') <> '' OR coalesce(dateLastModified, '') <> ''"
            unstamped = "coalesce(status, '') = '' OR coalesce(dateLastModified, '') = ''"
            rule = "BULK_HAS_STATUS" if mode == "bulk" else "DELTA_MISSING_STATUS"
            parts.append(_cell_select(rule, "status", stamped if mode == "bulk" else unstamped))
        parts.append(_cell_select("DUPLICATE_ID", "sourcedId", "coalesce(sourcedId, '') <> '' AND sourcedId IN "
                                  f"(SELECT sourcedId FROM t_{name} GROUP BY sourcedId HAVING count(*) > 1)"))
        query = "\nUNION ALL\n".join(parts).replace("{table}", f"t_{name}")
        for rule, line, sid, column, value in con.execute(query, params).fetchall():
            findings.append(_finding(rule, name, line=line, source=sid, column=column, value=value))
    return findings


def _cell_select(rule: str, column: str, condition: str) -> str:
    return f"SELECT '{rule}', line, sourcedId, '{column}', \"{column}\" FROM {{table}} WHERE {condition}"


def _cell_rules(c, b: Binding):
    """(rule, SQL condition on `v` = the cell, parameters) for one column."""
    if c.required:
        yield "REQUIRED_EMPTY", "coalesce(trim(v), '') = ''", []
    present = "coalesce(v, '') <> '' AND "
    if c.kind == "enum":
        yield "ENUM_INVALID", present + "NOT list_contains(?, v)", [list(b.enumerations[c.target])]
    elif c.kind == "enums":
        yield "ENUM_INVALID", present + ("NOT list_has_all(?, list_transform(string_split(v, ','), lambda x: trim(x)))"),\
            [list(b.enumerations[c.target])]
    elif c.kind in ("date", "datetime", "year"):
        valid = "" if c.kind == "year" else " AND try_cast(left(v, 10) AS DATE) IS NOT NULL"
        yield "DATE_FORMAT", present + f"NOT (regexp_full_match(v, ?){valid})", [b.patterns[c.kind].pattern]
    elif c.kind == "email":
        yield "EMAIL_FORMAT", present + "NOT regexp_full_match(trim(v), ?)", [b.patterns["email"].pattern]
    elif c.kind in ("ref", "refs"):
        target = f"(SELECT sourcedId FROM t_{c.target} WHERE sourcedId IS NOT NULL)"
        if c.kind == "ref":
            yield "REF_UNRESOLVED", present + f"v NOT IN {target}", []
        else:
            yield "REF_UNRESOLVED", present + (f"NOT list_has_all((SELECT list(sourcedId) FROM t_{c.target}), "
                                               "list_transform(string_split(v, ','), lambda x: trim(x)))"), []


def _bind_v(condition: str, column_sql: str) -> str:
    """Put the column in place of the placeholder `v` in a cell condition."""
    return re.sub(r"\bv\b", column_sql, condition)


def _sql_findings(con, name: str, params: dict) -> list[dict]:
    findings = []
    for statement in statements(sql_text(PACKAGE, name)):
        for row in con.execute(statement, bound(statement, params)).fetchall():
            rule, file, line, sid, column, value, message = row
            findings.append(_finding(rule, file, line=line, source=sid, column=column, value=value, message=message))
    return findings


# ---- findings --------------------------------------------------------------------------------

def _finding(rule: str, file: str, *, line=None, source=None, column=None, value=None, message=None) -> dict:
    severity, text = rules()[rule]
    return {"rule": rule, "severity": severity, "file": f"{file}.csv", "line": line, "sourcedId": source,
            "column": column, "value": value, "message": f"{text} ({message})" if message else text}


def _frame(findings: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    df["line"] = df["line"].astype("Int64")
    order = df["severity"].map({"error": 0, "warning": 1})
    return df.assign(_o=order).sort_values(["_o", "file", "line", "rule"], kind="stable").drop(columns="_o") \
        .reset_index(drop=True)
