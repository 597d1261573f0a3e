"""Chapter 2's two animations: small, described, and playing in the built book.

The animations are matplotlib ``FuncAnimation``s written with ``to_jshtml()``: HTML, its
frames and a JavaScript player, stored as cell outputs, so they play without a kernel. Here,
cheaply: in the stored notebook, each is under 1 MB and carries a text alternative and a
caption; in the book that the session builds once for every browser test (``book_html``, as
tests/test_browser.py uses it), Debian's Chromium opens the chapter with every request to
another host blocked, and each player's ▶ button advances its frames. tests/test_browser.py
runs axe over the same page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "chapters" / "02_convolution.ipynb"
PAGE = "chapters/02_convolution.html"
CHROMIUM = Path("/usr/bin/chromium")
LIMIT = 1_000_000  # bytes per animation
ANIMATIONS = 2


def _animations() -> list[str]:
    """The HTML of each animation stored in the chapter's notebook."""
    found = []
    for cell in json.loads(NOTEBOOK.read_text())["cells"]:
        for output in cell.get("outputs", []):
            html = "".join(output.get("data", {}).get("text/html", ""))
            if "_anim_img" in html:
                found.append(html)
    return found


def test_each_animation_is_small_and_described():
    animations = _animations()
    assert len(animations) == ANIMATIONS, f"{len(animations)} animations stored"
    for html in animations:
        assert len(html.encode()) < LIMIT, f"an animation of {len(html.encode()):,} bytes"
        alt = re.search(r'<img alt="([^"]*)"', html)
        assert alt and len(alt.group(1).split()) >= 20, "no text alternative"
        assert re.search(r"<figcaption[^>]*>\s*\S", html), "no caption"
        assert "font-awesome" not in html and "https://" not in html, "asks the web for something"
        assert 'aria-label="Frame"' in html, "the frame slider has no name"
        assert len(re.findall(r"frames\[\d+\] = ", html)) > 2, "too few frames"


@pytest.fixture(scope="module")
def chapter_page(book_html: Path) -> Path:
    page = book_html / PAGE
    assert page.exists(), f"{PAGE} was not built"
    return page


def test_the_animations_play_in_the_built_book(chapter_page: Path):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: apt-get install chromium (make setup does)")
    elsewhere: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def route(request_route):
            url = request_route.request.url
            if url.startswith("file:"):
                request_route.continue_()
            else:  # a reader without internet
                elsewhere.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.goto(chapter_page.as_uri(), wait_until="load")
        players = page.locator("div.animation")
        assert players.count() == ANIMATIONS
        for index in range(ANIMATIONS):
            player = players.nth(index)
            image, slider = player.locator("img"), player.locator("input[type=range]")
            page.wait_for_function(
                "img => img.src.startsWith('data:image')", arg=image.element_handle()
            )
            first = image.get_attribute("src")
            assert image.evaluate("img => img.naturalWidth") > 0, "the first frame did not load"
            player.get_by_role("button", name="Play", exact=True).scroll_into_view_if_needed()
            player.get_by_role("button", name="Play", exact=True).click()
            page.wait_for_function("s => Number(s.value) >= 2", arg=slider.element_handle())
            player.get_by_role("button", name="Pause", exact=True).click()
            assert image.get_attribute("src") != first, f"animation {index + 1} did not advance"
        browser.close()
    assert not elsewhere, f"the page asked other hosts for {elsewhere}"
