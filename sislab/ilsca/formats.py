"""Writers of the three formats, each from the built records (the view `ilsca_record`), in file order.

- state: the ISBE upload; a header record, then one record per row, comma delimited.
- tab: tab delimited, a title line, for review in a spreadsheet.
- html: a table for review in a browser.

Quoting (state and tab): RFC 4180. A field holding the delimiter, a double quote or a line
break is enclosed in double quotes and its quotes doubled (`O"Neil, Jr` -> `"O""Neil, Jr"`);
other fields, and blanks, are written bare. Lines end in LF. Files are UTF-8.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import date
from pathlib import Path

import duckdb

from sislab.core.safe_csv import safe_select
from sislab.core.store import sql_literal
from sislab.core.tables import html_table
from sislab.core.workspace import write_atomic

from .report import layout, record_query, records


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


def _copy(con, tmp: Path, delimiter: str, titles: bool, header: str | None = None) -> None:
    """COPY the records to `tmp`; `header` (a whole line) goes first. DuckDB ends each record
    with LF and puts SUFFIX in place of the last one, so SUFFIX LF keeps every line ended."""
    query = record_query(titles)
    if titles:  # the review TSV is for people: formula-safe; the state file keeps its fixed layout
        query = safe_select(con, query)
    framing = ", PREFIX $header, SUFFIX $suffix" if header else ""
    params = {"header": header, "suffix": "\n"} if header else {}
    con.execute(f"COPY ({query}) TO {sql_literal(tmp)} (FORMAT csv, HEADER {str(titles).lower()}, "
                f"DELIMITER {sql_literal(delimiter)}, QUOTE '\"', ESCAPE '\"'{framing})", params)


def _state(con, path: Path, produced: date, sending_rcdts: str | None, total: int) -> None:
    """The header record, then the records: one COPY (no second pass over the file)."""
    header = header_record(total, path.name, produced, sending_rcdts)
    write_atomic(path, lambda tmp: _copy(con, tmp, layout()["file"]["delimiters"]["state"], False, header))


def _tab(con, path: Path, produced: date, sending_rcdts: str | None, total: int) -> None:
    write_atomic(path, lambda tmp: _copy(con, tmp, layout()["file"]["delimiters"]["tab"], True))


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
