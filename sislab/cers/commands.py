"""`sislab cers profiles list|show|create|delete`, `sislab cers create`, `sislab cers check`,
`sislab cers scheduled-run`: parse, call sislab.cers, print."""

from __future__ import annotations

from pathlib import Path

from sislab.core import store
from sislab.core.workspace import Workspace

from . import extract, identity, process, profiles, upload
from .layout import LAYOUT

LIST_OPTIONS = ("schools", "departments", "subject_areas", "courses", "teachers", "grades", "counselors",
                "groups", "staff")


def add_commands(sub) -> None:
    cers = sub.add_parser("cers", help="CERS Student Groups: profiles, files, pre-flight, upload")
    commands = cers.add_subparsers(dest="cers_command", required=True, metavar="COMMAND")

    p = commands.add_parser("profiles", help="list, show, create or delete profiles")
    actions = p.add_subparsers(dest="profiles_command", required=True, metavar="ACTION")
    _user(actions.add_parser("list", help="profiles you may see, with owner and scheduled flag")).set_defaults(
        func=list_command)
    for name, func, text in (("show", show_command, "a profile's choices"), ("delete", delete_command, "delete one")):
        a = _user(actions.add_parser(name, help=text))
        a.add_argument("profile", help="name or id")
        a.set_defaults(func=func)
    c = _user(actions.add_parser("create", help="create a profile, or change one of yours (--replace)"))
    c.add_argument("name")
    c.add_argument("--type", required=True, choices=list(LAYOUT["roster_types"]), dest="roster_type")
    c.add_argument("--subject", default="All", choices=list(LAYOUT["subjects"]))
    c.add_argument("--pattern", default="period", choices=list(LAYOUT["patterns"]), help="group name pattern")
    for option in LIST_OPTIONS:
        c.add_argument(f"--{option.replace('_', '-')}", default="", metavar="A,B",
                       help="comma-separated " + option.replace("_", " ") + (" (required)" if option == "schools" else ""))
    c.add_argument("--primary-only", action="store_true", help="include only primary classes")
    c.add_argument("--scheduled", action="store_true", help="include in the scheduled process")
    c.add_argument("--replace", action="store_true", help="change the profile of that name")
    c.add_argument("--allow-unknown", action="store_true",
                   help="keep schools, teachers, counselors, staff or SIS groups the SIS data does not have")
    c.set_defaults(func=create_profile_command)

    p = _user(commands.add_parser("create", help="make CERS files from profiles; prints each file written"))
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--profiles", metavar="A,B", help="profile names or ids")
    which.add_argument("--all", action="store_true", help="every profile you may see")
    p.add_argument("--consolidate", action="store_true", help="one file for all of them")
    p.add_argument("--upload", action="store_true", help="upload to TOMS (needs [cers] upload_enabled)")
    p.add_argument("--as-of", type=_date, help="roster date YYYY-MM-DD (default today)")
    p.set_defaults(func=create_command)

    p = commands.add_parser("check", help="check a CERS file as CERS's upload (RDW) does, plus sislab's warnings")
    p.add_argument("file", type=Path)
    p.add_argument("--as-of", type=_date, help="CERS takes the school year of this day and the two before "
                   "(default today)")
    p.set_defaults(func=check_command)

    p = _user(commands.add_parser("scheduled-run", help="the scheduled process now: one consolidated file"))
    p.add_argument("--upload", action="store_true")
    p.add_argument("--notify", metavar="ADDR", help="e-mail the counts to these addresses")
    p.set_defaults(func=scheduled_command)


def _user(parser):
    parser.add_argument("--user", default=None, help="acting user (default: the login name)")
    return parser


def _date(text: str):
    from datetime import date

    return date.fromisoformat(text)


def list_command(args) -> int:
    ws, user = _who(args)
    shown = profiles.visible(ws, user)
    for p in shown:
        print(f"{p.profile_id:>4}  {p.name:<32} {p.roster_type:<18} owner {p.owner:<12} "
              f"{'scheduled' if p.scheduled else ''}")
    if not shown:
        print(f"no profiles {user} can see; create one with `sislab cers profiles create`")
    return 0


def show_command(args) -> int:
    ws, user = _who(args)
    p = _errors(profiles.get, ws, user, args.profile)
    for key, value in {"name": p.name, "id": p.profile_id, "owner": p.owner, "scheduled": p.scheduled,
                       **p.settings()}.items():
        if value not in ((), [], "", None):
            value = [profiles.grade_label(v) for v in value] if key == "grades" else value
            print(f"{key:>14}: {', '.join(map(str, value)) if isinstance(value, list) else value}")
    return 0


def create_profile_command(args) -> int:
    ws, user = _who(args)
    lists = {o: [v for v in getattr(args, o).split(",") if v.strip()] for o in LIST_OPTIONS}
    profile = _errors(profiles.Profile, args.name, args.roster_type, subject=args.subject, pattern=args.pattern,
                      primary_only=args.primary_only, scheduled=args.scheduled, **lists)
    if not args.replace and _exists(ws, args.name):
        from sislab.cli import UserError

        raise UserError(f"A profile named {args.name!r} exists; use --replace to change it (if it is yours).")
    saved = _errors(profiles.save, ws, user, profile, allow_unknown=args.allow_unknown)
    print(f"saved profile {saved.profile_id} {saved.name} (owner {saved.owner})")
    return 0


def delete_command(args) -> int:
    ws, user = _who(args)
    gone = _errors(profiles.delete, ws, user, args.profile)
    print(f"deleted profile {gone.profile_id} {gone.name} (owner {gone.owner})")
    return 0


def create_command(args) -> int:
    ws, user = _who(args)
    refs = [r.strip() for r in args.profiles.split(",") if r.strip()] if args.profiles else None
    made = _errors(extract.create, ws, user, refs, all_profiles=args.all, consolidate=args.consolidate,
                   upload=args.upload, as_of=args.as_of)
    return _print_extracts(made)


def check_command(args) -> int:
    from sislab.cli import UserError

    try:
        schools = extract.sis_schools(Workspace.locate())
    except OSError:  # no workspace can be made here: check without the SIS's schools
        schools = None
    print(f"Schools CERS knows: the {len(schools)} CDS codes of the SIS data" if schools is not None
          else "Schools CERS knows: no SIS data imported, so any 14-digit CDS code")
    try:
        findings = extract.check_file(args.file, today=args.as_of, schools=schools)
    except OSError as e:
        raise UserError(f"Cannot read {args.file}: {e.strerror or e}") from None
    for f in findings:
        print(f.text())
    errors = sum(f.severity == "error" for f in findings)
    verdict = "CERS would reject it" if errors else "CERS accepts it"
    print(f"{args.file}: {verdict}: {errors} error(s), {len(findings) - errors} warning(s)")
    return 1 if errors else 0


def scheduled_command(args) -> int:
    ws, user = _who(args)
    made = _errors(process.scheduled_run, ws, user=user, upload=args.upload, notify_to=args.notify)
    return _print_extracts([made])


def _print_extracts(made: list[extract.Extract]) -> int:
    for e in made:
        if e.path:
            print(e.path)
    for e in made:
        print(e.text())
    # A profile without rows is reported, not a failure: create refuses when no profile has any.
    failed = any((e.path is None and not e.empty) or (e.upload and not e.upload.loaded) for e in made)
    return 1 if failed else 0


def _who(args) -> tuple[Workspace, str]:
    return Workspace.locate(), args.user or identity.current_user()


def _exists(ws: Workspace, name: str) -> bool:
    return any(p.name.lower() == name.strip().lower() for p in profiles.every_profile(ws))


def _errors(fn, *args, **kwargs):
    from sislab.cli import UserError

    try:
        return fn(*args, **kwargs)
    except (profiles.ProfileError, upload.UploadError, store.NoSnapshot) as e:
        raise UserError(str(e)) from None
