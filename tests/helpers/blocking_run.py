"""A per-school run whose work waits: `blocking_run.py WORKSPACE KIND USER SCHOOL...`.

For each school the work prints {"working": school} and waits for a line on stdin, then
returns {"students": 1}. At the end it prints {"status": job status}.
"""

import json
import sys

from sislab.core import jobs
from sislab.core.workspace import Workspace


def work(school_id, progress):
    print(json.dumps({"working": school_id}), flush=True)
    sys.stdin.readline()
    return {"students": 1}


def main(root: str, kind: str, user: str, *schools: str) -> int:
    report = jobs.run_per_school(Workspace.locate(root), kind, user, schools, work)
    print(json.dumps({"status": report.status}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
