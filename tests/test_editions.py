"""The Colab edition and the student edition (tools/editions.py, tools/myst_markdown.py).

Two kinds of test:

* on a fixture book (``tests/fixtures/book``: two chapters in the exercise format of the
  chapters, executed here into a temporary copy), what the generator does: plain markdown
  with the book's numbers, links and exercise numbers, the pinned set-up cell, the worked
  solutions as plain code in the Colab edition, nbgrader's metadata and markers kept for the
  graders and cleared for students, files written and checked;
* on the real book, what is committed: ``colab/`` and ``student/`` are current, hold no
  MyST, resolve every glued value and link only to pages the build produces; the student
  edition shows no solution and runs top to bottom (training capped at one epoch).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbclient
import nbformat
import pytest
from docutils.nodes import make_id
from leaks import leaks

from tools import chapter_format, colab_check, editions
from tools.common import ROOT, chapters, repository, toc_files
from tools.myst_markdown import MYST_TOKENS, Book, EditionError, glue_values, markdown_parser, walk

FIXTURE = Path(__file__).parent / "fixtures" / "book"
CHAPTERS = chapters()
COLAB = [editions.edition_path(md, solutions=True) for md in CHAPTERS]
STUDENT = [editions.edition_path(md, solutions=False) for md in CHAPTERS]
LINK_RE = re.compile(r"\]\((https?://[^)\s]+)\)")


def find_myst(text: str, extensions: frozenset[str]) -> list[str]:
    """Every MyST-only construct in ``text`` (a markdown cell), as short descriptions."""
    found = []
    for token in walk(markdown_parser(extensions).parse(text)):
        where = f"line {token.map[0] + 1}: " if token.map else ""
        if token.type in MYST_TOKENS:
            found.append(f"{where}{token.type} {token.content[:40]!r}")
        elif token.type == "fence" and token.info.strip().startswith("{"):
            found.append(f"{where}directive {token.info.strip()}")
    return found


def _execute(md: Path) -> None:
    """Run a fixture chapter and store it, executed, as its paired ``.ipynb``."""
    nb = jupytext.read(md)
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(md.parent)}}
    ).execute()
    jupytext.write(nb, md.with_suffix(".ipynb"))


@pytest.fixture(scope="session")
def executed_fixture(tmp_path_factory) -> Path:
    """The fixture book with its chapters executed (their glued values stored), read-only."""
    root = tmp_path_factory.mktemp("fixture") / "book"
    shutil.copytree(FIXTURE, root)
    for md in sorted((root / "chapters").glob("*.md")):
        _execute(md)
    return root


@pytest.fixture
def book(executed_fixture: Path, tmp_path: Path) -> Path:
    """A fresh copy of the executed fixture book, for tests that write."""
    root = tmp_path / "book"
    shutil.copytree(executed_fixture, root)
    return root


def _md(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _chapter(root: Path) -> Path:
    return root / "chapters" / "02_exercises.md"


# -- The edition with solutions, on the fixture ------------------------------------------------


def test_markdown_is_plain_with_the_books_numbers_links_and_citations(executed_fixture: Path):
    nb = editions.edition(_chapter(executed_fixture), solutions=True)
    book = Book.load(executed_fixture)
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            assert not find_myst(cell.source, book.extensions), f"cell {number}: {cell.source}"
    text = _md(nb)
    glued = glue_values(_chapter(executed_fixture).with_suffix(".ipynb"))
    accuracy = f"{float(glued['accuracy'].text):.1%}"
    base = "https://example-org.github.io/fixture-book/"
    # a number that depends on the run is marked, and the paragraph is followed by the note
    note = "<small>† From the book's run of this notebook"
    assert (
        f"right {accuracy}† of the time, best on *Trouser†*,\nworst on *Shirt†*.\n\n{note}" in text
    )
    # a machine-independent number (its cell is tagged nbval-check-output) is not marked
    assert "has 156 parameters" in text
    assert f"[Basics of the fixture]({base}chapters/01_basics.html)" in text
    assert f"[Count the shapes]({base}chapters/01_basics.html#sec-basics-shapes)" in text
    assert f"[the first chapter]({base}chapters/01_basics.html)" in text
    cite = f"{base}references.html#cite-"  # the anchor of the entry on the References page
    assert f"[Fukushima (1980)]({cite}fukushima1980neocognitron)" in text
    assert f"([LeCun et al., 1998]({cite}lecun1998gradient))" in text
    assert f"([LeCun et al., 1998]({cite}lecun1998gradient); [Cortes and Vapnik" in text
    assert f"[Exercise 2.1]({base}chapters/02_exercises.html#ex-exercises-conv2)" in text
    assert "> **Tip**\n>\n> A tip with a reference inside: [Exercise 2.1](" in text
    assert "Math stays as it is: $$\\sum_i w_i x_i + b$$" in text
    assert "`` {doc}`01_basics` ``" in text, "a role quoted in a code span stays literal"
    assert "(ch-exercises)=" not in text


def test_exercises_and_solutions_become_numbered_headings(executed_fixture: Path):
    nb = editions.edition(_chapter(executed_fixture), solutions=True)
    headings = re.findall(r"^#+ (?:Exercise|Solution) .*$", _md(nb), flags=re.M)
    assert headings == [
        "### Exercise 2.1",
        "#### Solution to Exercise 2.1",
        "### Exercise 2.2",
        "#### Solution to Exercise 2.2",
    ]


def test_the_note_on_the_books_run_follows_the_paragraph_never_a_title_or_prompt(
    executed_fixture: Path,
):
    nb = editions.edition(_chapter(executed_fixture), solutions=True)
    notes = [i for i, c in enumerate(nb.cells) if "† From the book's run" in c.source]
    title = next(i for i, c in enumerate(nb.cells) if c.source.startswith("# "))
    assert "† From" not in nb.cells[title].source and "%†" in nb.cells[title].source
    assert nb.cells[title + 1].source.startswith("<small>† From"), "the title's note: next cell"
    for index in notes:  # each note follows the block that quotes the run, under its heading
        before = nb.cells[index].source.split("<small>† From")[0]
        assert before == "" and index == title + 1 or "†" in before.rsplit("\n\n", 2)[-2]
    why = next(c.source for c in nb.cells if c.source.startswith("### Exercise 2.2"))
    assert why.index("Answer in a sentence or two.") < why.index("<small>† From")


def test_colab_edition_reads_as_a_notebook_without_grading_scaffolding(executed_fixture: Path):
    nb = editions.edition(_chapter(executed_fixture), solutions=True)
    text = "\n".join(c.source for c in nb.cells)
    assert not chapter_format.MARKER.search(text), "no solution or hidden-test markers"
    assert not any("nbgrader" in c.metadata for c in nb.cells)
    assert "conv2_params = 32 * (5 * 5 * 6 + 1)" in text, "the solution, as plain code"
    assert "conv2_params = None" not in text, "the students' stub goes"
    assert "assert conv2_params == 4_832" not in text, "hidden tests go"
    check = next(c for c in nb.cells if "exercise-check" in c.metadata.get("tags", []))
    assert check.source.startswith('print("Right." if conv2_params == 4_832')
    assert "The count does not depend on the size of the image." in text, "solution prose"


def test_glue_cells_go_and_figure_code_folds(executed_fixture: Path, book: Path):
    for solutions in (True, False):
        nb = editions.edition(_chapter(executed_fixture), solutions=solutions)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert not any('glue("worst_class"' in c.source for c in code)
        (form,) = [c for c in code if "@title" in c.source]
        assert form.source.startswith('# @title Draw the accuracy { display-mode: "form" }\n')
        assert form.metadata["cellView"] == "form"
    _broken(book, 'glue("worst_class", "Shirt")', 'worst = "Shirt"\nglue("worst_class", worst)')
    with pytest.raises(EditionError, match=r"cell \d+: a remove-cell cell may do nothing but"):
        editions.edition(_chapter(book), solutions=True)
    _broken(book, 'worst = "Shirt"\nglue("worst_class", worst)', 'glue("worst_class", "Shirt")')
    _broken(book, "# Draw the accuracy\n", "")
    with pytest.raises(EditionError, match=r"cell \d+: a hide-input cell starts with one comment"):
        editions.edition(_chapter(book), solutions=True)


def test_graders_get_nbgrader_metadata_and_markers(executed_fixture: Path):
    chapter = _chapter(executed_fixture)
    nb = editions.edition(chapter, solutions=True, grader=True)
    source = jupytext.read(chapter)
    expected = [c.metadata["nbgrader"] for c in source.cells if "nbgrader" in c.metadata]
    assert [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata] == expected
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for marker in ["# BEGIN SOLUTION", "# END SOLUTION", "### BEGIN HIDDEN TESTS"]:
        assert marker in code
    assert "conv2_params = 32 * (5 * 5 * 6 + 1)" in code
    assert "The count does not depend" not in _md(nb), "nbgrader takes no ungraded solution text"


def test_notebook_is_clean_and_opens_on_a_gpu(executed_fixture: Path):
    for solutions in (True, False):
        nb = editions.edition(_chapter(executed_fixture), solutions=solutions)
        assert nb.metadata["accelerator"] == "GPU"
        assert nb.metadata["colab"] == {"gpuType": "T4", "provenance": [], "toc_visible": True}
        assert nb.metadata["lenet_edition"]["solutions"] is solutions
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
        folder = "colab" if solutions else "student"
        badge = (
            "https://colab.research.google.com/github/example-org/fixture-book/blob/main/"
            f"{folder}/02_exercises.ipynb"
        )
        assert badge in nb.cells[0].source


def test_setup_cell_installs_the_pinned_release_where_missing_or_older(
    executed_fixture: Path, monkeypatch
):
    nb = editions.edition(_chapter(executed_fixture), solutions=True)
    cell = next(c.source for c in nb.cells if c.cell_type == "code")
    assert cell == editions.install_cell(executed_fixture)
    assert '"lenet-utils==0.0.1"' in cell and "--no-deps" in cell and "git+" not in cell
    install = cell.split("\nimport keras")[0]  # the rest imports Keras and prints (below)
    import importlib.metadata

    for installed, expected in (
        ("0.0.1", False),
        ("0.1.0", False),
        ("0.0.1rc1", True),
        (None, True),
    ):
        calls = []
        monkeypatch.setattr(subprocess, "run", lambda *a, calls=calls, **k: calls.append(a[0]))

        def version(name, found=installed):
            if found is None:
                raise importlib.metadata.PackageNotFoundError(name)
            return found

        monkeypatch.setattr(importlib.metadata, "version", version)
        exec(compile(install, "setup-cell", "exec"), {})
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "lenet-utils==0.0.1"]
        assert calls == ([pip] if expected else []), f"installed: {installed}"


def test_setup_cell_says_what_it_runs_with(executed_fixture: Path, capsys):
    cell = editions.install_cell(executed_fixture)
    exec(compile(cell, "setup-cell", "exec"), {})
    line = capsys.readouterr().out
    import keras

    import lenet_utils

    assert line.startswith(f"lenet_utils {lenet_utils.__version__}, Keras {keras.__version__} ")
    assert "(tensorflow), " in line and line.count("\n") == 1
    assert "GPU" in line and ("a GPU" in line or "Runtime > Change runtime type" in line)


def test_version_comes_from_pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    found = re.search(r'^version = "([^"]+)"', text, flags=re.M).group(1)
    assert editions.version() == found
    assert f'"lenet-utils=={found}"' in editions.install_cell()


def test_the_set_up_section_says_what_the_cell_does_and_the_last_cell_leads_on(
    executed_fixture: Path,
):
    nb = editions.edition(_chapter(executed_fixture), solutions=True)
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert nb.cells[setup - 1].source == f"## Set up\n\n{editions.SETUP_TEXT}"
    first = nb.cells[0].source
    assert "**File > Save a copy in Drive**" in first
    last = nb.cells[-1].source
    assert "**Next:**" not in last, "the last chapter of the book"
    assert "[Report it](https://github.com/example-org/fixture-book/issues)" in last
    assert "(https://example-org.github.io/fixture-book/chapters/02_exercises.html)" in last
    for solutions, folder in ((True, "colab"), (False, "student")):
        basics = editions.edition(executed_fixture / "chapters/01_basics.md", solutions=solutions)
        url = (
            f"https://colab.research.google.com/github/example-org/fixture-book/blob/main/{folder}"
        )
        assert f"**Next:** [chapter 2, *Exercises of the fixture*]({url}/02_exercises.ipynb)" in (
            basics.cells[-1].source
        )


# -- The student edition, on the fixture -------------------------------------------------------


def test_student_edition_keeps_questions_and_checks_and_loses_solutions(executed_fixture: Path):
    chapter = _chapter(executed_fixture)
    solved = editions.edition(chapter, solutions=True, grader=True)
    student = editions.edition(chapter, solutions=False)
    assert leaks(student, solved) == []
    text = "\n".join(c.source for c in student.cells)
    assert "conv2_params = None  # your answer: a whole number\n# YOUR CODE HERE" in text
    assert "NotImplementedError" not in text
    assert "Weights start from random numbers" not in text
    assert "Solution to" not in text
    assert text.count(chapter_format.TEXT_STUB) == 2, "each written answer becomes a prompt"
    assert 'print("Right." if conv2_params == 4_832' in text, "the visible check stays"
    assert "assert conv2_params == 4_832" not in text, "the hidden test goes"
    assert re.findall(r"^### Exercise 2\.\d$", _md(student), flags=re.M) == [
        "### Exercise 2.1",
        "### Exercise 2.2",
    ]


def test_leaks_are_found(executed_fixture: Path):
    chapter = _chapter(executed_fixture)
    solved = editions.edition(chapter, solutions=True, grader=True)
    student = editions.edition(chapter, solutions=False)
    line = "end at slightly different weights; the book quotes its own run."
    student.cells.append(nbformat.v4.new_markdown_cell(f"As the book says:\n\n  {line}"))
    student.cells.append(nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION"))
    found = " ".join(leaks(student, solved))
    assert "slightly different weights" in found and "BEGIN SOLUTION" in found


def test_unanswered_student_fixture_runs_top_to_bottom(executed_fixture: Path, tmp_path: Path):
    nb = editions.edition(_chapter(executed_fixture), solutions=False)
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    check = next(c for c in nb.cells if "exercise-check" in c.metadata.get("tags", []))
    assert "Not yet: None" in check.outputs[0]["text"]


# -- Files: write, check, sync, orphans --------------------------------------------------------


def test_build_writes_then_check_finds_nothing_stale(book: Path):
    report = editions.build(book)
    written = sorted(line for line in report if line.startswith("wrote:"))
    assert written == [
        "wrote: colab/01_basics.ipynb",
        "wrote: colab/02_exercises.ipynb",
        "wrote: student/01_basics.ipynb",
        "wrote: student/02_exercises.ipynb",
    ]
    assert sum(line.startswith("synced:") for line in report) == 2
    assert editions.build(book) == [], "regenerating must change nothing"
    assert editions.build(book, check=True) == []
    assert editions.main(["--check"], root=book) == 0


def test_check_names_stale_orphan_and_out_of_step_files(book: Path):
    editions.build(book)
    chapter = _chapter(book)
    chapter.write_text(chapter.read_text().replace("Convolutional networks", "ConvNets"))
    orphan = book / "colab" / "99_gone.ipynb"
    shutil.copy(book / "colab" / "01_basics.ipynb", orphan)
    basics = book / "chapters" / "01_basics.md"
    basics.write_text(basics.read_text().replace("/colab/01_basics.ipynb", "/x.ipynb"))
    before = {p: p.read_bytes() for p in book.rglob("*") if p.is_file()}
    report = editions.build(book, check=True)
    assert "stale: colab/02_exercises.ipynb" in report
    assert "stale: student/02_exercises.ipynb" in report
    assert "orphan: colab/99_gone.ipynb (its chapter is gone)" in report
    assert "out of step: chapters/01_basics.md (badge or set-up section)" in report
    assert {p: p.read_bytes() for p in book.rglob("*") if p.is_file()} == before
    assert editions.main(["--check"], root=book) == 1
    editions.build(book)
    assert not orphan.exists()
    assert editions.build(book, check=True) == []


def test_sync_points_the_chapter_badge_at_its_colab_edition(book: Path):
    chapter = _chapter(book)
    outputs = [c.get("outputs") for c in nbformat.read(chapter.with_suffix(".ipynb"), 4).cells]
    assert editions.sync_chapter(chapter, check=False, root=book)
    assert editions.chapter_badge(chapter, book) in chapter.read_text()
    assert "blob/main/colab/02_exercises.ipynb" in editions.chapter_badge(chapter, book)
    assert editions.install_cell(book) in chapter.read_text()
    paired = nbformat.read(chapter.with_suffix(".ipynb"), 4)
    assert [c.get("outputs") for c in paired.cells] == outputs, "outputs are kept"
    assert (
        editions.install_cell(book) == next(c for c in paired.cells if c.cell_type == "code").source
    )
    md_cells = [c.source for c in jupytext.read(chapter).cells]
    assert md_cells == [c.source for c in paired.cells], "the pair still agrees"
    assert not editions.sync_chapter(chapter, check=False, root=book)


def test_refuses_to_overwrite_a_file_it_did_not_write(book: Path):
    (book / "colab").mkdir()
    mine = book / "colab" / "01_basics.ipynb"
    mine.write_text(nbformat.writes(nbformat.v4.new_notebook()))
    with pytest.raises(EditionError, match="not written by tools.editions"):
        editions.build(book)
    assert editions.main([], root=book) == 2


# -- Errors that name the chapter, the cell and what to do ----------------------------------


def _broken(book: Path, old: str, new: str) -> Path:
    chapter = _chapter(book)
    text = chapter.read_text()
    assert old in text
    chapter.write_text(text.replace(old, new, 1))
    return chapter


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("```{tip}", "```{margin}", r"02_exercises.md, cell \d+, line \d+: the \{margin\} direct"),
        ("{doc}`01_basics` counted", "{kbd}`01_basics` counted", r"the \{kbd\} role"),
        ("{glue:text}`best_class`", "{glue:text}`nowhere`", r"'nowhere' is not glued"),
        ("{ref}`sec-basics-shapes`", "{ref}`sec-nowhere`", r"no label 'sec-nowhere'"),
        ("{doc}`01_basics` counted", "{doc}`09_nowhere` counted", r"not a page of the book"),
        ("{cite:p}`lecun1998gradient`", "{cite:p}`nobody2000`", r"no entry 'nobody2000'"),
        (
            "```{solution-end}\n```\n\n## Summary\n\n* Parameters are counted, not guessed "
            "({ref}`ex-exercises-conv2`).",
            "",
            r"has no solution-end",
        ),
        (
            "+++\n\n```{solution-end}",
            "```{code-cell} ipython3\nprint('a worked answer')\n```\n\n+++\n\n```{solution-end}",
            r"cell \d+: a code cell inside a solution without nbgrader 'solution' metadata",
        ),
        (
            "+++\n\nThe count does not depend",
            '+++ {"nbgrader": {"grade_id": "ex-x-y-z", "solution": false}}\n\nThe count',
            r"cell \d+: a markdown cell inside a solution without nbgrader 'solution' metadata",
        ),
    ],
)
def test_errors_name_the_chapter_and_cell(book: Path, old: str, new: str, message: str):
    chapter = _broken(book, old, new)
    with pytest.raises(EditionError, match=message):
        editions.edition(chapter, solutions=True)


def test_unpaired_markers_are_reported(book: Path):
    chapter = _broken(book, "# END SOLUTION\n", "")
    with pytest.raises(EditionError, match=r"02_exercises.md: no end solution"):
        editions.edition(chapter, solutions=False)


def test_an_unexecuted_chapter_is_reported(book: Path):
    _chapter(book).with_suffix(".ipynb").unlink()
    with pytest.raises(EditionError, match=r"execute the chapter first"):
        editions.edition(_chapter(book), solutions=True)


def test_a_missing_baseurl_is_reported(book: Path):
    config = book / "_config.yml"
    config.write_text(config.read_text().replace("baseurl:", "old_baseurl:"))
    with pytest.raises(EditionError, match=r"html.baseurl must be the rendered book's address"):
        editions.edition(_chapter(book), solutions=True)


@pytest.mark.parametrize(
    ("construct", "message"),
    [
        ("```{figure} lenet.png\n:name: fig-lenet\n\nLeNet-5.\n```", r"the \{figure\} directive"),
        ("```{note}\nA note.\n```", r"the \{note\} directive"),
        (":::{tip}\nA tip in a colon fence.\n:::", "colon fence has no plain-markdown form"),
        ("See {numref}`ex-exercises-conv2`.", r"the \{numref\} role"),
        ("Kernel\n: the small grid of weights.", "dl open has no plain-markdown form"),
        ("$$ a = b $$ (eq-a)", "math block label has no plain-markdown form"),
        ("\\begin{align}\na &= b\n\\end{align}", "amsmath has no plain-markdown form"),
        ("% A comment for the authors.", "myst line comment has no plain-markdown form"),
        ("See [the first chapter](01_basics.md).", r"link '01_basics.md': the editions keep only"),
        ("![LeNet](lenet.png)", r"image 'lenet.png': the editions keep only absolute"),
        ("* a list\n\n  ```{tip}\n  nested\n  ```", r"a \{tip\} directive inside a list"),
    ],
)
def test_what_the_chapters_do_not_use_is_refused(book: Path, construct: str, message: str):
    chapter = _broken(book, "## Exercises", f"{construct}\n\n## Exercises")
    with pytest.raises(EditionError, match=r"02_exercises.md, cell \d+, line \d+: " + message):
        editions.edition(chapter, solutions=True)


def test_launch_button_opens_the_colab_edition(book: Path):
    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        import colab_links
    finally:
        sys.path.remove(str(ROOT / "_ext"))
    editions.build(book)

    class App:
        srcdir = str(book)

    url = "https://colab.research.google.com/github/example-org/fixture-book/blob/main/"
    buttons = [{"url": f"{url}chapters/02_exercises.ipynb", "text": "Colab"}]
    context = {"header_buttons": [{"label": "launch-buttons", "buttons": buttons}]}
    colab_links._launch_colab_edition(App(), "chapters/02_exercises", "page.html", context, None)
    assert buttons[0]["url"] == f"{url}colab/02_exercises.ipynb"
    assert buttons[0]["url"] == editions.colab_url(
        editions.edition_path(_chapter(book), solutions=True, root=book), book
    )


# -- The real book: what is committed ----------------------------------------------------------


def test_editions_are_committed_and_current():
    assert [p.name for p in COLAB] == [p.name for p in sorted((ROOT / "colab").glob("*.ipynb"))]
    assert [p.name for p in STUDENT] == [p.name for p in sorted((ROOT / "student").glob("*.ipynb"))]
    report = editions.build(ROOT, check=True)
    assert report == [], f"run python -m tools.editions: {report}"


@pytest.mark.parametrize("notebook", COLAB + STUDENT, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_myst_only_syntax_is_left(notebook: Path):
    extensions = Book.load(ROOT).extensions
    nb = nbformat.read(notebook, as_version=4)
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found = find_myst(cell.source, extensions)
            assert not found, f"{notebook.name}, cell {number}: {found}"
        else:
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_every_glue_name_used_in_a_chapter_is_resolved(md: Path):
    extensions = Book.load(ROOT).extensions
    used = set()
    for cell in jupytext.read(md).cells:
        if cell.cell_type != "markdown":
            continue
        for token in markdown_parser(extensions).parse(cell.source):
            for child in token.children or []:
                if child.type == "myst_role" and child.meta["name"].startswith("glue"):
                    used.add(child.content.split(":")[0])
    glued = set(glue_values(md.with_suffix(".ipynb")))
    assert used <= glued, f"{md.stem} quotes {sorted(used - glued)}, never glued in its run"


@pytest.mark.parametrize("notebook", COLAB + STUDENT, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_links_into_the_book_point_at_pages_it_builds(notebook: Path):
    book = Book.load(ROOT)
    pages = set(toc_files())
    for url in LINK_RE.findall(_md(nbformat.read(notebook, as_version=4))):
        if url.startswith(book.baseurl):
            page, _, anchor = url[len(book.baseurl) :].partition("#")
            if not page:  # the book's home page
                continue
            assert page.endswith(".html") and page[:-5] in pages, f"{notebook.name}: {url}"
            if page[:-5] == book.references:  # sphinxcontrib-bibtex's anchor of an entry
                keys = re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(), re.M)
                assert anchor in {make_id(f"cite-{key}") for key in keys}, f"{notebook.name}: {url}"
            elif anchor:
                assert any(
                    t.page == page[:-5] and t.anchor == anchor for t in book.labels.values()
                ), f"{notebook.name}: no #{anchor} on {page}"
        elif ours := re.search(rf"{'/blob/'.join(map(re.escape, repository()))}/(\S+)", url):
            assert (ROOT / ours[1]).exists(), f"{notebook.name}: {url} names no file"


@pytest.mark.parametrize("notebook", COLAB, ids=lambda p: p.stem)
def test_colab_edition_is_a_notebook_for_self_learners(notebook: Path):
    nb = nbformat.read(notebook, as_version=4)
    assert nb.metadata["colab"]["toc_visible"] is True
    text = "\n".join(c.source for c in nb.cells)
    assert not chapter_format.MARKER.search(text) and "nbgrader" not in json.dumps(nb.metadata)
    assert not any("nbgrader" in c.metadata for c in nb.cells)
    assert "**File > Save a copy in Drive**" in nb.cells[0].source
    assert "† From" not in nb.cells[0].source, "the title cell has no note on the book's run"
    assert "[Report it](https://github.com/" in nb.cells[-1].source
    references = Book.load(ROOT).page_url("references")
    assert all("#cite-" in url for url in LINK_RE.findall(text) if url.startswith(references))
    for cell in nb.cells:  # a heading has something under it before the next one
        if re.fullmatch(r"#+ .*", cell.source.strip()):
            following = nb.cells[nb.cells.index(cell) + 1]
            assert not following.source.startswith("#"), f"an empty {cell.source!r}"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_shows_no_solution(md: Path):
    solved = editions.edition(md, solutions=True, grader=True)  # what nbgrader clears
    student = nbformat.read(editions.edition_path(md, solutions=False), as_version=4)
    assert leaks(student, solved) == []
    assert "Solution to" not in _md(student)
    exercise = re.compile(r"^#+ Exercise\b", re.M)
    assert len(exercise.findall(_md(student))) == len(exercise.findall(_md(solved)))
    assert not any(c.get("outputs") for c in student.cells if c.cell_type == "code")


def test_links_into_the_book_exist_in_its_build(book_html: Path):
    baseurl = Book.load(ROOT).baseurl
    for notebook in COLAB + STUDENT:
        for url in LINK_RE.findall(_md(nbformat.read(notebook, as_version=4))):
            if not url.startswith(baseurl):
                continue
            page, _, anchor = url[len(baseurl) :].partition("#")
            html = book_html / (page or "index.html")
            assert html.exists(), f"{notebook.name}: {url} is not a page of the build"
            if anchor:
                assert f'id="{anchor}"' in html.read_text(), f"{notebook.name}: no #{anchor}"


def test_the_books_launch_buttons_open_the_colab_edition(book_html: Path):
    for md in CHAPTERS:
        page = (book_html / "chapters" / f"{md.stem}.html").read_text()
        expected = editions.colab_url(editions.edition_path(md, solutions=True))
        links = set(re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page))
        assert links == {expected}, f"{md.stem}: Colab links {links}, expected {expected}"


# Run before each student notebook, in the one kernel that runs them all: a namespace, a
# working folder, Keras' state and the figures of its own, as in a fresh kernel.
FRESH_START = """\
%reset -f
import os, sys
os.chdir({folder!r})
if "keras" in sys.modules:
    sys.modules["keras"].backend.clear_session()
if "matplotlib.pyplot" in sys.modules:
    sys.modules["matplotlib.pyplot"].close("all")
"""


def test_student_edition_runs_top_to_bottom(tmp_path: Path, monkeypatch):
    # Unanswered exercises must not stop a notebook. Training is capped at one epoch
    # (LENET_MAX_EPOCHS): this proves that the notebooks run; the full run is nbval's, on
    # chapters/. To keep it cheap, one kernel runs them all, one after the other, each from
    # a clean namespace (%reset) in a folder of its own: the kernel starts and TensorFlow is
    # imported once, not once per chapter.
    monkeypatch.setenv("LENET_MAX_EPOCHS", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    combined = nbformat.v4.new_notebook()
    combined.cells.append(nbformat.v4.new_code_cell(colab_check.CAP_FIT))
    origin = ["the cap on model.fit's epochs"]
    for notebook in STUDENT:
        folder = tmp_path / notebook.stem
        folder.mkdir()
        combined.cells.append(nbformat.v4.new_code_cell(FRESH_START.format(folder=str(folder))))
        origin.append(f"{notebook.name} (fresh start)")
        for number, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
            if cell.cell_type == "code":
                combined.cells.append(nbformat.v4.new_code_cell(cell.source))
                origin.append(f"{notebook.name}, cell {number}")
    client = nbclient.NotebookClient(
        combined,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        failed = next(
            i
            for i, cell in enumerate(combined.cells)
            if any(o.output_type == "error" for o in cell.get("outputs", []))
        )
        pytest.fail(f"{origin[failed]} fails:\n{str(error)[-3000:]}")


# -- make colab-check's pieces (the check itself runs Colab's TensorFlow: not in make test) ----


def test_runtime_pins_every_package_and_names_colabs_python():
    python, pins = colab_check.read_runtime()
    assert python == "3.13"
    for name, version in {
        "tensorflow": "2.20.0",
        "keras": "3.13.2",
        "numpy": "2.1.3",
        "ipykernel": "6.17.1",
        "setuptools": "75.2.0",
    }.items():
        assert pins[name] == f"{name}=={version}"
    assert "lenet-utils" not in pins


def test_update_runtime_follows_colabs_freeze(tmp_path: Path):
    runtime = tmp_path / "runtime.txt"
    runtime.write_text("# python: 3.13\nkeras==3.13.2\nnumpy==2.1.3\nnamex==0.1.0\n")
    freeze = tmp_path / "pip-freeze.gpu.txt"
    freeze.write_text("Keras==3.14.0\nnumpy==2.1.3\ngoogle-colab @ file:///colabtools\n")
    changes = colab_check.update_runtime(freeze, runtime)
    assert changes == [
        "keras: 3.13.2 -> 3.14.0",
        "namex: not in Colab's list any more (kept at 0.1.0)",
    ]
    assert runtime.read_text() == "# python: 3.13\nkeras==3.14.0\nnumpy==2.1.3\nnamex==0.1.0\n"


def test_uv_makes_the_environment(monkeypatch, tmp_path: Path):
    calls = []
    monkeypatch.setattr(colab_check, "_uv", lambda *args: calls.append(args) or "")
    monkeypatch.delenv("COLAB_PYTHON", raising=False)
    venv = colab_check.make_venv(tmp_path / "venv")
    python = str(venv / "bin" / "python")
    assert calls == [
        ("venv", "--allow-existing", "--python", "3.13", str(venv)),
        ("pip", "sync", "--python", python, str(colab_check.RUNTIME)),
    ]
    monkeypatch.setenv("COLAB_PYTHON", "/opt/python3.13")
    colab_check.make_venv(tmp_path / "venv", rebuild=True)
    assert calls[2][:4] == ("venv", "--clear", "--python", "/opt/python3.13")


def test_no_python_313_is_explained(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("COLAB_PYTHON", str(tmp_path / "nothing"))
    with pytest.raises(colab_check.CheckError, match=r"(?s)uv python install 3\.13.*COLAB_PYTHON="):
        colab_check.make_venv(tmp_path / "venv")


def test_only_lenet_utils_may_change_in_the_freeze():
    assert colab_check.freeze_problems(["+lenet-utils @ file:///tmp/x"]) == []
    assert colab_check.freeze_problems(
        ["+lenet-utils @ file:///tmp/x", "-numpy==2.1.3", "+numpy==2.4.0"]
    ) == ["-numpy==2.1.3", "+numpy==2.4.0"]
    assert colab_check.freeze_problems([]) == ["lenet-utils was not installed"]


def test_warnings_from_keras_tensorflow_and_lenet_utils_are_told_apart(monkeypatch, tmp_path):
    import warnings

    log = tmp_path / "warnings.jsonl"
    monkeypatch.setenv(colab_check.WARNINGS_VAR, str(log))

    def module(name: str, code: str, **names) -> dict:
        namespace = {"__name__": name, "warnings": warnings, **names}
        exec(compile(code, f"/site-packages/{name.replace('.', '/')}.py", "exec"), namespace)
        return namespace

    numpy_like = module("numpy.core", "def old():\n    warnings.warn('old', DeprecationWarning)")
    keras_like = module(
        "keras.src.layers",
        "def layer():\n    warnings.warn('input_shape', UserWarning, stacklevel=2)\n"
        "def calls_numpy():\n    old()",
        old=numpy_like["old"],
    )
    plots = module("matplotlib.text", "def draw():\n    old()", old=numpy_like["old"])
    with warnings.catch_warnings():
        warnings.showwarning = lambda *args, **kwargs: None  # what the hook passes them on to
        exec(colab_check.WARNINGS_HOOK, {})
        keras_like["layer"]()  # attributed to this test's code by stacklevel=2
        keras_like["calls_numpy"]()  # NumPy warns, Keras called it
        plots["draw"]()  # NumPy warns, Matplotlib called it: not ours
    found = [json.loads(line) for line in log.read_text().splitlines()]
    assert [w["message"] for w in found] == ["input_shape", "old", "old"]
    assert [colab_check._watched(w) for w in found] == [True, True, False]


def test_known_upstream_warnings_are_matched_narrowly():
    seen = {  # what Colab's TensorFlow 2.20 gave in chapter 7's fit()
        "category": "DeprecationWarning",
        "message": "__array__ implementation doesn't accept a copy keyword, so passing "
        "copy=False failed. __array__ must implement 'dtype' and 'copy' keyword arguments.",
        "origin": "keras.src.backend.tensorflow.core",
        "callers": ["keras.src.utils.python_utils", "keras.src.trainers.trainer"],
    }
    assert any(known.matches(seen) for known in colab_check.KNOWN)
    direct = seen | {"callers": ["__main__"]}  # a chapter's own np.array(variable)
    assert not any(known.matches(direct) for known in colab_check.KNOWN)


def test_the_note_under_the_badge_is_one_line_and_graders_get_neither(executed_fixture: Path):
    note = re.compile(r"^\*The (Colab|student) edition of .*\*$", re.M)
    for solutions in (True, False):
        first = editions.edition(_chapter(executed_fixture), solutions=solutions).cells[0]
        assert len(note.findall(first.source)) == 1
    graders = editions.edition(_chapter(executed_fixture), solutions=True, grader=True)
    text = _md(graders)
    assert not note.search(text) and "colab.research.google.com" not in text
    assert graders.cells[0].source.startswith("# Exercises of the fixture\n\nConvolutional")
