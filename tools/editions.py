"""Write the Colab and student editions of every chapter; keep the chapters' badge and set-up
section in step with them.

    python -m tools.editions            # write colab/*.ipynb, student/*.ipynb, sync chapters/
    python -m tools.editions --check    # write nothing; exit 1 naming every stale file
    python -m tools.editions chapters/05_sequential.md    # some chapters only

``colab/NN_name.ipynb`` (what a chapter's badge opens) is the chapter as a plain notebook for
self-learners, the worked solutions as ordinary code; ``student/NN_name.ipynb`` leaves them out.
Both are made from the chapter's ``.md`` and the values its ``.ipynb`` glued. This tool
overwrites or removes only the files it wrote (notebook metadata ``lenet_edition``).
"""

from __future__ import annotations

import copy
import hashlib
import re
import sys
from pathlib import Path
from string import Template

import jupytext
import nbformat

from tools import chapter_format, common
from tools.chapter_format import BADGE_IMAGE, BADGE_RE, EDITION_FOLDERS, EditionError
from tools.common import ROOT, book_config, relative, repository, version, write_or_check
from tools.myst_markdown import RUN_NOTE, Book, Converter, glue_values

GENERATED_KEY = "lenet_edition"  # notebook metadata of every file this tool writes
NOTEBOOK_METADATA = {  # Colab opens a GPU runtime, with the table of contents shown
    "accelerator": "GPU",
    "colab": {"gpuType": "T4", "provenance": [], "toc_visible": True},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
SETUP_HEADING = re.compile(r"#+ Set up\s*(\n|$)")
SETUP_TEXT = (
    "The first code cell makes sure that `lenet_utils`, this course's helper package, is the "
    "version this notebook was written for (it installs it from PyPI where it is missing or "
    "older), then prints the versions in use and whether a GPU was found."
)
INSTALL_CELL = ROOT / "colab" / "setup_cell.py.tmpl"  # $version, $target: string.Template


def install_cell(root: Path = ROOT, target: str | None = None) -> str:
    """The set-up cell's source; ``target`` (a wheel) replaces ``lenet-utils==<version>``."""
    found, cell = version(root), Template(INSTALL_CELL.read_text().rstrip("\n"))
    return cell.substitute(version=found, target=target or f"lenet-utils=={found}")


def edition_path(chapter_md: Path, *, solutions: bool, root: Path = ROOT) -> Path:
    """``colab/NN_name.ipynb`` (with solutions) or ``student/NN_name.ipynb``."""
    return root / EDITION_FOLDERS[solutions] / f"{Path(chapter_md).stem}.ipynb"


def colab_url(notebook: Path, root: Path = ROOT) -> str:
    """The Colab link that opens ``notebook`` (a path in the repository) on the branch."""
    repo, branch = repository(root)
    return (
        f"https://colab.research.google.com/github/{repo}/blob/{branch}/{relative(notebook, root)}"
    )


def badge(notebook: Path, root: Path = ROOT) -> str:
    """The "Open In Colab" badge line that opens ``notebook``."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook, root)})"


def chapter_badge(chapter_md: Path, root: Path = ROOT) -> str:
    """A chapter's badge: it opens the chapter's Colab edition (with solutions)."""
    return badge(edition_path(chapter_md, solutions=True, root=root), root)


def _note(book: Book, page: str, solutions: bool) -> str:
    """The line under an edition's badge: what this notebook is, and what to do first."""
    title = book_config(book.root).get("title", "the book")
    number = book.numbers.get(page)
    chapter = f"chapter {number}" if number else "a chapter"
    where = (
        f"{chapter} of [*{title}*]({book.baseurl}) "
        f"([this chapter in the book]({book.page_url(page)}))"
    )
    first = (
        "Colab does not keep your changes: make your own copy with **File > Save a copy in "
        "Drive**, then run the first code cell: it installs the course's helper package."
    )
    if solutions:
        return f"*The Colab edition of {where}, with the worked solutions. {first}*"
    return (
        f"*The student edition of {where}: the worked solutions are left out. Write your code "
        f"where a cell says `{chapter_format.CODE_STUB}` and your words where a cell says "
        f"**Your answer**; the cell after an exercise checks your answer. {first}*"
    )


def _closing(book: Book, page: str, solutions: bool) -> str:
    """The last cell: the next chapter in Colab, this one in the book, where to report."""
    pages = [relative(md, book.root).removesuffix(".md") for md in common.chapters(book.root)]
    lines = ["---"]
    if page in pages[:-1]:
        after = pages[pages.index(page) + 1]
        notebook = edition_path(book.root / f"{after}.md", solutions=solutions, root=book.root)
        title = f"chapter {book.numbers.get(after, '')}, *{book.title(after)}*"
        lines.append(f"**Next:** [{title}]({colab_url(notebook, book.root)}), in Colab.")
    issues = f"https://github.com/{repository(book.root)[0]}/issues"
    lines.append(
        f"*This chapter in the book: [{book.title(page)}]({book.page_url(page)}). Something "
        f"wrong or unclear? [Report it]({issues}).*"
    )
    return "\n\n".join(lines)


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


def _synced(cells: list, chapter_md: Path, root: Path) -> dict[int, str]:
    """{index: new source} of the chapter's cells that this tool keeps in step: the badge, the
    text of the set-up section (the markdown cell before the set-up cell, if it is a "Set up"
    heading) and the set-up cell."""
    where = relative(chapter_md, root)
    found = {}
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown" and BADGE_RE.search(cell.source):
            found[index] = BADGE_RE.sub(lambda _: chapter_badge(chapter_md, root), cell.source, 1)
            break
    else:
        raise EditionError(f"{where}: no Colab badge line; put one under the title")
    setup = next((i for i, c in enumerate(cells) if c.cell_type == "code"), None)
    if setup is None or not re.search(r"\bpip\b.*\binstall\b", cells[setup].source, re.S):
        raise EditionError(
            f"{where}: the first code cell must be the set-up cell (it installs lenet_utils)"
        )
    found[setup] = install_cell(root)
    heading = SETUP_HEADING.match(cells[setup - 1].source) if setup else None
    if heading and cells[setup - 1].cell_type == "markdown":
        found[setup - 1] = f"{heading[0].strip()}\n\n{SETUP_TEXT}"
    return {index: text for index, text in found.items() if text != cells[index].source}


def _fold(cell, where: str) -> None:
    """A ``hide-input`` cell as a Colab form: folded, titled by its first comment line."""
    first, _, rest = cell.source.partition("\n")
    if not re.match(r"# \w", first):
        raise EditionError(
            f"{where}: a hide-input cell starts with one comment line that says what it does "
            "('# Draw the timeline'): Colab folds the code under that title"
        )
    cell.source = f'# @title {first[2:].strip()} {{ display-mode: "form" }}\n{rest}'
    cell.metadata["cellView"] = "form"


def edition(
    chapter_md: Path,
    *,
    solutions: bool,
    grader: bool = False,
    root: Path | None = None,
    book: Book | None = None,
) -> nbformat.NotebookNode:
    """An edition of ``chapters/NN_name.md``, as a notebook (nothing is written): the Colab
    edition (``solutions=True``), the student edition (``False``), or with ``grader=True`` what
    ``tools.grading`` starts from (the solutions with nbgrader's metadata and the markers, no
    solution prose, no badge). ``book`` (``Book.load(root)``) may be shared between calls.
    Raises :class:`EditionError` naming the chapter and cell that cannot be converted."""
    chapter_md = Path(chapter_md).resolve()
    root = Path(root).resolve() if root is not None else chapter_md.parents[1]
    book = book if book is not None else Book.load(root)
    rel = relative(chapter_md, root)
    page = rel.removesuffix(".md")
    if page not in book.pages:
        raise EditionError(f"{rel} is not a chapter of _toc.yml")
    colab = solutions and not grader
    glued = glue_values(chapter_md.with_suffix(".ipynb"))
    converter = Converter(book, page, glued, solutions=colab)
    source = jupytext.read(chapter_md).cells
    for index, text in _synced(source, chapter_md, root).items():
        source[index].source = text
    cells = []
    for index, cell in enumerate(source):
        where = f"{rel}, cell {index}"
        tags = cell.metadata.get("tags", [])
        kept = ("nbgrader", "tags") if cell.cell_type == "code" else ("nbgrader",)
        metadata = {k: copy.deepcopy(v) for k, v in cell.metadata.items() if k in kept}
        if cell.cell_type == "code" and "remove-cell" in tags:  # glue cells: the book hides them
            if not chapter_format.only_glues(cell.source):
                raise EditionError(
                    f"{where}: a remove-cell cell may do nothing but call glue(...), since the "
                    "editions leave it out; put the rest in a cell the book shows"
                )
        elif cell.cell_type == "code":
            if converter.in_solution:
                chapter_format.check_inside_solution(cell, where)
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata=metadata))
            if "hide-input" in tags:
                _fold(cells[-1], where)
        elif cell.cell_type == "markdown":
            text = converter.cell(cell.source, where)
            prose = converter.wrote_in_solution and chapter_format.check_inside_solution(
                cell, where
            )
            if (text.strip() or metadata) and (colab or not prose):
                cells.append(nbformat.v4.new_markdown_cell(text, metadata=metadata))
            if converter.title_note:
                cells.append(nbformat.v4.new_markdown_cell(RUN_NOTE))
        # raw cells: the book does not show them either
    converter.finish(rel)
    if colab:  # no grading scaffolding
        for cell in cells:
            if cell.cell_type == "code":
                cell.source = chapter_format.worked(cell)
            cell.metadata.pop("nbgrader", None)
        cells = [c for c in cells if c.source.strip()]
    target = edition_path(chapter_md, solutions=solutions, root=root)
    _badge_and_note(cells, badge(target, root), None if grader else _note(book, page, solutions))
    if not grader:
        cells.append(nbformat.v4.new_markdown_cell(_closing(book, page, solutions)))
    nb = nbformat.v4.new_notebook(cells=cells)
    generated = {"source": rel, "solutions": solutions, "lenet_utils": version(root)}
    nb.metadata = nbformat.from_dict(copy.deepcopy(NOTEBOOK_METADATA) | {GENERATED_KEY: generated})
    if not solutions:
        chapter_format.clear_solutions(nb, rel)
    taken: set[str] = set()
    for cell in nb.cells:
        cell.id = _cell_id(cell.source, cell.cell_type, taken)
    nbformat.validate(nb)
    return nb


def _badge_and_note(cells: list, new_badge: str, note: str | None) -> None:
    """Point the first badge at this edition with ``note`` under it, or drop it (no note)."""
    cell = next(c for c in cells if c.cell_type == "markdown" and BADGE_RE.search(c.source))
    if note is None:
        cell.source = re.sub(r"\n{3,}", "\n\n", BADGE_RE.sub("", cell.source).strip("\n"))
        if not cell.source.strip():
            cells.remove(cell)
        return
    cell.source = BADGE_RE.sub(lambda _: f"{new_badge}\n\n{note}", cell.source, count=1)


def sync_chapter(chapter_md: Path, check: bool, root: Path = ROOT) -> bool:
    """Bring a chapter's badge and set-up section in step; True if they were (would be) changed.

    Only those cells' sources change, in the ``.md`` and in its executed ``.ipynb`` (whose
    outputs stay).
    """
    chapter_md = Path(chapter_md).resolve()
    ipynb = chapter_md.with_suffix(".ipynb")
    text = chapter_md.read_text()
    cells = jupytext.reads(text, fmt="md:myst").cells
    changes = _synced(cells, chapter_md, root)
    for index, new in changes.items():
        if text.count(cells[index].source) != 1:
            raise EditionError(f"{relative(chapter_md, root)}: cannot find cell {index} to update")
        text = text.replace(cells[index].source, new, 1)
    nb = nbformat.read(ipynb, as_version=4) if ipynb.exists() else nbformat.v4.new_notebook()
    paired = _synced(nb.cells, chapter_md, root) if nb.cells else {}
    for index, new in paired.items():
        nb.cells[index].source = new
    if changes and not check:
        chapter_md.write_text(text)
    if paired and not check:
        nbformat.write(nb, ipynb)
    return bool(changes or paired)


def _generated(path: Path) -> bool:
    try:
        return GENERATED_KEY in nbformat.read(path, as_version=4).metadata
    except Exception:
        return False


def build(root: Path = ROOT, *, check=False, chapters: list | None = None, sync=True) -> list:
    """Write (or with ``check`` compare) the editions of ``chapters`` (all by default), and
    sync the chapters (not with ``sync=False``); return the report, a line per file. A chapter
    that fails keeps its files; the others are written, then EditionError names the failures.
    With all chapters, generated notebooks whose chapter is gone are removed."""
    root = Path(root).resolve()
    book = Book.load(root)
    files = [Path(c).resolve() for c in (chapters or common.chapters(root))]
    report, written, errors = [], set(), []
    for chapter in files:
        paths = {s: edition_path(chapter, solutions=s, root=root) for s in (True, False)}
        written.update(paths.values())
        for path in paths.values():
            if path.exists() and not _generated(path):
                raise EditionError(f"{relative(path, root)} was not written by tools.editions")
        try:
            texts = {s: nbformat.writes(edition(chapter, solutions=s, book=book)) for s in paths}
            synced = sync and sync_chapter(chapter, True, root)
        except EditionError as error:
            errors.append(str(error))
            continue
        for solutions, path in paths.items():
            existed = path.exists()
            if write_or_check(path, texts[solutions] + "\n", check):
                verb = ("stale" if existed else "missing") if check else "wrote"
                report.append(f"{verb}: {relative(path, root)}")
        if synced:
            sync_chapter(chapter, check, root)
            verb = "out of step" if check else "synced"
            report.append(f"{verb}: {relative(chapter, root)} (badge or set-up section)")
    for path in sorted(p for f in EDITION_FOLDERS.values() for p in (root / f).glob("*.ipynb")):
        if chapters is None and path not in written and _generated(path):
            if not check:
                path.unlink()
            verb = "orphan" if check else "removed"
            report.append(f"{verb}: {relative(path, root)} (its chapter is gone)")
    if errors:
        failure = EditionError("\n".join(errors))
        failure.report = report  # type: ignore[attr-defined]
        raise failure
    return report


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = common.command_line(__doc__, "python -m tools.editions")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("chapters", nargs="*", type=Path, help="chapters/NN_name.md (all)")
    args = parser.parse_args(argv)
    try:
        report = build(root, check=args.check, chapters=args.chapters or None)
    except EditionError as error:
        print("\n".join(getattr(error, "report", [])) + f"\nerror: {error}", file=sys.stderr)
        return 2
    print("\n".join(report) or "the Colab and student editions and the chapters are up to date")
    if args.check and report:
        print("run: python -m tools.editions", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
