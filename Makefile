# Kerazoo: `make demo` for the offline tour, `make test` for the suite on all three backends.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BACKENDS := tensorflow jax torch
export ZOO_DATA_DIR ?= $(if $(wildcard ../shared/datasets),$(abspath ../shared/datasets),)

.PHONY: install demo serve test lint docs bench clean

install: $(VENV)/.installed

# Re-installs when pyproject.toml changes. torch is pinned (==2.13.0) in pyproject's extras.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all,dev]"
	touch $@

demo: install
	$(PY) examples/tour.py

# The web pages and the JSON API of every model at http://127.0.0.1:7860 (docs/SERVING.md).
serve: install
	$(VENV)/bin/zoo serve

# The whole suite once per backend; fails if any backend's run fails.
test: install
	@status=0; for b in $(BACKENDS); do \
		echo "=== pytest, KERAS_BACKEND=$$b ==="; \
		KERAS_BACKEND=$$b $(PY) -m pytest -q tests || status=1; \
	done; exit $$status

# ruff, then the import layers of pyproject.toml's [tool.importlinter] (docs/ARCHITECTURE.md).
lint: install
	$(VENV)/bin/ruff check zoo tests examples tools benchmarks applications
	$(VENV)/bin/lint-imports

# Zoo vs hand-written torch/jax loops on every backend -> docs/BENCHMARKS.md (minutes; not a test).
bench: install
	$(PY) -m benchmarks
	$(PY) -m benchmarks.cifar_speed --out docs/benchmarks

# docs/MODELS.md is generated from the registry and the manifest's measured metrics.
docs: install
	$(PY) tools/update_docs.py

clean:
	rm -rf $(VENV) runs .pytest_cache
