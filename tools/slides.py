"""Lecture slides: one reveal.js deck per chapter, drawn from the chapter's own source.

    python -m tools.slides [chapters/NN_name.md ...] [--out _build/html/slides]

A deck opens on a title slide, then shows the cells of ``chapters/NN_name.md`` marked with
Jupyter's ``slideshow`` metadata (SLIDES.md), with the outputs stored in the ``.ipynb``,
rendered by nbconvert's slides exporter (template: ``slides.html.j2``) with the book's numbers,
links into the book next door, Keras summaries as tables, figures with their alt text, and
reveal.js and MathJax served from the book: the decks work offline.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import subprocess
import sys
import tarfile
from pathlib import Path

import jinja2
import jupytext
import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

from _ext import keras_summary as summary
from tools import editions
from tools.common import ROOT, book_config, chapters
from tools.myst_markdown import Book, Converter, EditionError, glue_values

REVEAL = "reveal.js@6.0.2"
REVEAL_FILES = ("LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/theme/white.css",
                "dist/plugin/notes.js")  # fmt: skip
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "notes", "skip"}
OUTPUT_ONLY = {"hide-input", "remove-input", "slides-output-only"}


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


def _plain_outputs(outputs: list) -> list:
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
            cells[-1].outputs = _plain_outputs(copy.deepcopy(ran.outputs))
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
        anchor_link_text="", template_file="slides.html.j2",
    )  # fmt: skip
    config.TagRemovePreprocessor.update(
        enabled=True, remove_input_tags=OUTPUT_ONLY, remove_all_outputs_tags={"remove-output"}
    )
    loader = jinja2.FileSystemLoader(Path(__file__).parent)  # slides.html.j2
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
