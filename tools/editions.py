"""Write the Colab and student editions of every chapter; keep the chapters' badge and set-up
cell in step with them.

    python -m tools.editions            # write colab/*.ipynb, student/*.ipynb, sync chapters/
    python -m tools.editions --check    # write nothing; exit 1 naming every stale file
    python -m tools.editions chapters/05_sequential.md    # some chapters only

``colab/NN_name.ipynb`` (what a chapter's "Open in Colab" badge opens) is the chapter as a
plain notebook with the worked solutions, its nbgrader metadata and grading markers kept;
``student/NN_name.ipynb`` is the same without solutions. Both are made from the chapter's
``.md`` and the values its executed ``.ipynb`` glued. Their first code cell installs
``lenet_utils`` at the version of ``pyproject.toml`` from the release tag, with ``--no-deps``,
only where it is missing. This tool overwrites or removes only the files it wrote (notebook
metadata ``lenet_edition``).
"""

from __future__ import annotations

import copy
import hashlib
import re
import sys
from pathlib import Path

import jupytext
import nbformat

from tools import chapter_format
from tools.chapter_format import BADGE_IMAGE, BADGE_RE, EDITION_FOLDERS, EditionError
from tools.common import ROOT, book_config, command_line, relative, repository, write_or_check
from tools.common import chapters as toc_chapters
from tools.myst_markdown import Book, Converter, glue_values

__all__ = [
    "EditionError",
    "badge",
    "build",
    "chapter_badge",
    "colab_url",
    "edition",
    "edition_path",
    "install_cell",
    "install_target",
    "sync_chapter",
    "version",
]

GENERATED_KEY = "lenet_edition"  # notebook metadata of every file this tool writes
NOTEBOOK_METADATA = {  # Colab opens a GPU runtime
    "accelerator": "GPU",
    "colab": {"gpuType": "T4", "provenance": []},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

PIP_ARGS = ("install", "--quiet", "--no-deps")
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


def _is_setup_cell(source: str) -> bool:
    return "pip" in source and "install" in source


def _note(book: Book, page: str, solutions: bool) -> str:
    """The one line under an edition's badge: what this notebook is."""
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
        f"where a cell says `{chapter_format.CODE_STUB}` and your words where a cell says "
        "**Your answer**; the cell after an exercise checks your answer. Run the first code "
        "cell first: it installs the course's helper package.*"
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
    with_badge: bool = True,
) -> nbformat.NotebookNode:
    """The Colab edition of ``chapter_md`` (``chapters/NN_name.md``), as a notebook.

    ``solutions=True``: with the worked solutions, every cell's ``nbgrader`` metadata and the
    grading markers (what graders build assignments from); ``solutions=False``: the student
    edition. ``with_badge=False`` leaves out the Colab badge and the note under it (for graders: it
    would open the edition with the solutions). Nothing is written; ``book``
    (``Book.load(root)``) may be shared between calls. Raises :class:`EditionError` naming the
    chapter and cell when the chapter cannot be converted.
    """
    chapter_md = Path(chapter_md).resolve()
    root = Path(root).resolve() if root is not None else chapter_md.parents[1]
    book = book if book is not None else Book.load(root)
    rel = relative(chapter_md, root)
    page = rel.removesuffix(".md")
    if page not in book.pages:
        raise EditionError(f"{rel} is not a chapter of _toc.yml")
    glued = glue_values(chapter_md.with_suffix(".ipynb"))
    converter = Converter(book, page, glued, solutions=solutions)
    cells = []
    setup_done = False
    for index, cell in enumerate(jupytext.read(chapter_md).cells):
        where = f"{rel}, cell {index}"
        kept = ("nbgrader", "tags") if cell.cell_type == "code" else ("nbgrader",)
        metadata = {k: copy.deepcopy(v) for k, v in cell.metadata.items() if k in kept}
        if cell.cell_type == "code":
            if converter.in_solution:
                chapter_format.check_inside_solution(cell, where)
            text = cell.source
            if not setup_done:
                if not _is_setup_cell(text):
                    raise EditionError(
                        f"{where}: the first code cell must be the Colab set-up cell "
                        "(it installs lenet_utils); put it before any other code"
                    )
                text, setup_done = install_cell(root), True
            cells.append(nbformat.v4.new_code_cell(text, metadata=metadata))
        elif cell.cell_type == "markdown":
            text = converter.cell(cell.source, where)
            if converter.wrote_in_solution:
                chapter_format.check_inside_solution(cell, where)
            if text.strip() or metadata:
                cells.append(nbformat.v4.new_markdown_cell(text, metadata=metadata))
        # raw cells: the book does not show them either
    converter.finish(rel)
    if not setup_done:
        raise EditionError(f"{rel}: no code cell, so no Colab set-up cell")
    target = edition_path(chapter_md, solutions=solutions, root=root)
    note = _note(book, page, solutions) if with_badge else None
    _badge_and_note(cells, badge(target, root), note, rel)
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


def _badge_and_note(cells: list, new_badge: str, note: str | None, where: str) -> None:
    """Point the first badge at this edition with ``note`` under it, or drop it (no note)."""
    cell = next((c for c in cells if c.cell_type == "markdown" and BADGE_RE.search(c.source)), None)
    if cell is None:
        raise EditionError(f"{where}: no Colab badge line (put one under the title)")
    if note is None:
        cell.source = re.sub(r"\n{3,}", "\n\n", BADGE_RE.sub("", cell.source).strip("\n"))
        if not cell.source.strip():
            cells.remove(cell)
        return
    lines = cell.source.split("\n")
    at = next(i for i, line in enumerate(lines) if BADGE_RE.search(line))
    lines[at] = BADGE_RE.sub(lambda _: new_badge, lines[at], count=1)
    lines[at + 1 : at + 1] = ["", note]
    cell.source = "\n".join(lines)


def sync_chapter(chapter_md: Path, check: bool, root: Path = ROOT) -> bool:
    """Bring a chapter's badge and set-up cell in step; True if they were (would be) changed.

    Only the badge line and the first code cell's source change, in the ``.md`` and in its
    executed ``.ipynb`` (whose outputs stay).
    """
    chapter_md = Path(chapter_md).resolve()
    ipynb = chapter_md.with_suffix(".ipynb")
    where = relative(chapter_md, root)
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


def _generated(path: Path) -> bool:
    try:
        return GENERATED_KEY in nbformat.read(path, as_version=4).metadata
    except Exception:
        return False


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
                    f"{relative(path, root)} exists and was not written by tools.editions; "
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
                report.append(f"{verb}: {relative(path, root)}")
        if synced:
            sync_chapter(chapter, check, root)
            verb = "out of step" if check else "synced"
            report.append(f"{verb}: {relative(chapter, root)} (badge or set-up cell)")
    if errors:  # the others were written (or checked): say so, then what failed
        failure = EditionError("\n".join(errors))
        failure.report = report  # type: ignore[attr-defined]
        raise failure
    if everything:
        for folder in EDITION_FOLDERS.values():
            for path in sorted((root / folder).glob("*.ipynb")):
                if path in written or not _generated(path):
                    continue
                if not check:
                    path.unlink()
                verb = "orphan" if check else "removed"
                report.append(f"{verb}: {relative(path, root)} (its chapter is gone)")
    return report


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = command_line(__doc__, "python -m tools.editions")
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
