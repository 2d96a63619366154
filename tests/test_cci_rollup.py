"""CCI roll-ups: status arithmetic, cut points, change levels, colour grid and n-size rules."""

from __future__ import annotations

import pandas as pd
import pytest
from cci_fixtures import Sis, cohort

from sislab.cci import (district_status, group_status, load_rule_set, measure_counts, school_status,
                        student_results)

SPEC_GRID = {  # docs/cci.md, status level x change level (Declined Significantly .. Increased Significantly)
    "Very High": ["Yellow", "Green", "Blue", "Blue", "Blue"],
    "High": ["Orange", "Yellow", "Green", "Green", "Blue"],
    "Medium": ["Orange", "Orange", "Yellow", "Green", "Green"],
    "Low": ["Red", "Orange", "Orange", "Yellow", "Yellow"],
    "Very Low": ["Red", "Red", "Red", "Orange", "Yellow"],
}
CHANGES = ["Declined Significantly", "Declined", "Maintained", "Increased", "Increased Significantly"]


@pytest.fixture(scope="module")
def con():
    return Sis().con  # empty SIS tables; results below are given as DataFrames


def results(prepared: int, n: int, school_id: str = "1", approaching: int = 0, prefix: str = "s") -> pd.DataFrame:
    """Student results with `prepared` Prepared and `approaching` Approaching of `n`."""
    levels = ["Prepared"] * prepared + ["Approaching Prepared"] * approaching
    levels += ["Not Prepared"] * (n - len(levels))
    return pd.DataFrame({"student_id": [f"{prefix}{school_id}-{i}" for i in range(n)], "school_id": school_id,
                         "cohort_year": 2025, "level": levels, "counted": True, "rule_set": "2025"})


def status(con, prepared, n, prior=None, **kw) -> dict:
    prior_frame = None if prior is None else results(*prior, prefix="p")
    return school_status(con, results(prepared, n, **kw), prior_frame).iloc[0].to_dict()


def test_status_is_percent_prepared_to_one_decimal(con):
    assert status(con, 2, 30)["status"] == 6.7


def test_status_rounds_half_up(con):
    assert status(con, 1, 16)["status"] == 6.3  # 6.25; float round-half-even would give 6.2
    assert status(con, 13, 40)["status"] == 32.5


def test_approaching_does_not_count_in_status(con):
    row = status(con, 10, 40, approaching=20)
    assert (row["status"], row["approaching"]) == (25.0, 20)


@pytest.mark.parametrize("prepared, expected", [
    (700, "Very High"), (699, "High"), (550, "High"), (549, "Medium"),
    (350, "Medium"), (349, "Low"), (100, "Low"), (99, "Very Low"), (0, "Very Low"),
])
def test_status_cut_points(con, prepared, expected):
    assert status(con, prepared, 1000)["status_level"] == expected


def test_status_cut_point_69_9_is_high(con):
    assert status(con, 699, 1000)["status_level"] == "High"


@pytest.mark.parametrize("change, expected", [
    (90, "Increased Significantly"), (89, "Increased"), (20, "Increased"), (19, "Maintained"),
    (0, "Maintained"), (-19, "Maintained"), (-20, "Declined"), (-90, "Declined"),
    (-91, "Declined Significantly"),
])
def test_change_level_cut_points(con, change, expected):
    row = status(con, 500 + change, 1000, prior=(500, 1000))
    assert row["change"] == pytest.approx(change / 10)
    assert row["change_level"] == expected


def test_change_is_the_difference_of_rounded_statuses(con):
    row = status(con, 1, 16, prior=(1, 12))  # 6.3 - 8.3
    assert row["change"] == -2.0


@pytest.mark.parametrize("current, expected", [(60, "Increased"), (40, "Declined")])
def test_under_150_no_significant_change(con, current, expected):
    assert status(con, current, 100, prior=(50, 100))["change_level"] == expected


def test_150_uses_significant_change(con):
    assert status(con, 90, 150, prior=(75, 150))["change_level"] == "Increased Significantly"


@pytest.mark.parametrize("status_level, current", [
    ("Very High", 850), ("High", 620), ("Medium", 450), ("Low", 220), ("Very Low", 95)])
@pytest.mark.parametrize("change_index, delta", [(0, -100), (1, -50), (2, 0), (3, 50), (4, 100)])
def test_colour_grid(con, status_level, current, change_index, delta):
    row = status(con, current, 1000, prior=(current - delta, 1000))
    assert (row["status_level"], row["change_level"]) == (status_level, CHANGES[change_index])
    assert row["colour"] == SPEC_GRID[status_level][change_index]


def test_colour_not_shown_under_30(con):
    row = status(con, 10, 29, prior=(10, 40))
    assert row["colour"] is None and row["status"] == 34.5 and row["change"] is not None
    assert row["note"] == "fewer than 30 students: no colour"


def test_colour_needs_30_in_the_prior_year_too(con):
    row = status(con, 10, 40, prior=(10, 29))
    assert row["colour"] is None and row["change"] == -9.5
    assert row["note"] == "fewer than 30 students last year: no colour"


def test_colour_shown_at_30(con):
    assert status(con, 10, 30, prior=(10, 30))["colour"] == "Orange"


def test_status_shown_at_11_without_colour(con):
    row = status(con, 1, 11)
    assert (row["status"], row["colour"]) == (9.1, None)


def test_nothing_shown_under_11(con):
    row = status(con, 5, 10, prior=(5, 40))
    assert row["denominator"] == 10
    assert all(pd.isna(row[k]) for k in ("prepared", "status", "status_level", "change", "change_level", "colour"))
    assert row["note"] == "fewer than 11 students: not shown"


def test_no_prior_year_no_change_or_colour(con):
    row = status(con, 10, 40)
    assert row["change"] != row["change"] and row["colour"] is None  # NaN
    assert row["note"] == "no prior-year results: no change or colour"


def test_district_status_counts_all_schools(con):
    cur = pd.concat([results(20, 40, "1"), results(5, 40, "2")])
    row = district_status(con, cur).iloc[0]
    assert (row.denominator, row.prepared, row.status) == (80, 25, 31.3)


def test_rollup_cut_points_come_from_the_rule_set():
    rs = load_rule_set("2025").rollup_params()
    assert rs["status_floors"][:4] == [700, 550, 350, 100]
    assert rs["change_floors"][:4] == [90, 20, -19, -90]
    assert rs["colour_grid"] == [SPEC_GRID[s][::-1] for s in SPEC_GRID]


def _group_db(homeless: int, el: int) -> Sis:
    sis = Sis()
    cohort(sis, 5, homeless - 5, homeless=True, prefix="h")
    cohort(sis, 5, el - 5, el=True, prefix="e")
    cohort(sis, 5, homeless - 5, cohort_year=2024, homeless=True, prefix="ph")
    cohort(sis, 5, el - 5, cohort_year=2024, el=True, prefix="pe")
    return sis


def test_lea_homeless_foster_ltel_colour_at_15():
    sis = _group_db(homeless=15, el=15)
    cur, prior = student_results(sis.con, "2025"), student_results(sis.con, "2024")
    district = group_status(sis.con, cur, prior, by_school=False).set_index("student_group")
    assert district.loc["HOM", "colour"] == "Orange"  # 33.3 Low, Maintained
    assert pd.isna(district.loc["EL", "colour"])
    school = group_status(sis.con, cur, prior).set_index("student_group")
    assert pd.isna(school.loc["HOM", "colour"])


def test_group_status_ethnicity_hispanic_first_then_race_code():
    sis = Sis()
    cohort(sis, 6, 6, hispanic=True, race_code="700", prefix="h")
    cohort(sis, 3, 9, race_code="600", prefix="a")
    groups = group_status(sis.con, student_results(sis.con, "2025")).set_index("student_group")
    assert set(groups.index) == {"HI", "AA"}
    assert (groups.loc["HI", "status"], groups.loc["AA", "status"]) == (50.0, 25.0)


def test_fifth_year_prepared_graduate_raises_the_rate():
    sis = Sis()
    cohort(sis, 10, 20)
    sis.graduate("fifth", cohort_year=2024, completion_year=2025)
    sis.sbac("fifth", 3, 3)
    row = school_status(sis.con, student_results(sis.con, "2025")).iloc[0]
    assert (row.denominator, row.prepared, row.status) == (31, 11, 35.5)


def test_measure_counts_count_every_measure_met_and_the_best():
    sis = Sis()
    sis.graduate("a", ag_met=True)
    sis.sbac("a", 3, 3)
    sis.graduate("b", ag_met=True)
    counts = measure_counts(sis.con, student_results(sis.con, "2025")).set_index("measure")
    assert list(counts.index) == ["P2", "P6", "A2", "A4"]
    assert counts.loc["A4"].tolist() == ["1", 2, 1]
