# gutskin: two commands do all set-up.  `make demo`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_STAMP := .venv-apt.stamp
# Debian packages: at run time (PDF rendering) and, for tests, a headless browser and PDF-to-PNG.
APT_RUNTIME := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
APT_TEST := poppler-utils chromium

.PHONY: setup demo test lint bench clean apt apt-test serve

setup: $(STAMP)

apt:
	@bash scripts/apt-ensure.sh $(APT_RUNTIME)

apt-test:
	@bash scripts/apt-ensure.sh $(APT_RUNTIME) $(APT_TEST)

$(STAMP): pyproject.toml requirements/lock.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip >/dev/null
	$(BIN)/python -m pip install -q -r requirements/lock.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

demo: setup apt
	@bash scripts/demo.sh

test: setup apt-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n 2
	# the store and web suites again, on a throw-away PostgreSQL cluster (installed from Debian when missing)
	bash scripts/pg-test-cluster.sh run -- $(BIN)/python -m pytest -q -n 2 -p no:cacheprovider tests/store tests/web

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

# The web app on SQLite (data in GUTSKIN_HOME, default ~/.local/share/gutskin) with a demo account.
serve: setup apt
	$(BIN)/python scripts/seed_demo.py --port $${PORT:-8000}
	$(BIN)/gutskin serve --port $${PORT:-8000}

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
