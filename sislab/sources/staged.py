"""Every source ends in the same import: our CSV format, written to an owner-only folder in the
workspace, then `import_sis` on it — so all-or-nothing, every check and the shrink guard apply
to an Aeries pull, a OneRoster zip and a score file exactly as to a CSV folder.

What the source read is remembered per row, so a finding on `student.csv` row 17 column
state_id is told back as the Aeries request, record and field it came from.
"""

from __future__ import annotations

import csv
import os
import shutil
from array import array
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from sislab.core import model
from sislab.core.importer import Finding, ImportRejected, ImportReport, import_sis, staging_dir
from sislab.core.workspace import FILE_MODE, Workspace


def source_label(source: str, merge: str | os.PathLike | None = None) -> str:
    """What an import's record names as its source: the server or file, and the --merge folder."""
    return source if merge is None else f"{source} + {Path(merge).resolve()}"


@dataclass(frozen=True)
class SourceFinding(Finding):
    """A finding told in the source's words: `file` is the request or file, `row` its record
    (or its line, for a file read line by line)."""

    unit: str = "record"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.unit} {self.row}")
        if self.column:
            where.append(f"field {self.column}")
        return f"{', '.join(where)}: {self.message}{self.also(self.unit)}"


@dataclass(frozen=True)
class Origin:
    """Where a batch of rows came from: a request (or file) and its field per sislab column."""

    label: str
    fields: tuple[tuple[str, str], ...] = ()  # (sislab column, source field)
    unit: str = "record"  # what the number counts: a record of a request, a line of a file


class Staging:
    """Our CSV export being written by a source, then imported; use as a context manager."""

    def __init__(self, ws: Workspace, source: str, label: str):
        """`source` names the staging folder; `label` is what the import records as its source."""
        self.ws = ws
        self.label = label
        self._held = ExitStack()  # the staging folder and its lock (a killed source's is recovered)
        self.folder = self._held.enter_context(staging_dir(ws, source))
        self._files: dict[str, tuple] = {}
        self._origins: list[Origin] = []
        self._origin_index: dict[Origin, int] = {}
        self._rows: dict[str, tuple[array, array]] = {}  # table -> (origin index, record number)
        self.warnings: list[Finding] = []

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        self._held.close()

    def add(self, table: str, row: dict[str, str], origin: Origin | None = None, record: int = 0) -> None:
        """One row of `table` (text values by column), read from `record` of `origin`."""
        _, writer, columns = self._writer(table)
        writer.writerow([row.get(c, "") for c in columns])
        index = -1
        if origin is not None:
            index = self._origin_index.setdefault(origin, len(self._origins))
            if index == len(self._origins):
                self._origins.append(origin)
        origins, records = self._rows.setdefault(table, (array("l"), array("l")))
        origins.append(index)
        records.append(record)

    def rewrite(self, table: str, change) -> None:
        """Pass every row written to `table` through `change(row) -> row` (order, and so the
        rows' origins, kept), streaming: a pulled table may be large."""
        if table not in self._files:
            return
        fh, _, columns = self._files.pop(table)
        fh.close()
        path = self.folder / f"{table}.csv"
        old = path.rename(path.with_suffix(".old"))
        with open(old, encoding="utf-8", newline="") as src:
            reader = csv.reader(src)
            next(reader)
            _, writer, _ = self._writer(table)
            for values in reader:
                row = change(dict(zip(columns, values)))
                writer.writerow([row[c] for c in columns])
        old.unlink()

    def touch(self, table: str) -> None:
        """The table's file, with its header, even when no row comes."""
        self._writer(table)

    def merge(self, folder: str | os.PathLike | None, pulled: set[str]) -> None:
        """Take the tables the source does not hold from a folder of our CSV exports."""
        if folder is None:
            return
        folder = Path(folder)
        if not folder.is_dir():
            raise ImportRejected([Finding(str(folder), "is not a folder of CSV exports (--merge)")])
        for path in sorted(folder.iterdir()):
            table = path.stem.lower()
            if path.suffix.lower() != ".csv" or table not in model.BY_NAME:
                continue
            if table in pulled:
                self.warnings.append(Finding(path.name, f"ignored: {table} comes from the source, not --merge",
                                             severity="warning"))
            else:
                shutil.copyfile(path, self.folder / f"{table}.csv")
                os.chmod(self.folder / f"{table}.csv", FILE_MODE)

    def close(self) -> None:
        for fh, _, _ in self._files.values():
            fh.close()

    def run_import(self, user: str | None, progress=None, **guard) -> ImportReport:
        """Import the folder; findings come back in the source's words. `guard`: the shrink
        guard's options of `import_sis` (accept_shrink, max_shrink, shrink_by) and the import
        lock the source holds (lock)."""
        self.close()
        try:
            report = import_sis(self.folder, self.ws, user=user, progress=progress, source_label=self.label, **guard)
        except ImportRejected as e:
            raise ImportRejected(self.warnings + [self.locate(f) for f in e.findings]) from None
        report.warnings = self.warnings + [self.locate(f) for f in report.warnings]
        return report

    def locate(self, finding: Finding) -> Finding:
        """The finding on the source's request, record and field, when its row came from one."""
        table = finding.file.removesuffix(".csv")
        if finding.row is None or table not in self._rows:
            return finding
        origins, records = self._rows[table]
        if finding.row > len(origins) or origins[finding.row - 1] < 0:
            return finding
        index = origins[finding.row - 1]
        origin = self._origins[index]
        column = dict(origin.fields).get(finding.column, finding.column) if finding.column else None
        return SourceFinding(origin.label, finding.message, row=records[finding.row - 1], column=column,
                             severity=finding.severity, unit=origin.unit,
                             others=tuple(self._other(table, row, index) for row in finding.others))

    def _other(self, table: str, row: int, index: int) -> int | str:
        """Another row of a finding told as the source's: its record when it came from the
        finding's request or file, else that request's record, or where it is in our export."""
        origins, records = self._rows[table]
        if row > len(origins) or origins[row - 1] < 0:
            return f"{table}.csv row {row} (not from the source)"
        if origins[row - 1] == index:
            return records[row - 1]
        other = self._origins[origins[row - 1]]
        return f"{other.unit} {records[row - 1]} of {other.label}"

    def _writer(self, table: str):
        if table not in self._files:
            path = self.folder / f"{table}.csv"
            fh = open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "w",
                      encoding="utf-8", newline="")
            columns = [c.name for c in model.table(table).columns]
            writer = csv.writer(fh)
            writer.writerow(columns)
            self._files[table] = (fh, writer, columns)
        return self._files[table]
