"""CERS rosters and file rows: one test per rule of the spec, on tiny in-memory SIS data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cers_fixtures import AS_OF, TERMS, CersSis, section_class
from sislab.cers import Profile, build, school_year_of
from sislab.cers.extract import check_file, write_rows
from sislab.cers.layout import HEADER


def secondary(name="P", schools=("001",), **kw) -> Profile:
    return Profile(name, "secondary", schools, **kw)


def run(sis: CersSis, *profiles: Profile):
    return build(sis.con, list(profiles), as_of=AS_OF)


def rules(built) -> list[str]:
    return [f.rule for f in built.findings]


def test_header_is_exactly_the_six_cers_columns_in_order(tmp_path):
    sis = section_class(3)
    run(sis, secondary())
    path = write_rows(sis.con, tmp_path / "x.csv")
    assert path.read_text().splitlines()[0] == \
        "group_name,school_natural_id,school_year,subject_code,student_ssid,group_user_login"
    assert HEADER == tuple(path.read_text().splitlines()[0].split(","))


def test_a_name_with_a_comma_and_a_double_quote_is_quoted_as_rfc_4180_and_cers_accepts_it(tmp_path):
    sis = CersSis()
    sis.school("001")
    sis.staff("T1", "O'Brien, Jr.", 'Ann "Annie"')
    sis.section("100")
    sis.roster("100", sis.students(1))
    assert run(sis, secondary()).ok
    path = write_rows(sis.con, tmp_path / "x.csv")
    assert path.read_bytes().decode().splitlines()[1:] == [
        '"001 O\'Brien, Jr. Ann ""Annie"" 1 1",19753090000001,2027,All,,t1@district.org',
        '"001 O\'Brien, Jr. Ann ""Annie"" 1 1",19753090000001,2027,All,0000000001,']
    assert check_file(path, today=AS_OF) == []  # RDW's reading (commons-csv, RFC 4180) and sislab's checks


def test_school_year_is_the_end_year():
    sis = section_class(2)
    run(sis, secondary())
    assert {r[2] for r in sis.rows()} == {"2027"}
    assert school_year_of(AS_OF.replace(year=2024, month=9)) == 2025
    assert school_year_of(AS_OF.replace(year=2025, month=3)) == 2025


@pytest.mark.parametrize("subject", ["ELA", "Math", "All"])
def test_subject_code_is_the_profile_subject_area(subject):
    sis = section_class(2)
    run(sis, secondary(subject=subject))
    assert {r[3] for r in sis.rows()} == {subject}


def test_school_natural_id_is_the_cds_code():
    sis = section_class(2)
    run(sis, secondary())
    assert {r[1] for r in sis.rows()} == {"19753090000001"}


@pytest.mark.parametrize("students, parts", [(200, [200]), (201, [200, 1]), (400, [200, 200]),
                                             (401, [200, 200, 1])])
def test_large_roster_split_at_200_with_numbered_names(students, parts):
    sis = section_class(students)
    built = run(sis, secondary())
    groups = sis.groups()
    assert [groups[f"001 Smith Ann 1 {i}"][0] for i in range(1, len(parts) + 1)] == parts
    assert all(groups[name][1] == ["t1@district.org"] for name in groups)  # every part gets the teacher
    assert len(groups) == len(parts) and built.ok


def test_rows_sorted_by_school_group_year_each_group_contiguous():
    sis = CersSis()
    for school in ("002", "001"):
        sis.school(school)
    sis.staff("T1", "Zed", "Ann")
    sis.staff("T2", "Abe", "Bo")
    sis.section("1", "002", teachers=("T1",))
    sis.section("2", "001", teachers=("T1",))
    sis.section("3", "001", teachers=("T2",))
    for section, school in (("1", "002"), ("2", "001"), ("3", "001")):
        sis.roster(section, sis.students(3, school))
    built = run(sis, secondary(schools=("001", "002")))
    names = [r[0] for r in sis.rows()]
    assert names == sorted(names, key=lambda n: (n[:3], n))  # school, then group name
    assert [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n] == \
        ["001 Abe Bo 1 1", "001 Zed Ann 1 1", "002 Zed Ann 1 1"]
    assert built.ok


def test_user_rows_have_blank_ssid_for_teachers_and_additional_staff():
    sis = section_class(2, co_teachers=("T2",))
    sis.staff("T2", "Co", "Teach")
    sis.staff("A1", "Vice", "Principal")
    run(sis, secondary(staff=("A1",)))
    users = [r for r in sis.rows() if r[5]]
    assert sorted(r[5] for r in users) == ["a1@district.org", "t1@district.org", "t2@district.org"]
    assert all(r[4] is None for r in users)


def test_teacher_without_email_is_left_out_and_reported():
    sis = CersSis()
    sis.school("001")
    sis.staff("T1", "Nomail", "Ned", email=None)
    sis.section("100")
    sis.roster("100", sis.students(2))
    built = run(sis, secondary())
    assert not [r for r in sis.rows() if r[5]]
    [finding] = [f for f in built.findings if f.rule == "email_missing"]
    assert "Nomail Ned (T1) has no e-mail" in finding.message


@pytest.mark.parametrize("roster_type", ["secondary", "elementary_teacher"])
def test_sections_without_a_current_teacher_stay_apart_and_are_reported(roster_type):
    sis = section_class(1, period="3", homeroom=True)
    sis.section("101", teachers=(), period="3", homeroom=True)
    sis.section("102", teachers=(), period="3", course_id="MATH1", homeroom=True)
    sis.section("103", teachers=("T2",), period="3", homeroom=True)  # the teacher left in October
    sis.staff("T2", "Gone", "Gary")
    sis.con.execute("UPDATE section_staff SET end_date = DATE '2026-10-01' WHERE staff_id = 'T2'")
    sis.section("104", teachers=(), period="3", homeroom=True)  # no student now: no group, nothing to say
    for section in ("101", "102", "103"):
        sis.roster(section, sis.students(2))
    sis.roster("104", sis.students(1), end_date="2026-10-01")
    built = run(sis, Profile("P", roster_type, ("001",)))
    assert sis.groups() == {"001 Smith Ann 3 1": (1, ["t1@district.org"]), "001 Section 101 3 1": (2, []),
                            "001 Section 102 3 1": (2, []), "001 Section 103 3 1": (2, [])}
    reported = [(f.severity, f.group, f.message.split(" has")[0]) for f in built.findings
                if f.rule == "section_without_teacher"]
    assert reported == [("warning", f"001 Section {s} 3", f"section {s}") for s in ("101", "102", "103")]


def test_a_teacher_name_with_a_c1_control_character_stops_the_file():
    sis = CersSis()
    sis.school("001")
    sis.staff("T1", "Dupont\x92s", "Marc")  # a Windows-1252 apostrophe read as Latin-1
    sis.section("100")
    sis.roster("100", sis.students(2))
    built = run(sis, secondary())
    assert not built.ok
    assert {(f.rule, f.group) for f in built.errors} == {("group_name_control", "001 Dupont\x92s Marc 1 1")}


def test_additional_staff_must_be_active_with_state_educator_id_and_email():
    sis = section_class(2)
    sis.staff("OK", "Good", "Staff")
    sis.staff("OLD", active=False)
    sis.staff("NOID", seid=None)
    sis.staff("NOMAIL", email=None)
    built = run(sis, secondary(staff=("OK", "OLD", "NOID", "NOMAIL")))
    assert sorted({r[5] for r in sis.rows() if r[5]}) == ["ok@district.org", "t1@district.org"]
    assert sorted(f.message.split("(")[1].split(")")[0] for f in built.findings if f.rule == "additional_staff") == \
        ["NOID", "NOMAIL", "OLD"]


@pytest.mark.parametrize("pattern, name", [("period", "001 Smith Ann 3 1"), ("section", "001 Smith Ann 100 1"),
                                           ("course", "001 Smith Ann English 9 1")])
def test_group_name_patterns(pattern, name):
    sis = CersSis()
    sis.course("ELA9", "English 9")
    section_class(2, sis, period="3")
    run(sis, secondary(pattern=pattern))
    assert set(sis.groups()) == {name}


def test_secondary_filters_department_subject_area_course_teacher():
    sis = CersSis()
    sis.school("001")
    sis.staff("T1", "Ela", "Teacher")
    sis.staff("T2", "Math", "Teacher")
    sis.course("M1", "Algebra", subject_area="Math", department="Math")
    sis.section("E", course_id="ELA9", teachers=("T1",))
    sis.section("M", course_id="M1", teachers=("T2",))
    sis.roster("E", sis.students(2))
    sis.roster("M", sis.students(2))
    for filters, expected in (({"subject_areas": ("Math",)}, {"001 Math Teacher 1 1"}),
                              ({"departments": ("English",)}, {"001 Ela Teacher 1 1"}),
                              ({"courses": ("M1",)}, {"001 Math Teacher 1 1"}),
                              ({"teachers": ("T1",)}, {"001 Ela Teacher 1 1"})):
        run(sis, secondary(**filters))
        assert set(sis.groups()) == expected, filters


def _primary_district() -> CersSis:
    sis = CersSis()
    sis.school("001")  # does not track primary classes
    sis.school("005", tracks_primary=True)
    sis.staff("T1", "High", "School")
    sis.staff("T5", "Prim", "Ary")
    sis.section("H", "001", teachers=("T1",), primary_class=True)
    sis.section("P", "005", teachers=("T5",), primary_class=True)
    sis.section("N", "005", teachers=("T5",), period="2")
    for section, school in (("H", "001"), ("P", "005"), ("N", "005")):
        sis.roster(section, sis.students(2, school))
    return sis


def test_primary_classes_without_filters_warn_for_schools_not_tracking_them():
    sis = _primary_district()
    built = run(sis, secondary(schools=("001", "005"), primary_only=True))
    assert set(sis.groups()) == {"005 Prim Ary 1 1"}
    warned = [f.message for f in built.findings if f.rule == "primary_classes_not_tracked"]
    assert len(warned) == 1 and "001" in warned[0] and "no course or teacher filter" in warned[0]
    assert any(f.rule == "empty_roster" and "does not track primary classes" in f.message for f in built.findings)


def test_primary_classes_with_filters_both_apply():
    sis = _primary_district()
    sis.staff("T6", "Other", "One")
    sis.section("Q", "005", teachers=("T6",), primary_class=True)
    sis.roster("Q", sis.students(2, "005"))
    run(sis, secondary(schools=("005",), primary_only=True, teachers=("T5",)))
    assert set(sis.groups()) == {"005 Prim Ary 1 1"}  # T5's non-primary section and T6's primary one excluded


def _elementary(flex: bool) -> CersSis:
    sis = CersSis()
    sis.school("004", school_type="ES", flex=flex)
    sis.staff("T1", "Home", "Room")
    sis.staff("T2", "Co", "Teacher")
    sis.staff("T3", "Math", "Block")
    kids = sis.students(3, "004", grade=3)
    sis.section("HR", "004", course_id="K3", teachers=("T1",), co_teachers=("T2",), homeroom=True, terms=("S1", "S2"))
    sis.section("MB", "004", course_id="MATH", teachers=("T3",), period="2", terms=("S1", "S2"))
    sis.roster("HR", kids)
    sis.roster("MB", kids)
    return sis


def test_non_flex_elementary_teacher_roster_is_the_homeroom_and_its_primary_teacher():
    sis = _elementary(flex=False)
    run(sis, Profile("E", "elementary_teacher", ("004",)))
    assert sis.groups() == {"004 Home Room 1 1": (3, ["t1@district.org"])}


def test_flex_elementary_teacher_roster_is_the_master_schedule_with_every_staff_member():
    sis = _elementary(flex=True)
    run(sis, Profile("E", "elementary_teacher", ("004",)))
    assert sis.groups() == {"004 Home Room 1 1": (3, ["t1@district.org", "t2@district.org"]),
                            "004 Math Block 2 1": (3, ["t3@district.org"])}


def test_grade_level_roster_one_group_per_grade_with_grade_filter():
    sis = CersSis()
    sis.school("005", school_type="ES")
    sis.students(2, "005", grade=0)
    sis.students(3, "005", grade=3)
    sis.students(1, "005", grade=4)
    run(sis, Profile("G", "grade_level", ("005",), grades=(0, 3)))
    assert sis.groups() == {"005 Grade 3 1": (3, []), "005 Grade K 1": (2, [])}
    sis.students(4, "005", grade=-1)
    run(sis, Profile("G", "grade_level", ("005",), grades=("K", "TK")))
    assert sis.groups() == {"005 Grade K 1": (2, []), "005 Grade TK 1": (4, [])}


def test_counselor_roster_gives_the_counselor_the_group():
    sis = CersSis()
    sis.school("001")
    sis.staff("C1", "Flores", "Nora", counselor=True)
    sis.staff("C2", "Other", "Counselor", counselor=True)
    sis.students(201, counselor="C1")
    sis.students(2, counselor="C2")
    run(sis, Profile("C", "counselor", ("001",), counselors=("C1",)))
    assert sis.groups() == {"001 Flores Nora 1": (200, ["c1@district.org"]),
                            "001 Flores Nora 2": (1, ["c1@district.org"])}


def test_student_group_roster_chosen_by_code_or_name():
    sis = CersSis()
    sis.school("001")
    kids = sis.students(4)
    sis.insert("student_group", group_code="AVID-1", name="AVID North", school_id="001")
    sis.insert("student_group", group_code="MIG", name="Migrant")
    sis.insert("student_group", group_code="ELD", name="ELD")
    for code, members in (("AVID-1", kids[:2]), ("MIG", kids[2:]), ("ELD", kids)):
        for sid in members:
            sis.insert("student_group_member", group_code=code, student_id=sid)
    run(sis, Profile("S", "student_group", ("001",), groups=("avid-1", "MIGRANT")))
    assert sis.groups() == {"001 AVID North 1": (2, []), "001 Migrant 1": (2, [])}


ENROLLED_NOW = {  # roster types that take the students enrolled on the roster date
    "grade_level": Profile("G", "grade_level", ("001", "002")),
    "counselor": Profile("C", "counselor", ("001", "002")),
    "student_group": Profile("S", "student_group", ("001", "002"), groups=("AVID",)),
}


@pytest.mark.parametrize("roster_type", ENROLLED_NOW)
def test_students_enrolled_on_the_roster_date_and_only_they_are_in_the_group(roster_type):
    sis = CersSis()
    sis.school("001")
    sis.school("002")
    sis.staff("C1", "Flores", "Nora", counselor=True)
    sis.insert("student_group", group_code="AVID", name="AVID")

    def student(start="2026-08-12", end=None, school="001") -> str:
        [sid] = sis.students(1, school, grade=5, counselor="C1")
        sis.con.execute("UPDATE enrollment SET start_date = ?, end_date = ? WHERE student_id = ?", [start, end, sid])
        sis.insert("student_group_member", group_code="AVID", student_id=sid)
        return sid

    def moves(leaves: str, arrives: str) -> str:
        sid = student(end=leaves)
        sis.insert("enrollment", student_id=sid, school_id="002", calendar_id="002-2027", start_date=arrives,
                   grade=5, enrollment_type="primary")
        return sid

    expected = {
        "001": [student(), student(start="2025-08-12"),  # an open span begun last school year carries on
                student(end=str(AS_OF)),  # the end date is a school day: still enrolled on it
                moves(leaves="2027-03-15", arrives="2027-03-16")],  # moves later: only at the first school
        "002": [moves(leaves="2026-11-01", arrives="2026-11-02")],  # has moved: only at the second
    }
    student(start="2027-02-01")  # starts in February: not yet enrolled
    student(end="2026-11-24")  # left the day before
    run(sis, ENROLLED_NOW[roster_type])
    ssids = sis.con.execute("SELECT student_id, state_id FROM student").fetchall()
    in_file = {(cds[-3:], sid) for _, cds, _, _, ssid, _ in sis.rows() for sid, s in ssids if s == ssid}
    assert in_file == {(school, sid) for school, ids in expected.items() for sid in ids}


def test_consolidation_merges_a_group_of_two_profiles_joining_users_once_per_student():
    sis = section_class(3)
    sis.staff("A1", "Vice", "Principal")
    built = run(sis, secondary("Whole school"), secondary("Smith only", teachers=("T1",), staff=("A1",)))
    assert sis.groups() == {"001 Smith Ann 1 1": (3, ["a1@district.org", "t1@district.org"])}
    [overlap] = [f for f in built.findings if f.rule == "overlapping_profiles"]
    assert "Smith only and Whole school" in overlap.message and overlap.row == 2  # row 1: a1, one profile
    assert built.ok


def test_consolidation_splits_after_merging():
    sis = section_class(150)
    sis.section("101", period="1")  # same teacher and period: the same group name
    sis.roster("101", sis.students(100))
    run(sis, secondary())
    assert {n: s for n, (s, _) in sis.groups().items()} == {"001 Smith Ann 1 1": 200, "001 Smith Ann 1 2": 50}


def test_two_profiles_giving_a_group_different_subjects_is_an_error():
    sis = section_class(2)
    built = run(sis, secondary("A", subject="ELA"), secondary("B", subject="Math"))
    [conflict] = [f for f in built.findings if f.rule == "subject_conflict"]
    assert conflict.severity == "error" and "A and B" in conflict.message and not built.ok


def test_students_without_a_10_digit_ssid_are_left_out_and_reported():
    sis = section_class(2)
    sis.roster("100", sis.students(1, ssid=False))
    sis.insert("student", student_id="IL", state_id="123456789", last_name="X", first_name="Y",
               birth_date="2010-01-01", grade=9, school_id="001")
    sis.roster("100", ["IL"])
    built = run(sis, secondary())
    assert sis.groups()["001 Smith Ann 1 1"][0] == 2
    messages = [f.message for f in built.findings if f.rule == "ssid_missing"]
    assert len(messages) == 2 and any("SSID 123456789" in m for m in messages)


def test_empty_roster_when_terms_ended_says_so():
    sis = section_class(2, terms=("S1",))
    built = build(sis.con, [secondary()], as_of=AS_OF.replace(month=12, day=20))
    assert sis.rows() == []
    assert any(f.rule == "empty_roster" and "terms of its classes ended" in f.message for f in built.findings)


def test_the_last_day_of_the_term_is_a_day_of_the_class():
    sis = section_class(2, terms=("S1",))
    last_day = date.fromisoformat(TERMS["S1"][1])
    build(sis.con, [secondary()], as_of=last_day)
    assert sis.groups() == {"001 Smith Ann 1 1": (2, ["t1@district.org"])}
    build(sis.con, [secondary()], as_of=last_day + timedelta(days=1))
    assert sis.rows() == []


def test_a_roster_or_teaching_end_date_on_the_roster_date_still_counts():
    sis = section_class(2)
    sis.roster("100", sis.students(1), end_date=str(AS_OF))
    sis.section("101", teachers=("T2",), period="2")
    sis.staff("T2", "Last", "Day")
    sis.con.execute("UPDATE section_staff SET end_date = ? WHERE staff_id = 'T2'", [AS_OF])
    sis.roster("101", sis.students(1), end_date=str(AS_OF))  # the class's only student leaves today
    run(sis, secondary())
    assert sis.groups() == {"001 Smith Ann 1 1": (3, ["t1@district.org"]), "001 Last Day 2 1": (1, ["t2@district.org"])}


def test_empty_roster_when_enrollments_ended_says_so():
    sis = CersSis()
    sis.school("001")
    sis.students(2, grade=5)
    sis.con.execute("UPDATE enrollment SET start_date = DATE '2025-08-12', end_date = DATE '2026-10-01'")
    built = run(sis, Profile("G", "grade_level", ("001",)))
    [empty] = [f.message for f in built.findings if f.rule == "empty_roster"]
    assert empty.endswith(f"the enrollments of its students ended before {AS_OF}")


def test_empty_roster_when_filters_exclude_everything_says_so():
    sis = section_class(2)
    built = run(sis, secondary(subject_areas=("Science",)))
    assert any(f.rule == "empty_roster" and "filters exclude every student" in f.message for f in built.findings)


def test_students_who_left_the_class_are_not_in_the_group():
    sis = section_class(2)
    sis.roster("100", sis.students(1), end_date="2026-10-01")
    run(sis, secondary())
    assert sis.groups()["001 Smith Ann 1 1"][0] == 2


@pytest.mark.parametrize("cds", ["1975309000001", "", None])  # 13 digits, blank, missing
def test_school_without_a_cds_code_is_left_out_once_per_school_naming_it(cds):
    sis = CersSis()
    sis.school("001", cds="")
    sis.school("002")
    sis.con.execute("UPDATE school SET cds_code = ? WHERE school_id = '001'", [cds])
    sis.staff("T1")
    for section, school, period in (("100", "001", "1"), ("101", "001", "2"), ("200", "002", "1")):
        sis.section(section, school, period=period)
        sis.roster(section, sis.students(3, school))
    built = run(sis, secondary(schools=("001", "002")))
    [finding] = [f for f in built.findings if f.rule == "school_cds_code"]
    assert finding.severity == "warning" and "school 001 School 001" in finding.message
    assert "its 2 group(s) are left out" in finding.message
    assert built.ok and {r[1] for r in sis.rows()} == {"19753090000002"}


def test_file_is_written_in_row_order(tmp_path):
    sis = CersSis()
    for school in ("003", "001", "002"):
        sis.school(school)
    for i, school in enumerate(("003", "001", "002", "001")):
        sis.staff(f"T{i}", f"Name{9 - i}", "X")
        sis.section(f"S{i}", school, teachers=(f"T{i}",))
        sis.roster(f"S{i}", sis.students(230, school))
    run(sis, secondary(schools=("001", "002", "003")))
    written = write_rows(sis.con, tmp_path / "x.csv").read_text().splitlines()[1:]
    expected = [",".join(v or "" for v in r) for r in sis.rows()]
    assert written == expected and len(written) == 4 * 232


def rdw_verdict(sis: CersSis, tmp_path) -> list[str]:
    """What RDW's validator says of the built file (test_cers_rdw.py checks the validator itself)."""
    return [f.text() for f in check_file(write_rows(sis.con, tmp_path / "built.csv"), today=AS_OF)
            if f.severity == "error"]


def test_an_ssid_two_students_share_leaves_out_only_their_rows_and_names_both(tmp_path):
    sis = section_class(3)
    twin = sis.students(1)[0]
    sis.con.execute("UPDATE student SET state_id = '0000000001' WHERE student_id = ?", [twin])
    sis.roster("100", [twin])
    built = run(sis, secondary())
    assert built.ok and sis.groups()["001 Smith Ann 1 1"][0] == 2  # 4 students, the 2 sharing an SSID left out
    [shared] = [f for f in built.findings if f.rule == "ssid_shared"]
    assert "SSID 0000000001 is shared by students S000001 (LS000001 F) and S000004 (LS000004 F)" in shared.message
    assert shared.severity == "warning" and "group 001 Smith Ann 1" in shared.message
    assert rdw_verdict(sis, tmp_path) == []
    sis.con.execute("UPDATE student SET state_id = '0000000001' WHERE student_id = 'S000002'")
    sis.con.execute("DELETE FROM roster WHERE student_id = 'S000002'")
    [shared] = [f for f in run(sis, secondary()).findings if f.rule == "ssid_shared"]
    assert "S000002 (LS000002 F, in none of these rosters) and S000004" in shared.message


def _sis_groups(*names: str) -> CersSis:
    sis = CersSis()
    sis.school("001")
    for i, name in enumerate(names):
        sis.insert("student_group", group_code=f"G{i}", name=name, school_id="001")
        for sid in sis.students(120 if i < 2 else 1):
            sis.insert("student_group_member", group_code=f"G{i}", student_id=sid)
    return sis


def test_group_names_equal_ignoring_case_get_a_suffix_so_cers_keeps_them_apart(tmp_path):
    sis = _sis_groups("Reading Intervention", "READING INTERVENTION")
    built = run(sis, Profile("A", "student_group", ("001",), subject="ELA"),
                Profile("B", "student_group", ("001",), subject="ELA"))
    assert {n: s for n, (s, _) in sis.groups().items()} == {"001 READING INTERVENTION 1": 120,
                                                            "001 Reading Intervention (2) 1": 120}
    [renamed] = [f for f in built.findings if f.rule == "group_name_renamed"]
    assert renamed.severity == "warning" and "'001 Reading Intervention (2)'" in renamed.message
    assert built.ok and rdw_verdict(sis, tmp_path) == []  # unrenamed, RDW counts 240 students in one group


def test_group_names_a_suffix_cannot_tell_apart_are_an_error():
    sis = _sis_groups("Reading Intervention", "READING INTERVENTION", "reading intervention (2)")
    built = run(sis, Profile("A", "student_group", ("001",)))
    [clash] = [f for f in built.findings if f.rule == "group_name_collision"]
    assert clash.severity == "error" and "could not tell them apart" in clash.message and not built.ok


def test_a_profile_without_rows_is_named_with_its_reasons():
    sis = section_class(2)
    built = run(sis, secondary("Full"), secondary("Science", subject_areas=("Science",)),
                secondary("Nowhere", schools=("999",)))
    assert built.empty_profiles == ("Science", "Nowhere")
    messages = {f.profile: f.message for f in built.findings if f.rule == "empty_profile"}
    assert "filters exclude every student (subject areas: Science)" in messages["Science"]
    assert "no school 999 in the SIS data" in messages["Nowhere"]
    assert built.ok and sis.groups()


def test_a_school_year_cers_does_not_take_is_an_error():
    sis = section_class(2)
    built = build(sis.con, [secondary()], as_of=AS_OF, school_year=2019)
    assert any(f.text().startswith("Row: 0 Failure: Invalid school year: 2019") for f in built.findings)
    assert not built.ok
