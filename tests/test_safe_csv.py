"""Formula-safe CSV for people (OWASP CSV injection): one rule, used by every writer."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from sislab.core import safe_csv

FORMULAS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","x")', "@SUM(1+1)", "+1+1", "-2+3",
            "\tTab", "\rCR"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_every_formula_start_is_neutralised(cell):
    assert safe_csv.neutralise(cell) == "'" + cell
    assert safe_csv.starts_like_formula(cell)


@pytest.mark.parametrize("cell", ["Smith", "O'Brien", "a=b", "", None, -1, 3.5])
def test_other_cells_are_left_alone(cell):
    assert safe_csv.neutralise(cell) == cell


def test_frame_text_cells_are_neutralised_numbers_are_not(tmp_path):
    df = pd.DataFrame({"name": ["=1+1", "Ann", None], "grade": [-1, 0, 12], "note": ["-", "@x", "ok"]})
    path = safe_csv.write_frame(tmp_path / "out.csv", df)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back["name"].tolist() == ["'=1+1", "Ann", ""]
    assert back["grade"].tolist() == ["-1", "0", "12"]
    assert back["note"].tolist() == ["'-", "'@x", "ok"]
    assert df["name"][0] == "=1+1", "the caller's frame is not changed"


def test_copy_from_duckdb_neutralises_text_columns_only(tmp_path):
    con = duckdb.connect()
    path, rows = safe_csv.copy_csv(
        con, "SELECT * FROM (VALUES ('=A1', -5, DATE '2025-01-02'), ('Bo', 3, NULL)) t(name, n, d)",
        tmp_path / "out.csv")
    assert rows == 2
    assert path.read_text().splitlines() == ["name,n,d", "'=A1,-5,2025-01-02", "Bo,3,"]


def test_formula_cells_and_condition_flag_values_for_fixed_layout_pre_flights():
    df = pd.DataFrame({"last_name": ["Ann", "@SUM(1)"], "grade": [-1, 2]})
    assert safe_csv.formula_cells(df) == [(1, "last_name", "@SUM(1)")]
    con = duckdb.connect()
    flagged = con.execute(f"SELECT v FROM (VALUES ('=x'), ('y'), ('-z')) t(v) WHERE {safe_csv.formula_condition('v')}")
    assert sorted(r[0] for r in flagged.fetchall()) == ["-z", "=x"]


def test_formula_condition_is_exact_for_every_start_blank_and_null():
    con = duckdb.connect()
    cells = [*(c + "x" for c in safe_csv.FORMULA_START), *safe_csv.FORMULA_START, "", None, "x=", "'=x", " =x"]
    got = con.execute(f"SELECT list({safe_csv.formula_condition('v')} ORDER BY i) FROM "
                      f"(SELECT unnest(?) AS v, generate_subscripts(?, 1) AS i)", [cells, cells]).fetchone()[0]
    assert got == [safe_csv.starts_like_formula(c) if c is not None else None for c in cells]


def test_copy_keeps_the_order_of_the_query(tmp_path):
    """Many rows with text columns through `safe_select` come out in the query's ORDER BY
    (an IN list, planned as a join, shuffled them past 2,048 rows)."""
    con = duckdb.connect(config={"threads": 4})
    query = ("SELECT md5(i::VARCHAR) AS id, 'n' || i AS name, CASE WHEN i % 97 = 0 THEN '=x' ELSE 'y' END AS note "
             "FROM range(500000) r(i) ORDER BY id")
    path, rows = safe_csv.copy_csv(con, query, tmp_path / "ordered.csv")
    ids = [line.split(",")[0] for line in path.read_text().splitlines()[1:]]
    assert rows == 500000 and ids == sorted(ids)
    assert "'=x" in path.read_text()


def test_a_formula_safe_copy_keeps_the_rows_order():
    """No join in the plan (DuckDB plans a long IN list as one, and a join's output order is
    not kept: a 1 M-row pre-flight list came out in a different order on each run)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range::VARCHAR AS a, 'x' || range AS b FROM range(10)")
    plan = con.execute(f"EXPLAIN {safe_csv.safe_select(con, 'SELECT * FROM t')}").fetchall()[0][1]
    assert "JOIN" not in plan.upper()
