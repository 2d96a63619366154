# Two commands: `make demo` (set up, run the jobs on the sample district, serve the dashboards
# and JupyterLab) and `make test` (set up with the test tools, run every test). Both create and
# reuse .venv; the demo installs only what running needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PROXY  := $(VENV)/node/node_modules/.bin/configurable-http-proxy

.PHONY: demo test chromium proxy bench model clean-workspace

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(TEST_STAMP)

demo: $(STAMP)
	$(PY) -m sislab demo

test: $(TEST_STAMP) chromium proxy
	$(PY) -m pytest

# JupyterHub's proxy for the hub tests (tests/test_hub.py), from npm into .venv/node.
proxy:
	@test -x $(PROXY) || { \
	  if command -v npm >/dev/null 2>&1; then npm install --silent --prefix $(VENV)/node configurable-http-proxy; \
	  else echo "npm is not installed: the JupyterHub tests will be skipped"; fi; }

# Browser tests drive Debian's chromium (no browser download); root installs it when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: browser tests will be skipped"; fi; }

bench: $(TEST_STAMP)
	$(PY) -m bench

clean-workspace:
	rm -rf workspace reports

# Regenerate the files derived from the data model (a test checks they are current).
model: $(STAMP)
	$(PY) -m sislab model --ddl > sislab/core/sql/schema.sql
	$(PY) -m sislab model --docs > docs/data-model.md
