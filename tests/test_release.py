"""A release carries tested code only (tools/release.py): lenet_utils is what its version
recorded, a recorded version never changes, and the wheel holds exactly the hashed files."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from tools import release
from tools.common import ROOT, version


def test_lenet_utils_is_what_its_version_recorded():
    assert release.problem() is None, release.problem()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of what the hash reads: pyproject.toml and lenet_utils/."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "lenet_utils", tmp_path / "lenet_utils")
    return tmp_path


def test_a_version_is_recorded_once_and_a_change_asks_for_a_bump(repo: Path):
    assert "has no hash in releases.txt" in release.problem(repo)
    with pytest.raises(SystemExit, match=r"CHANGELOG.md has no '## \["):
        release.record(repo)
    (repo / "CHANGELOG.md").write_text(f"# Changelog\n\n## [{version(repo)}] - 2026-12-03\n")
    release.record(repo)
    assert release.problem(repo) is None
    (repo / "lenet_utils" / "assets" / "modern.json").write_text("{}")
    with pytest.raises(SystemExit) as refused:
        release.record(repo)
    for message in (release.problem(repo), str(refused.value)):
        for step in ("bump the version", "CHANGELOG.md", "Keep a Changelog", "make editions"):
            assert step in message


def test_the_hash_covers_the_package_and_its_data():
    files = release.package_files()
    assert "lenet_utils/__init__.py" in files and "lenet_utils/exercises.json" in files
    assert "lenet_utils/assets/modern.json" in files
    assert all(f.startswith("lenet_utils/") for f in files)


def test_the_wheel_of_head_holds_the_hashed_files(tmp_path: Path):
    wheel = release.build_wheel(tmp_path)  # raises unless it holds package_files of HEAD
    with zipfile.ZipFile(wheel) as archive:
        assert "lenet_utils/__init__.py" in archive.namelist()
