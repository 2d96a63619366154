"""`sislab cci compare FILE`: sislab's CCI figures beside CDE's published CCI data file.

CDE publishes the data behind the Dashboard's College/Career Indicator as a tab-delimited file
with a header row (record layout: CDE "Record Layout for 2024 CCI Data"): one record per school
(rtype S), district (D) and state (X) and student group, with the denominator (currdenom),
status (currstatus), prior denominator and status, change, status level, change level and
colour as codes. This reads the district's records (its CDS code), computes the same figures
with sislab for the same class and rule set, and lists both side by side, differences first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pandas as pd

from . import engine, rollup
from .mass_update import prior_rule_set
from .rules import RuleSet, load_rule_set, rule_set_names

# The fields compared: CDE column -> sislab roll-up column; codes as in CDE's record layout.
FIGURES = {"currdenom": "denominator", "curr_prep": "prepared", "currstatus": "status",
           "priordenom": "prior_denominator", "priorstatus": "prior_status", "change": "change",
           "statuslevel": "status_level", "changelevel": "change_level", "color": "colour"}
REQUIRED = ("cds", "rtype", "studentgroup", "currdenom", "currstatus")
NUMBERS = ("currdenom", "curr_prep", "currstatus", "priordenom", "priorstatus", "change")
PERCENTS = ("currstatus", "priorstatus", "change")
CODES = {
    "statuslevel": {"1": "Very Low", "2": "Low", "3": "Medium", "4": "High", "5": "Very High"},
    "changelevel": {"1": "Declined Significantly", "2": "Declined", "3": "Maintained", "4": "Increased",
                    "5": "Increased Significantly"},
    "color": {"1": "Red", "2": "Orange", "3": "Yellow", "4": "Green", "5": "Blue"},
}
NO_DATA = ("", "0", "*", "--")  # no data, no colour, or suppressed
COLUMNS = ["rtype", "cds", "name", "student_group", "figure", "sislab", "cde", "differs"]


class BadFile(ValueError):
    """CDE's file cannot be read as the CCI layout; the message names file, row and column."""


@dataclass(frozen=True)
class Comparison:
    rows: pd.DataFrame  # COLUMNS, differences first
    rule_set: str
    records: int  # CDE records of the district read

    @property
    def differences(self) -> pd.DataFrame:
        return self.rows[self.rows.differs]


def read_cde_file(path: str | Path, district_cds: str) -> pd.DataFrame:
    """The district's school and district records of CDE's CCI file, all text; refuses a file
    without the layout's columns and names the row and column of a malformed value."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise BadFile(f"{path}: no such file") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as e:
        raise BadFile(f"{path}: not a tab-delimited text file ({e})") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise BadFile(f"{path}: no column {', '.join(missing)}; expected CDE's CCI data file layout "
                      f"(tab-delimited, header row with {', '.join(REQUIRED)}, ...)")
    frame = frame.assign(row=range(2, len(frame) + 2))  # file rows, the header being row 1
    frame = frame[frame.cds.str.strip().str[:7].eq(district_cds) & frame.rtype.str.strip().isin(["S", "D"])]
    for column in [c for c in NUMBERS if c in frame.columns]:
        for row, value in zip(frame.row, frame[column]):
            if value.strip() not in NO_DATA and _number(value) is None:
                raise BadFile(f"{path}, row {row}, column {column}: {value!r} is not a number")
    return frame


def sislab_figures(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> pd.DataFrame:
    """sislab's roll-up per school and for the district, all students and each group, keyed as
    CDE's file: rtype, cds, name, student_group and the FIGURES columns."""
    current = engine.student_results(con, rules)
    prior_rules = prior_rule_set(rules)
    prior = engine.student_results(con, prior_rules) if prior_rules else None
    schools = pd.concat([rollup.school_status(con, current, prior, rules).assign(student_group="ALL"),
                         rollup.group_status(con, current, prior, rules)], ignore_index=True)
    district = pd.concat([rollup.district_status(con, current, prior, rules).assign(student_group="ALL"),
                          rollup.group_status(con, current, prior, rules, by_school=False)], ignore_index=True)
    names = con.execute("SELECT school_id, cds_code, name FROM school").df()
    (cds, name), = con.execute("SELECT cds_code, name FROM district").fetchall()
    schools = schools.merge(names, on="school_id", how="left").rename(columns={"cds_code": "cds"})
    district = district.assign(cds=f"{cds}0000000", name=name)
    return pd.concat([schools.assign(rtype="S"), district.assign(rtype="D")], ignore_index=True)


def compare(ours: pd.DataFrame, theirs: pd.DataFrame) -> pd.DataFrame:
    """One row per unit, group and figure either side has: both values as text and whether
    they differ; units and groups only one side has appear with the other side blank."""
    cde = theirs.assign(cds=theirs.cds.str.strip(), rtype=theirs.rtype.str.strip(),
                        student_group=theirs.studentgroup.str.strip())
    keys = ["rtype", "cds", "student_group"]
    both = ours.merge(cde, on=keys, how="outer", suffixes=("", "_cde"), indicator=True)
    rows = []
    for record in both.to_dict("records"):
        name = record.get("name") if isinstance(record.get("name"), str) else \
            record.get("schoolname") or record.get("districtname") or ""
        for cde_column, our_column in FIGURES.items():
            if cde_column not in cde.columns:
                continue
            mine = _ours(cde_column, record.get(our_column)) if record["_merge"] != "right_only" else None
            state = _theirs(cde_column, record.get(cde_column)) if record["_merge"] != "left_only" else None
            rows.append({"rtype": record["rtype"], "cds": record["cds"], "name": name,
                         "student_group": record["student_group"], "figure": cde_column,
                         "sislab": mine, "cde": state, "differs": mine != state})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values(["differs", "rtype", "cds", "student_group"], ascending=[False, True, True, True],
                             kind="stable").reset_index(drop=True)


def compare_file(con: duckdb.DuckDBPyConnection, path: str | Path, rule_set: RuleSet | str | None = None) -> Comparison:
    """CDE's file at `path` against sislab's figures for the snapshot of `con`; the rule set
    defaults to the file's reporting year when sislab has it, else the newest."""
    (district_cds,), = con.execute("SELECT cds_code FROM district").fetchall()
    if not district_cds:
        raise BadFile("The district has no CDS code in the snapshot (district.cds_code): cannot find its records")
    theirs = read_cde_file(path, district_cds)
    if theirs.empty:
        raise BadFile(f"{path}: no school or district record for CDS {district_cds}")
    rules = rule_set if isinstance(rule_set, RuleSet) else load_rule_set(rule_set or _reporting_year(theirs))
    return Comparison(compare(sislab_figures(con, rules), theirs), rules.name, len(theirs))


def _reporting_year(frame: pd.DataFrame) -> str | None:
    years = set(frame.get("reportingyear", pd.Series(dtype=str)).str.strip()) & set(rule_set_names())
    return years.pop() if len(years) == 1 else None


def _number(text) -> Decimal | None:
    try:
        return Decimal(str(text).strip())
    except InvalidOperation:
        return None


def _ours(column: str, value) -> str | None:
    """A sislab figure as CDE writes it: percents and change with one decimal, counts whole,
    levels and colours by name."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if column in CODES:
        return str(value)
    if column in PERCENTS:
        return str(Decimal(str(value)).quantize(Decimal("0.1")))
    return str(int(value))


def _theirs(column: str, value) -> str | None:
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()
    if text in NO_DATA and not (column in NUMBERS and text == "0"):
        return None
    if column in CODES:
        return CODES[column].get(text, text)
    number = _number(text)
    if column in PERCENTS:
        return str(number.quantize(Decimal("0.1")))
    return str(int(number))
