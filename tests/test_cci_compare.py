"""`sislab cci compare FILE`: sislab's figures beside CDE's published CCI data file (a fixture in
CDE's tab-delimited layout built from the sample's own results, with planted differences)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from helpers_cci import sample_copy

from sislab import cli
from sislab.cci import compare, load_rule_set
from sislab.core import store

# CDE's record layout for the 2024 CCI data file, in its order (cde.ca.gov/ta/ac/cm/ccdata2024.asp),
# with the count of Prepared and the reporting year.
LAYOUT = ["cds", "rtype", "schoolname", "districtname", "countyname", "charter_flag", "coe_flag", "dass_flag",
          "studentgroup", "studentgroup_pct", "currdenom", "currstatus", "priordenom", "priorstatus", "change",
          "statuslevel", "changelevel", "color", "box", "curr_prep", "reportingyear"]
CODE = {column: {name: code for code, name in codes.items()} for column, codes in compare.CODES.items()}
OTHER_DISTRICT = "01611190000000"


@pytest.fixture
def ws(sample_ws, tmp_path, monkeypatch):
    return sample_copy(sample_ws, tmp_path, monkeypatch)


def cde_record(row: dict) -> dict:
    def text(value, decimals=False):
        if value is None or value != value:
            return ""
        return f"{float(value):.1f}" if decimals else str(int(value))

    return {"cds": row["cds"], "rtype": row["rtype"], "schoolname": row["name"] if row["rtype"] == "S" else "",
            "districtname": "Sierra Lakes Unified", "countyname": "Los Angeles", "charter_flag": "", "coe_flag": "",
            "dass_flag": "", "studentgroup": row["student_group"], "studentgroup_pct": "",
            "currdenom": text(row["denominator"]), "currstatus": text(row["status"], True),
            "priordenom": text(row["prior_denominator"]), "priorstatus": text(row["prior_status"], True),
            "change": text(row["change"], True),
            "statuslevel": CODE["statuslevel"].get(row["status_level"], "0"),
            "changelevel": CODE["changelevel"].get(row["change_level"], "0"),
            "color": CODE["color"].get(row["colour"], "0"), "box": "", "curr_prep": text(row["prepared"]),
            "reportingyear": "2025"}


def write_cde_file(path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, LAYOUT, delimiter="\t")
        writer.writeheader()
        writer.writerows(records)


def cde_file_from_sample(ws, path, plant) -> None:
    """CDE's layout filled with sislab's own figures, then `plant(records)` changes some."""
    with store.snapshot(ws) as con:
        ours = compare.sislab_figures(con, load_rule_set("2025"))
    records = [cde_record(r) for r in ours.to_dict("records")]
    plant(records)
    other = dict(records[0], cds=OTHER_DISTRICT, rtype="D", currdenom="999")  # another district: ignored
    state = dict(records[0], cds="00000000000000", rtype="X", currdenom="424242")  # the state: ignored
    write_cde_file(path, records + [other, state])


def record(records, cds, group) -> dict:
    return next(r for r in records if r["cds"] == cds and r["studentgroup"] == group)


NORTH, SOUTH, DISTRICT = "19753091930001", "19753091930002", "19753090000000"


def plant_differences(records):
    record(records, NORTH, "ALL")["currdenom"] = "161"
    record(records, SOUTH, "ALL")["currstatus"] = "70.1"
    record(records, DISTRICT, "ALL")["color"] = "3"  # Yellow
    records.append(dict(record(records, NORTH, "ALL"), studentgroup="MR", currdenom="12", currstatus="50.0"))


def test_identical_figures_show_no_difference(ws, tmp_path):
    path = tmp_path / "cci.txt"
    cde_file_from_sample(ws, path, lambda records: None)
    with store.snapshot(ws) as con:
        result = compare.compare_file(con, path)
    assert result.rule_set == "2025"
    assert result.differences.empty and len(result.rows) > 100
    assert {"S", "D"} == set(result.rows.rtype) and OTHER_DISTRICT not in set(result.rows.cds)


def test_planted_differences_come_first_and_only_they_differ(ws, tmp_path):
    path = tmp_path / "cci.txt"
    cde_file_from_sample(ws, path, plant_differences)
    with store.snapshot(ws) as con:
        result = compare.compare_file(con, path)
    differs = result.rows.differs.tolist()
    assert differs == sorted(differs, reverse=True)  # differences first
    found = {(r.cds, r.student_group, r.figure, None if pd.isna(r.sislab) else r.sislab, r.cde)
             for r in result.differences.itertuples()}
    north = result.rows[(result.rows.cds == NORTH) & (result.rows.student_group == "ALL")].set_index("figure")
    assert {(NORTH, "ALL", "currdenom", north.loc["currdenom", "sislab"], "161"),
            (SOUTH, "ALL", "currstatus", "72.0", "70.1"),
            (DISTRICT, "ALL", "color", result.rows.set_index(["cds", "student_group", "figure"])
             .loc[(DISTRICT, "ALL", "color"), "sislab"], "Yellow"),
            (NORTH, "MR", "currdenom", None, "12"), (NORTH, "MR", "currstatus", None, "50.0")} <= found
    assert {(cds, group) for cds, group, *_ in found} == {(NORTH, "ALL"), (SOUTH, "ALL"), (DISTRICT, "ALL"),
                                                         (NORTH, "MR")}


def test_cli_prints_the_differences(ws, tmp_path, capsys):
    path = tmp_path / "cci.txt"
    cde_file_from_sample(ws, path, plant_differences)
    out_csv = tmp_path / "side_by_side.csv"
    assert cli.main(["--workspace", str(ws.root), "cci", "compare", str(path), "--csv", str(out_csv)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "rule set 2025" in out[0] and "figures differ" in out[0]
    assert any("North High" in line and "currdenom" in line and "161" in line for line in out)
    assert (out_csv.stat().st_mode & 0o077) == 0


def test_a_file_without_the_layout_is_refused_with_its_column(ws, tmp_path, capsys):
    path = tmp_path / "not_cci.txt"
    path.write_text("cds\trtype\tstudentgroup\n19753091930001\tS\tALL\n", encoding="utf-8")
    assert cli.main(["--workspace", str(ws.root), "cci", "compare", str(path)]) == 2
    assert "no column currdenom, currstatus" in capsys.readouterr().err


def test_a_malformed_number_names_row_and_column(ws, tmp_path, capsys):
    path = tmp_path / "cci.txt"
    cde_file_from_sample(ws, path, lambda records: record(records, SOUTH, "ALL").update(currdenom="1O0"))
    assert cli.main(["--workspace", str(ws.root), "cci", "compare", str(path)]) == 2
    err = capsys.readouterr().err
    assert "column currdenom: '1O0' is not a number" in err and ", row " in err
