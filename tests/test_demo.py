"""The README's first command: `sislab demo` on a fresh workspace (without the server)."""

import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_imports_sample_runs_every_job_and_writes_reports(tmp_path):
    env = {**os.environ, "SISLAB_WORKSPACE": str(tmp_path / "workspace"), "SISLAB_REPORTS": str(tmp_path / "reports")}
    done = subprocess.run([sys.executable, "-m", "sislab", "demo", "--no-serve"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "CCI mass update (succeeded): 001 done, 002 done" in done.stdout
    reports = tmp_path / "reports"
    assert list(reports.glob("district_overview/*/enrollment_by_school_grade.csv"))
    assert list(reports.glob("cci_status/*/student_results.csv"))
    assert list(reports.glob("cers/*.csv"))
    for path in reports.glob("cers/*.csv"):  # every CERS file the demo makes is one CERS accepts
        check = subprocess.run([sys.executable, "-m", "sislab", "cers", "check", str(path)], env=env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=120, check=False)
        assert check.returncode == 0 and " 0 error(s)" in check.stdout, check.stdout[-3000:]
    assert list(reports.glob("**/SCA8_*_001.txt"))
    assert list(reports.glob("ag_alignment/*/*.csv"))
    assert list(reports.glob("roster_check/*/oneroster.zip"))
    assert not (tmp_path / "workspace" / "outbox").exists() or not list((tmp_path / "workspace" / "outbox").iterdir())
