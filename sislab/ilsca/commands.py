"""`sislab ilsca extract` (produce the Illinois Student Course Assignment file) and
`sislab ilsca files` (the files produced: date/time, user, record count)."""

from __future__ import annotations

from sislab.core import store
from sislab.core.workspace import Workspace

from . import produce
from .editor import FORMATS, EditorError


def add_commands(sub) -> None:
    ilsca = sub.add_parser("ilsca", help="Illinois Student Course Assignment (K-12 In Progress V2)")
    commands = ilsca.add_subparsers(dest="ilsca_command", required=True, metavar="COMMAND")

    p = commands.add_parser("extract", help="write the SCA file and its pre-flight report into reports/")
    p.add_argument("--start", help="Start Date, MMDDYY")
    p.add_argument("--end", help="End Date, MMDDYY")
    p.add_argument("--calendar", action="append", default=[], metavar="ID",
                   help="a calendar id; repeat or separate with commas")
    p.add_argument("--grades", help="grades to report, e.g. K,01-08 (default K-12)")
    p.add_argument("--group", help="ad hoc filter: a student group code")
    p.add_argument("--file-id", default="001", help="File Identifier, 3 digits (default %(default)s)")
    p.add_argument("--strip-apostrophes", action="store_true", help="strip apostrophes, commas, periods, accents")
    p.add_argument("--protected-identities", action="store_true", help="report protected legal names")
    p.add_argument("--include-no-state-id", action="store_true", help="include students without state IDs")
    p.add_argument("--format", choices=FORMATS, default="state")
    p.add_argument("--run-date", metavar="MMDDYY",
                   help="date in the file name and header (default today): a rerun for a past date reproduces its file")
    p.add_argument("--replace", action="store_true", help="overwrite a file of the same name (same date and file id)")
    p.add_argument("--out", help="folder to write into (default: the reports folder)")
    p.add_argument("--user", help="who produced the file (default: the login name)")
    p.set_defaults(func=extract_command)

    p = commands.add_parser("files", help="files produced so far, newest first")
    p.set_defaults(func=files_command)


def extract_command(args) -> int:
    from sislab.cli import UserError

    calendars = [c for value in args.calendar for c in value.split(",")]
    try:
        result = produce.extract(
            Workspace.locate(), user=args.user, out_dir=args.out, start=args.start, end=args.end,
            calendars=calendars, grades=args.grades, student_group=args.group, file_id=args.file_id,
            strip_apostrophes=args.strip_apostrophes, protected_identities=args.protected_identities,
            include_no_state_id=args.include_no_state_id, format=args.format, run_date=args.run_date,
            replace=args.replace)
    except (EditorError, store.NoSnapshot) as e:
        raise UserError(str(e)) from None
    print(result.path)
    print(f"{result.records} records; pre-flight: {len(result.findings)} findings in {result.preflight_path}")
    return 0


def files_command(args) -> int:
    for row in produce.extracted_files(Workspace.locate()).itertuples():
        print(f"{row.created_at}  {row.user_name}  {row.record_count} records  {row.path}")
    return 0
