# Two commands: `make demo` (set up, run the jobs on the sample district, serve the dashboards
# and JupyterLab) and `make test` (set up with the test tools, run every test). Both create and
# reuse .venv; the demo installs only what running needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test chromium bench model clean-workspace

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(TEST_STAMP)

demo: $(STAMP)
	$(PY) -m sislab demo

test: $(TEST_STAMP) chromium
	$(PY) -m pytest

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
