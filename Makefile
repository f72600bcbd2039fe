# The project's chores, each one command. PY is the interpreter of the venv the README makes.
PY ?= .venv/bin/python
BIN = $(dir $(PY))
SOURCES = core tui tests bench scripts examples

.PHONY: check test bench screenshots validate

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

validate:  ## hftbacktest's own venv (the validate extra), the fidelity cross-check and the replaying example driver's tests
	test -x .venv-validate/bin/python || (python3 -m venv .venv-validate && .venv-validate/bin/pip install -q -e '.[validate]')
	.venv-validate/bin/python bench/crosscheck_hftbacktest.py --seeds 2 --window 120
	MM_SOAK_VALIDATE_PYTHON=.venv-validate/bin/python $(PY) -m pytest -q -p no:cacheprovider tests/drivers/test_hftbacktest_driver.py
