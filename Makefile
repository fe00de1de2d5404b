# Two commands on a fresh machine: `make run` serves the app, `make test` runs every test.
# Each creates .venv and installs what it needs on first use.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-fast bench browser data lint screenshots default-model clean cluster cluster-stop cluster-deps

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m ui.serve --server.port $(PORT)

# Debian's Chromium for the real-browser tests (Playwright's own browser download is not used).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium with apt-get"; \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)); \
	  else echo "no $(CHROMIUM) and not root: browser tests will skip (they fail under CI=true)"; fi; \
	fi

# PostgreSQL and nginx for the cluster and its tests (Debian packages, installed as root when missing).
cluster-deps: $(VENV)/.runtime
	@$(PY) -c "from deploy import cluster; cluster.ensure_packages()" || \
	  echo "no PostgreSQL/nginx: the cluster and PostgreSQL tests will skip (they fail under CI=true)"

# A hall on this machine: PostgreSQL, two app replicas (8511, 8512) and nginx on 8500 (deploy/).
cluster: $(VENV)/.runtime data
	$(PY) -m deploy.cluster start

cluster-stop:
	$(PY) -m deploy.cluster stop

data: $(VENV)/.runtime
	$(PY) -m train.data

test: $(VENV)/.dev browser cluster-deps data
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

# The quick loop while editing, under a minute: no MNIST, no browser, no PostgreSQL, no cluster
# and no whole-app AppTest (pyproject.toml's markers); SQLite in a temporary folder is fine.
test-fast: $(VENV)/.dev
	$(PY) -m pytest -m "not integration and not browser and not postgres and not cluster and not apptest"

bench: $(VENV)/.dev data
	$(PY) -m bench

# docs/performance.md from the quick benchmarks (a few minutes; the long ones are listed there).
.PHONY: performance
performance: $(VENV)/.dev data
	$(PY) -m bench.report

lint: $(VENV)/.dev
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(VENV)/bin/lint-imports

screenshots: $(VENV)/.dev browser data
	$(PY) -m bench.screenshots

# Rebuild the shipped model exactly as it was made.
default-model: $(VENV)/.runtime data
	$(PY) -m train --preset recommended --out assets/default_model.safetensors --metrics-json assets/default_model.json

clean:
	rm -rf $(VENV) .pytest_cache
