"""Small fixes that make the rendered book read cleanly, offline, with a quiet console.

* The notebooks show Colab's own badge image (what Colab and GitHub readers expect). In the
  book that image would be fetched from colab.research.google.com and fail for a reader
  without internet, so it is swapped for ``_static/colab-badge.svg``, keeping the link and the
  alt text.
* Jupyter Book 1 registers sphinx-thebe's inline configuration script twice on every page,
  which makes the browser report "Identifier 'THEBE_JS_URL' has already been declared": each
  page gets it once.
* The pydata theme reads the colour mode from ``default_mode``, which Jupyter Book leaves
  empty, so the browser logs "Got invalid theme mode"; it is set to ``auto`` (follow the
  reader's system).
* TensorFlow's own log lines that reach a cell's printed output (``WARNING:tensorflow:...``,
  such as "triggered tf.function retracing" when a chapter trains several models in a row)
  are left out of the book, as ``nb_output_stderr: remove`` leaves out its start-up notes;
  the notebooks keep them, as a real run prints them.

Readable by everyone (WCAG 2.1 A/AA, checked by ``tests/test_browser.py`` with axe-core):

* ``model.summary()`` becomes a table without colours (``keras_summary.py``), and the
  solutions lose their grading markers and hidden tests (``grading_markers.py``);
* docutils marks each reference with the ARIA role ``doc-biblioentry``, deprecated since
  DPUB-ARIA 1.1 (https://github.com/w3c/dpub-aria/pull/22), inside a ``role="list"``, which
  then holds no list items: each reference gets the role ``listitem`` instead;
* ``_static/book.css`` (links with enough contrast, long code and links that wrap on a phone,
  the summary tables) and ``_static/book.js`` (toggle buttons named after what they open,
  opened code blocks reachable by keyboard): Jupyter Book adds every ``.css`` and ``.js`` of
  ``_static/`` to each page.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx

REMOTE_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_BADGE = "_static/colab-badge.svg"


def _local_badge(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    src = "../" * docname.count("/") + LOCAL_BADGE
    for image in list(doctree.findall(nodes.image)):
        if image.get("uri") == REMOTE_BADGE:
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


TENSORFLOW_LOG = re.compile(r"^(WARNING|INFO|ERROR):tensorflow:.*\n?", re.M)


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
