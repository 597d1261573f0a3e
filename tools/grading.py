"""Assign the chapters' exercises with nbgrader or otter-grader, and have them graded.

    python -m tools.grading nbgrader --out COURSE [chapters/NN_name.md ...]
    python -m tools.grading otter --out FOLDER [chapters/NN_name.md ...]
    python -m tools.grading points [chapters/NN_name.md ...]

Both graders start from each chapter's Colab edition with its solutions, without badge, and
its nbgrader metadata (CONTRIBUTING.md, "Add an exercise"):

* ``nbgrader`` writes ``COURSE/nbgrader_config.py`` (from ``grading/``; yours is kept) and
  ``COURSE/source/NN_name/NN_name.ipynb``, for ``nbgrader generate_assignment NN_name``;
* ``otter`` writes ``FOLDER/NN_name.ipynb`` in Otter Assign's format (configuration from
  ``grading/otter/assignment.yml``) and ``FOLDER/requirements.txt``: each check is an
  autograded question (its self-check a public test worth 0 points, the whole cell a hidden
  test worth its points), each written answer worth points a question graded by hand;
* ``points`` prints each chapter's exercises and points.

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
from tools.chapter_format import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    MARKER,
    EditionError,
    lines_in,
)
from tools.common import ROOT, chapters, command_line, repository
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
    """Raise GradingError if the cell's solution or hidden-test markers break the format:
    otter-grader reads only the exact forms, at the start of a line."""
    solution, hidden = [], []
    for number, line in enumerate(cell.source.split("\n"), 1):
        marker = MARKER.search(line)
        if marker and marker[2] == "SOLUTION":
            solution.append(line)
            if line not in (BEGIN_SOLUTION, END_SOLUTION):
                raise GradingError(
                    f"{where}, line {number}: {line.strip()!r} must read exactly "
                    f"{BEGIN_SOLUTION!r} or {END_SOLUTION!r}, with one '#' at the start of the "
                    "line (otter-grader reads no other form; put a whole def or loop inside "
                    "the markers)"
                )
        elif marker:
            hidden.append(line)
            if line not in (BEGIN_HIDDEN, END_HIDDEN):
                raise GradingError(
                    f"{where}, line {number}: {line.strip()!r} must read exactly "
                    f"{BEGIN_HIDDEN!r} or {END_HIDDEN!r}, at the start of the line"
                )
    if solution and kind != "answer":
        raise GradingError(
            f"{where}: solution markers in a cell that is not an answer; give the cell the "
            "nbgrader metadata of an answer (CONTRIBUTING.md, 'Add an exercise')"
        )
    if kind == "answer" and (
        not solution or solution != [BEGIN_SOLUTION, END_SOLUTION] * (len(solution) // 2)
    ):
        raise GradingError(
            f"{where}: an answer cell needs its solution between {BEGIN_SOLUTION!r} and "
            f"{END_SOLUTION!r} (in pairs, not nested)"
        )
    if hidden and kind != "check":
        raise GradingError(f"{where}: hidden tests belong in a check cell, not in this one")
    points = cell.metadata.get("nbgrader", {}).get("points", 0)
    if kind == "check" and hidden != [BEGIN_HIDDEN, END_HIDDEN] and (hidden or points):
        raise GradingError(
            f"{where}: a check cell worth points needs one {BEGIN_HIDDEN!r} ... "
            f"{END_HIDDEN!r} block that asserts the answer (the visible part only "
            "reports, it never fails)"
        )


def _bound(code: str) -> set[str]:
    """The names ``code`` binds (none if it is not plain Python, e.g. a ``%magic``)."""
    try:
        return _names(code)[1]
    except SyntaxError:
        return set()


def _check_visible_names(nb: nbformat.NotebookNode, found: list[Part], name: str) -> None:
    """Raise GradingError if a check's visible part reads a name that only a solution
    defines: in a student's notebook it would stop "Run all" with a NameError."""
    kinds = {p.index: p.kind for p in found}
    defined: set[str] = set()  # by code that students get
    solution_only: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if kinds.get(index) == "check":
            visible = split_check(cell.source)[0]
            try:
                missing = set(_free_names(visible)) & solution_only - defined
            except SyntaxError:
                missing = set()
            if missing:
                raise GradingError(
                    f"{name}, cell {index}: the check's visible part reads "
                    f"{', '.join(sorted(missing))}, which only a solution defines, so an "
                    "unanswered notebook stops here with a NameError; set it up before "
                    f"{BEGIN_SOLUTION!r} (e.g. 'model = None') or test for it in the check"
                )
            defined |= _bound(visible)
        else:
            defined |= _bound(lines_in(cell.source, ""))
            solution_only |= _bound(lines_in(cell.source, "solution"))


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
    _check_visible_names(nb, found, name)
    return found


@lru_cache(maxsize=4)
def _book(root: Path) -> Book:
    """The book whose chapters are being assigned, read once (titles, labels, numbers)."""
    try:
        return Book.load(root)
    except EditionError as error:
        raise GradingError(str(error)) from None


def source_notebook(chapter: Path) -> nbformat.NotebookNode:
    """The chapter with its solutions, ready for a grader: its Colab edition with the
    solutions (``tools.editions.edition``), without the badge that opens it, checked first
    (:func:`parts`)."""
    chapter = Path(chapter)
    if chapter.suffix != ".md" or not chapter.is_file():
        raise GradingError(f"{chapter}: not a chapter's .md file; pass chapters/NN_name.md")
    parts(jupytext.read(chapter), chapter.name)
    try:
        book = _book(chapter.resolve().parents[1])
        return editions.edition(chapter, solutions=True, book=book, with_badge=False)
    except EditionError as error:
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


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


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


def _self_check(node: ast.stmt) -> ast.expr | None:
    """The call of ``check(...)`` or a ``check_...`` function that a statement shows
    (``print(...)`` or bare)."""
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return None
    value = node.value
    if isinstance(value.func, ast.Name) and value.func.id == "print" and len(value.args) == 1:
        value = value.args[0]
    function = value.func if isinstance(value, ast.Call) else None
    name = getattr(function, "attr", getattr(function, "id", ""))
    return value if name == "check" or name.startswith("check_") else None


def assert_self_checks(code: str) -> str:
    """``code`` with each self-check it shows asserted: a check is truthy only when the answer
    is right, and its text becomes the failure message. The rest is left as written."""
    lines = code.split("\n")
    for node in reversed(ast.parse(code).body):
        call = _self_check(node)
        if call is not None:
            segment = ast.get_source_segment(code, call)
            lines[node.lineno - 1 : node.end_lineno] = [f"assert (_check := {segment}), _check"]
    return "\n".join(lines)


def _test_cell(name: str, code: str, *, hidden: bool, points: float) -> nbformat.NotebookNode:
    """An exception-based otter test case: a function of the notebook's variables that runs
    ``code``."""
    arguments = ", ".join(_free_names(code))
    body = "\n".join("    " + line if line.strip() else "" for line in code.split("\n"))
    config = yaml.safe_dump({"hidden": hidden, "points": points}, sort_keys=False)
    return nbformat.v4.new_code_cell(
        f'""" # BEGIN TEST CONFIG\n{config}""" # END TEST CONFIG\n'
        f"def {name}({arguments}):\n{body.rstrip() or '    pass'}"
    )


def _owners(found: list[Part]) -> dict[int, Part]:
    """Which question (a check, or a written answer worth points) each part belongs to.

    A check and a written answer worth points are questions of their own; an answer, and a
    written answer worth nothing, belong to the next check of their exercise, or else to the
    written answer before (or after) them.
    """
    owners: dict[int, Part] = {}
    for part in found:
        same = [p for p in found if p.label == part.label]
        if part.kind == "check" or (part.kind == "written" and part.points > 0):
            owners[part.index] = part
            continue
        later = [p for p in same if p.kind == "check" and p.index > part.index]
        written = [p for p in same if p.kind == "written" and p.points > 0]
        before = [p for p in written if p.index < part.index]
        owner = later[:1] or before[-1:] or written[:1]
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
    owners = _owners(found)
    by_index = {p.index: p for p in found}
    spans: dict[str, tuple[int, int]] = {}
    for part in found:
        first, last = spans.get(part.label, (part.index, part.index))
        spans[part.label] = (min(first, part.index), max(last, part.index))
    ordered = sorted(spans.values())
    for (_, last), (first, _) in zip(ordered, ordered[1:], strict=False):
        if first <= last:
            raise GradingError(f"{name}, cell {first}: two exercises' cells are interleaved")
    ends = {last for _, last in spans.values()}

    cells = [_raw("# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False))]
    question: Part | None = None
    in_solution = False

    def close_solution() -> None:
        nonlocal in_solution
        if in_solution:
            cells.append(_raw("# END SOLUTION"))
            in_solution = False

    def close_question() -> None:
        nonlocal question
        close_solution()
        if question is not None:
            cells.append(_raw("# END QUESTION"))
            question = None

    def open_question(owner: Part, first_of_exercise: bool) -> None:
        nonlocal question
        close_question()
        prompt = []
        if owner.kind == "written" and first_of_exercise:
            # the exercise's text goes into the question, for Gradescope's PDF of written answers
            while cells and cells[-1].cell_type == "markdown":
                prompt.insert(0, cells.pop())
        settings = {"name": owner.grade_id, "points": owner.points}
        if owner.kind == "written":
            settings["manual"] = True
        cells.append(_raw("# BEGIN QUESTION\n" + yaml.safe_dump(settings, sort_keys=False)))
        cells.extend(prompt)
        question = owner

    for index, cell in enumerate(copy.deepcopy(nb.cells)):
        cell.metadata.pop("nbgrader", None)
        part = by_index.get(index)
        if part is None:
            if question is not None:
                close_solution()  # question text between its answers and its check
            cells.append(cell)
        else:
            owner = owners[index]
            if question is not owner:
                open_question(owner, first_of_exercise=index == spans[part.label][0])
            if part.kind == "check":
                close_solution()
                visible, hidden = split_check(cell.source)
                stem = part.grade_id.replace("-", "_")
                cells.append(_raw("# BEGIN TESTS"))
                # the public test: the self-checks, asserted; the hidden test: the whole cell,
                # as nbgrader runs it (the hidden asserts may use what the visible part computes)
                if visible.strip():
                    public = assert_self_checks(visible)
                    cells.append(_test_cell(f"test_{stem}", public, hidden=False, points=0))
                if hidden.strip():
                    code = f"{visible}\n{hidden}".strip("\n")
                    cells.append(
                        _test_cell(f"test_{stem}_hidden", code, hidden=True, points=part.points)
                    )
                cells.append(_raw("# END TESTS"))
                close_question()
            else:
                if not in_solution:
                    cells.append(_raw("# BEGIN SOLUTION"))
                    in_solution = True
                cells.append(cell)
        if index in ends:
            close_question()
    close_question()
    out = copy.deepcopy(nb)
    out.cells = cells
    return out


def otter_config(name: str) -> dict:
    """The Otter Assign configuration of the chapter ``name``: grading/otter/assignment.yml."""
    config = yaml.safe_load(OTTER_CONFIG.read_text())
    config["name"] = name
    return config


def otter_requirements() -> str:
    """grading/otter/requirements.txt with the repository and this version filled in."""
    repo, _ = repository()
    return (
        OTTER_REQUIREMENTS.read_text()
        .replace("{repository}", repo)
        .replace("{version}", editions.version())
    )


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
    helps = {
        "nbgrader": "write an nbgrader course folder (OUT/nbgrader_config.py, OUT/source/...)",
        "otter": "write Otter Assign notebooks and their requirements.txt into OUT",
        "points": "print each chapter's exercises and points",
    }
    for name, text in helps.items():
        tool = tools.add_parser(name, help=text, description=text)
        if name != "points":
            tool.add_argument(
                "--out", type=Path, required=True, help="a folder outside the repository"
            )
        tool.add_argument(
            "chapters", nargs="*", type=Path, help="chapters/NN_name.md (default: every chapter)"
        )
    args = parser.parse_args(argv)
    files = [c.resolve() for c in args.chapters] or chapters()
    try:
        if args.tool == "points":
            report = [_summary(f.stem, parts(source_notebook(f), f.name)) for f in files]
        elif args.tool == "nbgrader":
            report = write_nbgrader(files, args.out)
        else:
            report = write_otter(files, args.out)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
