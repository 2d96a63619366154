"""Upload a CERS file to TOMS through the reporting warehouse's API (feature flag, off by default).

Protocol (the open Smarter Balanced reporting warehouse that CERS is built on):
1. OAuth2 password grant at `token_url` -> bearer token (401: bad credential; 403: the
   credential lacks the group-write permission).
2. `POST {api_url}/groups/imports`, the file as multipart part `file`. The answer is 202 even
   for a rejected file: its JSON `status` is ACCEPTED or BAD_DATA, `message` says why; `id`
   names the import.
3. Poll `GET {api_url}/imports/{id}` until PROCESSED (loaded) or BAD_DATA (failed loading).

Connection errors and 5xx answers are retried with a doubling back-off. The credential and
the token never reach a log or a message; CERS's `Row: n Failure: ...` lines are returned.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sislab.core.config import Settings

from .layout import LAYOUT

FAILURE_LINE = re.compile(r"Row:\s*\d+\s+Failure:[^\n]*")
DONE = ("PROCESSED", "BAD_DATA")

log = logging.getLogger(__name__)


class UploadError(RuntimeError):
    """The upload could not be made (disabled, not configured, refused, or the server kept failing)."""


@dataclass(frozen=True)
class UploadResult:
    status: str  # PROCESSED (loaded) or BAD_DATA (rejected)
    import_id: str | None
    message: str
    failures: tuple[str, ...]  # CERS's "Row: n Failure: ..." lines

    @property
    def loaded(self) -> bool:
        return self.status == "PROCESSED"

    def text(self) -> str:
        head = f"CERS import {self.import_id or '-'}: {self.status}"
        return "\n".join([head, *self.failures] if self.failures else [f"{head} {self.message}".rstrip()])


def check_enabled(settings: Settings) -> None:
    """Raise UploadError unless the flag is on and the endpoint and credential are configured."""
    if not settings.cers_upload_enabled:
        raise UploadError("Upload to TOMS is off: set [cers] upload_enabled = true in sislab.toml "
                          "(or SISLAB_CERS_UPLOAD_ENABLED=1) with the endpoint and credential.")
    missing = [k for k in ("cers_api_url", "cers_token_url", "cers_username", "cers_password")
               if not getattr(settings, k)]
    if missing:
        raise UploadError("Upload to TOMS is on but not configured: set "
                          + ", ".join("SISLAB_" + k.upper() for k in missing) + ".")


def credential_warning(settings: Settings, today: date | None = None) -> str | None:
    """A warning when the configured credential expires within 30 days (or has expired)."""
    if not settings.cers_credential_expires:
        return None
    expires = date.fromisoformat(settings.cers_credential_expires)
    left = (expires - (today or date.today())).days
    if left < 0:
        return f"The CERS upload credential expired on {expires}: ask for a new one."
    if left <= LAYOUT["credential_warning_days"]:
        return f"The CERS upload credential expires on {expires} ({left} days): renew it."
    return None


def upload_file(path: Path, settings: Settings, *, sleep=time.sleep) -> UploadResult:
    """Upload one CERS file and wait until it is loaded or rejected."""
    check_enabled(settings)
    client = _Client(settings, sleep)
    token = client.token()
    answer = client.call("POST", "/groups/imports", token, _multipart(Path(path)))
    log.info("CERS upload of %s: %s", Path(path).name, answer.get("status"))
    deadline = time.monotonic() + settings.cers_poll_timeout
    while answer.get("status") not in DONE:
        if answer.get("status") != "ACCEPTED" and answer.get("status") not in ("PROCESSING", "PENDING"):
            raise UploadError(f"CERS answered an unknown import status {answer.get('status')!r}.")
        if time.monotonic() > deadline:
            raise UploadError(f"CERS import {answer.get('id')} not finished after {settings.cers_poll_timeout:.0f} s; "
                              "check it in CERS.")
        sleep(settings.cers_poll_seconds)
        answer = {**answer, **client.call("GET", f"/imports/{urllib.parse.quote(str(answer['id']))}", token)}
    message = str(answer.get("message") or "")
    return UploadResult(answer["status"], answer.get("id") and str(answer["id"]), message,
                        tuple(m.strip() for m in FAILURE_LINE.findall(message)))


class _Client:
    def __init__(self, settings: Settings, sleep):
        self.settings = settings
        self.sleep = sleep

    def token(self) -> str:
        s = self.settings
        form = {"grant_type": "password", "username": s.cers_username, "password": s.cers_password}
        form |= {k: v for k, v in (("client_id", s.cers_client_id), ("client_secret", s.cers_client_secret)) if v}
        body = (urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded")
        answer = self._send("POST", s.cers_token_url, None, body)
        if not answer.get("access_token"):
            raise UploadError("The CERS token endpoint gave no access_token.")
        return answer["access_token"]

    def call(self, method: str, route: str, token: str, body: tuple[bytes, str] | None = None) -> dict:
        return self._send(method, self.settings.cers_api_url.rstrip("/") + route, token, body)

    def _send(self, method: str, url: str, token: str | None, body: tuple[bytes, str] | None) -> dict:
        """One request, retried on connection errors and 5xx; the JSON answer."""
        attempts = max(1, self.settings.cers_retries)
        for attempt in range(1, attempts + 1):
            request = urllib.request.Request(url, data=body[0] if body else None, method=method)
            if body:
                request.add_header("Content-Type", body[1])
            if token:
                request.add_header("Authorization", f"Bearer {token}")
            request.add_header("Accept", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=self.settings.cers_timeout) as response:
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as e:
                if e.code < 500 or attempt == attempts:
                    raise UploadError(_refusal(method, url, e)) from None
                reason = f"HTTP {e.code}"
            except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
                if attempt == attempts:
                    raise UploadError(f"{method} {_where(url)} failed after {attempts} attempts: "
                                      f"{getattr(e, 'reason', e)}") from None
                reason = type(getattr(e, "reason", e)).__name__
            wait = self.settings.cers_backoff_seconds * 2 ** (attempt - 1)
            log.warning("%s %s: %s; retry %d of %d in %.1f s", method, _where(url), reason, attempt,
                        attempts - 1, wait)
            self.sleep(wait)
        raise AssertionError("unreachable")


def _refusal(method: str, url: str, e: urllib.error.HTTPError) -> str:
    what = {401: "the credential or token was refused (401): check the CERS username and secret key",
            403: "the credential lacks the permission to write groups (403)"}.get(e.code, f"HTTP {e.code}")
    return f"{method} {_where(url)}: {what}"


def _where(url: str) -> str:
    """The URL without query or credentials, for messages."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _multipart(path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/csv\r\n\r\n").encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
