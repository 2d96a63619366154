"""The TOMS upload client against a local server that plays the reporting warehouse's protocol."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sislab.cers import UploadError, credential_warning, upload_file
from sislab.core.config import Settings

SECRET, TOKEN = "s3cret-key", "tok-abc123"


class Warehouse(BaseHTTPRequestHandler):
    """Token endpoint, /groups/imports (202 + ACCEPTED or BAD_DATA), /imports/{id} polled."""

    state: dict

    def log_message(self, *args):
        pass

    def _json(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        s = self.state
        if self.path == "/token":
            ok = b"password=" + SECRET.encode() in body and b"grant_type=password" in body
            return self._json(200, {"access_token": TOKEN}) if ok else self._json(401, {"error": "invalid_grant"})
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._json(401, {})
        if s.get("fail_first", 0) > 0:
            s["fail_first"] -= 1
            return self._json(503, {})
        s["uploaded"] = body
        if b'name="file"' not in body or b"group_name" not in body:
            return self._json(202, {"id": "1", "status": "BAD_DATA", "message": "Row: 0 Failure: no file part"})
        if b"BAD" in body:
            return self._json(202, {"id": "7", "status": "BAD_DATA", "message":
                                    "Row: 2 Failure: group_name is required\nRow: 5 Failure: sort CSV by school, group, year"})
        return self._json(202, {"id": "42", "status": "ACCEPTED", "message": ""})

    def do_GET(self):
        s = self.state
        s["polls"] = s.get("polls", 0) + 1
        if s["polls"] < 3:
            return self._json(200, {"id": "42", "status": "PROCESSING"})
        return self._json(200, {"id": "42", "status": s.get("final", "PROCESSED"), "message": s.get("message", "")})


@pytest.fixture
def server():
    state: dict = {}
    handler = type("Handler", (Warehouse,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    settings = Settings(cers_upload_enabled=True, cers_api_url=base, cers_token_url=base + "/token",
                        cers_username="district", cers_password=SECRET, cers_client_secret="client-secret",
                        cers_backoff_seconds=0.0, cers_poll_seconds=0.0, cers_retries=3)
    yield settings, state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("group_name,school_natural_id,school_year,subject_code,student_ssid,group_user_login\n"
                    "001 A 1,19753091930001,2027,ELA,1234567890,\n")
    return path


def test_accepted_file_is_polled_until_processed(server, good_file):
    settings, state = server
    result = upload_file(good_file, settings)
    assert result.loaded and result.import_id == "42" and state["polls"] == 3
    assert b'name="file"; filename="groups.csv"' in state["uploaded"]


def test_rejected_file_202_bad_data_surfaces_row_failures(server, tmp_path):
    settings, _ = server
    bad = tmp_path / "bad.csv"
    bad.write_text("group_name,school_natural_id,school_year,subject_code,student_ssid,group_user_login\nBAD\n")
    result = upload_file(bad, settings)
    assert not result.loaded and result.status == "BAD_DATA"
    assert result.failures == ("Row: 2 Failure: group_name is required",
                               "Row: 5 Failure: sort CSV by school, group, year")


def test_bad_data_while_loading_is_reported(server, good_file):
    settings, state = server
    state.update(final="BAD_DATA", message="Row: 3 Failure: unknown school")
    result = upload_file(good_file, settings)
    assert result.status == "BAD_DATA" and result.failures == ("Row: 3 Failure: unknown school",)


def test_server_errors_are_retried_with_back_off(server, good_file):
    settings, state = server
    state["fail_first"] = 2
    waits = []
    assert upload_file(good_file, settings, sleep=waits.append).loaded
    assert waits[:2] == [0.0, 0.0] and state["fail_first"] == 0
    state["fail_first"] = 5
    with pytest.raises(UploadError, match="HTTP 503"):
        upload_file(good_file, settings, sleep=lambda s: None)


def test_back_off_doubles(server, good_file):
    settings, state = server
    state["fail_first"] = 2
    waits = []
    upload_file(good_file, replace(settings, cers_backoff_seconds=0.5), sleep=waits.append)
    assert waits[:2] == [0.5, 1.0]


def test_connection_errors_are_retried_then_reported(good_file):
    settings = Settings(cers_upload_enabled=True, cers_api_url="http://127.0.0.1:9", cers_token_url="http://127.0.0.1:9/t",
                        cers_username="u", cers_password=SECRET, cers_retries=3)
    waits = []
    with pytest.raises(UploadError, match="failed after 3 attempts"):
        upload_file(good_file, settings, sleep=waits.append)
    assert len(waits) == 2


def test_refused_credential_is_a_clear_error_without_the_secret(server, good_file, caplog):
    settings, _ = server
    caplog.set_level(logging.DEBUG)
    with pytest.raises(UploadError, match="401") as refused:
        upload_file(good_file, replace(settings, cers_password="wrong-secret"))
    assert "wrong-secret" not in str(refused.value)


def test_credential_and_token_never_logged(server, good_file, caplog):
    settings, state = server
    state["fail_first"] = 1
    caplog.set_level(logging.DEBUG)
    upload_file(good_file, settings, sleep=lambda s: None)
    assert caplog.records and SECRET not in caplog.text and TOKEN not in caplog.text
    assert SECRET not in repr(settings) and "client-secret" not in repr(settings)


def test_upload_is_off_by_default(good_file):
    with pytest.raises(UploadError, match="off"):
        upload_file(good_file, Settings())


def test_credential_expiry_warned_30_days_before():
    settings = Settings(cers_credential_expires="2027-01-31")
    assert credential_warning(settings, date(2026, 12, 31)) is None
    assert "30 days" in credential_warning(settings, date(2027, 1, 1))
    assert "expired" in credential_warning(settings, date(2027, 2, 1))
    assert credential_warning(Settings(), date(2027, 2, 1)) is None
