"""Grading markers stay in the notebooks and out of the book.

The chapters' worked solutions sit between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (any
number of ``#``), the markers that nbgrader, otter-grader and ``tools/student.py`` read, and
nbgrader's hidden tests between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. A
reader of the book has no use for the markers, and hidden tests would give answers away. When
the book is built, every code cell loses:

* each line that is only a ``BEGIN SOLUTION`` or ``END SOLUTION`` marker;
* each hidden-test region, its two markers included (an unclosed region runs to the end of
  the cell);

and a cell whose code is then empty loses its input area (its outputs, if any, stay). Since
the page's code block is rewritten, the copy button copies what the page shows. The notebooks
and their ``.md`` twins keep every marker.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx

SOLUTION_MARKER = re.compile(r"^\s*#+\s*(BEGIN|END)\s+SOLUTION\b.*$")
HIDDEN_BEGIN = re.compile(r"^\s*#+\s*BEGIN\s+HIDDEN\s+TESTS\b.*$")
HIDDEN_END = re.compile(r"^\s*#+\s*END\s+HIDDEN\s+TESTS\b.*$")


def strip_markers(source: str) -> str:
    """``source`` without solution markers and hidden-test regions, blank edges trimmed.

    A source without any marker is returned unchanged.
    """
    kept: list[str] = []
    hidden = False
    lines = source.splitlines()
    for line in lines:
        if hidden:
            hidden = not HIDDEN_END.match(line)
            continue
        if HIDDEN_BEGIN.match(line):
            hidden = True
            continue
        if SOLUTION_MARKER.match(line):
            continue
        kept.append(line)
    if len(kept) == len(lines):
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
