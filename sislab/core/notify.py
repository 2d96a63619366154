"""The one place that sends e-mail.

With an SMTP host configured (see `config`), mail goes to it (implicit TLS or STARTTLS and
login when configured). Without one, each message is written as an `.eml` file into the
workspace outbox (owner-only), where an operator, a test or another mailer picks it up.

Bodies carry counts and school names, never student rows; still, only the subject and the
number of recipients are logged.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re
import smtplib
import ssl
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from . import config
from .workspace import Workspace, write_atomic

ADDRESS = re.compile(r"[^@\s<>,;\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")

log = logging.getLogger(__name__)


class BadAddress(ValueError):
    """A recipient that is not an e-mail address; the message quotes it."""


def addresses(to: str | Iterable[str]) -> list[str]:
    """Recipients as a list, from a list or a comma/semicolon-separated string; each checked."""
    entries = re.split(r"[,;]", to) if isinstance(to, str) else list(to)
    entries = [e.strip() for e in entries if e and e.strip()]
    if not entries:
        raise BadAddress("No e-mail address given: name at least one recipient.")
    for entry in entries:
        addr = parseaddr(entry)[1] if "<" in entry else entry
        if not ADDRESS.fullmatch(addr):
            raise BadAddress(f"Not an e-mail address: {entry!r} (expected name@example.org).")
    return entries


def send(ws: Workspace, to: str | Iterable[str], subject: str, body: str, *,
         attachments: Iterable[str | os.PathLike] = ()) -> str:
    """Send a plain-text message; returns where it went ("smtp://host:port" or the .eml path)."""
    settings = config.load(ws)
    recipients = addresses(to)
    msg = _message(settings.smtp_from, recipients, subject, body, attachments)
    where = _via_smtp(settings, msg) if settings.smtp_host else _to_outbox(ws, msg)
    log.info("mail %r to %d recipient(s) via %s", subject, len(recipients), where)
    return where


def _message(sender: str, to: list[str], subject: str, body: str, attachments) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(body)
    for item in attachments:
        path = Path(item)
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def _via_smtp(settings: config.Settings, msg: EmailMessage) -> str:
    host, port = settings.smtp_host, settings.smtp_port
    tls = ssl.create_default_context()
    if settings.smtp_ssl:
        smtp = smtplib.SMTP_SSL(host, port, timeout=settings.smtp_timeout, context=tls)
    else:
        smtp = smtplib.SMTP(host, port, timeout=settings.smtp_timeout)
    with smtp:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=tls)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)
    return f"smtp://{host}:{port}"


def _to_outbox(ws: Workspace, msg: EmailMessage) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = ws.outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    return str(write_atomic(path, msg.as_bytes()))
