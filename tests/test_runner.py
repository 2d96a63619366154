"""`sislab run`: real papermill runs into reports/<notebook>/<timestamp>/."""

from __future__ import annotations

import html
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from fixtures import write_export
from papermill.parameterize import parameterize_notebook

from sislab.cli import main
from sislab.core import runner
from sislab.core.importer import import_sis
from sislab.core.workspace import Workspace
from sislab.widgets import NO_DATA

ROOT = Path(__file__).resolve().parents[1]
ECHO = ROOT / "tests" / "notebooks" / "echo_parameters.ipynb"
STAMP = re.compile(r"\d{8}T\d{6}Z")


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Workspace:
    monkeypatch.setenv("SISLAB_REPORTS", str(tmp_path / "reports"))
    return Workspace.locate(tmp_path / "workspace")


def sislab(ws: Workspace, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports)}
    return subprocess.run([sys.executable, "-m", "sislab", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_cli_values_stay_text_unless_declared_number_or_bool(ws):
    done = sislab(ws, "run", str(ECHO), "-p", "school", "0123", "-p", "count", "7", "-p", "ratio", "2.5",
                  "-p", "flag", "yes")
    assert done.returncode == 0, done.stderr
    [run_dir] = (ws.reports / "echo_parameters").iterdir()
    received = json.loads((run_dir / "received.json").read_text())
    assert received["parameters"] == {"school": ["0123", "str"], "count": [7, "int"], "ratio": [2.5, "float"],
                                      "flag": [True, "bool"]}
    assert f"produced: {run_dir / 'received.json'}" in done.stdout


@pytest.mark.slow
def test_run_folder_is_timestamped_owner_only_and_holds_what_the_notebook_made(ws):
    result = runner.run_notebook(ECHO, {"school": "0123"}, ws, user="pat")
    assert result.ok and result.error is None
    assert result.output_dir.parent == ws.reports / "echo_parameters"
    assert STAMP.fullmatch(result.output_dir.name)
    assert result.executed_path == result.output_dir / "echo_parameters.ipynb"
    assert result.produced_files == [result.output_dir / "received.json"]
    assert mode(result.output_dir) == 0o700
    for path in result.output_dir.iterdir():
        assert mode(path) == 0o600, path  # received.json was written with the default umask
    received = json.loads((result.output_dir / "received.json").read_text())
    assert received["prefix"] == sys.prefix  # the kernel is this interpreter's, not a system python
    assert received["cwd"] == str(result.output_dir)
    assert received["workspace"] == str(ws.root)
    manifest = json.loads((result.output_dir / runner.MANIFEST).read_text())
    assert (manifest["user"], manifest["parameters"], manifest["ok"]) == ("pat", {"school": "0123"}, True)


@pytest.mark.slow
def test_failing_cell_exits_nonzero_naming_the_error_and_the_saved_notebook(ws):
    done = sislab(ws, "run", str(ECHO), "-p", "fail", "true")
    assert done.returncode == 1
    assert "ValueError: asked to fail" in done.stderr
    saved = re.search(r"executed notebook \(with the error\): (\S+)", done.stderr).group(1)
    nb = nbformat.read(saved, as_version=4)
    assert any(o.get("ename") == "ValueError" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert json.loads((Path(saved).parent / runner.MANIFEST).read_text())["ok"] is False


@pytest.mark.slow
def test_district_overview_writes_its_csv_and_prints_no_student_data(ws, tmp_path):
    import_sis(write_export(tmp_path / "export"), ws, user="pytest")
    done = sislab(ws, "run", "district_overview", "-p", "as_of", "2025-01-15")
    assert done.returncode == 0, done.stderr
    [run_dir] = (ws.reports / "district_overview").iterdir()
    csv = run_dir / "enrollment_by_school_grade.csv"
    assert mode(csv) == 0o600
    assert csv.read_text().splitlines() == ["school_id,school_name,4,10,11,total",
                                            "1,North High,0,1,1,2", "2,Oak Elementary,1,0,0,1"]
    assert "North High" not in done.stdout + done.stderr
    assert "without encryption" not in done.stderr  # the run's kernel sockets are encrypted (sislab.core.kernels)


@pytest.mark.slow
def test_district_overview_before_any_import_explains_instead_of_failing(ws):
    result = runner.run_notebook("district_overview", {}, ws)
    assert result.ok, result.error
    assert result.produced_files == []
    assert html.escape(NO_DATA) in result.executed_path.read_text()


def test_yaml_parameters_file_keeps_leading_zeros(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("school: 0123\ncount: 08\nflag: no\n")
    typed = runner.typed_parameters(ECHO, runner.parameters_file(params))
    assert typed == {"school": "0123", "count": 8, "flag": False}


def test_unknown_parameter_is_refused_naming_the_declared_ones(ws, capsys):
    assert main(["run", str(ECHO), "-p", "schol", "0123"]) == 2
    err = capsys.readouterr().err
    assert "echo_parameters has no parameter 'schol'; its parameters: school, count, ratio, flag, fail" in err
    assert not (ws.reports / "echo_parameters").exists()


def test_output_dir_is_set_by_the_runner_only():
    with pytest.raises(runner.ParameterError, match="output_dir is set by sislab run"):
        runner.typed_parameters(ECHO, {"output_dir": "/tmp"})


def test_number_parameter_refuses_text():
    with pytest.raises(runner.ParameterError, match="parameter count takes a int .* not 'seven'"):
        runner.typed_parameters(ECHO, {"count": "seven"})


def test_unknown_notebook_lists_the_known_ones(capsys):
    assert main(["run", "no_such_notebook"]) == 2
    assert "district_overview" in capsys.readouterr().err


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path):
    first, second = runner.new_run_dir(tmp_path), runner.new_run_dir(tmp_path)
    assert first != second and second.name.startswith(first.name[:16])


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_has_a_parameters_cell_papermill_and_voila_can_fill(notebook):
    nb = nbformat.read(notebook, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.metadata.tags == ["parameters"]
    assert all("tags" in c.metadata for c in nb.cells)
    assert "papermill" in nb.metadata
    assert runner.declared_parameters(notebook)["output_dir"] is None
    assigned = {line.split("=")[0].strip() for line in first_code.source.splitlines() if "=" in line.split("#")[0]}
    assert assigned == set(runner.declared_parameters(notebook)), "papermill could not parse a parameter line"
    filled = parameterize_notebook(nb, {"output_dir": "/x"})
    after = nb.cells.index(first_code) + 1
    assert "injected-parameters" in filled.cells[after].metadata.tags


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_opens_on_its_title(notebook):
    """A coordinator opening a notebook reads what it is for before any code."""
    first = nbformat.read(notebook, as_version=4).cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
