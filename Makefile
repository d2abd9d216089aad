# sar_mm developer entry points. Everything runs inside one virtual
# environment, $(VENV) (default: .venv in the repo root).
#
#   make install            venv + pinned stack + mmcv-lite + editable sar_mm
#   make install MMCV=full  same, with mmcv 2.1.0 built from source (~22 min)
#   make test               install if needed, then the whole test suite
#   make demo               install if needed, then train the demo config
#   make docs               build the docs site (docs/en -> docs/en/_build/html);
#                           any Sphinx warning, or a link of the built HTML
#                           that is dead or leaves the allow-list, fails it
#   make figures            regenerate the analysis figures under docs/figures
#                           (FIGURES_ARGS=--no-train reuses the runs)
#   make bench              run the benchmarks under benchmarks/

VENV ?= .venv
MMCV ?= lite
PYTHON ?= python3
PYTEST_ARGS ?=
FIGURES_ARGS ?=

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
REQS := requirements/runtime.txt requirements/tests.txt requirements/docs.txt requirements/mmcv-$(MMCV).txt
# Keyed by the content of the pin files (not their mtimes), so a fresh clone
# sharing an installed venv does not reinstall anything.
REQS_HASH := $(shell cat $(REQS) | sha256sum | cut -c1-12)
DEPS_STAMP := $(VENV)/.sar_mm-deps-$(MMCV)-$(REQS_HASH)
# pip warns once per package about this machine's file:// mirrors; hide that.
QUIET := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
DEMO_CONFIG ?= configs/demo/fcn_lt-digit-scenes_sar.py

ifeq ($(filter $(MMCV),lite full),)
$(error MMCV must be 'lite' or 'full', got '$(MMCV)')
endif

.PHONY: install deps develop test demo docs figures bench clean

install: deps develop

deps: $(DEPS_STAMP)

# A second `make install` with unchanged pins does nothing but the cheap
# checks of `develop`.
$(DEPS_STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -r requirements/runtime.txt -r requirements/tests.txt -r requirements/docs.txt $(QUIET)
ifeq ($(MMCV),lite)
	@if $(PIP) show -q mmcv >/dev/null 2>&1; then $(PIP) uninstall -q -y mmcv; fi
	$(PIP) install -q -r requirements/mmcv-lite.txt $(QUIET)
else
	@if $(PIP) show -q mmcv-lite >/dev/null 2>&1; then $(PIP) uninstall -q -y mmcv-lite; fi
	$(PIP) install -q -r requirements/mmcv-full.txt $(QUIET)
	MMCV_WITH_OPS=1 MAX_JOBS=$${MAX_JOBS:-2} $(PIP) install -v --no-build-isolation mmcv==2.1.0
endif
	@$(PY) -c "import torch, torchvision; print('torch', torch.__version__, '| torchvision', torchvision.__version__)" \
	  || { echo "ERROR: torchvision does not import next to this torch build; reinstall the pinned pair from requirements/runtime.txt" >&2; exit 1; }
	@rm -f $(VENV)/.sar_mm-deps-*
	@touch $@

# Editable install of this checkout; skipped when the venv already points here.
develop: deps
	@if [ "$$(cat $(VENV)/.sar_mm-develop 2>/dev/null)" != "$(CURDIR)" ]; then \
	  $(PIP) install -q --no-deps --no-build-isolation -e . $(QUIET) && echo "$(CURDIR)" > $(VENV)/.sar_mm-develop; \
	fi
	@$(PY) -c "import sar_mm, mmseg.models, mmpretrain.models; print('sar_mm', sar_mm.__version__, 'ready in $(VENV)')"

# Tests import the package from this checkout (PYTHONPATH), so a venv shared
# between clones never needs re-pointing. Two workers (pytest-xdist), one
# test file each at a time, keep both cores busy; the 25 slowest tests are
# listed at the end. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: deps
	PYTHONPATH=$(CURDIR) $(PY) -m pytest tests --durations=25 \
	  $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

demo: install
	$(PY) tools/train.py $(DEMO_CONFIG)

docs: deps
	$(PY) -m sphinx -W --keep-going -q -b html docs/en docs/en/_build/html
	$(PY) docs/en/check_links.py docs/en/_build/html
	@echo "docs built: docs/en/_build/html/index.html"

figures: install
	$(PY) tools/analysis_tools/make_figures.py --out docs/figures --readme docs/en/user_guides/analysis.md $(FIGURES_ARGS)

bench: install
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf work_dirs .pytest_cache build *.egg-info docs/en/_build docs/en/model_zoo
