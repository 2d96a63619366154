"""`sislab serve`: the real Voilà server in a subprocess, asserted on over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fixtures import write_export

from sislab.cli import main
from sislab.core import serve
from sislab.core.importer import import_sis
from sislab.core.workspace import Workspace

SOURCE_SNIPPETS = ("from sislab import", "widgets.from_snapshot", "output_dir = None")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, deadline: float) -> str:
    """The page at `url` once the server answers 200 (it renders the notebook before answering)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                assert response.status == 200
                return response.read().decode("utf-8")
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def start(ws: Workspace, port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports)}
    return subprocess.Popen([sys.executable, "-m", "sislab", "serve", "--port", str(port), "--no-browser", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(server: subprocess.Popen) -> tuple[str, str]:
    server.send_signal(signal.SIGTERM)
    try:
        return server.communicate(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Workspace:
    monkeypatch.setenv("SISLAB_REPORTS", str(tmp_path / "reports"))
    ws = Workspace.locate(tmp_path / "workspace")
    import_sis(write_export(tmp_path / "export"), ws, user="pytest")
    return ws


@pytest.mark.slow
def test_dashboard_asks_for_sign_in_before_showing_any_data(ws):
    # What a signed-in user sees (data, no source code) is tested in test_dashboard_scope.py.
    port = free_port()
    server = start(ws, port)
    try:
        page = get(serve.dashboard_url("127.0.0.1", port, "district_overview.ipynb"), time.monotonic() + 60)
    finally:
        out, _ = stop(server)
    assert "North High" not in page
    assert "type='password'" in page
    assert not [s for s in SOURCE_SNIPPETS if s in page]
    assert f"serving dashboards from {serve.notebooks_dir()} at http://127.0.0.1:{port}/" in out
    assert server.returncode is not None


@pytest.mark.slow
def test_busy_port_stops_the_server_instead_of_moving_it(ws):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = start(ws, taken.getsockname()[1])
        out, _ = server.communicate(timeout=60)
    assert server.returncode != 0
    assert "serving dashboards" not in out


def test_missing_notebooks_folder_is_a_user_error(tmp_path, capsys):
    assert main(["serve", "--notebooks", str(tmp_path / "nope"), "--no-browser"]) == 2
    assert f"no notebooks folder at {tmp_path / 'nope'}" in capsys.readouterr().err


def test_config_strips_sources_hides_tracebacks_and_culls_idle_kernels(ws):
    c = serve.voila_config(ws, "127.0.0.1", 8866, Path("/srv/notebooks"))
    assert (c.Voila.ip, c.Voila.port, c.Voila.port_retries) == ("127.0.0.1", 8866, 0)
    assert c.VoilaConfiguration.strip_sources is True
    assert c.VoilaConfiguration.show_tracebacks is False
    assert c.VoilaConfiguration.template == "lab"
    assert c.MappingKernelManager.cull_idle_timeout > 0
    assert c.MappingKernelManager.cull_interval > 0
    assert c.MappingKernelManager.cull_connected is False
    assert c.Voila.config_file_paths == []  # no stray voila.json can undo the above
    assert Path(c.Voila.connection_dir_root).is_relative_to(ws.root)  # kernel keys stay owner-only
