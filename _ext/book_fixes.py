"""Small fixes that make the rendered book read cleanly, offline, for everyone (WCAG 2.1 AA).

* Colab's badge image is served from ``_static/colab-badge.svg`` (the book reads offline).
* sphinx-thebe's inline script, which Jupyter Book 1 registers twice, is given once, and the
  theme's colour mode is ``auto``: a quiet browser console.
* TensorFlow's own log lines in a cell's printed output are left out of the page (the
  notebooks keep them, as a real run prints them).
* A reference is a ``listitem`` of the references' list, not ``doc-biblioentry`` (deprecated
  in DPUB-ARIA 1.1); ``model.summary()`` becomes a table (``keras_summary.py``), and grading
  markers and hidden tests go (``grading_markers.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the repository, for tools
from tools.chapter_format import BADGE_IMAGE, TENSORFLOW_LOG  # noqa: E402

LOCAL_BADGE = "_static/colab-badge.svg"


def _local_badge(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    src = "../" * docname.count("/") + LOCAL_BADGE
    for image in list(doctree.findall(nodes.image)):
        if image.get("uri") == BADGE_IMAGE:
            alt = image.get("alt", "Open In Colab")
            html = f'<img src="{src}" alt="{alt}" class="colab-badge">'
            image.replace_self(nodes.raw("", html, format="html"))


def _clean_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    seen, scripts = set(), []
    for script in context.get("script_files", []):
        # an inline script is registered once with filename None and once with "": same script
        filename = getattr(script, "filename", script) or ""
        key = (str(filename), repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            scripts.append(script)
    if "script_files" in context:
        context["script_files"] = scripts
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def _quiet_tensorflow(app: Sphinx, doctree: nodes.document) -> None:
    for block in list(doctree.findall(nodes.literal_block)):
        if "stream" not in block.get("classes", []):
            continue
        text = block.astext()
        cleaned = TENSORFLOW_LOG.sub("", text)
        if cleaned == text:
            continue
        if cleaned.strip():
            block.rawsource = cleaned
            block[:] = [nodes.Text(cleaned)]
        else:
            block.parent.remove(block)


class _ListItemCitations:
    """Mixed into the HTML translator: a reference is a ``listitem`` of its citation list."""

    def visit_citation(self, node):
        super().visit_citation(node)
        self.body[-1] = self.body[-1].replace('role="doc-biblioentry"', 'role="listitem"')


def _citations_as_list_items(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    name = app.builder.name
    base = app.registry.translators.get(name) or app.builder.default_translator_class
    if not issubclass(base, _ListItemCitations):
        app.set_translator(name, type("BookHTMLTranslator", (_ListItemCitations, base), {}), True)


def setup(app: Sphinx) -> dict:
    app.setup_extension("keras_summary")
    app.setup_extension("grading_markers")
    app.connect("doctree-resolved", _local_badge)
    app.connect("doctree-read", _quiet_tensorflow)
    app.connect("html-page-context", _clean_page)
    # after the pydata theme has put its own translator in place (priority 500)
    app.connect("builder-inited", _citations_as_list_items, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
