"""Warm dashboard kernels (`sislab.core.voila_auth`): what a warm kernel runs before a page has
it. The pages themselves, through the real server, are in test_dashboard_scope.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sislab.core import serve
from sislab.core.runner import notebooks_dir
from sislab.core.voila_auth import dashboard_modules, environment_code, read_dashboards, warm_code


def test_a_warm_kernels_environment_becomes_exactly_the_pages():
    warm = {"PATH": os.environ["PATH"], "SISLAB_WORKSPACE": "/srv/ws", "LEFT_OVER": "from the server"}
    page = {"PATH": os.environ["PATH"], "SISLAB_WORKSPACE": "/srv/ws", "SISLAB_USER": "principal.north",
            "SCRIPT_NAME": "/voila/render/x.ipynb'\"); open('/tmp/owned', 'w')  # \\\n\u00e9",
            "QUERY_STRING": ""}
    code = environment_code(warm, page) + "\nimport json, os\nprint(json.dumps(dict(os.environ)))"
    seen = json.loads(subprocess.run([sys.executable, "-c", code], env=warm, capture_output=True, text=True,
                                     check=True).stdout)
    seen.pop("LC_CTYPE", None)  # Python may set it at start
    assert seen == page


def test_a_warm_kernel_imports_and_prepares_without_a_workspace_and_leaves_no_name_behind():
    code = warm_code(["colorsys", "json.decoder", "json.decoder.JSONDecoder"], list(serve.WARM_CALLS)) + (
        "\nprint(sorted(n for n in dir() if not n.startswith('__')))\nimport sys"
        "\nprint(all(m in sys.modules for m in ('colorsys', 'itables', 'pandas.io.formats.style')))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISLAB_")}  # no workspace to read
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.split("\n")[:2] == ["[]", "True"]


def test_warm_kernels_import_what_the_dashboards_import_and_nothing_else():
    folder = notebooks_dir()
    modules = dashboard_modules(folder, read_dashboards(folder))
    assert {"sislab.widgets.cci_dashboard", "sislab.overview", "sislab.widgets",
            "sislab.widgets.ilsca_form", "sislab.widgets.cers_form"} <= set(modules)
    assert not [m for m in modules if "job_forms" in m or "cci_forms" in m or "schedule" in m]  # job forms'
