# make demo: create .venv, install, train + export + bench on the default data set, print the report.
# make test: install what the tests need (Python packages and Debian's dataset-fashion-mnist) and run them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QAT_PACKAGES := tf-keras==2.21.0 tensorflow-model-optimization==0.8.1 dm-tree

.PHONY: demo test test-fast system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[train,test]'
	$(BIN)/pip install --quiet --no-deps $(QAT_PACKAGES)  # --quant qat; their own deps would pull a second TensorFlow
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/projnet train-and-export --dataset digits

system-deps:
	bash .ci/system-deps

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf $(VENV) runs .pytest_cache
