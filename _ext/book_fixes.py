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
"""

from __future__ import annotations

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


def setup(app: Sphinx) -> dict:
    app.connect("doctree-resolved", _local_badge)
    app.connect("html-page-context", _clean_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
