"""The book's "Launch > Colab" button opens a chapter's Colab edition, not its source.

sphinx-book-theme builds the button's link from the page's own path, ``chapters/NN_name.ipynb``:
the executed notebook the book is built from, whose MyST markup (glued numbers,
cross-references, exercise directives) Colab would show as literal text. Learners should get
``colab/NN_name.ipynb``, the plain notebook that ``python -m tools.editions`` generates, on
the same repository and branch (``_config.yml``), as the badge at the top of each chapter
does.

The theme adds its launch buttons to the page context in an ``html-page-context`` handler
of priority 501; this one runs after it and rewrites the Colab link of the chapters' pages.
A chapter without a generated Colab edition is reported as a warning (an error in the
book's build, which treats warnings as errors): run ``python -m tools.editions``.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

CHAPTERS = "chapters/"
EDITION_FOLDER = "colab"  # tools/editions.py writes the Colab edition there
BLOB_RE = re.compile(r"(https://colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/).*$")


def edition_url(url: str, pagename: str) -> str:
    """``url`` (the theme's Colab link to ``pagename``) pointed at its Colab edition."""
    name = pagename.rsplit("/", 1)[-1]
    return BLOB_RE.sub(lambda m: f"{m.group(1)}{EDITION_FOLDER}/{name}.ipynb", url)


def _launch_colab_edition(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree
) -> None:
    if not pagename.startswith(CHAPTERS):
        return
    for group in context.get("header_buttons", []):
        if not isinstance(group, dict) or group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            url = button.get("url", "")
            if not BLOB_RE.match(url):
                continue
            name = pagename.rsplit("/", 1)[-1]
            if not (Path(app.srcdir) / EDITION_FOLDER / f"{name}.ipynb").exists():
                logger.warning(
                    f"{pagename}: no Colab edition {EDITION_FOLDER}/{name}.ipynb for the Colab "
                    "launch button; run python -m tools.editions",
                    type="colab_links",
                    location=pagename,
                )
                continue
            button["url"] = edition_url(url, pagename)


def setup(app: Sphinx) -> dict:
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", _launch_colab_edition, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
