"""The coordinators' JupyterLab: one workspace wherever a notebook runs, and `sislab lab`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from sislab.core import access
from sislab.core.lab import lab_command
from sislab.core.workspace import ENV_WORKSPACE, NoWorkspace, Workspace

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_a_workspace_is_never_taken_from_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_WORKSPACE)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NoWorkspace, match="sislab lab"):
        Workspace.locate()
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_names_its_default_workspace_and_passes_it_on(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != ENV_WORKSPACE}
    done = subprocess.run([sys.executable, "-m", "sislab", "users", "list"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "workspace" / "app.sqlite").exists()


@pytest.mark.slow
@pytest.mark.parametrize("notebook", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_a_notebook_opened_without_a_workspace_says_what_to_run_and_writes_nothing(notebook, tmp_path, monkeypatch):
    folder = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, folder)
    before = sorted(folder.rglob("*"))
    monkeypatch.delenv(ENV_WORKSPACE)
    monkeypatch.delenv("SISLAB_REPORTS", raising=False)
    nb = nbformat.read(folder / notebook, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    shown = "".join(str(o.get("data", {}).get("text/html", "")) + str(o.get("text", ""))
                    for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "sislab lab" in shown
    assert sorted(folder.rglob("*")) == before  # no workspace/ or reports/ next to the notebook


def test_sislab_lab_starts_jupyterlab_on_the_notebooks_with_the_workspace_and_user(tmp_path):
    ws = Workspace.locate(tmp_path / "ws")
    lab = lab_command(ws, "coordinator", port=8999, token="t0ken")
    assert lab.env[ENV_WORKSPACE] == str(ws.root) and lab.env[access.ENV_USER] == "coordinator"
    assert f"--ServerApp.root_dir={NOTEBOOKS}" in lab.argv
    assert lab.url == "http://127.0.0.1:8999/lab?token=t0ken"
    assert f"--FileCheckpoints.root_dir={ws.tmp / 'checkpoints'}" in lab.argv  # not beside the notebooks
    assert "--ServerApp.extra_log_scrub_param_keys=['search']" in lab.argv  # a table's search: not in the log


def test_the_lab_user_is_who_acts(monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setenv(access.ENV_USER, "coordinator")
    assert access.current_user() == "coordinator"
    monkeypatch.setenv("JUPYTERHUB_USER", "hub.coordinator")
    assert access.current_user() == "hub.coordinator"


def test_an_offered_file_goes_to_its_user_only(tmp_path):
    from sislab.core import downloads

    ws = Workspace.locate(tmp_path / "ws")
    link = downloads.offer(ws, "school_id\n001\n", "near misses.csv", user="casey")
    _, _, token, name = link.split("/")
    assert name == "near_misses.csv" and len(token) >= 32
    assert downloads.offered_file(ws, token, name, "casey").read_text() == "school_id\n001\n"
    assert downloads.offered_file(ws, token, name, "pat") is None
    assert downloads.offered_file(ws, token, downloads.OWNER, "casey") is None
    assert downloads.offered_file(ws, token, "..", "casey") is None
    assert oct(downloads.offered_file(ws, token, name, "casey").stat().st_mode & 0o777) == "0o600"


def test_an_offered_file_is_gone_after_its_time_even_before_the_next_sweep(tmp_path):
    import os
    import time

    from sislab.core import downloads

    ws = Workspace.locate(tmp_path / "ws")
    _, _, token, name = downloads.offer(ws, "x\n", "a.csv", user="casey").split("/")
    place = downloads.folder(ws) / token
    then = time.time() - downloads.KEEP_SECONDS - 1
    os.utime(place, (then, then))
    assert downloads.offered_file(ws, token, name, "casey") is None
