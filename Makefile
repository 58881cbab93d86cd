# bagan-kit: two commands do all the set-up on a fresh machine.
#   make run    create .venv, install, run every notebook (the main job) -> runs/<time>-<profile>/
#   make test   create or reuse .venv, install with [dev], run every test and notebook check
# Variables: PROFILE (smoke|teach|paper), DATASET (synthetic_cells, fashion_mnist, ...),
# EXTRAS (dev on a CPU; gpu,test on a GPU machine), PYTHON (the interpreter that makes .venv).

PYTHON  ?= python3
VENV    ?= .venv
PROFILE ?= teach
DATASET ?= synthetic_cells
EXTRAS  ?= dev
comma   := ,
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(subst $(comma),_,$(EXTRAS))

.PHONY: run test install browser clean

run: $(STAMP)
	$(BIN)/python -m bagan_lib run --profile $(PROFILE) --dataset $(DATASET)

# One pytest run: the unit tests, the notebook pipeline tests, and nbval over every notebook
# at the smoke profile (--nbval-lax: only cells marked NBVAL_CHECK_OUTPUT compare outputs).
# Two pytest-xdist workers, one per core (705 s against 1080 s for one process, measured here).
# --dist loadfile: a worker takes a whole file, so module fixtures are built once and a notebook's
# nbval cells run in order in one kernel. (loadgroup, which could split a file, does not group under
# pytest 9.2 with xdist 3.8: xdist renames items through a removed attribute; the papermill runs are
# in two files instead.) --no-loadscope-reorder: files go to the workers in collection order, which
# tests/conftest.py makes longest first (LONGEST_FILES); xdist's default, most tests first, started
# the files of few long tests last, on one worker.
# PYTEST_ARGS narrows a run while developing, e.g. make test PYTEST_ARGS='-m "not slow" tests/gan'.
TEST_WORKERS ?= 2
PYTEST_ARGS ?= tests notebooks
test: $(STAMP) browser
	BAGAN_PROFILE=smoke $(BIN)/python -m pytest $(PYTEST_ARGS) --nbval-lax --nbval-cell-timeout=600 -p no:cacheprovider \
	  -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15

install: $(STAMP)

# The slider test (tests/toy/test_browser_sliders.py) drives Debian's Chromium with Playwright;
# Playwright's own browser download does not work here, so Chromium comes from apt (CI runs as root).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "installing chromium with apt-get (for tests/toy/test_browser_sliders.py)"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is still missing: install Debian's chromium package"; exit 1; }

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

clean:
	rm -rf runs notebooks/outputs .pytest_cache
