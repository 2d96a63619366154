"""Core commands: `sislab import`, `sislab model`."""

from __future__ import annotations

import argparse
import sys

from . import model
from .workspace import Workspace


def add_commands(sub) -> None:
    p = sub.add_parser("import", help="import a folder of SIS CSV exports (all or nothing)",
                       description="Exit status: 0 published, 2 refused (bad export, shrink, or another "
                                   "import running); the previous snapshot stays current unless 0.")
    p.add_argument("folder", nargs="?", help="folder of CSV exports (or the OneRoster zip with --from oneroster)")
    p.add_argument("--user", help="who is importing (default: the login name)")
    p.add_argument("--accept-shrink", action="store_true",
                   help="publish even when students, enrollments, marks or rosters shrink by more than "
                        "--max-shrink against the current snapshot")
    p.add_argument("--max-shrink", type=_percent, default=10, metavar="PERCENT",
                   help="largest shrink published without --accept-shrink (default 10)")
    p.add_argument("--recover", action="store_true",
                   help="only clean up after a killed import or job: mark it died, remove its files")
    from ..sources.commands import add_import_options

    add_import_options(p)
    p.set_defaults(func=import_command)

    p = sub.add_parser("model", help="print the data model as DDL or Markdown")
    p.add_argument("--ddl", action="store_true", help="DuckDB CREATE TABLE statements")
    p.add_argument("--docs", action="store_true", help="docs/data-model.md reference")
    p.set_defaults(func=model_command)


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage from 0 to 100")
    return value


def import_command(args) -> int:
    from ..cli import UserError
    from .importer import ImportBusy, ImportRejected, import_sis, recover
    from .progress import cli_progress

    ws = Workspace.locate()
    if args.recover:
        try:
            print(f"recovered: {recover(ws, user=args.user)}")
        except ImportBusy as e:
            raise UserError(str(e)) from None
        return 0
    if args.source or args.scores:
        from ..sources.commands import import_command as import_from_source

        return import_from_source(args)
    if not args.folder:
        raise UserError("name the folder of CSV exports to import (or --from aeries / oneroster, "
                        "--scores, --recover)")
    try:
        report = import_sis(args.folder, ws, user=args.user, progress=cli_progress(),
                            accept_shrink=args.accept_shrink, max_shrink=args.max_shrink / 100)
    except (ImportRejected, ImportBusy) as e:
        for warning in getattr(e, "findings", []):
            if warning.severity == "warning":
                print(f"warning: {warning}", file=sys.stderr)
        raise UserError(str(e)) from None
    return print_report(report)


def print_report(report, done: str = "") -> int:
    """Warnings to stderr, then one line of what was imported (`done` says from where)."""
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    total = sum(report.row_counts.values())
    print(f"{done + '; ' if done else ''}imported {total:,} rows from {len(report.row_counts)} tables "
          f"into {report.snapshot}")
    return 0


def model_command(args) -> int:
    sys.stdout.write(model.docs() if args.docs else model.ddl())
    return 0
