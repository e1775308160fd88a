# make demo: create .venv, install, train + export + bench on the default data set, print the report.
# make test: install what the tests need (Python packages and Debian's dataset-fashion-mnist) and run them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QAT_PACKAGES := tf-keras==2.21.0 tensorflow-model-optimization==0.8.1 dm-tree
# the runtime many Raspberry Pi OS installs use, with the numpy 1 its wheels need: every export mode is
# tested on it (tests/device_bench/test_old_runtime.py)
OLD_RUNTIME := .venv-tflite214
# MediaPipe (its ImageClassifier and metadata reader) beside, not in, .venv: the tests classify exported
# image students with it and read every student's TFLite metadata (tests/device_bench/test_mediapipe.py)
MEDIAPIPE := .venv-mediapipe

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

$(OLD_RUNTIME)/.installed:
	$(PYTHON) -m venv $(OLD_RUNTIME)
	$(OLD_RUNTIME)/bin/pip install --quiet 'tflite-runtime==2.14.0' 'numpy<2'
	touch $@

$(MEDIAPIPE)/.installed:
	$(PYTHON) -m venv $(MEDIAPIPE)
	$(MEDIAPIPE)/bin/pip install --quiet 'mediapipe==1.2.3' pillow
	touch $@

system-deps:
	bash .ci/system-deps

test: $(STAMP) system-deps $(OLD_RUNTIME)/.installed $(MEDIAPIPE)/.installed
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf $(VENV) $(OLD_RUNTIME) $(MEDIAPIPE) runs .pytest_cache
