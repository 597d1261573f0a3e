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
