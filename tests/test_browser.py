"""The rendered book as a reader sees it: headless Chromium over the built HTML.

Every page of the table of contents is served on 127.0.0.1 and loaded in Debian's Chromium
(driven by Playwright, ``executable_path="/usr/bin/chromium"``) with every request to another
host blocked, as for a reader without internet. Each page must load with no console error and
no failed request; every image must load and carry alt text; each chapter's Colab badge and
launch button must open that chapter's notebook on the configured branch; the search page
must find "LeNet". A screenshot of each page is kept in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from conftest import load_module

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

colab = load_module(ROOT / "tools" / "colab.py")


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    pages += [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return pages


PAGES = _toc_pages()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@pytest.fixture(scope="module")
def site(book_html: Path):
    handler = functools.partial(_QuietHandler, directory=str(book_html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: apt-get install chromium (make setup does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _visit(browser, url: str, screenshot: Path | None = None) -> dict:
    """Load ``url`` offline; return its console errors, failed requests and page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    local = urlparse(url).netloc
    external, failed, errors = [], [], []

    def route(route):
        if urlparse(route.request.url).netloc in (local, ""):
            route.continue_()
        else:  # a reader without internet: nothing from other hosts
            external.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on(
        "response",
        lambda r: failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None,
    )
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    return {
        "page": page,
        "context": context,
        "external": external,
        "failed": failed,
        "errors": errors,
    }


@pytest.fixture(scope="module", autouse=True)
def _fresh_screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    yield


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_offline_with_all_images(browser, site, name):
    visit = _visit(browser, f"{site}/{name}.html", SCREENSHOTS / f"{name.replace('/', '_')}.png")
    page = visit["page"]
    try:
        assert not visit["external"], f"{name} asks other hosts for {visit['external']}"
        assert not visit["failed"], f"{name}: failed requests {visit['failed']}"
        assert not visit["errors"], f"{name}: console errors {visit['errors']}"
        images = page.eval_on_selector_all(
            "article img",
            "imgs => imgs.map(i => ({src: i.currentSrc || i.src, alt: i.alt,"
            " ok: i.complete && i.naturalWidth > 0}))",
        )
        for image in images:
            assert image["ok"], f"{name}: image did not load: {image['src']}"
            assert image["alt"].strip(), f"{name}: image without alt text: {image['src']}"
        if name.startswith("chapters/"):
            assert images, f"{name}: no images at all"
    finally:
        visit["context"].close()


@pytest.mark.parametrize("name", [p for p in PAGES if p.startswith("chapters/")])
def test_colab_badge_and_launch_button_open_this_chapter(browser, site, name):
    visit = _visit(browser, f"{site}/{name}.html")
    page = visit["page"]
    try:
        expected = colab.colab_url(ROOT / f"{name}.ipynb")
        links = page.eval_on_selector_all(
            "a[href*='colab.research.google.com']", "as => as.map(a => a.href)"
        )
        assert expected in links, f"{name}: no link to {expected} among {links}"
        assert all(link == expected for link in links), f"{name}: a Colab link elsewhere {links}"
        badge = page.locator("article a[href*='colab.research.google.com'] img").first
        assert badge.get_attribute("alt") == "Open In Colab"
        assert badge.evaluate("i => i.complete && i.naturalWidth > 0"), "badge image missing"
    finally:
        visit["context"].close()


def test_search_finds_lenet(browser, site):
    visit = _visit(browser, f"{site}/search.html?q=LeNet")
    page = visit["page"]
    try:
        page.wait_for_selector("#search-results li", timeout=15_000)
        hits = page.locator("#search-results li").count()
        assert hits >= 5, f"searching LeNet found {hits} pages"
        assert not visit["errors"], visit["errors"]
        page.screenshot(path=str(SCREENSHOTS / "search.png"), full_page=True)
    finally:
        visit["context"].close()
