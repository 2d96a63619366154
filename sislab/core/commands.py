"""Core commands: `sislab import`, `sislab model`."""

from __future__ import annotations

import sys

from . import model
from .workspace import Workspace


def add_commands(sub) -> None:
    p = sub.add_parser("import", help="import a folder of SIS CSV exports (all or nothing)")
    p.add_argument("folder", nargs="?", help="folder of CSV exports (or the OneRoster zip with --from oneroster)")
    p.add_argument("--user", help="who is importing (default: the login name)")
    from ..sources.commands import add_import_options

    add_import_options(p)
    p.set_defaults(func=import_command)

    p = sub.add_parser("model", help="print the data model as DDL or Markdown")
    p.add_argument("--ddl", action="store_true", help="DuckDB CREATE TABLE statements")
    p.add_argument("--docs", action="store_true", help="docs/data-model.md reference")
    p.set_defaults(func=model_command)


def import_command(args) -> int:
    from ..cli import UserError
    from .importer import ImportRejected, import_sis
    from .progress import cli_progress

    if args.source or args.scores:
        from ..sources.commands import import_command as import_from_source

        return import_from_source(args)
    if not args.folder:
        raise UserError("name the folder of CSV exports to import (or --from aeries / oneroster, or --scores)")
    ws = Workspace.locate()
    try:
        report = import_sis(args.folder, ws, user=args.user, progress=cli_progress())
    except ImportRejected as e:
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
