# The two commands of README.md. Each one sets up a fresh machine first (tools/setup.sh).
.PHONY: setup book test student lint bench

setup:
	bash tools/setup.sh

## Build the book into _build/html, warnings as errors, offline, from the stored outputs.
book: setup
	.venv/bin/jupyter-book build . --warningiserror --nitpick --keep-going

## Run every test: the package's unit tests, then every chapter under nbval (full length).
test: setup
	.venv/bin/python -m pytest

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check lenet_utils tools tests

## Write the student edition (solutions removed) into student/chapters/.
student: setup
	.venv/bin/python tools/student.py

## Benchmarks: plain Keras vs lenet_utils.train vs a PyTorch peer, and the book build time.
bench: setup
	.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install -q "torch==2.13.0"
	.venv/bin/python benchmarks/run.py --out benchmarks/results/cpu.json
