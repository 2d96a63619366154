"""Display helpers shared by notebooks and dashboards, so that cells stay one line each.

They only show what the package computed: no queries, no rules. Everything shown is escaped
HTML; a download is a link the server answers with the file (`sislab.core.downloads`).
"""

from __future__ import annotations

import functools
import html
from contextlib import contextmanager
import io
import json
import math
import re
import warnings
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Image, display

from ..core import downloads, store
from ..core.safe_csv import frame_csv
from ..core.workspace import NoWorkspace, Workspace

NO_DATA = ("No SIS data has been imported yet. A coordinator imports the district's export "
           "with `sislab import FOLDER`; this page shows it afterwards.")

MESSAGE_STYLES = {
    "info": "border-left: 4px solid #2b6cb0; background: #ebf4ff;",
    "warning": "border-left: 4px solid #b7791f; background: #fffaf0;",
    "error": "border-left: 4px solid #c53030; background: #fff5f5;",
}


def show_message(text: str, kind: str = "info") -> None:
    """A short notice (no data yet, nothing matches, ...) instead of a traceback."""
    display(HTML(notice_html(text, kind)))


def notice_html(text: str, kind: str = "info") -> str:
    """The notice's HTML, for a widget's message area."""
    return f'<div class="sislab-message sislab-{kind}" style="{MESSAGE_STYLES[kind]} padding: 0.5em 1em;">' \
           f"{html.escape(text)}</div>"


@contextmanager
def working(label: str):
    """A progress bar for one step of a form's job that takes seconds (tqdm.auto: a widget in a
    notebook, text on a terminal); it goes away when the step is done."""
    from tqdm.auto import tqdm

    with tqdm(total=1, desc=label, leave=False) as bar:
        yield
        bar.update()


def needs_workspace(entry):
    """A notebook's entry point that says what to run, instead of a traceback, when the kernel
    was not started with a workspace (`sislab lab`); it then returns None. (A job its user may
    not run is refused by the form with the role needed; a scheduled run fails with it.)"""

    @functools.wraps(entry)
    def shown(*args, **kwargs):
        try:
            return entry(*args, **kwargs)
        except NoWorkspace as e:
            show_message(str(e), "warning")
        return None

    return shown


# Column labels people read instead of the names in the data; other names are spelled out
# ("school_year" -> "School year").
LABELS = {"school_id": "School code", "school_name": "School", "student_id": "Student ID", "pct_met": "% met",
          "pct_best": "% best measure", "students_met": "Students who met it", "students_best": "Best measure of",
          "user_name": "User", "created_at": "Created", "computed_at": "Computed", "record_count": "Records",
          "cohort_year": "Class of", "sourcedid": "sourcedId", "n": "Count"}
TABLE_PAGE = 25  # rows per page of a table


def label(column) -> str:
    text = str(column)
    return LABELS.get(text) or (text.replace("_", " ").capitalize() if "_" in text or text.islower() else text)


def show_table(df: pd.DataFrame, empty: str = "No rows.") -> None:
    """A table people can work with: past one page (TABLE_PAGE rows), sorting, search and
    paging (itables, i.e. DataTables); human column labels, blanks as blanks; or `empty` when
    it has no rows. A table of one page is plain HTML: it has nothing to page, and loading
    and running the DataTables script (0.7 MB) cost a dashboard 0.3-0.6 s of its first paint.

    itables renders plain HTML with the data inside, so a table keeps working in a saved
    notebook and on a dashboard whose kernel has ended; its script is served by sislab's
    server (`sislab.core.downloads`) once per browser, not embedded in each page."""
    if df.empty:
        show_message(empty)
        return
    display(HTML(small_table_html(df) if len(df) <= TABLE_PAGE else table_html(df)))


def _shown(df: pd.DataFrame) -> pd.DataFrame:
    """`df` as people read it: human column labels; None, NaN and NA as blank cells."""
    shown = df.rename(columns=label).astype(object)
    return shown.where(shown.notna(), "")


def small_table_html(df: pd.DataFrame) -> str:
    """A few rows as a plain table (a table of one page; a widget's own HTML, where no script
    runs): labels, blanks as blanks, escaped, each cell as a long table shows it. Written here:
    pandas' `to_html` took ~7 ms a table, 50 ms of the CCI page's 0.2 s."""
    head = "".join(f"<th>{html.escape(label(c))}</th>" for c in df.columns)
    rows = zip(*(downloads.cell_texts(df.iloc[:, i]) for i in range(df.shape[1])))
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (f'<table class="dataframe sislab-table"><thead><tr style="text-align: right;">{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def table_html(df: pd.DataFrame) -> str:
    """The DataTables table of `df`. itables lays out the table, its options and the static
    first page shown where no script runs; the rows' data is written here, column by column
    (itables formats each cell through pandas' printing: a school's 4,000 Illinois records,
    125,000 cells, took 0.35 s of the page's 0.7 s). Past SERVED_ROWS rows the page holds none
    of them: they are offered as a file and the table asks the server for the page it shows
    (`downloads.RowsHandler`), since every row inside the page is what the browser pays for."""
    from itables import to_html_datatable

    served = len(df) > SERVED_ROWS
    options = ({"serverSide": True, "ajax": downloads.url(downloads.offer_table(Workspace.locate(), df)),
                "searchDelay": 300} if served else {})
    with warnings.catch_warnings():  # DataTables' own server-side options, which itables does not list
        warnings.filterwarnings("ignore", "These arguments are not documented", SyntaxWarning)
        page = to_html_datatable(_shown(df.head(TABLE_PAGE)), connected=True,
                                 dt_url=downloads.url(downloads.table_assets_path("dt_bundle.js")),
                                 classes="display compact sislab-table", pageLength=TABLE_PAGE,
                                 lengthMenu=[10, 25, 100, 500], showIndex=False, maxBytes=0,
                                 layout={"topEnd": "search"}, display_logo_when_loading=False, **options)
    data = '""' if served else json.dumps(json.dumps(list(zip(*(downloads.cell_texts(df.iloc[:, i])
                                                                 for i in range(df.shape[1]))))))
    with_rows, found = DATA_JSON.subn(lambda m: m.group(1) + data, page, count=1)
    if not found:
        raise AssertionError("itables wrote no data_json line: its table template has changed")
    return with_rows


SERVED_ROWS = 500  # past this many rows a table's page asks the server for its rows
DATA_JSON = re.compile(r'^(\s*"data_json": )"(?:[^"\\]|\\.)*"', re.M)  # the rows, a JSON string in dt_args


def warm_up() -> None:
    """Draw a one-row table of constants each way pages draw tables, and show nothing: what a
    page's first table imports and prepares on first use (DuckDB's frames with Arrow-backed
    strings, itables, pandas' Styler, the Parquet file of a long table's rows: 0.06 s for
    pyarrow's Parquet module alone) is then done by a warm dashboard kernel before any page
    has it (`sislab.core.voila_auth`). No workspace is read, no file written."""
    import duckdb

    frame = duckdb.sql("SELECT 'x' AS school_name, 1 AS n, DATE '2000-01-01' AS as_of").df()
    table_html(frame)
    small_table_html(frame)
    downloads.table_parquet(frame)
    frame.style.hide(axis="index").format(precision=1).to_html()


def download_link(content: pd.DataFrame | Path, filename: str, label: str | None = None) -> None:
    """A link that downloads `content` (a table as CSV, or a file) with one click: the server
    answers it with the file (`sislab.core.downloads`), for the acting user only."""
    body = content if isinstance(content, Path) else frame_csv(content).encode("utf-8")
    display(HTML(download_html(body, filename, label)))


def download_html(content: bytes | Path, filename: str, label: str | None = None) -> str:
    """The link's HTML, for widgets that put it in their own output."""
    href = downloads.url(downloads.offer(Workspace.locate(), content, filename))
    text = html.escape(label or f"Download {filename}")
    return (f'<a class="sislab-download" download="{html.escape(filename, quote=True)}" '
            f'href="{html.escape(href, quote=True)}">{text}</a>')


# tab20, the palette the charts used when they were drawn with matplotlib
PALETTE = ("#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
           "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
           "#bcbd22", "#dbdb8d", "#17becf", "#9edae5")


class Chart:
    """An SVG chart; a notebook or Voila page shows it inline (no image library, no file)."""

    def __init__(self, svg: str):
        self.svg = svg

    def _repr_html_(self) -> str:
        return self.svg


def stacked_bar(df: pd.DataFrame, index: str, columns: list[str], title: str, ylabel: str,
                legend: str | None = None) -> Chart:
    """One bar per row of `df` (labelled by `index`), stacked by `columns`, as inline SVG.

    Drawn by hand rather than with matplotlib: importing and rendering matplotlib cost a
    dashboard half a second of its first paint.
    """
    labels = df[index].astype(str).tolist()
    values = df[columns].fillna(0).astype(float).to_numpy().tolist() if columns else [[] for _ in labels]
    top, step = _axis(max((sum(v) for v in values), default=0))
    left, right, upper, lower, plot_h = 80, 170, 34, 100, 240
    slot = 46
    width, height = left + slot * max(1, len(labels)) + right, upper + plot_h + lower
    y = lambda v: upper + plot_h - plot_h * v / top  # noqa: E731 (a scale, read once)
    esc = html.escape
    parts = [f'<svg class="sislab-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" role="img">',
             f'<title>{esc(title)}</title>',
             f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="13">{esc(title)}</text>',
             f'<text transform="translate(20 {upper + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle">'
             f'{esc(ylabel)}</text>']
    tick = 0.0
    while tick <= top + 1e-9:
        parts.append(f'<line x1="{left}" x2="{left + slot * len(labels)}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="#ddd"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
        tick += step
    for i, (label, row) in enumerate(zip(labels, values)):
        x, base = left + slot * i + 5, 0.0
        for j, (column, value) in enumerate(zip(columns, row)):
            if value > 0:
                parts.append(f'<rect x="{x}" y="{y(base + value):.1f}" width="{slot - 10}" '
                             f'height="{y(base) - y(base + value):.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                             f'<title>{esc(label)} · {esc(str(column))}: {value:g}</title></rect>')
                base += value
        cx = x + (slot - 10) / 2
        short = label if len(label) <= 18 else label[:17] + "…"
        parts.append(f'<text transform="translate({cx:.0f} {upper + plot_h + 12}) rotate(-40)" '
                     f'text-anchor="end"><title>{esc(label)}</title>{esc(short)}</text>')
    lx = left + slot * len(labels) + 16
    if legend:
        parts.append(f'<text x="{lx}" y="{upper}" font-weight="bold">{esc(legend)}</text>')
    for j, column in enumerate(columns):
        ly = upper + 14 + 16 * j
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
                     f'<text x="{lx + 15}" y="{ly}">{esc(str(column))}</text>')
    parts.append("</svg>")
    return Chart("".join(parts))


def _axis(highest: float) -> tuple[float, float]:
    """(axis top, tick step): a round step of 1, 2 or 5 x 10^k giving about five ticks."""
    if highest <= 0:
        return 1.0, 1.0
    raw = highest / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return math.ceil(highest / step) * step, step


def show_figure(fig) -> None:
    """A chart: an SVG `Chart` inline, a matplotlib figure as a PNG (whatever the backend)."""
    if isinstance(fig, Chart):
        display(HTML(fig.svg))
        return
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    display(Image(data=buffer.getvalue(), format="png"))


def from_snapshot(query, **kwargs):
    """`query(con, **kwargs)` on the current snapshot; a notice and None before the first import."""
    try:
        with store.snapshot() as con:
            return query(con, **kwargs)
    except NoWorkspace as e:
        show_message(str(e), "warning")
    except store.NoSnapshot:
        show_message(NO_DATA, "warning")
    return None
