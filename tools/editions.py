"""Write the Colab edition and the student edition of every chapter, and keep the chapters'
Colab badge and set-up cell in step with them.

    python -m tools.editions            # write colab/*.ipynb, student/*.ipynb, sync chapters/
    python -m tools.editions --check    # write nothing; exit 1 naming every stale file
    python -m tools.editions chapters/05_sequential.md    # some chapters only

A learner who presses a chapter's "Open in Colab" badge gets ``colab/NN_name.ipynb``: the
chapter as a plain notebook, with the worked solutions. ``student/NN_name.ipynb`` is the same
notebook with the solutions removed. Both are generated from the chapter's MyST source,
``chapters/NN_name.md``, and the values its executed twin ``chapters/NN_name.ipynb`` glued:

* the markdown is plain markdown (``tools.myst_markdown``): glued values are the book's
  numbers, marked † where a rerun gives others; cross-references and citations link into the
  rendered book (``html.baseurl`` in ``_config.yml``); exercises and solutions are headings
  "Exercise 4.1" and "Solution to Exercise 4.1", numbered as in the book;
* the first code cell installs ``lenet_utils`` at the version of ``pyproject.toml``, from the
  release tag of the repository (``git+https://github.com/OWNER/NAME@vX.Y.Z``), with
  ``--no-deps`` (Colab's TensorFlow, Keras and NumPy stay as they are), and only where
  ``lenet_utils`` cannot be imported already. The chapters' own set-up cell is the same
  cell, and their badge opens their Colab edition: this tool keeps both in step;
* no outputs and no execution counts; notebook metadata ``accelerator: GPU``,
  ``colab: {gpuType: T4, provenance: []}`` (Colab opens a GPU runtime) and
  ``lenet_edition`` (the source, the flavour, the helper's version), by which this tool
  knows the files it wrote: it overwrites or removes no other file.

The edition with solutions keeps every cell's ``nbgrader`` metadata and the ``# BEGIN
SOLUTION`` / ``# END SOLUTION`` and ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``
markers: graders build nbgrader and otter-grader assignments from it
(:func:`edition` with ``solutions=True``). The student edition is made from it by nbgrader's
own preprocessors: ``ClearSolutions`` (the answer code becomes ``# YOUR CODE HERE``, with no
``raise NotImplementedError()``, so that an unanswered notebook runs top to bottom; a written
answer becomes a "Your answer" prompt), ``ClearHiddenTests`` and nbconvert's
``ClearOutputPreprocessor``; then it is checked: no marker, no hidden test and no line found
only in a solution may survive.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from pathlib import Path

import jupytext
import nbformat

from tools.common import ROOT, book_config, repository, write_or_check
from tools.common import chapters as toc_chapters
from tools.myst_markdown import Book, Converter, EditionError, glue_values

__all__ = [
    "EditionError",
    "badge",
    "colab_url",
    "edition",
    "edition_path",
    "install_cell",
    "install_target",
    "solution_lines",
    "version",
]

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
NOTE_RE = re.compile(r"^\*The (Colab|student) edition of .*\*$", re.M)
"""The note that each edition has under its badge (one line; graders may drop it)."""
FOLDERS = {True: "colab", False: "student"}  # solutions -> folder of the edition

CAP_FIT_CELL = """\
import os as _cap_os
import keras as _cap_keras


def _capped_fit(self, *args, _fit=_cap_keras.Model.fit, _env=_cap_os.environ, **kwargs):
    if "epochs" in kwargs:  # a later %reset cannot take these names away: they are defaults
        kwargs["epochs"] = min(kwargs["epochs"], int(_env["LENET_MAX_EPOCHS"]))
    return _fit(self, *args, **kwargs)


_cap_keras.Model.fit = _capped_fit
"""
"""Run before a notebook by the checks that execute editions with training capped
(``LENET_MAX_EPOCHS``; the student-edition test, ``make colab-check``), never shown to a
learner: ``lenet_utils.train`` caps itself, and this caps a chapter's own ``model.fit(...,
epochs=...)`` too (chapter 5 calls ``fit`` itself, as it teaches it)."""
GENERATED_KEY = "lenet_edition"  # notebook metadata of every file this tool writes
OLD_GENERATED_KEY = "lenet_student"  # what the former tools/student.py wrote
COLAB_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
KEPT_CELL_METADATA = ("nbgrader", "tags")

PIP_ARGS = ("install", "--quiet", "--no-deps")
"""How the set-up cell calls pip (``make colab-check`` installs the helper the same way)."""

INSTALL_CELL = """\
# Set-up: install lenet_utils {version}, the course's helper package at the version this
# notebook was written for, unless it is installed already. --no-deps leaves the
# TensorFlow, Keras and NumPy of Colab (or of your computer) as they are.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("lenet_utils") is None:
    subprocess.run(
        [sys.executable, "-m", "pip", {pip_args},
         "{target}"],
        check=True,
    )"""

CODE_STUB = "# YOUR CODE HERE"
TEXT_STUB = "**Your answer:** *double-click this cell and write it here.*"
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


# -- Where things are ------------------------------------------------------------------------------


def version(root: Path = ROOT) -> str:
    """``lenet_utils``' version: ``[project] version`` of ``pyproject.toml``, the one place."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    with (root / "pyproject.toml").open("rb") as file:
        found = tomllib.load(file).get("project", {}).get("version")
    if not found or not re.fullmatch(r"\d+(\.\d+)*([a-z]+\d+)?", str(found)):
        raise EditionError(
            f"{root / 'pyproject.toml'}: [project] version must be a release number such as "
            f"0.2.0, got {found!r}"
        )
    return str(found)


def install_target(root: Path = ROOT) -> str:
    """What the set-up cell installs: the repository at the release tag ``v<version>``."""
    repo, _ = repository(root)
    return f"git+https://github.com/{repo}@v{version(root)}"


def install_cell(root: Path = ROOT, target: str | None = None) -> str:
    """The set-up cell's source; ``target`` replaces the git URL (``make colab-check``)."""
    return INSTALL_CELL.format(
        version=version(root),
        pip_args=", ".join(f'"{arg}"' for arg in PIP_ARGS),
        target=target or install_target(root),
    )


def edition_path(chapter_md: Path, *, solutions: bool, root: Path = ROOT) -> Path:
    """``colab/NN_name.ipynb`` (with solutions) or ``student/NN_name.ipynb``."""
    return root / FOLDERS[solutions] / f"{Path(chapter_md).stem}.ipynb"


def colab_url(notebook: Path, root: Path = ROOT) -> str:
    """The Colab link that opens ``notebook`` (a path in the repository) on the branch."""
    repo, branch = repository(root)
    rel = Path(notebook).resolve().relative_to(Path(root).resolve()).as_posix()
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/{rel}"


def badge(notebook: Path, root: Path = ROOT) -> str:
    """The "Open In Colab" badge line that opens ``notebook``."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook, root)})"


def chapter_badge(chapter_md: Path, root: Path = ROOT) -> str:
    """A chapter's badge: it opens the chapter's Colab edition (with solutions)."""
    return badge(edition_path(chapter_md, solutions=True, root=root), root)


def _default_root(chapter_md: Path) -> Path:
    return Path(chapter_md).resolve().parents[1]


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


# -- One edition -----------------------------------------------------------------------------------


def _is_setup_cell(source: str) -> bool:
    return "pip" in source and "install" in source


def _note(book: Book, page: str, solutions: bool) -> str:
    title = book_config(book.root).get("title", "the book")
    number = book.numbers.get(page)
    chapter = f"chapter {number}" if number else "a chapter"
    where = (
        f"{chapter} of [*{title}*]({book.baseurl}) "
        f"([this chapter in the book]({book.page_url(page)}))"
    )
    if solutions:
        return (
            f"*The Colab edition of {where}, with the worked solutions. "
            "Run the first code cell: it installs the course's helper package.*"
        )
    return (
        f"*The student edition of {where}: the worked solutions are left out. Write your code "
        f"where a cell says `{CODE_STUB}` and your words where a cell says **Your answer**; "
        "the cell after an exercise checks your answer. Run the first code cell first: it "
        "installs the course's helper package.*"
    )


def _cell_id(source: str, cell_type: str, taken: set[str]) -> str:
    """A stable id for a cell: from its content, so that regenerating changes nothing."""
    digest = hashlib.sha1(f"{cell_type}\n{source}".encode()).hexdigest()[:10]
    base = f"{cell_type[0]}{digest}"
    cell_id, n = base, 1
    while cell_id in taken:
        n += 1
        cell_id = f"{base}-{n}"
    taken.add(cell_id)
    return cell_id


def edition(
    chapter_md: Path,
    *,
    solutions: bool,
    root: Path | None = None,
    book: Book | None = None,
) -> nbformat.NotebookNode:
    """The Colab edition of ``chapter_md`` (``chapters/NN_name.md``), as a notebook.

    ``solutions=True``: the edition that the book's badges open, with the worked solutions,
    every cell's ``nbgrader`` metadata and the solution and hidden-test markers (what graders
    build assignments from). ``solutions=False``: the student edition. Nothing is written;
    ``book`` (``Book.load(root)``) may be shared between calls. Raises :class:`EditionError`
    with the chapter and cell named when the chapter cannot be converted.
    """
    chapter_md = Path(chapter_md).resolve()
    root = Path(root).resolve() if root is not None else _default_root(chapter_md)
    book = book if book is not None else Book.load(root)
    rel = _relative(chapter_md, root)
    page = rel.removesuffix(".md")
    if page not in book.pages:
        raise EditionError(f"{rel} is not a chapter of _toc.yml")
    source = jupytext.read(chapter_md)
    converter = Converter(
        book, page, glue_values(chapter_md.with_suffix(".ipynb")), solutions=solutions
    )
    nb = nbformat.v4.new_notebook()
    cells = []
    setup_done = False
    for index, cell in enumerate(source.cells):
        where = f"{rel}, cell {index}"
        kept = KEPT_CELL_METADATA if cell.cell_type == "code" else ("nbgrader",)
        metadata = {k: copy.deepcopy(v) for k, v in cell.metadata.items() if k in kept}
        if cell.cell_type == "code":
            text = cell.source
            if not setup_done:
                if not _is_setup_cell(text):
                    raise EditionError(
                        f"{where}: the first code cell must be the Colab set-up cell "
                        "(it installs lenet_utils); put it before any other code"
                    )
                text = install_cell(root)
                setup_done = True
            answer = metadata.get("nbgrader", {}).get("solution")
            if converter.in_solution and not answer and SOLUTION_MARKERS[0] not in text:
                raise EditionError(
                    f"{where}: a code cell inside a solution, with neither nbgrader "
                    "'solution' metadata nor # BEGIN SOLUTION / # END SOLUTION markers: "
                    "the student edition would show it; mark the answer"
                )
            new = nbformat.v4.new_code_cell(text, metadata=metadata)
        elif cell.cell_type == "markdown":
            is_answer = bool(cell.metadata.get("nbgrader", {}).get("solution"))
            text = converter.cell(cell.source, where, nbgrader=is_answer)
            if not text.strip() and not metadata:
                continue
            new = nbformat.v4.new_markdown_cell(text, metadata=metadata)
        else:
            continue  # raw cells: the book does not show them either
        cells.append(new)
    converter.finish(rel)
    if not setup_done:
        raise EditionError(f"{rel}: no code cell, so no Colab set-up cell")
    _badge_and_note(cells, book, page, chapter_md, solutions, root, rel)
    nb.cells = cells
    nb.metadata = nbformat.from_dict(
        {
            **copy.deepcopy(COLAB_METADATA),
            "kernelspec": dict(KERNELSPEC),
            "language_info": {"name": "python"},
            GENERATED_KEY: {
                "source": rel,
                "solutions": solutions,
                "lenet_utils": version(root),
            },
        }
    )
    if not solutions:
        _strip_solutions(nb, rel)
    taken: set[str] = set()
    for cell in nb.cells:
        cell.id = _cell_id(cell.source, cell.cell_type, taken)
    if not solutions:
        solved = edition(chapter_md, solutions=True, root=root, book=book)
        verify_student(nb, solved, rel)
    nbformat.validate(nb)
    return nb


def _badge_and_note(
    cells: list,
    book: Book,
    page: str,
    chapter_md: Path,
    solutions: bool,
    root: Path,
    where: str,
) -> None:
    """Point the first badge at this edition and put a note under it."""
    target = edition_path(chapter_md, solutions=solutions, root=root)
    for cell in cells:
        if cell.cell_type != "markdown" or not BADGE_RE.search(cell.source):
            continue
        lines = cell.source.split("\n")
        at = next(i for i, line in enumerate(lines) if BADGE_RE.search(line))
        lines[at] = BADGE_RE.sub(lambda _: badge(target, root), lines[at], count=1)
        lines[at + 1 : at + 1] = ["", _note(book, page, solutions)]
        cell.source = "\n".join(lines)
        return
    raise EditionError(f"{where}: no Colab badge line (put one under the title)")


def _strip_solutions(nb: nbformat.NotebookNode, where: str) -> None:
    """The student edition, in place: nbgrader's preprocessors remove solutions and tests."""
    from nbconvert.preprocessors import ClearOutputPreprocessor
    from nbgrader.preprocessors.clearhiddentests import ClearHiddenTests
    from nbgrader.preprocessors.clearsolutions import ClearSolutions

    # enforce_metadata=False: markers are found in any code cell; chapters not yet in the
    # nbgrader format (no "solution" metadata) are then handled too.
    steps = [
        ClearSolutions(
            code_stub={"python": CODE_STUB}, text_stub=TEXT_STUB, enforce_metadata=False
        ),
        ClearHiddenTests(enforce_metadata=False),
        ClearOutputPreprocessor(),
    ]
    for step in steps:
        try:
            step.preprocess(nb, {})
        except RuntimeError as error:  # nbgrader's message for unpaired markers
            raise EditionError(f"{where}: {error}") from None


# -- What a student edition must not contain -------------------------------------------------------


def _split(nb: nbformat.NotebookNode) -> tuple[list[str], list[str]]:
    """(lines of ``nb`` inside solutions or hidden tests, lines outside them)."""
    secret: list[str] = []
    public: list[str] = []
    for cell in nb.cells:
        lines = cell.source.split("\n")
        grading = cell.metadata.get("nbgrader", {})
        has_markers = any(m in cell.source for m in SOLUTION_MARKERS)
        if grading.get("solution") and (cell.cell_type == "markdown" or not has_markers):
            secret += lines  # a written answer, or a code cell that is all answer
            continue
        inside = False
        for line in lines:
            if SOLUTION_MARKERS[0] in line or HIDDEN_MARKERS[0] in line:
                inside = True
            elif SOLUTION_MARKERS[1] in line or HIDDEN_MARKERS[1] in line:
                inside = False
            else:
                (secret if inside else public).append(line)
    return secret, public


def solution_lines(nb: nbformat.NotebookNode) -> list[str]:
    """Every line of an edition with solutions that the student edition must not show.

    The written answers (markdown cells with nbgrader "solution" metadata), the code between
    the solution markers, code cells that are all solution, and the hidden tests.
    """
    return _split(nb)[0]


def _distinctive(line: str) -> bool:
    text = line.strip()
    return len(text) >= 12 and re.search(r"[A-Za-z0-9]{3}", text) is not None


def leaks(student: nbformat.NotebookNode, solved: nbformat.NotebookNode) -> list[str]:
    """What of ``solved``'s solutions survives in ``student`` (empty when nothing).

    A marker, an output, or a line (of 12 characters or more, compared without indentation)
    that ``solved`` has only inside a solution or a hidden test.
    """
    problems = []
    for number, cell in enumerate(student.cells):
        for marker in (*SOLUTION_MARKERS, *HIDDEN_MARKERS):
            if marker in cell.source:
                problems.append(f"cell {number} keeps the marker {marker!r}")
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"cell {number} keeps outputs or an execution count")
    secret, public = _split(solved)
    public_lines = {line.strip() for line in public}
    shown = {line.strip() for cell in student.cells for line in cell.source.split("\n")}
    for line in sorted({line.strip() for line in secret if _distinctive(line)}):
        if line in shown and line not in public_lines:
            problems.append(f"solution text survives: {line!r}")
    return problems


def verify_student(
    student: nbformat.NotebookNode, solved: nbformat.NotebookNode, where: str
) -> None:
    """Raise :class:`EditionError` if ``student`` shows anything of ``solved``'s solutions."""
    problems = leaks(student, solved)
    exercises = [c.source for c in solved.cells if re.match(r"#+ Exercise\b", c.source)]
    kept = [c.source for c in student.cells if re.match(r"#+ Exercise\b", c.source)]
    if len(kept) != len(exercises):
        problems.append(f"{len(exercises)} exercises became {len(kept)}")
    if problems:
        raise EditionError(f"{where}: the student edition leaks: " + "; ".join(problems[:5]))


# -- The chapters' own badge and set-up cell ----------------------------------------------------


def sync_chapter(chapter_md: Path, check: bool, root: Path = ROOT) -> bool:
    """Bring a chapter's badge and set-up cell in step; True if they were (would be) changed.

    Only the badge line and the first code cell's source change, in the ``.md`` and in its
    executed ``.ipynb`` (whose outputs stay).
    """
    chapter_md = Path(chapter_md).resolve()
    ipynb = chapter_md.with_suffix(".ipynb")
    where = _relative(chapter_md, root)
    new_badge, new_setup = chapter_badge(chapter_md, root), install_cell(root)
    text = chapter_md.read_text()
    if not BADGE_RE.search(text):
        raise EditionError(f"{where}: no Colab badge line to update; put one under the title")
    first_code = next(
        (c for c in jupytext.reads(text, fmt="md:myst").cells if c.cell_type == "code"), None
    )
    if first_code is None or not _is_setup_cell(first_code.source):
        raise EditionError(f"{where}: the first code cell must be the Colab set-up cell")
    new_text = BADGE_RE.sub(lambda _: new_badge, text, count=1)
    if first_code.source != new_setup:
        if new_text.count(first_code.source) != 1:
            raise EditionError(f"{where}: cannot find the set-up cell's source to replace it")
        new_text = new_text.replace(first_code.source, new_setup, 1)
    changed = new_text != text
    nb = nbformat.read(ipynb, as_version=4) if ipynb.exists() else None
    if nb is not None:
        badge_done = setup_done = False
        for cell in nb.cells:
            if cell.cell_type == "markdown" and not badge_done and BADGE_RE.search(cell.source):
                new = BADGE_RE.sub(lambda _: new_badge, cell.source, count=1)
                changed |= new != cell.source
                cell.source, badge_done = new, True
            elif cell.cell_type == "code" and not setup_done:
                changed |= cell.source != new_setup
                cell.source, setup_done = new_setup, True
    if changed and not check:
        chapter_md.write_text(new_text)
        if nb is not None:
            nbformat.write(nb, ipynb)
    return changed


# -- All of them -----------------------------------------------------------------------------------


def _generated(path: Path) -> bool:
    try:
        metadata = nbformat.read(path, as_version=4).metadata
    except Exception:
        return False
    return GENERATED_KEY in metadata or OLD_GENERATED_KEY in metadata


def build(
    root: Path = ROOT,
    *,
    check: bool = False,
    chapters: list[Path] | None = None,
    sync: bool = True,
) -> list[str]:
    """Write (or with ``check`` compare) the editions of ``chapters`` (all by default).

    Returns the report, one line per file: "wrote:", "removed:", "synced:" or, with
    ``check``, "stale:", "missing:", "orphan:", "out of step:". With all chapters, generated
    notebooks whose chapter is gone are removed (reported as orphans with ``check``).
    ``sync=False`` leaves the chapters' badge and set-up cell alone.
    """
    root = Path(root).resolve()
    book = Book.load(root)
    everything = chapters is None
    chapters = [Path(c).resolve() for c in (chapters or toc_chapters(root))]
    report: list[str] = []
    written: set[Path] = set()
    errors: list[str] = []
    for chapter in chapters:
        paths = {s: edition_path(chapter, solutions=s, root=root) for s in (True, False)}
        written.update(paths.values())
        for path in paths.values():
            if path.exists() and not _generated(path):
                raise EditionError(
                    f"{_relative(path, root)} exists and was not written by tools.editions; "
                    "move it away first"
                )
        try:  # both editions first: a chapter that fails leaves its files as they were
            texts = {
                s: nbformat.writes(edition(chapter, solutions=s, root=root, book=book)) + "\n"
                for s in paths
            }
            synced = sync and sync_chapter(chapter, True, root)
        except EditionError as error:
            errors.append(str(error))
            continue
        for solutions, path in paths.items():
            existed = path.exists()
            if write_or_check(path, texts[solutions], check):
                verb = ("stale" if existed else "missing") if check else "wrote"
                report.append(f"{verb}: {_relative(path, root)}")
        if synced:
            sync_chapter(chapter, check, root)
            verb = "out of step" if check else "synced"
            report.append(f"{verb}: {_relative(chapter, root)} (badge or set-up cell)")
    if errors:  # the others were written (or checked): say so, then what failed
        failure = EditionError("\n".join(errors))
        failure.report = report  # type: ignore[attr-defined]
        raise failure
    if everything:
        candidates = [
            path
            for folder in (*FOLDERS.values(), "student/chapters")
            for path in sorted((root / folder).glob("*.ipynb"))
        ]
        for path in candidates:
            if path in written or not _generated(path):
                continue
            if check:
                report.append(f"orphan: {_relative(path, root)} (its chapter is gone)")
            else:
                path.unlink()
                report.append(f"removed: {_relative(path, root)} (its chapter is gone)")
        old = root / "student" / "chapters"
        if not check and old.is_dir() and not any(old.iterdir()):
            old.rmdir()
    return report


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    doc = (__doc__ or "").split("\n\n")
    parser = argparse.ArgumentParser(
        prog="python -m tools.editions",
        description=doc[0],
        epilog="\n\n".join(doc[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1, naming them, if any edition or chapter is out of step",
    )
    parser.add_argument("chapters", nargs="*", type=Path, help="chapters/NN_name.md (all)")
    args = parser.parse_args(argv)
    try:
        report = build(root, check=args.check, chapters=args.chapters or None)
    except EditionError as error:
        for line in getattr(error, "report", []):
            print(line)
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in report:
        print(line)
    if args.check and report:
        print("run: python -m tools.editions", file=sys.stderr)
        return 1
    if args.check:
        print("the Colab and student editions and the chapters' badges are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
