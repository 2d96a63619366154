"""`python -m bench [NAME] [options]`: run one benchmark, or all of them with their defaults."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import bench


def main(argv: list[str] | None = None) -> int:
    for module in pkgutil.iter_modules(bench.__path__):
        if module.name.startswith("bench_"):
            importlib.import_module(f"bench.{module.name}")
    parser = argparse.ArgumentParser(prog="python -m bench", description=bench.__doc__.splitlines()[0])
    names = parser.add_subparsers(dest="name", metavar="NAME")
    for b in bench.BENCHMARKS.values():
        b.add_arguments(names.add_parser(b.name, help=b.help, description=b.help))
    args = parser.parse_args(argv)
    chosen = [args.name] if args.name else list(bench.BENCHMARKS)
    for name in chosen:
        bench.BENCHMARKS[name].run(args if args.name else names.choices[name].parse_args([]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
