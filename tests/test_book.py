"""The book builds offline, warnings as errors, from the stored outputs, and shows them."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import load_module
from docutils import nodes

from tools.chapter_format import BEGIN_SOLUTION, MARKER

ROOT = Path(__file__).resolve().parents[1]
grading_markers = load_module(ROOT / "_ext" / "grading_markers.py")
keras_summary = load_module(ROOT / "_ext" / "keras_summary.py")

BOX_CHARACTERS = re.compile("[┏┓┗┛┃━│─├┤┼┡┩╇]")


def _chapter(book_html: Path, pattern: str) -> str:
    (page,) = sorted((book_html / "chapters").glob(f"*_{pattern}.html"))
    return page.read_text()


def _code_blocks(text: str) -> list[str]:
    """The text of every code block of a page, as the copy button copies it."""
    blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", text, flags=re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", "", block)) for block in blocks]


def _image_outputs(notebook: Path) -> int:
    cells = json.loads(notebook.read_text())["cells"]
    return sum(
        any(key.startswith("image/") for key in output.get("data", {}))
        for cell in cells
        for output in cell.get("outputs", [])
    )


def test_every_chapter_is_rendered_with_its_figures(book_html: Path):
    for md in sorted((ROOT / "chapters").glob("*.md")):
        page = book_html / "chapters" / f"{md.stem}.html"
        assert page.exists(), f"{page.name} was not built"
        text = page.read_text()
        assert "colab.research.google.com/github/" in text, f"{page.name}: no Colab link"
        figures = len(re.findall(r"<img[^>]+src=\"[^\"]*_images/", text))
        stored = _image_outputs(md.with_suffix(".ipynb"))
        assert figures == stored, f"{page.name}: {figures} figures shown, {stored} stored"


def test_every_chapter_has_three_exercises_with_toggled_solutions(book_html: Path):
    for md in sorted((ROOT / "chapters").glob("*.md")):
        text = (book_html / "chapters" / f"{md.stem}.html").read_text()
        exercises = len(re.findall(r'class="exercise admonition"', text))
        solutions = len(re.findall(r'class="solution dropdown admonition"', text))
        assert exercises >= 3, f"{md.stem}: {exercises} exercises"
        assert solutions == exercises, f"{md.stem}: {exercises} exercises, {solutions} solutions"


def test_stored_numbers_reach_the_page(book_html: Path):
    assert "61,706" in _chapter(book_html, "architecture")
    sequential = _chapter(book_html, "sequential")
    assert "test accuracy" in sequential
    assert "{glue" not in sequential, "a glue role was not resolved"


def test_building_did_not_execute_anything(book_html: Path):
    # execute_notebooks is "off": the pages show the outputs committed in the notebooks.
    assert not (book_html.parent / ".jupyter_cache").exists()


# Grading markers: kept in the notebooks, absent from the book (_ext/grading_markers.py).


def test_the_notebooks_keep_their_grading_markers():
    notebooks = sorted((ROOT / "chapters").glob("*.ipynb"))
    assert any(BEGIN_SOLUTION in path.read_text() for path in notebooks)


def test_no_page_shows_a_grading_marker(book_html: Path):
    for page in sorted(book_html.rglob("*.html")):
        for block in _code_blocks(page.read_text()):
            assert not MARKER.search(block), f"{page.name} shows a grading marker:\n{block}"


def test_solutions_keep_their_code(book_html: Path):
    # the markers go, the answer stays: each solution cell is shown as its code without them
    checked = 0
    for notebook in sorted((ROOT / "chapters").glob("*.ipynb")):
        page = (book_html / "chapters" / f"{notebook.stem}.html").read_text()
        shown = {block.strip() for block in _code_blocks(page)}
        for cell in json.loads(notebook.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] != "code" or "SOLUTION" not in source:
                continue
            cleaned = grading_markers.strip_markers(source)
            if cleaned.strip():
                assert cleaned.strip() in shown, f"{notebook.stem}: not shown as\n{cleaned}"
                checked += 1
    assert checked >= 10, f"only {checked} solution cells found"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", "x = 1"),
        ("### BEGIN SOLUTION\nx = 1\n    ## END SOLUTION  \ny = 2", "x = 1\ny = 2"),
        (
            "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION",
            "def f():\n    return 1",
        ),
        ("x = 1  # BEGIN SOLUTION, a comment", "x = 1  # BEGIN SOLUTION, a comment"),
        (
            "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n"
            "### END HIDDEN TESTS\nok()",
            "assert f(1) == 1\nok()",
        ),
        ("### BEGIN HIDDEN TESTS\nassert secret()\n### END HIDDEN TESTS", ""),
        ("x = 1\n### BEGIN HIDDEN TESTS\nassert secret()", "x = 1"),  # unclosed: to the end
        ("print('no markers')\n", "print('no markers')\n"),
    ],
)
def test_strip_markers(source, expected):
    assert grading_markers.strip_markers(source) == expected


def _code_cell(source: str, outputs: int = 0) -> tuple[nodes.document, nodes.container]:
    document = nodes.document(None, None)
    cell = nodes.container(classes=["cell"], nb_element="cell_code")
    cell_input = nodes.container(classes=["cell_input"], nb_element="cell_code_source")
    cell_input += nodes.literal_block(source, source, language="ipython3")
    cell += cell_input
    if outputs:
        cell += nodes.container(nodes.paragraph(text="out"), classes=["cell_output"])
    document += cell
    return document, cell


def test_hidden_tests_leave_the_page():
    document, cell = _code_cell("### BEGIN HIDDEN TESTS\nassert answer == 42\n### END HIDDEN TESTS")
    grading_markers._strip(None, document)
    assert "answer" not in document.astext()
    assert cell not in document.children, "a cell with nothing left to show is removed"
    document, cell = _code_cell("# BEGIN SOLUTION\nanswer = 42\n# END SOLUTION", outputs=1)
    grading_markers._strip(None, document)
    (block,) = document.findall(nodes.literal_block)
    assert block.astext() == block.rawsource == "answer = 42"  # rawsource: so it is highlighted


# model.summary(): a table with a caption, no colours, no box characters (_ext/keras_summary.py).


def test_summaries_are_tables_without_colours(book_html: Path):
    for page in sorted((book_html / "chapters").glob("*.html")):
        text = page.read_text()
        assert "text-decoration-color" not in text, f"{page.name}: coloured rich output"
        for block in _code_blocks(text):
            assert not BOX_CHARACTERS.search(block), f"{page.name}: a box drawn in text:\n{block}"
    text = _chapter(book_html, "architecture")
    table = re.search(r'<table class="keras-summary table">.*?</table>', text, flags=re.DOTALL)
    assert table, "no summary table"
    table = table.group(0)
    assert re.search(r'<caption><span class="caption-text">Model: &quot;\w+&quot;</span>', table)
    assert re.search(r"<th[^>]*><p>Layer \(type\)</p></th>", table)
    assert re.search(r"<td[^>]*><p>fc1 \(Dense\)</p></td>", table)
    assert re.search(r'<td class="keras-summary-number"><p>48,120</p></td>', table)
    assert "Table " not in table, "a summary is not a numbered table"
    assert re.search(r"Total params<span class=\"colon\">:</span></dt>\s*<dd[^>]*><p>61,706", text)


def _rich_bundle(plain: str) -> nodes.container:
    bundle = nodes.container(nb_element="mime_bundle")
    rich = '<pre style="white-space:pre;overflow-x:auto;line-height:normal;">x</pre>'
    bundle += nodes.container("", nodes.raw("", rich, format="html"), mime_type="text/html")
    plain_block = nodes.literal_block(plain, plain, language="myst-ansi")
    bundle += nodes.container("", plain_block, mime_type="text/plain")
    return bundle


SUMMARY = [
    '\x1b[1mModel: "tiny"\x1b[0m\n',
    "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┓\n"
    "┃\x1b[1m Layer (type)        \x1b[0m┃\x1b[1m Output Shape \x1b[0m┃\x1b[1m Param # \x1b[0m┃\n"
    "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━┩\n"
    "│ average_pooling2d_4 │ ?            │       0 │\n"
    "│ (AveragePooling2D)  │              │         │\n"
    "├─────────────────────┼──────────────┼─────────┤\n"
    "│ fc (\x1b[38;5;33mDense\x1b[0m)          │ (\x1b[38;5;45mNone\x1b[0m, 10)     "
    "│   \x1b[38;5;34m1,290\x1b[0m │\n"
    "└─────────────────────┴──────────────┴─────────┘\n",
    "\x1b[1m Total params: \x1b[0m\x1b[38;5;34m1,290\x1b[0m (5.04 KB)\n",
    "\x1b[1m Trainable params: \x1b[0m\x1b[38;5;34m1,290\x1b[0m (5.04 KB)\n",
    "\x1b[1m Non-trainable params: \x1b[0m\x1b[38;5;34m0\x1b[0m (0.00 B)\n",
]


def test_a_summary_becomes_one_table_and_one_list():
    output = nodes.container(classes=["cell_output"])
    for part in SUMMARY:
        output += _rich_bundle(part)
    assert keras_summary.rewrite_output(output) == 5
    table, totals = output.children
    assert isinstance(table, nodes.table) and type(table) is not nodes.table  # not numbered
    assert table[0].astext() == 'Model: "tiny"'
    rows = [[entry.astext() for entry in row] for row in table.findall(nodes.row)]
    assert rows == [
        ["Layer (type)", "Output Shape", "Param #"],
        ["average_pooling2d_4 (AveragePooling2D)", "?", "0"],
        ["fc (Dense)", "(None, 10)", "1,290"],
    ]
    fields = [(f[0].astext(), f[1].astext()) for f in totals.findall(nodes.field)]
    assert fields == [
        ("Total params", "1,290 (5.04 KB)"),
        ("Trainable params", "1,290 (5.04 KB)"),
        ("Non-trainable params", "0 (0.00 B)"),
    ]
    assert "\x1b" not in output.astext()


def test_other_rich_output_loses_its_colours_only():
    output = nodes.container(classes=["cell_output"])
    output += _rich_bundle("\x1b[38;5;34mdone\x1b[0m in 3 s\n")
    other = nodes.container(nb_element="mime_bundle")  # not rich: left alone
    other += nodes.container("", nodes.literal_block("plain", "plain"), mime_type="text/plain")
    output += other
    keras_summary.rewrite_output(output)
    assert isinstance(output[0], nodes.literal_block)
    assert output[0].astext() == "done in 3 s"
    assert output[1] is other


# The rest of the page: references, favicon, the Performance appendix.


def test_references_are_list_items(book_html: Path):
    text = (book_html / "references.html").read_text()
    assert 'role="doc-biblioentry"' not in text  # deprecated in DPUB-ARIA 1.1
    assert text.count('role="listitem"') >= 10


def test_every_page_has_a_favicon(book_html: Path):
    assert (book_html / "_static" / "favicon.svg").exists()
    assert '<link rel="icon" href="_static/favicon.svg"' in (book_html / "intro.html").read_text()


def test_the_performance_appendix_shows_findings_not_goals(book_html: Path):
    text = (book_html / "appendix" / "performance.html").read_text()
    assert "What a learner can expect" in text
    assert "goals we set" not in text.lower() and "not met" not in text
    assert (ROOT / "benchmarks" / "GOALS.md").exists()


def test_summary_of_the_stored_outputs_is_rich():
    # the notebooks keep model.summary() as Keras prints it: the book rewrites it, not them
    notebook = next(iter(sorted((ROOT / "chapters").glob("*_architecture.ipynb"))))
    outputs = [
        "".join(output.get("data", {}).get("text/html", ""))
        for cell in json.loads(notebook.read_text())["cells"]
        for output in cell.get("outputs", [])
    ]
    assert any(keras_summary.RICH_PRE.match(out) and "┏" in out for out in outputs)
