"""Lecture slides: one reveal.js deck per chapter, drawn from the chapter's own source.

    python -m tools.slides [chapters/NN_name.md ...] [--out _build/html/slides]

A deck opens on a title slide, then shows the cells of ``chapters/NN_name.md`` that carry
Jupyter's ``slideshow`` metadata (``slide``, ``subslide``, ``fragment``, ``-``, ``notes``;
unmarked cells stay out), with the outputs stored in ``chapters/NN_name.ipynb``, rendered by
nbconvert's slides exporter: markdown made plain by ``tools.myst_markdown`` (the book's glued
numbers; links into the built book next door), no input where the book hides it or the tag
``slides-output-only`` asks, Keras summaries as tables (``_ext/keras_summary.py``), figures
with their alt text. reveal.js (npm's package, :data:`REVEAL`) and MathJax (the book's own,
``_static/mathjax``) are served from the book: the decks work offline.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import importlib.util
import subprocess
import sys
import tarfile
from pathlib import Path

import jinja2
import jupytext
import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

from tools import editions
from tools.common import ROOT, book_config, chapters
from tools.myst_markdown import Book, Converter, EditionError, glue_values

REVEAL = "reveal.js@6.0.2"
REVEAL_FILES = ("LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/theme/white.css",
                "dist/plugin/notes.js")  # fmt: skip
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "notes", "skip"}
OUTPUT_ONLY = {"hide-input", "remove-input", "slides-output-only"}
TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{% block html_head_js %}{% endblock html_head_js %}
{% block html_head_js_mathjax %}
<script>window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], processEscapes: true}};
</script><script defer src="../_static/mathjax/tex-chtml.js"></script>
{% endblock html_head_js_mathjax %}
{% block html_head_css %}<link rel="icon" href="../_static/favicon.svg"><style>
.reveal .slides section { text-align: left; } .reveal .jp-RenderedHTMLCommon { overflow: visible; }
.reveal .jp-RenderedImage img { max-height: 540px; width: auto; }
.reveal .jp-RenderedHTMLCommon table { font-size: 18px; } .reveal pre { font-size: 0.5em; }
</style>{% endblock html_head_css %}
{% block data_png scoped %}<div class="jp-RenderedImage jp-OutputArea-output">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ cell.metadata.get('mystnb', {}).get('image', {}).get('alt', '') | escape_html }}">
</div>{% endblock data_png %}
{% block footer_js %}
<script src="{{ resources.reveal.url_prefix }}/dist/reveal.js"></script>
<script src="{{ resources.reveal.url_prefix }}/dist/plugin/notes.js"></script>
<script>Reveal.initialize({hash: true, slideNumber: "c/t", transition: "none",
  width: {{ resources.reveal.width }}, height: {{ resources.reveal.height }},
  plugins: [RevealNotes]});</script>
{% endblock footer_js %}
"""


def vendor_reveal(dest: Path, cache: Path = ROOT / "_build") -> None:
    """Copy reveal.js (npm's package, fetched once into ``cache``) into ``dest``."""
    name, version = REVEAL.rsplit("@", 1)
    tarball = cache / f"{name}-{version}.tgz"
    if not tarball.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", REVEAL, "--pack-destination", str(cache), "--silent"],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    with tarfile.open(tarball) as archive:
        for member in REVEAL_FILES:
            target = dest / member
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.extractfile(f"package/{member}").read())


def _summary_module():
    spec = importlib.util.spec_from_file_location("keras_summary", ROOT / "_ext/keras_summary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _plain_outputs(outputs: list, summary) -> list:
    """Outputs as the book shows them: no stderr; Keras summaries (rich) as tables."""
    kept = []
    for output in outputs:
        if output.get("name") == "stderr":
            continue
        data = output.get("data", {})
        if summary.RICH_PRE.match(str(data.get("text/html", ""))):
            text = summary.ANSI.sub("", str(data.get("text/plain", "")))
            table = summary.parse_box_table(text)
            if table:
                header, rows = table
                lines = [header, ["---"] * len(header), *rows]
                data = {"text/markdown": "\n".join("| " + " | ".join(r) + " |" for r in lines)}
            else:
                data = {"text/plain": text.rstrip("\n")}
            output = {**output, "data": data}
        kept.append(output)
    return kept


def deck(book: Book, md: Path, source: nbformat.NotebookNode | None = None):
    """Chapter ``md``'s deck as a notebook: a title slide, then the cells marked in ``source``
    (the chapter as jupytext reads it: by default the file; a test may pass a marked copy)."""
    page = md.resolve().relative_to(book.root).with_suffix("").as_posix()
    source = source if source is not None else jupytext.read(md)
    run = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    if [c.source for c in source.cells] != [c.source for c in run.cells]:
        raise EditionError(f"{md.name}: its .ipynb is stale; run python -m tools.execute {md}")
    glue = glue_values(md.with_suffix(".ipynb"))  # the book's run itself: no † marks
    glue = {key: dataclasses.replace(value, deterministic=True) for key, value in glue.items()}
    converter = Converter(book, page, glue, solutions=True)
    colab = editions.colab_url(editions.edition_path(md, solutions=True, root=book.root))
    title = f"# {book.title(page)}\n\nChapter {book.numbers[page]} of "
    title += f"*{book_config(book.root)['title']}*\n\n"
    title += f"[Read the chapter](../{page}.html) · [Open it in Colab]({colab})"
    cells = [nbformat.v4.new_markdown_cell(title, metadata={"slideshow": {"slide_type": "slide"}})]
    summary = _summary_module()
    for index, (cell, ran) in enumerate(zip(source.cells, run.cells, strict=True)):
        where = f"{md.name}, cell {index}"
        text = converter.cell(cell.source, where) if cell.cell_type == "markdown" else ""
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "skip")
        if kind not in SLIDE_TYPES:
            raise EditionError(f"{where}: slide_type {kind!r} is not one of {SLIDE_TYPES}")
        if kind == "skip" or cell.cell_type == "raw":
            continue
        if "remove-cell" in cell.metadata.get("tags", []):
            raise EditionError(f"{where}: marked for the slides, but the book hides it")
        metadata = {**copy.deepcopy(cell.metadata), "slideshow": {"slide_type": kind}}
        if cell.cell_type == "markdown":
            text = text.replace(f"]({book.baseurl}", "](../")  # into the book next door
            cells.append(nbformat.v4.new_markdown_cell(text, metadata=metadata))
        else:
            cells.append(nbformat.v4.new_code_cell(ran.source, metadata=metadata))
            cells[-1].outputs = _plain_outputs(copy.deepcopy(ran.outputs), summary)
    converter.finish(md.name)
    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(run.metadata))
    nb.metadata["title"] = f"{book.numbers[page]} {book.title(page)}"
    return nb


def exporter() -> SlidesExporter:
    """nbconvert's slides exporter, with this module's template (reveal.js 6, offline)."""
    config = Config()
    config.SlidesExporter.update(
        reveal_url_prefix="reveal.js", reveal_theme="white", reveal_width="1280",
        reveal_height="720", exclude_input_prompt=True, exclude_output_prompt=True,
        anchor_link_text="", template_file="lenet_slides.html.j2",
    )  # fmt: skip
    config.TagRemovePreprocessor.update(
        enabled=True, remove_input_tags=OUTPUT_ONLY, remove_all_outputs_tags={"remove-output"}
    )
    loader = jinja2.DictLoader({"lenet_slides.html.j2": TEMPLATE})
    return SlidesExporter(config=config, extra_loaders=[loader])


def build(out: Path, files: list[Path] | None = None, root: Path = ROOT) -> None:
    """Write ``out/NN_name.html`` for each chapter, and reveal.js beside them."""
    book = Book.load(root)
    out.mkdir(parents=True, exist_ok=True)
    vendor_reveal(out / "reveal.js")
    slides = exporter()
    errors = []
    for md in files or chapters(root):
        try:
            html, _ = slides.from_notebook_node(deck(book, Path(md).resolve()))
        except EditionError as error:
            errors.append(str(error))
            continue
        (out / f"{Path(md).stem}.html").write_text(html)
        print(f"slides: {out / Path(md).stem}.html")
    if errors:
        raise EditionError("\n".join(errors))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="chapters/*.md (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build/html/slides")
    args = parser.parse_args(argv)
    try:
        build(args.out, args.files)
    except EditionError as error:
        sys.exit(f"slides: {error}")


if __name__ == "__main__":
    main()
