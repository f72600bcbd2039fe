# The project's chores, each one command. PY is the interpreter of the venv the README makes.
PY ?= .venv/bin/python
BIN = $(dir $(PY))
SOURCES = core tui tests bench scripts

.PHONY: check test bench screenshots

check:  ## static checks, as .ci/run runs them
	$(PY) -m ruff check $(SOURCES)
	$(PY) -m ruff format --check $(SOURCES)
	$(PY) -m mypy
	$(BIN)lint-imports

test:  ## the whole suite, in parallel
	$(PY) -m pytest -q -p no:cacheprovider -n auto

bench:  ## every benchmark script, one table (python -m bench --help for options)
	$(PY) -m bench

screenshots:  ## regenerate screenshots/*.svg (then review them and the snapshot tests)
	$(PY) scripts/screenshots.py
