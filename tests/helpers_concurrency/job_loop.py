"""Run per-school jobs that publish results: `job_loop.py WORKSPACE FIRST_VERSION RUNS`.

Run k publishes version FIRST_VERSION + k for every school (see shared.publish_scores).
"""

import json
import sys
import time

import duckdb
from shared import PAUSE, SCHOOLS, publish_scores

from sislab.core import jobs
from sislab.core.workspace import Workspace


def main(root: str, first: str, runs: str) -> int:
    ws = Workspace.locate(root)
    con = duckdb.connect()
    statuses = []
    for version in range(int(first), int(first) + int(runs)):
        def work(school_id, progress, version=version):
            publish_scores(ws, con, school_id, version)
            return {"rows": 1}

        statuses.append(jobs.run_per_school(ws, "conc", "writer", SCHOOLS, work).status)
        # Readers poll every PAUSE seconds: a run must stay current longer than that for the
        # test to see the versions in between, not just the first and the last.
        time.sleep(2 * PAUSE)
    print(json.dumps({"statuses": statuses}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
