"""Shared fixtures: the real Fashion-MNIST, copies of its four files, small subsets."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before anything imports TensorFlow

import shutil  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import pytest  # noqa: E402

from lenet_utils import data  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEBIAN_FILES = Path("/usr/share/datasets/fashion-mnist")
GZ_NAMES = [f"{name}.gz" for name in data.FILES]

N_TRAIN_SMALL = 2048
N_TEST_SMALL = 512


# --- the test budget -----------------------------------------------------------------------
# README promises that the test command takes at most 10 minutes on two idle cores. CI runs on
# shared machines whose speed varies several-fold, so .ci/run sets LENET_TEST_BUDGET_S: once
# the session (each pytest-xdist worker) has run that long, every test not yet started fails
# at once with a message naming the budget and the slowest tests so far, and the session ends
# with exit status 7, instead of being cut off silently by CI's own limit. (pytest.exit would
# be simpler, but a worker of pytest-xdist that calls it crashes the whole session.)
BUDGET_VAR = "LENET_TEST_BUDGET_S"
BUDGET_EXIT = 7  # the exit status .ci/run recognises
BUDGET_MARK = "test budget exceeded"
_session_start = time.monotonic()
_durations: dict[str, float] = {}
_not_run: list[str] = []


def pytest_runtest_logreport(report) -> None:
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration
    if report.when == "setup" and report.failed and BUDGET_MARK in str(report.longrepr):
        _not_run.append(report.nodeid)


def pytest_runtest_setup(item) -> None:
    budget = os.environ.get(BUDGET_VAR)
    if not budget:
        return
    spent = time.monotonic() - _session_start
    if spent > float(budget):
        slowest = sorted(_durations.items(), key=lambda kv: -kv[1])[:5]
        names = "; ".join(f"{name} ({seconds:.0f} s)" for name, seconds in slowest)
        pytest.fail(
            f"{BUDGET_MARK}: {spent:.0f} s spent of {BUDGET_VAR}={budget}, so this test was not "
            f"run. Slowest so far: {names}. The machine is slow or a test grew: see the "
            "durations at the end.",
            pytrace=False,
        )


def pytest_sessionfinish(session, exitstatus) -> None:
    if _not_run:
        session.exitstatus = BUDGET_EXIT


def pytest_terminal_summary(terminalreporter) -> None:
    if _not_run:
        terminalreporter.write_line(
            f"{len(_not_run)} tests were not run: the test budget ({BUDGET_VAR}="
            f"{os.environ.get(BUDGET_VAR)} s) was spent. The slowest tests are listed above.",
            red=True,
        )


def load_module(path: Path):
    """Import a module of ``_ext/``, the book's local Sphinx extensions, by its path: Sphinx
    loads that folder from ``_config.yml``, it is not a package (``tools``, ``benchmarks`` and
    ``experiments`` are, and the tests import them by name)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fashion() -> data.FashionMNIST:
    """The real Fashion-MNIST, loaded once for the whole session."""
    return data.load_fashion_mnist()


@pytest.fixture(scope="session")
def small_fashion(fashion: data.FashionMNIST) -> data.FashionMNIST:
    """The first 2,048 training and 512 test images: enough to train for a few seconds."""
    return data.FashionMNIST(
        x_train=fashion.x_train[:N_TRAIN_SMALL],
        y_train=fashion.y_train[:N_TRAIN_SMALL],
        x_test=fashion.x_test[:N_TEST_SMALL],
        y_test=fashion.y_test[:N_TEST_SMALL],
        class_names=fashion.class_names,
        source=fashion.source,
    )


@pytest.fixture(scope="session")
def real_files_dir() -> Path:
    """The directory that holds the four real ``.gz`` files (read only: never modify it)."""
    missing = [name for name in GZ_NAMES if not (DEBIAN_FILES / name).is_file()]
    if missing:
        pytest.fail(
            f"the real Fashion-MNIST files are not in {DEBIAN_FILES}: {missing}. "
            "Install them: apt-get install dataset-fashion-mnist (make setup does)."
        )
    return DEBIAN_FILES


@pytest.fixture
def gz_copy(tmp_path: Path, real_files_dir: Path) -> Path:
    """A fresh temporary directory holding a copy of the four real ``.gz`` files."""
    directory = tmp_path / "fashion-copy"
    directory.mkdir()
    for name in GZ_NAMES:
        shutil.copyfile(real_files_dir / name, directory / name)
    return directory


@pytest.fixture
def isolated_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point every search location at empty temporary directories, and unset the env var.

    Returns the two directories (``keras`` and ``debian``) so a test can fill them.
    """
    keras_cache = tmp_path / "keras-cache" / "fashion-mnist"
    debian = tmp_path / "debian" / "fashion-mnist"
    keras_cache.mkdir(parents=True)
    debian.mkdir(parents=True)
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "KERAS_CACHE", keras_cache)
    monkeypatch.setattr(data, "DEBIAN_DIR", debian)
    return {"keras": keras_cache, "debian": debian}


@pytest.fixture(scope="session")
def book_html(tmp_path_factory) -> Path:
    """The book, built once per session into a temporary folder, warnings as errors."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(REPO_ROOT), "--path-output", str(out)]
    command += ["--warningiserror", "--nitpick", "--keep-going"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, (
        f"the book build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return out / "_build" / "html"
