"""The one place that takes locks.

A resource ("cci:school:0123", "job:42") is locked with `flock` on a file in `ws.locks`.
Every process that uses the workspace — notebooks, Voila kernels, the CLI, scheduled runs,
whoever started them — sees the same lock, and the kernel drops it the moment its holder
ends, even by `kill -9`: a dead run never leaves a school locked.

The lock file records who holds it (user, job id, pid, host, since) so a page can say
"running since … by …". A record alone proves nothing (a killed holder leaves one
behind); only a lock that cannot be taken is held. Lock files carry no student data.

Locks are per open file, so a second `hold` of the same resource in the same process is
refused too: a notebook cannot start a school's run twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import socket
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from .store import utcnow
from .workspace import FILE_MODE, Workspace

SHARED_LOCK_RETRIES = 200  # readers hold a shared lock for microseconds; wait them out
RECORD_RETRIES = 50  # a new holder writes its record just after locking


@dataclass(frozen=True)
class Holder:
    resource: str
    user: str
    job_id: int | None
    pid: int | None
    host: str | None
    since: str | None

    def __str__(self) -> str:
        job = f"job {self.job_id}, " if self.job_id is not None else ""
        return f"running since {self.since} by {self.user} ({job}pid {self.pid} on {self.host})"


class Busy(RuntimeError):
    """The resource is held by someone else; `holder` says who."""

    def __init__(self, resource: str, holder: Holder):
        super().__init__(f"{resource} is busy: {holder}")
        self.resource = resource
        self.holder = holder


@contextmanager
def hold(ws: Workspace, resource: str, *, user: str, job_id: int | None = None):
    """Hold `resource` for the block, or raise `Busy` at once (never waits for a holder)."""
    path = lock_path(ws, resource)
    fd = _acquire(path, resource)
    me = Holder(resource, user, job_id, os.getpid(), socket.gethostname(), utcnow())
    try:
        record = json.dumps(asdict(me)).encode("utf-8")
        os.pwrite(fd, record, 0)
        os.ftruncate(fd, len(record))
        yield me
    finally:
        path.unlink(missing_ok=True)  # while still locked: the next holder makes a fresh file
        os.close(fd)


def holder(ws: Workspace, resource: str) -> Holder | None:
    """Who holds `resource` now, or None when it is free (whatever a stale file says)."""
    try:
        fd = os.open(lock_path(ws, resource), os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_record(fd, resource)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def clear_stale(ws: Workspace) -> int:
    """Remove the lock files that killed holders left behind; return how many.

    A file is removed only while we hold its lock, the way `hold` removes its own, so a
    process that opens it at the same moment sees it is no longer current and makes a new one.
    """
    cleared = 0
    for path in ws.locks.glob("*.lock"):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            if _is_current(fd, path):
                path.unlink(missing_ok=True)
                cleared += 1
        finally:
            os.close(fd)
    return cleared


def lock_path(ws: Workspace, resource: str) -> Path:
    """A safe file name for `resource`; the hash keeps names that sanitize alike apart."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", resource).strip("._")[:80]
    digest = hashlib.sha256(resource.encode("utf-8")).hexdigest()[:12]
    return ws.locks / f"{readable}-{digest}.lock"


def _acquire(path: Path, resource: str) -> int:
    """An fd holding the exclusive lock on the file now at `path`, or Busy."""
    for _ in range(SHARED_LOCK_RETRIES):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            exclusive = _held_exclusively(fd)
            if exclusive:
                os.close(fd)
                raise Busy(resource, exclusive) from None
            os.close(fd)
            time.sleep(0.005)
            continue
        if _is_current(fd, path):
            return fd
        os.close(fd)  # the previous holder unlinked this file as we locked it: try the new one
    raise Busy(resource, Holder(resource, "(someone reading it)", None, None, None, None))


def _held_exclusively(fd: int) -> Holder | None:
    """The holder's record when an exclusive lock blocks us; None when only readers do."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_record(fd, None)
    fcntl.flock(fd, fcntl.LOCK_UN)
    return None


def _is_current(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _read_record(fd: int, resource: str | None) -> Holder:
    """The record a holder wrote; it follows its flock by microseconds, so wait for it."""
    for _ in range(RECORD_RETRIES):
        data = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        try:
            # raw_decode ignores a longer stale record's tail left behind a new one
            record, _ = json.JSONDecoder().raw_decode(data)
            return Holder(**{k: record.get(k) for k in Holder.__dataclass_fields__})
        except (ValueError, TypeError):
            time.sleep(0.002)
    return Holder(resource or "?", "(unknown)", None, None, None, None)
