"""Who may see what: users, their role and their schools — the one place identity becomes scope.

Users live in the app state (`app_user`, `app_user_school`). A role says what a user may do
and whether the user sees every school; everyone else sees the schools assigned to them:

    admin        every school; manages users
    coordinator  their schools; runs jobs
    principal    their schools; reads dashboards, changes nothing

`schools_for(ws, user)` is the scope every dashboard and query takes (a list of school ids,
or `ALL`); `dashboard_school(scope, requested)` picks the one school a dashboard page shows.
Both are decided on the server from the signed-in name, never from what a browser sends.

Passwords are stored as scrypt hashes (random salt, parameters stored with the hash, so that
they can be raised later without breaking old hashes). A user without a password signs in
through JupyterHub (see docs/operations.md).
"""

from __future__ import annotations

import base64
import csv
import functools
import getpass
import hashlib
import hmac
import os
import re
import sys
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from . import store
from .workspace import Workspace


@dataclass(frozen=True)
class Role:
    all_schools: bool
    may: frozenset[str]


ROLES = {
    "admin": Role(all_schools=True, may=frozenset({"view", "run_jobs", "manage_users"})),
    "coordinator": Role(all_schools=False, may=frozenset({"view", "run_jobs"})),
    "principal": Role(all_schools=False, may=frozenset({"view"})),
}
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
SCHOOL_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
MIN_PASSWORD = 8
# scrypt cost: 2**15 x 8 x 1 takes ~50-100 ms and 32 MiB per check, which slows guessing.
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
SCRYPT_MAXMEM = 64 * 2**20
DEMO_USERS = Path(__file__).resolve().parents[2] / "data" / "sample" / "app_users.csv"


class _AllSchools:
    """The scope of a user who sees every school."""

    def __repr__(self) -> str:
        return "ALL"


ALL = _AllSchools()


class AccessError(ValueError):
    """A user-management mistake; the message names the user, role or school to fix."""


class NotAllowed(ValueError):
    """A job the acting user's role or schools do not allow; the message names the role needed.
    Raised before the job writes anything."""


class ScopeRefused(PermissionError):
    """A dashboard asked for a school outside the signed-in user's scope."""

    def __init__(self, requested: str | None):
        super().__init__(f"school {requested!r} is not in your scope" if requested else "no school is assigned to you")
        self.requested = requested


@dataclass(frozen=True)
class User:
    name: str
    role: str
    schools: tuple[str, ...]
    display_name: str | None = None
    email: str | None = None
    active: bool = True
    password_hash: str | None = field(default=None, repr=False)

    @property
    def signs_in_with_password(self) -> bool:
        return self.password_hash is not None


# --- passwords ---------------------------------------------------------------------------


ENV_USER = "SISLAB_USER"  # the sislab user a `sislab lab` acts as (set by that command)


def current_user() -> str:
    """Who is acting: the JupyterHub user of a notebook, else the user `sislab lab` was started
    for, else the login name (CLI, cron)."""
    return os.environ.get("JUPYTERHUB_USER") or os.environ.get(ENV_USER) or getpass.getuser()

def hash_password(password: str) -> str:
    """`scrypt$n=..,r=..,p=..$salt$key` (base64), with a fresh random salt."""
    salt = os.urandom(16)
    key = _scrypt(password, salt, **SCRYPT)
    params = ",".join(f"{k}={v}" for k, v in SCRYPT.items())
    return f"scrypt${params}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches the stored hash (constant-time compare)."""
    try:
        scheme, params, salt, key = (stored or "").split("$")
        cost = {k: int(v) for k, v in (item.split("=") for item in params.split(","))}
        if scheme != "scrypt" or set(cost) != set(SCRYPT):
            return False
        expected = base64.b64decode(key)
        return hmac.compare_digest(_scrypt(password, base64.b64decode(salt), **cost, dklen=len(expected)), expected)
    except (ValueError, TypeError):
        return False


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int = 32) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=dklen)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@functools.cache
def _nobody_hash() -> str:
    """A hash checked for unknown names, so that they take as long to refuse as known ones."""
    return hash_password(os.urandom(12).hex())


# --- users -------------------------------------------------------------------------------

def get_user(ws: Workspace, name: str) -> User | None:
    """The user called `name`, or None."""
    with closing(store.app_state(ws)) as con:
        return _read_user(con, name)


def list_users(ws: Workspace) -> list[User]:
    """Every user, by name."""
    with closing(store.app_state(ws)) as con:
        names = [r[0] for r in con.execute("SELECT user_name FROM app_user ORDER BY user_name")]
        return [_read_user(con, n) for n in names]


def add_user(ws: Workspace, name: str, role: str, schools: Iterable[str] = (), password: str | None = None,
             display_name: str | None = None, email: str | None = None, replace: bool = False) -> User:
    """Create a user (password None: signs in through JupyterHub); `replace` overwrites one."""
    schools = _check_user(ws, name, role, schools)
    hashed = None if password is None else hash_password(_check_password(password))
    with closing(store.app_state(ws)) as con, store.transaction(con):
        if _read_user(con, name) is not None:
            if not replace:
                raise AccessError(f"user {name} already exists; remove it first or use set-password")
            con.execute("DELETE FROM app_user WHERE user_name = ?", [name])
        con.execute("INSERT INTO app_user (user_name, role, display_name, email, password_hash) VALUES (?, ?, ?, ?, ?)",
                    [name, role, display_name, email, hashed])
        con.executemany("INSERT INTO app_user_school (user_name, school_id) VALUES (?, ?)",
                        [(name, s) for s in schools])
        return _read_user(con, name)


def remove_user(ws: Workspace, name: str) -> None:
    """Delete a user and their schools; their dashboard sessions end at their next request."""
    with closing(store.app_state(ws)) as con, store.transaction(con):
        if con.execute("DELETE FROM app_user WHERE user_name = ?", [name]).rowcount == 0:
            raise AccessError(f"no user {name}")


def set_password(ws: Workspace, name: str, password: str) -> None:
    """Replace a user's password; their open sessions end (the server checks the hash each request)."""
    hashed = hash_password(_check_password(password))
    with closing(store.app_state(ws)) as con, store.transaction(con):
        if con.execute("UPDATE app_user SET password_hash = ? WHERE user_name = ?", [hashed, name]).rowcount == 0:
            raise AccessError(f"no user {name}")


def authenticate(ws: Workspace, name: str, password: str) -> User | None:
    """The active user whose password this is, or None (unknown names take as long to refuse)."""
    user = get_user(ws, name) if USER_NAME.fullmatch(name or "") else None
    if user is None or not user.signs_in_with_password:
        verify_password(password, _nobody_hash())
        return None
    return user if verify_password(password, user.password_hash) and user.active else None


def may(user: User | None, action: str) -> bool:
    """Whether `user`'s role allows `action` ("view", "run_jobs", "manage_users")."""
    return bool(user and user.active and action in ROLES[user.role].may)


# --- jobs: who may start what ----------------------------------------------------------------

def authorize(ws: Workspace, user_name: str, job: str, schools: Iterable[str] | _AllSchools = ALL) -> None:
    """Raise NotAllowed unless `user_name` may start `job` for `schools` (school ids, or ALL for a
    district-wide job): an admin for any school, a coordinator for their own schools, never a
    principal. Every job calls this at its start, wherever it runs (form, CLI, schedule, API),
    with the user its record names.

    A workspace with no users yet (a one-person install before `sislab users add`) lets its
    owner run everything: whoever can start a job there can write the workspace anyway."""
    users = _known_users(ws, user_name)
    if users is None:
        return
    (user,) = users
    if user is None or not user.active:
        raise NotAllowed(f"{job} needs a coordinator of the schools or an admin; {user_name!r} is not an active "
                         f"sislab user (an admin adds one with `sislab users add NAME --role coordinator "
                         f"--school ID`). Nothing was written.")
    if not may(user, "run_jobs"):
        raise NotAllowed(f"{job} needs the coordinator or admin role; {user.name} is a {user.role}. "
                         f"Nothing was written.")
    if ROLES[user.role].all_schools:
        return
    mine = ", ".join(user.schools)
    if schools is ALL:
        raise NotAllowed(f"{job} covers the whole district and needs the admin role; {user.name} is coordinator "
                         f"of {mine} only. Nothing was written.")
    outside = sorted(set(map(str, schools)) - set(user.schools))
    if outside:
        raise NotAllowed(f"{job} for school {', '.join(outside)} needs that school's coordinator or an admin; "
                         f"{user.name} is coordinator of {mine}. Nothing was written.")


def authorize_schedule(ws: Workspace, acting: str, owner: str, what: str) -> None:
    """Raise NotAllowed unless `acting` may add or change `what`, a schedule whose runs start
    their job as `owner`: the owner must be a user who may run jobs (each run's job checks its
    schools again, as `authorize` does), and only an admin acts on someone else's schedule, so a
    schedule is never a way to run a job as another user. A workspace with no users yet lets its
    owner do everything, as `authorize` does."""
    users = _known_users(ws, acting, owner)
    if users is None:
        return
    actor, runner = users
    if acting != owner and not may(actor, "manage_users"):
        raise NotAllowed(f"{what} runs as {owner}: only {owner} or an admin may add or change it; {acting} is "
                         f"{_role_text(actor)}. Nothing was written.")
    if not may(runner, "run_jobs"):
        raise NotAllowed(f"{what} needs an owner with the coordinator or admin role, whose jobs it runs; "
                         f"{owner} is {_role_text(runner)}. Nothing was written.")


def _role_text(user: User | None) -> str:
    return f"a {user.role}" if user and user.active else "not an active sislab user"


def _known_users(ws: Workspace, *names: str) -> tuple[User | None, ...] | None:
    """Each named user (None where unknown), or None for a workspace with no users yet."""
    with closing(store.app_state(ws)) as con:
        if con.execute("SELECT 1 FROM app_user LIMIT 1").fetchone() is None:
            return None
        return tuple(_read_user(con, name) if USER_NAME.fullmatch(name or "") else None for name in names)


def may_run_for(ws: Workspace, user_name: str, school_id: str) -> bool:
    """Whether a form should offer `school_id` to `user_name` (what `authorize` would allow)."""
    try:
        authorize(ws, user_name, "", [school_id])
    except NotAllowed:
        return False
    return True


# --- scope -------------------------------------------------------------------------------

def schools_for(ws: Workspace, user: str | User | None) -> list[str] | _AllSchools:
    """The schools `user` may see: ALL, their school ids, or [] (unknown or inactive user)."""
    if isinstance(user, str):
        user = get_user(ws, user)
    if user is None or not user.active:
        return []
    return ALL if ROLES[user.role].all_schools else list(user.schools)


def viewed_school(ws: Workspace, user_name: str, requested: str | None, what: str) -> str | None:
    """The school a read of student data outside the dashboards shows (`sislab run` of a
    dashboard notebook, `sislab cci show` / `students`): as on a dashboard, the requested one if
    `user_name` may see it, else their first school; every school only for one who sees them all.
    A workspace with no users yet lets its owner see everything, as `authorize` does."""
    users = _known_users(ws, user_name)
    if users is None:
        return requested
    scope = schools_for(ws, users[0])
    try:
        return dashboard_school(scope, requested)
    except ScopeRefused:
        held = f"{users[0].role} of {', '.join(scope)}" if users[0] and scope else "not an active sislab user"
        raise NotAllowed(f"{what} for school {requested or '(every school)'}: {user_name} is {held}. "
                         "Nothing was shown or written.") from None


def dashboard_school(scope: list[str] | _AllSchools, requested: str | None) -> str | None:
    """The school a dashboard page shows: the requested one if in scope, else the first of the
    scope; None (every school) only for a user who sees every school and asked for none."""
    if requested is not None and not SCHOOL_CODE.fullmatch(requested):
        raise ScopeRefused(requested)
    if scope is ALL:
        return requested
    if requested is None and scope:
        return scope[0]
    if requested in scope:
        return requested
    raise ScopeRefused(requested)


# --- demo --------------------------------------------------------------------------------

def seed_demo_users(ws: Workspace, path: Path = DEMO_USERS) -> list[User]:
    """Create (or reset) the sample district's demo users from data/sample/app_users.csv."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [add_user(ws, r["user_name"], r["role"], r["schools"].split(), r["demo_password"],
                     r["display_name"] or None, r["email"] or None, replace=True) for r in rows]


# --- checks ------------------------------------------------------------------------------

def _read_user(con, name: str) -> User | None:
    row = con.execute("SELECT user_name, role, display_name, email, active, password_hash FROM app_user "
                      "WHERE user_name = ?", [name]).fetchone()
    if row is None:
        return None
    schools = tuple(r[0] for r in con.execute(
        "SELECT school_id FROM app_user_school WHERE user_name = ? ORDER BY school_id", [name]))
    return User(row["user_name"], row["role"], schools, row["display_name"], row["email"], bool(row["active"]),
                row["password_hash"])


def _check_user(ws: Workspace, name: str, role: str, schools: Iterable[str]) -> list[str]:
    if not USER_NAME.fullmatch(name or ""):
        raise AccessError(f"user name {name!r}: use letters, digits and . _ @ - (at most 64, not starting with a sign)")
    if role not in ROLES:
        raise AccessError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    schools = sorted(set(schools))
    if ROLES[role].all_schools and schools:
        raise AccessError(f"{role} {name} sees every school: give no school")
    if not ROLES[role].all_schools and not schools:
        raise AccessError(f"{role} {name} needs at least one school (--school SCHOOL_ID)")
    known = known_schools(ws)
    unknown = [s for s in schools if not SCHOOL_CODE.fullmatch(s) or (known is not None and s not in known)]
    if unknown:
        raise AccessError(f"no school {', '.join(unknown)} in the SIS snapshot (school_id of school.csv)")
    return schools


def known_schools(ws: Workspace) -> set[str] | None:
    """School ids of the current snapshot; None before the first import (then any id is taken)."""
    try:
        with store.snapshot(ws) as con:
            return {r[0] for r in con.execute("SELECT school_id FROM school").fetchall()}
    except store.NoSnapshot:
        return None


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccessError(f"the password needs at least {MIN_PASSWORD} characters")
    return password


# --- command line ------------------------------------------------------------------------

def add_commands(sub) -> None:
    p = sub.add_parser("users", help="dashboard users: add, remove, list, set-password")
    users = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    a = users.add_parser("add", help="add a user with a role and their schools")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=list(ROLES))
    a.add_argument("--school", action="append", default=[], metavar="SCHOOL_ID",
                   help="a school the user sees (repeat for several; none for admin)")
    a.add_argument("--display-name")
    a.add_argument("--email")
    _password_argument(a)
    a.add_argument("--no-password", action="store_true", help="signs in through JupyterHub, not with a password")
    a.set_defaults(func=_add_command)
    r = users.add_parser("remove", help="remove a user (their dashboard sessions end)")
    r.add_argument("name")
    r.set_defaults(func=_remove_command)
    users.add_parser("list", help="every user, role, schools and how they sign in").set_defaults(func=_list_command)
    s = users.add_parser("set-password", help="set a user's password (ends their open sessions)")
    s.add_argument("name")
    _password_argument(s)
    s.set_defaults(func=_set_password_command)


def _password_argument(parser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin (for scripts); default: prompt")


def _user_errors(command):
    """Report AccessError as the CLI's UserError (exit status 2, no traceback)."""

    @functools.wraps(command)
    def run(args) -> int:
        from ..cli import UserError

        try:
            return command(args)
        except AccessError as e:
            raise UserError(str(e)) from None

    return run


def _read_password(args) -> str:
    from ..cli import UserError

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask the password on: pipe it with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise UserError("the two passwords differ")
    return first


@_user_errors
def _add_command(args) -> int:
    password = None if args.no_password else _read_password(args)
    user = add_user(Workspace.locate(), args.name, args.role, args.school, password, args.display_name, args.email)
    print(f"added {user.name} ({user.role}; schools: {', '.join(user.schools) or 'all'})")
    return 0


@_user_errors
def _remove_command(args) -> int:
    remove_user(Workspace.locate(), args.name)
    print(f"removed {args.name}")
    return 0


@_user_errors
def _set_password_command(args) -> int:
    set_password(Workspace.locate(), args.name, _read_password(args))
    print(f"password of {args.name} changed")
    return 0


def _list_command(args) -> int:
    for u in list_users(Workspace.locate()):
        sign_in = "password" if u.signs_in_with_password else "JupyterHub"
        state = "" if u.active else "  (inactive)"
        print(f"{u.name:<20} {u.role:<12} {', '.join(u.schools) or 'all schools':<24} {sign_in:<10} "
              f"{u.display_name or ''}{state}")
    return 0
