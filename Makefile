# ree_assets: the README's commands. Everything a fresh machine needs is installed here.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Packages are installed by uv (into the venv, from PyPI), several times faster than pip on a fresh
# machine. It compiles the bytecode at install, as pip does (where PYTHONDONTWRITEBYTECODE is set,
# nothing would be compiled later and every process would compile its imports again). uv does not
# read pip's configuration files; a find-links folder set for pip in the environment (wheels a
# machine keeps at hand, such as a CPU build of torch) is passed on to it.
UV := $(VENV)/bin/uv pip install -q --compile-bytecode --python $(PY)
ifneq ($(PIP_FIND_LINKS),)
export UV_FIND_LINKS ?= $(PIP_FIND_LINKS)
endif
STAMP := $(VENV)/.installed
# dbt (and sqlfluff's dbt templater) in an environment of their own, dbt/requirements.txt: the
# code location only runs dbt as a command, and with dbt-core importable dagster-dbt would load
# dbt's selection engine at every load. It gets the DuckDB version of the project's environment.
DBT_VENV := $(VENV)/dbt
DBT := $(DBT_VENV)/bin/dbt
DBT_STAMP := $(DBT_VENV)/.installed
# The project's Dagster instance, used by every command of the project's venv when DAGSTER_HOME is
# not set (a start-up hook in the venv, ree_assets/instance.py): the CLI, `make run`, `dg`, `dagster`
# and the UI share one history. A DAGSTER_HOME you set wins, and `make clean` leaves it alone.
PROJECT_DAGSTER_HOME := $(CURDIR)/.dagster_home
HOOK_STAMP := $(VENV)/.instance-hook
export REE_DUCKDB_PATH ?= $(CURDIR)/data/ree.duckdb
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
DEBIAN_PACKAGES := coinor-libipopt-dev pkg-config liblapack-dev libblas-dev
# The browser of the UI test (Debian's; Selenium drives it, nothing is downloaded).
BROWSER_PACKAGES := chromium chromium-driver
BROWSER_STAMP := $(VENV)/.browser
LINT_STAMP := $(VENV)/.lint

.PHONY: setup system-deps browser-deps run dev test bench lint dbt-parse docs clean

# The project's own modules are compiled here too (an editable install is not compiled by the
# installer): where PYTHONDONTWRITEBYTECODE is set, every process would compile them again.
setup: $(STAMP) $(DBT_STAMP) $(HOOK_STAMP) dbt/target/manifest.json
	@$(PY) -m compileall -q ree_assets

system-deps:
	@if ! dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1; then \
	  echo "installing Debian packages for IPOPT: $(DEBIAN_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES); \
	fi

browser-deps:
	@if ! dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1; then \
	  echo "installing Debian packages for the UI test: $(BROWSER_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES); \
	fi

$(BROWSER_STAMP): $(STAMP) | browser-deps
	$(UV) -e ".[test,browser]"
	touch $(BROWSER_STAMP)

$(LINT_STAMP): $(STAMP)
	$(UV) -e ".[test,lint]"
	touch $(LINT_STAMP)

$(STAMP): pyproject.toml | system-deps
	test -d $(VENV) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q uv
	$(UV) -e ".[test,embedding,bigquery]"
	touch $(STAMP)

# A .venv made before dbt had its own environment held dbt beside the project: it is removed there.
$(DBT_STAMP): dbt/requirements.txt $(STAMP)
	$(VENV)/bin/uv pip uninstall -q --python $(PY) dbt-core dbt-duckdb sqlfluff-templater-dbt
	test -d $(DBT_VENV) || python3 -m venv $(DBT_VENV)
	$(VENV)/bin/uv pip install -q --compile-bytecode --python $(DBT_VENV)/bin/python -r dbt/requirements.txt \
	  "duckdb==$$($(PY) -c 'import duckdb; print(duckdb.__version__)')"
	touch $(DBT_STAMP)

dbt/target/manifest.json: $(DBT_STAMP) $(shell find dbt/models dbt/macros -type f) dbt/dbt_project.yml
	cd dbt && ../$(DBT) parse --profiles-dir . --quiet

$(HOOK_STAMP): $(STAMP)
	$(PY) -m ree_assets.instance
	touch $(HOOK_STAMP)

run: setup
	$(PY) -m ree_assets.cli

dev: setup
	$(VENV)/bin/dg dev

# The lint runs first: a red lint fails the test target (and so CI) before the suite starts.
# --dist loadfile keeps a module on one worker, so its module-scoped pipeline run happens once;
# --no-loadscope-reorder keeps the conftest's module order: the small world's session-wide build
# (ree_assets_tests/small_world_build.py) starts first on one worker while the other runs the
# modules that do not read it.
test: setup $(BROWSER_STAMP) lint
	$(VENV)/bin/pytest -n 2 --dist loadfile --no-loadscope-reorder -q

bench: setup
	$(PY) -m ree_assets_tests.bench $(BENCH_ARGS)

# dbt docs (models, sources, tests, column descriptions from the contracts, the database's
# catalog) into dbt/target; static_index.html opens without a server.
docs: $(DBT_STAMP)
	mkdir -p $(dir $(REE_DUCKDB_PATH))
	cd dbt && ../$(DBT) docs generate --profiles-dir . --static --quiet
	@echo "dbt docs written to dbt/target: open dbt/target/static_index.html in a browser, or serve them with"
	@echo "  cd dbt && ../$(DBT) docs serve --profiles-dir . --port 8080   # then http://127.0.0.1:8080"

# ruff (lint, format check), sqlfluff (dbt templater, DuckDB dialect; an in-memory database) and
# mypy on core/ and sources/, configured in pyproject.toml; every tool runs, any failure fails.
lint: $(LINT_STAMP) dbt/target/manifest.json
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	REE_DUCKDB_PATH=:memory: $(DBT_VENV)/bin/sqlfluff lint dbt/models || status=1; \
	$(VENV)/bin/mypy || status=1; \
	exit $$status

# Removes the project's own instance only (never a DAGSTER_HOME of yours); the next command of the
# project's venv creates it afresh.
clean:
	rm -rf $(REE_DUCKDB_PATH) $(dir $(REE_DUCKDB_PATH))reports $(dir $(REE_DUCKDB_PATH))logs $(PROJECT_DAGSTER_HOME) dbt/target
