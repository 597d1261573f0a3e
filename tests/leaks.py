"""What of a notebook's solutions survives in the notebook handed out (student edition,
nbgrader release, otter student notebook): the tests of the editions and of the graders.
Our own, as neither grader checks what it handed out."""

from __future__ import annotations

import re

import nbformat

from tools import chapter_format


def _split(nb: nbformat.NotebookNode) -> tuple[list[str], list[str]]:
    """(lines of ``nb`` inside solutions or hidden tests, lines outside them)."""
    secret: list[str] = []
    public: list[str] = []
    for cell in nb.cells:
        marked = cell.cell_type == "code" and chapter_format.MARKER.search(cell.source)
        if cell.metadata.get("nbgrader", {}).get("solution") and not marked:
            secret += cell.source.split("\n")  # a written answer, or code that is all answer
            continue
        for line, place in chapter_format.regions(cell.source):
            if place != "marker":
                (secret if place else public).append(line)
    return secret, public


def _strings(value: object) -> list[str]:
    """Every string in a notebook's metadata (otter keeps the public tests there)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def leaks(handed_out: nbformat.NotebookNode, solved: nbformat.NotebookNode) -> list[str]:
    """What of ``solved``'s solutions survives in ``handed_out`` (empty when nothing).

    A marker, an output, a line (of 12 characters or more, compared without indentation)
    that ``solved`` has only inside a solution or a hidden test, or a hidden test's line in
    the metadata (where otter stores the tests that students may run).
    """
    problems = []
    for number, cell in enumerate(handed_out.cells):
        marker = chapter_format.MARKER.search(cell.source)
        if marker:
            problems.append(f"cell {number} keeps the marker {marker[0]!r}")
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"cell {number} keeps outputs or an execution count")
    secret, public = _split(solved)
    public_lines = {line.strip() for line in public}
    shown = {line.strip() for cell in handed_out.cells for line in cell.source.split("\n")}
    distinctive = {
        line.strip()
        for line in secret
        if len(line.strip()) >= 12 and re.search(r"[A-Za-z0-9]{3}", line)
    }
    for line in sorted(distinctive - public_lines):
        if line in shown:
            problems.append(f"solution text survives: {line!r}")
    hidden = {
        line.strip()
        for cell in solved.cells
        if cell.cell_type == "code"
        for line in chapter_format.lines_in(cell.source, "hidden").split("\n")
        if len(line.strip()) >= 12
    }
    metadata = "\n".join(_strings(dict(handed_out.metadata)))
    metadata += "\n".join(s for cell in handed_out.cells for s in _strings(dict(cell.metadata)))
    problems += [f"hidden test in the metadata: {line!r}" for line in hidden if line in metadata]
    return problems
