"""Test session set-up: a workspace with the sample district imported, once per session.

It lives at the repository root so that `pytest notebooks` alone gets it too: the workspace
is exported as SISLAB_WORKSPACE, and notebooks run by nbval (whose kernels inherit this
process's environment) read the sample district, never a stray ./workspace.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SAMPLE = ROOT / "data" / "sample"
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="sislab-tests-"))


def pytest_configure(config):
    os.environ["SISLAB_WORKSPACE"] = str(_SESSION_DIR / "workspace")
    os.environ["SISLAB_REPORTS"] = str(_SESSION_DIR / "reports")
    os.environ.pop("SISLAB_SMTP_HOST", None)
    if (SAMPLE / "student.csv").exists():
        from sislab.core.importer import import_sis
        from sislab.core.workspace import Workspace

        import_sis(SAMPLE, Workspace.locate(), user="pytest")


@pytest.fixture(scope="session")
def sample_ws():
    """The session's workspace holding the imported sample district (read it, don't change it)."""
    from sislab.core.workspace import Workspace

    ws = Workspace.locate()
    if ws.current_snapshot() is None:
        pytest.skip("data/sample has not been generated")
    return ws
