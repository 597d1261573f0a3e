"""The rendered book as readers see it: headless Chromium over the built HTML, checked by axe.

Every page of the table of contents is served on 127.0.0.1 and loaded in Debian's Chromium
(driven by Playwright, ``executable_path="/usr/bin/chromium"``) with every request to another
host blocked, as for a reader without internet. Each page must load with no console error and
no failed request, and every image must load. Then, with every toggle opened (solutions
included), each page is checked by axe-core against WCAG 2.1 A and AA at desktop width (1,280
pixels) and phone width (390), in light and in dark mode (the reader's system set to dark,
which the theme follows: ``html[data-theme="dark"]``); the notes above VARIANTS say which
rules run in which view, so that every rule meets every view at half the cost. A violation
fails the test unless it is listed in :data:`ALLOWED`, which names the rule, the element, the
reason and the upstream issue of each violation that comes from the theme or an extension and
cannot be fixed in this book.

Also checked: every image's alt text says something (not empty, not a file name); no page is
wider than a 390-pixel phone; the menu button opens the chapter list on a phone; toggle
buttons say what they open; each chapter's Colab badge and launch button open that chapter's
notebook on the configured branch; the search page finds "LeNet". Screenshots go to
``artifacts/screenshots/``: the Sequential chapter whole at desktop width and on a phone, with
its menu open on a phone, and its first three screens in dark mode; the top of every other
page at desktop width; the search page.

One browser does everything, up front, in the module's ``audit`` fixture (several pages at a
time); the tests then read its findings.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

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
#: pages checked at the same time (each in its own tab of the one browser)
CONCURRENCY = 3
#: the axe-core rule sets: WCAG 2.1, levels A and AA
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 900}
#: What axe checks in each of the four views of a page (see _check):
#:
#: * desktop: every WCAG 2.1 A/AA rule, on the whole page;
#: * desktop-dark: the rules that depend on colours (COLOUR_RULES): dark mode changes colours
#:   only, the document and its layout are those of the desktop view;
#: * phone: every rule on all but the article (the header, the sidebars, the footer: what they
#:   show changes with the width), and on the article the rules that depend on its layout
#:   (LAYOUT_RULES: a code block or a table that fits a desktop scrolls on a phone);
#: * phone-dark: the colour rules on all but the article.
#:
#: The article is the same document at both widths, with the same colours (no rule of the
#: theme or of _static/book.css changes a colour or hides content with the width), so what
#: else axe finds in it does not depend on the width. Every rule thus meets every view, at
#: about half the cost of four full runs (axe's colour-contrast rule is most of the cost).
LAYOUT_RULES = ["scrollable-region-focusable"]
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
PHONE = {"width": 390, "height": 844}
VARIANTS = {
    "desktop": (DESKTOP, "light"),
    "desktop-dark": (DESKTOP, "dark"),
    "phone": (PHONE, "light"),
    "phone-dark": (PHONE, "dark"),
}


@dataclass(frozen=True)
class Allowed:
    """A violation that the book cannot fix: where it comes from, why, and who can fix it."""

    rule: str  #: the axe rule id
    selector: str  #: a regular expression that the element's CSS selector (axe's target) matches
    reason: str  #: why it is there and why this book cannot fix it
    upstream: str  #: the upstream issue (URL), or "none found"
    pages: str = ".*"  #: a regular expression for the pages where it occurs

    def matches(self, page: str, rule: str, target: str) -> bool:
        return (
            rule == self.rule
            and re.fullmatch(self.pages, page) is not None
            and re.search(self.selector, target) is not None
        )


#: Violations that come from the theme or an extension and cannot be fixed in this book. With
#: sphinx-book-theme 1.2.0 and pydata-sphinx-theme 0.16.1 (pinned in pyproject.toml) and the
#: fixes of _ext/ and _static/, axe finds none: the list is empty. An entry that no longer
#: matches anything fails test_allowed_violations_still_occur, so the list stays current.
#:
#: Fixed here although they come from upstream (so none of them is listed):
#: * the theme's link colours, 4.29:1 on an exercise box, 4.0:1 on a shaded table row in dark
#:   mode (color-contrast): _static/book.css; no upstream issue found;
#: * docutils' role="doc-biblioentry", deprecated in DPUB-ARIA 1.1
#:   (https://github.com/w3c/dpub-aria/pull/22), in a role="list" that then has no items
#:   (aria-deprecated-role, aria-required-children): _ext/book_fixes.py; no docutils issue found;
#: * a code block in a solution, opened by its toggle, that scrolls but cannot take the focus
#:   (scrollable-region-focusable; pydata-sphinx-theme updates tabindex on resize only):
#:   _static/book.js; no upstream issue found;
#: * sphinx-togglebutton's "Toggle hidden content" on every button (not an axe rule, checked by
#:   test_toggle_buttons_say_what_they_open): _static/book.js; no upstream issue found;
#: * the menu button (☰) that does nothing with sphinx-book-theme 1.3.0: the pin,
#:   https://github.com/pydata/pydata-sphinx-theme/issues/2451.
ALLOWED: list[Allowed] = []


def _colab_url(name: str) -> str:
    """Where a chapter's Colab badge and launch button lead: its Colab edition."""
    from tools import editions

    chapter = ROOT / f"{name}.md"
    return editions.colab_url(editions.edition_path(chapter, solutions=True))


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", [toc]):
        walk(part.get("chapters"))
    return pages


PAGES = _toc_pages()
CHAPTERS = [p for p in PAGES if p.startswith("chapters/")]
SEQUENTIAL = next(
    (p for p in PAGES if re.fullmatch(r"chapters/0?5_sequential", p)),
    next((p for p in PAGES if p.endswith("_sequential")), CHAPTERS[0] if CHAPTERS else PAGES[0]),
)


def _shot(name: str, suffix: str = "") -> Path:
    return SCREENSHOTS / f"{name.replace('/', '_')}{suffix}.png"


# What an alt text must not be: empty, a file name or path (myst-nb's default is the image's
# path, "../_images/fabf964e....png"), or too short to say what a figure shows (under three
# words: "figure", "plot.png").
IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|svg|webp|pdf)$", re.IGNORECASE)


def _poor_alt(alt: str | None) -> bool:
    alt = (alt or "").strip()
    return len(alt.split()) < 3 or IMAGE_FILE.search(alt) is not None


@dataclass
class PageReport:
    """What one page showed the browser."""

    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    colab_links: list[str] = field(default_factory=list)
    badge: dict | None = None
    toggle_labels: list[str] = field(default_factory=list)
    width: dict[str, int] = field(default_factory=dict)  # scrollWidth per variant
    theme: dict[str, str] = field(default_factory=dict)  # data-theme per variant
    violations: dict[str, list[dict]] = field(default_factory=dict)  # axe, per variant
    crash: str | None = None


@dataclass
class Audit:
    pages: dict[str, PageReport] = field(default_factory=dict)
    search: dict = field(default_factory=dict)
    phone_menu: dict = field(default_factory=dict)
    desktop_menu: dict = field(default_factory=dict)
    seconds: float = 0.0


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def end_headers(self):
        # let Chromium keep the theme's scripts and fonts between pages, as a web server would
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()


@pytest.fixture(scope="module")
def site(book_html: Path):
    handler = functools.partial(_QuietHandler, directory=str(book_html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# Open every toggle as a reader would, by clicking it (the book's script then makes what scrolls
# reachable by keyboard), and every <details>.
OPEN_EVERYTHING = """() => {
  document.querySelectorAll('button.toggle-button').forEach(b => {
    if (b.getAttribute('aria-expanded') !== 'true') b.click();
  });
  document.querySelectorAll('details').forEach(d => { d.open = true; });
}"""

# A test does not wait for the theme's colour transitions after switching to dark mode.
NO_TRANSITIONS = (
    "*, *::before, *::after { transition: none !important; animation: none !important; }"
)

PAGE_FACTS = """() => ({
  images: [...document.querySelectorAll('article img')].map(i => ({
    src: i.currentSrc || i.src, alt: i.getAttribute('alt'),
    ok: i.complete && i.naturalWidth > 0})),
  colab: [...document.querySelectorAll("a[href*='colab.research.google.com']")].map(a => a.href),
  badge: (() => {
    const i = document.querySelector("article a[href*='colab.research.google.com'] img");
    return i && {alt: i.getAttribute('alt'), ok: i.complete && i.naturalWidth > 0};
  })(),
  toggles: [...document.querySelectorAll('button.toggle-button')].map(
    b => b.getAttribute('aria-label')),
})"""


async def _new_context(browser, site: str, **options):
    from playwright.async_api import Route

    context = await browser.new_context(**options)
    local = urlparse(site).netloc
    blocked: list[str] = []

    async def route(route: Route):
        if urlparse(route.request.url).netloc in (local, ""):
            await route.continue_()
        else:  # a reader without internet: nothing from other hosts
            blocked.append(route.request.url)
            await route.abort()

    await context.route("**/*", route)
    return context, blocked


def _watch(page, report: PageReport) -> None:
    def on_console(message):
        if message.type == "error":
            report.errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: report.errors.append(str(error)))
    page.on("requestfailed", lambda r: report.failed.append(f"{r.url} ({r.failure})"))
    page.on(
        "response",
        lambda r: report.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None,
    )


async def _load(page, url: str) -> None:
    response = await page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    await page.evaluate(
        "async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise }"
    )


async def _set_variant(page, variant: str) -> str:
    viewport, scheme = VARIANTS[variant]
    if page.viewport_size != viewport:
        await page.set_viewport_size(viewport)
        await page.wait_for_timeout(400)  # the theme updates the page 300 ms after a resize
    await page.emulate_media(color_scheme=scheme)
    try:  # the theme follows the reader's system (mode "auto")
        await page.wait_for_function(
            "s => document.documentElement.dataset.theme === s", arg=scheme, timeout=5_000
        )
    except Exception:  # noqa: BLE001 - reported through the theme seen, and asserted
        pass
    return await page.evaluate("document.documentElement.dataset.theme")


async def _axe(page, context=None, rules: dict | None = None, only: list[str] | None = None):
    """axe's WCAG 2.1 A/AA violations on ``page`` (or the ``context`` of axe), in short."""
    # preload: axe would fetch every @import again, resolved against the page rather than the
    # stylesheet (a 404 for theme.css's "../basic.css"), for an experimental rule it skips
    options = {
        "runOnly": {"type": "rule", "values": only} if only else {"type": "tag", "values": WCAG},
        "resultTypes": ["violations"],
        "preload": False,
    }
    if rules:
        options["rules"] = rules
    result = await page.evaluate(
        "([context, options]) => axe.run(context || document, options)", [context, options]
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "url": v["helpUrl"],
            "nodes": [
                {
                    "target": " ".join(str(t) for t in node["target"]),
                    "html": node["html"][:200],
                    "summary": node.get("failureSummary", "")[:300],
                }
                for node in v["nodes"]
            ],
        }
        for v in result["violations"]
    ]


async def _check(page, variant: str) -> list[dict]:
    """axe in one view, as the notes above VARIANTS explain."""
    viewport, scheme = VARIANTS[variant]
    chrome = {"exclude": [["article"]]}
    if viewport == DESKTOP:
        return await _axe(page) if scheme == "light" else await _axe(page, only=COLOUR_RULES)
    if scheme == "light":
        article = {"include": [["article"]]}
        return await _axe(page, chrome) + await _axe(page, article, only=LAYOUT_RULES)
    return await _axe(page, chrome, only=COLOUR_RULES)


async def _audit_page(browser, site: str, name: str, axe_script: str) -> PageReport:
    report = PageReport()
    context, blocked = await _new_context(browser, site, viewport=DESKTOP, color_scheme="light")
    page = await context.new_page()
    _watch(page, report)
    try:
        await _load(page, f"{site}/{name}.html")
        # as a reader sees it: the whole page for the Sequential chapter, the top for the others
        await page.screenshot(path=str(_shot(name)), full_page=name == SEQUENTIAL)
        facts = await page.evaluate(PAGE_FACTS)
        report.images, report.colab_links = facts["images"], facts["colab"]
        report.badge, report.toggle_labels = facts["badge"], facts["toggles"]
        await page.add_style_tag(content=NO_TRANSITIONS)
        await page.evaluate(OPEN_EVERYTHING)  # axe skips what is hidden: show the solutions
        await page.wait_for_timeout(100)
        await page.evaluate(axe_script)
        for variant in VARIANTS:
            report.theme[variant] = await _set_variant(page, variant)
            report.width[variant] = await page.evaluate("document.documentElement.scrollWidth")
            report.violations[variant] = await _check(page, variant)
    except Exception as error:  # noqa: BLE001 - reported by every test of the page
        report.crash = f"{type(error).__name__}: {error}"
    finally:
        report.external = blocked
        await context.close()
    return report


async def _audit_search(browser, site: str) -> dict:
    context, blocked = await _new_context(browser, site, viewport=DESKTOP)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        await _load(page, f"{site}/search.html?q=LeNet")
        await page.wait_for_selector("#search-results li", timeout=15_000)
        hits = await page.locator("#search-results li").count()
        await page.screenshot(path=str(SCREENSHOTS / "search.png"), full_page=True)
        return {"hits": hits, "errors": errors, "external": blocked}
    except Exception as error:  # noqa: BLE001
        return {"hits": 0, "errors": errors, "crash": f"{type(error).__name__}: {error}"}
    finally:
        await context.close()


CHAPTER_LINK = "a.reference.internal[href*='{}']"


async def _audit_phone_menu(browser, site: str, axe_script: str) -> dict:
    """The Sequential chapter on a phone: the page, then the menu opened with the ☰ button."""
    context, _ = await _new_context(browser, site, viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    found: dict = {}
    try:
        await _load(page, f"{site}/{SEQUENTIAL}.html")
        await page.screenshot(path=str(_shot(SEQUENTIAL, "-phone")), full_page=True)
        other = next(c for c in CHAPTERS if c != SEQUENTIAL).split("/")[-1]
        link = page.locator(CHAPTER_LINK.format(other)).first
        found["visible_before"] = await link.is_visible()
        buttons = page.locator(".primary-toggle:visible")
        found["buttons"] = await buttons.count()
        await buttons.first.tap()
        found["visible_after"] = await _visible_once_settled(link, True)
        entries = page.locator("nav.bd-docs-nav li.toctree-l1")
        found["entries_visible"] = [
            await entries.nth(i).is_visible() for i in range(await entries.count())
        ]
        await page.screenshot(path=str(_shot(SEQUENTIAL, "-phone-menu")))
        await page.evaluate(axe_script)
        found["violations"] = await _axe(page, {"include": [["#pst-primary-sidebar-modal"]]})
        await page.keyboard.press("Escape")
        found["visible_after_escape"] = await _visible_once_settled(link, False)
    except Exception as error:  # noqa: BLE001
        found["crash"] = f"{type(error).__name__}: {error}"
    finally:
        await context.close()
    return found


async def _visible_once_settled(locator, expected: bool, timeout_ms: int = 10_000) -> bool:
    """Whether ``locator`` is visible, after waiting (up to ``timeout_ms``) for it to become
    ``expected``: the theme's menu animates, and a busy machine makes a fixed pause too short."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await locator.wait_for(state="visible" if expected else "hidden", timeout=timeout_ms)
    except PlaywrightTimeout:
        pass
    return await locator.is_visible()


async def _audit_desktop_menu(browser, site: str) -> dict:
    """The Sequential chapter in dark mode, and the ☰ button on a desktop."""
    context, _ = await _new_context(browser, site, viewport=DESKTOP, color_scheme="dark")
    page = await context.new_page()
    found: dict = {}
    try:
        await _load(page, f"{site}/{SEQUENTIAL}.html")
        found["theme"] = await page.evaluate("document.documentElement.dataset.theme")
        # the first three screens (the whole page is in the desktop screenshot)
        top = {"x": 0, "y": 0, "width": DESKTOP["width"], "height": 3 * DESKTOP["height"]}
        await page.screenshot(path=str(_shot(SEQUENTIAL, "-dark")), full_page=True, clip=top)
        other = next(c for c in CHAPTERS if c != SEQUENTIAL).split("/")[-1]
        link = page.locator(CHAPTER_LINK.format(other)).first
        found["visible_before"] = await link.is_visible()
        await page.locator(".primary-toggle:visible").first.click()
        found["visible_after_one_click"] = await _visible_once_settled(link, False)
        await page.locator(".primary-toggle:visible").first.click()
        found["visible_after_two_clicks"] = await _visible_once_settled(link, True)
    except Exception as error:  # noqa: BLE001
        found["crash"] = f"{type(error).__name__}: {error}"
    finally:
        await context.close()
    return found


async def _audit_book(site: str) -> Audit:
    from axe_playwright_python.base import AXE_SCRIPT
    from playwright.async_api import async_playwright

    audit = Audit()
    start = time.perf_counter()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        slots = asyncio.Semaphore(CONCURRENCY)

        async def limited(job):
            async with slots:
                return await job

        jobs = [_audit_page(browser, site, name, AXE_SCRIPT) for name in PAGES]
        jobs += [
            _audit_search(browser, site),
            _audit_phone_menu(browser, site, AXE_SCRIPT),
            _audit_desktop_menu(browser, site),
        ]
        results = await asyncio.gather(*(limited(job) for job in jobs))
        await browser.close()
    audit.pages = dict(zip(PAGES, results[: len(PAGES)], strict=True))
    audit.search, audit.phone_menu, audit.desktop_menu = results[len(PAGES) :]
    audit.seconds = time.perf_counter() - start
    return audit


@pytest.fixture(scope="module")
def audit(site) -> Audit:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: apt-get install chromium (make setup does)")
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    result = asyncio.run(_audit_book(site))
    print(f"\nbrowser audit of {len(PAGES)} pages x {len(VARIANTS)} views: {result.seconds:.0f} s")
    return result


def _page(audit: Audit, name: str) -> PageReport:
    report = audit.pages[name]
    assert report.crash is None, f"{name}: the browser could not check it: {report.crash}"
    return report


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_offline_with_all_images(audit, name):
    report = _page(audit, name)
    assert not report.external, f"{name} asks other hosts for {report.external}"
    assert not report.failed, f"{name}: failed requests {report.failed}"
    assert not report.errors, f"{name}: console errors {report.errors}"
    for image in report.images:
        assert image["ok"], f"{name}: image did not load: {image['src']}"
    if name.startswith("chapters/"):
        assert report.images, f"{name}: no images at all"
    assert _shot(name).exists()


@pytest.mark.parametrize("name", PAGES)
def test_images_have_alt_text_that_says_what_they_show(audit, name):
    # myst-nb gives a figure without alt text its file path ("../_images/fabf964e....png"),
    # which passes axe's image-alt rule and reads a hash aloud. See CONTRIBUTING.md / the
    # chapter authors' recipe: mystnb: {image: {alt: ...}} in the code cell's metadata.
    bad = [
        f"{Path(image['src']).name} (alt={image['alt']!r})"
        for image in _page(audit, name).images
        if _poor_alt(image["alt"])
    ]
    assert not bad, (
        f"{name}: {len(bad)} image(s) whose alt text is empty or a file name: "
        + "; ".join(bad)
        + ". Give each figure's code cell `mystnb: {image: {alt: ...}}` metadata."
    )


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone(audit, name):
    report = _page(audit, name)
    for variant in ("phone", "phone-dark"):
        width = report.width[variant]
        assert width <= PHONE["width"], (
            f"{name} is {width} px wide on a {PHONE['width']} px phone ({variant}): it scrolls "
            "sideways"
        )


def _unexplained(name: str, violations: list[dict]) -> list[str]:
    found = []
    for violation in violations:
        for node in violation["nodes"]:
            if not any(a.matches(name, violation["id"], node["target"]) for a in ALLOWED):
                found.append(
                    f"{violation['id']} ({violation['impact']}) at {node['target']}: "
                    f"{node['summary']} | {node['html']}"
                )
    return found


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violation(audit, name, variant):
    report = _page(audit, name)
    expected_theme = VARIANTS[variant][1]
    assert report.theme[variant] == expected_theme, (
        f"{name}: the theme did not switch to {expected_theme} mode ({report.theme[variant]})"
    )
    found = _unexplained(name, report.violations[variant])
    assert not found, f"{name} ({variant}): {len(found)} axe violations:\n" + "\n".join(found)


def test_allowed_violations_still_occur(audit):
    for allowed in ALLOWED:
        seen = any(
            allowed.matches(name, violation["id"], node["target"])
            for name, report in audit.pages.items()
            for violations in report.violations.values()
            for violation in violations
            for node in violation["nodes"]
        )
        assert seen, f"no longer needed, remove it from ALLOWED: {allowed}"
    for allowed in ALLOWED:
        assert allowed.reason and allowed.upstream, allowed


def test_menu_button_opens_the_chapter_list_on_a_phone(audit):
    menu = audit.phone_menu
    assert "crash" not in menu, menu.get("crash")
    assert menu["buttons"] >= 1, "no visible menu button (☰) on a phone"
    assert not menu["visible_before"], "the chapter list should start closed on a phone"
    assert menu["visible_after"], "the menu button (☰) did not open the chapter list"
    entries = menu["entries_visible"]
    assert len(entries) >= len(PAGES) - 1 and all(entries), f"not all pages listed: {entries}"
    assert not menu["visible_after_escape"], "Escape did not close the chapter list"
    found = _unexplained(SEQUENTIAL, menu["violations"])
    assert not found, "axe, with the chapter list open on a phone:\n" + "\n".join(found)
    assert _shot(SEQUENTIAL, "-phone").exists() and _shot(SEQUENTIAL, "-phone-menu").exists()


def test_menu_button_hides_and_shows_the_sidebar_on_a_desktop(audit):
    menu = audit.desktop_menu
    assert "crash" not in menu, menu.get("crash")
    assert menu["theme"] == "dark"
    assert menu["visible_before"], "the chapter list should be shown on a desktop"
    assert not menu["visible_after_one_click"], "the menu button (☰) did not hide the sidebar"
    assert menu["visible_after_two_clicks"], "the menu button (☰) did not show it again"
    assert _shot(SEQUENTIAL, "-dark").exists()


@pytest.mark.parametrize("name", CHAPTERS)
def test_toggle_buttons_say_what_they_open(audit, name):
    labels = _page(audit, name).toggle_labels
    assert labels, f"{name}: no toggle buttons (the solutions are toggled)"
    generic = [label for label in labels if not label or label == "Toggle hidden content"]
    assert not generic, f"{name}: {len(generic)} toggle buttons without a name of their own"
    assert len(set(labels)) == len(labels), f"{name}: two toggle buttons share a name {labels}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_colab_badge_and_launch_button_open_this_chapter(audit, name):
    report = _page(audit, name)
    expected = _colab_url(name)
    links = report.colab_links
    assert expected in links, f"{name}: no link to {expected} among {links}"
    assert all(link == expected for link in links), f"{name}: a Colab link elsewhere {links}"
    assert report.badge is not None, f"{name}: no Colab badge"
    assert report.badge["alt"] == "Open In Colab"
    assert report.badge["ok"], "badge image missing"


def test_search_finds_lenet(audit):
    search = audit.search
    assert "crash" not in search, search.get("crash")
    assert search["hits"] >= 5, f"searching LeNet found {search['hits']} pages"
    assert not search["errors"], search["errors"]
    assert not search["external"], search["external"]
