"""Serve the "Open in Colab" badge image from the book itself.

The notebooks show Colab's own badge image (what Colab and GitHub readers expect). In the
rendered book the same image would be fetched from colab.research.google.com, and fail for a
reader without internet. This extension swaps that one image for ``_static/colab-badge.svg``,
keeping the link and the alt text, so that every page reads fully offline.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx

REMOTE = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL = "_static/colab-badge.svg"


def _localise(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    depth = docname.count("/")
    src = "../" * depth + LOCAL
    for image in list(doctree.findall(nodes.image)):
        if image.get("uri") == REMOTE:
            alt = image.get("alt", "Open In Colab")
            image.replace_self(
                nodes.raw("", f'<img src="{src}" alt="{alt}" class="colab-badge">', format="html")
            )


def setup(app: Sphinx) -> dict:
    app.connect("doctree-resolved", _localise)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
