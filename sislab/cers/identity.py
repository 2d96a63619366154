"""The acting user as CERS sees them, through sislab.core.access (the one place for identity).

Admins see and change every profile and file; other users their own. Principals read and
change nothing (their dashboard previews their school). Users not in app_user (a fresh
install driven from the command line) act as non-admins on their own profiles.
"""

from __future__ import annotations

from sislab.core import access
from sislab.core.workspace import Workspace


current_user = access.current_user


def is_admin(ws: Workspace, user: str) -> bool:
    found = access.get_user(ws, user)
    return bool(found and found.active and found.role == "admin")


def is_read_only(ws: Workspace, user: str) -> bool:
    found = access.get_user(ws, user)
    return bool(found and (not found.active or not access.may(found, "run_jobs")))


def home_schools(ws: Workspace, user: str) -> list[str]:
    """The schools pre-selected in a new profile: a school-level user's schools, none at district level."""
    scope = access.schools_for(ws, user)
    return [] if scope is access.ALL else list(scope)
