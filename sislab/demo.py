"""`sislab demo`: the README's first command — import the sample district, run the jobs, serve.

Each step is one call into the package, the same call a coordinator's notebook or a
scheduled run makes; the demo only chains them and says where the results are.
"""

from __future__ import annotations

from pathlib import Path

from .core.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
DEMO_USER = "demo"


def add_commands(sub) -> None:
    p = sub.add_parser("demo", help="import the sample district, run every job, serve the dashboards")
    p.add_argument("--sample", default=str(SAMPLE), help="folder of SIS exports (default: data/sample)")
    p.add_argument("--no-serve", action="store_true", help="stop after the runs; do not start the server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8866)
    p.set_defaults(func=demo_command)


def run_demo(ws: Workspace, sample: Path, say=print) -> dict[str, list[Path]]:
    """Every demo step in order; returns the files each step produced."""
    from .core.importer import import_sis
    from .core.progress import cli_progress
    from .core.runner import run_notebook

    report = import_sis(sample, ws, user=DEMO_USER, progress=cli_progress())
    say(f"imported {sum(report.row_counts.values()):,} rows from {sample} into {report.snapshot.name}")

    produced: dict[str, list[Path]] = {}
    for notebook in ("district_overview",):
        result = run_notebook(notebook, {}, ws, user=DEMO_USER)
        if not result.ok:
            raise RuntimeError(f"{notebook} failed: {result.error} (see {result.executed_path})")
        produced[notebook] = list(result.produced_files)
        say(f"{notebook}: {len(result.produced_files)} files in {result.output_dir}")
    return produced


def demo_command(args) -> int:
    ws = Workspace.locate()
    run_demo(ws, Path(args.sample))
    if args.no_serve:
        return 0
    from .core.serve import serve

    serve(ws, args.host, args.port, None, open_browser=False)
    return 0
