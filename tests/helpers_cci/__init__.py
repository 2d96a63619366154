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


def cci_run(ws: Workspace, *cli_args: str, block: str = "", fail: str = "") -> Helper:
    """`sislab --workspace WS cci run ...` in its own process, with the hooks of cci_run.py."""
    return Helper(str(HERE / "cci_run.py"), block, fail, "--workspace", ws.root, "cci", "run", *cli_args)
