"""Keras' ``model.summary()`` shown in the book as a table that everyone can read.

In a notebook, ``model.summary()`` prints through ``rich``: a box drawn with line characters
(``┏━┳┓ │ ├─┼┤``) in a ``<pre>``, coloured spans that fail WCAG contrast on the book's light
and dark backgrounds (``#00d7ff`` is 1.56:1 on white), and a screen reader spells the box out
character by character. The notebooks keep that output unchanged (it is what a learner sees
when running them); when the book is built, each summary becomes:

* a real table (``<table>``, a header row, one row per layer) whose caption is the summary's
  first line, ``Model: "lenet5_sequential"``;
* a list of the totals that follow it (``Total params: 61,706 (241.04 KB)``, ...);

both plain docutils nodes, so the theme styles them in light and dark mode alike. Any other
``rich`` output (a ``<pre>`` with coloured spans) is shown as its plain text, without colours.

The summary is read from the output's ``text/plain`` form (ANSI colour codes removed), or
from its ``text/html`` form when there is no plain text.
"""

from __future__ import annotations

import html
import re

from docutils import nodes
from sphinx.application import Sphinx

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TAG = re.compile(r"<[^>]+>")
#: the ``<pre>`` that ``rich`` writes for Jupyter
RICH_PRE = re.compile(r"^\s*<pre style=\"white-space:pre;overflow-x:auto;line-height:normal;")
MODEL_LINE = re.compile(r'^\s*Model: "(?P<name>[^"]+)"\s*$')
TOTAL_LINE = re.compile(r"^\s*(?P<key>[A-Z][A-Za-z -]*params):\s*(?P<value>.+)$")
TOP_CORNERS = "┏┌╭╔"
ROW_SEPARATORS = "┃│║"
NUMERIC_HEADERS = {"Param #", "Params"}


def rich_text(bundle: nodes.Element) -> str | None:
    """The text of a ``rich`` output's mime bundle without colour codes, else None."""
    by_type = {child.get("mime_type"): child for child in bundle.children}
    html_part = by_type.get("text/html")
    if html_part is None or not RICH_PRE.match(html_part.astext()):
        return None
    plain = by_type.get("text/plain")
    if plain is not None:
        return ANSI.sub("", plain.astext())
    return html.unescape(TAG.sub("", html_part.astext()))


def _split(line: str, separator: str) -> list[str]:
    return [cell.strip() for cell in line.strip()[1:-1].split(separator)]


def parse_box_table(text: str) -> tuple[list[str], list[list[str]]] | None:
    """Header and rows of a table drawn with box characters, or None if ``text`` is not one.

    A row may span several lines (rich wraps a long cell): its fragments are joined with a
    space, as ``average_pooling2d_4`` and ``(AveragePooling2D)`` become one cell.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or lines[0].strip()[0] not in TOP_CORNERS:
        return None
    header: list[str] | None = None
    rows: list[list[str]] = []
    current: list[list[str]] = []  # the lines of the row being read

    def joined() -> list[str]:
        return [" ".join(filter(None, column)) for column in zip(*current, strict=True)]

    for line in lines:
        first = line.strip()[0]
        if first in ROW_SEPARATORS:
            cells = _split(line, first)
            if current and len(cells) != len(current[0]):
                return None
            current.append(cells)
        elif current:  # a border after some lines: the end of the header or of a row
            if header is None:
                header = joined()
            else:
                rows.append(joined())
            current.clear()
    if current:
        return None  # no closing border: not a table rich drew
    if header is None or any(len(row) != len(header) for row in rows):
        return None
    return header, rows


class summary_table(nodes.table):  # noqa: N801 - docutils names node classes in lower case
    """A table that Sphinx renders as any table but does not number ("Table 4.1"): Sphinx
    numbers nodes by their exact class, and dispatches visitors along the class's MRO."""


def _entry(text: str, numeric: bool) -> nodes.entry:
    entry = nodes.entry(classes=["keras-summary-number"] if numeric else [])
    entry += nodes.paragraph(text=text)
    return entry


def build_table(header: list[str], rows: list[list[str]], caption: str | None) -> nodes.table:
    """A docutils table of a summary: a caption, a header row, one row per layer."""
    numeric = [name in NUMERIC_HEADERS for name in header]
    table = summary_table(classes=["keras-summary", "colwidths-auto"])
    if caption:
        table += nodes.title(text=caption)
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    row = nodes.row()
    head += row
    for name, is_number in zip(header, numeric, strict=True):
        row += _entry(name, is_number)
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        body += row
        for cell, is_number in zip(cells, numeric, strict=True):
            row += _entry(cell, is_number)
    return table


def _totals(lines: list[tuple[str, str]]) -> nodes.field_list:
    fields = nodes.field_list(classes=["keras-summary-totals"])
    for key, value in lines:
        field = nodes.field()
        field += nodes.field_name(text=key)
        body = nodes.field_body()
        body += nodes.paragraph(text=value)
        field += body
        fields += field
    return fields


def _plain_output(text: str) -> nodes.literal_block:
    block = nodes.literal_block(text, text, classes=["output", "text_plain"])
    block["language"] = "none"
    return block


def rewrite_output(container: nodes.Element) -> int:
    """Rewrite the ``rich`` outputs of one cell's output area; return how many were changed.

    ``model.summary()`` displays its parts one after the other: the ``Model:`` line, the
    table, then one output per total. They become one table (captioned with the ``Model:``
    line) and one list of totals.
    """
    replacements: list[tuple[nodes.Node, list[nodes.Node]]] = []
    model: tuple[nodes.Node, str] | None = None  # a "Model:" line waiting for its table
    totals: list[tuple[str, str]] = []
    first_total: nodes.Node | None = None

    def settle() -> None:
        """Close what is open: a "Model:" line with no table after it, a list of totals."""
        nonlocal model, totals, first_total
        if model is not None:
            replacements.append((model[0], [_plain_output(model[1])]))
        if first_total is not None:
            replacements.append((first_total, [_totals(totals)]))
        model, totals, first_total = None, [], None

    for bundle in list(container.children):
        text = rich_text(bundle) if bundle.get("nb_element") == "mime_bundle" else None
        if text is None:
            settle()
            continue
        stripped = text.strip()
        heading = MODEL_LINE.match(stripped)
        table = parse_box_table(text)
        total_lines = [TOTAL_LINE.match(line) for line in stripped.splitlines()]
        if heading:
            settle()
            model = (bundle, f'Model: "{heading["name"]}"')
        elif table:
            caption = model[1] if model else None
            if model:
                replacements.append((model[0], []))
                model = None
            settle()
            replacements.append((bundle, [build_table(*table, caption)]))
        elif stripped and all(total_lines):
            if model is not None:  # a "Model:" line, then totals but no table
                settle()
            totals += [(m["key"].strip(), m["value"].strip()) for m in total_lines]
            if first_total is None:
                first_total = bundle
            else:
                replacements.append((bundle, []))
        else:
            settle()
            replacements.append((bundle, [_plain_output(text.rstrip("\n"))]))
    settle()
    for bundle, replacement in replacements:
        bundle.replace_self(replacement)
    return len(replacements)


def _rewrite(app: Sphinx, doctree: nodes.document) -> None:
    for container in list(doctree.findall(nodes.container)):
        if "cell_output" in container.get("classes", []):
            rewrite_output(container)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", _rewrite)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
