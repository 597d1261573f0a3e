"""Assign the chapters' exercises with nbgrader or otter-grader, and have them graded.

    python -m tools.grading nbgrader --out COURSE [chapters/NN_name.md ...]
    python -m tools.grading otter --out FOLDER [chapters/NN_name.md ...]
    python -m tools.grading points [chapters/NN_name.md ...]
    python -m tools.grading key --out FOLDER [chapters/NN_name.md ...]

Both start from each chapter's grader edition (``tools.editions.edition(grader=True)``).
``nbgrader`` writes a course folder for ``nbgrader generate_assignment NN_name`` (its
``nbgrader_config.py`` from ``grading/``; yours is kept); ``otter`` writes Otter Assign's
format (configuration from ``grading/otter/``): each check an autograded question (its
self-check a public test worth 0 points, the whole cell a hidden test worth its points), each
written answer worth points a question graded by hand; ``key``, the instructors' answer key.
A chapter that breaks the format stops the tool, naming the cell and what to change.
"""

from __future__ import annotations

import ast
import builtins
import copy
import re
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jupytext
import nbformat
import yaml

from tools import chapter_format, editions
from tools.chapter_format import BEGIN_HIDDEN, BEGIN_SOLUTION, END_SOLUTION, lines_in
from tools.common import ROOT, chapters, command_line, version
from tools.myst_markdown import Book

GRADING = ROOT / "grading"
NBGRADER_CONFIG = GRADING / "nbgrader_config.py"
OTTER_CONFIG = GRADING / "otter" / "assignment.yml"
OTTER_REQUIREMENTS = GRADING / "otter" / "requirements.txt"

GRADE_ID = re.compile(r"^ex(-[a-z0-9]+){3,}$")
# Names a test may use without taking them from the notebook: Python's builtins and the two
# that IPython adds to them in a kernel.
KNOWN_NAMES = frozenset(dir(builtins)) | {"display", "get_ipython"}


class GradingError(Exception):
    """A chapter whose exercises the graders cannot use as they are, or a refused ``--out``."""


@dataclass(frozen=True)
class Part:
    """A cell that nbgrader's metadata marks: ``kind`` as :func:`chapter_format.kind` names
    it, ``index`` its position in the notebook."""

    index: int
    grade_id: str
    kind: str
    points: float

    @property
    def label(self) -> str:
        """The exercise's label: the ``grade_id`` without its last part (``-answer``...)."""
        return self.grade_id.rsplit("-", 1)[0]


def split_check(source: str) -> tuple[str, str]:
    """(the visible part, the hidden part) of a check cell's code, markers left out."""
    return lines_in(source, "").strip("\n"), lines_in(source, "hidden").strip("\n")


def _check_markers(cell: nbformat.NotebookNode, kind: str | None, where: str) -> None:
    """Raise GradingError for what nbgrader would let through: a solution marker in another
    form than otter-grader reads, or a check worth points without hidden tests (nbgrader
    itself refuses markers in cells of another kind)."""
    for line, place in chapter_format.regions(cell.source):
        if place == "marker" and "SOLUTION" in line and line not in (BEGIN_SOLUTION, END_SOLUTION):
            raise GradingError(
                f"{where}: {line.strip()!r} must read exactly {BEGIN_SOLUTION!r} or "
                f"{END_SOLUTION!r}, one '#' at the start of a line (otter-grader reads no "
                "other form; put a whole def or loop inside the markers)"
            )
    points = cell.metadata.get("nbgrader", {}).get("points", 0)
    if kind == "check" and points and not lines_in(cell.source, "hidden").strip():
        raise GradingError(
            f"{where}: a check cell worth points needs one {BEGIN_HIDDEN!r} block that asserts "
            "the answer (the visible part only reports)"
        )


def parts(nb: nbformat.NotebookNode, name: str) -> list[Part]:
    """The graded parts of the notebook ``name``, in cell order, checked against the format:
    nbgrader's own metadata check (what ``generate_assignment`` runs), then this course's.

    Raises GradingError naming the cell and what to change.
    """
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError
    from nbgrader.nbgraderformat.common import SchemaMismatchError

    validator = MetadataValidator()
    found: list[Part] = []
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        kind = chapter_format.kind(cell)
        if "nbgrader" in cell.metadata:
            grade_id = cell.metadata.nbgrader.get("grade_id", "")
            try:
                validator.validate_cell(cell)
            except (ValidationError, SchemaMismatchError) as error:
                message = getattr(error, "message", str(error))
                raise GradingError(
                    f"{where} ({grade_id}): nbgrader's metadata: {message}"
                ) from None
            if kind is None:
                raise GradingError(
                    f"{where} ({grade_id or 'no grade_id'}): nbgrader metadata of an unknown "
                    "kind; use an answer (code, solution), a written answer (markdown, "
                    "solution, grade) or a check (code, grade, locked)"
                )
            if not GRADE_ID.match(grade_id):
                raise GradingError(
                    f"{where}: grade_id {grade_id!r} must be the exercise's label and a part, "
                    "e.g. 'ex-architecture-conv2-answer' (lower case, digits and '-')"
                )
            points = cell.metadata.nbgrader.get("points", 0) if kind != "answer" else 0
            found.append(Part(index, grade_id, kind, points))
        _check_markers(cell, kind, where)
    try:
        validator.validate_nb(nb)  # grade_ids used twice
    except ValidationError as error:
        raise GradingError(f"{name}: nbgrader's metadata: {error.message}") from None
    return found


_book = lru_cache(maxsize=4)(Book.load)  # the book whose chapters are assigned, read once


def source_notebook(chapter: Path) -> nbformat.NotebookNode:
    """The chapter with its solutions, as a grader gets it, checked first (:func:`parts`)."""
    chapter = Path(chapter)
    if chapter.suffix != ".md" or not chapter.is_file():
        raise GradingError(f"{chapter}: not a chapter's .md file; pass chapters/NN_name.md")
    parts(jupytext.read(chapter), chapter.name)
    try:
        book = _book(chapter.resolve().parents[1])
        return editions.edition(chapter, solutions=True, grader=True, book=book)
    except chapter_format.EditionError as error:
        raise GradingError(str(error)) from None


def _summary(name: str, found: list[Part]) -> str:
    labels = list(dict.fromkeys(p.label for p in found))
    auto = autograded_points(found)
    manual = sum(p.points for p in found if p.kind == "written")
    return f"{name}: {len(labels)} exercises, {auto:g} autograded points, {manual:g} by hand"


def autograded_points(found: Iterable[Part]) -> float:
    """The points of the check cells: what an autograder gives a fully solved notebook."""
    return sum(p.points for p in found if p.kind == "check")


def _write(chapter_files: list[Path], out: Path, convert, where: str, prepare) -> list[str]:
    """Convert every chapter's source notebook with ``convert(nb, chapter)`` first, then call
    ``prepare()`` (its report lines) and write each to ``out / where.format(stem=...)``."""
    out = out.expanduser().resolve()
    if out == ROOT or ROOT in out.parents:
        raise GradingError(f"--out {out} is inside the repository; give a folder outside it")
    made = [(Path(c), source_notebook(Path(c))) for c in chapter_files]
    made = [(chapter, nb, convert(nb, chapter)) for chapter, nb in made]
    out.mkdir(parents=True, exist_ok=True)
    report = prepare(out)
    for chapter, nb, written in made:
        target = out / where.format(stem=chapter.stem)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(written)
        nbformat.write(written, target)
        report.append(f"wrote {target}: {_summary(chapter.stem, parts(nb, chapter.name))}")
    return report


def write_nbgrader(chapter_files: list[Path], out: Path) -> list[str]:
    """Write an nbgrader course folder for ``chapter_files`` into ``out``; return a report."""

    def config(out: Path) -> list[str]:
        config = out / "nbgrader_config.py"
        if not config.exists():
            shutil.copyfile(NBGRADER_CONFIG, config)
            return [f"wrote {config}"]
        if config.read_text() != NBGRADER_CONFIG.read_text():
            return [f"kept {config} (yours); compare it with {NBGRADER_CONFIG}"]
        return []

    return _write(chapter_files, out, lambda nb, _: nb, "source/{stem}/{stem}.ipynb", config)


def _names(code: str) -> tuple[set[str], set[str]]:
    """(the names ``code`` reads, the names it binds), anywhere in it."""
    loaded, bound = set(), set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return loaded, bound


def _free_names(code: str) -> list[str]:
    """Names ``code`` reads but never binds: what a test takes from the notebook."""
    loaded, bound = _names(code)
    return sorted(loaded - bound - KNOWN_NAMES)


def assert_self_checks(code: str) -> str:
    """``code`` with each self-check it shows (``print(check(...))``, or a bare call of
    ``check`` or a ``check_...`` function) asserted: a check is truthy only when the answer is
    right, and its text becomes the failure message. The rest is left as written."""
    lines = code.split("\n")
    for node in reversed(ast.parse(code).body):
        call = getattr(node, "value", None)
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "print" and call.args:
            call = call.args[0]
        function = getattr(call, "func", None)
        name = getattr(function, "attr", getattr(function, "id", ""))
        if isinstance(node, ast.Expr) and (name == "check" or name.startswith("check_")):
            segment = ast.get_source_segment(code, call)
            lines[node.lineno - 1 : node.end_lineno] = [f"assert (_check := {segment}), _check"]
    return "\n".join(lines)


def _test_cell(name: str, code: str, *, hidden: bool, points: float) -> nbformat.NotebookNode:
    """An exception-based otter test: a function of the notebook's variables that runs ``code``."""
    arguments = ", ".join(_free_names(code))
    body = "\n".join("    " + line if line.strip() else "" for line in code.split("\n"))
    config = yaml.safe_dump({"hidden": hidden, "points": points}, sort_keys=False)
    return nbformat.v4.new_code_cell(
        f'""" # BEGIN TEST CONFIG\n{config}""" # END TEST CONFIG\n'
        f"def {name}({arguments}):\n{body.rstrip() or '    pass'}"
    )


def _owners(found: list[Part]) -> dict[int, Part]:
    """Which question each part belongs to: a check and a written answer worth points are
    questions of their own; an answer, and a written answer worth nothing, belong to the next
    check of their exercise, or else to the written answer before (or after) them."""
    owners: dict[int, Part] = {}
    for part in found:
        asked = [p for p in found if p.label == part.label and (p.kind == "check" or p.points)]
        later = [p for p in asked if p.kind == "check" and p.index > part.index]
        written = [p for p in asked if p.kind == "written"]
        before = [p for p in written if p.index < part.index]
        owner = [part] if part in asked else later[:1] or before[-1:] or written[:1]
        if not owner:
            raise GradingError(
                f"cell {part.index} ({part.grade_id}): nothing grades this answer; add a check "
                "cell after it, or make the exercise's written answer worth points"
            )
        owners[part.index] = owner[0]
    return owners


def otter_notebook(nb: nbformat.NotebookNode, name: str, config: dict) -> nbformat.NotebookNode:
    """The otter-format master notebook of ``nb`` (see the module's docstring): our own
    translation, as otter-grader has no importer for nbgrader's metadata."""
    found = parts(nb, name)
    owners, by_index = _owners(found), {p.index: p for p in found}
    spans: dict[str, tuple[int, int]] = {}
    for part in found:
        first, last = spans.get(part.label, (part.index, part.index))
        spans[part.label] = (min(first, part.index), max(last, part.index))
    ordered = sorted(spans.values())
    for (_, last), (first, _) in zip(ordered, ordered[1:], strict=False):
        if first <= last:
            raise GradingError(f"{name}, cell {first}: two exercises' cells are interleaved")
    ends = {last for _, last in spans.values()}

    def raw(head: str, settings: dict | None = None) -> nbformat.NotebookNode:
        dumped = yaml.safe_dump(settings, sort_keys=False) if settings is not None else ""
        return nbformat.v4.new_raw_cell(f"# {head}" + (f"\n{dumped}" if dumped else ""))

    cells, question, in_solution = [raw("ASSIGNMENT CONFIG", config)], None, False

    def close(what: str) -> None:  # "SOLUTION", or "QUESTION" (its solution too)
        nonlocal in_solution, question
        if in_solution:
            cells.append(raw("END SOLUTION"))
            in_solution = False
        if what == "QUESTION" and question is not None:
            cells.append(raw("END QUESTION"))
            question = None

    for index, cell in enumerate(copy.deepcopy(nb.cells)):
        cell.metadata.pop("nbgrader", None)
        part = by_index.get(index)
        if part is None:
            if question is not None:
                close("SOLUTION")  # question text between its answers and its check
            cells.append(cell)
            continue
        owner = owners[index]
        if question is not owner:
            close("QUESTION")
            prompt = []  # a written question takes the exercise's text, for Gradescope's PDF
            while (
                owner.kind == "written"
                and index == spans[part.label][0]
                and (cells and cells[-1].cell_type == "markdown")
            ):
                prompt.insert(0, cells.pop())
            settings = {"name": owner.grade_id, "points": owner.points}
            cells += [
                raw(
                    "BEGIN QUESTION",
                    settings | ({"manual": True} if owner.kind == "written" else {}),
                ),
                *prompt,
            ]
            question = owner
        if part.kind == "check":
            close("SOLUTION")
            visible, hidden = split_check(cell.source)
            stem = part.grade_id.replace("-", "_")
            cells.append(raw("BEGIN TESTS"))
            # the public test: the self-checks, asserted; the hidden test: the whole cell, as
            # nbgrader runs it (the hidden asserts may use what the visible part computes)
            if visible.strip():
                public = assert_self_checks(visible)
                cells.append(_test_cell(f"test_{stem}", public, hidden=False, points=0))
            if hidden.strip():
                code = f"{visible}\n{hidden}".strip("\n")
                cells.append(
                    _test_cell(f"test_{stem}_hidden", code, hidden=True, points=part.points)
                )
            cells.append(raw("END TESTS"))
            close("QUESTION")
        else:
            if not in_solution:
                cells.append(raw("BEGIN SOLUTION"))
                in_solution = True
            cells.append(cell)
        if index in ends:
            close("QUESTION")
    close("QUESTION")
    out = copy.deepcopy(nb)
    out.cells = cells
    return out


def otter_config(name: str) -> dict:
    """The Otter Assign configuration of the chapter ``name``: grading/otter/assignment.yml."""
    return {**yaml.safe_load(OTTER_CONFIG.read_text()), "name": name}


def otter_requirements() -> str:
    """grading/otter/requirements.txt with this version filled in."""
    return OTTER_REQUIREMENTS.read_text().replace("{version}", version())


def write_otter(chapter_files: list[Path], out: Path) -> list[str]:
    """Write the otter-format notebooks of ``chapter_files`` into ``out``; return a report."""

    def convert(nb: nbformat.NotebookNode, chapter: Path) -> nbformat.NotebookNode:
        return otter_notebook(nb, chapter.name, otter_config(chapter.stem))

    def requirements(out: Path) -> list[str]:
        (out / "requirements.txt").write_text(otter_requirements())
        return [f"wrote {out / 'requirements.txt'}"]

    return _write(chapter_files, out, convert, "{stem}.ipynb", requirements)


def main(argv: list[str] | None = None) -> int:
    parser = command_line(__doc__, "python -m tools.grading")
    tools = parser.add_subparsers(dest="tool", required=True)
    for name in ("nbgrader", "otter", "points", "key"):
        tool = tools.add_parser(name)
        if name != "points":
            tool.add_argument("--out", type=Path, required=True, help="outside the repository")
        tool.add_argument("chapters", nargs="*", type=Path, help="chapters/NN_name.md (all)")
    args = parser.parse_args(argv)
    files = [c.resolve() for c in args.chapters] or chapters()
    if args.tool == "key":  # grading.answers writes it
        key = __import__("grading.answers").answers.main
        return key(["key", "--out", str(args.out), *map(str, files)])
    try:
        if args.tool == "points":
            report = [_summary(f.stem, parts(source_notebook(f), f.name)) for f in files]
        else:
            report = (write_nbgrader if args.tool == "nbgrader" else write_otter)(files, args.out)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
