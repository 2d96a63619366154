"""Writers of the three formats, each from the built records, in file order.

- state: the ISBE upload; a header record, then one record per row, comma delimited. Its
  2 M lines are put together in file order from fields quoted once where they live
  (`state_lines`): sorting the narrow records, not 29 formatted fields, is what makes it fast.
- tab: tab delimited, a title line, for review in a spreadsheet (the view `ilsca_record`).
- html: a table for review in a browser (the view `ilsca_record`).

Quoting (state and tab): RFC 4180. A field holding the delimiter, a double quote or a line
break is enclosed in double quotes and its quotes doubled (`O"Neil, Jr` -> `"O""Neil, Jr"`);
other fields, and blanks, are written bare. Lines end in LF. Files are UTF-8.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from sislab.core.safe_csv import safe_select
from sislab.core.store import sql_literal
from sislab.core.tables import html_table
from sislab.core.workspace import write_atomic

from .report import LINE_ORDER, fields, layout, record_query, records

# Where each field of the state file lives (sql/record.sql): the views and the key that
# indexes their rows (dense ranks from 1) in the narrow records ilsca_record_row.
FIELD_SOURCES = (("ilsca_record_student", "student_key"), ("ilsca_record_section", "section_key"))
ROWS = "ilsca_record_row"
BATCH_ROWS = 1 << 17
QUOTE = pa.scalar('"')


def file_name(sender: str, produced: date, file_id: str, fmt: str = "state") -> str:
    """SCA8_<RCDTS or district name>_<MMDDYYYY>_<file id>.txt (review formats: .tsv / .html)."""
    spec = layout()["file"]
    stem = spec["name"].format(sender=sender, date=produced.strftime(spec["date_format"]), file_id=file_id)
    return stem + spec["extensions"][fmt]


def header_record(total: int, name: str, produced: date, sending_rcdts: str | None) -> str:
    """The state format's header line (with its line end)."""
    spec = layout()["header"]
    values = {"file_type": spec["file_type"], "total_records": str(total), "file_name": name,
              "file_date": produced.strftime(spec["date_format"]), "sending_rcdts": sending_rcdts or ""}
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([values[f] for f in spec["fields"]])
    return buffer.getvalue()


def write(con: duckdb.DuckDBPyConnection, fmt: str, path: Path, produced: date, sending_rcdts: str | None,
          total: int) -> None:
    """Write the `total` built records (at least one: an empty file is never written) in `fmt`
    to `path` atomically."""
    if total < 1:
        raise ValueError("an IL SCA file needs at least one record")
    WRITERS[fmt](con, Path(path), produced, sending_rcdts, total)


def _copy(con, tmp: Path, delimiter: str) -> None:
    """COPY the records, with a title line, to `tmp` (formula-safe: the review TSV is for people)."""
    query = safe_select(con, record_query(titles=True))
    con.execute(f"COPY ({query}) TO {sql_literal(tmp)} (FORMAT csv, HEADER true, "
                f"DELIMITER {sql_literal(delimiter)}, QUOTE '\"', ESCAPE '\"')")


def _state(con, path: Path, produced: date, sending_rcdts: str | None, total: int) -> None:
    """The header record, then the records."""
    header = header_record(total, path.name, produced, sending_rcdts).encode("utf-8")

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as out:
            out.write(header)
            for lines in state_lines(con, layout()["file"]["delimiters"]["state"]):
                out.write(lines)

    write_atomic(path, write)


def state_lines(con: duckdb.DuckDBPyConnection, delimiter: str):
    """The records as the state file's lines (UTF-8 bytes, LF ends), in file order, a batch at
    a time: the same bytes DuckDB's CSV writer makes of `record_query()` (fields quoted by
    `quoted`). Per-student and per-section fields are quoted once, joined in runs of adjacent
    fields, and looked up by key for each record; a record's own fields take few values
    (term, dates, credit, Y/N: codes of the ENUM ilsca_record_value, which DuckDB hands over as
    a dictionary; RCDTS: text, dictionary-encoded here), so each batch quotes each distinct
    value once; only the narrow records are sorted."""
    columns = {view: _columns(con, view) for view in (ROWS, *(v for v, _ in FIELD_SOURCES))}
    runs: list[tuple[str, list[str]]] = []  # (view, adjacent fields it holds), in layout order
    for f in fields():
        view = next(v for v, names in columns.items() if f.name in names)
        if runs and runs[-1][0] == view:
            runs[-1][1].append(f.name)
        else:
            runs.append((view, [f.name]))
    separator, line_end = pa.scalar(delimiter), pa.scalar("\n")
    # what follows each field: the delimiter, after the last one the line end. Each part of a
    # line carries its own, so that a line is joined from half as many parts.
    ends = {(i, name): separator for i, (_, names) in enumerate(runs) for name in names}
    ends[len(runs) - 1, runs[-1][1][-1]] = line_end
    pieces = {}  # run -> (key, the run's fields quoted, joined and ended, one per key from 0)
    for view, key in FIELD_SOURCES:
        table = con.sql(f"SELECT {key}, {', '.join(n for v, names in runs if v == view for n in names)} "
                        f"FROM {view} ORDER BY {key}").to_arrow_table()
        if len(table) and table.column(key)[-1].as_py() != len(table):  # keys index the rows
            raise AssertionError(f"{view}.{key} is not a dense rank from 1")
        for i, (v, names) in enumerate(runs):
            if v == view:
                joined = pc.binary_join_element_wise(*(quoted(table.column(n), delimiter) for n in names), separator)
                pieces[i] = key, pc.binary_join_element_wise(joined, ends[i, names[-1]], "")
    keys = ", ".join(f"{key} - 1 AS {key}" for _, key in FIELD_SOURCES)
    own = ", ".join(n for v, names in runs if v == ROWS for n in names)
    reader = con.sql(f"SELECT {keys}, {own} FROM {ROWS} ORDER BY {LINE_ORDER}").to_arrow_reader(BATCH_ROWS)

    def assemble(batch: pa.RecordBatch) -> memoryview:
        parts = []
        for i, (view, names) in enumerate(runs):
            if view == ROWS:
                for name in names:
                    values = batch.column(name)  # codes (an ENUM: a dictionary), else text
                    if not pa.types.is_dictionary(values.type):
                        values = pc.dictionary_encode(values)
                    end = ends[i, name]
                    ended = pc.binary_join_element_wise(quoted(values.dictionary, delimiter), end, "")
                    parts.append(pc.fill_null(pc.take(ended, values.indices), end))  # NULL: written empty
            else:
                key, piece = pieces[i]
                parts.append(pc.take(piece, batch.column(key)))
        return _text_bytes(pc.binary_join_element_wise(*parts, ""))

    # Arrow's kernels let go of the GIL: batches are put together on every core, written in order.
    workers = os.cpu_count() or 1
    with ThreadPoolExecutor(workers) as pool:
        pending: deque = deque()
        for batch in reader:
            pending.append(pool.submit(assemble, batch))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def quoted(values: pa.Array | pa.ChunkedArray, delimiter: str) -> pa.Array | pa.ChunkedArray:
    """Text fields as DuckDB's CSV writer writes them (found by probing it; the review formats
    are written by it): NULL bare and empty; an empty string, or one holding the delimiter, a
    double quote, '#', CR or LF, in double quotes with its quotes doubled; others as they are."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise TypeError(f"a state file field must be text, not {values.type}")
    triggers = "[" + "".join(re.escape(c) for c in delimiter) + '"#\\r\\n]'
    enclose = pc.or_(pc.equal(values, ""), pc.match_substring_regex(values, triggers))
    if not pc.any(enclose).as_py():  # most columns (ids, codes, dates): nothing to enclose
        return pc.fill_null(values, "")
    enclosed = pc.binary_join_element_wise(QUOTE, pc.replace_substring(values, '"', '""'), QUOTE, "")
    return pc.fill_null(pc.if_else(enclose, enclosed, values), "")


def _columns(con: duckdb.DuckDBPyConnection, view: str) -> set[str]:
    return {row[0] for row in con.execute(f"SELECT * FROM {view} LIMIT 0").description}


def _text_bytes(lines: pa.Array) -> memoryview:
    """The characters of a string array without nulls, back to back: its data buffer."""
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    if lines.null_count:  # a null line has no characters: the file would lack a record
        raise AssertionError("a state file line is null")
    width = 8 if pa.types.is_large_string(lines.type) else 4
    offsets = memoryview(lines.buffers()[1]).cast("B")
    first, last = (int.from_bytes(offsets[(lines.offset + i) * width:(lines.offset + i + 1) * width], "little")
                   for i in (0, len(lines)))
    return memoryview(lines.buffers()[2]).cast("B")[first:last]


def _tab(con, path: Path, produced: date, sending_rcdts: str | None, total: int) -> None:
    write_atomic(path, lambda tmp: _copy(con, tmp, layout()["file"]["delimiters"]["tab"]))


def _html(con, path: Path, produced: date, sending_rcdts: str | None, total: int) -> None:
    """A review page: the header record's facts as a caption, then the records; blanks blank."""
    spec = layout()["header"]
    caption = (f"{spec['file_type']}: {total} records, {html.escape(path.name)}, "
               f"{produced.strftime(spec['date_format'])}, sending RCDTS {html.escape(sending_rcdts or '(none)')}")
    table = html_table(records(con), border=1)
    page = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(path.name)}</title></head>"
            f"<body><p>{caption}</p>\n{table}\n</body></html>\n")
    write_atomic(path, page)


WRITERS = {"state": _state, "tab": _tab, "html": _html}
