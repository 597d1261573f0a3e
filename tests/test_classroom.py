"""The classroom editions: every chapter's lecture slides (tools/slides.py), and the book as a PDF.

Slides: the decks are built into a temporary site laid out as the book is (``slides/`` beside
``_static/``, with MathJax and the badge), one per chapter, and one more from a copy of a chapter
whose cells this test marks as an author would: its heading as a slide, a figure shown without
its code, the prose after it as speaker notes, a Keras summary as a sub-slide, a paragraph with
glued numbers and math as a fragment. The marks go through jupytext's MyST format and back, as
they would in ``chapters/NN_name.md``. Each deck is opened in Debian's Chromium (Playwright),
offline, at 1280 x 720: every slide is shown with all its fragments, must have content, fit the
slide (nothing cut off, no code or table that scrolls), load its images, with alt text, and
render its math; axe-core (WCAG 2.1 A/AA) finds nothing on any slide of the marked deck.

PDF (``make pdf``, then ``LENET_PDF=_build/latex/lenet-book.pdf``; ``make editions-check``
does both): it has every chapter's title, the figures of each chapter (pdfimages counts them),
glued numbers of every chapter (pdftotext), and its build log (the ``.log`` beside it) has no
missing glyph. Without ``LENET_PDF`` those tests are skipped, saying why: the LaTeX build takes
minutes, more than ``make test`` has.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import jupytext
import nbformat
import pytest
from myst_nb.core.variables import format_plain_text

from tools import slides
from tools.common import ROOT, chapters
from tools.myst_markdown import Book, glue_values

CHROMIUM = "/usr/bin/chromium"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEW = {"width": 1280, "height": 720}
MARKED = "marked"  # the deck of the marked copy


def _marked(md: Path) -> tuple[nbformat.NotebookNode, dict] | None:
    """A copy of chapter ``md`` with slide marks (or None if it lacks a figure or glue)."""
    source, run = jupytext.read(md), nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    for cell in source.cells:  # the chapter's own marks give way to the test's
        cell.metadata.pop("slideshow", None)
    cells = list(zip(source.cells, run.cells, strict=False))

    def first(test):
        return next((i for i, (cell, ran) in enumerate(cells) if test(cell, ran)), None)

    def has(ran, mime):
        return any(mime in o.get("data", {}) for o in ran.get("outputs", []))

    figure = first(lambda c, r: has(r, "image/png") and "mystnb" in c.metadata)
    summary = first(lambda c, r: "model.summary()" in c.source and has(r, "text/html"))
    after = range((figure or 0) + 1, len(cells))  # the prose after the figure: its notes
    notes = next((i for i in after if cells[i][0].cell_type == "markdown"), None)
    glued = [
        i
        for i, (c, _) in enumerate(cells)
        if c.cell_type == "markdown" and "{glue:text}" in c.source and "$" in c.source
    ]
    glued = [i for i in glued if i not in (figure, notes, summary)]
    if None in (figure, notes, summary) or not glued:
        return None
    marks = {figure: "slide", notes: "notes", summary: "subslide"}
    heading = first(lambda c, r: c.cell_type == "markdown" and re.fullmatch(r"## .+", c.source))
    if heading is not None and heading < figure:
        marks[heading] = "slide"
        marks[figure] = "-"
    marks[min(glued, key=lambda i: len(cells[i][0].source))] = "fragment"
    for index, kind in marks.items():
        source.cells[index].metadata["slideshow"] = {"slide_type": kind}
    source.cells[figure].metadata.setdefault("tags", []).append("slides-output-only")
    text = jupytext.writes(source, "md:myst")
    again = jupytext.reads(text, "md:myst")
    kept = {i: c.metadata.get("slideshow", {}).get("slide_type") for i, c in enumerate(again.cells)}
    assert {i: k for i, k in kept.items() if k} == marks, "jupytext lost slide marks"
    alt = source.cells[figure].metadata["mystnb"]["image"]["alt"]
    return again, {"alt": alt, "marks": marks, "figure": figure}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The decks in a temporary book: (site folder, what the marked deck must show)."""
    root = tmp_path_factory.mktemp("classroom")
    static = root / "_static"
    static.mkdir()
    for name in ("colab-badge.svg", "favicon.svg"):
        shutil.copy(ROOT / "_static" / name, static / name)
    mathjax = importlib.util.find_spec("sphinx-mathjax-offline").submodule_search_locations[0]
    (static / "mathjax").symlink_to(Path(mathjax) / "static" / "mathjax")
    slides.build(root / "slides")
    book = Book.load(ROOT)
    expected = {}
    for md in chapters():
        marked = _marked(md)
        if marked:
            html, _ = slides.exporter().from_notebook_node(slides.deck(book, md, marked[0]))
            (root / "slides" / f"{MARKED}.html").write_text(html)
            glue = glue_values(md.with_suffix(".ipynb"))
            expected = {**marked[1], "glue": glue, "source": marked[0], "md": md}
            break
    assert expected, "no chapter has a figure, a Keras summary and glued math to mark"
    return root, expected


@pytest.fixture(scope="module")
def shown(site):
    """What Chromium showed of every deck: {deck: report}."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's Chromium is missing: apt-get install chromium (make setup does)")
    root, _ = site
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    decks = [md.stem for md in chapters()] + [MARKED]
    try:
        return asyncio.run(_show_all(f"http://127.0.0.1:{server.server_address[1]}", decks))
    finally:
        server.shutdown()
        server.server_close()


# Show every slide (with all its fragments) and report what it holds and whether it fits.
EACH_SLIDE = """async () => {
  const config = Reveal.getConfig(), found = [];
  for (const slide of Reveal.getSlides()) {
    const {h, v} = Reveal.getIndices(slide);
    Reveal.slide(h, v || 0);
    while (Reveal.nextFragment()) {}
    await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 30)));
    const images = [...slide.querySelectorAll('img')];
    found.push({where: `${h}/${v || 0}`, text: slide.innerText.trim(),
      height: slide.scrollHeight, width: slide.scrollWidth, max: [config.height, config.width],
      scrolls: [...slide.querySelectorAll('pre, table, .jp-OutputArea-output')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 40)),
      images: images.map(i => ({ok: i.complete && i.naturalWidth > 0, alt: i.alt})),
      math: slide.querySelectorAll('mjx-container').length,
      math_errors: slide.querySelectorAll('mjx-merror').length,
      fragments: slide.querySelectorAll('.fragment').length,
      notes: [...slide.querySelectorAll('aside.notes')].map(n => n.textContent.trim()),
      tables: slide.querySelectorAll('table').length});
  }
  return found;
}"""


async def _show_all(site: str, decks: list[str]) -> dict[str, dict]:
    from axe_playwright_python.base import AXE_SCRIPT
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        reports = {deck: await _show(browser, site, deck, AXE_SCRIPT) for deck in decks}
        await browser.close()
    return reports


async def _show(browser, site: str, deck: str, axe_script: str) -> dict:
    context = await browser.new_context(viewport=VIEW)
    report: dict = {"errors": [], "external": [], "violations": []}

    async def route(route):
        if route.request.url.startswith(site):
            await route.continue_()
        else:  # offline: nothing from other hosts
            report["external"].append(route.request.url)
            await route.abort()

    await context.route("**/*", route)
    page = await context.new_page()
    page.on("console", lambda m: report["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: report["errors"].append(str(error)))
    page.on("requestfailed", lambda r: report["errors"].append(f"failed: {r.url}"))
    await page.goto(f"{site}/slides/{deck}.html", wait_until="load")
    await page.wait_for_function("window.Reveal && Reveal.isReady()")
    await page.evaluate("() => MathJax.startup.promise")
    # a fragment fades in: measure it shown
    await page.add_style_tag(content="* { transition: none !important; }")
    report["slides"] = await page.evaluate(EACH_SLIDE)
    if deck == MARKED:  # axe on every slide, as shown
        await page.evaluate(axe_script)
        for slide in report["slides"]:
            h, v = slide["where"].split("/")
            await page.evaluate(f"Reveal.slide({h}, {v}); while (Reveal.nextFragment()) {{}}")
            options = {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]}
            result = await page.evaluate("o => axe.run(document, o)", options)
            report["violations"] += [
                f"slide {slide['where']}: {v['id']} at {n['target']}: {n['html'][:120]}"
                for v in result["violations"]
                for n in v["nodes"]
            ]
    await context.close()
    return report


DECKS = [md.stem for md in chapters()] + [MARKED]


@pytest.mark.parametrize("deck", DECKS)
def test_deck_opens_offline_and_every_slide_fits(shown, deck):
    report = shown[deck]
    assert not report["external"], f"{deck} asks other hosts for {report['external']}"
    assert not report["errors"], f"{deck}: console errors {report['errors']}"
    assert report["slides"], f"{deck}: no slides"
    for slide in report["slides"]:
        where = f"{deck}, slide {slide['where']}"
        assert slide["text"] or slide["images"], f"{where} is empty"
        height, width = slide["max"]
        assert slide["height"] <= height and slide["width"] <= width, (
            f"{where} is {slide['width']} x {slide['height']} px, more than the slide's "
            f"{width} x {height}: its foot is cut off. Mark fewer cells on it, or split the cell "
            f"(+++ in the MyST source). It begins: {slide['text'][:80]!r}"
        )
        assert not slide["scrolls"], f"{where}: too wide, it scrolls: {slide['scrolls']}"
        for image in slide["images"]:
            assert image["ok"], f"{where}: an image did not load"
            assert len(image["alt"].split()) >= 3, f"{where}: alt text {image['alt']!r}"
        assert not slide["math_errors"], f"{where}: MathJax could not render some math"
        assert not re.search(r"\{(glue|doc|ref|numref|cite)[:}]", slide["text"]), (
            f"{where} shows MyST markup: {slide['text'][:200]!r}"
        )


def test_marked_deck_shows_what_was_marked(site, shown):
    _, expected = site
    found = shown[MARKED]["slides"]
    # title slide; the heading's slide (if marked) with the figure; its sub-slide (the
    # summary); the glued paragraph is a fragment of whatever slide it falls on
    kinds = [expected["marks"][i] for i in sorted(expected["marks"])]
    assert len(found) == 1 + kinds.count("slide") + kinds.count("subslide")
    title = found[0]["text"]
    assert "Read the chapter" in title and "Chapter" in title
    figure = next(s for s in found if s["images"])
    assert figure["images"][0]["alt"] == expected["alt"]
    assert figure["notes"] and all(figure["notes"]), "the speaker notes are missing"
    code = expected["source"].cells[expected["figure"]].source.splitlines()[-1]
    assert code not in figure["text"], "the figure's code is shown (slides-output-only)"
    assert any(s["tables"] for s in found), "the Keras summary is not a table"
    assert sum(s["fragments"] for s in found) >= 1, "no fragment"
    assert sum(s["math"] for s in found) >= 1, "no math rendered"
    text = "\n".join(s["text"] for s in found)
    source = expected["source"]
    fragment = next(i for i, k in expected["marks"].items() if k == "fragment")
    roles = re.findall(r"\{glue:text\}`([^`:]+):?([^`]*)`", source.cells[fragment].source)
    numbers = [format_plain_text(expected["glue"][key].text, spec) for key, spec in roles]
    assert all(number in text for number in numbers), (roles, numbers)
    assert "†" not in text, "the slides quote the book's run: no † marks"


def test_axe_finds_no_violation_on_the_marked_deck(shown):
    violations = shown[MARKED]["violations"]
    assert not violations, f"{len(violations)} axe violations:\n" + "\n".join(violations)


# -- The PDF ------------------------------------------------------------------------------------

PDF = os.environ.get("LENET_PDF")
needs_pdf = pytest.mark.skipif(
    not PDF, reason="no LENET_PDF: make editions-check builds the PDF (minutes) and checks it"
)


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def pdf() -> dict:
    """The PDF's text page by page, the page of each image, the first page of each chapter."""
    if not Path(PDF).is_file():
        pytest.fail(f"LENET_PDF={PDF}: no such file; run make pdf")
    rows = [line.split() for line in _run("pdfimages", "-list", PDF).splitlines()[2:]]
    dests = re.findall(r'^\s*(\d+) \[.*\] "chapter\.(\d+)"', _run("pdfinfo", "-dests", PDF), re.M)
    return {
        "pages": _run("pdftotext", "-layout", PDF, "-").split("\f"),
        "images": [int(row[0]) for row in rows if row[2] == "image"],  # not their alpha masks
        "starts": {int(chapter): int(page) for page, chapter in dests},
    }


def _squash(text: str) -> str:
    """White space as one space, LaTeX's curly quotes as typed."""
    return re.sub(r"\s+", " ", text).translate(str.maketrans("‘’“”", "''\"\""))


@needs_pdf
@pytest.mark.parametrize("md", chapters(), ids=lambda md: md.stem)
def test_pdf_has_the_chapter_its_figures_and_glued_numbers(pdf, md):
    book = Book.load(ROOT)
    number = book.numbers[md.relative_to(ROOT).with_suffix("").as_posix()]
    first, end = pdf["starts"][number], pdf["starts"].get(number + 1, len(pdf["pages"]) + 1)
    text = _squash(" ".join(pdf["pages"][first - 1 : end - 1]))
    title = book.title(md.relative_to(ROOT).with_suffix("").as_posix())
    assert _squash(title) in text, f"chapter {number} (pages {first}-{end - 1}) is not {title!r}"
    run = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    hidden = {"remove-cell", "remove-output"}
    figures = sum(
        "image/png" in output.get("data", {})
        for cell in run.cells
        if not hidden & set(cell.metadata.get("tags", []))
        for output in cell.get("outputs", [])
    )
    images = sum(first <= page < end for page in pdf["images"])
    assert images >= figures, f"chapter {number}: {images} images in the PDF, {figures} figures"
    glue = glue_values(md.with_suffix(".ipynb"))
    numbers = set()
    for key, spec in re.findall(r"\{glue:text\}`([^`:]+):?([^`]*)`", md.read_text()):
        value = format_plain_text(glue[key].text, spec)
        if re.search(r"\d", value):
            numbers.add(_squash(value))
    assert numbers, f"{md.stem}: no glued numbers"
    # LaTeX hyphenates long glued phrases at a line's end ("fil- ters"): accept them joined too.
    joined = re.sub(r"([a-z])- ([a-z])", r"\1\2", text)
    missing = sorted(value for value in numbers if value not in text and value not in joined)
    assert not missing, f"{md.stem}: glued numbers not in its pages of the PDF: {missing}"


@needs_pdf
def test_pdf_build_log_has_no_missing_glyph():
    log = Path(PDF).with_suffix(".log").read_text(errors="replace")
    missing = re.findall(r"Missing character: There is no .*", log)
    assert not missing, f"{len(missing)} missing glyphs, e.g. {sorted(set(missing))[:5]}"
