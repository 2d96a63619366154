"""Notebooks here are inputs for tests/test_runner.py (one fails on purpose), not nbval tests."""

collect_ignore_glob = ["*.ipynb"]
