"""E-mail goes to SMTP when configured, else to the owner-only outbox; settings hide secrets."""

import logging
import os
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from helpers.procs import smtp_server, use_smtp, workspace

from sislab.core import config, notify


@pytest.fixture
def ws(tmp_path, monkeypatch):
    return workspace(tmp_path, monkeypatch)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_server_receives_the_message_after_login(ws, tmp_path):
    attachment = tmp_path / "files.csv"
    attachment.write_text("file,records\ncers.csv,12\n")
    with smtp_server(login=("sislab", "s3cret")) as (port, mailbox):
        use_smtp(ws, port, user="sislab", password="s3cret")
        where = notify.send(ws, "ana@district.example.org; Ben <ben@district.example.org>",
                            "CERS files ready", "12 records", attachments=[attachment])
    assert where == f"smtp://127.0.0.1:{port}"
    assert mailbox.logins == ["sislab"]
    [envelope] = mailbox.messages
    assert envelope.mail_from == "sislab@district.example.org"
    assert envelope.rcpt_tos == ["ana@district.example.org", "ben@district.example.org"]
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"] == "CERS files ready"
    [part] = mail.iter_attachments()
    assert part.get_filename() == "files.csv" and b"cers.csv,12" in part.get_content().encode()


def test_without_smtp_the_message_lands_in_the_outbox_owner_only(ws):
    where = Path(notify.send(ws, ["ana@district.example.org"], "CCI run done", "3 schools done"))
    assert where.parent == ws.outbox and where.suffix == ".eml"
    assert os.stat(where).st_mode & 0o777 == 0o600
    mail = message_from_bytes(where.read_bytes(), policy=policy.default)
    assert (mail["To"], mail.get_content().strip()) == ("ana@district.example.org", "3 schools done")


@pytest.mark.parametrize("bad", ["not-an-address", "ana@district", "ana@@district.org", "ana @x.org"])
def test_a_malformed_address_is_refused_naming_it(ws, bad):
    with pytest.raises(notify.BadAddress, match=f"Not an e-mail address: '{bad}'"):
        notify.send(ws, ["ok@district.example.org", bad], "s", "b")
    assert list(ws.outbox.iterdir()) == []


def test_no_recipient_is_refused():
    with pytest.raises(notify.BadAddress, match="No e-mail address"):
        notify.addresses(" , ")


def test_log_names_subject_and_recipient_count_never_the_body(ws, caplog):
    caplog.set_level(logging.INFO, logger="sislab")
    notify.send(ws, "a@x.example.org, b@x.example.org", "CCI run 4 succeeded", "school 0123: 57 prepared")
    assert "CCI run 4 succeeded" in caplog.text and "2 recipient(s)" in caplog.text
    assert "57 prepared" not in caplog.text and "a@x" not in caplog.text


def test_environment_overrides_the_file(ws, monkeypatch):
    use_smtp(ws, 2525, user="file-user", starttls="true")
    monkeypatch.setenv("SISLAB_SMTP_PORT", "465")
    monkeypatch.setenv("SISLAB_SMTP_STARTTLS", "no")
    s = config.load(ws)
    assert (s.smtp_host, s.smtp_port, s.smtp_user, s.smtp_starttls) == ("127.0.0.1", 465, "file-user", False)


def test_settings_never_show_the_password(ws, monkeypatch):
    monkeypatch.setenv("SISLAB_SMTP_PASSWORD", "hunter2")
    s = config.load(ws)
    assert s.smtp_password == "hunter2"
    assert "hunter2" not in repr(s) and "hunter2" not in str(s) and "smtp_password='***'" in repr(s)


@pytest.mark.parametrize("text, message", [
    ("[smtp]\nport = \"many\"\n", "[smtp] port: expected int"),
    ("[smtp]\nhots = \"x\"\n", "unknown setting [smtp] hots"),
    ("[smtp]\npassword = \"12\"\nstarttls = \"maybe\"\n", "[smtp] starttls: expected true/false"),
])
def test_a_bad_setting_is_named(ws, text, message):
    (ws.root / "sislab.toml").write_text(text)
    with pytest.raises(config.ConfigError, match=re.escape(message)):
        config.load(ws)


def test_a_bad_secret_value_is_not_echoed(ws, monkeypatch):
    monkeypatch.setenv("SISLAB_SMTP_PORT", "hunter2")
    with pytest.raises(config.ConfigError, match="SISLAB_SMTP_PORT: expected int") as caught:
        config.load(ws)
    assert "hunter2" in str(caught.value)  # a port is not a secret...
    (ws.root / "sislab.toml").write_text("[smtp]\npassword = [1, 2]\n")
    monkeypatch.delenv("SISLAB_SMTP_PORT")
    with pytest.raises(config.ConfigError) as caught:
        config.load(ws)
    assert "[1, 2]" not in str(caught.value)  # ...a password is
