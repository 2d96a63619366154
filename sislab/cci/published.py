"""Names of what the CCI mass update publishes, shared by the writer (mass_update) and the
readers (dashboard), so that a dashboard need not import the jobs machinery."""

from __future__ import annotations

from datetime import datetime

KIND = "cci"  # job kind, lock prefix and result folder: results/cci/<name>/...
GRADUATED, POTENTIAL = "graduated", "potential"  # populations in the school_status result


def local_time(stamp: str | None) -> str:
    """An ISO UTC time stamp as local time with its date, "2026-11-24 10:02" (a time alone is
    ambiguous on a page left open overnight or read the next day)."""
    if not stamp:
        return ""
    return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
