"""The test budget of tests/conftest.py: a session that has spent LENET_TEST_BUDGET_S stops
starting tests, says so, and exits with the status .ci/run recognises."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import BUDGET_EXIT, BUDGET_MARK, BUDGET_VAR, REPO_ROOT


def test_a_spent_budget_fails_the_rest_with_a_message_and_exit_status_7():
    # with two pytest-xdist workers, as `make test` runs (pytest.exit in a worker would crash
    # the session instead)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-n",
            "2",
            "--dist",
            "loadfile",
            "tests/test_recipe.py",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, BUDGET_VAR: "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == BUDGET_EXIT, result.stdout[-2000:]
    assert BUDGET_MARK in result.stdout
    assert "were not run: the test budget" in result.stdout
    assert "INTERNALERROR" not in result.stdout + result.stderr
