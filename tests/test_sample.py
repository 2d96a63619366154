"""The synthetic district: valid against the model, deterministic, reproducible, and it holds
every scenario and messy record that other jobs' tests rely on."""

from __future__ import annotations

import filecmp
import re
from pathlib import Path

import duckdb
import pytest

from sislab import cli
from sislab.core import model
from sislab.sample import COMMITTED_SIZE, NOTES, SCENARIOS, generate

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def _load(folder: Path) -> duckdb.DuckDBPyConnection:
    """The CSVs in a DuckDB built from model.ddl(): keys and NOT NULL are enforced on insert."""
    con = duckdb.connect()
    con.execute(model.ddl())
    for t in model.TABLES:
        path = folder / t.file_name
        header = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert header == ",".join(c.name for c in t.columns), t.name
        con.execute(f"CREATE TEMP TABLE raw_{t.name} AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
                    [str(path)])
        for c in t.columns:
            if c.type == "bool":
                bad = con.execute(f"SELECT count(*) FROM raw_{t.name} WHERE {c.name} NOT IN ('Y', 'N')").fetchone()[0]
                assert bad == 0, f"{t.name}.{c.name}: booleans must be Y/N or blank"
        cols = ", ".join(_cast(c) for c in t.columns)
        con.execute(f"INSERT INTO {t.name} SELECT {cols} FROM raw_{t.name}")
    return con


def _cast(c: model.Column) -> str:
    if c.type == "bool":
        return f"{c.name} = 'Y'"
    return f"CAST({c.name} AS {c.sql_type})"


def _violations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every rule of the model that a row breaks: codes, patterns, bounds, references, order."""
    found = []
    for t in model.TABLES:
        for c in t.columns:
            checks = []
            if c.codes:
                checks.append((f"{c.name} NOT IN (SELECT unnest(?))", [list(c.codes)]))
            if c.pattern:
                checks.append((f"NOT regexp_full_match({c.name}, ?)", [c.pattern]))
            if c.min is not None:
                checks.append((f"{c.name} NOT BETWEEN ? AND ?", [c.min, c.max]))
            if c.references:
                ref_table, ref_col = c.references.split(".")
                checks.append((f"{c.name} NOT IN (SELECT {ref_col} FROM {ref_table})", []))
            for condition, params in checks:
                n = con.execute(f"SELECT count(*) FROM {t.name} WHERE {c.name} IS NOT NULL AND {condition}",
                                params).fetchone()[0]
                if n:
                    found.append(f"{t.name}.{c.name}: {n} rows break {condition}")
        for earlier, later in t.ordered:
            n = con.execute(f"SELECT count(*) FROM {t.name} WHERE {later} < {earlier}").fetchone()[0]
            if n:
                found.append(f"{t.name}: {n} rows with {later} before {earlier}")
    return found


@pytest.fixture(scope="module")
def sample():
    return _load(SAMPLE)


def q(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchall()


def test_committed_sample_follows_every_model_rule(sample):
    assert _violations(sample) == []


def test_committed_sample_is_reproduced_by_its_documented_command(tmp_path):
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    command = f"sislab sample --students {COMMITTED_SIZE['students']} --seed {COMMITTED_SIZE['seed']} --out data/sample"
    assert command in readme
    assert cli.main(command.split()[1:-1] + [str(tmp_path)]) == 0
    names = [t.file_name for t in model.TABLES]
    match, mismatch, errors = filecmp.cmpfiles(SAMPLE, tmp_path, names, shallow=False)
    assert (mismatch, errors) == ([], [])


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small district made on one thread."""
    folder = tmp_path_factory.mktemp("small")
    return folder, generate(folder, students=300, seed=7, threads=1)


def test_same_seed_and_size_give_identical_files_on_any_thread_count(small, tmp_path):
    folder, counts = small
    assert generate(tmp_path, students=300, seed=7, threads=2) == counts
    names = [t.file_name for t in model.TABLES]
    assert filecmp.cmpfiles(folder, tmp_path, names, shallow=False)[1:] == ([], [])


def test_small_generated_district_follows_every_model_rule(small):
    assert _violations(_load(small[0])) == []


def test_cli_prints_what_it_wrote_and_another_seed_gives_another_district(small, tmp_path, capsys):
    assert cli.main(["sample", "--students", "300", "--seed", "8", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{tmp_path / 'mark.csv'}: " in out
    assert (tmp_path / "student.csv").read_bytes() != (small[0] / "student.csv").read_bytes()
    assert (tmp_path / "school.csv").read_bytes() == (small[0] / "school.csv").read_bytes()


def test_cli_rejects_a_tiny_district(tmp_path, capsys):
    assert cli.main(["sample", "--students", "5", "--out", str(tmp_path)]) == 2
    assert "--students" in capsys.readouterr().err


# ---- the district's shape ------------------------------------------------------------------

def test_district_reports_to_california_with_an_illinois_rcdts(sample):
    (state, cds, rcdts), = q(sample, "SELECT state, cds_code, rcdts FROM district")
    assert state == "CA" and len(cds) == 7 and len(rcdts) == 15
    types = dict(q(sample, "SELECT school_type, count(*) FROM school WHERE active GROUP BY ALL"))
    assert types == {"HS": 2, "MS": 1, "ES": 2, "ALT": 1}
    assert q(sample, "SELECT count(*) FROM school WHERE flex_schedule")[0][0] == 1
    assert q(sample, "SELECT count(*) FROM school WHERE tracks_primary_classes")[0][0] == 1
    assert q(sample, "SELECT count(*) FROM school WHERE NOT active")[0][0] == 1


def test_school_groups_pick_the_high_schools_and_the_elementary_schools(sample):
    groups = dict(q(sample, """SELECT group_name, list(school_type ORDER BY school_id) FROM school_group
                               JOIN school USING (school_id) GROUP BY ALL"""))
    assert groups["Grades 9-12"] == ["HS", "HS", "ALT"]
    assert groups["Elementary"] == ["ES", "ES"]


def test_about_3000_current_students_and_former_members_of_graduated_classes(sample):
    current = q(sample, "SELECT count(DISTINCT student_id) FROM enrollment WHERE end_date IS NULL")[0][0]
    assert 2900 <= current <= 3200
    classes = dict(q(sample, "SELECT cohort_year, count(*) FROM cohort GROUP BY ALL"))
    assert set(classes) == {2024, 2025, 2026, 2027} and min(classes.values()) > 150


def test_graduated_classes_have_marks_in_all_four_high_school_years(sample):
    for cls in (2024, 2025, 2026):
        years = q(sample, """SELECT DISTINCT m.school_year FROM mark m JOIN cohort c USING (student_id)
                             WHERE c.cohort_year = ? AND m.grade BETWEEN 9 AND 12 ORDER BY 1""", cls)
        assert [y for (y,) in years][:4] == [cls - 3, cls - 2, cls - 1, cls]


def test_calendars_have_semesters_trimesters_quarters_and_summer(sample):
    types = {t for (t,) in q(sample, "SELECT DISTINCT term_type FROM term")}
    assert types == {"semester", "trimester", "quarter", "year", "summer"}
    assert q(sample, "SELECT DISTINCT state_term_code FROM term WHERE term_type = 'semester' ORDER BY 1") == [
        ("01",), ("02",)]
    assert q(sample, """SELECT count(*) FROM calendar c JOIN term t USING (calendar_id)
                        WHERE c.summer AND t.term_type = 'summer'""")[0][0] > 0
    assert q(sample, """SELECT count(*) FROM section s JOIN calendar c USING (calendar_id) WHERE c.summer""")[0][0] > 0


def test_sections_have_one_primary_teacher_and_some_co_teachers(sample):
    assert q(sample, """SELECT count(*) FROM (SELECT section_id FROM section_staff WHERE primary_teacher
                        GROUP BY ALL HAVING count(*) <> 1)""") == [(0,)]
    assert q(sample, "SELECT count(*) FROM section WHERE section_id NOT IN (SELECT section_id FROM section_staff)") == [(0,)]
    assert q(sample, "SELECT count(*) FROM section_staff WHERE NOT primary_teacher")[0][0] > 10
    assert q(sample, """SELECT count(*) FROM (SELECT section_id FROM section_term GROUP BY ALL
                        HAVING count(*) > 1)""")[0][0] > 100


def test_marks_use_every_kind_of_mark(sample):
    marks = {m for (m,) in q(sample, "SELECT DISTINCT mark FROM mark")}
    assert set(model.MARKS[:13]) | {"P", "NP", "W", "I"} <= marks


def test_scores_cover_caaspp_ap_ib_sat_act_in_their_ranges(sample):
    ranges = {t: (lo, hi) for t, lo, hi in q(sample, "SELECT test, min(level), max(level) FROM test_score GROUP BY ALL")
              if lo is not None}
    assert ranges == {"CAASPP_ELA": (1, 4), "CAASPP_MATH": (1, 4), "AP": (1, 5), "IB": (1, 7)}
    assert {t for (t,) in q(sample, "SELECT DISTINCT test FROM test_score")} >= {"SAT", "ACT"}
    assert q(sample, "SELECT DISTINCT grade FROM test_score WHERE test LIKE 'CAASPP%'") == [(11,)]


def test_cohort_outcomes_include_non_graduates_alternative_diplomas_and_fifth_years(sample):
    outcomes = {o for (o,) in q(sample, "SELECT DISTINCT outcome FROM cohort")}
    assert {"regular_diploma", "alternative_diploma", "dropout", "still_enrolled"} <= outcomes
    fifth = q(sample, "SELECT count(*) FROM cohort WHERE completion_year = cohort_year + 1")[0][0]
    assert fifth >= 2
    assert q(sample, "SELECT count(*) FROM cohort WHERE ag_met")[0][0] > 50


# ---- scenarios ---------------------------------------------------------------------------

def test_every_scenario_student_exists_and_is_documented(sample):
    ids = {i for (i,) in q(sample, "SELECT student_id FROM student")}
    assert set(SCENARIOS.values()) <= ids
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    for case, student_id in SCENARIOS.items():
        assert f"| {student_id} | {case} |" in readme
        assert NOTES[case]


def _student(case: str) -> str:
    return SCENARIOS[case]


def test_p1_scenario_capstone_exactly_c_minus_and_mixed_sbac(sample):
    sid = _student("P1_CTE_CAPSTONE_C_MINUS_MIXED_SBAC")
    assert q(sample, "SELECT capstone_mark FROM cte_completion WHERE student_id = ?", sid) == [("C-",)]
    assert sorted(q(sample, "SELECT test, level FROM test_score WHERE student_id = ?", sid)) == [
        ("CAASPP_ELA", 3), ("CAASPP_MATH", 2)]


def test_cte_plus_college_scenarios_differ_only_by_pathway_and_year(sample):
    def college(case):
        return q(sample, """SELECT c.cte_pathway, m.school_year FROM mark m JOIN course c USING (course_id)
                            WHERE m.student_id = ? AND c.nonstandard_level IN ('23', '24')""", _student(case))
    assert college("P1_CTE_COLLEGE_OTHER_PATHWAY_SAME_YEAR") == [("HLTH", 2025)]
    assert college("CTE_COLLEGE_SAME_PATHWAY_SAME_YEAR") == [("ICT", 2025)]
    assert college("P1_CTE_COLLEGE_SAME_PATHWAY_OTHER_YEAR") == [("ICT", 2024)]


def test_college_term_scenarios_count_quarters_and_semesters(sample):
    def terms(case):
        return sorted(t for (t,) in q(sample, """SELECT m.term_type FROM mark m JOIN course c USING (course_id)
                      WHERE m.student_id = ? AND c.nonstandard_level IN ('23', '24')""", _student(case)))
    assert terms("A3_TWO_QUARTERS") == ["quarter"] * 2
    assert terms("P3_THREE_QUARTERS") == ["quarter"] * 3
    assert terms("MIXED_CALENDAR_SEMESTER_AND_QUARTER") == ["quarter", "semester"]


def test_fifth_year_and_non_graduate_scenarios(sample):
    for case in ("FIFTH_YEAR_GRADUATE_PREPARED", "FIFTH_YEAR_GRADUATE_NOT_PREPARED"):
        assert q(sample, "SELECT cohort_year, outcome, completion_year FROM cohort WHERE student_id = ?",
                 _student(case)) == [(2025, "regular_diploma", 2026)]
    assert q(sample, "SELECT outcome FROM cohort WHERE student_id = ?", _student("NON_GRADUATE_GREAT_SCORES")) == [
        ("dropout",)]
    assert q(sample, "SELECT school_type FROM cohort JOIN school USING (school_id) WHERE student_id = ?",
             _student("ALTERNATIVE_DIPLOMA")) == [("ALT",)]


# ---- messiness other jobs need ---------------------------------------------------------------

def test_staff_messiness(sample):
    assert q(sample, "SELECT count(*) FROM staff WHERE email IS NULL AND NOT is_counselor AND active")[0][0] > 0
    assert q(sample, "SELECT count(*) FROM staff WHERE NOT active")[0][0] > 0
    assert q(sample, "SELECT count(*) FROM staff WHERE state_educator_id IS NULL")[0][0] > 0
    assert q(sample, """SELECT count(*) FROM student s JOIN staff c ON c.staff_id = s.counselor_id
                        WHERE c.is_counselor""")[0][0] > 500


def test_student_name_and_id_messiness(sample):
    names = {n for (n,) in q(sample, "SELECT last_name FROM student")}
    assert {"O'Brien", "Núñez", "D’Angelo"} <= names
    assert any("-" in n for n in names)
    assert "Zoë" in {n for (n,) in q(sample, "SELECT first_name FROM student")}
    assert q(sample, "SELECT count(*) FROM student WHERE state_id IS NULL")[0][0] > 0
    assert q(sample, "SELECT count(*) FROM student WHERE protected_last_name IS NOT NULL")[0][0] > 0
    assert q(sample, "SELECT count(*) FROM student WHERE length(state_id) = 9")[0][0] > 0


def test_course_catalog_messiness(sample):
    (n,), = q(sample, "SELECT count(*) FROM course WHERE dual_credit AND nonstandard_level = '24'")
    assert n >= 3
    checks = {
        "college only": "nonstandard_level = '23'", "state excluded": "state_exclude",
        "no state code": "state_course_code IS NULL", "competency based": "competency_based",
        "taught in another language": "language_code IS NOT NULL", "honors a-g": "honors AND ag_area IS NOT NULL",
        "inactive": "NOT active", "articulated": "articulated_credit",
    }
    missing = [name for name, where in checks.items() if q(sample, f"SELECT count(*) FROM course WHERE {where}")[0][0] == 0]
    assert missing == []
    assert {lv for (lv,) in q(sample, "SELECT DISTINCT course_level FROM course")} == {"01", "02", "03", "04", "05"}
    bad_codes = [c for (c,) in q(sample, "SELECT state_course_code FROM course WHERE state_course_code IS NOT NULL")
                 if not re.fullmatch(r"\d{5}[A-Z]\d{3}", c)]
    assert bad_codes  # a malformed code for the Illinois pre-flight


def test_enrollment_messiness(sample):
    sid = _student("MOVED_MIDYEAR_FLAGS_DIFFER")
    rows = q(sample, """SELECT school_id, end_date IS NULL, single_parent, displaced_homemaker FROM enrollment
                        WHERE student_id = ? AND start_date >= DATE '2026-08-01' ORDER BY start_date""", sid)
    assert [(r[0], r[1]) for r in rows] == [("001", False), ("002", True)] and rows[0][2:] != rows[1][2:]
    assert q(sample, "SELECT count(*) FROM enrollment WHERE single_parent")[0][0] > 0
    assert q(sample, "SELECT count(*) FROM enrollment WHERE displaced_homemaker")[0][0] > 0
    assert q(sample, "SELECT count(*) FROM enrollment WHERE enrollment_type = 'partial'")[0][0] > 0


def test_every_current_secondary_student_has_a_homeroom(sample):
    assert q(sample, """SELECT count(*) FROM enrollment e JOIN school s USING (school_id)
                        WHERE e.end_date IS NULL AND s.school_type IN ('HS', 'MS') AND e.enrollment_type = 'primary'
                          AND e.student_id NOT IN (SELECT r.student_id FROM roster r JOIN section x USING (section_id)
                                                   WHERE x.homeroom)""")[0][0] < 30  # scenario students only
    assert q(sample, "SELECT count(*) FROM section WHERE primary_class")[0][0] > 0


def test_committed_sample_imports_with_zero_errors(tmp_path):
    importer = pytest.importorskip("sislab.core.importer")
    from sislab.core.workspace import Workspace

    report = importer.import_sis(SAMPLE, ws=Workspace.locate(tmp_path / "ws"))  # raises on any error
    assert report.warnings == []
    assert report.row_counts["mark"] == len((SAMPLE / "mark.csv").read_text(encoding="utf-8").splitlines()) - 1
