"""`sislab roster build|check|diff`: the OneRoster feed, its checker, and the feed diff."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

from sislab.core import store
from sislab.core.safe_csv import write_frame
from sislab.core.workspace import Workspace

from . import job
from .checker import check_feed
from .diff import diff_feeds
from .spec import receivers
from .writer import FeedOptions

EXIT_ERRORS = 1  # the feed has errors: the receiver would reject files or drop rows


def add_commands(sub) -> None:
    roster = sub.add_parser("roster", help="OneRoster 1.1 rostering feed: build, check, diff")
    commands = roster.add_subparsers(dest="roster_command", required=True, metavar="COMMAND")

    p = commands.add_parser("build", help="write today's feed zip, check it, keep it as accepted if it has no errors")
    p.add_argument("--out", required=True, help="folder for oneroster.zip and its check report")
    p.add_argument("--year", type=int, help="school year as its end year (default: the current one on --as-of)")
    p.add_argument("--as-of", type=date.fromisoformat, help="leave out memberships ended before this day (default today)")
    _receiver_options(p, "write what this receiver accepts (cli-engage: homeroom classes only)")
    p.add_argument("--demographics", action="store_true", help="add demographics.csv")
    p.add_argument("--schools", metavar="A,B", help="comma-separated school ids (default: every active school)")
    p.add_argument("--no-accept", action="store_true", help="do not keep this feed as the accepted baseline")
    p.set_defaults(func=build_command)

    p = commands.add_parser("check", help="check any OneRoster 1.1 CSV zip; exit 1 when it has errors")
    p.add_argument("zip")
    p.add_argument("--previous", help="the previous accepted feed, to catch mass drops and changed ids")
    _receiver_options(p, "apply this receiver's extra rules (cli-engage: homeroom classes only, every student in one)")
    p.add_argument("--out", help="write the findings to this CSV file")
    p.set_defaults(func=check_command)

    p = commands.add_parser("diff", help="who was added, dropped or moved class between two feeds")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--out", help="write the changes to this CSV file")
    p.set_defaults(func=diff_command)


def _receiver_options(p, what: str) -> None:
    p.add_argument("--receiver", choices=list(receivers()), default="generic", help=f"{what}; default generic")
    p.add_argument("--accept-drop", action="store_true",
                   help="confirm that more than the allowed share of users/classes/enrollments is gone since the "
                        "accepted feed (SHARE_GONE becomes a warning)")


def build_command(args) -> int:
    from sislab.cli import UserError

    options = FeedOptions(school_year=args.year, as_of=args.as_of, receiver=args.receiver,
                          demographics=args.demographics, schools=tuple(args.schools.split(",")) if args.schools else None)
    try:
        run = job.build_and_check(Workspace.locate(), args.out, options, accept=not args.no_accept,
                                  accept_drop=args.accept_drop)
    except store.NoSnapshot as e:
        raise UserError(str(e)) from None
    print(f"{run.feed}: " + ", ".join(f"{n} {k}" for k, n in run.rows.items()))
    _print_report(run.report, run.check_file)
    if run.diff is not None:
        counts = run.diff["change"].value_counts().to_dict()
        print("since the accepted feed: " + (", ".join(f"{n} {k}" for k, n in counts.items()) or "no changes"))
    print("accepted as the new baseline" if run.accepted else "not accepted as the baseline")
    return EXIT_ERRORS if not run.report.passed else 0


def check_command(args) -> int:
    report = check_feed(_existing(args.zip), _existing(args.previous) if args.previous else None,
                        receiver=args.receiver, accept_drop=args.accept_drop)
    _print_report(report, job.write_report(report, args.out) if args.out else None)
    return EXIT_ERRORS if not report.passed else 0


def diff_command(args) -> int:
    changes = diff_feeds(_existing(args.old), _existing(args.new))
    if args.out:
        write_frame(args.out, changes)
    for change, n in changes["change"].value_counts().items():
        print(f"{change}: {n}")
    print(f"{len(changes)} users changed" + (f"; list in {args.out}" if args.out else ""))
    return 0


def _print_report(report, path) -> None:
    print(f"check for {report.receiver}: {report.errors} errors, {report.warnings} warnings"
          + (f" (findings in {path})" if path else ""))
    for row in report.summary().itertuples():
        print(f"  {row.severity:7} {row.rule}: {row.findings}")


def _existing(path: str) -> Path:
    """The path of a zip file, or a UserError that says what is wrong with it."""
    from sislab.cli import UserError

    p = Path(path)
    if not p.is_file():
        raise UserError(f"{path}: no such file (give the path of a OneRoster .zip)")
    if not zipfile.is_zipfile(p):
        raise UserError(f"{path}: not a zip file (a OneRoster feed is the CSV files zipped with manifest.csv)")
    return p
