"""Display helpers shared by notebooks and dashboards, so that cells stay one line each.

They only show what the package computed: no queries, no rules. Everything shown is escaped
HTML; nothing is written to the server's disk (downloads travel inside the page).
"""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

import pandas as pd
from IPython.display import HTML, Image, display

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from ..core import store

NO_DATA = ("No SIS data has been imported yet. A coordinator imports the district's export "
           "with `sislab import FOLDER`; this page shows it afterwards.")

MESSAGE_STYLES = {
    "info": "border-left: 4px solid #2b6cb0; background: #ebf4ff;",
    "warning": "border-left: 4px solid #b7791f; background: #fffaf0;",
    "error": "border-left: 4px solid #c53030; background: #fff5f5;",
}


def show_message(text: str, kind: str = "info") -> None:
    """A short notice (no data yet, nothing matches, ...) instead of a traceback."""
    style = MESSAGE_STYLES[kind]
    display(HTML(f'<div class="sislab-message" style="{style} padding: 0.5em 1em;">{html.escape(text)}</div>'))


def show_table(df: pd.DataFrame, empty: str = "No rows.") -> None:
    """A DataFrame as an HTML table (values escaped, no index), or `empty` when it has no rows."""
    if df.empty:
        show_message(empty)
        return
    display(HTML(df.to_html(index=False, escape=True, na_rep="", border=0, classes="sislab-table")))


def csv_download_link(df: pd.DataFrame, filename: str, label: str | None = None) -> None:
    """A link that saves `df` as `filename` in the browser (a data: URL; no file on the server)."""
    payload = base64.b64encode(df.to_csv(index=False).encode("utf-8")).decode("ascii")
    text = html.escape(label or f"Download {filename}")
    name = html.escape(filename, quote=True)
    display(HTML(f'<a download="{name}" href="data:text/csv;base64,{payload}">{text}</a>'))


def stacked_bar(df: pd.DataFrame, index: str, columns: list[str], title: str, ylabel: str,
                legend: str | None = None) -> Figure:
    """One bar per row of `df` (labelled by `index`), stacked by `columns`."""
    import matplotlib  # imported here: half a second a dashboard only pays when it draws
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(max(6.0, 0.6 * len(df) + 3), 4.5), layout="constrained")
    ax = fig.subplots()
    colours = matplotlib.colormaps["tab20"]
    labels = df[index].astype(str).tolist()
    bottom = [0] * len(df)
    for i, column in enumerate(columns):
        heights = df[column].tolist()
        ax.bar(labels, heights, bottom=bottom, label=column, color=colours(i % colours.N), width=0.8)
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="x", labelrotation=45)
    ax.legend(title=legend, ncols=2, fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig


def show_figure(fig: Figure) -> None:
    """A figure as a PNG image: works in any kernel, whatever matplotlib backend is set."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    display(Image(data=buffer.getvalue(), format="png"))


def from_snapshot(query, **kwargs):
    """`query(con, **kwargs)` on the current snapshot; a notice and None before the first import."""
    try:
        with store.snapshot() as con:
            return query(con, **kwargs)
    except store.NoSnapshot:
        show_message(NO_DATA, "warning")
        return None
