"""Serve the notebooks folder as read-only Voilà dashboards: `sislab serve`.

Everything the server does is decided in `voila_config`, one traitlets Config built in code
(Voilà's own config files are not read, so a stray voila.json cannot undo these choices):

- sources stripped, tracebacks hidden: a page shows outputs, never code or an error's data;
- every page view gets its own kernel (~140 MiB), one of `WARM_KERNELS` started ahead when
  there is one (see `sislab.core.voila_auth`); kernels idle for `CULL_IDLE_TIMEOUT` seconds
  with no browser attached (a closed tab, a bare GET) are shut down. Kernels with a tab open
  are kept (`cull_connected` off) so that a principal's open dashboard keeps working;
- kernel connection files live in the owner-only workspace, not in /tmp;
- the port is the one asked for, or the server does not start (the printed URL stays true);
- every page needs a signed-in user (`sislab users`), and each page's school is fixed on the
  server from that user's scope; kernels belong to the session that started them, and each
  user holds at most `kernels_per_user` of them, a new page taking over the least recently used
  one's (see `sislab.core.voila_auth`);
- only the notebooks listed in the notebooks folder's `dashboards.toml` are served; the URL
  cannot pick another template or theme, and no file of the folder is served.
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets.config import Config

from .runner import notebooks_dir
from .workspace import ENV_REPORTS, ENV_WORKSPACE, Workspace, private_dir

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866
CULL_IDLE_TIMEOUT = 300  # seconds a kernel may sit idle with no browser attached
CULL_INTERVAL = 30  # how often idle kernels are looked for
# Live dashboards (tabs) per user: every dashboard for two schools. A tab past it takes the
# kernel of the user's least recently used one (its widgets stop; its tables stay).
KERNELS_PER_USER = 8
MAX_KERNELS = 40  # in all, ~140 MiB each
# Kernels started ahead with the dashboards' modules imported, so that a page does not wait
# ~1 s for a kernel's start and its imports; each holds ~190 MiB even when nobody looks. Three:
# a principal clicking through the dashboards one after another takes them faster than they
# are replaced (one at a time, ~1 s each); with two, the third page waited for one.
WARM_KERNELS = 3
# Called by a warm kernel after its imports: a page's first table then costs it nothing extra.
WARM_CALLS = ("sislab.widgets.warm_up",)
TEMPLATE = "lab"


def voila_config(ws: Workspace, host: str, port: int, notebooks: Path, open_browser: bool = False,
                 kernels_per_user: int = KERNELS_PER_USER, hub: bool = False,
                 warm_kernels: int = WARM_KERNELS) -> Config:
    """The whole server configuration: where, what, who, and how kernels are kept in check."""
    from . import kernels, voila_auth  # import Voilà, papermill, jupyter_client: only when serving

    c = Config()
    c.Voila.ip = host
    c.Voila.port = port
    c.Voila.port_retries = 0
    c.Voila.root_dir = str(notebooks)
    c.Voila.open_browser = open_browser
    c.Voila.config_file_paths = []
    c.Voila.connection_dir_root = str(private_dir(ws.tmp / "voila"))
    c.VoilaConfiguration.template = TEMPLATE
    c.VoilaConfiguration.strip_sources = True
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaConfiguration.allow_template_override = "NO"
    c.VoilaConfiguration.allow_theme_override = "NO"
    c.VoilaConfiguration.file_allowlist = []
    c.VoilaConfiguration.prelaunch_hook = voila_auth.scope_hook
    c.VoilaConfiguration.multi_kernel_manager_class = voila_auth.DashboardKernelManager
    c.ServerKernelManager.update(kernels.SETTINGS)
    c.Voila.identity_provider_class = voila_auth.HubIdentityProvider if hub else voila_auth.SislabIdentityProvider
    if hub:  # a JupyterHub service: served under the hub's prefix for it, e.g. /services/sislab/
        c.Voila.base_url = c.Voila.server_url = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    c.Voila.authorizer_class = voila_auth.KernelOwnerAuthorizer
    dashboards = voila_auth.read_dashboards(notebooks)
    c.Voila.tornado_settings = {voila_auth.SITE: voila_auth.Site(ws, dashboards),
                                "log_function": voila_auth.log_request}
    c.DashboardKernelManager.kernels_per_user = kernels_per_user
    c.DashboardKernelManager.max_kernels = MAX_KERNELS
    c.DashboardKernelManager.warm_kernels = warm_kernels
    c.DashboardKernelManager.warm_imports = voila_auth.dashboard_modules(notebooks, dashboards)
    c.DashboardKernelManager.warm_calls = list(WARM_CALLS)
    c.MappingKernelManager.cull_idle_timeout = CULL_IDLE_TIMEOUT
    c.MappingKernelManager.cull_interval = CULL_INTERVAL
    c.MappingKernelManager.cull_connected = False
    c.MappingKernelManager.cull_busy = False
    return c


def dashboard_url(host: str, port: int, notebook: str | None = None) -> str:
    """The server's home page, or the page rendering one notebook."""
    base = f"http://{host}:{port}/"
    return f"{base}voila/render/{notebook}" if notebook else base


def serve(ws: Workspace, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, notebooks: Path | None = None,
          open_browser: bool = True, kernels_per_user: int = KERNELS_PER_USER, hub: bool = False,
          warm_kernels: int = WARM_KERNELS) -> None:
    """Run the dashboard server until interrupted (Ctrl-C or SIGTERM)."""
    from tornado.ioloop import IOLoop

    from .voila_auth import SislabVoila

    notebooks = notebooks or notebooks_dir()
    if not notebooks.is_dir():
        raise FileNotFoundError(f"no notebooks folder at {notebooks}; pass --notebooks DIR")
    # Kernels inherit the server's environment: they read this workspace.
    os.environ.update({ENV_WORKSPACE: str(ws.root), ENV_REPORTS: str(ws.reports)})
    if hub and not os.environ.get("JUPYTERHUB_SERVICE_PREFIX"):
        raise FileNotFoundError("--hub: start `sislab serve --hub` as a JupyterHub service (docs/operations.md); "
                                "JUPYTERHUB_SERVICE_PREFIX is not set")
    app = SislabVoila(config=voila_config(ws, host, port, notebooks, open_browser, kernels_per_user, hub,
                                          warm_kernels))
    app.initialize([])
    # Runs once the loop starts, i.e. only after the port was bound.
    IOLoop.current().add_callback(print, f"sislab: serving dashboards from {notebooks} at "
                                  f"{dashboard_url(host, port)} (Ctrl-C to stop)", flush=True)
    app.start()


def add_commands(sub) -> None:
    p = sub.add_parser("serve", help="serve the notebooks as read-only Voilà dashboards")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--notebooks", type=Path, help="folder of notebooks to serve (default: notebooks/)")
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.add_argument("--kernels-per-user", type=int, default=KERNELS_PER_USER, metavar="N",
                   help=f"dashboards one user may have open at once (default {KERNELS_PER_USER})")
    p.add_argument("--warm-kernels", type=int, default=WARM_KERNELS, metavar="N",
                   help=f"kernels kept started ahead, ~190 MiB each, so that pages open faster "
                   f"(default {WARM_KERNELS}; 0: none)")
    p.add_argument("--hub", action="store_true",
                   help="run as a JupyterHub service: the hub signs users in (HubOAuth); see docs/operations.md")
    p.set_defaults(func=serve_command)


def serve_command(args) -> int:
    from ..cli import UserError

    try:
        serve(Workspace.locate(), args.host, args.port, notebooks_dir(args.notebooks), not args.no_browser,
              args.kernels_per_user, args.hub, args.warm_kernels)
    except FileNotFoundError as e:
        raise UserError(str(e)) from None
    return 0
