"""`sislab cci run` (the mass update), `sislab cci status` (who is running what, and when
each school last ran), `sislab cci students` (a school's class, per student) and `sislab cci
show` (one student)."""

from __future__ import annotations

import sys

import pandas as pd

from sislab.core import access, notify, store
from sislab.core.safe_csv import write_frame
from sislab.core.progress import cli_progress
from sislab.core.workspace import Workspace

from . import compare, engine, mass_update, students
from .rules import UnknownRuleSet

EXIT_FAILED = 1  # a school failed (or the run died)
EXIT_ALL_SKIPPED = 3  # every school chosen was already being processed: nothing was done


def add_commands(sub) -> None:
    cci = sub.add_parser("cci", help="College/Career Indicator: mass update, run status, per-student results")
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

    p = commands.add_parser("students", help="per student: level, measures met, what is missing, rule set")
    p.add_argument("--school", required=True, metavar="ID", help="school id")
    p.add_argument("--class", dest="class_year", type=int, metavar="YEAR",
                   help="class of (default: the rule set's class; the current seniors' class scores them "
                        "as if graduating now)")
    p.add_argument("--rule-set", help="rule set (Dashboard year), default the one that scores the class")
    p.add_argument("--csv", metavar="FILE", help="write the table to FILE (owner-only) instead of printing it")
    p.set_defaults(func=students_command)

    p = commands.add_parser("compare", help="sislab's figures beside CDE's published CCI data file, differences first")
    p.add_argument("file", metavar="FILE", help="CDE's CCI data file (tab-delimited, as downloaded)")
    p.add_argument("--rule-set", help="rule set (Dashboard year), default the file's reporting year or the newest")
    p.add_argument("--all", action="store_true", help="also list the figures that agree")
    p.add_argument("--csv", metavar="FILE", help="write every figure side by side to FILE (owner-only)")
    p.set_defaults(func=compare_command)

    p = commands.add_parser("show", help="one student's CCI level, measures met and what is missing")
    p.add_argument("student", metavar="STUDENT", help="local student number")
    p.add_argument("--rule-set", help="rule set (Dashboard year), default the one that scores the class")
    p.set_defaults(func=show_command)


def run_command(args) -> int:
    from sislab.cli import UserError

    ws = Workspace.locate()
    try:
        with store.snapshot(ws) as con:
            known = {s.school_id: s for s in mass_update.schools(con)}
            chosen = mass_update.select_schools(
                con, school=args.school, school_ids=args.schools.split(",") if args.schools else None,
                group=args.group, all_schools=args.all, ws=ws)
            seniors = _seniors_line(con)
        user = args.user or access.current_user()
        recipients = None if args.no_notify else args.notify or mass_update.default_recipient(ws, user)
        report = mass_update.run(chosen, ws=ws, user=user, rule_set=args.rule_set, notify_to=recipients,
                                 progress=cli_progress())
    except (store.NoSnapshot, mass_update.SelectionError, UnknownRuleSet, notify.BadAddress) as e:
        raise UserError(str(e)) from None
    print(f"cci run {report.job_id} by {report.user}: {report.status}")
    print(seniors)
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


def students_command(args) -> int:
    from sislab.cli import UserError

    ws = Workspace.locate()
    try:
        access.viewed_school(ws, access.current_user(), args.school, "CCI results of a class")
        with store.snapshot(ws) as con:
            mass_update.select_schools(con, school=args.school)  # a clear error for an unknown school
            found = students.class_results(con, args.school, args.class_year, args.rule_set)
    except (store.NoSnapshot, mass_update.SelectionError, UnknownRuleSet, engine.NoCurrentClass) as e:
        raise UserError(str(e)) from None
    print(f"{args.school}: {found.scored}", file=sys.stderr)
    if args.csv:
        path = write_frame(args.csv, found.rows)
        print(f"{len(found.rows)} students written to {path}", file=sys.stderr)
        return 0
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                           "display.max_colwidth", 80):
        print(found.rows.to_string(index=False) if len(found.rows) else "no students in this class")
    return 0


def compare_command(args) -> int:
    from sislab.cli import UserError

    ws = Workspace.locate()
    try:
        with store.snapshot(ws) as con:
            result = compare.compare_file(con, args.file, args.rule_set)
    except (store.NoSnapshot, compare.BadFile, UnknownRuleSet) as e:
        raise UserError(str(e)) from None
    differences = result.differences
    print(f"{args.file}: {result.records} school and district records of the district; rule set {result.rule_set}; "
          f"{len(differences)} of {len(result.rows)} figures differ")
    if args.csv:
        write_frame(args.csv, result.rows)
    shown = result.rows if args.all else differences
    if len(shown):
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(shown.drop(columns="differs").fillna("-").to_string(index=False))
    return 0


def show_command(args) -> int:
    from sislab.cli import UserError

    ws = Workspace.locate()
    try:
        with store.snapshot(ws) as con:
            report = students.student_report(con, args.student, args.rule_set)
    except (store.NoSnapshot, students.NotFound, UnknownRuleSet, engine.NoCurrentClass) as e:
        raise UserError(str(e)) from None
    access.viewed_school(ws, access.current_user(), report["school_id"], "A student's CCI result")
    print(f"{report['student_id']} {report['last_name']}, {report['first_name']} — school {report['school_id']}, "
          f"class of {report['cohort_year']}")
    print(f"scored: {report['scored']}")
    print(f"level: {report['level']}{'' if report['counted'] else ' (not counted: fifth-year graduate not Prepared)'}")
    print(f"measures met: {report['measures_met'] or 'none'}")
    print(f"missing: {'nothing (Prepared)' if pd.isna(report['missing']) else report['missing']}")
    if report["flags"]:
        print(f"flags: {report['flags']}")
    for measure, missing in report["not_met"]:
        print(f"  {measure}: {missing}")
    print(f"rule set: {report['rule_set']}")
    return 0


def _seniors_line(con) -> str:
    """Which class the run scores as seniors, and why (or why none)."""
    try:
        return f"seniors: {engine.senior_class(con).reason}"
    except engine.NoCurrentClass as e:
        return f"seniors: none scored. {e}"


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
