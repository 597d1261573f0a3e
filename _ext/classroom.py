"""The classroom editions in the book: each chapter's lecture slides and the book as a PDF.

``make slides`` writes ``slides/NN_name.html`` (``tools/slides.py``) and ``make pdf`` the
whole book as one PDF into the built book, beside its pages. This extension links them:

* every page's download menu in the top bar offers the book's PDF (the theme's ".pdf" there
  only prints the page at hand: it is renamed "Page (print)");
* each chapter's top bar has a "Slides" button that opens the chapter's deck;
* in the PDF, the chapters' Colab badge is a link named "Open In Colab" (the image is
  Colab's, in SVG);
* in the PDF, exercises, figures and tables are numbered as in the HTML book (3.1, not 3.6.1);
* the ``{classroom-editions}`` directive lists every chapter's deck and the PDF (the
  Instructor guide). In the HTML book the links are relative, so they work offline; in the
  PDF they lead to the published book (``html.baseurl``).

The PDF's file name is the LaTeX builder's target name (``latex.latex_documents.targetname``
in ``_config.yml``, with ``.pdf`` for ``.tex``).
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

CHAPTERS = "chapters/"
SLIDES = "slides"
REMOTE_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def pdf_name(app: Sphinx) -> str:
    documents = app.config.latex_documents
    target = documents[0][1] if documents else "book.tex"
    return target.rsplit(".", 1)[0] + ".pdf"


def _buttons(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    buttons = context.get("header_buttons")
    if buttons is None:
        return
    pathto = context["pathto"]
    for group in buttons:
        if isinstance(group, dict) and group.get("label") == "download-buttons":
            for button in group["buttons"]:
                if button.get("label") == "download-pdf-button":
                    button.update(text="Page (print)", tooltip="Print this page")
            pdf = dict(type="link", url=pathto(pdf_name(app), 1), text="Book (.pdf)")
            pdf.update(icon="fas fa-book", tooltip="Download the whole book as one PDF")
            group["buttons"].append({**pdf, "label": "download-book-pdf-button"})
    if pagename.startswith(CHAPTERS):
        url = pathto(f"{SLIDES}/{pagename.rsplit('/', 1)[-1]}.html", 1)
        slides = dict(type="link", url=url, icon="fas fa-person-chalkboard")
        slides.update(tooltip="Lecture slides of this chapter", label="slides-button")
        buttons.insert(0, {**slides, "classes": "pst-navbar-icon"})


class ClassroomEditions(SphinxDirective):
    """A list: each chapter's slides (with a link to the chapter), then the book's PDF."""

    def run(self) -> list[nodes.Node]:
        pages = self.env.external_site_map.keys()  # _toc.yml's pages, in order
        chapters = [page for page in pages if page.startswith(CHAPTERS)]
        items = nodes.bullet_list()
        for number, page in enumerate(chapters, start=1):
            name = page.rsplit("/", 1)[-1]
            chapter = addnodes.pending_xref(
                "", nodes.inline(), refdomain="std", reftype="doc", reftarget=f"/{page}",
                refexplicit=False, refwarn=True, refdoc=self.env.docname,
            )  # fmt: skip
            item = _item(f"{SLIDES}/{name}.html", f"Chapter {number}, slides")
            item[0] += [nodes.Text(": "), chapter]
            items += item
        items += _item(pdf_name(self.env.app), "The whole book as one PDF")
        return [items]


def _item(uri: str, text: str) -> nodes.list_item:
    reference = nodes.reference("", text, refuri=uri, classes=["classroom-edition"])
    return nodes.list_item("", nodes.paragraph("", "", reference))


class AbsoluteOutsideHtml(SphinxPostTransform):
    """In the PDF the editions' links lead to the published book."""

    default_priority = 900
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for reference in self.document.findall(nodes.reference):
            if "classroom-edition" in reference.get("classes", []):
                reference["refuri"] = self.config.html_baseurl + reference["refuri"]


class PrintedBadge(SphinxPostTransform):
    """In the PDF the chapters' Colab badge (an image on Colab's site, which the PDF would
    fetch, and in SVG) is its alt text, "Open In Colab", still linked to the notebook."""

    default_priority = 50  # before Sphinx fetches remote images (100)
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for image in list(self.document.findall(nodes.image)):
            if image.get("uri") == REMOTE_BADGE:
                image.replace_self(nodes.Text(image.get("alt") or "Open In Colab"))


def _numbers_as_in_the_book(app: Sphinx) -> None:
    """sphinx-jupyterbook-latex numbers exercises, figures and tables within sections when the
    book has parts ("Exercise 3.6.1"); the HTML book and the editions say "Exercise 3.1"."""
    if app.builder.format == "latex":
        app.config.numfig_secnum_depth = 1


def setup(app: Sphinx) -> dict:
    app.add_directive("classroom-editions", ClassroomEditions)
    app.add_post_transform(AbsoluteOutsideHtml)
    app.add_post_transform(PrintedBadge)
    # after sphinx-jupyterbook-latex's builder-inited handler (priority 500)
    app.connect("builder-inited", _numbers_as_in_the_book, priority=900)
    # after sphinx-book-theme's header buttons (priority 501)
    app.connect("html-page-context", _buttons, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
