# Two commands do everything: `make demo` and `make test`. Each creates .venv when it is
# missing and installs the package with the extras it needs; nothing else is required.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench moons digits microgpt graph-picture network-picture worksheet-picture derivatives model-view model-picture quiz-picture clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "micrograd_like needs Python 3.10 or newer; found " + sys.version.split()[0])'
	@test -x $(BIN)/python || { echo "Creating $(VENV), a virtual env for this project (first run only)"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing micrograd_like and what its demos, notebooks and tests use into $(VENV):"
	@echo "about 1 GB once installed, one to three minutes on a first run (pip lists each package)"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e ".[dev,render,demos,notebook]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python demos/tour.py

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -n auto

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --write-readme

moons: $(STAMP)
	$(BIN)/python demos/moons.py

digits: $(STAMP)
	$(BIN)/python demos/digits.py

microgpt: $(STAMP)
	$(BIN)/python demos/microgpt.py

model-view: $(STAMP)
	$(BIN)/python demos/model_view.py

model-picture: $(STAMP)
	$(BIN)/python demos/model_view.py --picture

quiz-picture: $(STAMP)
	$(BIN)/python demos/quiz_page.py --picture

derivatives: $(STAMP)
	$(BIN)/python demos/derivatives.py

worksheet-picture: $(STAMP)
	$(BIN)/python demos/worksheet.py --pictures

graph-picture: $(STAMP)
	$(BIN)/python scripts/graph_picture.py

network-picture: $(STAMP)
	$(BIN)/python scripts/network_picture.py

.PHONY: notebook notebooks widget-picture

# JupyterLab on working copies of the notebooks in demos/output/notebooks/, which git ignores:
# run, change and save them freely (JupyterLab autosaves), the committed notebooks are never
# written. A copy is made where there is none; delete it to start again from the committed one.
# demos/notebooks/jupyter/ adds its settings (no news pop-up) under the user's own; root, as in
# a container, needs --allow-root.
notebook: $(STAMP)
	@copies=demos/output/notebooks; mkdir -p $$copies; \
	for committed in demos/notebooks/*.ipynb; do \
	  copy=$$copies/$${committed##*/}; \
	  if [ ! -e "$$copy" ]; then cp "$$committed" "$$copy"; \
	  elif [ "$$committed" -nt "$$copy" ]; then \
	    echo "$$copy is older than $$committed: delete it to get the new one"; fi; \
	done; \
	echo "JupyterLab on $$copies/, copies of demos/notebooks/ that git ignores"; \
	JUPYTER_CONFIG_PATH="$(CURDIR)/demos/notebooks/jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	exec $(BIN)/jupyter lab --ServerApp.root_dir=$$copies $(if $(filter 0,$(shell id -u)),--allow-root)

# Run every notebook in a fresh kernel and write it back with its outputs
notebooks: $(STAMP)
	$(BIN)/python demos/notebooks/build.py

widget-picture: $(STAMP)
	WIDGET_PICTURE=docs/widget_jupyterlab.png $(BIN)/python -m pytest tests/test_jupyterlab.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
	@# demos/output/ is remade by the demos; its notebooks/ holds your own copies: kept
	@if [ -d demos/output ]; then find demos/output -mindepth 1 -maxdepth 1 ! -name notebooks -exec rm -rf {} +; fi
