"""Scripts the CCI mass-update tests start as processes, and a workspace holding the sample."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers.procs import Helper, workspace

from sislab.core import store
from sislab.core.workspace import Workspace

HERE = Path(__file__).parent


def sample_copy(sample_ws: Workspace, tmp_path: Path, monkeypatch) -> Workspace:
    """A fresh workspace (no SMTP, no results, no jobs) on a copy of the session's sample snapshot."""
    ws = workspace(tmp_path, monkeypatch)
    built = ws.tmp / "sample.duckdb"
    shutil.copyfile(sample_ws.current_snapshot(), built)
    store.publish_snapshot(ws, built)
    return ws


def school_results(con, school_id: str, rules) -> dict:
    """Everything a mass update publishes for one school, computed for it alone (the district
    run restricted to that school): {result name: relation or DataFrame}."""
    import duckdb

    from sislab.cci import mass_update

    district = mass_update.district_results(con, [school_id], rules)
    one = duckdb.ColumnExpression("school_id") == duckdb.ConstantExpression(school_id)
    return {name: rows.filter(one) if isinstance(rows, duckdb.DuckDBPyRelation)
            else rows[rows["school_id"] == school_id].reset_index(drop=True)
            for name, rows in district.items()}


def cci_run(ws: Workspace, *cli_args: str, block: str = "", fail: str = "", pause_after: str = "") -> Helper:
    """`sislab --workspace WS cci run ...` in its own process, with the hooks of cci_run.py."""
    return Helper(str(HERE / "cci_run.py"), block, fail, pause_after, "--workspace", ws.root, "cci", "run", *cli_args)
