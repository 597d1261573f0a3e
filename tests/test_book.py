"""The book builds offline, warnings as errors, from the stored outputs, and shows them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [
            str(jb),
            "build",
            str(ROOT),
            "--path-output",
            str(out),
            "--warningiserror",
            "--nitpick",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, (
        f"book build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return out / "_build" / "html"


def test_every_chapter_is_rendered_with_its_figures(html: Path):
    for md in sorted((ROOT / "chapters").glob("*.md")):
        page = html / "chapters" / f"{md.stem}.html"
        assert page.exists(), f"{page.name} was not built"
        text = page.read_text()
        assert "colab.research.google.com/github/" in text, f"{page.name}: no Colab link"
        if md.stem != "01_history":
            assert re.search(r"<img[^>]+src=\"[^\"]*_images/", text), f"{page.name}: no figure"


def test_stored_numbers_reach_the_page(html: Path):
    text = (html / "chapters" / "02_architecture.html").read_text()
    assert "61,706" in text
    sequential = (html / "chapters" / "04_sequential.html").read_text()
    assert "test accuracy" in sequential
    assert "{glue" not in sequential, "a glue role was not resolved"


def test_building_did_not_execute_anything(html: Path):
    # execute_notebooks is "off": the pages show the outputs committed in the notebooks.
    assert not (html.parent / ".jupyter_cache").exists()
