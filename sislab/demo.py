"""`sislab demo`: the README's first command — import the sample district, run the jobs, serve.

Each step is one call into the package, the same call a coordinator's notebook or a
scheduled run makes; the demo only chains them and says where the results are.
"""

from __future__ import annotations

from pathlib import Path

from .core.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
DEMO_USER = "admin"  # the sample's demo admin (data/sample/app_users.csv)
# Notebooks run headless into reports/, as a scheduled run would, with their parameters.
NOTEBOOKS = (("district_overview", {}), ("cci_status", {}), ("ag_alignment", {"transcripts": True}),
             ("roster_check", {"receiver": "cli-engage"}))


def add_commands(sub) -> None:
    p = sub.add_parser("demo", help="import the sample district, run every job, serve the dashboards")
    p.add_argument("--sample", default=str(SAMPLE), help="folder of SIS exports (default: data/sample)")
    p.add_argument("--source", choices=("csv", "aeries-fake"), default="csv",
                   help="aeries-fake: serve the sample through a local fake Aeries API and pull it from there")
    p.add_argument("--no-serve", action="store_true", help="stop after the runs; do not start the server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8866, help="dashboards' port (default 8866)")
    p.add_argument("--lab-port", type=int, default=8888, help="JupyterLab's port (default 8888)")
    p.add_argument("--lab-user", default=DEMO_USER, help=f"the demo user JupyterLab acts as (default {DEMO_USER})")
    p.set_defaults(func=demo_command)


def run_demo(ws: Workspace, sample: Path, say=print, source: str = "csv") -> dict[str, list[Path]]:
    """Every demo step in order; returns the files each step produced."""
    from . import cers, ilsca
    from .cci import mass_update
    from .core import access, store
    from .core.importer import import_sis
    from .core.progress import cli_progress
    from .core.runner import run_notebook

    if source == "aeries-fake":
        from .sources.demo import import_through_fake_aeries

        report = import_through_fake_aeries(ws, sample, DEMO_USER, say)
    else:
        report = import_sis(sample, ws, user=DEMO_USER, progress=cli_progress())
    say(f"imported {sum(report.row_counts.values()):,} rows from {sample} into {report.snapshot.name}")
    access.seed_demo_users(ws)

    with store.snapshot(ws) as con:
        high_schools = mass_update.select_schools(con, all_schools=True)
    cci = mass_update.run(high_schools, ws=ws, user=DEMO_USER, notify_to=None, progress=cli_progress())
    say(f"CCI mass update ({cci.status}): " + ", ".join(f"{s.school_id} {s.status}" for s in cci.schools))

    produced: dict[str, list[Path]] = {"cers": cers.demo(ws, user=DEMO_USER)}
    say(f"CERS student groups: consolidated file and pre-flight report {produced['cers'][0].parent}")
    extract = ilsca.extract_newest_year(ws, user=DEMO_USER, replace=True)  # a demo rerun remakes its file
    produced["ilsca"] = [extract.path, extract.preflight_path]
    say(f"Illinois course assignment: {extract.records:,} records in {extract.path}")
    for notebook, parameters in NOTEBOOKS:
        result = run_notebook(notebook, parameters, ws, user=DEMO_USER)
        if not result.ok:
            raise RuntimeError(f"{notebook} failed: {result.error} (see {result.executed_path})")
        produced[notebook] = list(result.produced_files)
        say(f"{notebook}: {len(result.produced_files)} files in {result.output_dir}")
    return produced


SIGN_INS = """Sign in to the dashboards with one of the demo users (password: sislab-demo, demo only):
  principal.north  principal of North High (001): sees only that school
  principal.south  principal of South High (002)
  coordinator      coordinator of 001 and 002
  admin            every school"""


def demo_command(args) -> int:
    from .core.lab import lab_command, start_lab
    from .core.serve import dashboard_url, serve

    ws = Workspace.locate()
    run_demo(ws, Path(args.sample), source=args.source)
    if args.no_serve:
        return 0
    lab = lab_command(ws, args.lab_user, args.host, args.lab_port)
    print(f"Dashboards: {dashboard_url(args.host, args.port)}\n{SIGN_INS}\n"
          f"JupyterLab (the coordinators' forms, acting as {args.lab_user}; `sislab lab --user NAME` for another "
          f"user): {lab.url}", flush=True)
    process = start_lab(lab)
    try:
        serve(ws, args.host, args.port, None, open_browser=False)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return 0
