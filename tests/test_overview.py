"""District overview queries on tiny in-memory snapshots (one rule per test)."""

from __future__ import annotations

import os
import stat
from datetime import date

import duckdb
import pytest

from sislab import overview
from sislab.core import model

DAY = date(2025, 1, 15)


def insert(con, table: str, *rows: dict) -> None:
    for row in rows:
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))


def school(school_id: str, name: str, active: bool = True) -> dict:
    return dict(school_id=school_id, name=name, school_type="HS", low_grade=9, high_grade=12, active=active)


def enrolled(student_id: str, school_id: str, grade: int, start="2024-08-14", end=None, kind="primary") -> dict:
    return dict(student_id=student_id, school_id=school_id, start_date=start, end_date=end, grade=grade,
                enrollment_type=kind)


def term(calendar_id: str, code: str, start: str, end: str) -> dict:
    return dict(calendar_id=calendar_id, term_code=code, term_type="semester", start_date=start, end_date=end)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(model.ddl())
    insert(con, "school", school("1", "North High"), school("2", "Oak Elementary"))
    yield con
    con.close()


def counts(df) -> dict:
    return {(r.school_id, r.grade): r.students for r in df.itertuples()}


def test_enrollment_counts_spans_open_on_the_day(con):
    insert(con, "enrollment",
           enrolled("a", "1", 10),
           enrolled("b", "1", 10, end="2025-01-15"),  # last day counts
           enrolled("c", "1", 10, end="2025-01-14"),  # left the day before
           enrolled("d", "1", 10, start="2025-01-16"))  # not yet started
    assert counts(overview.enrollment_by_school_grade(con, as_of=DAY)) == {("1", 10): 2}


def test_student_partially_enrolled_elsewhere_counted_once_at_primary_school(con):
    insert(con, "enrollment", enrolled("a", "1", 11), enrolled("a", "2", 11, kind="partial"))
    assert counts(overview.enrollment_by_school_grade(con, as_of=DAY)) == {("1", 11): 1}


def test_grade_is_the_enrollment_span_grade(con):
    insert(con, "enrollment", enrolled("a", "1", 9, end="2024-12-20"), enrolled("a", "1", 10, start="2025-01-06"))
    assert counts(overview.enrollment_by_school_grade(con, as_of=DAY)) == {("1", 10): 1}


def test_inactive_schools_hidden_unless_asked_for(con):
    insert(con, "school", school("3", "Closed Middle", active=False))
    insert(con, "enrollment", enrolled("a", "3", 7))
    assert overview.enrollment_by_school_grade(con, as_of=DAY).empty
    assert "3" not in overview.school_counts(con, as_of=DAY).school_id.tolist()
    shown = overview.enrollment_by_school_grade(con, as_of=DAY, include_inactive=True)
    assert counts(shown) == {("3", 7): 1}


def test_school_filter_keeps_leading_zeros(con):
    insert(con, "school", school("0123", "Zero High"), school("123", "Plain High"))
    insert(con, "enrollment", enrolled("a", "0123", 9), enrolled("b", "123", 9), enrolled("c", "123", 9))
    assert counts(overview.enrollment_by_school_grade(con, ["0123"], DAY)) == {("0123", 9): 1}


def test_grade_table_orders_tk_k_then_grades_with_total(con):
    insert(con, "enrollment", enrolled("a", "2", 1), enrolled("b", "2", 0), enrolled("c", "2", -1),
           enrolled("d", "2", 0), enrolled("e", "1", 12))
    table = overview.grade_table(overview.enrollment_by_school_grade(con, as_of=DAY))
    assert table.columns.tolist() == ["school_id", "school_name", "TK", "K", "1", "12", "total"]
    oak = table.set_index("school_id").loc["2"]
    assert (oak["TK"], oak["K"], oak["1"], oak["12"], oak["total"]) == (1, 2, 1, 0, 4)


def test_school_counts_sections_in_session_and_active_staff(con):
    insert(con, "calendar", dict(calendar_id="C25", school_id="1", school_year=2025, name="2024-25"),
           dict(calendar_id="C24", school_id="1", school_year=2024, name="2023-24"))
    insert(con, "term", term("C25", "S1", "2024-08-14", "2024-12-20"), term("C25", "S2", "2025-01-06", "2025-06-06"),
           term("C24", "S1", "2023-08-14", "2024-06-06"))
    insert(con, "section", dict(section_id="101", school_id="1", course_id="E", calendar_id="C25"),
           dict(section_id="102", school_id="1", course_id="M", calendar_id="C25"),
           dict(section_id="901", school_id="1", course_id="E", calendar_id="C24"))
    insert(con, "staff", dict(staff_id="T1", last_name="N", first_name="A", school_id="1", active=True),
           dict(staff_id="T2", last_name="O", first_name="B", school_id="1", active=False))
    insert(con, "enrollment", enrolled("a", "1", 10))
    rows = overview.school_counts(con, as_of=DAY).set_index("school_id")
    assert rows.loc["1", ["students", "sections", "staff"]].tolist() == [1, 2, 1]
    assert rows.loc["2", ["students", "sections", "staff"]].tolist() == [0, 0, 0]  # listed though empty


def test_district_overview_narrows_to_one_school(con):
    insert(con, "enrollment", enrolled("a", "1", 10), enrolled("b", "2", 3))
    view = overview.district_overview(con, school="2", as_of="2025-01-15")
    assert view.as_of == DAY
    assert view.by_grade.school_id.tolist() == ["2"]
    assert view.schools.school_id.tolist() == ["2"]
    assert view.grades == ["3"]


def test_nobody_enrolled_gives_empty_tables_not_errors(con):
    view = overview.district_overview(con, as_of=DAY)
    assert view.by_grade.empty and view.grades == []
    assert len(view.schools) == 2


def test_as_of_defaults_to_today_and_rejects_non_dates():
    assert overview.as_of_date(None) == date.today()
    with pytest.raises(ValueError, match="as_of must be a date like 2025-01-31"):
        overview.as_of_date("15/01/2025")


def test_enrollment_csv_written_owner_only_and_only_when_asked(con, tmp_path):
    insert(con, "school", school("0123", "Zero High"))
    insert(con, "enrollment", enrolled("a", "0123", 9))
    view = overview.district_overview(con, as_of=DAY)
    assert overview.write_outputs(view, None) == []
    [path] = overview.write_outputs(view, tmp_path)
    assert path.name == "enrollment_by_school_grade.csv"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().splitlines()[:2] == ["school_id,school_name,9,total", "0123,Zero High,1,1"]


def test_stacked_bar_is_inline_svg_with_one_segment_per_nonzero_value():
    import pandas as pd

    from sislab.widgets import Chart, stacked_bar

    df = pd.DataFrame({"school": ["North <High>", "South"], "P1": [20.0, 0.0], "P2": [10.0, 5.0]})
    chart = stacked_bar(df, "school", ["P1", "P2"], "% Prepared", "%", legend="measure")
    assert isinstance(chart, Chart) and chart.svg.startswith("<svg")
    assert chart.svg.count("<rect x=") - 2 == 3  # three bar segments (South's P1 is 0), two legend keys
    assert "North &lt;High&gt; · P1: 20" in chart.svg  # labels escaped
    assert ">30<" in chart.svg  # the axis reaches the tallest bar on a round tick


def test_chart_axis_steps_are_round():
    from sislab.widgets import _axis

    assert _axis(72.5) == (80, 20)
    assert _axis(0) == (1.0, 1.0)
    assert _axis(1234) == (1500, 500)


def test_a_table_holds_every_row_as_escaped_text_with_blanks_blank():
    """The DataTables data (written by sislab, not itables) has every row, past the first
    page, each cell as the page shows it: escaped, blanks blank, numbers as pandas prints them."""
    import json
    import re

    import pandas as pd

    from sislab.widgets import TABLE_PAGE, table_html

    rows = TABLE_PAGE * 2 + 3
    df = pd.DataFrame({"school_name": ["<b>North</b> & Co"] * (rows - 1) + [None],
                       "n": range(rows), "pct_met": [12.5] * (rows - 2) + [1.0, None],
                       "as_of": [date(2025, 1, 2)] * rows, "users": pd.array([7] * (rows - 1) + [None], "Int64")})
    page = table_html(df)
    data = json.loads(json.loads(re.search(r'^\s*"data_json": (".*?"),?$', page, re.M).group(1)))
    assert len(data) == rows
    assert data[0] == ["&lt;b&gt;North&lt;/b&gt; &amp; Co", "0", "12.5", "2025-01-02", "7"]
    assert data[-2][2] == "1.0" and data[-1] == ["", str(rows - 1), "", "2025-01-02", ""]
    assert "<th>School</th>" in page and "<th>% met</th>" in page  # itables' header, human labels


def test_a_table_of_one_page_is_plain_html_and_a_longer_one_a_datatables_table(monkeypatch):
    import pandas as pd

    import sislab.widgets as widgets

    shown = []
    monkeypatch.setattr(widgets, "display", lambda html: shown.append(html.data))
    rows = pd.DataFrame({"school_name": ["North & <South>", None] * widgets.TABLE_PAGE})
    widgets.show_table(rows.head(widgets.TABLE_PAGE))
    widgets.show_table(rows.head(widgets.TABLE_PAGE + 1))
    plain, paged = shown
    assert "<script" not in plain and "<th>School</th>" in plain and "North &amp; &lt;South&gt;" in plain
    assert "None" not in plain and "nan" not in plain  # blanks stay blank
    assert "dt_bundle.js" in paged and '"pageLength": 25' in paged
