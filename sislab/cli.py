"""`sislab` command line: parse, call the package, print. Each area adds its own commands."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from .core.access import ENV_USER, NotAllowed
from .core.workspace import ENV_WORKSPACE

DEFAULT_WORKSPACE = "workspace"  # the command line's default: ./workspace of where it is run

# Modules that contribute sub-commands through `add_commands(subparsers)`.
COMMAND_MODULES = (
    "sislab.core.commands",
    "sislab.sample",
    "sislab.core.runner",
    "sislab.core.schedule",
    "sislab.core.serve",
    "sislab.core.lab",
    "sislab.core.access",
    "sislab.core.school_groups",
    "sislab.cci.commands",
    "sislab.cers.commands",
    "sislab.ilsca.commands",
    "sislab.ag.commands",
    "sislab.roster.commands",
    "sislab.demo",
)


class UserError(Exception):
    """An error the user can fix; printed without a traceback, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sislab", description="SIS exports in; state indicators, state files and rosters out.")
    parser.add_argument("--workspace", help="workspace directory (default $SISLAB_WORKSPACE or ./workspace)")
    parser.add_argument("--as-user", metavar="NAME", help="the sislab user the command acts as, whose role and "
                        "schools decide what it may run (default $SISLAB_USER, else your login name)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = os.environ.get(ENV_WORKSPACE)
    acting = os.environ.get(ENV_USER)
    if args.as_user:
        os.environ[ENV_USER] = args.as_user
    # For this command only (main() may be called again in the same process); exported so that
    # what the command starts (JupyterLab, the server, papermill kernels) reads the same workspace.
    os.environ[ENV_WORKSPACE] = str(Path(args.workspace or previous or DEFAULT_WORKSPACE).resolve())
    umask = os.umask(0o077)  # student data: what a command writes is owner-only from its first byte
    try:
        return int(args.func(args) or 0)
    except (UserError, NotAllowed) as e:
        print(f"sislab: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(umask)
        _restore(ENV_USER, acting)
        _restore(ENV_WORKSPACE, previous)


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


if __name__ == "__main__":
    sys.exit(main())
