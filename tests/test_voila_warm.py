"""What the dashboard server does before a page's notebook runs (`sislab.core.voila_auth`): what
a warm kernel runs before a page has it, how a kernel is known to be ready, compiled templates.
The pages themselves, through the real server, are in test_dashboard_scope.py."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from queue import Empty

import pytest
from jinja2 import Environment, FileSystemLoader
from traitlets.utils.importstring import import_item

from sislab.core import serve
from sislab.core.runner import notebooks_dir
from sislab.core.kernels import PromptKernelClient, RunKernelManager
from sislab.core.voila_auth import (TEMPLATES, CompiledTemplates, dashboard_modules, environment_code,
                                    keep_compiled_templates, read_dashboards, warm_code)


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


# --- a kernel is ready when it answered and its IOPub is connected ---------------------------

async def _kernel(run):
    manager = RunKernelManager(kernel_name="python3")  # a headless run's: the prompt client, encrypted
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        return await run(manager, client)
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)


def test_a_kernel_is_ready_once_it_answered_and_its_iopub_came_through_to_idle():
    """Nothing of the readiness check is left on IOPub (it was read up to the kernel's "idle"),
    and the first cell's output, sent right after, arrives."""

    async def run(manager, client):
        assert isinstance(client, PromptKernelClient)
        await client.wait_for_ready(timeout=60)
        with pytest.raises(Empty):
            await client.iopub_channel.get_msg(timeout=0.5)
        msg_id = client.execute("print('first output')")
        while True:
            message = await client.iopub_channel.get_msg(timeout=30)
            if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "stream":
                return message["content"]["text"]

    assert asyncio.run(_kernel(run)) == "first output\n"


def test_a_dead_kernel_is_never_ready():
    async def run(manager, client):
        await client.wait_for_ready(timeout=60)
        await manager.provisioner.kill()
        await manager.provisioner.wait()
        with pytest.raises(RuntimeError, match="died"):
            await client.wait_for_ready(timeout=10)

    asyncio.run(_kernel(run))


def test_the_dashboard_servers_kernels_use_the_prompt_client(tmp_path):
    from sislab.core.workspace import Workspace

    config = serve.voila_config(Workspace.locate(tmp_path / "ws"), "127.0.0.1", 8866, notebooks_dir())
    assert import_item(config.ServerKernelManager.client_class) is PromptKernelClient


# --- templates compiled once -----------------------------------------------------------------

def test_templates_are_compiled_once_for_every_environment_until_they_change(tmp_path):
    (tmp_path / "page.j2").write_text("{% for n in numbers %}{{ n }};{% endfor %}")
    compiled = CompiledTemplates()

    def render() -> str:  # a new environment each time, as Voilà makes one per page
        environment = Environment(loader=FileSystemLoader(tmp_path), bytecode_cache=compiled)
        return environment.get_template("page.j2").render(numbers=[1, 2])

    assert (render(), compiled.reused) == ("1;2;", 0)
    assert (render(), compiled.reused) == ("1;2;", 1)
    (tmp_path / "page.j2").write_text("{{ numbers | length }}")
    assert (render(), compiled.reused) == ("2", 1)  # changed on disk: compiled again, not reused


def test_voilas_page_exporter_keeps_compiled_templates():
    from voila.exporter import VoilaExporter

    keep_compiled_templates()
    keep_compiled_templates()  # once is what it does, however often it is called
    exporter = VoilaExporter(template_name="lab")
    assert exporter.environment.bytecode_cache is TEMPLATES
    assert VoilaExporter(template_name="lab").environment is not exporter.environment  # a new one per page
