"""A real `sislab serve` in a subprocess, and a cookie-keeping HTTP client that signs in to it."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from sislab.cci import mass_update
from sislab.core import access, store
from sislab.core.workspace import Workspace

HIGH_SCHOOLS = ["001", "002", "006"]
DEMO_PASSWORD = "sislab-demo"  # data/sample/app_users.csv


def dashboard_workspace(sample_ws: Workspace, folder: Path) -> Workspace:
    """A workspace on a copy of the sample snapshot, with CCI results published and the demo users."""
    saved = os.environ.get("SISLAB_REPORTS")
    os.environ["SISLAB_REPORTS"] = str(folder / "reports")
    try:
        ws = Workspace.locate(folder / "workspace")
    finally:
        os.environ.pop("SISLAB_REPORTS") if saved is None else os.environ.__setitem__("SISLAB_REPORTS", saved)
    built = ws.tmp / "sample.duckdb"
    shutil.copyfile(sample_ws.current_snapshot(), built)
    store.publish_snapshot(ws, built)
    mass_update.run(HIGH_SCHOOLS, ws=ws, user="pytest", notify_to=None)
    access.seed_demo_users(ws)
    return ws


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    base: str  # http://127.0.0.1:PORT/
    log: Path  # the server's stderr

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_server(ws: Workspace, notebooks: Path | None = None, *extra: str):
    """`sislab serve` on a free port until the block ends (then SIGTERM, or kill)."""
    port = free_port()
    env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports)}
    args = [sys.executable, "-m", "sislab", "serve", "--port", str(port), "--no-browser", *extra]
    if notebooks:
        args += ["--notebooks", str(notebooks)]
    log = ws.root.parent / f"serve-{port}.log"
    with open(log, "wb") as err:
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
    server = Server(process, f"http://127.0.0.1:{port}/", log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen, seconds: float = 30) -> None:
    """SIGTERM, then SIGKILL if the process has not ended after `seconds`."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_up(server: Server, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(server.url("login"), timeout=5).close()
            return
        except (urllib.error.URLError, ConnectionError):
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sislab serve did not start:\n{server.log_text()}") from None
            time.sleep(0.2)


@dataclass
class Reply:
    status: int
    url: str  # after redirects
    text: str
    headers: dict[str, str] = field(default_factory=dict)


class Browser:
    """What a scripted client can do: keep cookies, post forms with the XSRF token, call endpoints."""

    def __init__(self, server: Server):
        self.server = server
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path: str, data: dict | None = None, method: str | None = None) -> Reply:
        body = urllib.parse.urlencode({**data, "_xsrf": self.xsrf()}).encode() if data is not None else None
        req = urllib.request.Request(self.server.url(path), data=body, method=method)
        if method not in (None, "GET"):
            req.add_header("X-XSRFToken", self.xsrf())
        try:
            with self.opener.open(req, timeout=120) as r:
                return Reply(r.status, r.url, r.read().decode("utf-8", "replace"), dict(r.headers))
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.url, e.read().decode("utf-8", "replace"), dict(e.headers))

    def get(self, path: str) -> Reply:
        return self.request(path)

    def sign_in(self, user: str, password: str = DEMO_PASSWORD) -> Reply:
        self.get("login")  # sets the _xsrf cookie
        return self.request("login?next=%2F", {"username": user, "password": password})

    def xsrf(self) -> str:
        return next((c.value for c in self.cookies if c.name == "_xsrf"), "")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)


def download_links(page: str) -> list[str]:
    """The page's download links, relative to the server (Voilà may hold outputs as JSON: quotes escaped)."""
    return re.findall(r'href=\\?"/(sislab/download/[^"\\]+)', page)


def kernel_id(page: str) -> str:
    """The page's kernel id (Voilà writes it into the page)."""
    return re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page).group(1)


class KernelChannel:
    """A kernel websocket as the browser opens it (Jupyter's JSON protocol), for one test."""

    def __init__(self, connection):
        self.connection = connection
        self.session = uuid.uuid4().hex
        self.received: dict[str, list[dict]] = {}  # by the id of the message they answer

    @classmethod
    async def open(cls, browser: Browser, kernel: str) -> KernelChannel:
        url = browser.server.url(f"api/kernels/{kernel}/channels").replace("http://", "ws://")
        request = HTTPRequest(f"{url}?session_id={uuid.uuid4().hex}", headers={"Cookie": browser.cookie_header()})
        return cls(await websocket_connect(request))

    async def send(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": msg_type, "session": self.session, "username": "",
                  "version": "5.3", "date": datetime.now(timezone.utc).isoformat()}
        await self.connection.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {},
                                                        "content": content, "channel": channel, "buffers": []}))
        return msg_id

    async def replies_to(self, msg_id: str, until: str, seconds: float = 30) -> list[dict]:
        """Messages answering `msg_id`, read until one of type `until` ("idle": the kernel went idle)."""
        async with asyncio.timeout(seconds):
            while not any(_is(m, until) for m in self.received.get(msg_id, [])):
                raw = await self.connection.read_message()
                if raw is None:
                    raise ConnectionError("the kernel websocket closed")
                msg = json.loads(raw) if isinstance(raw, str) else _binary_message(raw)
                self.received.setdefault(msg.get("parent_header", {}).get("msg_id"), []).append(msg)
        return self.received[msg_id]

    async def widget_states(self) -> dict[str, dict]:
        """{model id: state} of every widget in the kernel, asked for as the page's widget manager does."""
        asked = await self.send("comm_info_request", {"target_name": "jupyter.widget"})
        [reply] = [m for m in await self.replies_to(asked, "comm_info_reply") if _is(m, "comm_info_reply")]
        states = {}
        for comm in reply["content"]["comms"]:
            request = await self.send("comm_msg", {"comm_id": comm, "data": {"method": "request_state"}})
            update = next(m for m in await self.replies_to(request, "comm_msg") if _is(m, "comm_msg"))
            states[comm] = update["content"]["data"]["state"]
        return states

    async def set_widget(self, comm: str, state: dict) -> None:
        """Change a widget's value from the browser side, as a user editing it would."""
        sent = await self.send("comm_msg", {"comm_id": comm, "data": {"method": "update", "state": state,
                                                                      "buffer_paths": []}})
        await self.replies_to(sent, "idle")

    def close(self) -> None:
        self.connection.close()


def _is(msg: dict, kind: str) -> bool:
    if kind == "idle":
        return msg["header"]["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
    return msg["header"]["msg_type"] == kind


def _binary_message(raw: bytes) -> dict:
    """A message with binary buffers (widget state may carry some): its JSON part only."""
    count = int.from_bytes(raw[:4], "big")
    offsets = [int.from_bytes(raw[4 * (i + 1):4 * (i + 2)], "big") for i in range(count)]
    return json.loads(raw[offsets[0]:offsets[1] if count > 1 else None])


@contextmanager
def running_lab(ws: Workspace, user: str, notebooks: Path):
    """`sislab lab --user USER` on a free port until the block ends; yields (server, signed-in URL)."""
    port = free_port()
    env = {**os.environ, "SISLAB_WORKSPACE": str(ws.root), "SISLAB_REPORTS": str(ws.reports)}
    log = ws.root.parent / f"lab-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "sislab", "lab", "--user", user, "--port", str(port),
                                    "--notebooks", str(notebooks)],
                                   env=env, stdout=subprocess.PIPE, stderr=out, cwd=ws.root.parent)
    try:
        line = process.stdout.readline().decode()
        url = re.search(r"(http://\S+)", line).group(1)
        server = Server(process, url.split("lab?")[0], log)
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(server.url("api/status?" + url.split("?")[1]), timeout=5).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sislab lab did not start:\n{server.log_text()}") from None
                time.sleep(0.3)
        yield server, url
    finally:
        stop(process)
