"""The book's "Launch > Colab" button opens a chapter's Colab edition, ``colab/NN_name.ipynb``.

The theme would open ``chapters/NN_name.ipynb``, whose MyST markup Colab shows as text. A
chapter without a Colab edition is a warning (an error in the book's build): run
``python -m tools.editions``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the repository, for tools
from tools.chapter_format import EDITION_FOLDERS  # noqa: E402

logger = logging.getLogger(__name__)

CHAPTERS = "chapters/"
EDITION_FOLDER = EDITION_FOLDERS[True]
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
