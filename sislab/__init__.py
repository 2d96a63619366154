"""sislab: SIS exports in, state indicators, state files and rosters out.

The public API is small; notebooks, the CLI and tests all use it.
"""

__version__ = "0.1.0"
