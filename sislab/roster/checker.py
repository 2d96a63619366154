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

from sislab.core.safe_csv import formula_condition
from sislab.core.store import sql_text

from .spec import PACKAGE, Binding, Receiver, binding, feed_settings, receivers
from .spec import receiver as receiver_profile
from .writer import bound

FINDING_COLUMNS = ["rule", "severity", "file", "line", "sourcedId", "column", "value", "message"]
BATCH_ROWS = 100_000
PREVIOUS_FILES = ("users", "classes", "enrollments")
csv.field_size_limit(sys.maxsize)


@cache
def _rules_file() -> dict:
    return tomllib.loads(resources.files(PACKAGE).joinpath("rules.toml").read_text(encoding="utf-8"))


@cache
def rules() -> dict[str, tuple[str, str]]:
    """{rule: (severity, text)} from rules.toml."""
    return {rule: tuple(v) for name, group in _rules_file().items() if name != "supersedes" for rule, v in group.items()}


def supersedes() -> dict[str, tuple[str, ...]]:
    """{rule: rules it replaces on the same file, line and column} (one finding per defect)."""
    return {rule: tuple(v) for rule, v in _rules_file()["supersedes"].items()}


@dataclass(frozen=True)
class CheckReport:
    findings: pd.DataFrame  # FINDING_COLUMNS, errors first, then by file and line
    rows: dict[str, int]  # rows loaded per file
    receiver: str = "generic"  # the receiver profile the feed was checked for

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

    def adding(self, found: list[dict]) -> CheckReport:
        """The report with findings made outside the zip's check (the build's, on the SIS data:
        dicts of rule, file, line, sourcedId, column, value, message)."""
        extra = [_finding(f["rule"], f["file"], line=f["line"], source=f["sourcedId"], column=f["column"],
                          value=f["value"], message=f["message"]) for f in found]
        return CheckReport(_frame(self.findings.to_dict("records") + extra), self.rows, self.receiver)

    def summary(self) -> pd.DataFrame:
        """Findings per rule and severity, with what the rule means."""
        if self.findings.empty:
            return pd.DataFrame(columns=["rule", "severity", "findings", "meaning"])
        out = self.findings.groupby(["rule", "severity"], as_index=False).size().rename(columns={"size": "findings"})
        out["meaning"] = out["rule"].map(lambda r: rules()[r][1])
        return out.sort_values(["severity", "findings"], ascending=[True, False]).reset_index(drop=True)


def check_feed(path: str | Path, previous: str | Path | None = None, *, receiver: str = "generic",
               max_gone_share: float | None = None, accept_drop: bool = False) -> CheckReport:
    """Check the OneRoster zip at `path` for a receiver (receivers.toml), and compare it with
    the `previous` accepted feed; `accept_drop` confirms a large drop (SHARE_GONE becomes a
    warning) so that the feed can be accepted."""
    profile = receiver_profile(receiver)
    share = feed_settings()["checks"]["max_gone_share"] if max_gone_share is None else max_gone_share
    b = binding()
    # DuckDB's spill files hold the feed's rows: beside the feed, not in /tmp
    with tempfile.TemporaryDirectory(prefix=".sislab-check-", dir=Path(path).parent) as scratch:
        con = duckdb.connect()
        try:
            con.execute("SET temp_directory = ?", [str(Path(scratch) / "spill")])
            con.execute("SET enable_progress_bar = false")
            findings, rows, modes, unusable = load_feed(con, Path(path), "t", scratch=Path(scratch))
            findings += _cell_findings(con, modes, unusable, profile)
            params = {"homeroom_profile": profile.homeroom_only, "max_gone_share": float(share),
                      "email_pattern": b.patterns["email"].pattern, "user_roles": list(b.enumerations["roleType"]),
                      "enrollment_roles": list(b.enumerations["enrollmentRole"]),
                      "grades": list(b.enumerations["grade"])}
            findings += _sql_findings(con, "check_relations.sql", params, unusable)
            if previous:
                load_feed(con, Path(previous), "p", only=PREVIOUS_FILES, scratch=Path(scratch))
                findings += _sql_findings(con, "check_previous.sql", params, unusable)
        finally:
            con.close()
    findings = _for_receiver(_without_superseded(findings), profile)
    severity = {**profile.severity, **({"SHARE_GONE": "warning"} if accept_drop else {})}
    return CheckReport(_frame(findings, severity), rows, profile.name)


def _for_receiver(findings: list[dict], profile: Receiver) -> list[dict]:
    """Drop the findings of receiver rules (a profile's `rules`) the profile does not apply."""
    others = {r for p in receivers().values() for r in p.rules} - set(profile.rules)
    return [f for f in findings if f["rule"] not in others]


def _without_superseded(findings: list[dict]) -> list[dict]:
    """One finding per defect: drop a finding a more specific rule makes on the same cell."""
    replaced = {(r, f["file"], f["line"], f["column"]) for f in findings for r in supersedes().get(f["rule"], ())}
    return [f for f in findings if (f["rule"], f["file"], f["line"], f["column"]) not in replaced]


# ---- the raw pass: package, encoding, header, cells per row; rows into DuckDB -----------------

def load_feed(con, path: Path, prefix: str, only: tuple[str, ...] | None = None, scratch: Path | None = None):
    """Load the zip's files into `<prefix>_<file>` tables (empty when absent).

    Returns the package, encoding and header findings, rows loaded per file, each file's
    manifest mode (bulk for all when the manifest gives none), and the files that are
    unusable (declared but missing, or empty): rules that read them would only repeat that."""
    b = binding()
    findings: list[dict] = []
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        root, manifest_findings = _find_manifest(names)
        findings += manifest_findings
        modes, mode_findings = _manifest_modes(z, root, b)
        findings += mode_findings
        if only is None:
            findings += _presence(names, root, modes, b)
        unusable = {f["file"].removesuffix(".csv") for f in findings if f["rule"] == "FILE_MISSING"}
        rows = {}
        for name in b.files:
            member = f"{root}{name}.csv"
            if (only is None or name in only) and member in names and modes.get(name) != "absent":
                rows[name], file_findings = _load_file(con, z, member, name, f"{prefix}_{name}", scratch)
                findings += file_findings
                if any(f["rule"] == "FILE_EMPTY" for f in file_findings):
                    unusable.add(name)
            else:
                _create_table(con, f"{prefix}_{name}", name)
                rows[name] = 0
    return findings, rows, modes or {name: "bulk" for name in b.files}, unusable


def _find_manifest(names: list[str]) -> tuple[str, list[dict]]:
    if "manifest.csv" in names:
        return "", []
    nested = sorted(n for n in names if n.endswith("/manifest.csv"))
    if nested:
        return nested[0][: -len("manifest.csv")], [_finding("MANIFEST_NOT_AT_ROOT", "manifest", value=nested[0])]
    return "", [_finding("MANIFEST_MISSING", "manifest")]


def _manifest_modes(z: zipfile.ZipFile, root: str, b: Binding) -> tuple[dict[str, str], list[dict]]:
    """Each declared file's mode, and the manifest's findings (one FILE_EMPTY for an empty one)."""
    member = f"{root}manifest.csv"
    if member not in z.namelist():
        return {}, []
    data = z.read(member)
    encoding = _Encoding("manifest")
    encoding.check(data)
    text = data.decode("utf-8-sig", errors="replace")
    if not text.strip():
        return {}, [_finding("FILE_EMPTY", "manifest", line=1)]
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    findings = encoding.findings + ([] if header == ["propertyName", "value"] else
                                    [_finding("MANIFEST_HEADER", "manifest", line=1, value=",".join(header))])
    props, lines = {}, {}
    known = {"manifest.version", "oneroster.version", *b.manifest_properties, *(f"file.{n}" for n in b.manifest_files)}
    for row in reader:
        if not row or len(row) < 2:
            continue
        prop, value, line = row[0].strip(), row[1].strip(), reader.line_num
        if prop in props:
            findings.append(_finding("MANIFEST_PROPERTY_DUPLICATE", "manifest", line=line, column=prop, value=value,
                                     message=f"first given on line {lines[prop]} as {props[prop]!r}"))
            props[prop] = None  # neither value can be trusted
            continue
        if prop not in known:
            findings.append(_finding("MANIFEST_PROPERTY_UNKNOWN", "manifest", line=line, column=prop, value=value))
        props[prop], lines[prop] = value, line
    for prop, want in (("manifest.version", b.manifest_version), ("oneroster.version", b.oneroster_version)):
        if prop in props and props[prop] is None:
            continue
        if props.get(prop) != want:
            findings.append(_finding("MANIFEST_VERSION", "manifest", line=lines.get(prop), column=prop,
                                     value=props.get(prop), message=f"{prop} must be {want}"))
    modes = {}
    for name in b.manifest_files:
        prop = f"file.{name}"
        value = props.get(prop)
        if prop not in props:
            modes[name] = "undeclared"
        elif value is None:
            modes[name] = "duplicate"
        elif value not in b.manifest_modes:
            findings.append(_finding("MANIFEST_MODE", "manifest", line=lines[prop], column=prop, value=value))
            modes[name] = "invalid"
        else:
            modes[name] = value
    return modes, findings


def _presence(names: list[str], root: str, modes: dict[str, str], b: Binding) -> list[dict]:
    """Each manifest file against the zip: declared but absent, present but not declared (absent
    or no declaration), a declaration missing, and CSV files the manifest cannot declare."""
    if not modes:  # no usable manifest: already reported
        return []
    findings = []
    for name in b.manifest_files:
        present, mode = f"{root}{name}.csv" in names, modes[name]
        if mode in ("bulk", "delta") and not present:
            findings.append(_finding("FILE_MISSING", name, column=f"file.{name}", value=mode))
        elif present and mode in ("absent", "undeclared"):
            findings.append(_finding("FILE_NOT_DECLARED", name, column=f"file.{name}", value=mode))
        elif mode == "undeclared":
            findings.append(_finding("MANIFEST_PROPERTY_MISSING", "manifest", column=f"file.{name}"))
    expected = {f"{root}{n}.csv" for n in ("manifest", *b.manifest_files)}
    for member in sorted(n for n in names if n.lower().endswith(".csv") and n not in expected):
        findings.append(_finding("FILE_NOT_DECLARED", member.removesuffix(".csv"), value="not a OneRoster 1.1 file"))
    return findings


def _load_file(con, z: zipfile.ZipFile, member: str, name: str, table: str,
               scratch: Path | None = None) -> tuple[int, list[dict]]:
    """Check one file's raw text and load its rows with their line numbers into `table`.

    DuckDB's CSV reader loads a file whose records are one line each and well formed (the
    usual case); anything else (a bad cell count, a record spanning lines, a BOM, bad UTF-8)
    goes through Python's csv module, which reports each such line."""
    columns = binding().columns(name)
    _create_table(con, table, name)
    with tempfile.TemporaryDirectory(prefix="sislab-check-", dir=scratch) as folder:  # owner-only
        raw = _extract(z, member, name, Path(folder) / "file.csv")
        findings = raw.findings
        with open(raw.path, encoding="utf-8-sig", errors="replace", newline="") as text:
            reader = csv.reader(text)
            header = next(reader, None)
            if header is None or not any(h.strip() for h in header):
                return 0, [f for f in findings if f["rule"] != "BOM"] + [_finding("FILE_EMPTY", name, line=1)]
            picks, header_findings = _header(name, header)
            findings += header_findings
            if not _findings_of(findings, "BOM", "INVALID_UTF8") and reader.line_num == 1:
                loaded = _read_csv(con, table, raw.path, len(header), picks, columns, raw.lines - 1)
                if loaded is not None:
                    return loaded, findings
            loaded, count_findings = _read_rows(con, table, reader, name, len(header), picks, columns)
            return loaded, findings + count_findings


def _findings_of(findings: list[dict], *rules: str) -> list[dict]:
    return [f for f in findings if f["rule"] in rules]


@dataclass(frozen=True)
class _Raw:
    path: Path
    findings: list[dict]  # BOM, INVALID_UTF8
    lines: int  # physical lines


def _extract(z: zipfile.ZipFile, member: str, name: str, target: Path) -> _Raw:
    """Copy the member to `target` in one streaming pass that also checks its encoding and
    counts the lines."""
    encoding = _Encoding(name)
    with z.open(member) as raw, open(target, "wb") as out:
        while chunk := raw.read(1 << 20):
            out.write(chunk)
            encoding.check(chunk)
    return _Raw(target, encoding.findings, encoding.lines)


class _Encoding:
    """A file's encoding findings, its bytes given in pieces: a BOM (warning) and each line
    that is not valid UTF-8 (error). Every file of the zip goes through it, manifest.csv too."""

    def __init__(self, name: str):
        self.name, self.findings, self.line, self.last = name, [], 1, None
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def check(self, chunk: bytes) -> None:
        if self.last is None and chunk.startswith(codecs.BOM_UTF8):
            self.findings.append(_finding("BOM", self.name, line=1))
        self.last = chunk[-1:]
        try:
            self.decoder.decode(chunk)
        except UnicodeDecodeError:
            for number, text in enumerate(chunk.split(b"\n"), start=self.line):
                try:
                    text.decode("utf-8")
                except UnicodeDecodeError as e:
                    self.findings.append(_finding("INVALID_UTF8", self.name, line=number, value=repr(text[e.start:e.end])))
            self.decoder.reset()
        self.line += chunk.count(b"\n")

    @property
    def lines(self) -> int:
        """Physical lines so far (a last line without a newline counts)."""
        return self.line - (1 if self.last in (None, b"\n") else 0)


def _read_csv(con, table: str, path: Path, width: int, picks, columns, records: int) -> int | None:
    """Load the rows with DuckDB's reader when every record is one well-formed line, so that a
    record's line is its number + 1 (`records` = physical lines after the header); None when
    it is not so (a bad cell count, a record spanning lines, a blank line): the caller then
    reads row by row.

    DuckDB forgives a row with one extra, empty, last cell, so one column more than the header
    is read, with padding: empty cells read as '' and padding as NULL, so a row with too many
    cells fills the extra column and a row with too few leaves its last real column NULL."""
    raw = [f"c{i}" for i in range(width + 1)]
    spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in raw) + "}"
    try:
        con.execute(f"""CREATE OR REPLACE TABLE raw_{table} AS SELECT * FROM read_csv(?, header = true,
                        auto_detect = false, columns = {spec}, delim = ',', quote = '"', escape = '"',
                        strict_mode = true, null_padding = true, nullstr = '\x1f', ignore_errors = false)""",
                    [str(path)])
        bad, rows = con.execute(f"SELECT count(*) FILTER ({raw[width]} IS NOT NULL OR {raw[width - 1]} IS NULL), "
                                f"count(*) FROM raw_{table}").fetchone()
        if (bad, rows) != (0, records):
            con.execute(f"DROP TABLE raw_{table}")
            return None
    except duckdb.Error:
        con.execute(f"DROP TABLE IF EXISTS raw_{table}")
        return None
    # The rows stay where DuckDB read them; `table` becomes a view in the binding's columns
    # (line = the row's place + 2).
    cells = ", ".join(f'{raw[i]} AS "{c}"' if i is not None else f'NULL::VARCHAR AS "{c}"'
                      for c, i in zip(columns, picks))
    con.execute(f"DROP TABLE {table}")
    con.execute(f"CREATE VIEW {table} AS SELECT CAST(rowid + 2 AS INTEGER) AS line, {cells} FROM raw_{table}")
    return records


def _read_rows(con, table: str, reader, name: str, width: int, picks, columns) -> tuple[int, list[dict]]:
    """Load the rows read by Python's csv module; a row whose cell count differs from the
    header's is reported (CELL_COUNT) and not loaded."""
    findings, batch, lines, loaded, id_at = [], [], [], 0, picks[0]
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
    return loaded + _insert(con, table, batch, lines, picks, columns), findings


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
    con.execute(f"DROP VIEW IF EXISTS {table}")
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

def _cell_findings(con, modes: dict[str, str], unusable: set[str], profile: Receiver) -> list[dict]:
    """The per-cell rules of every file (and the receiver's): one scan per file evaluates every
    value rule on each row; references and duplicate ids are set-based queries."""
    b = binding()
    findings = []
    for name, columns in b.files.items():
        checks, params = [], []
        for c in columns:
            for rule, condition, values in _cell_rules(c, b):
                checks.append((rule, c.name, _bind_v(condition, f'"{c.name}"')))
                params += values
        checks += [("FORMULA_START", column, formula_condition(f'"{column}"')) for column in b.formula_checked.get(name, ())]
        for cell in (c for c in profile.cells if c.file == name):
            empty = f"coalesce(\"{cell.column}\", '') = ''"
            checks.append((cell.rule, cell.column,
                           f"{empty if cell.required else 'false'} OR regexp_matches(\"{cell.column}\", ?)"))
            params.append(cell.bad)
        mode = modes.get(name, "bulk")
        if mode in ("bulk", "delta"):
            stamped = "coalesce(status, '') <> '' OR coalesce(dateLastModified, '') <> ''"
            unstamped = "coalesce(status, '') = '' OR coalesce(dateLastModified, '') = ''"
            checks.append(("BULK_HAS_STATUS" if mode == "bulk" else "DELTA_MISSING_STATUS", "status",
                           stamped if mode == "bulk" else unstamped))
        queries = [(_scan_select(name, checks), params + params)]  # the rows with any finding, then their findings
        queries += [(_ref_select(name, c), []) for c in columns
                    if c.kind in ("ref", "refs") and c.target not in unusable]
        queries.append((f"SELECT 'DUPLICATE_ID', line, sourcedId, 'sourcedId', sourcedId FROM t_{name} "
                        f"WHERE coalesce(sourcedId, '') <> '' AND sourcedId IN "
                        f"(SELECT sourcedId FROM t_{name} GROUP BY sourcedId HAVING count(*) > 1)", []))
        for query, values in queries:
            for rule, line, sid, column, value in con.execute(query, values).fetchall():
                findings.append(_finding(rule, name, line=line, source=sid, column=column, value=value))
    return findings


def _scan_select(name: str, checks: list[tuple[str, str, str]]) -> str:
    """One pass over the file finds the rows that meet any condition; for those rows only, each
    (rule, column, value) of every condition met."""
    any_bad = " OR ".join(f"({condition})" for _, _, condition in checks)
    items = ", ".join(f"struct_pack(r := '{rule}', c := '{column}', v := \"{column}\", bad := coalesce(({condition}), false))"
                      for rule, column, condition in checks)
    return (f"WITH bad AS (SELECT * FROM t_{name} WHERE {any_bad}) "
            f"SELECT f.r, line, sourcedId, f.c, f.v FROM (SELECT line, sourcedId, "
            f"unnest(list_filter([{items}], lambda x: x.bad)) AS f FROM bad)")


def _ref_select(name: str, c) -> str:
    """Rows whose reference (or one of a comma-separated list) names no row of the target file.
    An item is not trimmed, as a single reference is not: ' s1' is not s1 (nor is ' 10' a grade)."""
    known = f"(SELECT sourcedId FROM t_{c.target} WHERE sourcedId IS NOT NULL)"
    found = f"SELECT 'REF_UNRESOLVED', line, sourcedId, '{c.name}', \"{c.name}\" FROM t_{name} WHERE "
    if c.kind == "ref":
        return found + f"coalesce(\"{c.name}\", '') <> '' AND \"{c.name}\" NOT IN {known}"
    return (found + f"line IN (SELECT line FROM (SELECT line, unnest(string_split(\"{c.name}\", ',')) AS ref "
            f"FROM t_{name} WHERE coalesce(\"{c.name}\", '') <> '') WHERE ref NOT IN {known})")


def _cell_rules(c, b: Binding):
    """(rule, SQL condition on `v` = the cell, parameters) for one column's value rules."""
    if c.required:  # blank: empty once trimmed; only a value whose first character trims away is trimmed whole
        yield "REQUIRED_EMPTY", "(v IS NULL OR v = '' OR (trim(left(v, 1)) = '' AND trim(v) = ''))", []
    present = "coalesce(v, '') <> '' AND "
    if c.kind == "enum":
        yield "ENUM_INVALID", present + "NOT list_contains(?, v)", [list(b.enumerations[c.target])]
    elif c.kind == "enums":
        yield "ENUM_INVALID", present + "NOT list_has_all(?, string_split(v, ','))", [list(b.enumerations[c.target])]
    elif c.kind in ("date", "datetime", "year"):
        valid = "" if c.kind == "year" else " AND try_cast(left(v, 10) AS DATE) IS NOT NULL"
        yield "DATE_FORMAT", present + f"NOT (regexp_full_match(v, ?){valid})", [b.patterns[c.kind].pattern]
    elif c.kind == "email":
        yield "EMAIL_FORMAT", present + "NOT regexp_full_match(trim(v), ?)", [b.patterns["email"].pattern]


def _bind_v(condition: str, column_sql: str) -> str:
    """Put the column in place of the placeholder `v` in a cell condition."""
    return re.sub(r"\bv\b", column_sql, condition)


def _sql_findings(con, name: str, params: dict, unusable: set[str]) -> list[dict]:
    """The findings of each statement of the script whose `-- needs:` files are all usable."""
    findings = []
    for needs, statement in _needing(sql_text(PACKAGE, name)):
        if needs & unusable:
            continue
        for row in con.execute(statement, bound(statement, params)).fetchall():
            rule, file, line, sid, column, value, message = row
            findings.append(_finding(rule, file, line=line, source=sid, column=column, value=value, message=message))
    return findings


def _needing(script: str) -> list[tuple[set[str], str]]:
    """The script's statements, each with the files its `-- needs:` comment names."""
    out, needs, code = [], set(), []
    for line in script.splitlines():
        text = line.strip()
        if text.startswith("--"):
            if m := re.match(r"--\s*needs:(.*)", text):
                needs |= {f.strip() for f in m.group(1).split(",") if f.strip()}
            continue
        code.append(line)
        if text.endswith(";"):
            out.append((needs, "\n".join(code).strip().rstrip(";")))
            needs, code = set(), []
    if "".join(code).strip():
        out.append((needs, "\n".join(code).strip()))
    return out


# ---- findings --------------------------------------------------------------------------------

def _finding(rule: str, file: str, *, line=None, source=None, column=None, value=None, message=None) -> dict:
    severity, text = rules()[rule]
    return {"rule": rule, "severity": severity, "file": f"{file}.csv", "line": line, "sourcedId": source,
            "column": column, "value": value, "message": f"{text} ({message})" if message else text}


def _frame(findings: list[dict], severity: dict[str, str] | None = None) -> pd.DataFrame:
    """The findings in order, with a receiver's (or a confirmation's) severity overrides. Every
    column is a sort key: a line can have several findings of one rule (a teacher's e-mail
    shared with two others), which the queries return in no fixed order."""
    df = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    for rule, level in (severity or {}).items():
        df.loc[df["rule"] == rule, "severity"] = level
    df["line"] = df["line"].astype("Int64")
    order = df["severity"].map({"error": 0, "warning": 1})
    return df.assign(_o=order).sort_values(["_o", "file", "line", "rule", "sourcedId", "column", "value", "message"],
                                            kind="stable").drop(columns="_o") \
        .reset_index(drop=True)
