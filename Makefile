# The two commands of README.md. Each one sets up a fresh machine first (tools/setup.sh).
.PHONY: setup book test student editions colab-check lint bench test-backends backends-check \
	slides pdf editions-check

setup:
	bash tools/setup.sh

## Build the book into _build/html, warnings as errors, offline, from the stored outputs.
book: setup
	.venv/bin/jupyter-book build . --warningiserror --nitpick --keep-going

## Run every test: the package's unit tests, then every chapter under nbval (full length).
test: setup
	.venv/bin/python -m pytest

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check lenet_utils tools tests benchmarks experiments _ext grading

## Write the Colab edition of every chapter (colab/, what the badges open: the worked solutions
## as plain code) and the student edition (student/, solutions removed), and keep each
## chapter's badge and set-up section in step with them (tools/editions.py). `student` is the
## same command.
editions student: setup
	.venv/bin/python -m tools.editions

## Run every Colab-edition notebook top to bottom in Colab's own package set (Python 3.13 and
## the versions pinned in colab/runtime.txt, in .colab-venv/, made by uv), training capped at
## one epoch, with what a learner installs: the wheel built from a clean `git archive` of the
## commit (HEAD; WHEEL=path uses that wheel), never the working tree. Fails on an error, on a
## warning from Keras, TensorFlow or lenet_utils, and if installing the wheel as the set-up cell
## does changes anything but lenet-utils. The release workflow runs it on the wheel it
## publishes. Downloads TensorFlow for Python 3.13 the first time.
colab-check: setup
	.venv/bin/python -m tools.colab_check $(if $(WHEEL),--wheel $(WHEEL))

## Benchmarks: plain Keras vs lenet_utils.train vs a PyTorch peer, and the book build time.
bench: setup
	.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install -q "torch==2.13.0"
	.venv/bin/python -m benchmarks.run --out benchmarks/results/cpu.json

## The package's unit tests under Keras' JAX and PyTorch backends, on CPU (the book and the
## chapters run on TensorFlow). They run in their own environment, .venv-backends, made on
## first use from the `backends` extra of pyproject.toml and without TensorFlow, so that
## nothing in lenet_utils leans on TensorFlow unnoticed: the package goes in with --no-deps,
## then the extra's list (read from the installed metadata), with pip's warning that the
## package's TensorFlow is missing turned off. Needs Fashion-MNIST (`make setup`). The -W
## filter hides a DeprecationWarning that Keras' own conversions raise with PyTorch 2.13 and
## NumPy 2 (torch.Tensor.__array__ takes no `copy`): not this module's code.
BACKENDS_VENV := .venv-backends
BACKEND_TESTS := tests/test_data.py tests/test_models.py tests/test_recipe.py \
	tests/test_inspection.py tests/test_training.py tests/test_monitoring.py \
	tests/test_assets.py tests/test_plotting.py tests/test_checks.py tests/test_benchmarks.py

$(BACKENDS_VENV)/installed: pyproject.toml
	test -x $(BACKENDS_VENV)/bin/python || python3 -m venv $(BACKENDS_VENV)
	$(BACKENDS_VENV)/bin/python -m pip install -q --no-deps -e .
	$(BACKENDS_VENV)/bin/python -c 'from importlib.metadata import requires; \
	  print("\n".join(r.split(";")[0] for r in requires("lenet-utils") \
	  if r.replace(" ", "").endswith("extra==\"backends\"")))' > $(BACKENDS_VENV)/requirements.txt
	$(BACKENDS_VENV)/bin/python -m pip install -q --no-warn-conflicts -r $(BACKENDS_VENV)/requirements.txt
	touch $@

## Every Colab-edition notebook top to bottom under KERAS_BACKEND=jax and KERAS_BACKEND=torch,
## on CPU, in .venv-backends (no TensorFlow), training capped at one epoch; fails on an error.
## About 15 minutes of two cores (README); the release workflow runs it.
backends-check: $(BACKENDS_VENV)/installed
	@status=0; for backend in jax torch; do \
	  JAX_PLATFORMS=cpu CUDA_VISIBLE_DEVICES= .venv/bin/python -m tools.colab_check \
	    --backend $$backend $(NOTEBOOKS) || status=1; \
	done; exit $$status

## Lecture slides: one reveal.js deck per chapter, from the slide marks in chapters/*.md
## (tools/slides.py), into the built book: _build/html/slides/NN_name.html.
slides: book
	.venv/bin/python -m tools.slides

## The whole book as one PDF (XeLaTeX), offered in the book's top bar: _build/html/lenet-book.pdf.
## Installs TeX Live the first time (about 110 MB to download, 440 MB on disk).
pdf:
	WITH_TEX=1 bash tools/setup.sh
	rm -rf _build/latex   # latexmk otherwise remembers a failed run
	.venv/bin/jupyter-book build . --builder pdflatex --warningiserror --nitpick --keep-going
	mkdir -p _build/html && cp _build/latex/lenet-book.pdf _build/html/

## Slides and PDF built and checked (tests/test_classroom.py; the slides' checks also run in
## `make test`); the Pages and release workflows run it.
editions-check: slides pdf
	LENET_PDF=_build/latex/lenet-book.pdf .venv/bin/python -m pytest -o addopts="" -p no:cacheprovider tests/test_classroom.py

test-backends: $(BACKENDS_VENV)/installed
	@status=0; for backend in jax torch; do \
	  echo "== lenet_utils' unit tests with KERAS_BACKEND=$$backend (CPU)"; \
	  KERAS_BACKEND=$$backend JAX_PLATFORMS=cpu CUDA_VISIBLE_DEVICES= \
	    $(BACKENDS_VENV)/bin/python -m pytest -o addopts="-ra --durations=5" \
	      -W "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning" \
	      --continue-on-collection-errors $(BACKEND_TESTS) \
	    || status=1; \
	done; exit $$status
