"""The A-G job at its edges: open the snapshot, run the check, write the report files.

Used the same way by `sislab ag check|transcripts`, notebooks/ag_alignment.ipynb (scheduled
with papermill, `output_dir` set by the runner) and `make demo`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sislab.core import access, store
from sislab.core.safe_csv import write_frame
from sislab.core.workspace import Workspace

from . import transcripts
from .alignment import AgReport, check, load_rule

REPORT_FILES = {  # file name -> AgReport attribute
    "ag_school_rates.csv": "rates",
    "ag_worklist.csv": "worklist",
    "ag_not_taught.csv": "not_taught",
    "ag_missing_flags.csv": "missing_flags",
    "ag_findings.csv": "findings",
}
PREFLIGHT_FILE = "ag_transcript_preflight.csv"


def alignment_report(ws: Workspace | None = None, school_year: int | None = None, schools=None,
                     middle_school_rule: bool = False) -> AgReport:
    """The A-G check on the current snapshot: the spec's formula, or with UC's grade 7-8 rule
    for middle schools when asked (or when rule.toml applies it)."""
    rule = load_rule()
    rule = rule.replace(middle_school_rule=True) if middle_school_rule else rule
    with store.snapshot(ws) as con:
        return check(con, school_year, schools, rule)


def rates_table(report: AgReport) -> pd.DataFrame:
    """Per-school rates followed by the district row."""
    return pd.concat([report.schools, report.district], ignore_index=True)


def write_report(report: AgReport, out_dir: str | Path) -> list[Path]:
    """The report's CSV files in `out_dir` (owner-only, atomic)."""
    tables = {"rates": rates_table(report), "worklist": report.worklist, "not_taught": report.not_taught,
              "missing_flags": report.missing_flags, "findings": report.findings}
    return [write_frame(Path(out_dir) / name, tables[part])
            for name, part in REPORT_FILES.items()]


def write_transcript_files(ws: Workspace | None, out_dir: str | Path, school_year: int | None = None,
                           schools=None) -> tuple[transcripts.Transcripts, list[Path]]:
    """The CaliforniaColleges.edu upload package for the school year (default: the current
    one, its students with all their history) and its pre-flight file. With no students, only
    the pre-flight is written and NoStudents is raised."""
    access.authorize(ws or Workspace.locate(), access.current_user(), "A-G transcript files", schools or access.ALL)
    with store.snapshot(ws) as con:
        run = transcripts.transcripts(con, school_year, schools)
        district, cds = con.execute("SELECT name, cds_code FROM district").fetchone()
    preflight = write_frame(Path(out_dir) / PREFLIGHT_FILE, run.preflight)
    try:
        paths = transcripts.write_package(run, out_dir, district, cds)
    except transcripts.NoStudents as e:
        raise transcripts.NoStudents(f"{e} Pre-flight: {preflight}") from None
    return run, [*paths, preflight]


def demo(ws: Workspace | None, out_dir: str | Path) -> list[Path]:
    """What `make demo` produces for A-G: the report files and the transcript package."""
    return write_report(alignment_report(ws), out_dir) + write_transcript_files(ws, out_dir)[1]


def rate_chart(report: AgReport):
    """Bar per school (and the district) of the alignment rate, with the pass line."""
    from matplotlib.figure import Figure

    table = rates_table(report)
    shown = table[table["rate"] != "n/a"]
    fig = Figure(figsize=(max(6.0, 0.8 * len(shown) + 3), 4), layout="constrained")
    ax = fig.subplots()
    colours = ["#2f855a" if p else "#c53030" for p in shown["passed"]]
    ax.bar(shown["name"].astype(str), shown["rate"].astype(float), color=colours)
    cut = report.rule.pass_tenths / 10
    ax.axhline(cut, color="black", linestyle="--", linewidth=1, label=f"{cut:.1f} % required")
    ax.set_ylim(0, 100)
    ax.set_ylabel("A-G courses aligned (%)")
    ax.set_title(f"A-G alignment {report.school_year - 1}-{report.school_year % 100:02d}")
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend(loc="lower right")
    return fig
