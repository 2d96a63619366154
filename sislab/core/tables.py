"""Tables shown to people (notebook displays, review files) as HTML: blanks stay blank."""

from __future__ import annotations

import pandas as pd


def html_table(df: pd.DataFrame, **to_html) -> str:
    """`df` as an escaped HTML table without index, missing values as empty cells. pandas
    ignores `na_rep` for a missing value in an object column (an all-blank text column prints
    "None") and in a nullable integer or boolean column ("<NA>"), so those cells are blanked
    first; other columns (text, floats, dates) keep their own formatting."""
    shown = df
    for position, (_, column) in enumerate(df.items()):
        if (column.dtype == object or pd.api.types.is_extension_array_dtype(column.dtype)
                and column.dtype.kind in "iub") and column.isna().any():
            if shown is df:
                shown = df.copy()
            shown.isetitem(position, column.astype(object).where(column.notna(), ""))
    return shown.to_html(index=False, escape=True, na_rep="", **to_html)
