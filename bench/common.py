"""What every benchmark needs: run a step in a fresh child process, time it, measure its
peak memory, and print and save the figures.

A step is a function `module:function` taking JSON-able arguments and returning a JSON-able
dict. The child times the call itself (interpreter start is not counted); the parent takes
the child's peak resident memory from `os.wait4`, which reports that one child's own usage.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"  # git-ignored: results, cached generated data, scratch
SISLAB_TREE = "BENCH_SISLAB_TREE"  # env: the tree whose sislab a child imports (in_child)


@dataclass(frozen=True)
class Measurement:
    seconds: float  # wall time of the step in the child
    peak_rss_mib: float  # the child's peak resident memory
    result: dict  # what the step returned
    cpu_seconds: float = 0.0  # the child's user + system CPU, all threads (interpreter start included):
    # steadier than wall time on a shared machine, where a busy neighbour stretches the wall clock


def in_child(target: str, *args, sislab: Path | None = None) -> Measurement:
    """Run `target` ("module:function") with `args` in a fresh Python; stderr passes through.
    `sislab`: a source tree (e.g. `git archive` of another commit) whose sislab package the
    child imports instead of this one's, measured by this tree's benchmark code."""
    env = {**os.environ, SISLAB_TREE: str(sislab)} if sislab else None
    proc = subprocess.Popen([sys.executable, "-m", "bench.common", target, json.dumps(args)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env)
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{target} failed (exit {proc.returncode})")
    reply = json.loads(out.strip().splitlines()[-1])
    return Measurement(reply["seconds"], usage.ru_maxrss / 1024, reply["result"], usage.ru_utime + usage.ru_stime)


def making(what: str, path: Path) -> None:
    """Say on stderr that a cached input is being made: a missing (or dangling) cache would
    otherwise cost minutes of generating and importing without a word."""
    print(f"bench: {what} is not cached in {path}: making it now (minutes at statewide size)",
          file=sys.stderr, flush=True)


def scratch() -> tempfile.TemporaryDirectory:
    """A scratch folder on the same disk as the data (not /tmp, which may be memory)."""
    OUT.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="scratch-", dir=OUT)


def machine() -> dict:
    import duckdb

    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")), 0) if Path("/proc/meminfo").exists() else 0
    return {"cpus": os.cpu_count(), "memory_gib": round(mem / 2**20, 1), "platform": platform.platform(),
            "python": platform.python_version(), "duckdb": duckdb.__version__}


def report(name: str, params: dict, rows: list[dict], extra: dict | None = None) -> Path:
    """Print `rows` as a table and save everything as bench/out/<name>-<time>.json."""
    print(f"\n{name}: " + ", ".join(f"{k}={v}" for k, v in params.items()))
    print(table(rows))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = OUT / f"{name}-{stamp}.json"
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"benchmark": name, "at": stamp, "machine": machine(), "params": params,
                                "rows": rows, **(extra or {})}, indent=2) + "\n")
    print(f"saved {path.relative_to(ROOT)}")
    return path


def table(rows: list[dict]) -> str:
    cells = [[_cell(v) for v in row.values()] for row in rows]
    heads = list(rows[0])
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(heads)]

    def line(values: list[str]) -> str:  # first column left, numbers right
        return "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths)))

    return "\n".join([line(heads), line(["-" * w for w in widths]), *map(line, cells)])


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _child(target: str, args: str) -> None:
    if os.environ.get(SISLAB_TREE):  # sislab from that tree: its submodules then load from there too
        sys.path.insert(0, os.environ[SISLAB_TREE])
        import sislab  # noqa: F401
        sys.path.pop(0)
    module, function = target.split(":")
    step = getattr(importlib.import_module(module), function)
    start = time.perf_counter()
    result = step(*json.loads(args))
    print(json.dumps({"seconds": time.perf_counter() - start, "result": result}), flush=True)


if __name__ == "__main__":
    _child(*sys.argv[1:])
