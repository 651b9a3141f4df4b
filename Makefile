# Two commands do all set-up on a fresh machine with Python 3.11 and make:
#   make run   - install, migrate, load the demo and serve on http://127.0.0.1:8000
#   make test  - install and run the whole suite (and again on PostgreSQL when
#                MARKETLINK_TEST_DATABASE_URL is set)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: run test install bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	MARKETLINK_ALLOW_PRIVATE_URLS=$${MARKETLINK_ALLOW_PRIVATE_URLS:-1} $(BIN)/marketlink migrate
	MARKETLINK_ALLOW_PRIVATE_URLS=$${MARKETLINK_ALLOW_PRIVATE_URLS:-1} $(BIN)/marketlink demo
	MARKETLINK_ALLOW_PRIVATE_URLS=$${MARKETLINK_ALLOW_PRIVATE_URLS:-1} MARKETLINK_DEMO_HOST=$${MARKETLINK_DEMO_HOST:-1} $(BIN)/marketlink serve

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/graphql_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
