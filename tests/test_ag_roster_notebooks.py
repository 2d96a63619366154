"""Both jobs run as scheduled notebooks: papermill through sislab's runner, with parameters
given as text (as a schedule or `sislab run -p` gives them), files written into output_dir."""

from __future__ import annotations

from sislab.core.runner import run_notebook


def test_ag_alignment_notebook_writes_the_report_and_transcripts(sample_ws):
    result = run_notebook("ag_alignment", {"school_year": "2026", "transcripts": "true"}, sample_ws, user="pytest")
    assert result.ok, result.error
    names = {p.name for p in result.produced_files}
    assert {"ag_school_rates.csv", "ag_worklist.csv", "ag_transcript_preflight.csv"} <= names
    assert {"StudentTemplate", "CourseGradeTemplate", "CourseCatalog", "ManifestTemplate"} <= \
        {n.split("_")[1] for n in names if n.startswith("SierraLakes")}


def test_roster_check_notebook_builds_and_checks_todays_feed(sample_ws):
    result = run_notebook("roster_check", {"receiver": "cli-engage"}, sample_ws, user="pytest")
    assert result.ok, result.error
    assert {"oneroster.zip", "oneroster_check.csv"} <= {p.name for p in result.produced_files}
