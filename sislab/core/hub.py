"""sislab under JupyterHub: the hub signs everyone in; sislab decides what each may do.

`configure(c, ...)` is the whole sislab part of a `jupyterhub_config.py` (docs/operations.md
shows one, with OAuthenticator for Google or Microsoft accounts; the tests use it with a test
authenticator):

- the dashboards run as the hub-managed service `sislab` (`sislab serve --hub`, at
  /services/sislab/): it learns who the user is from the hub (HubOAuth), and their scope from
  sislab's users;
- the hub spawns each coordinator's and admin's own JupyterLab on the notebooks, with the
  workspace set and the downloads extension on; the hub user is who the forms act as
  (`JUPYTERHUB_USER`);
- a principal (or a hub user who is no sislab user) gets no JupyterLab: the hub sends them to
  the dashboards.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import access
from .lab import lab_environment, lab_options
from .runner import notebooks_dir
from .workspace import ENV_REPORTS, ENV_WORKSPACE, Workspace

SERVICE = "sislab"
SERVICE_PORT = 8866
DASHBOARDS = f"/services/{SERVICE}/"
NO_LAB = "JupyterLab is for coordinators and admins; your dashboards are at " + DASHBOARDS


def configure(c, ws: Workspace, *, notebooks: Path | None = None, service_port: int = SERVICE_PORT,
              python: str = sys.executable, lab_python: str | None = None) -> None:
    """Set what sislab needs on a JupyterHub config object `c`. `python` runs the dashboards
    service beside the hub; `lab_python` (default the same) the users' JupyterLab, e.g.
    "python3" in the user image of Zero to JupyterHub."""
    notebooks = notebooks or notebooks_dir()
    env = {ENV_WORKSPACE: str(ws.root), ENV_REPORTS: str(ws.reports)}
    c.JupyterHub.services = [*_other_services(c), {
        "name": SERVICE, "url": f"http://127.0.0.1:{service_port}", "display": True, "oauth_no_confirm": True,
        "command": [python, "-m", "sislab", "serve", "--hub", "--no-browser", "--port", str(service_port),
                    "--notebooks", str(notebooks)],
        "environment": env}]
    c.JupyterHub.load_roles = [{"name": "user", "scopes": ["self", f"access:services!service={SERVICE}"]}]
    c.JupyterHub.default_url = landing_page(ws)
    c.Spawner.cmd = [lab_python or python, "-m", "jupyterhub.singleuser"]
    c.Spawner.default_url = "/lab"
    c.Spawner.notebook_dir = str(notebooks)
    c.Spawner.environment = {**env, **lab_environment(ws)}
    c.Spawner.args = lab_options(ws) + (["--allow-root"] if os.geteuid() == 0 else [])
    c.Spawner.pre_spawn_hook = lab_for_job_runners(ws)


def _other_services(c) -> list:
    existing = c.JupyterHub.services if "services" in c.JupyterHub else []
    return [s for s in existing if s.get("name") != SERVICE]


def may_have_lab(ws: Workspace, name: str) -> bool:
    """Coordinators and admins run jobs, so they get a JupyterLab; nobody else does."""
    return access.may(access.get_user(ws, name), "run_jobs")


def lab_for_job_runners(ws: Workspace):
    """The hub's pre-spawn hook: no JupyterLab for principals or unknown users."""

    def check(spawner) -> None:
        from tornado import web

        if not may_have_lab(ws, spawner.user.name):
            raise web.HTTPError(403, NO_LAB)

    return check


def landing_page(ws: Workspace):
    """Where the hub sends a user who signed in: their JupyterLab, or the dashboards."""

    def default_url(handler) -> str:
        user = handler.current_user
        if user is not None and may_have_lab(ws, user.name):
            return handler.hub.base_url + "spawn"
        return DASHBOARDS

    return default_url
