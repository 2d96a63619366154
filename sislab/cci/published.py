"""Names of what the CCI mass update publishes, shared by the writer (mass_update) and the
readers (dashboard), so that a dashboard need not import the jobs machinery."""

from __future__ import annotations

from datetime import datetime

KIND = "cci"  # job kind, lock prefix and result folder: results/cci/<name>/...
GRADUATED, POTENTIAL = "graduated", "potential"  # populations in the school_status result


def local_time(stamp: str | None) -> str:
    """An ISO UTC time stamp as local time: "10:02" today, else "2026-11-24 10:02"."""
    if not stamp:
        return ""
    when = datetime.fromisoformat(stamp).astimezone()
    return when.strftime("%H:%M") if when.date() == datetime.now().astimezone().date() else when.strftime("%Y-%m-%d %H:%M")
