"""One-click downloads: a file a page offers travels as a real file response from the server.

A kernel (a form in JupyterLab, a dashboard in Voilà) that offers a file puts it — or a copy —
under `workspace/tmp/downloads/<token>/`, with the name of the user it is for; the page shows
a plain link to `<base>sislab/download/<token>/<file name>`. The server's `DownloadHandler`
answers that link with the file (`Content-Disposition: attachment`), streamed, for that user
only: the token is random, and the file's user must be the dashboard's signed-in user, or the
user a JupyterLab runs as (all users' Labs share the workspace under JupyterHub).
Nothing is embedded in the page, so a district-size file costs the page nothing.

A long table is offered the same way, as Parquet, and its page asks `RowsHandler`
(`<base>sislab/rows/<token>/<file name>`) for the rows it shows — a page of them, searched and
sorted by DataTables' server-side protocol — so the page holds one page of rows, not all of them.

JupyterLab gets the handler as a server extension (`sislab lab` enables it); the dashboard
server adds it to its own handlers. Offered files are kept `KEEP_SECONDS`, then removed by the
next offer.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from urllib.parse import quote

from tornado import web

from . import access, store
from .workspace import FILE_MODE, Workspace, private_dir

ROUTE = "sislab/download"
ROWS_ROUTE = "sislab/rows"
STATIC = "sislab/static"
PATTERN = rf"/{ROUTE}/([A-Za-z0-9_-]{{20,64}})/([^/]+)"
ROWS_PATTERN = rf"/{ROWS_ROUTE}/([A-Za-z0-9_-]{{20,64}})/([^/]+\.parquet)"
MAX_PAGE = 1000  # rows one request may ask for
OWNER = ".owner"
KEEP_SECONDS = 12 * 3600
CHUNK = 1 << 20
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def folder(ws: Workspace) -> Path:
    return private_dir(ws.tmp / "downloads")


def offer(ws: Workspace, content: bytes | str | Path, filename: str, user: str | None = None,
          route: str = ROUTE) -> str:
    """Make `content` (bytes, text, or a file to copy) downloadable as `filename` by `user`
    (default: the acting user); returns the link's path, relative to the server's base URL
    (`route`: the download, or a table's pages)."""
    _sweep(ws)
    token = secrets.token_urlsafe(24)
    name = SAFE_NAME.sub("_", filename).strip("._") or "download"
    place = private_dir(folder(ws) / token)
    _write_new(place / OWNER, (user or access.current_user()).encode("utf-8"))
    target = place / name
    if isinstance(content, Path):
        shutil.copyfile(content, target)
        os.chmod(target, FILE_MODE)
    else:
        _write_new(target, content.encode("utf-8") if isinstance(content, str) else content)
    return f"{route}/{token}/{quote(name)}"


def _write_new(path: Path, data: bytes) -> None:
    """Create `path`, owner-only, with `data`. Nobody reads an offer's folder before its link
    is returned, so no temporary file and rename; and no fsync: after a crash of the machine the
    page is opened again (its kernel is gone too) and offers its files again. Each fsync cost
    a page ~5 ms, more on a busy disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def url(path: str) -> str:
    """The absolute path of a link from `offer`, under the server's base URL (JupyterHub's
    prefix, Voilà's base URL, else /)."""
    base = os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or os.environ.get("VOILA_BASE_URL") or "/"
    return base.rstrip("/") + "/" + path


def _sweep(ws: Workspace) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for place in folder(ws).iterdir():
        if place.is_dir() and place.stat().st_mtime < cutoff:
            shutil.rmtree(place, ignore_errors=True)


def offered_file(ws: Workspace, token: str, name: str, user: str) -> Path | None:
    """The offered file, if it exists, is `user`'s and was offered less than KEEP_SECONDS ago (an
    older one is gone at the next offer's sweep; until then its link must not work either)."""
    place = folder(ws) / token
    path = place / name
    if not path.is_file() or name == OWNER or path.parent != place:
        return None
    if place.stat().st_mtime < time.time() - KEEP_SECONDS:
        return None
    if (place / OWNER).read_text(encoding="utf-8") != user:
        return None
    return path


class DownloadHandler(web.RequestHandler):
    """GET <base>sislab/download/<token>/<name>: the file, as an attachment, to its owner."""

    def initialize(self, ws: Workspace | None = None, owner: str | None = None) -> None:
        self.ws, self.owner = ws, owner

    def owned_file(self, token: str, name: str) -> Path:
        """The offered file if the signed-in user may have it; 403 / 404 otherwise."""
        user = self.current_user
        if user is None:
            raise web.HTTPError(403)
        path = offered_file(self.ws or Workspace.locate(), token, name, self.owner or user.username)
        if path is None:
            raise web.HTTPError(404)
        return path

    async def get(self, token: str, name: str) -> None:
        path = self.owned_file(token, name)
        self.set_header("Content-Type", mimetypes.guess_type(name)[0] or "application/octet-stream")
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Length", str(path.stat().st_size))
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                self.write(chunk)
                await self.flush()


class RowsHandler(DownloadHandler):
    """GET <base>sislab/rows/<token>/<name>.parquet?draw&start&length&search[value]&order[0][column]
    &order[0][dir]: one page of an offered table's rows for its owner, as DataTables' server-side
    protocol asks (`table_page`)."""

    async def get(self, token: str, name: str) -> None:
        path = self.owned_file(token, name)
        try:
            draw = int(self.get_argument("draw", "0"))
            start = max(int(self.get_argument("start", "0")), 0)
            length = min(max(int(self.get_argument("length", "25")), 1), MAX_PAGE)
            column = int(self.get_argument("order[0][column]", "-1"))
        except ValueError:
            raise web.HTTPError(400) from None
        descending = self.get_argument("order[0][dir]", "asc") == "desc"
        page = table_page(path, start, length, self.get_argument("search[value]", ""), column, descending)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"draw": draw, **page}))


def offer_table(ws: Workspace, frame) -> str:
    """A table (a DataFrame, columns in display order) offered as Parquet to the acting user for
    `RowsHandler` to page through; returns the link its page asks for rows."""
    return offer(ws, table_parquet(frame), "table.parquet", route=ROWS_ROUTE)


def table_parquet(frame) -> bytes:
    """The Parquet file `offer_table` offers: columns named by position, mixed values as text."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = frame.set_axis([f"c{i}" for i in range(frame.shape[1])], axis=1)  # the page names them
    for name in frame.columns[frame.dtypes == object]:  # mixed Python values: as the table shows them
        frame[name] = frame[name].map(lambda v: v if v is None or isinstance(v, str) or pd.isna(v) else str(v))
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue().to_pybytes()


def table_page(path: Path, start: int, length: int, search: str, column: int, descending: bool) -> dict:
    """Rows `start`..`start+length` of an offered table (`offer_table`), those holding `search` in
    any cell (case-insensitive), sorted by the column at index `column` (its values, not their
    text: numbers sort as numbers), else in the table's order. Cells as the table shows them
    (`cell_texts`). The search is a bound parameter; the column a checked index. The file is read
    once per page (its row count from its metadata), twice when searching (the matches' count)."""
    import duckdb

    file = {"f": str(path)}
    rows = f"read_parquet({store.sql_literal(str(path))}, file_row_number = true)"
    cells = "*COLUMNS(* EXCLUDE (file_row_number))"
    where = f"WHERE contains(lower(concat_ws(chr(31), {cells})), lower($search))" if search else ""
    con = duckdb.connect()
    try:
        total = con.execute("SELECT num_rows FROM parquet_file_metadata($f)", file).fetchall()[0][0]
        width = con.execute("SELECT count(*) - 1 FROM parquet_schema($f)", file).fetchall()[0][0]  # less the root
        order = f"{column + 1} {'DESC' if descending else 'ASC'} NULLS LAST, " if 0 <= column < width else ""
        params = {"search": search} if search else {}
        filtered = con.execute(f"SELECT count(*) FROM {rows} {where}", params).fetchall()[0][0] if search else total
        frame = con.execute(f"SELECT * EXCLUDE (file_row_number) FROM {rows} {where} "
                            f"ORDER BY {order}file_row_number LIMIT {length} OFFSET {start}", params).df()
    finally:
        con.close()
    columns = [cell_texts(frame.iloc[:, i]) for i in range(frame.shape[1])]
    return {"recordsTotal": total, "recordsFiltered": filtered, "data": [list(r) for r in zip(*columns)]}


SHORT_COLUMN = 100  # rows up to which a column's cells are converted one by one


def cell_texts(column) -> list[str]:
    """A column's cells as a table shows them: HTML-escaped text, blanks as blanks, floats as
    pandas prints them (up to 6 decimals, 1.0 stays 1.0). Long text and integer columns are
    converted whole (Arrow-backed strings are escaped without a loop); a short column cell by
    cell, which is faster for a few rows."""
    import pandas as pd

    if len(column) > SHORT_COLUMN and isinstance(column.dtype, pd.StringDtype):
        return (column.str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False)
                .str.replace(">", "&gt;", regex=False).fillna("").tolist())
    if len(column) > SHORT_COLUMN and column.dtype.kind in "iub" and not column.hasnans:  # (NA: a blank)
        return column.astype(str).tolist()
    return ["" if _blank(v) else _cell_text(v) for v in column.tolist()]


def _blank(value) -> bool:
    """A missing value: None, NA, NaT, NaN."""
    import pandas as pd

    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _cell_text(value) -> str:
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    text = value if isinstance(value, str) else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def handlers(base_url: str, ws: Workspace | None, owner: str | None = None) -> list[tuple]:
    """The routes for a jupyter_server or Voilà application: offered files, the pages of offered
    tables, and the table widget's script (`sislab.widgets.show_table`), served once and cached
    by the browser. A file goes to its owner only: the signed-in user (dashboards), or `owner`,
    the user a one-person JupyterLab runs as."""
    base = base_url.rstrip("/")
    return [(base + PATTERN, _authenticated(DownloadHandler), {"ws": ws, "owner": owner}),
            (base + ROWS_PATTERN, _authenticated(RowsHandler), {"ws": ws, "owner": owner}),
            (base + rf"/{STATIC}/[0-9A-Za-z.+-]+/(dt_bundle\.(?:js|css))", TableAssets, {"path": str(table_assets())})]


def table_assets_path(name: str) -> str:
    """The link path of the table script or its style sheet: named by itables' version, so that
    the browser keeps it for good (`TableAssets`) and an upgrade gets a new link."""
    import itables

    return f"{STATIC}/{itables.__version__}/{name}"


class TableAssets(web.StaticFileHandler):
    """The DataTables bundle, cached by the browser without asking again: each page that draws
    a table would otherwise revalidate 0.7 MB of script and style."""

    def get_cache_time(self, path: str, modified, mime_type: str) -> int:
        return self.CACHE_MAX_AGE


def table_assets() -> Path:
    """The folder of the DataTables bundle that itables ships (its offline mode's files)."""
    import itables

    return Path(itables.__file__).parent / "html"


def _authenticated(handler: type[DownloadHandler]):
    """`handler` with jupyter_server's sign-in (imported only inside a server)."""
    from jupyter_server.base.handlers import JupyterHandler

    class Signed(handler, JupyterHandler):
        auth_resource = "contents"

        @web.authenticated
        async def get(self, token: str, name: str) -> None:
            await handler.get(self, token, name)

    return Signed


# --- JupyterLab server extension (enabled by `sislab lab`) ---------------------------------

def _jupyter_server_extension_points():
    return [{"module": "sislab.core.downloads"}]


def _load_jupyter_server_extension(serverapp) -> None:
    """A coordinator's own JupyterLab: every signed-in request is that coordinator's, the user its
    kernels act as (`access.current_user()`, as they see it)."""
    web_app = serverapp.web_app
    web_app.add_handlers(".*$", handlers(web_app.settings["base_url"], None, owner=access.current_user()))
