"""The A-G alignment rule (docs/ag.md, sislab/ag/rule.toml): one test per rule and reason."""

from __future__ import annotations

import pytest

from sislab.ag import check, load_rule, passes, rate_tenths, rate_text

from ag_fixtures import YEAR, empty_sis, insert, listed, marks, taught


def result(con, course_id: str, school: str = "1", rule=None):
    report = check(con, YEAR, rule=rule)
    rows = report.courses[(report.courses["course_id"] == course_id) & (report.courses["school_id"] == school)]
    assert len(rows) == 1, f"course {course_id} not in the universe"
    return rows.iloc[0]


def in_universe(con, course_id: str, rule=None) -> bool:
    return course_id in set(check(con, YEAR, rule=rule).courses["course_id"])


@pytest.fixture
def con():
    return empty_sis()


# ---- match and reasons -----------------------------------------------------------------------

def test_aligned_when_abbreviation_area_and_honors_agree(con):
    taught(con, "E9", "English 9", "ENG 9", "b")
    listed(con, "U1", "English 9", "b", ["ENG 9"])
    assert result(con, "E9")["reason"] is None


def test_match_ignores_case_outer_spaces_and_repeated_spaces(con):
    taught(con, "A1", "Algebra I", "ALG 1", "c")
    listed(con, "U1", "Algebra 1", "c", ["  alg   1 "])
    assert result(con, "A1")["reason"] is None


@pytest.mark.parametrize("sis, listed_code", [
    ("ENG 9", "ENG 9\t"),             # a tab after the list's code
    ("\tENG 9", "ENG 9"),             # a tab before the SIS abbreviation
    ("ENG\u00a09", "ENG 9"),           # no-break space inside
    ("eng\u202f\u20039", "ENG 9"),     # narrow no-break + em space: one space
    ("ENG 9", "\u3000ENG\t \n9\u200b"),  # ideographic, tab, line break, zero-width
])
def test_match_treats_every_unicode_space_as_a_space(con, sis, listed_code):
    taught(con, "E9", "English 9", sis, "b")
    listed(con, "U1", "English 9", "b", [listed_code])
    assert result(con, "E9")["reason"] is None


def test_match_does_not_drop_the_space_between_words(con):
    taught(con, "E9", "English 9", "ENG\u00a09", "b")
    listed(con, "U1", "English 9", "b", ["ENG9"])
    assert result(con, "E9")["reason"] == "NO_MATCH"


def test_match_on_local_course_code(con):
    taught(con, "2001", "Algebra I", "NO SUCH ABBREV", "c")
    listed(con, "U1", "Algebra 1", "c", ["2001"], code_type="course_code")
    assert result(con, "2001")["reason"] is None


def test_no_match(con):
    taught(con, "ES", "Earth and Space Science", "EARTH SCI", "d")
    listed(con, "U1", "Earth & Space Sciences", "d", ["EARTH/SPACE"])
    assert result(con, "ES")["reason"] == "NO_MATCH"


def test_fuzzy_title_is_a_suggestion_never_a_match(con):
    taught(con, "ES", "Earth and Space Science", "EARTH SCI", "d")
    listed(con, "U1", "Earth & Space Sciences", "d", ["EARTH/SPACE"])
    row = result(con, "ES")
    assert row["reason"] == "NO_MATCH"
    assert "Earth & Space Sciences" in row["suggestions"]
    assert check(con, YEAR).schools.iloc[0]["aligned"] == 0


def test_not_on_list_this_year_when_only_valid_in_another_year(con):
    taught(con, "CE", "Ceramics", "CERAMICS", "f")
    listed(con, "U1", "Ceramics", "f", ["CERAMICS"], last_year=YEAR - 1)
    assert result(con, "CE")["reason"] == "NOT_ON_LIST_THIS_YEAR"


def test_not_on_list_this_year_when_valid_only_later(con):
    taught(con, "CE", "Ceramics", "CERAMICS", "f")
    listed(con, "U1", "Ceramics", "f", ["CERAMICS"], first_year=YEAR + 1)
    assert result(con, "CE")["reason"] == "NOT_ON_LIST_THIS_YEAR"


def test_not_on_list_this_year_when_archived(con):
    taught(con, "DR", "Drama", "DRAMA", "f")
    listed(con, "U1", "Drama", "f", ["DRAMA"], status="archived")
    assert result(con, "DR")["reason"] == "NOT_ON_LIST_THIS_YEAR"


def test_subject_mismatch(con):
    taught(con, "POE", "Principles of Engineering", "POE", "d")
    listed(con, "U1", "Principles of Engineering", "g", ["POE"])
    assert result(con, "POE")["reason"] == "SUBJECT_MISMATCH"


def test_honors_mismatch(con):
    taught(con, "E9H", "English 9 Honors", "ENG 9 H", "b", honors=True)
    listed(con, "U1", "English 9 Honors", "b", ["ENG 9 H"], honors=False)
    assert result(con, "E9H")["reason"] == "HONORS_MISMATCH"


def test_ambiguous_when_key_matches_entries_with_different_areas(con):
    taught(con, "EC", "Economics", "ECON", "g")
    listed(con, "U1", "Economics", "g", ["ECON"])
    listed(con, "U2", "Economics (History/Social Science)", "a", ["ECON"])
    assert result(con, "EC")["reason"] == "AMBIGUOUS"


def test_a_school_is_matched_only_against_its_own_list(con):
    taught(con, "E9", "English 9", "ENG 9", "b", school="2")
    listed(con, "U1", "English 9", "b", ["ENG 9"], school="1")
    assert result(con, "E9", school="2")["reason"] == "NO_MATCH"


def test_each_knob_is_a_parameter_same_honors_off(con):
    taught(con, "E9H", "English 9 Honors", "ENG 9 H", "b", honors=True)
    listed(con, "U1", "English 9 Honors", "b", ["ENG 9 H"], honors=False)
    assert result(con, "E9H", rule=load_rule().replace(same_honors=False))["reason"] is None


# ---- universe --------------------------------------------------------------------------------

def test_universe_leaves_out_courses_not_flagged_a_g(con):
    taught(con, "PE", "Physical Education", "PE", None)
    assert not in_universe(con, "PE")


def test_universe_leaves_out_dual_enrollment(con):
    taught(con, "DE1", "College Composition", "ENGL 1A", "b", dual_credit=True)
    taught(con, "DE2", "College Psych", "PSYC 1", "g", nonstandard_level="24")
    assert not in_universe(con, "DE1") and not in_universe(con, "DE2")


def test_universe_leaves_out_transfer_and_private_school_marks(con):
    insert(con, "course", [{"course_id": "TR", "title": "Biology", "transcript_abbrev": "BIO", "ag_area": "d"}])
    marks(con, "TR", 1, in_district=False)
    assert not in_universe(con, "TR")


def test_universe_takes_a_course_with_only_a_mark_that_year(con):
    insert(con, "course", [{"course_id": "BI", "title": "Biology", "transcript_abbrev": "BIO", "ag_area": "d"}])
    marks(con, "BI", 1)
    assert in_universe(con, "BI")


def test_universe_leaves_out_a_section_without_students(con):
    insert(con, "course", [{"course_id": "BI", "title": "Biology", "transcript_abbrev": "BIO", "ag_area": "d"}])
    insert(con, "section", [{"section_id": "x", "school_id": "1", "course_id": "BI", "calendar_id": "C1"}])
    assert not in_universe(con, "BI")


# ---- in_district: blank inferred from the school, ambiguous refused ---------------------------

def _import_marks(tmp_path, mark_csv: str):
    """A real import of the minimal export plus `mark.csv` (2023-24: no sections that year)."""
    from fixtures import write_export
    from sislab.core import store
    from sislab.core.importer import import_sis
    from sislab.core.workspace import Workspace

    ws = Workspace.locate(tmp_path / "ws")
    import_sis(write_export(tmp_path / "export", {"mark": mark_csv}), ws, user="tester")
    return store.snapshot(ws)


@pytest.mark.parametrize("mark_csv", [
    # the in_district column is missing
    "student_id,course_id,school_id,school_year,term_code,term_type,mark\n1001,E11,1,2024,S1,semester,A\n",
    # the in_district cell is blank
    "student_id,course_id,school_id,school_year,term_code,term_type,mark,in_district\n1001,E11,1,2024,S1,semester,A,\n",
])
def test_blank_in_district_at_a_district_school_counts_as_taught_there(tmp_path, mark_csv):
    with _import_marks(tmp_path, mark_csv) as con:
        assert con.execute("SELECT in_district FROM mark").fetchone()[0] is None  # stored as unknown, not N
        report = check(con, 2024)
    assert list(report.courses["course_id"]) == ["E11"]
    assert report.schools.set_index("school_id").loc["1", "universe"] == 1
    assert report.findings.empty


def test_blank_in_district_without_a_school_is_transfer_credit(tmp_path):
    with _import_marks(tmp_path, "student_id,course_id,school_id,school_year,term_code,term_type,mark,in_district\n"
                                 "1001,E11,,2024,S1,semester,A,\n") as con:
        report = check(con, 2024)
    assert report.courses.empty and report.findings.empty


def test_ambiguous_in_district_is_refused_with_a_finding(con):
    insert(con, "course", [{"course_id": "BI", "title": "Biology", "transcript_abbrev": "BIO", "ag_area": "d"},
                           {"course_id": "CH", "title": "Chemistry", "transcript_abbrev": "CHEM", "ag_area": "d"}])
    insert(con, "section", [{"section_id": "1-CH", "school_id": "1", "course_id": "CH", "calendar_id": "C1"}])
    insert(con, "mark", [
        {"student_id": "S1", "course_id": "BI", "school_id": None, "school_year": YEAR, "term_code": "S1",
         "term_type": "semester", "mark": "A", "in_district": True},
        {"student_id": "S1", "course_id": "CH", "school_id": "1", "section_id": "1-CH", "school_year": YEAR,
         "term_code": "S1", "term_type": "semester", "mark": "B", "in_district": False},
    ])
    report = check(con, YEAR)
    assert report.findings[["rule", "course_id", "in_district"]].values.tolist() == [
        ["IN_DISTRICT_WITHOUT_SCHOOL", "BI", "Y"], ["TRANSFER_ON_DISTRICT_SECTION", "CH", "N"]]
    assert report.findings["message"].notna().all()
    assert report.courses.empty  # neither counted as taught in the district


# ---- middle schools --------------------------------------------------------------------------

@pytest.fixture
def middle(con):
    insert(con, "school", [{"school_id": "7", "name": "Oak Middle", "school_type": "MS", "low_grade": 6,
                            "high_grade": 8, "cds_code": "01234560000007"}])
    insert(con, "calendar", [{"calendar_id": "C7", "school_id": "7", "school_year": YEAR, "name": "x"}])
    taught(con, "M1", "Math 1", "MATH 1", "c", school="7")
    taught(con, "SP", "Spanish 1", "SPAN 1", "e", school="7")
    taught(con, "EN", "English 8", "ENG 8", "b", school="7")
    taught(con, "E9", "English 9", "ENG 9", "b")
    listed(con, "U1", "English 9", "b", ["ENG 9"])
    return con


MIDDLE_SCHOOL_RULE = load_rule().replace(middle_school_rule=True)


def test_by_default_a_middle_school_is_every_other_school(middle):
    """The spec's formula: every in-district course flagged A-G is in the universe, every school
    is rated, the district rate is Σ aligned ÷ Σ universe over all of them."""
    report = check(middle, YEAR)
    courses = report.courses
    assert sorted(courses.loc[courses["school_id"] == "7", "course_id"]) == ["EN", "M1", "SP"]
    assert report.schools.set_index("school_id").loc["7", "result"] == "fail"
    district = report.district.iloc[0]
    assert (district["aligned"], district["universe"], district["rate"], district["result"]) == (1, 4, "25.0", "fail")


def test_middle_school_universe_is_mathematics_and_lote(middle):
    courses = check(middle, YEAR, rule=MIDDLE_SCHOOL_RULE).courses
    assert sorted(courses.loc[courses["school_id"] == "7", "course_id"]) == ["M1", "SP"]


def test_middle_school_is_not_rated_against_the_cut_nor_in_the_district_rate(middle):
    report = check(middle, YEAR, rule=MIDDLE_SCHOOL_RULE)
    row = report.schools.set_index("school_id").loc["7"]
    assert (row["aligned"], row["universe"], row["rate"], row["result"]) == (0, 2, "0.0", "not rated")
    assert row["passed"] is None
    assert (report.district.iloc[0]["universe"], report.district.iloc[0]["result"]) == (1, "pass")


def test_middle_school_is_rated_when_asked(middle):
    report = check(middle, YEAR, rule=MIDDLE_SCHOOL_RULE.replace(rate_middle_schools=True))
    assert report.schools.set_index("school_id").loc["7", "result"] == "fail"
    assert report.district.iloc[0]["universe"] == 3


# ---- also reported ---------------------------------------------------------------------------

def test_list_entry_not_taught(con):
    taught(con, "E9", "English 9", "ENG 9", "b")
    listed(con, "U1", "English 9", "b", ["ENG 9"])
    listed(con, "U2", "Latin 1", "e", ["LATIN 1"])
    assert list(check(con, YEAR).not_taught["uc_course_id"]) == ["U2"]


def test_suggested_entries_stay_on_the_not_taught_list_naming_the_course(con):
    """Suggestions are never matches: an entry only suggested for a course is still not taught."""
    taught(con, "ART1", "Art 1", "ART 1", "f")  # NO_MATCH: the list spells it ART I
    listed(con, "U1", "Art I", "f", ["ART I"])
    listed(con, "U2", "Art 2", "f", ["ART 2"])  # nobody teaches Art 2 or Art 3
    listed(con, "U3", "Art 3", "f", ["ART 3"])
    listed(con, "U4", "Latin 1", "e", ["LATIN 1"])
    report = check(con, YEAR)
    assert "Art I [f; ART I]" in report.worklist.iloc[0]["suggestions"]
    assert dict(zip(report.not_taught["uc_course_id"], report.not_taught["suggested_for"])) == {
        "U1": "ART1 (Art 1)", "U2": "ART1 (Art 1)", "U3": "ART1 (Art 1)", "U4": ""}


def test_missing_a_g_flag(con):
    taught(con, "HC", "Historia de California", "HIST CA", None)
    listed(con, "U1", "Historia de California", "a", ["HIST CA"])
    report = check(con, YEAR)
    assert list(report.missing_flags["course_id"]) == ["HC"]
    assert report.not_taught.empty


def test_enrolment_weighted_rate_is_share_of_marks_on_aligned_courses(con):
    taught(con, "E9", "English 9", "ENG 9", "b")
    taught(con, "ES", "Earth Science", "ES", "d")
    listed(con, "U1", "English 9", "b", ["ENG 9"])
    marks(con, "E9", 3)
    marks(con, "ES", 1)
    school = check(con, YEAR).schools.iloc[0]
    assert (school["rate"], school["weighted_rate"]) == ("50.0", "75.0")


# ---- rates -----------------------------------------------------------------------------------

@pytest.mark.parametrize("aligned, universe, text, passed", [
    (1799, 2000, "90.0", True),   # 89.95 rounds half up to 90.0: pass
    (17989, 20000, "89.9", False),  # 89.945 -> 89.9: fail
    (9, 10, "90.0", True),
    (2, 3, "66.7", False),
    (1, 8, "12.5", False),  # exactly representable halves round up
    (10, 10, "100.0", True),
])
def test_rate_half_up_to_one_decimal_and_pass_at_90(aligned, universe, text, passed):
    tenths = rate_tenths(aligned, universe)
    assert rate_text(tenths) == text
    assert passes(tenths, load_rule()) is passed


def test_empty_universe_is_not_applicable_not_100(con):
    listed(con, "U1", "English 9", "b", ["ENG 9"])
    school = check(con, YEAR).schools.iloc[0]
    assert (school["rate"], school["result"]) == ("n/a", "n/a")
    assert rate_text(rate_tenths(0, 0)) == "n/a" and passes(None, load_rule()) is None


def test_district_rate_is_sum_aligned_over_sum_universe_not_mean_of_school_rates(con):
    taught(con, "E9", "English 9", "ENG 9", "b", school="1")
    listed(con, "U1", "English 9", "b", ["ENG 9"], school="1")  # school 1: 1/1 = 100 %
    for i in range(3):  # school 2: 1/4 = 25 %
        taught(con, f"X{i}", f"Course {i}", f"X{i}", "g", school="2")
    taught(con, "E9", "English 9", "ENG 9", "b", school="2")
    listed(con, "U2", "English 9", "b", ["ENG 9"], school="2")
    district = check(con, YEAR).district.iloc[0]
    assert (district["aligned"], district["universe"], district["rate"]) == (2, 5, "40.0")  # not 62.5


def test_every_reason_has_a_text_for_the_worklist():
    assert set(load_rule().reasons) == {"NO_MATCH", "NOT_ON_LIST_THIS_YEAR", "SUBJECT_MISMATCH",
                                        "HONORS_MISMATCH", "AMBIGUOUS"}
