"""Run a notebook headless with papermill: `sislab run NOTEBOOK -p name value ...`.

Each run gets its own owner-only folder `reports/<notebook>/<UTC timestamp>/` holding the
executed notebook, `run.json` (who, when, parameters, outcome) and whatever the notebook
wrote there: the notebook receives that folder as its `output_dir` parameter, and runs with
it as working directory.

Parameter values from the command line or a YAML file stay text (a school code 0123 stays
"0123"), unless the notebook's parameters cell declares the parameter with an int, float or
bool default: then the value is converted to that type. Cell outputs are never printed or
logged (they hold student data); a failure is summarised as the failing cell's error.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from . import access
from .workspace import ENV_REPORTS, ENV_WORKSPACE, FILE_MODE, Workspace, private_dir, write_atomic

ENV_NOTEBOOKS = "SISLAB_NOTEBOOKS"
# ipykernel's kernelspec in this environment: argv "python", which jupyter_client starts as sys.executable
KERNEL = "python3"
OUTPUT_PARAMETER = "output_dir"
SCHOOL_PARAMETER = "school"  # a dashboard's notebook: the school it shows
MANIFEST = "run.json"
TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")


class ParameterError(ValueError):
    """A parameter the notebook does not declare, or a value its declared type cannot take."""


@dataclass(frozen=True)
class RunResult:
    output_dir: Path
    executed_path: Path
    produced_files: list[Path]
    ok: bool
    error: str | None  # "cell 3: KeyError: 'x'" when the run failed


def notebooks_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The notebooks folder: the argument, else $SISLAB_NOTEBOOKS, else notebooks/ beside the package."""
    if explicit or os.environ.get(ENV_NOTEBOOKS):
        return Path(explicit or os.environ[ENV_NOTEBOOKS]).resolve()
    return Path(__file__).resolve().parents[2] / "notebooks"


def find_notebook(name: str | os.PathLike, folder: Path | None = None) -> Path:
    """A notebook path, or the name of one in the notebooks folder (with or without .ipynb)."""
    path = Path(name)
    if path.is_file():
        return path.resolve()
    folder = folder or notebooks_dir()
    candidate = folder / (path.name if path.suffix == ".ipynb" else f"{path.name}.ipynb")
    if candidate.is_file():
        return candidate
    known = ", ".join(sorted(p.stem for p in folder.glob("*.ipynb"))) or "none"
    raise FileNotFoundError(f"No notebook {str(name)!r}; notebooks in {folder}: {known}")


def declared_parameters(notebook: Path) -> dict[str, object]:
    """{name: default value} from the notebook's cell tagged `parameters` (read once per version
    of the file: a run checks its parameters, then whether the notebook takes a school)."""
    return dict(_declared(str(notebook), Path(notebook).stat().st_mtime_ns))


@functools.lru_cache(maxsize=64)
def _declared(notebook: str, version: int) -> tuple[tuple[str, object], ...]:
    import papermill  # imports take seconds (nbformat's schema checks): only when running notebooks

    return tuple((name, _literal(p["default"])) for name, p in papermill.inspect_notebook(notebook).items())


def typed_parameters(notebook: Path, raw: dict[str, object]) -> dict[str, object]:
    """Check names against the parameters cell and convert text to each declared default's type."""
    declared = declared_parameters(notebook)
    typed = {}
    for name, value in raw.items():
        if name == OUTPUT_PARAMETER:
            raise ParameterError(f"{OUTPUT_PARAMETER} is set by sislab run (the run's report folder)")
        if name not in declared:
            known = ", ".join(n for n in declared if n != OUTPUT_PARAMETER) or "none"
            raise ParameterError(f"{notebook.stem} has no parameter {name!r}; its parameters: {known}")
        typed[name] = _convert(name, value, declared[name])
    return typed


def parameters_file(path: str | os.PathLike) -> dict[str, object]:
    """Parameters from a YAML mapping, every scalar read as text (so 0123 stays "0123")."""
    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected a mapping of parameter names to values")
    return data


def run_notebook(notebook: str | os.PathLike, parameters: dict[str, object] | None = None,
                 ws: Workspace | None = None, user: str | None = None) -> RunResult:
    """Execute `notebook` with `parameters` into a new timestamped folder under ws.reports."""
    import papermill
    from nbclient.exceptions import DeadKernelError

    ws = ws or Workspace.locate()
    notebook = find_notebook(notebook)
    user = user or access.current_user()
    if SCHOOL_PARAMETER in declared_parameters(notebook):  # a dashboard's: scoped as on the dashboard
        parameters = {**(parameters or {}), SCHOOL_PARAMETER: access.viewed_school(
            ws, user, (parameters or {}).get(SCHOOL_PARAMETER), notebook.stem)}
    output_dir = new_run_dir(ws.reports / notebook.stem)
    executed = output_dir / notebook.name
    manifest = {"notebook": str(notebook), "user": user, "parameters": parameters or {}, "started_at": _now()}
    error = "the run stopped unexpectedly"  # what run.json says if an unforeseen error escapes
    try:
        with _workspace_env(ws, manifest["user"]):
            papermill.execute_notebook(
                str(notebook), str(executed), parameters={**(parameters or {}), OUTPUT_PARAMETER: str(output_dir)},
                kernel_name=KERNEL, cwd=str(output_dir), log_output=False, progress_bar=False,
                kernel_manager_class="sislab.core.kernels.RunKernelManager")  # imported by nbclient only
        error = None
    except papermill.PapermillExecutionError as e:
        error = f"cell {e.exec_count}: {e.ename}: {e.evalue}"
    except DeadKernelError as e:
        error = f"the kernel died: {e}"
    finally:
        manifest.update(finished_at=_now(), ok=error is None, error=error)
        write_atomic(output_dir / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")
        produced = _owner_only_files(output_dir)
    made = [p for p in produced if p not in (executed, output_dir / MANIFEST)]
    return RunResult(output_dir, executed, made, error is None, error)


def _convert(name: str, value: object, default: object) -> object:
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    text = value.strip()
    try:
        if isinstance(default, bool):
            if text.lower() not in TRUE_WORDS + FALSE_WORDS:
                raise ValueError
            return text.lower() in TRUE_WORDS
        if isinstance(default, int | float):
            return type(default)(text)
    except ValueError:
        raise ParameterError(f"parameter {name} takes a {type(default).__name__} "
                             f"(like its default {default!r}), not {value!r}") from None
    return value


def _literal(source: str) -> object:
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return source  # an expression (e.g. date.today()): values stay text


RUN_FOLDER = re.compile(r"\d{8}T\d{6}Z(-\d+)?")  # the names new_run_dir gives; retention relies on it


def new_run_dir(parent: Path) -> Path:
    """reports/<notebook>/<UTC stamp>/, created owner-only; -2, -3 ... if a run started this second."""
    private_dir(parent)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 1000):
        path = parent / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return private_dir(path)
    raise RuntimeError(f"too many runs of {parent.name} in one second")


def _owner_only_files(folder: Path) -> list[Path]:
    """Every file under `folder`, made owner-only whatever umask the notebook wrote it with."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        os.chmod(path, FILE_MODE)
    for sub in (p for p in folder.rglob("*") if p.is_dir()):
        private_dir(sub)
    return files


@contextmanager
def _workspace_env(ws: Workspace, user: str):
    """The kernel inherits this process's environment: point it at `ws`, acting as `user` (the
    jobs it starts check that user's role: `access.authorize`)."""
    saved = {k: os.environ.get(k) for k in (ENV_WORKSPACE, ENV_REPORTS, access.ENV_USER, "JUPYTERHUB_USER")}
    os.environ.pop("JUPYTERHUB_USER", None)
    os.environ.update({ENV_WORKSPACE: str(ws.root), ENV_REPORTS: str(ws.reports), access.ENV_USER: user})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- command line -------------------------------------------------------------------------

def add_commands(sub) -> None:
    p = sub.add_parser("run", help="run a notebook headless into reports/<notebook>/<timestamp>/")
    p.add_argument("notebook", help="a notebook file, or the name of one in notebooks/")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="set a parameter (text unless the notebook declares a number or bool)")
    p.add_argument("-f", "--parameters-file", metavar="YAML", help="parameters from a YAML mapping")
    p.add_argument("--user", help="who runs it, recorded in run.json (default: the login name)")
    p.set_defaults(func=run_command)


def run_command(args) -> int:
    from ..cli import UserError

    try:
        notebook = find_notebook(args.notebook)
        raw = {**(parameters_file(args.parameters_file) if args.parameters_file else {}), **dict(args.parameter)}
        parameters = typed_parameters(notebook, raw)
    except (FileNotFoundError, ParameterError, yaml.YAMLError) as e:
        raise UserError(str(e)) from None
    result = run_notebook(notebook, parameters, user=args.user)
    if not result.ok:
        print(f"sislab: {notebook.stem} failed at {result.error}", file=sys.stderr)
        print(f"executed notebook (with the error): {result.executed_path}", file=sys.stderr)
        return 1
    print(f"executed notebook: {result.executed_path}")
    for path in result.produced_files:
        print(f"produced: {path}")
    return 0

