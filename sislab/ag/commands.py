"""`sislab ag check` (alignment rates and worklist) and `sislab ag transcripts` (the
CaliforniaColleges.edu upload files)."""

from __future__ import annotations

from pathlib import Path

from sislab.core import store
from sislab.core.workspace import Workspace

from . import job, transcripts


def add_commands(sub) -> None:
    ag = sub.add_parser("ag", help="A-G alignment with the UC A-G lists; CaliforniaColleges.edu transcript files")
    commands = ag.add_subparsers(dest="ag_command", required=True, metavar="COMMAND")
    p = commands.add_parser("check", help="alignment rate per school and district, worklist, list entries not taught")
    _common(p, "the newest year with marks")
    p.add_argument("--middle-school-rule", action="store_true",
                   help="UC's grade 7-8 rule: a middle school's universe is mathematics and LOTE only, and it is "
                        "shown as 'not rated' (default: every school alike, as the spec's formula)")
    p.set_defaults(func=check_command)
    p = commands.add_parser("transcripts", help="write the CaliforniaColleges.edu upload package (Student, "
                                                "CourseGrade, CourseCatalog files and manifest) and its pre-flight")
    _common(p, "the current school year (its students with all their history)")
    p.set_defaults(func=transcripts_command)


def _common(p, default_year: str) -> None:
    p.add_argument("--year", type=int, help=f"school year as its end year (2025-26 = 2026); default: {default_year}")
    p.add_argument("--schools", metavar="A,B", help="comma-separated school ids (default: all)")
    p.add_argument("--out", required=True, help="folder to write the files into")


def check_command(args) -> int:
    ws = Workspace.locate()
    report = _guard(lambda: job.alignment_report(ws, args.year, _schools(args), args.middle_school_rule))
    chosen = "given" if args.year else "the newest year with marks"
    print(f"A-G alignment {report.school_year - 1}-{report.school_year % 100:02d} ({chosen})")
    for row in job.rates_table(report).itertuples():
        print(f"{row.school_id or '-':>5} {row.name}: {row.aligned}/{row.universe} aligned = {row.rate}"
              f" ({row.result}); A-G marks on aligned courses {row.weighted_rate}")
    print(f"{len(report.worklist)} courses to fix, {len(report.not_taught)} list entries not taught, "
          f"{len(report.missing_flags)} courses missing their A-G flag")
    if len(report.findings):
        print(f"{len(report.findings)} marks refused: their in_district value is ambiguous (see ag_findings.csv)")
    for path in job.write_report(report, Path(args.out)):
        print(path)
    return 0


def transcripts_command(args) -> int:
    ws = Workspace.locate()
    run, paths = _guard(lambda: job.write_transcript_files(ws, Path(args.out), args.year, _schools(args)))
    print(f"transcripts for {run.year_text}: " + ", ".join(f"{len(df)} {name} rows" for name, df in run.frames.items()))
    for rule, n in run.preflight.groupby("rule")["student_id"].nunique().items():
        print(f"pre-flight {rule}: {n} students (named in {job.PREFLIGHT_FILE})")
    for path in paths:
        print(path)
    return 0


def _schools(args):
    return args.schools.split(",") if args.schools else None


def _guard(action):
    from sislab.cli import UserError

    try:
        return action()
    except (store.NoSnapshot, transcripts.NoStudents) as e:
        raise UserError(str(e)) from None
