"""Start the helper programs and a local SMTP server for the tests."""

from __future__ import annotations

import json
import select
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from sislab.core.workspace import Workspace

HERE = Path(__file__).parent
SMTP_ENV = ("HOST", "PORT", "USER", "PASSWORD", "FROM", "STARTTLS", "SSL", "TIMEOUT")


def workspace(tmp_path: Path, monkeypatch) -> Workspace:
    """A fresh workspace with no SMTP settings leaking in from the environment."""
    for name in SMTP_ENV:
        monkeypatch.delenv(f"SISLAB_SMTP_{name}", raising=False)
    monkeypatch.setenv("SISLAB_REPORTS", str(tmp_path / "reports"))
    return Workspace.locate(tmp_path / "ws")


class Helper:
    """A helper program running in its own process; reads its JSON lines."""

    def __init__(self, script: str, *args: str):
        self.proc = subprocess.Popen([sys.executable, str(HERE / script), *map(str, args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def line(self, timeout: float = 20) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "helper said nothing"
        text = self.proc.stdout.readline()
        assert text, f"helper ended (exit {self.proc.wait()})"
        return json.loads(text)

    def say(self, text: str = "go") -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def finish(self) -> int:
        self.proc.stdin.close()
        return self.proc.wait(timeout=20)

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.kill9()
        self.proc.stdout.close()
        if not self.proc.stdin.closed:
            self.proc.stdin.close()


class Mailbox:
    """What a local SMTP server received, and the logins it accepted."""

    def __init__(self, login: tuple[str, str] | None = None):
        self.login = login
        self.messages: list = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode(), auth_data.password.decode()) == self.login
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


@contextmanager
def smtp_server(login: tuple[str, str] | None = None):
    """A real SMTP server on 127.0.0.1 and a free port; yields (port, mailbox)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox(login)
    auth = {"authenticator": box.authenticate, "auth_require_tls": False, "auth_required": True} if login else {}
    controller = Controller(box, hostname="127.0.0.1", port=port, **auth)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


def use_smtp(ws: Workspace, port: int, **extra: str) -> None:
    """Point the workspace's sislab.toml at a local SMTP server."""
    lines = ["[smtp]", 'host = "127.0.0.1"', f"port = {port}", 'from = "sislab@district.example.org"',
             *(f'{k} = "{v}"' for k, v in extra.items())]
    (ws.root / "sislab.toml").write_text("\n".join(lines) + "\n")
    (ws.root / "sislab.toml").chmod(0o600)
