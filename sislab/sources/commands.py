"""`sislab import --from aeries | oneroster ZIP`, `sislab import --scores FILE`: parse, call, print."""

from __future__ import annotations


def add_import_options(p) -> None:
    p.add_argument("--from", dest="source", choices=("aeries", "oneroster"),
                   help="pull from the Aeries API ([aeries] in sislab.toml) or read a OneRoster 1.1 zip")
    p.add_argument("--merge", metavar="FOLDER",
                   help="with --from: CSV exports of the tables the source does not hold (docs/aeries.md)")
    p.add_argument("--scores", metavar="FILE",
                   help="a CAASPP Student Score Data File (TOMS) into test_score, on top of the current data")


def import_command(args) -> int:
    from sislab.cli import UserError
    from sislab.core.config import ConfigError
    from sislab.core.importer import ImportRejected
    from sislab.core.commands import print_report
    from sislab.core.workspace import Workspace

    ws = Workspace.locate()
    try:
        report, summary = _run(args, ws)
    except (ImportRejected, ConfigError) as e:
        raise UserError(str(e)) from None
    except _failures() as e:
        raise UserError(str(e)) from None
    return print_report(report, summary)


def _run(args, ws):
    from sislab.core.progress import cli_progress

    guard = {"accept_shrink": args.accept_shrink, "max_shrink": args.max_shrink / 100}
    if args.source == "aeries":
        from .aeries import import_from_aeries

        report, stats = import_from_aeries(ws, user=args.user, merge=args.merge, progress=cli_progress(),
                                            **guard)
        return report, (f"pulled {stats.records:,} records from Aeries in {stats.requests:,} requests "
                        f"({stats.schools} schools, years {stats.years[0]}-{stats.years[-1]})")
    if args.source == "oneroster":
        from .oneroster import import_oneroster

        if not args.folder:
            from sislab.cli import UserError

            raise UserError("name the OneRoster zip: sislab import --from oneroster ROSTER.zip")
        report = import_oneroster(args.folder, ws, user=args.user, merge=args.merge, progress=cli_progress(),
                                  **guard)
        return report, f"read OneRoster {args.folder}"
    from .caaspp import import_scores

    report, matched = import_scores(args.scores, ws, user=args.user, progress=cli_progress(), **guard)
    return report, f"read {matched:,} CAASPP scores from {args.scores}"


def _failures() -> tuple[type[Exception], ...]:
    from sislab.core.importer import ImportBusy
    from sislab.core.store import NoSnapshot

    from .aeries import PullFailed

    return (PullFailed, NoSnapshot, ImportBusy)
