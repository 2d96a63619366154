"""CERS profiles: a user's saved choices, kept in the app store and owned by that user.

Admins see, change and delete every profile; everyone else only their own. Every way in (the
Python API below, `sislab cers profiles ...`, the notebook form) goes through `visible`,
`get`, `save` and `delete`, which take the acting user and check this.
"""

from __future__ import annotations

import json
import unicodedata
from contextlib import closing
from dataclasses import asdict, dataclass, fields, replace

from sislab.core import store
from sislab.core.store import app_state, transaction, utcnow
from sislab.core.workspace import Workspace

from .layout import LAYOUT, filters_of
from . import identity

LIST_FIELDS = ("schools", "departments", "subject_areas", "courses", "teachers", "grades", "counselors",
               "groups", "staff")
FILTER_FIELDS = ("departments", "subject_areas", "courses", "teachers", "primary_only", "grades",
                 "counselors", "groups")
MAX_NAME = 100
GRADE_CODES = {"TK": -1, "K": 0}  # as the SIS stores them; group names say "Grade TK", "Grade K"
# Ids a profile names, and where the SIS keeps them (the ids must exist when a profile is saved).
KNOWN_IDS = {"schools": ("school", "SELECT school_id FROM school"),
             "teachers": ("teacher", "SELECT staff_id FROM staff"),
             "counselors": ("counselor", "SELECT staff_id FROM staff"),
             "staff": ("staff member", "SELECT staff_id FROM staff"),
             "groups": ("SIS student group",
                        "SELECT lower(group_code) FROM student_group UNION ALL SELECT lower(name) FROM student_group")}


class ProfileError(ValueError):
    """A profile that cannot be saved, found or used; the message says what to fix."""


class NotAllowed(ProfileError):
    """The acting user may not see or change this profile."""


@dataclass(frozen=True)
class Profile:
    name: str
    roster_type: str  # a key of [roster_types] in layout.toml
    schools: tuple[str, ...]
    subject: str = "All"  # ELA, Math, All
    pattern: str = "period"  # a key of [patterns]: period, section, course
    departments: tuple[str, ...] = ()
    subject_areas: tuple[str, ...] = ()
    courses: tuple[str, ...] = ()
    teachers: tuple[str, ...] = ()  # staff ids
    primary_only: bool = False
    grades: tuple[int, ...] = ()  # -1 TK, 0 K, 1-12; "TK" and "K" are read as those
    counselors: tuple[str, ...] = ()  # staff ids
    groups: tuple[str, ...] = ()  # SIS student group codes or names
    staff: tuple[str, ...] = ()  # additional staff ids who get every group of the profile
    scheduled: bool = False  # include in the scheduled process
    owner: str = ""
    profile_id: int | None = None

    def __post_init__(self):
        for name in LIST_FIELDS:
            values = getattr(self, name) or ()
            values = (values,) if isinstance(values, (str, int)) else values
            cast = grade if name == "grades" else (lambda v: str(v).strip())
            object.__setattr__(self, name, tuple(dict.fromkeys(cast(v) for v in values if str(v).strip())))

    def settings(self) -> dict:
        """The choices as stored (JSON), without identity and ownership."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()
                if k not in ("name", "owner", "profile_id", "scheduled")}

    @property
    def used_filters(self) -> dict:
        return {f: getattr(self, f) for f in FILTER_FIELDS if getattr(self, f)}


def grade(value: str | int) -> int:
    """A grade as the SIS stores it: "TK" -> -1, "K" -> 0, "3" -> 3."""
    text = str(value).strip().upper()
    if text in GRADE_CODES:
        return GRADE_CODES[text]
    if text.lstrip("-").isdigit() and -1 <= int(text) <= 12:
        return int(text)
    raise ProfileError(f"Grade {value!r} is not a grade: use TK, K or 1-12.")


def grade_label(value: int) -> str:
    return {v: k for k, v in GRADE_CODES.items()}.get(value, str(value))


def unknown_ids(ws: Workspace, profile: Profile) -> list[str]:
    """The schools, teachers, counselors, staff and SIS groups a profile names that the SIS snapshot
    does not have (none when nothing is imported yet: there is nothing to compare with)."""
    try:
        snapshot = store.snapshot(ws)
    except store.NoSnapshot:
        return []
    found = []
    with snapshot as con:
        for field_name, (what, query) in KNOWN_IDS.items():
            chosen = list(getattr(profile, field_name))
            if not chosen:
                continue
            compare = [c.lower() for c in chosen] if field_name == "groups" else chosen
            rows = con.execute(f"SELECT x.id FROM unnest(?) AS x(id) WHERE x.id NOT IN ({query})", [compare]).fetchall()
            missing = {r[0] for r in rows}
            found += [f"unknown {what} {c}" for c, k in zip(chosen, compare) if k in missing]
    return found


def is_control(ch: str) -> bool:
    """A control character (C0, DEL, C1) or a line or paragraph separator, as preflight.sql's name rule."""
    return unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029"


def problems(profile: Profile) -> list[str]:
    """What is wrong with a profile's choices (the parts checkable without SIS data)."""
    found = []
    name = profile.name.strip()
    if not name or len(name) > MAX_NAME or any(is_control(ch) for ch in name):
        found.append(f"Profile name must be 1-{MAX_NAME} characters without control characters.")
    if profile.roster_type not in LAYOUT["roster_types"]:
        found.append(f"Unknown roster type {profile.roster_type!r}; choose one of "
                     f"{', '.join(LAYOUT['roster_types'])}.")
        return found
    if not profile.schools:
        found.append("Choose at least one school.")
    if profile.subject not in LAYOUT["subjects"]:
        found.append(f"Subject area must be one of {', '.join(LAYOUT['subjects'])}, not {profile.subject!r}.")
    if profile.pattern not in LAYOUT["patterns"]:
        found.append(f"Group name pattern must be one of {', '.join(LAYOUT['patterns'])}, not {profile.pattern!r}.")
    offered = filters_of(profile.roster_type)
    for extra in sorted(set(profile.used_filters) - set(offered)):
        found.append(f"{LAYOUT['roster_types'][profile.roster_type]['label']} rosters have no "
                     f"{extra.replace('_', ' ')} filter (they offer: {', '.join(offered) or 'none'}).")
    return found


# --- the store, with the ownership rules ---------------------------------------------------

def visible(ws: Workspace, user: str) -> list[Profile]:
    """The profiles `user` may see: all for admins, their own otherwise; by name."""
    admin = identity.is_admin(ws, user)
    with closing(app_state(ws)) as con:
        rows = con.execute("SELECT * FROM cers_profile WHERE ? OR owner = ? ORDER BY name COLLATE NOCASE",
                           [int(admin), user]).fetchall()
    return [_profile(r) for r in rows]


def get(ws: Workspace, user: str, ref: str | int) -> Profile:
    """A profile by name or id, if `user` may see it (others' profiles look like missing ones)."""
    with closing(app_state(ws)) as con:
        row = _find(con, ref)
    if row is None or not _may_touch(ws, user, row):
        raise NotAllowed(f"No profile {ref!r} that {user} can see; `sislab cers profiles list` shows yours.")
    return _profile(row)


def save(ws: Workspace, user: str, profile: Profile, *, allow_unknown: bool = False) -> Profile:
    """Create a profile owned by `user`, or change one `user` owns (admins: any) with the same id
    or name. Raises ProfileError with every problem found, ids the SIS does not have included
    unless `allow_unknown` (a profile may name a school or teacher before the SIS has them)."""
    if identity.is_read_only(ws, user):
        raise NotAllowed(f"{user} may not change CERS profiles (read-only role).")
    found = problems(profile)
    unknown = [] if allow_unknown else unknown_ids(ws, profile)
    if unknown:
        found.append("U" + "; ".join(unknown)[1:] + " in the SIS data (check the ids, or keep them with "
                     "--allow-unknown).")
    if found:
        raise ProfileError(f"Profile {profile.name!r}: " + " ".join(found))
    now = utcnow()
    with closing(app_state(ws)) as con, transaction(con):
        row = _find(con, profile.profile_id if profile.profile_id is not None else profile.name)
        if row is not None and not _may_touch(ws, user, row):
            raise NotAllowed(f"Profile name {profile.name!r} is taken by another user's profile; choose another.")
        clash = _find(con, profile.name.strip())
        if clash is not None and (row is None or clash["profile_id"] != row["profile_id"]):
            raise ProfileError(f"Another profile is already named {profile.name!r}; choose another name.")
        values = [profile.name.strip(), json.dumps(profile.settings()), int(profile.scheduled), now]
        if row is None:
            profile_id = con.execute(
                "INSERT INTO cers_profile (name, settings, scheduled, updated_at, owner, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", [*values, user, now]).lastrowid
        else:
            profile_id = row["profile_id"]
            con.execute("UPDATE cers_profile SET name = ?, settings = ?, scheduled = ?, updated_at = ?"
                        " WHERE profile_id = ?", [*values, profile_id])
        return _profile(con.execute("SELECT * FROM cers_profile WHERE profile_id = ?", [profile_id]).fetchone())


def delete(ws: Workspace, user: str, ref: str | int) -> Profile:
    """Delete a profile `user` owns (admins: any)."""
    if identity.is_read_only(ws, user):
        raise NotAllowed(f"{user} may not change CERS profiles (read-only role).")
    profile = get(ws, user, ref)
    with closing(app_state(ws)) as con, transaction(con):
        con.execute("DELETE FROM cers_profile WHERE profile_id = ?", [profile.profile_id])
    return profile


def scheduled(ws: Workspace) -> list[Profile]:
    """Every profile marked for the scheduled process (the process runs for the district)."""
    return [p for p in every_profile(ws) if p.scheduled]


def every_profile(ws: Workspace) -> list[Profile]:
    """All profiles, for district-level processes only (the scheduled process, a school's
    read-only preview); a user's view of them is `visible`."""
    with closing(app_state(ws)) as con:
        rows = con.execute("SELECT * FROM cers_profile ORDER BY name COLLATE NOCASE").fetchall()
    return [_profile(r) for r in rows]


def _find(con, ref: str | int):
    """By name (any case), else by id."""
    if not isinstance(ref, int):
        row = con.execute("SELECT * FROM cers_profile WHERE name = ? COLLATE NOCASE", [str(ref).strip()]).fetchone()
        if row is not None or not str(ref).strip().isdigit():
            return row
    return con.execute("SELECT * FROM cers_profile WHERE profile_id = ?", [int(ref)]).fetchone()


def _may_touch(ws: Workspace, user: str, row) -> bool:
    return row["owner"] == user or identity.is_admin(ws, user)


def _profile(row) -> Profile:
    known = {f.name for f in fields(Profile)}
    settings = {k: v for k, v in json.loads(row["settings"]).items() if k in known}
    return replace(Profile(name=row["name"], **settings), scheduled=bool(row["scheduled"]),
                   owner=row["owner"], profile_id=row["profile_id"])
