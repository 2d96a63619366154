"""sislab benchmarks (not tests): `python -m bench [NAME] [options]`, or `make bench`.

Each `bench/bench_*.py` module registers itself with `register`; `python -m bench` finds
them, and runs them all (with their defaults) when no NAME is given. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], None]


BENCHMARKS: dict[str, Benchmark] = {}


def register(benchmark: Benchmark) -> Benchmark:
    BENCHMARKS[benchmark.name] = benchmark
    return benchmark
