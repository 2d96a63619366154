"""`sislab lab`: JupyterLab on the notebooks folder, reading the district's workspace.

The coordinators' forms are notebooks; opened in a JupyterLab started anywhere, their kernels
would not know which workspace to read (see `sislab.core.workspace`). This starts JupyterLab
with the workspace, the reports folder and the acting sislab user in its environment, which
every kernel inherits.

On one server the Lab is the machine login's: `--user` names the sislab user its jobs run as
(their role and schools decide what the forms may do, `sislab.core.access`). With JupyterHub
each coordinator gets their own Lab, started by the hub as that user (docs/operations.md).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import access
from .runner import notebooks_dir
from .workspace import ENV_REPORTS, ENV_WORKSPACE, Workspace, private_dir, write_atomic

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8888


@dataclass(frozen=True)
class Lab:
    """How to start one JupyterLab, and the address that signs its user in."""

    argv: list[str]
    env: dict[str, str]
    url: str


def lab_command(ws: Workspace, user: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                notebooks: Path | None = None, token: str | None = None) -> Lab:
    """The JupyterLab process for `user` on `ws` (not started)."""
    notebooks = notebooks or notebooks_dir()
    if not notebooks.is_dir():
        raise FileNotFoundError(f"no notebooks folder at {notebooks}; pass --notebooks DIR")
    token = token or secrets.token_urlsafe(24)
    argv = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.ip={host}",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={notebooks}",
            f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False", *lab_options(ws)]
    if os.geteuid() == 0:  # containers often run as root; Jupyter refuses that unless told
        argv.append("--ServerApp.allow_root=True")
    env = {**os.environ, ENV_WORKSPACE: str(ws.root), ENV_REPORTS: str(ws.reports), access.ENV_USER: user,
           **lab_environment(ws)}
    return Lab(argv, env, f"http://{host}:{port}/lab?token={token}")


# JupyterLab's plugin that asks "Would you like to get notified about official Jupyter news?" and
# then fetches news and update checks from jupyter.org. The server's `news_url=None` stops the
# fetching only: the plugin asks whatever the server says, so it is disabled.
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"


def lab_environment(ws: Workspace) -> dict[str, str]:
    """Environment every coordinator's Lab gets (also under JupyterHub): a Jupyter config folder
    first on JUPYTER_CONFIG_PATH whose `labconfig/page_config.json` disables ANNOUNCEMENTS (what
    `jupyter labextension disable` writes, kept in the workspace so that the hub's users' Labs
    find it wherever sislab is installed)."""
    folder = private_dir(ws.tmp / "lab-config")
    write_atomic(private_dir(folder / "labconfig") / "page_config.json",
                 json.dumps({"disabledExtensions": {ANNOUNCEMENTS: True}}, indent=1) + "\n")
    paths = [str(folder), *filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    return {"JUPYTER_CONFIG_PATH": os.pathsep.join(paths)}


def lab_options(ws: Workspace) -> list[str]:
    """JupyterLab settings every coordinator's Lab gets (also under JupyterHub): the downloads
    extension, the notebooks' checkpoints kept in the workspace, not beside the notebooks, no
    calls to jupyter.org (its news pop-up asks district staff a question that is not theirs,
    and a district's network may not reach it), and encrypted sockets between the Lab and its
    kernels (`sislab.core.kernels`); the access log leaves out a table's search (`search[value]`
    of a rows request: what a coordinator typed, often a student's name)."""
    from .kernels import TRANSPORT_ENCRYPTION  # imports jupyter_client: only when starting a Lab

    return ["--ServerApp.jpserver_extensions=" + repr({"sislab.core.downloads": True}),
            f"--FileCheckpoints.root_dir={private_dir(ws.tmp / 'checkpoints')}",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--ServerKernelManager.transport_encryption={TRANSPORT_ENCRYPTION}",
            "--ServerApp.extra_log_scrub_param_keys=" + repr(["search"])]


def start_lab(lab: Lab) -> subprocess.Popen:
    """JupyterLab in the background (the demo serves the dashboards beside it)."""
    return subprocess.Popen(lab.argv, env=lab.env, stdin=subprocess.DEVNULL)


def add_commands(sub) -> None:
    p = sub.add_parser("lab", help="open JupyterLab on the notebooks, reading this workspace")
    p.add_argument("--user", help="the sislab user the forms act as (default: your login name)")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--notebooks", type=Path, help="folder of notebooks (default: notebooks/)")
    p.set_defaults(func=run_lab_command)


def run_lab_command(args) -> int:
    from ..cli import UserError

    try:
        lab = lab_command(Workspace.locate(), args.user or access.current_user(), args.host, args.port,
                          notebooks_dir(args.notebooks))
    except FileNotFoundError as e:
        raise UserError(str(e)) from None
    print(f"sislab: JupyterLab for {lab.env[access.ENV_USER]} on {lab.env[ENV_WORKSPACE]}: {lab.url}", flush=True)
    os.execve(lab.argv[0], lab.argv, lab.env)  # JupyterLab takes this process over: signals reach it
