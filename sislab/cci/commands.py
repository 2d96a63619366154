"""`sislab cci run` (the mass update) and `sislab cci status` (who is running what, and when
each school last ran)."""

from __future__ import annotations

from sislab.core import access, notify, store
from sislab.core.progress import cli_progress
from sislab.core.workspace import Workspace

from . import mass_update
from .rules import UnknownRuleSet

EXIT_FAILED = 1  # a school failed (or the run died)
EXIT_ALL_SKIPPED = 3  # every school chosen was already being processed: nothing was done


def add_commands(sub) -> None:
    cci = sub.add_parser("cci", help="College/Career Indicator: mass update and run status")
    commands = cci.add_subparsers(dest="cci_command", required=True, metavar="COMMAND")

    p = commands.add_parser("run", help="recompute and publish CCI results for one school or many")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--school", metavar="CODE", help="one school id")
    which.add_argument("--schools", metavar="A,B,C", help="comma-separated school ids")
    which.add_argument("--group", metavar="NAME", help="a saved school group, e.g. 'Grades 9-12'")
    which.add_argument("--all", action="store_true", help="every active high school (HS and ALT)")
    p.add_argument("--rule-set", help="rule set (Dashboard year), default the newest")
    p.add_argument("--user", help="who starts the run (default: the login name)")
    mail = p.add_mutually_exclusive_group()
    mail.add_argument("--notify", metavar="ADDR", help="completion e-mail to (default: your app_user address)")
    mail.add_argument("--no-notify", action="store_true", help="send no completion e-mail")
    p.set_defaults(func=run_command)

    p = commands.add_parser("status", help="schools being processed now, and when each last ran")
    p.set_defaults(func=status_command)


def run_command(args) -> int:
    from sislab.cli import UserError

    ws = Workspace.locate()
    try:
        with store.snapshot(ws) as con:
            known = {s.school_id: s for s in mass_update.schools(con)}
            chosen = mass_update.select_schools(
                con, school=args.school, school_ids=args.schools.split(",") if args.schools else None,
                group=args.group, all_schools=args.all, ws=ws)
        user = args.user or access.current_user()
        recipients = None if args.no_notify else args.notify or mass_update.default_recipient(ws, user)
        report = mass_update.run(chosen, ws=ws, user=user, rule_set=args.rule_set, notify_to=recipients,
                                 progress=cli_progress())
    except (store.NoSnapshot, mass_update.SelectionError, UnknownRuleSet, notify.BadAddress) as e:
        raise UserError(str(e)) from None
    print(f"cci run {report.job_id} by {report.user}: {report.status}")
    for outcome in report.schools:
        print(_outcome_line(outcome, known.get(outcome.school_id)))
    print(_mail_line(report, user, args.no_notify))
    if report.failed or report.with_status("died"):
        return EXIT_FAILED
    return EXIT_ALL_SKIPPED if not report.done else 0


def status_command(args) -> int:
    from sislab.cli import UserError

    ws = Workspace.locate()
    try:
        with store.snapshot(ws) as con:
            known = mass_update.schools(con)
    except store.NoSnapshot as e:
        raise UserError(str(e)) from None
    shown = [s for s in mass_update.run_status(ws, known)
             if s.school.high_school or s.last_started or s.running]
    for status in shown:
        print(f"{status.school.school_id}  {status.message()}")
    return 0


def _outcome_line(outcome, school) -> str:
    name = f"{outcome.school_id} {school.name}" if school else outcome.school_id
    if outcome.status == "done":
        counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in outcome.counts.items())
        return f"  {name}: done ({counts})"
    return f"  {name}: {outcome.status}: {outcome.note}"


def _mail_line(report, user: str, declined: bool) -> str:
    if report.notified:
        return f"completion e-mail: {report.notified}"
    if declined:
        return "no completion e-mail (--no-notify)"
    return f"no completion e-mail (no address for {user} in app_user; use --notify ADDR)"
