"""School groups: named sets of schools (e.g. "Grades 9-12") used to choose schools for a run.

One list from two sources: the groups the SIS exports (`school_group.csv`, in the snapshot)
and the groups users save in sislab (app state). A saved group replaces an exported group of
the same name (names compare without case).
"""

from __future__ import annotations

from contextlib import closing

import duckdb

from . import access, store
from .workspace import Workspace


class GroupError(ValueError):
    """A group that cannot be saved as asked; the message says why."""


def exported(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute("SELECT group_name, list(school_id ORDER BY school_id) FROM school_group "
                       "GROUP BY group_name ORDER BY group_name").fetchall()
    return {name: list(ids) for name, ids in rows}


def saved(ws: Workspace) -> dict[str, list[str]]:
    with closing(store.app_state(ws)) as app:
        rows = app.execute("SELECT group_name, school_id FROM saved_school_group "
                           "ORDER BY group_name, school_id").fetchall()
    groups: dict[str, list[str]] = {}
    for name, school_id in rows:
        groups.setdefault(name, []).append(school_id)
    return groups


def all_groups(ws: Workspace, con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """{group name: school ids}, exported and saved, by name."""
    mine = saved(ws)
    taken = {name.casefold() for name in mine}
    merged = {name: ids for name, ids in exported(con).items() if name.casefold() not in taken} | mine
    return dict(sorted(merged.items(), key=lambda kv: kv[0].casefold()))


def save(ws: Workspace, name: str, school_ids: list[str], user: str) -> list[str]:
    """Save (or replace) the group `name`; every school must exist in the current snapshot."""
    name = " ".join((name or "").split())
    ids = list(dict.fromkeys(str(i).strip() for i in school_ids if str(i).strip()))
    if not name:
        raise GroupError("A school group needs a name.")
    if not ids:
        raise GroupError(f"School group {name!r} needs at least one school.")
    with store.snapshot(ws) as con:
        known = {r[0] for r in con.execute("SELECT school_id FROM school").fetchall()}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise GroupError(f"Unknown school {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}.")
    with closing(store.app_state(ws)) as app, store.transaction(app):
        app.execute("DELETE FROM saved_school_group WHERE lower(group_name) = lower(?)", [name])
        app.executemany("INSERT INTO saved_school_group VALUES (?, ?, ?, ?)",
                        [(name, i, user, store.utcnow()) for i in ids])
    return ids


def delete(ws: Workspace, name: str) -> bool:
    """Forget a saved group; exported groups come back with the next import, not from here."""
    with closing(store.app_state(ws)) as app, store.transaction(app):
        return app.execute("DELETE FROM saved_school_group WHERE lower(group_name) = lower(?)",
                           [name.strip()]).rowcount > 0


def add_commands(sub) -> None:
    p = sub.add_parser("groups", help="list, save or delete school groups")
    action = p.add_subparsers(dest="action", required=True)
    action.add_parser("list", help="every school group, exported and saved").set_defaults(func=_list)
    s = action.add_parser("save", help="save a school group (replaces one of the same name)")
    s.add_argument("name")
    s.add_argument("--schools", required=True, help="school ids, comma separated")
    s.add_argument("--user", help="who saves it (default: the login name)")
    s.set_defaults(func=_save)
    d = action.add_parser("delete", help="delete a saved school group")
    d.add_argument("name")
    d.set_defaults(func=_delete)


def _list(args) -> int:
    ws = Workspace.locate()
    with store.snapshot(ws) as con:
        groups = all_groups(ws, con)
    mine = {n.casefold() for n in saved(ws)}
    for name, ids in groups.items():
        print(f"{name}: {', '.join(ids)}{'  (saved)' if name.casefold() in mine else ''}")
    return 0


def _save(args) -> int:
    from ..cli import UserError

    try:
        ids = save(Workspace.locate(), args.name, args.schools.split(","), args.user or access.current_user())
    except (GroupError, store.NoSnapshot) as e:
        raise UserError(str(e)) from None
    print(f"saved {args.name}: {', '.join(ids)}")
    return 0


def _delete(args) -> int:
    from ..cli import UserError

    if not delete(Workspace.locate(), args.name):
        raise UserError(f"No saved school group {args.name!r}.")
    print(f"deleted {args.name}")
    return 0
