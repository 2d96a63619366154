"""The workspace: one directory that holds everything sislab keeps between runs.

Layout (see docs/architecture.md for why):

    workspace/
      snapshots/sis-<stamp>.duckdb   imported SIS snapshots, never written after publish
      CURRENT                        name of the snapshot readers should open
      app.sqlite                     app state: jobs, locks' records, users, profiles, schedules
      results/<job>/...parquet       published job results (replaced atomically)
      locks/                         lock files (flock), one per locked resource
      outbox/                        e-mails written as .eml when no SMTP server is configured
      tmp/                           work files; a snapshot is built here before it is published
    reports/                         produced files and executed notebooks (beside the workspace)

Student data lives here, so everything is created owner-only (0700 dirs, 0600 files).

Which workspace: the one named explicitly, else $SISLAB_WORKSPACE. Never the working folder
of whoever asks: a notebook's kernel runs in the notebook's folder, and a workspace resolved
from there would be an empty one next to the notebook. The command line names its default
(`./workspace`, or `--workspace`) and exports it, so that everything it starts (JupyterLab,
the dashboard server, papermill runs) reads the same one.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ENV_WORKSPACE = "SISLAB_WORKSPACE"
ENV_REPORTS = "SISLAB_REPORTS"
NO_WORKSPACE = ("No workspace is set. Open the notebooks with `sislab lab` (or `make demo`), which starts "
                "JupyterLab on the district's workspace; or set SISLAB_WORKSPACE to the workspace folder.")

DIR_MODE = 0o700
FILE_MODE = 0o600


class NoSnapshot(RuntimeError):
    """Nothing has been imported into this workspace yet (or there is no workspace to read)."""


class NoWorkspace(NoSnapshot):
    """No workspace was named: neither an argument nor $SISLAB_WORKSPACE."""

    def __init__(self, message: str = NO_WORKSPACE):
        super().__init__(message)


@dataclass(frozen=True)
class Workspace:
    root: Path
    reports: Path

    @classmethod
    def locate(cls, root: str | os.PathLike | None = None) -> Workspace:
        """The workspace named by the argument, else $SISLAB_WORKSPACE; NoWorkspace otherwise."""
        root = root or os.environ.get(ENV_WORKSPACE)
        if not root:
            raise NoWorkspace()
        base = Path(root).resolve()
        reports = Path(os.environ.get(ENV_REPORTS) or base.parent / "reports").resolve()
        ws = cls(base, reports)
        ws.ensure()
        return ws

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def current_pointer(self) -> Path:
        return self.root / "CURRENT"

    @property
    def app_db(self) -> Path:
        return self.root / "app.sqlite"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def ensure(self) -> None:
        for d in (self.root, self.snapshots, self.results, self.locks, self.outbox, self.tmp, self.reports):
            private_dir(d)

    def current_snapshot(self) -> Path | None:
        """The published snapshot file, or None before the first import."""
        try:
            name = self.current_pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.snapshots / name
        return path if path.exists() else None


def private_dir(path: Path) -> Path:
    """`path` as an owner-only folder; folders made on the way to it are owner-only too
    (`mkdir(parents=True)` would make them with the umask's mode, e.g. 0755)."""
    path = Path(path)
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for d in reversed(missing):
        d.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(d, DIR_MODE)
    target = missing[0] if missing else path
    os.chmod(target, DIR_MODE)
    return target


@contextmanager
def owner_only():
    """Files that anything (DuckDB included) creates in the block are owner-only from their
    first byte, not chmod-ed afterwards. The umask is per process: the block restores it."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def private_tree(root: Path) -> None:
    """Make every folder under `root` owner-only again (folders an older sislab made 0755)."""
    for folder, dirs, _ in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(folder, d), DIR_MODE)


TEMP_NAME = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")  # write_atomic's ".<name>.<pid>.<random>.tmp"


def remove_orphans(root: Path) -> list[Path]:
    """Remove `write_atomic` temporary files under `root` whose writing process is gone
    (killed mid-write); a live writer's file is left alone."""
    removed = []
    for tmp in root.rglob(".*.tmp"):
        match = TEMP_NAME.match(tmp.name)
        if match and not alive(int(match.group(1))):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _link_new(tmp: Path, path: Path) -> None:
    """Give the finished file `tmp` the name `path`, which must be free (FileExistsError)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links (some network shares)
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
        os.replace(tmp, path)
    else:
        tmp.unlink()


def write_atomic(path: Path, write: Callable[[Path], None] | bytes | str, *, exclusive: bool = False) -> Path:
    """Write `path` so that readers see the old file or the new one, never half of one.

    `write` is the content, or a function that writes a given temporary path (for writers
    such as DuckDB's COPY that want a file name). The file is owner-only. `exclusive`: never
    replace a file; FileExistsError if `path` exists (the finished file is linked in, which
    the file system refuses when the name is taken, so two writers cannot both get it; where
    there are no hard links, the name is created exclusively, empty, and the file put on it).
    """
    path = Path(path)
    if not path.parent.exists():  # a folder the user named (their home, /tmp) keeps its mode
        private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        if callable(write):
            os.close(fd)
            tmp.unlink()
            with owner_only():
                write(tmp)
        else:
            data = write.encode("utf-8") if isinstance(write, str) else write
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        if exclusive:
            _link_new(tmp, path)
        else:
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
