"""The book builds offline, warnings as errors, from the stored outputs, and shows them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_chapter_is_rendered_with_its_figures(book_html: Path):
    for md in sorted((ROOT / "chapters").glob("*.md")):
        page = book_html / "chapters" / f"{md.stem}.html"
        assert page.exists(), f"{page.name} was not built"
        text = page.read_text()
        assert "colab.research.google.com/github/" in text, f"{page.name}: no Colab link"
        assert re.search(r"<img[^>]+src=\"[^\"]*_images/", text), f"{page.name}: no figure"


def test_every_chapter_has_three_exercises_with_toggled_solutions(book_html: Path):
    for md in sorted((ROOT / "chapters").glob("*.md")):
        text = (book_html / "chapters" / f"{md.stem}.html").read_text()
        exercises = len(re.findall(r'class="exercise admonition"', text))
        solutions = len(re.findall(r'class="solution dropdown admonition"', text))
        assert exercises >= 3, f"{md.stem}: {exercises} exercises"
        assert solutions == exercises, f"{md.stem}: {exercises} exercises, {solutions} solutions"


def test_stored_numbers_reach_the_page(book_html: Path):
    text = (book_html / "chapters" / "02_architecture.html").read_text()
    assert "61,706" in text
    sequential = (book_html / "chapters" / "04_sequential.html").read_text()
    assert "test accuracy" in sequential
    assert "{glue" not in sequential, "a glue role was not resolved"


def test_building_did_not_execute_anything(book_html: Path):
    # execute_notebooks is "off": the pages show the outputs committed in the notebooks.
    assert not (book_html.parent / ".jupyter_cache").exists()
