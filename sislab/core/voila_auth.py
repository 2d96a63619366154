"""Sign-in, school scope and kernel ownership for the dashboard server (Voilà 0.5, jupyter_server 2).

What a request goes through:

1. `SislabIdentityProvider` (jupyter_server's identity hook): the signed cookie names a
   server-side session; the session's user must still exist, be active and have the password
   it signed in with. Otherwise the request is anonymous and Voilà sends it to /login.
   /login checks the password with `access.authenticate`, after `SignInThrottle` (repeated
   failures for a name or from an address are refused unchecked for a while); /logout ends the
   session and shuts down the kernels it started.
2. `scope_hook` (Voilà's prelaunch hook, run before a page's kernel starts): only notebooks
   listed in the notebooks folder's `dashboards.toml` are served; the page's `school`
   parameter is set from `access.schools_for(user)` — a `?school=` value is honoured only
   inside that scope, anything else is refused (403) and logged with the user and the school
   code asked for. `output_dir` is forced to None, so a page writes no file.
3. `DashboardKernelManager` gives the page its kernel: it records which session owns it,
   holds each user to `kernels_per_user` (past it, the user's least recently used page gives up its
   kernel, so a new tab always opens), and blanks the query string from the kernel's
   environment (it is user input; the kernel gets its school as a parameter only). The kernel
   is a warm one when there is one: started ahead with the dashboards' modules imported and
   nothing else (no school, no user, no data), given to one page only, its environment then
   made the page's; it is shut down with the page like any other, never given out again.
4. `KernelOwnerAuthorizer` and `OwnedShutdownHandler`: the kernel REST endpoint, the kernel
   websocket and Voilà's shutdown endpoint answer only the session that owns the kernel.
   Kernel ids appear in page HTML; they grant nothing.

Voilà itself drops every kernel message from the browser but widget (comm) traffic and
kernel info (`allowed_message_types`), so a page cannot execute code.

Nothing idles before a page: the server's kernel clients (`sislab.core.kernels`) are ready when
the kernel answers, not 0.2 s later, and Voilà's templates are compiled once for the server's
life (`CompiledTemplates`), not for every page.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import html
import json
import math
import os
import re
import secrets
import time
import tomllib
from collections import Counter, deque
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from pathlib import Path

from jinja2 import BytecodeCache
from jupyter_server._tz import utcnow
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from papermill.parameterize import parameterize_notebook
from tornado import web
from tornado.httputil import url_concat
from tornado.ioloop import IOLoop
from tornado.log import access_log
from traitlets import Float, Integer, List, Unicode
from voila.app import Voila
from voila.exporter import VoilaExporter
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler
from voila.utils import ENV_VARIABLE

from . import access, downloads, store
from .runner import OUTPUT_PARAMETER, SCHOOL_PARAMETER
from .workspace import Workspace

DASHBOARDS_FILE = "dashboards.toml"
SITE = "sislab_site"  # key of the `Site` in the tornado settings


@dataclass(frozen=True)
class Dashboard:
    notebook: str  # path relative to the notebooks folder, as in /voila/render/<notebook>
    title: str
    per_school: bool = False  # shows one school at a time: no "All schools" link
    tables: bool = False  # a school's page has a table of more than one page: its script is fetched early


@dataclass(frozen=True)
class Site:
    """What the handlers need to know: the workspace and the dashboards offered."""

    ws: Workspace
    dashboards: tuple[Dashboard, ...]

    def dashboard(self, path: str) -> Dashboard | None:
        return next((d for d in self.dashboards if d.notebook == path), None)


def read_dashboards(notebooks: Path) -> tuple[Dashboard, ...]:
    """The dashboards listed in `<notebooks>/dashboards.toml` (none when the file is missing)."""
    path = notebooks / DASHBOARDS_FILE
    if not path.is_file():
        return ()
    with open(path, "rb") as fh:
        return tuple(Dashboard(d["notebook"], d["title"], bool(d.get("per_school", False)),
                               bool(d.get("tables", False))) for d in tomllib.load(fh).get("dashboard", []))


# --- pages: sislab's own, small and self-contained ----------------------------------------

PAGE_STYLE = ("body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}"
              "label{display:block;margin:.8em 0 .2em}input{font-size:1em;padding:.3em;width:100%}"
              "button{margin-top:1em;font-size:1em;padding:.4em 1.2em}.error{color:#c53030}")


def page(title: str, body: str) -> str:
    """A small self-contained HTML page (sislab's own pages need no template or static files)."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)} — sislab</title>"
            f"<style>{PAGE_STYLE}</style></head><body>{body}</body></html>")


class PlainErrors:
    """Error pages without jupyter_server's templates (they need static files Voilà does not set up)."""

    def write_error(self, status_code: int, **kwargs) -> None:
        reason = html.escape(self._reason)
        self.finish(page(f"{status_code} {reason}", f"<h1>{status_code}: {reason}</h1>"))


# --- identity ------------------------------------------------------------------------------

@dataclass
class Viewer(User):
    """A signed-in user, with the session the request came with."""

    session: str = ""


@dataclass
class Session:
    user: str
    password_hash: str | None  # the user's hash at sign-in: a password change ends the session
    started: float


class SislabIdentityProvider(IdentityProvider):
    """Users and passwords from the app state; sessions held by the server, named by a signed cookie."""

    session_hours = Float(12.0, config=True, help="a session ends this long after sign-in")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.login_handler_class = SignInHandler  # Voilà passes its own: ours asks for a user name
        self.logout_handler_class = SignOutHandler
        self.sessions: dict[str, Session] = {}
        self.throttle = SignInThrottle()

    @property
    def auth_enabled(self) -> bool:
        return True

    def get_user(self, handler: web.RequestHandler) -> Viewer | None:
        sid = self.session_id(handler)
        session = self.sessions.get(sid) if sid else None
        if session is None:
            return None
        user = access.get_user(handler.settings[SITE].ws, session.user)
        expired = time.time() - session.started > self.session_hours * 3600
        if expired or user is None or not user.active or user.password_hash != session.password_hash:
            self.sessions.pop(sid, None)
            return None
        return Viewer(user.name, display_name=user.display_name or user.name, session=sid)

    def identity_model(self, user: User) -> dict:
        model = asdict(user)
        model.pop("session", None)
        return model

    def session_id(self, handler: web.RequestHandler) -> str | None:
        value = handler.get_secure_cookie(self.get_cookie_name(handler), **self.get_secure_cookie_kwargs)
        return value.decode("ascii") if value else None

    def start_session(self, handler: web.RequestHandler, user: access.User) -> None:
        sid = secrets.token_urlsafe(32)
        self.sessions[sid] = Session(user.name, user.password_hash, time.time())
        options = {"httponly": True, "samesite": "Lax", "expires_days": None, "path": handler.base_url}
        if handler.request.protocol == "https" or self.secure_cookie:
            options["secure"] = True
        handler.set_secure_cookie(self.get_cookie_name(handler), sid, **options)

    def end_session(self, handler: web.RequestHandler) -> str | None:
        """Forget the request's session and clear its cookie; return the session id."""
        sid = self.session_id(handler)
        self.sessions.pop(sid, None)
        self.clear_login_cookie(handler)
        return sid


class SignInThrottle:
    """Failed sign-ins counted per user name and per address: past `limit` failures within
    `window` seconds, sign-in is refused without checking the password until the oldest of them
    is `window` old. Guessing a password then costs hours, not seconds; a success clears the
    name's count."""

    def __init__(self, limit: int = 5, per_address: int = 20, window: float = 900.0):
        self.limits = {"name": limit, "address": per_address}
        self.window = window
        self.failures: dict[tuple[str, str], list[float]] = {}

    def wait(self, name: str, address: str) -> float:
        """Seconds until `name` from `address` may try again (0: now)."""
        now = time.monotonic()
        waits = [0.0]
        for key in (("name", name.casefold()), ("address", address)):
            recent = [t for t in self.failures.get(key, []) if now - t < self.window]
            self.failures[key] = recent
            if len(recent) >= self.limits[key[0]]:
                waits.append(recent[0] + self.window - now)
        return max(waits)

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        for key in (("name", name.casefold()), ("address", address)):
            self.failures.setdefault(key, []).append(now)

    def succeeded(self, name: str) -> None:
        self.failures.pop(("name", name.casefold()), None)


class SignInHandler(PlainErrors, LoginFormHandler):
    """/login: user name and password; on success back to the page asked for (`next`)."""

    def _render(self, message=None):
        error = f'<p class="error" role="alert">{html.escape(message["error"])}</p>' if message else ""
        action = html.escape(url_concat(self.base_url + "login", {"next": self.get_argument("next", self.base_url)}))
        self.write(page("Sign in", f"<h1>Sign in to the sislab dashboards</h1>{error}"
                        f"<form method='post' action='{action}'>{self.xsrf_form_html()}"
                        "<label for='username'>User name</label>"
                        "<input id='username' name='username' autocomplete='username' autofocus>"
                        "<label for='password'>Password</label>"
                        "<input id='password' name='password' type='password' autocomplete='current-password'>"
                        "<button type='submit' id='sign-in'>Sign in</button></form>"))

    @allow_unauthenticated
    async def post(self):
        name = self.get_argument("username", "").strip()[:64]
        password = self.get_argument("password", "")
        ws = self.settings[SITE].ws
        throttle: SignInThrottle = self.identity_provider.throttle
        address = self.request.remote_ip or ""
        wait = throttle.wait(name, address)
        if wait > 0:
            self.log.warning("sislab: sign-in for user name %r from %s held back (too many failures)", name, address)
            self.set_status(429)
            self._render({"error": f"Too many failed sign-ins: try again in {math.ceil(wait / 60)} minute(s)."})
            return
        user = await asyncio.to_thread(access.authenticate, ws, name, password)  # scrypt: keep the loop free
        if user is None:
            throttle.failed(name, address)
            self.log.warning("sislab: sign-in refused for user name %r", name)
            self.set_status(401)
            self._render({"error": "Wrong user name or password."})
            return
        throttle.succeeded(name)
        self.identity_provider.start_session(self, user)
        self.log.info("sislab: %s signed in", user.name)
        self._redirect_safe(self.get_argument("next", self.base_url))


class SignOutHandler(PlainErrors, JupyterHandler):
    """/logout: end the session and shut down the kernels it started."""

    @allow_unauthenticated
    async def get(self):
        user = self.current_user
        sid = self.identity_provider.end_session(self)
        if sid and isinstance(self.kernel_manager, DashboardKernelManager):
            await self.kernel_manager.shutdown_session(sid)
        if user:
            self.log.info("sislab: %s signed out", user.username)
        self.write(page("Signed out", "<h1>You are signed out</h1>"
                        f"<p><a href='{html.escape(self.base_url + 'login')}'>Sign in again</a></p>"))


# --- scope: Voilà's prelaunch hook ---------------------------------------------------------

@dataclass(frozen=True)
class PageView:
    viewer: Viewer
    school: str | None


_page_view: ContextVar[PageView | None] = ContextVar("sislab_page_view", default=None)


def scope_hook(req: web.RequestHandler, notebook, cwd: str):
    """Refuse what is not a dashboard or not in the user's scope; fix the page's parameters."""
    site: Site = req.settings[SITE]
    viewer: Viewer = req.current_user
    path = req.path_args[0] if req.path_args else ""
    if site.dashboard(path) is None:
        raise web.HTTPError(404)
    requested = req.get_query_argument(SCHOOL_PARAMETER, None)
    try:
        school = access.dashboard_school(access.schools_for(site.ws, viewer.username), requested)
    except access.ScopeRefused as refused:
        req.log.warning("sislab: refused %s school %r to %s", path, refused.requested, viewer.username)
        raise web.HTTPError(403, reason="This school is not one of yours") from None
    _page_view.set(PageView(viewer, school))
    return with_parameters(notebook, {SCHOOL_PARAMETER: school, OUTPUT_PARAMETER: None})


def with_parameters(notebook, values: dict):
    """The notebook with papermill's injected-parameters cell setting `values`."""
    for cell in notebook.cells:
        cell.metadata.setdefault("tags", [])
    parameters = next((c for c in notebook.cells if "parameters" in c.metadata.tags), None)
    if parameters is None or not re.search(rf"^{SCHOOL_PARAMETER}\s*[:=]", parameters.source, re.M):
        raise web.HTTPError(500, f"a dashboard needs a parameters cell declaring {SCHOOL_PARAMETER}")
    notebook.metadata.setdefault("papermill", {})
    return parameterize_notebook(notebook, values, kernel_name=notebook.metadata.kernelspec.name, language="python")


# --- kernels -------------------------------------------------------------------------------

class DashboardKernelManager(AsyncMappingKernelManager):
    """Kernels owned by the session whose page view started them; a cap per user and in all;
    a few warm kernels kept ready so that a page does not wait for a kernel's start and imports."""

    kernels_per_user = Integer(8, config=True, help="kernels one user holds at once; a new page past it "
                               "takes the kernel of the user's least recently used page")
    max_kernels = Integer(40, config=True, help="kernels the server holds at once (~140 MiB each)")
    warm_kernels = Integer(3, config=True, help="kernels started ahead with `warm_imports` imported and no "
                           "page's data (~190 MiB each); a page takes one, another starts. 0: none")
    warm_imports = List(Unicode(), config=True, help="modules a warm kernel imports ahead (the dashboards')")
    warm_calls = List(Unicode(), config=True, help="functions (`module.function`, no argument, reading no data) "
                      "a warm kernel calls after its imports: what a page's first output prepares")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.owners: dict[str, Viewer] = {}
        self._starting: Counter[str] = Counter()
        self.warm: list[str] = []  # kernel ids: started and imported, never given to a page
        self._warming = 0  # warm kernels on their way
        self._waiting: deque[asyncio.Future] = deque()  # pages waiting for one of those
        self._filling: asyncio.Task | None = None  # the task starting warm kernels, one after another

    async def start_kernel(self, *args, **kwargs):
        view = _page_view.get()
        _page_view.set(None)  # one page view, one kernel
        if view is None:
            raise web.HTTPError(403)  # only page views that passed scope_hook start kernels
        name = view.viewer.username
        if self._starting[name] >= self.kernels_per_user:
            raise web.HTTPError(429, reason="Too many dashboards opening at once: wait a moment")
        await self._make_room_for(name)
        env = dict(kwargs.get("env") or {})
        env[ENV_VARIABLE.QUERY_STRING] = ""  # user input: the kernel gets its school as a parameter only
        env[access.ENV_USER] = name  # whom the page's downloads are for
        env[ENV_VARIABLE.VOILA_REQUEST_URL] = env.get(ENV_VARIABLE.VOILA_REQUEST_URL, "").split("?")[0]
        self._starting[name] += 1
        try:
            kernel_id = await self._take_warm(kwargs, env)
            if kernel_id is not None:
                self.warm_up()  # its replacement starts while the page's cells run, not while its browser draws
            else:
                if len(self) + sum(self._starting.values()) > self.max_kernels:
                    raise web.HTTPError(503, reason="The dashboard server is busy: try again in a few minutes")
                kernel_id = await super().start_kernel(*args, **{**kwargs, "env": env})
        finally:
            self._starting[name] -= 1
        self.owners[kernel_id] = view.viewer
        return kernel_id

    # --- warm kernels: started ahead, each given to one page, never to a second ---------------

    def warm_up(self) -> None:
        """Start warm kernels in the background until there are `warm_kernels` of them (called
        when the server starts, when a page takes one and when a page has been sent). A page
        that takes one has it replaced at once: while the page's cells run the browser waits
        for the page, and a core is free; started once the page was sent, the replacement
        shared the CPU with the browser drawing it, and a page opened right after waited for it.
        One at a time: two starting together took both cores from the pages being drawn."""
        if self._filling is None or self._filling.done():  # else it goes on until there are enough
            self._filling = asyncio.ensure_future(self._fill_warm())

    async def _fill_warm(self) -> None:
        while (len(self.warm) + self._warming < self.warm_kernels
               and len(self) + self._warming + sum(self._starting.values()) < self.max_kernels):
            self._warming += 1
            kernel_id = None
            try:
                kernel_id = await super().start_kernel(kernel_name=self.default_kernel_name, path="",
                                                       env=self._warm_environment())
                await self._run_quietly(kernel_id, warm_code(self.warm_imports, self.warm_calls), timeout=120)
            except Exception:
                self.log.exception("sislab: a warm kernel did not start; pages start their own")
                if kernel_id in self:
                    await self.shutdown_kernel(kernel_id)
                kernel_id = None
                return
            finally:
                self._warming -= 1
                self._ready(kernel_id)

    def _ready(self, kernel_id: str | None) -> None:
        """A warm kernel is ready (None: one failed): to the page waiting longest, else to the pool."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(kernel_id)
                return
        if kernel_id is not None:
            self.warm.append(kernel_id)
            self.log.info("sislab: warm kernel %s ready", kernel_id)

    def _warm_environment(self) -> dict[str, str]:
        """What every page's kernel environment starts from (Voilà's: the server's environment)."""
        return {**os.environ, ENV_VARIABLE.QUERY_STRING: ""}

    async def _take_warm(self, start: dict, env: dict[str, str]) -> str | None:
        """A warm kernel for a page that would start this kind of kernel, its environment made
        exactly what a kernel started for the page would have; None when there is none."""
        if start.get("kernel_name", self.default_kernel_name) != self.default_kernel_name or start.get("path") or \
                start.get("kernel_id"):
            return None
        while True:
            if self.warm:
                kernel_id = self.warm.pop(0)  # out of the pool for good, whatever happens next
            elif len(self._waiting) < self._warming:  # one is on its way: sooner than a new start
                waiter = asyncio.get_running_loop().create_future()
                self._waiting.append(waiter)
                kernel_id = await waiter
                if kernel_id is None:
                    return None
            else:
                return None
            if kernel_id not in self:
                continue
            try:
                await self._run_quietly(kernel_id, environment_code(self._warm_environment(), env), timeout=10)
            except Exception:
                self.log.warning("sislab: warm kernel %s did not answer; shutting it down", kernel_id)
                await self.shutdown_kernel(kernel_id)
                continue
            self.get_kernel(kernel_id).last_activity = utcnow()
            return kernel_id

    async def _run_quietly(self, kernel_id: str, code: str, timeout: float) -> None:
        """Run `code` in the kernel without output, history or execution count; raise unless it ran."""
        client = self.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=timeout)
            msg_id = client.execute(code, silent=True, store_history=False)
            reply = await client.get_shell_msg(timeout=timeout)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = await client.get_shell_msg(timeout=timeout)
        finally:
            client.stop_channels()
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    async def cull_kernel_if_idle(self, kernel_id):
        if kernel_id not in self.warm:  # a warm kernel waits for a page: idle is what it is for
            await super().cull_kernel_if_idle(kernel_id)

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        try:
            return await super().shutdown_kernel(kernel_id, *args, **kwargs)
        finally:
            self.owners.pop(kernel_id, None)
            if kernel_id in self.warm:
                self.warm.remove(kernel_id)

    async def _make_room_for(self, user_name: str) -> None:
        """At the user's cap, the user's least recently used page gives up its kernel: a new tab
        always opens, and an old one keeps its tables and charts (only its widgets stop)."""
        held = [k for k, v in self.owners.items() if v.username == user_name and k in self]
        for kernel_id in sorted(held, key=lambda k: self.get_kernel(k).last_activity)[
                :max(0, len(held) + self._starting[user_name] + 1 - self.kernels_per_user)]:
            self.log.info("sislab: %s opened more than %d dashboards: closing the least recently used",
                          user_name, self.kernels_per_user)
            await self.shutdown_kernel(kernel_id)

    def owned(self, user: User | None, kernel_id: str | None) -> bool:
        owner = self.owners.get(kernel_id or "")
        return bool(owner and isinstance(user, Viewer) and owner.session == user.session and kernel_id in self)

    async def shutdown_session(self, session: str) -> None:
        for kernel_id in [k for k, v in self.owners.items() if v.session == session and k in self]:
            await self.shutdown_kernel(kernel_id)


def warm_code(modules: list[str], calls: list[str] = ()) -> str:
    """Python that imports `modules`, then calls each of `calls` (`module.function`), and leaves
    no name behind (a name that is not a module, as in `from a.b import f`, is skipped:
    importing `a.b.f` has imported `a.b`)."""
    return ("import importlib as _importlib\n"
            f"for _name in {json.dumps(list(modules))}:\n"
            "    try:\n        _importlib.import_module(_name)\n"
            "    except ModuleNotFoundError:\n        pass\n"
            f"for _name in {json.dumps(list(calls))}:\n"
            "    getattr(_importlib.import_module(_name.rpartition('.')[0]), _name.rpartition('.')[2])()\n"
            "_name = None\n"
            "del _importlib, _name")


def environment_code(warm: dict[str, str], page: dict[str, str]) -> str:
    """Python that turns a warm kernel's `os.environ` (started with `warm`) into the one a kernel
    started for the page (with `page`) would have. The values travel as a JSON literal: no text
    of theirs is ever code."""
    changed = {k: v for k, v in page.items() if warm.get(k) != v}
    removed = sorted(set(warm) - set(page))
    return ("import os as _os, json as _json\n"
            f"_os.environ.update(_json.loads({json.dumps(changed)!r}))\n"
            f"[_os.environ.pop(_name, None) for _name in _json.loads({json.dumps(removed)!r})]\n"
            "del _os, _json")


def dashboard_modules(notebooks: Path, dashboards: tuple[Dashboard, ...]) -> list[str]:
    """The modules the dashboards' notebooks import: what a warm kernel imports ahead. For
    `from a import b`, `a.b` too (b may be a module). Cells Python cannot parse are skipped."""
    modules: set[str] = set()
    for dashboard in dashboards:
        path = notebooks / dashboard.notebook
        if not path.is_file():
            continue
        for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module)
                    modules.update(f"{node.module}.{a.name}" for a in node.names if a.name != "*")
    return sorted(modules)


class KernelOwnerAuthorizer(Authorizer):
    """Signed-in users reach what Voilà serves; a kernel only from the session that owns it."""

    def is_authorized(self, handler, user, action, resource) -> bool:
        if resource != "kernels":
            return user is not None
        kernel_id = handler.path_kwargs.get("kernel_id") or getattr(handler, "kernel_id", None)
        return handler.kernel_manager.owned(user, kernel_id)


class OwnedShutdownHandler(PlainErrors, VoilaShutdownKernelHandler):
    """Voilà's shutdown-on-unload endpoint, for the kernel's own session only."""

    @web.authenticated
    async def post(self, kernel_id):
        if not self.kernel_manager.owned(self.current_user, kernel_id):
            raise web.HTTPError(403)
        await super().post(kernel_id)


# --- pages ---------------------------------------------------------------------------------

class DashboardIndexHandler(PlainErrors, JupyterHandler):
    """The home page: who is signed in, the dashboards and schools they may open, sign out."""

    def initialize(self, **kwargs):
        pass

    @web.authenticated
    def get(self, path: str = ""):
        site: Site = self.settings[SITE]
        scope = access.schools_for(site.ws, self.current_user.username)
        names = school_names(site.ws)
        schools = list(names) if scope is access.ALL else scope
        choices = [(s, names.get(s, s)) for s in schools]
        every = [(None, "All schools")] if scope is access.ALL else choices
        items = "".join(f"<li><strong>{html.escape(d.title)}</strong>: "
                        f"{self._links(d, choices if d.per_school else every)}</li>" for d in site.dashboards)
        self.write(page("Dashboards", f"<p>Signed in as <strong id='signed-in-user'>"
                        f"{html.escape(self.current_user.display_name)}</strong> · <a id='sign-out' "
                        f"href='{html.escape(self.base_url + 'logout')}'>Sign out</a></p>"
                        f"<h1>Dashboards</h1><ul>{items}</ul>"))

    def _links(self, dashboard: Dashboard, choices) -> str:
        url = f"{self.base_url}voila/render/{dashboard.notebook}"
        return ", ".join(f'<a href="{html.escape(url + (f"?school={code}" if code else ""), quote=True)}">'
                         f"{html.escape(label)}</a>" for code, label in choices)


def school_names(ws: Workspace) -> dict[str, str]:
    """{school_id: name} of the current snapshot (empty before the first import)."""
    try:
        with store.snapshot(ws) as con:
            return dict(con.execute("SELECT school_id, name FROM school WHERE active ORDER BY school_id").fetchall())
    except store.NoSnapshot:
        return {}


class DashboardPageHandler(TornadoVoilaHandler):
    """Voilà's page; once it is sent (its notebook has run), the warm kernels are topped up
    (a page that took one has had it replaced already; this covers a page that started its own).

    A dashboard with `tables` asks the browser (a `Link` header, with the page's first bytes)
    to fetch the table script and style while the page's cells run: otherwise the browser
    asks for them only once it has drawn the page's outputs, after the whole page came."""

    async def get(self, path=None):
        dashboard = self.settings[SITE].dashboard(path or "")
        if dashboard is not None and dashboard.tables:
            self.set_header("Link", table_preload(self.base_url))
        try:
            await super().get(path)
        finally:
            if isinstance(self.kernel_manager, DashboardKernelManager):
                self.kernel_manager.warm_up()


def table_preload(base_url: str) -> str:
    """The `Link` header value that has the browser fetch the table script and its style sheet."""
    script, style = (base_url.rstrip("/") + "/" + downloads.table_assets_path(n) for n in ("dt_bundle.js", "dt_bundle.css"))
    return f"<{script}>; rel=modulepreload, <{style}>; rel=preload; as=style"


class CompiledTemplates(BytecodeCache):
    """Voilà's page templates compiled once for the server's life. Voilà makes a new exporter,
    hence a new Jinja environment, for every page, and Jinja compiled the page's 13 templates
    again each time: ~70 ms before the page's first byte. Kept by template and source checksum
    (a template changed on disk is compiled again); every environment here is alike (Voilà's
    exporter, the same extensions), which is what sharing compiled code needs."""

    def __init__(self):
        self.codes: dict[str, bytes] = {}
        self.reused = 0

    def load_bytecode(self, bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)
            self.reused += bucket.code is not None

    def dump_bytecode(self, bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = CompiledTemplates()


def keep_compiled_templates() -> None:
    """Have every VoilaExporter's Jinja environment use TEMPLATES (Voilà makes the exporter
    inside its page handler: its class is the only place to say it). Idempotent."""
    create_environment = VoilaExporter._create_environment
    if getattr(create_environment, "keeps_compiled_templates", False):
        return

    def create(exporter):
        environment = create_environment(exporter)
        environment.bytecode_cache = TEMPLATES
        return environment

    create.keeps_compiled_templates = True
    VoilaExporter._create_environment = create


def log_request(handler: web.RequestHandler) -> None:
    """The server's access log without query strings: a table's search box (`search[value]` of a
    rows request) holds what a principal typed, often a student's name, and cron mails the log."""
    status, request = handler.get_status(), handler.request
    log = access_log.info if status < 400 else access_log.warning if status < 500 else access_log.error
    log("%d %s %s (%s) %.2fms", status, request.method, request.path, request.remote_ip,
        1000 * request.request_time())


PAGE_TEMPLATE = Path(__file__).with_name("page_template")


class SislabVoila(Voila):
    """Voilà with sislab's home page and kernel ownership; no notebook listing API."""

    REPLACED = {TornadoVoilaTreeHandler: DashboardIndexHandler, VoilaShutdownKernelHandler: OwnedShutdownHandler,
                TornadoVoilaHandler: DashboardPageHandler}
    DROPPED = (VoilaContentsHandler,)

    def setup_template_dirs(self):
        """Voilà's lab template under sislab's page template (`page_template/`), which drops the
        lab template's links to a third-party CDN."""
        super().setup_template_dirs()
        self.template_paths.insert(0, str(PAGE_TEMPLATE))

    def init_handlers(self):
        keep_compiled_templates()
        site: Site = self.tornado_settings[SITE]
        return downloads.handlers(self.server_url, site.ws) + [
            (pattern, self.REPLACED.get(handler, handler), *rest)
            for pattern, handler, *rest in super().init_handlers() if handler not in self.DROPPED]

    def listen(self):
        if isinstance(self.kernel_manager, DashboardKernelManager):
            IOLoop.current().add_callback(self.kernel_manager.warm_up)  # once the server runs
        super().listen()


# --- JupyterHub: the hub says who the user is (`sislab serve --hub`) ---------------------------

class HubIdentityProvider(IdentityProvider):
    """The signed-in user is the hub's (JupyterHub's `HubOAuth`, configured from the environment
    the hub gives a managed service); the role and schools still come from sislab's users, so a
    hub user who is not a sislab user sees nothing. A page's kernels belong to the hub session."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.login_handler_class = HubSignInHandler
        self.logout_handler_class = HubSignOutHandler

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def hub_auth(self):
        from jupyterhub.services.auth import HubOAuth

        return HubOAuth.instance()

    async def get_user(self, handler: web.RequestHandler) -> Viewer | None:
        model = await self.hub_auth.get_user(handler, sync=False)
        if not model or model.get("kind", "user") != "user":
            return None
        user = access.get_user(handler.settings[SITE].ws, model["name"])
        if user is None or not user.active:
            handler.log.warning("sislab: hub user %r is not an active sislab user", model["name"][:64])
            return None
        token = self.hub_auth.get_token(handler) or ""
        session = self.hub_auth.get_session_id(handler) or hashlib.sha256(token.encode()).hexdigest()
        return Viewer(user.name, display_name=user.display_name or user.name, session=session)

    def identity_model(self, user: User) -> dict:
        model = asdict(user)
        model.pop("session", None)
        return model

    def get_handlers(self) -> list[tuple]:
        """Sign-in, sign-out and the OAuth callback the hub sends the browser back to, under the
        service's prefix (Voilà adds these without its base URL)."""
        from jupyterhub.services.auth import HubOAuthCallbackHandler

        prefix = self.hub_auth.base_url.rstrip("/")
        return [(prefix + "/login", HubSignInHandler), (prefix + "/logout", HubSignOutHandler),
                (prefix + "/oauth_callback", HubOAuthCallbackHandler)]


class HubSignInHandler(PlainErrors, JupyterHandler):
    """/login on a hub service: off to the hub's OAuth, coming back to the page asked for."""

    @allow_unauthenticated
    def get(self):
        hub_auth = self.identity_provider.hub_auth
        params = {}
        code_verifier = None
        if hub_auth.pkce_enabled:
            code_verifier, params["code_challenge"], params["code_challenge_method"] = \
                hub_auth.generate_pkce_code_challenge()
        next_url = self.get_argument("next", self.base_url)
        if not next_url.startswith(self.base_url):
            next_url = self.base_url
        params["state"] = hub_auth.set_state_cookie(self, next_url=next_url, code_verifier=code_verifier)
        self.redirect(url_concat(hub_auth.login_url, params))


class HubSignOutHandler(PlainErrors, JupyterHandler):
    """/logout on a hub service: forget the service cookie, end the page kernels, then the hub's sign-out."""

    @allow_unauthenticated
    async def get(self):
        user = self.current_user
        hub_auth = self.identity_provider.hub_auth
        self.clear_cookie(hub_auth.cookie_name, path=hub_auth.base_url)
        if isinstance(user, Viewer) and isinstance(self.kernel_manager, DashboardKernelManager):
            await self.kernel_manager.shutdown_session(user.session)
        self.redirect(hub_auth.hub_prefix + "logout")

