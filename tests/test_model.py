"""The data model is declared once; the DDL file and the docs page are generated from it."""

from pathlib import Path

import duckdb

from sislab.core import model

ROOT = Path(__file__).resolve().parents[1]


def test_schema_sql_is_generated_from_the_model():
    committed = (ROOT / "sislab/core/sql/schema.sql").read_text(encoding="utf-8")
    assert committed == model.ddl(), "run: sislab model --ddl > sislab/core/sql/schema.sql"


def test_data_model_doc_is_generated_from_the_model():
    committed = (ROOT / "docs/data-model.md").read_text(encoding="utf-8")
    assert committed == model.docs(), "run: sislab model --docs > docs/data-model.md"


def test_ddl_creates_every_table():
    con = duckdb.connect()
    con.execute(model.ddl())
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {t.name for t in model.TABLES}


def test_keys_and_references_name_real_columns():
    for t in model.TABLES:
        names = {c.name for c in t.columns}
        assert set(t.key) <= names, t.name
        assert t.school_column is None or t.school_column in names
        for c in t.columns:
            if c.references:
                target, col = c.references.split(".")
                assert col in {x.name for x in model.table(target).columns}, (t.name, c.name)
