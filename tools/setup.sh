#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine for this module: system packages, then a virtual
# environment in .venv with lenet_utils and everything the book and the tests need.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: Fashion-MNIST offline (dataset-fashion-mnist), Graphviz for
# keras.utils.plot_model, Chromium for the browser test of the rendered book, npm for the
# slides' reveal.js (make slides); with WITH_TEX=1 (make pdf) TeX Live for the book's PDF.
APT_PACKAGES=(dataset-fashion-mnist graphviz chromium fonts-dejavu-core)
[ "${WITH_TEX:-0}" = 1 ] && APT_PACKAGES+=(texlive-xetex texlive-latex-extra texlive-fonts-recommended latexmk poppler-utils)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  command -v npm >/dev/null 2>&1 || missing+=(npm)   # reveal.js for make slides
fi
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]} with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
echo "setup: ready ($(.venv/bin/python -c 'import keras, tensorflow as tf; print("TensorFlow", tf.__version__, "/ Keras", keras.__version__)' 2>/dev/null | tail -n 1))"
