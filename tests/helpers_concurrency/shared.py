"""What the concurrency helpers agree on: the result they publish and how a reader checks it."""

from __future__ import annotations

JOB = "conc"
RESULT = "score"
VIEW = f"{JOB}_{RESULT}"
SCHOOLS = ("1", "2")
PAUSE = 0.3  # readers' seconds between polls, as a dashboard would; leaves the cores to the writers


def result_rows(version: int) -> int:
    """Rows a school's result part holds at `version`: the count proves the part is whole."""
    return 200 * (1 + version % 5)


def publish_scores(ws, con, school_id: str, version: int) -> None:
    """Publish one school's result part: `result_rows(version)` rows, all tagged `version`."""
    from sislab.core import store

    store.publish_result(ws, JOB, RESULT, school_id, con,
                         "SELECT ?::VARCHAR AS school_id, ?::INTEGER AS version, range AS i FROM range(?)",
                         [school_id, version, result_rows(version)])
