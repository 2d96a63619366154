"""`sislab cci run` in its own process, with test hooks around each school's share of the run.

    cci_run.py BLOCK FAIL PAUSE_AFTER CLI-ARGS...

BLOCK, FAIL and PAUSE_AFTER are comma-separated school ids. For every school the hooked share
prints {"working": id}; for a BLOCK school it then waits for a line on stdin (the school is
locked meanwhile); for a FAIL school it raises, as a broken rule set would. After a
PAUSE_AFTER school has published its share it prints {"published": id} and waits for a line
on stdin (only that school is locked meanwhile: a run of the next ones may go). At the end it prints
{"exit": code, "stdout": what the command printed}.
The hooks live here only: production code has no switch for them.
"""

import contextlib
import io
import json
import sys

from sislab import cli
from sislab.cci import mass_update

EVENTS = sys.stdout  # the command's own output is captured; events go to the real stdout


def hooked(share, block: set[str], fail: set[str]):
    def school_share(shared, school_id):
        print(json.dumps({"working": school_id}), file=EVENTS, flush=True)
        if school_id in block:
            sys.stdin.readline()
        if school_id in fail:
            raise ValueError(f"rule set {shared.rules.name}: injected error for school {school_id}")
        return share(shared, school_id)
    return school_share


def paused(update, pause_after: set[str]):
    def update_school(shared, school_id, progress=None):
        counts = update(shared, school_id, progress)
        if school_id in pause_after:
            print(json.dumps({"published": school_id}), file=EVENTS, flush=True)
            sys.stdin.readline()
        return counts
    return update_school


def main(block: str, fail: str, pause_after: str, *argv: str) -> int:
    ids = lambda text: set(filter(None, text.split(",")))  # noqa: E731
    mass_update.school_share = hooked(mass_update.school_share, ids(block), ids(fail))
    mass_update.update_school = paused(mass_update.update_school, ids(pause_after))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(list(argv))
    print(json.dumps({"exit": code, "stdout": out.getvalue()}), file=EVENTS, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
