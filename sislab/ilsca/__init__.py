"""Illinois Student Course Assignment extract, "K-12 In Progress V2" (docs/ilsca.md).

    from sislab import ilsca
    result = ilsca.extract(start="081226", end="112526", calendars=["001-2027"], file_id="001")
    result.path, result.preflight_path, result.records

Parts: editor (choices and their messages), report (who and what reports, sql/), preflight
(ISBE's checks), formats (state / tab / html writers), produce (the one call).
"""

from .editor import EditorError, Request, request
from .preflight import findings as preflight_findings
from .produce import ExtractResult, extract, extract_newest_year, extracted_files
from .report import build, calendars, default_choices, preview, records

__all__ = ["EditorError", "Request", "request", "ExtractResult", "extract", "extract_newest_year", "extracted_files", "build",
           "preview", "records", "calendars", "default_choices", "preflight_findings"]
