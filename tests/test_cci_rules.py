"""CCI per-student rules: one test per measure and per boundary of docs/cci.md."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from datetime import date

from cci_fixtures import CLASS, SCHOOL, Sis

from sislab.cci import (UnknownRuleSet, load_rule_set, near_misses, potential, rule_set_names,
                        student_measures, student_results)


SENIOR_YEAR_DAY = date(CLASS, 10, 1)  # in school year CLASS + 1: its seniors are the class of CLASS + 1


@pytest.fixture
def sis():
    return Sis()


def result(sis: Sis, student_id: str, rule_set="2025", **kw) -> dict | None:
    rows = student_results(sis.con, rule_set, **kw).df()
    rows = rows[rows.student_id == student_id]
    return None if rows.empty else rows.iloc[0].to_dict()


def level(sis: Sis, student_id: str, rule_set="2025") -> str:
    return result(sis, student_id, rule_set)["level"]


def met(sis: Sis, student_id: str, rule_set="2025") -> list[str]:
    return list(result(sis, student_id, rule_set)["measures_met"])


def with_measure(rule_set, measure_id: str, **changes):
    """A copy of `rule_set` with one measure's parameters changed."""
    measures = {**rule_set.measures, measure_id: {**rule_set.measure(measure_id), **changes}}
    return dataclasses.replace(rule_set, data={**rule_set.data, "measures": measures})


# --- rule sets -------------------------------------------------------------------------------

def test_default_rule_set_is_newest():
    assert load_rule_set().name == rule_set_names()[-1] == "2025"


def test_rule_set_scores_its_class_and_names_its_source():
    for name, year in (("2024", 2024), ("2025", 2025)):
        rs = load_rule_set(name)
        assert rs.class_year == year
        assert f"{year} Dashboard College/Career Indicator Technical Guide" in rs.source


def test_unknown_rule_set_names_the_available_ones():
    with pytest.raises(UnknownRuleSet, match="2024, 2025"):
        load_rule_set("2019")


def test_result_records_its_rule_set(sis):
    sis.graduate("a")
    assert result(sis, "a")["rule_set"] == "2025"


# --- P1 / A1: CTE pathway ----------------------------------------------------------------------

def test_p1_cte_with_mixed_sbac_is_prepared(sis):
    sis.graduate("a")
    sis.cte("a")
    sis.sbac("a", ela=3, math=2)
    assert result(sis, "a")["best_measure"] == "P1"


def test_p1_cte_with_one_college_semester_is_prepared(sis):
    sis.graduate("a")
    sis.cte("a", pathway="HLT")
    sis.college("a", terms=1, pathway="ENG")
    assert "P1" in met(sis, "a")


def test_p1_capstone_exactly_c_minus_counts(sis):
    sis.graduate("a")
    sis.cte("a", capstone_mark="C-")
    assert "A1" in met(sis, "a")


def test_p1_capstone_d_plus_does_not_count(sis):
    sis.graduate("a")
    sis.cte("a", capstone_mark="D+")
    sis.sbac("a", ela=3, math=2)
    assert met(sis, "a") == ["A2"]


def test_p1_capstone_pass_does_not_count(sis):
    sis.graduate("a")
    sis.cte("a", capstone_mark="P")
    assert level(sis, "a") == "Not Prepared"


def test_p1_same_year_same_pathway_college_credit_does_not_count(sis):
    sis.graduate("a")
    sis.cte("a", pathway="HLT", school_year=CLASS)
    sis.college("a", terms=1, pathway="HLT", school_year=CLASS)
    r = result(sis, "a")
    assert r["level"] == "Approaching Prepared"
    assert list(r["measures_met"]) == ["A1", "A3"]
    assert "capstone's pathway and year" in r["missing"]


def test_p1_same_year_other_pathway_college_credit_counts(sis):
    sis.graduate("a")
    sis.cte("a", pathway="HLT", school_year=CLASS)
    sis.college("a", terms=1, pathway="ENG", school_year=CLASS)
    assert "P1" in met(sis, "a")


def test_p1_same_pathway_other_year_college_credit_counts(sis):
    sis.graduate("a")
    sis.cte("a", pathway="HLT", school_year=CLASS)
    sis.college("a", terms=1, pathway="HLT", school_year=CLASS - 1)
    assert "P1" in met(sis, "a")


def test_p1_counts_the_completion_whose_pathway_and_year_hold_the_least_college_credit(sis):
    # a's college semester is in the HLT completion's pathway and year, but not in the ENG one's:
    # with the ENG completion it counts. b's is in the pathway and year of its only completion.
    for student in ("a", "b"):
        sis.graduate(student)
        sis.cte(student, pathway="HLT", school_year=CLASS)
        sis.college(student, terms=1, pathway="HLT", school_year=CLASS)
    sis.cte("a", pathway="ENG", school_year=CLASS - 1)
    assert "P1" in met(sis, "a")
    assert "P1" not in met(sis, "b")


def test_a1_cte_completion_alone_is_approaching(sis):
    sis.graduate("a")
    sis.cte("a")
    r = result(sis, "a")
    assert (r["level"], list(r["measures_met"])) == ("Approaching Prepared", ["A1"])
    assert r["missing"].startswith("no SBAC score on file; CTE pathway completed; no grade-11 ELA score")


# --- P2 / A2: SBAC -----------------------------------------------------------------------------

def test_p2_sbac_both_level_3_is_prepared(sis):
    sis.graduate("a")
    sis.sbac("a", ela=3, math=4)
    assert met(sis, "a") == ["P2", "A2"]


def test_p2_ela_level_2_is_not_enough_and_says_so(sis):
    sis.graduate("a")
    sis.sbac("a", ela=2, math=3)
    r = result(sis, "a")
    assert r["level"] == "Approaching Prepared"
    assert "ELA level 2, needs 3 for P2" in r["missing"]


def test_a2_sbac_both_level_2_is_approaching(sis):
    sis.graduate("a")
    sis.sbac("a", ela=2, math=2)
    assert met(sis, "a") == ["A2"]


def test_a2_sbac_level_1_is_not_prepared(sis):
    sis.graduate("a")
    sis.sbac("a", ela=1, math=4)
    assert level(sis, "a") == "Not Prepared"


def test_sbac_counts_grade_11_scores_only(sis):
    sis.graduate("a")
    sis.sbac("a", ela=4, math=4, grade=10)
    assert level(sis, "a") == "Not Prepared"


# --- P3 / A3: college credit -------------------------------------------------------------------

def test_p3_two_college_semesters_is_prepared(sis):
    sis.graduate("a")
    sis.college("a", terms=2)
    assert met(sis, "a") == ["P3", "A3"]


def test_a3_one_college_semester_is_approaching_and_says_so(sis):
    sis.graduate("a")
    sis.college("a", terms=1)
    r = result(sis, "a")
    assert list(r["measures_met"]) == ["A3"]
    assert "one college semester, needs two for P3" in r["missing"]


@pytest.mark.parametrize("term_type, terms, expected", [
    ("quarter", 1, []), ("quarter", 2, ["A3"]), ("quarter", 3, ["P3", "A3"]),
    ("trimester", 1, []), ("trimester", 2, ["A3"]), ("trimester", 3, ["P3", "A3"]),
    ("year", 1, ["P3", "A3"]),
])
def test_college_credit_counts_terms_by_calendar(sis, term_type, terms, expected):
    sis.graduate("a")
    sis.college("a", terms=terms, term_type=term_type)
    assert met(sis, "a") == expected


def test_college_credit_mixed_calendar_counts_semester_equivalents_and_flags(sis):
    sis.graduate("a")
    sis.college("a", terms=1, term_type="semester")
    sis.college("a", terms=2, term_type="quarter")  # 1 + 4/3 semesters
    r = result(sis, "a")
    assert list(r["measures_met"]) == ["P3", "A3"]
    assert list(r["flags"]) == ["mixed_calendar"]


def test_college_credit_needs_c_minus(sis):
    sis.graduate("a")
    sis.college("a", terms=1, mark="D+")
    sis.college("a", terms=1, mark="C-", pathway="X")
    assert met(sis, "a") == ["A3"]


def test_college_credit_pass_counts(sis):
    sis.graduate("a")
    sis.college("a", terms=2, mark="P")
    assert "P3" in met(sis, "a")


def test_college_credit_needs_credit_awarded(sis):
    sis.graduate("a")
    sis.college("a", terms=2, college_credits=0)
    assert level(sis, "a") == "Not Prepared"


def test_high_school_credit_in_a_college_course_is_not_college_credit(sis):
    """A course coded as college that earned only high-school credit (credits_earned, no
    college_credits) gives no college credit."""
    sis.graduate("a")
    sis.college("a", terms=2, college_credits=None, credits_earned=10)
    sis.graduate("b")
    sis.college("b", terms=2, college_credits=3, credits_earned=0)
    assert (level(sis, "a"), level(sis, "b")) == ("Not Prepared", "Prepared")


def test_college_course_by_college_only_level_23(sis):
    sis.graduate("a")
    sis.college("a", terms=2, level="23")
    assert "P3" in met(sis, "a")


def test_college_course_by_state_course_code(sis):
    rs = load_rule_set("2025")
    rs = dataclasses.replace(rs, data={**rs.data, "college_credit": {**rs.data["college_credit"],
                                                                      "state_course_codes": ["9999"]}})
    sis.graduate("a")
    sis.course("CC", state_course_code="9999")
    sis.mark("a", "CC", college_credits=3)
    sis.mark("a", "CC", college_credits=3)
    assert "P3" in met(sis, "a", rs)


def test_regular_course_is_not_college_credit(sis):
    sis.graduate("a")
    sis.course("ENG", nonstandard_level="10")
    sis.mark("a", "ENG")
    sis.mark("a", "ENG")
    assert level(sis, "a") == "Not Prepared"


# --- P4 / P5: AP and IB ------------------------------------------------------------------------

def test_p4_two_ap_exams_score_3_is_prepared(sis):
    sis.graduate("a")
    sis.exam("a", "AP", "BIO", 3)
    sis.exam("a", "AP", "CHEM", 5)
    assert met(sis, "a") == ["P4"]


def test_p4_one_ap_exam_has_no_approaching_tier(sis):
    sis.graduate("a")
    sis.exam("a", "AP", "BIO", 5)
    r = result(sis, "a")
    assert r["level"] == "Not Prepared"
    assert "one AP exam ≥ 3" in r["missing"]


def test_p4_ap_exam_score_2_does_not_count(sis):
    sis.graduate("a")
    sis.exam("a", "AP", "BIO", 3)
    sis.exam("a", "AP", "CHEM", 2)
    assert level(sis, "a") == "Not Prepared"


def test_p4_same_ap_subject_twice_is_one_exam(sis):
    sis.graduate("a")
    sis.exam("a", "AP", "BIO", 3, school_year=CLASS - 1)
    sis.exam("a", "AP", "BIO", 4, school_year=CLASS)
    assert level(sis, "a") == "Not Prepared"


def test_p4_ap_courses_count_with_exams_in_2025_and_are_flagged_uncertain(sis):
    sis.graduate("a")
    sis.exam("a", "AP", "BIO", 3)
    sis.ap_course("a", "AP-US-HIST", "C-")
    r = result(sis, "a", "2025")
    assert (r["level"], list(r["flags"])) == ("Prepared", ["P4_AP_COURSES"])


def test_p4_counts_distinct_ap_courses_not_marks(sis):
    # an AP course over two terms is one course; two AP courses are two, wherever other courses sort
    sis.course("AP-BIO-LAB")  # not AP: sorts between the AP courses
    for student in ("a", "b"):
        sis.graduate(student)
    sis.ap_course("a", "AP-BIO")
    sis.ap_course("a", "AP-BIO")
    sis.ap_course("b", "AP-BIO")
    sis.ap_course("b", "AP-CHEM")
    sis.mark("b", "AP-BIO-LAB", "A")
    assert level(sis, "a") == "Not Prepared"
    assert "one AP" in result(sis, "a")["missing"]
    assert (level(sis, "b"), met(sis, "b")) == ("Prepared", ["P4"])


def test_distinct_ap_courses_and_exam_subjects_count_past_64_values(sis):
    # distinct values are counted as bits, 64 to a word: the 1st and the 65th value share a bit
    # position in different words and are two values, the same value twice is one
    for i in range(70):
        sis.course(f"AP-{i:03d}", ap=True)
    sis.graduate("other")
    for i in range(70):
        sis.exam("other", "AP", f"S{i:03d}", 1)  # every subject is on file; these exams count for no one
    for student in ("courses", "course_twice", "exams", "exam_twice"):
        sis.graduate(student)
    sis.ap_course("courses", "AP-000")
    sis.ap_course("courses", "AP-064")
    sis.ap_course("course_twice", "AP-064")
    sis.ap_course("course_twice", "AP-064")
    sis.exam("exams", "AP", "S000", 3)
    sis.exam("exams", "AP", "S064", 3)
    sis.exam("exam_twice", "AP", "S064", 3)
    sis.exam("exam_twice", "AP", "S064", 4, school_year=CLASS - 1)
    assert [met(sis, s) for s in ("courses", "course_twice", "exams", "exam_twice")] == [["P4"], [], ["P4"], []]
    assert "one AP course" in result(sis, "course_twice")["missing"]
    assert "one AP exam" in result(sis, "exam_twice")["missing"]


def test_p4_ap_courses_do_not_count_in_2024(sis):
    sis.graduate("a", cohort_year=2024)
    sis.exam("a", "AP", "BIO", 3, school_year=2024)
    sis.mark("a", sis.course("AP-US-HIST", ap=True), "A", school_year=2024)
    assert level(sis, "a", "2024") == "Not Prepared"


def test_p4_ap_course_below_c_minus_does_not_count(sis):
    sis.graduate("a")
    sis.exam("a", "AP", "BIO", 3)
    sis.ap_course("a", "AP-US-HIST", "D")
    assert level(sis, "a") == "Not Prepared"


def test_a8_ap_course_approaching_is_off_by_default(sis):
    sis.graduate("a")
    sis.ap_course("a")
    assert level(sis, "a") == "Not Prepared"
    on = with_measure(load_rule_set("2025"), "A8", enabled=True)
    assert result(sis, "a", on)["flags"].tolist() == ["A8"]


def test_p5_two_ib_exams_score_4_is_prepared(sis):
    sis.graduate("a")
    sis.exam("a", "IB", "BIO", 4)
    sis.exam("a", "IB", "HIST", 7)
    assert met(sis, "a") == ["P5"]


def test_p5_ib_exam_score_3_does_not_count(sis):
    sis.graduate("a")
    sis.exam("a", "IB", "BIO", 4)
    sis.exam("a", "IB", "HIST", 3)
    assert level(sis, "a") == "Not Prepared"


def test_p5_one_ib_exam_has_no_approaching_tier(sis):
    sis.graduate("a")
    sis.exam("a", "IB", "BIO", 6)
    assert level(sis, "a") == "Not Prepared"


def test_ap_and_ib_exams_in_one_subject_count_once_each(sis):
    # exam subjects are counted per test: AP and IB biology are one AP and one IB exam, and an
    # IB exam does not make a second AP exam
    for student in ("a", "b", "c"):
        sis.graduate(student)
    sis.exam("a", "AP", "BIO", 3)
    sis.exam("a", "IB", "BIO", 4)
    sis.exam("b", "AP", "BIO", 3)
    sis.exam("b", "IB", "BIO", 4)
    sis.exam("b", "AP", "CHEM", 4)
    sis.exam("b", "IB", "HIST", 5)
    sis.exam("c", "AP", "BIO", 3)
    sis.exam("c", "IB", "HIST", 5)
    for student in ("a", "c"):
        assert level(sis, student) == "Not Prepared"
        assert "one AP exam ≥ 3" in result(sis, student)["missing"]
    assert met(sis, "b") == ["P4", "P5"]


# --- P6 / A4: a-g ------------------------------------------------------------------------------

@pytest.mark.parametrize("plus", ["cte", "mixed_sbac", "college_semester", "one_ap_exam", "one_ib_exam"])
def test_p6_ag_plus(sis, plus):
    sis.graduate("a", ag_met=True)
    {"cte": lambda: sis.cte("a"),
     "mixed_sbac": lambda: sis.sbac("a", ela=2, math=3),
     "college_semester": lambda: sis.college("a", terms=1),
     "one_ap_exam": lambda: sis.exam("a", "AP", "BIO", 3),
     "one_ib_exam": lambda: sis.exam("a", "IB", "BIO", 4)}[plus]()
    assert "P6" in met(sis, "a")


def test_a4_ag_alone_is_approaching(sis):
    sis.graduate("a", ag_met=True)
    r = result(sis, "a")
    assert list(r["measures_met"]) == ["A4"]
    assert r["missing"].startswith("no SBAC score on file; a-g met; needs one of")


# --- P7 seal, P8 / A5 leadership, P9 pre-apprenticeship -----------------------------------------

def test_p7_seal_with_ela_3_is_prepared(sis):
    sis.graduate("a")
    sis.award("a", "SEAL_OF_BILITERACY")
    sis.sbac("a", ela=3, math=1)
    assert met(sis, "a") == ["P7"]


def test_p7_seal_alone_has_no_approaching_tier(sis):
    sis.graduate("a")
    sis.award("a", "SEAL_OF_BILITERACY")
    sis.sbac("a", ela=2, math=1)
    r = result(sis, "a")
    assert r["level"] == "Not Prepared"
    assert r["missing"] == "State Seal of Biliteracy; ELA level 2, needs 3 for P7"


def test_p8_two_years_leadership_with_mixed_sbac_is_prepared(sis):
    sis.graduate("a")
    sis.award("a", "LEADERSHIP_MILITARY_SCIENCE", years=2)
    sis.sbac("a", ela=2, math=3)
    assert met(sis, "a") == ["P8", "A2", "A5"]


def test_a5_two_years_leadership_alone_is_approaching(sis):
    sis.graduate("a")
    sis.award("a", "LEADERSHIP_MILITARY_SCIENCE", school_year=CLASS - 1)
    sis.award("a", "LEADERSHIP_MILITARY_SCIENCE", school_year=CLASS)
    assert met(sis, "a") == ["A5"]


def test_a5_one_year_leadership_is_not_enough(sis):
    sis.graduate("a")
    sis.award("a", "LEADERSHIP_MILITARY_SCIENCE", years=1)
    assert level(sis, "a") == "Not Prepared"


def test_p9_registered_pre_apprenticeship_is_prepared(sis):
    sis.graduate("a")
    sis.wbl("a", "25")
    assert met(sis, "a") == ["P9"]


# --- P10 / P11 / A6 / A7: unpublished or uncertain ----------------------------------------------

def test_p10_and_p11_are_off_by_default(sis):
    sis.graduate("a", swd=True)
    for wbl_type in ("35", "60", "65"):
        sis.wbl("a", wbl_type)
    assert met(sis, "a") == ["A6", "A7"]


def test_p11_when_enabled_needs_both_awards_and_is_flagged(sis):
    on = with_measure(load_rule_set("2025"), "P11", enabled=True)
    sis.graduate("a")
    sis.wbl("a", "65")
    sis.wbl("a", "60")
    sis.graduate("b")
    sis.wbl("b", "65")
    assert (result(sis, "a", on)["level"], list(result(sis, "a", on)["flags"])) == ("Prepared", ["P11"])
    assert result(sis, "b", on)["missing"] == "no SBAC score on file; no Transition Work-Based Experience for P11"
    sis.graduate("none")  # no work-based learning on file: both are missing
    p11 = student_measures(sis.con, on).query("student_id == 'none' and measure == 'P11'").iloc[0]
    assert (p11["gap"], p11["missing"]) == (2, "no Transition Work-Based Experience or Transition Classroom-Based Work Exploration for P11")


def test_a9_one_of_p11s_work_based_learning_types_is_approaching_when_switched_on(sis):
    """The spec's likely reading of P11: both transition types Prepared, one of them
    Approaching (A9); a rule-set parameter, off by default, flagged uncertain when it decides."""
    on = with_measure(with_measure(load_rule_set("2025"), "P11", enabled=True), "A9", enabled=True)
    sis.graduate("one")
    sis.wbl("one", "65")
    sis.graduate("both")
    sis.wbl("both", "65")
    sis.wbl("both", "60")
    sis.graduate("other")
    sis.wbl("other", "35")  # a job program (A6): not one of P11's types
    assert "A9" in load_rule_set("2025").data["uncertain"] and "A9" not in load_rule_set("2025").enabled()
    assert level(sis, "one") == "Not Prepared"
    r = result(sis, "one", on)
    assert (r["level"], list(r["measures_met"]), list(r["flags"])) == ("Approaching Prepared", ["A9"], ["A9"])
    assert r["missing"] == "no SBAC score on file; no Transition Work-Based Experience for P11"
    assert list(result(sis, "both", on)["measures_met"]) == ["P11", "A9"]
    assert "A9" not in list(result(sis, "other", on)["measures_met"])
    a9 = student_measures(sis.con, on).query("student_id == 'other' and measure == 'A9'").iloc[0]
    assert a9["missing"] == "no Transition Work-Based Experience or Transition Classroom-Based Work Exploration for A9"


def test_a6_job_program_is_approaching_and_flagged_uncertain(sis):
    sis.graduate("a")
    sis.wbl("a", "35")
    r = result(sis, "a")
    assert (r["level"], list(r["flags"])) == ("Approaching Prepared", ["A6"])


def test_uncertain_flag_only_when_the_uncertain_rule_decides(sis):
    sis.graduate("a")
    sis.wbl("a", "35")
    sis.cte("a")
    assert list(result(sis, "a")["flags"]) == []


def test_a6_rocp_counts_in_2024_not_in_2025(sis):
    sis.graduate("a", cohort_year=2024)
    sis.award("a", "ROCP", school_year=2024)
    sis.graduate("b")
    sis.award("b", "ROCP")
    assert level(sis, "a", "2024") == "Approaching Prepared"
    assert level(sis, "b", "2025") == "Not Prepared"


def test_a7_transition_and_work_based_learning_for_iep_student(sis):
    sis.graduate("a", swd=True)
    sis.wbl("a", "65")
    sis.wbl("a", "60")
    r = result(sis, "a")
    assert (r["level"], list(r["flags"])) == ("Approaching Prepared", ["A7"])


def test_a7_needs_an_iep(sis):
    sis.graduate("a", swd=False)
    sis.wbl("a", "65")
    sis.wbl("a", "60")
    assert level(sis, "a") == "Not Prepared"


def test_a7_alternative_diploma_counts_in_2025_not_in_2024(sis):
    sis.graduate("a", outcome="alternative_diploma")
    sis.graduate("b", cohort_year=2024, outcome="alternative_diploma")
    for sid, year in (("a", 2025), ("b", 2024)):
        sis.wbl(sid, "65", school_year=year)
        sis.wbl(sid, "60", school_year=year)
    assert level(sis, "a", "2025") == "Approaching Prepared"
    assert level(sis, "b", "2024") == "Not Prepared"


# --- who is counted -----------------------------------------------------------------------------

def test_non_graduate_is_counted_as_not_prepared(sis):
    sis.graduate("a", outcome="dropout")
    sis.sbac("a", ela=4, math=4)
    r = result(sis, "a")
    assert (r["level"], list(r["measures_met"])) == ("Not Prepared", [])
    assert r["missing"] == "no regular high-school diploma (dropout)"


def test_only_a_regular_diploma_lets_a_measure_count(sis):
    sis.graduate("a", outcome="other_completer")
    sis.college("a", terms=2)
    assert level(sis, "a") == "Not Prepared"


def test_fifth_year_graduate_counted_only_when_prepared(sis):
    sis.graduate("prep", cohort_year=CLASS - 1, completion_year=CLASS)
    sis.sbac("prep", ela=3, math=3)
    sis.graduate("near", cohort_year=CLASS - 1, completion_year=CLASS)
    sis.sbac("near", ela=2, math=2)
    r = student_results(sis.con, "2025").df().set_index("student_id")
    assert r.counted.to_dict() == {"prep": True, "near": False}
    assert bool(r.loc["prep", "fifth_year"]) and bool(r.loc["near", "fifth_year"])


def test_fifth_year_graduate_not_prepared_is_listed_as_counted_out_with_the_reason(sis):
    """Issue 16, defect 2: listed (not dropped), counted = false, the reason in `missing`, and
    left out of status and measure counts."""
    from sislab.cci import measure_counts, school_status

    sis.graduate("near", cohort_year=CLASS - 1, completion_year=CLASS)
    sis.sbac("near", ela=2, math=2)
    sis.graduate("four")
    sis.sbac("four", ela=3, math=3)
    results = student_results(sis.con, "2025")
    r = results.df().set_index("student_id")
    assert (r.loc["near", "level"], bool(r.loc["near", "counted"])) == ("Approaching Prepared", False)
    assert r.loc["near", "missing"].startswith("fifth-year graduate not Prepared, so not counted; ")
    status = school_status(sis.con, results, None, "2025").iloc[0]
    assert status.denominator == 1  # "four" only
    assert measure_counts(sis.con, results, "2025").set_index("measure").students_met.to_dict() == {"P2": 1, "A2": 1}


def test_a_student_in_the_class_is_not_also_added_as_a_fifth_year_graduate(sis):
    """A previous cohort's late graduate who is in this class's cohort too is scored once, as a
    member of the class (at the school the class's cohort names), for the class run and in a mass
    update's classes scored together."""
    from sislab.cci import engine

    sis.graduate("both", cohort_year=CLASS - 1, completion_year=CLASS, school_id="2")
    sis.insert("cohort", student_id="both", cohort_year=CLASS, school_id=SCHOOL, outcome="regular_diploma",
               completion_year=CLASS)
    sis.sbac("both", ela=3, math=3)
    rows = student_results(sis.con, "2025").df()
    assert rows[["student_id", "school_id", "fifth_year"]].values.tolist() == [["both", SCHOOL, False]]
    rules = load_rule_set("2025")
    together = engine.score_classes(sis.con, [engine.Scoring(rules, CLASS), engine.Scoring(rules, CLASS + 2, True)])
    assert together[0].results.df()[["student_id", "fifth_year"]].values.tolist() == [["both", False]]


def test_fifth_year_non_graduate_is_not_counted(sis):
    sis.graduate("a", cohort_year=CLASS - 1, outcome="still_enrolled", completion_year=None)
    sis.sbac("a", ela=3, math=3)
    assert result(sis, "a") is None


def test_four_year_graduate_of_prior_class_is_not_counted(sis):
    sis.graduate("a", cohort_year=CLASS - 1)
    sis.sbac("a", ela=3, math=3)
    assert result(sis, "a") is None


def test_alternative_school_uses_the_same_cohort(sis):
    sis.insert("school", school_id="9", name="Alt", school_type="ALT", low_grade=9, high_grade=12)
    sis._schools.add("9")
    sis.graduate("a", school_id="9")
    assert result(sis, "a")["school_id"] == "9"


def test_schools_are_a_bound_filter(sis):
    sis.graduate("a", school_id="1")
    sis.graduate("b", school_id="2")
    assert list(student_results(sis.con, "2025", schools=["2"]).df().student_id) == ["b"]
    assert student_results(sis.con, "2025", schools=["1' OR '1'='1"]).df().empty


def test_inputs_read_for_the_population_only_give_what_whole_tables_give(sample_ws, monkeypatch):
    """When the population is a small share of the cohort (a school; one class of several) the
    engine reads only its marks, scores, awards and CTE completions (engine.SCOPED_INPUTS);
    every result must be what whole tables give, for the district and for each school."""
    from sislab.cci import engine
    from sislab.core import store

    def rows(frame):
        text = frame.astype(str)
        return text.sort_values(list(text.columns)).reset_index(drop=True)

    def run(compute, share, *args):
        monkeypatch.setattr(engine, "SCOPE_SHARE", share)  # -1: whole tables; 1: the population's rows
        result = compute(con, "2025", *args)
        return rows(result if isinstance(result, pd.DataFrame) else result.df())

    with store.snapshot(sample_ws) as con:
        for compute in (student_results, potential, near_misses):
            district = run(compute, -1.0)
            assert district.level.nunique() >= 2 and district.missing.notna().any()  # evidence of all kinds
            assert run(compute, 1.0).equals(district), compute.__name__
            for school in sorted(district.school_id.unique()):
                one = run(compute, 1.0, [school])
                assert one.equals(district[district.school_id == school].reset_index(drop=True)), (compute.__name__, school)


def test_evidence_after_the_class_year_is_ignored(sis):
    sis.graduate("a")
    sis.college("a", terms=2, school_year=CLASS + 1)
    assert level(sis, "a") == "Not Prepared"


def test_classes_scored_together_read_each_students_evidence_up_to_their_own_class_year(sis):
    """The mass update scores the class, its seniors and the prior class from one reading of the
    evidence: each student's evidence still ends with the school year of their own class."""
    from sislab.cci import engine

    for student, cohort_year in (("a", CLASS), ("b", CLASS), ("p", CLASS - 1), ("s", CLASS + 1)):
        sis.graduate(student, cohort_year=cohort_year)
        sis.college(student, terms=2, school_year=cohort_year + (0 if student in "bs" else 1))
        sis.exam(student, "AP", "BIO", 3, school_year=cohort_year)
        sis.exam(student, "AP", "CHEM", 3, school_year=cohort_year + 1)
        sis.sbac(student, ela=2, math=3, school_year=cohort_year + 1)
    rules = load_rule_set("2025")
    scorings = [engine.Scoring(rules, CLASS), engine.Scoring(rules, CLASS + 1, seniors=True, near_misses=True),
                engine.Scoring(load_rule_set("2024"), CLASS - 1)]
    together = engine.score_classes(sis.con, scorings)
    levels = [dict(scored.results.df()[["student_id", "level"]].values) for scored in together]
    assert levels == [{"a": "Not Prepared", "b": "Prepared"}, {"s": "Prepared"}, {"p": "Not Prepared"}]
    for scoring, scored in zip(scorings, together):
        [alone] = engine.score_classes(sis.con, [scoring])
        assert scored.results.df().sort_values("student_id").reset_index(drop=True).equals(
            alone.results.df().sort_values("student_id").reset_index(drop=True)), scoring
        assert (scored.near_misses is None) == (alone.near_misses is None)
        if scored.near_misses is not None:
            assert scored.near_misses.df().equals(alone.near_misses.df()), scoring
    [levels] = engine.score_classes(sis.con, [dataclasses.replace(scorings[0], levels_only=True)])
    full, levels = (scored.results.df().set_index("student_id").sort_index() for scored in (together[0], levels))
    assert list(levels.columns) == ["school_id", "cohort_year", "fifth_year", "outcome", "level", "counted", "rule_set"]
    assert levels.equals(full[levels.columns])


def test_every_measure_met_is_recorded(sis):
    sis.graduate("a", ag_met=True)
    sis.sbac("a", ela=3, math=3)
    sis.college("a", terms=2)
    assert met(sis, "a") == ["P2", "P3", "P6", "A2", "A3", "A4"]


# --- what is missing, near misses, potential ----------------------------------------------------

def test_missing_names_only_the_nearest_measures(sis):
    sis.graduate("a")
    sis.college("a", terms=1)  # P3 one away; P6 needs a-g (one away too)
    sis.exam("a", "IB", "BIO", 4)  # P5 one away
    assert result(sis, "a")["missing"] == ("no SBAC score on file; "
        "one college semester, needs two for P3; one IB exam ≥ 4, needs two for P5; a-g not met for P6")


def test_every_measure_not_met_has_its_missing_evidence(sis):
    sis.graduate("a")
    rows = student_measures(sis.con, "2025").set_index("measure")
    assert list(rows.index) == load_rule_set("2025").enabled()
    assert rows.missing.notna().all()
    assert rows.loc["P9", "missing"] == "no registered pre-apprenticeship for P9"


def test_near_miss_lists_seniors_one_requirement_away_grouped_by_requirement(sis):
    sis.school_year(CLASS + 1)
    sis.graduate("one", cohort_year=CLASS + 1, outcome="still_enrolled", completion_year=None)
    sis.sbac("one", ela=3, school_year=CLASS)  # math not tested yet: still open
    sis.graduate("two", cohort_year=CLASS + 1, outcome="still_enrolled", completion_year=None)
    sis.sbac("two", ela=2, math=2, school_year=CLASS)
    sis.graduate("done", cohort_year=CLASS + 1, outcome="still_enrolled", completion_year=None)
    sis.sbac("done", ela=3, math=3, school_year=CLASS)
    misses = near_misses(sis.con, "2025", today=SENIOR_YEAR_DAY)
    assert set(misses.student_id) == {"one"}
    p2 = misses[misses.measure == "P2"].iloc[0]
    assert (p2.requirement, p2.missing) == ("SBAC math level 3", "no grade-11 math score, needs 3 for P2")
    assert list(misses.requirement) == sorted(misses.requirement)


def test_near_miss_of_seniors_leaves_out_sbac_gaps_once_tested_in_grade_11(sis):
    """Issue 16, defect 4: a grade-11 level is final; only a college semester can still close P1."""
    sis.school_year(CLASS + 1)
    sis.graduate("tested", cohort_year=CLASS + 1, outcome="still_enrolled", completion_year=None)
    sis.sbac("tested", ela=3, math=2, school_year=CLASS)  # P2 needs math 3: no longer possible
    sis.award("tested", "SEAL_OF_BILITERACY", school_year=CLASS)
    sis.graduate("lms", cohort_year=CLASS + 1, outcome="still_enrolled", completion_year=None)
    sis.sbac("lms", ela=2, math=1, school_year=CLASS)  # mixed SBAC impossible
    sis.award("lms", "LEADERSHIP_MILITARY_SCIENCE", school_year=CLASS, years=2)
    sis.graduate("cte", cohort_year=CLASS + 1, outcome="still_enrolled", completion_year=None)
    sis.sbac("cte", ela=1, math=1, school_year=CLASS)
    sis.cte("cte", school_year=CLASS)
    misses = near_misses(sis.con, "2025", today=SENIOR_YEAR_DAY)
    assert not misses.requirement.str.contains("SBAC").any(), misses
    assert set(misses.student_id) == {"cte"}
    assert misses.set_index("measure").loc["P1", "requirement"] == "one college semester"
    graduates = near_misses(sis.con, "2025", seniors=False)  # the graduated class: unchanged
    assert graduates.empty


def test_near_miss_of_scored_class_leaves_out_non_graduates(sis):
    sis.graduate("grad")
    sis.college("grad", terms=1)
    sis.graduate("drop", outcome="dropout")
    sis.college("drop", terms=1)
    assert set(near_misses(sis.con, "2025", seniors=False).student_id) == {"grad"}


def test_potential_treats_seniors_as_graduating_now(sis):
    sis.school_year(CLASS + 1)
    sis.graduate("senior", cohort_year=CLASS + 1, outcome="still_enrolled", completion_year=None)
    sis.sbac("senior", ela=3, math=3, school_year=CLASS)
    sis.graduate("graduate")
    r = potential(sis.con, "2025", today=SENIOR_YEAR_DAY).df()
    assert list(r.student_id) == ["senior"]
    assert r.iloc[0].level == "Prepared"



def test_potential_leaves_out_the_class_before_even_its_fifth_year_graduates(sis):
    """Seniors are the cohort of their year only: a late diploma of the class before (a
    fifth-year graduate when the seniors' class is scored as graduates) is not a senior."""
    sis.school_year(CLASS + 1)
    sis.graduate("senior", cohort_year=CLASS + 1, outcome="still_enrolled", completion_year=None)
    sis.graduate("late", cohort_year=CLASS, completion_year=CLASS + 1, outcome_date=f"{CLASS}-12-20")
    for sid in ("senior", "late"):
        sis.sbac(sid, ela=3, math=3, school_year=CLASS)
    assert list(potential(sis.con, "2025", today=SENIOR_YEAR_DAY).df().student_id) == ["senior"]
    next_year = dataclasses.replace(load_rule_set("2025"), class_year=CLASS + 1)
    rows = student_results(sis.con, next_year).df().set_index("student_id")
    assert bool(rows.loc["late", "fifth_year"]) and not rows.loc["senior", "fifth_year"]

# --- issue 16: to the letter -----------------------------------------------------------------------

def test_diploma_after_15_august_is_not_a_four_year_diploma(sis):
    """Defect 1: class 2025, diploma in 2026 is Not Prepared in the class-of-2025 run (in the
    denominator) and a fifth-year graduate in the class-of-2026 run."""
    sis.graduate("late", cohort_year=2025, completion_year=2026)
    sis.sbac("late", ela=3, math=3, school_year=2024)
    r = result(sis, "late", "2025")
    assert (r["level"], bool(r["counted"]), r["measures_met"].tolist()) == ("Not Prepared", True, [])
    assert r["missing"].startswith("diploma after 15 August 2025, outside the four-year window")
    next_year = dataclasses.replace(load_rule_set("2025"), class_year=2026)
    r = result(sis, "late", next_year)
    assert (r["level"], bool(r["fifth_year"]), bool(r["counted"])) == ("Prepared", True, True)


def test_the_outcome_date_decides_the_four_year_window(sis):
    """A summer diploma on or before 15 August is four-year, even when its completion year is
    the next school year; one day later it is fifth-year."""
    sis.graduate("summer", completion_year=CLASS + 1, outcome_date=f"{CLASS}-08-15")
    sis.graduate("after", completion_year=CLASS, outcome_date=f"{CLASS}-08-16")
    for sid in ("summer", "after"):
        sis.sbac(sid, ela=3, math=3)
    assert level(sis, "summer") == "Prepared"
    assert level(sis, "after") == "Not Prepared"
    next_year = dataclasses.replace(load_rule_set("2025"), class_year=CLASS + 1)
    rows = student_results(sis.con, next_year).df().set_index("student_id")
    assert list(rows.index) == ["after"] and bool(rows.loc["after", "fifth_year"])


def test_student_measures_shows_no_missing_words_on_measures_met(sis):
    """Defect 3: A4 met shows no "a-g not met", A2 met no "need 2"."""
    sis.graduate("a", ag_met=True)
    sis.sbac("a", ela=2, math=2)
    rows = student_measures(sis.con, "2025").set_index("measure")
    met_rows = rows[rows.met]
    assert set(met_rows.index) == {"A2", "A4"}
    assert met_rows.missing.isna().all() and met_rows.requirement.isna().all()
    assert rows.loc["P2", "missing"] == "ELA level 2 and math level 2, need 3 for P2"


@pytest.mark.parametrize("term_type, terms, words", [
    ("quarter", 2, "two college quarters, needs three for P3"),
    ("trimester", 1, "one college trimester, needs three for P3"),
    ("semester", 1, "one college semester, needs two for P3"),
])
def test_college_terms_are_said_in_the_calendars_own_units(sis, term_type, terms, words):
    """Defect 5: two quarters are "two college quarters", not "1.3 college semesters"."""
    sis.graduate("a")
    sis.sbac("a", ela=1, math=1)
    sis.college("a", terms=terms, term_type=term_type)
    assert words in result(sis, "a")["missing"]


def test_mixed_calendars_are_said_in_semester_equivalents(sis):
    sis.graduate("a")
    sis.sbac("a", ela=1, math=1)
    sis.college("a", terms=1, term_type="semester")
    sis.college("a", terms=1, term_type="quarter")
    assert "1.7 college semester equivalents (mixed calendars), needs two for P3" in result(sis, "a")["missing"]


def test_missing_says_no_sbac_score_is_on_file(sis):
    """Defect 6: without any grade-11 score the missing words say so first; with one, not."""
    sis.graduate("none", ag_met=True)
    sis.graduate("some", ag_met=True)
    sis.sbac("some", ela=1)
    assert result(sis, "none")["missing"].startswith("no SBAC score on file; a-g met")
    assert "no SBAC score on file" not in result(sis, "some")["missing"]


def test_senior_class_is_the_school_year_under_way_and_says_why(sis):
    """Defect 7: the class scored is the current one, named with the reason."""
    from sislab.cci.engine import senior_class

    sis.school_year(CLASS)
    sis.school_year(CLASS + 1)
    seniors = senior_class(sis.con, today=date(CLASS, 3, 1))
    assert seniors.year == CLASS
    assert seniors.reason == (f"class of {CLASS}: the seniors of {CLASS - 1}-{CLASS % 100}, the school year under way "
                              f"on {CLASS}-03-01 (regular calendars {CLASS - 1}-08-12 to {CLASS}-06-05)")
    summer = senior_class(sis.con, today=date(CLASS, 7, 1))  # between school years: the next one
    assert summer.year == CLASS + 1 and f"starting {CLASS}-08-12" in summer.reason


def test_potential_refuses_when_no_school_year_is_current(sis):
    """Defect 7: a snapshot whose newest calendar has ended has no seniors; it is not re-scored."""
    from sislab.cci.engine import NoCurrentClass

    sis.school_year(CLASS)
    sis.graduate("graduate")
    with pytest.raises(NoCurrentClass, match=rf"newest regular calendar \({CLASS - 1}-{CLASS % 100}\) ended on {CLASS}-06-05"):
        potential(sis.con, "2025", today=date(CLASS, 9, 1))
    with pytest.raises(NoCurrentClass, match="no regular calendar is loaded"):
        near_misses(Sis().con, "2025", today=date(CLASS, 9, 1))


def test_internship_is_not_transition_work_based_experience(sis):
    """CALPADS WBL types: an internship (10) does not stand in for a transition work-based
    experience (60) in A7."""
    sis.graduate("intern", swd=True)
    sis.wbl("intern", "10")
    sis.wbl("intern", "65")
    sis.graduate("transition", swd=True)
    sis.wbl("transition", "60")
    sis.wbl("transition", "65")
    assert level(sis, "intern") == "Not Prepared"
    assert level(sis, "transition") == "Approaching Prepared"


def test_jrotc_courses_count_as_years_of_leadership_military_science(sis):
    sis.graduate("two")
    sis.sbac("two", ela=3, math=2)
    course = sis.course("JROTC", jrotc=True)
    sis.mark("two", course, school_year=CLASS - 1)
    sis.mark("two", course, school_year=CLASS)
    sis.graduate("one")
    sis.mark("one", course, school_year=CLASS)
    sis.mark("one", course, school_year=CLASS)  # two terms of one year: one year
    assert "P8" in met(sis, "two")
    assert level(sis, "one") == "Not Prepared"
    assert "one year of leadership / military science, needs two" in result(sis, "one")["missing"]


def test_leadership_years_from_awards_and_jrotc_courses_add_up_as_distinct_school_years(sis):
    """Audit e5: an award year and a JROTC course year are two years, not the greater of one
    and one; a school year in both counts once; an award's `years` are the school years up to
    the one listed (checked against a rule set needing three years)."""
    three = load_rule_set("2025")
    three = dataclasses.replace(three, data={**three.data, "leadership_military_science": {
        **three.data["leadership_military_science"], "years": 3}})
    course = sis.course("JROTC", jrotc=True)
    sis.graduate("award_and_course")
    sis.award("award_and_course", "LEADERSHIP_MILITARY_SCIENCE", school_year=CLASS - 1)
    sis.mark("award_and_course", course, school_year=CLASS)
    sis.graduate("same_year")
    sis.award("same_year", "LEADERSHIP_MILITARY_SCIENCE", school_year=CLASS)
    sis.mark("same_year", course, school_year=CLASS)
    sis.graduate("within_recorded")
    sis.award("within_recorded", "LEADERSHIP_MILITARY_SCIENCE", school_year=CLASS, years=2)
    sis.mark("within_recorded", course, school_year=CLASS - 1)  # one of the two years recorded
    sis.graduate("before_recorded")
    sis.award("before_recorded", "LEADERSHIP_MILITARY_SCIENCE", school_year=CLASS, years=2)
    sis.mark("before_recorded", course, school_year=CLASS - 2)
    sis.graduate("zero_years")  # an award row recording no years of participation adds none
    sis.award("zero_years", "LEADERSHIP_MILITARY_SCIENCE", school_year=CLASS, years=0)
    sis.mark("zero_years", course, school_year=CLASS - 1)
    assert met(sis, "award_and_course") == ["A5"]
    assert "one year of leadership / military science, needs two" in result(sis, "same_year")["missing"]
    assert "one year of leadership / military science, needs two" in result(sis, "zero_years")["missing"]
    assert "two years of leadership / military science, needs three" in result(sis, "within_recorded", three)["missing"]
    assert met(sis, "before_recorded", three) == ["A5"]


def test_jrotc_by_state_course_code_of_the_rule_set(sis):
    rs = load_rule_set("2025")
    rs = dataclasses.replace(rs, data={**rs.data, "leadership_military_science": {
        **rs.data["leadership_military_science"], "state_course_codes": ["8888"]}})
    sis.graduate("a")
    sis.course("LET", state_course_code="8888")
    sis.mark("a", "LET", school_year=CLASS - 1)
    sis.mark("a", "LET", school_year=CLASS)
    assert met(sis, "a", rs) == ["A5"]
    assert met(sis, "a") == []


def test_sample_scenarios_show_the_new_fields_in_use(sample_ws):
    """The committed sample: outcome dates, college credit awarded, WBL types, JROTC courses and
    ever-EL each decide a scenario student as data/sample/README.md says."""
    from sislab.cci import group_status
    from sislab.core import store
    from sislab.sample import SCENARIOS

    with store.snapshot(sample_ws) as con:
        results = student_results(con, "2025")
        rows = results.df().set_index("student_id")
        expected = {"SUMMER_DIPLOMA_IN_WINDOW": ("Prepared", ["P2", "A2"]),
                    "DIPLOMA_AFTER_WINDOW": ("Not Prepared", []),
                    "FIFTH_YEAR_GRADUATE_PREPARED": ("Not Prepared", []),
                    "COLLEGE_COURSE_HS_CREDIT_ONLY": ("Not Prepared", []),
                    "JROTC_TWO_YEARS_MIXED_SBAC": ("Prepared", ["P8", "A2", "A5"]),
                    "INTERNSHIP_ONLY": ("Not Prepared", []),
                    "A7_TRANSITION_CLASSROOM_IEP": ("Approaching Prepared", ["A7"])}
        for case, (level_, measures) in expected.items():
            row = rows.loc[SCENARIOS[case]]
            assert (row.level, list(row.measures_met)) == (level_, measures), case
        assert rows.loc[SCENARIOS["DIPLOMA_AFTER_WINDOW"], "missing"].startswith("diploma after 15 August 2025")
        ever_el = SCENARIOS["EVER_EL_RECLASSIFIED"]
        assert con.execute("SELECT el FROM student WHERE student_id = ?", [ever_el]).fetchall() == [(False,)]
        el = group_status(con, results.filter(f"student_id = '{ever_el}'"), None, "2025")
        assert "EL" in set(el.student_group)
