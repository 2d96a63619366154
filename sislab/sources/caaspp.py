"""`sislab import --scores FILE`: the CAASPP Student Score Data File from TOMS into `test_score`.

The file (CDE's "CAASPP Student Data File Layout", delimited with a header row, `^` in the
TOMS download, also read comma- or tab-delimited) has one record per student and test. sislab
takes the Smarter Balanced records — RecordType 01 (ELA) and 02 (Mathematics) — and reads
SSID, GradeAssessed, ScaleScore, AchievementLevels and FinalTestCompletedDate (its school year).
Students are matched on SSID (`student.state_id`); an SSID the district does not know is a
finding (a warning: the file also lists students who have left). Records without a scale score
(not tested, no score yet) are skipped. A record with more or fewer fields than the header (a
file cut short mid-line, a damaged download) is an error: nothing is imported.

The scores replace the same test and year in the current snapshot; every other table is
carried over unchanged, and the whole goes through the importer like any export. Its shrink
guard covers the scores of each test and year: a file cut short at a line's end would replace
them with a fraction and look valid.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from sislab.core import model, store
from sislab.core.importer import Finding, ImportRejected, ImportReport, import_lock
from sislab.core.workspace import Workspace

from .staged import Origin, SourceFinding, Staging

RECORD_TYPES = {"01": ("CAASPP_ELA", "ELA"), "02": ("CAASPP_MATH", "Math")}  # Smarter Balanced ELA, Math
NEEDED = ("RecordType", "SSID", "GradeAssessed", "ScaleScore", "AchievementLevels", "FinalTestCompletedDate")
DATE_FORMATS = ("%m%d%Y", "%Y-%m-%d", "%m/%d/%Y", "%Y%m%d")
SHRINK_BY = {"test_score": ("test", "school_year")}  # the importer's shrink guard, per replaced part
COLUMNS = {"student_id": "SSID", "grade": "GradeAssessed", "scale_score": "ScaleScore",
           "level": "AchievementLevels", "school_year": "FinalTestCompletedDate", "test": "RecordType"}


def import_scores(path: str | Path, ws: Workspace, user: str | None = None,
                  progress=None, **guard) -> tuple[ImportReport, int]:
    """Read the score file onto the current snapshot and import the result (all or nothing).
    The import lock is held from reading the snapshot to publishing: an import that published
    in between would be undone by the carried-over copy."""
    path = Path(path)
    if not path.is_file():
        raise ImportRejected([Finding(str(path), "no such file: name the Student Score Data File from TOMS")])
    with import_lock(ws, user) as lock, Staging(ws, "caaspp", f"CAASPP scores {path.resolve()}") as staging:
        with store.snapshot(ws) as con:
            ssids = dict(con.execute("SELECT state_id, student_id FROM student WHERE state_id IS NOT NULL").fetchall())
            scores, findings = read_scores(path, ssids)
            if any(f.severity == "error" for f in findings):
                raise ImportRejected(findings)
            staging.warnings += findings
            _carry_over(con, staging, {(s["test"], s["school_year"]) for s, _ in scores})
        origin = Origin(path.name, tuple(COLUMNS.items()))
        for row, number in scores:
            staging.add("test_score", row, origin, number)
        report = staging.run_import(user, progress, shrink_by=SHRINK_BY, lock=lock, **guard)
    # Every other table is the current snapshot's, carried over: what the importer says of them
    # (an optional table with no rows, say) was said when that snapshot was imported.
    report.warnings = [w for w in report.warnings if w.file in (path.name, "test_score.csv")]
    return report, len(scores)


def read_scores(path: Path, ssids: dict[str, str]) -> tuple[list[tuple[dict, int]], list[Finding]]:
    """(test_score rows with their record number, findings) of one score file."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = "^" if "^" in first else "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    where = {h.lower(): i for i, h in enumerate(header)}
    missing = [n for n in NEEDED if n.lower() not in where]
    if missing:
        return [], [Finding(path.name, "not a CAASPP Student Score Data File: the header lacks "
                            + ", ".join(missing), line=1)]
    rows, findings, unknown, misshapen = [], [], 0, 0
    for number, cells in enumerate(reader, start=1):
        if len(cells) != len(header):
            if not any(c.strip() for c in cells):  # a blank line
                continue
            misshapen += 1
            if misshapen <= 20:
                findings.append(SourceFinding(path.name, f"wrong number of fields (expected {len(header)}, found "
                                              f"{len(cells)}): the file is cut short or damaged; download it "
                                              "again from TOMS", row=number))
            continue
        get = {n: cells[where[n.lower()]].strip() for n in NEEDED}
        test = RECORD_TYPES.get(get["RecordType"].zfill(2))
        if test is None or not get["ScaleScore"]:
            continue
        student = ssids.get(get["SSID"])
        if student is None:
            unknown += 1
            if unknown <= 20:
                findings.append(SourceFinding(path.name, f"SSID {get['SSID']!r} is not a state_id of any student; "
                                              "the score is not imported", row=number, column="SSID",
                                              severity="warning"))
            continue
        year = _school_year(get["FinalTestCompletedDate"])
        if year is None:
            findings.append(SourceFinding(path.name, f"{get['FinalTestCompletedDate']!r} is not a test completion "
                                          "date", row=number, column="FinalTestCompletedDate"))
            continue
        rows.append(({"student_id": student, "test": test[0], "subject": test[1], "school_year": str(year),
                      "grade": get["GradeAssessed"].lstrip("0") or "0", "scale_score": get["ScaleScore"],
                      "level": get["AchievementLevels"]}, number))
    if misshapen > 20:
        findings.append(Finding(path.name, f"... and {misshapen - 20} more records with a wrong number of fields"))
    if unknown > 20:
        findings.append(Finding(path.name, f"... and {unknown - 20} more unknown SSIDs", column="SSID",
                                severity="warning"))
    if not rows and not any(f.severity == "error" for f in findings):
        findings.append(Finding(path.name, "no Smarter Balanced score of a known student in the file "
                                "(is it another district's file?)"))
    return rows, findings


def _school_year(text: str) -> int | None:
    for fmt in DATE_FORMATS:
        try:
            d = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return d.year + (1 if d.month >= 7 else 0)
    return None


def _carry_over(con, staging: Staging, replaced: set[tuple[str, str]]) -> None:
    """Every table of the current snapshot into the staging folder, less the replaced scores."""
    for table in model.TABLES:
        columns = [c.name for c in table.columns]
        cur = con.execute(f"SELECT {', '.join(columns)} FROM {table.name}")
        staging.touch(table.name)
        while batch := cur.fetchmany(50_000):
            for values in batch:
                row = dict(zip(columns, map(_text, values)))
                if table.name == "test_score" and (row["test"], row["school_year"]) in replaced:
                    continue
                staging.add(table.name, row)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)
