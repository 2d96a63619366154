"""Settings: `<workspace>/sislab.toml`, overridden by `SISLAB_*` environment variables.

A TOML key `[section] key` is the setting `section_key` and the variable `SISLAB_SECTION_KEY`:

    [smtp]
    host = "smtp.district.org"     # SISLAB_SMTP_HOST; no host -> e-mails go to the outbox
    port = 587                     # SISLAB_SMTP_PORT
    user = "sislab"                # SISLAB_SMTP_USER
    password = "..."               # SISLAB_SMTP_PASSWORD (prefer the variable; never logged)
    from = "sislab@district.org"   # SISLAB_SMTP_FROM
    starttls = true                # SISLAB_SMTP_STARTTLS (1/0, true/false, yes/no)
    ssl = false                    # SISLAB_SMTP_SSL: implicit TLS (port 465)
    timeout = 30                   # SISLAB_SMTP_TIMEOUT, seconds

    [reports]
    retention_days = 90            # SISLAB_REPORTS_RETENTION_DAYS: run folders older than this
                                   # are pruned by `sislab schedule run-due`; 0 keeps them all

    [cers]                         # CERS Student Groups upload to TOMS (off unless enabled)
    upload_enabled = false         # SISLAB_CERS_UPLOAD_ENABLED: the feature flag
    api_url = "https://..."        # SISLAB_CERS_API_URL: base of /groups/imports and /imports/{id}
    token_url = "https://..."      # SISLAB_CERS_TOKEN_URL: OAuth2 token endpoint (password grant)
    username = "vendor-user"       # SISLAB_CERS_USERNAME: the district's vendor credential
    password = "..."               # SISLAB_CERS_PASSWORD: its secret key (prefer the variable)
    client_id = "..."              # SISLAB_CERS_CLIENT_ID
    client_secret = "..."          # SISLAB_CERS_CLIENT_SECRET (secret)
    credential_expires = "2027-08-31"  # SISLAB_CERS_CREDENTIAL_EXPIRES: warn 30 days before
    retries = 5                    # SISLAB_CERS_RETRIES: attempts on connection errors and 5xx
    backoff_seconds = 2.0          # SISLAB_CERS_BACKOFF_SECONDS: first wait, doubled each retry
    poll_seconds = 10.0            # SISLAB_CERS_POLL_SECONDS: between status checks of an import
    poll_timeout = 3600.0          # SISLAB_CERS_POLL_TIMEOUT: give up waiting after this long
    timeout = 60.0                 # SISLAB_CERS_TIMEOUT: per HTTP request

    [aeries]                       # `sislab import --from aeries` (docs/aeries.md)
    url = "https://district.aeries.net/aeries"  # SISLAB_AERIES_URL: base of /api/v5/...
    certificate = "..."            # SISLAB_AERIES_CERTIFICATE: the district's vendor certificate (secret)
    connections = 16               # SISLAB_AERIES_CONNECTIONS: requests in flight at once
    prior_years = 3                # SISLAB_AERIES_PRIOR_YEARS: earlier DatabaseYears pulled (sections, rosters)
    page_size = 1000               # SISLAB_AERIES_PAGE_SIZE: records per StartingRecord/EndingRecord page
    retries = 5                    # SISLAB_AERIES_RETRIES: attempts on 429, 5xx, timeouts, broken pages
    backoff_seconds = 1.0          # SISLAB_AERIES_BACKOFF_SECONDS: first wait, doubled each retry
    timeout = 120.0                # SISLAB_AERIES_TIMEOUT: per HTTP request

Secrets are kept out of `repr`, so printing or logging settings never shows them.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field, fields, replace

from .workspace import Workspace

FILE_NAME = "sislab.toml"
ENV_PREFIX = "SISLAB_"
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A setting that cannot be read; the message names the file or variable and the key."""


def _secret(default=None):
    return field(default=default, repr=False, metadata={"secret": True})


@dataclass(frozen=True)
class Settings:
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = _secret()
    smtp_from: str = "sislab@localhost"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 30.0
    reports_retention_days: int = 90
    cers_upload_enabled: bool = False
    cers_api_url: str | None = None
    cers_token_url: str | None = None
    cers_username: str | None = None
    cers_password: str | None = _secret()
    cers_client_id: str | None = None
    cers_client_secret: str | None = _secret()
    cers_credential_expires: str | None = None  # YYYY-MM-DD
    cers_retries: int = 5
    cers_backoff_seconds: float = 2.0
    cers_poll_seconds: float = 10.0
    cers_poll_timeout: float = 3600.0
    cers_timeout: float = 60.0
    aeries_url: str | None = None
    aeries_certificate: str | None = _secret()
    aeries_connections: int = 16
    aeries_prior_years: int = 3
    aeries_page_size: int = 1000
    aeries_retries: int = 5
    aeries_backoff_seconds: float = 1.0
    aeries_timeout: float = 120.0

    def __repr__(self) -> str:
        shown = (f"{f.name}={'***' if _is_secret(f) and getattr(self, f.name) else getattr(self, f.name)!r}"
                 for f in fields(self))
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__


def load(ws: Workspace) -> Settings:
    """The settings of this workspace: file values, then environment variables on top."""
    values = _from_file(ws.root / FILE_NAME)
    for f in fields(Settings):
        raw = os.environ.get(ENV_PREFIX + f.name.upper())
        if raw is not None and raw != "":
            values[f.name] = _convert(f, raw, ENV_PREFIX + f.name.upper())
    return replace(Settings(), **values)


def _from_file(path) -> dict:
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    known = {f.name: f for f in fields(Settings)}
    values = {}
    for section, table in doc.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: `{section}` must be a [section], e.g. [smtp] host = ...")
        for key, value in table.items():
            name = f"{section}_{key}"
            if name not in known:
                raise ConfigError(f"{path}: unknown setting [{section}] {key}")
            values[name] = _convert(known[name], value, f"{path} [{section}] {key}")
    if any(_is_secret(known[n]) for n in values) and os.stat(path).st_mode & 0o077:
        log.warning("%s holds a secret but others may read it: chmod 600 it", path)
    return values


def _convert(f, value, where: str):
    """A file or environment value as the setting's type, or a ConfigError naming `where`."""
    kind = _base_type(f)
    if type(value) is kind or (kind is float and type(value) is int):
        return kind(value)
    if isinstance(value, str) and kind is bool and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    if isinstance(value, str) and kind is not bool:
        try:
            return kind(value.strip())
        except ValueError:
            pass
    expected = "true/false" if kind is bool else kind.__name__
    raise ConfigError(f"{where}: expected {expected}, got {_shown(f, value)}")


def _base_type(f) -> type:
    names = {"str": str, "int": int, "float": float, "bool": bool}
    return names[str(f.type).split("|")[0].strip()]


def _shown(f, value) -> str:
    return "***" if _is_secret(f) else repr(value)


def _is_secret(f) -> bool:
    return bool(f.metadata.get("secret"))
