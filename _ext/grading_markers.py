"""The book shows the chapters' code without grading markers and without hidden tests.

Each code cell loses its solution-marker lines and its hidden-test regions (markers included;
an unclosed region runs to the end of the cell); a cell left empty loses its input area. The
page's code block is rewritten, so the copy button copies what the page shows. The notebooks
keep every marker (``tools.chapter_format`` defines them).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the repository, for tools
from tools.chapter_format import regions  # noqa: E402


def strip_markers(source: str) -> str:
    """``source`` without solution markers and hidden-test regions, blank edges trimmed.

    A source without any marker is returned unchanged.
    """
    found = regions(source)
    kept = [line for line, place in found if place in ("", "solution")]
    if len(kept) == len(found):
        return source
    while kept and not kept[0].strip():
        kept.pop(0)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


def _is_cell_source(block: nodes.literal_block) -> bool:
    parent = block.parent
    return isinstance(parent, nodes.container) and "cell_input" in parent.get("classes", [])


def _strip(app: Sphinx, doctree: nodes.document) -> None:
    for block in list(doctree.findall(nodes.literal_block)):
        if not _is_cell_source(block):
            continue
        source = block.astext()
        cleaned = strip_markers(source)
        if cleaned == source:
            continue
        if not cleaned.strip():  # nothing left to show: drop the input (and an empty cell)
            cell = block.parent.parent
            cell.remove(block.parent)
            if not any(child.children for child in cell.children):
                cell.parent.remove(cell)
            continue
        # Sphinx highlights a literal block only when its rawsource equals its text
        block.rawsource = cleaned
        block[:] = [nodes.Text(cleaned)]


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", _strip)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
