"""Write the student edition of every chapter: the notebooks with the worked solutions removed.

    python tools/student.py                       # every chapters/*.ipynb -> student/chapters/
    python tools/student.py chapters/02_*.ipynb   # some
    python tools/student.py --check               # exit 1, naming the files, if any is stale
    python tools/student.py --out /path/in/repo   # another folder of the repository

The instructor notebooks are the executed ``chapters/NN_name.ipynb`` (what a learner opens, so
this tool reads them, not the ``.md``). For each one it writes ``<out>/chapters/NN_name.ipynb``
(``student/chapters/NN_name.ipynb`` by default) in which:

* every solution is gone. The gated form, a ``{solution-start} LABEL`` directive ... a
  ``{solution-end}`` directive, loses both directives and all the markdown between them; the
  code cells between them stay, but in each the code between ``# BEGIN SOLUTION`` and
  ``# END SOLUTION`` (markers included) becomes ``# YOUR CODE HERE``, so the lines outside
  the markers, which set the exercise up, remain. A cell that is all solution becomes just
  ``# YOUR CODE HERE``; an indented answer (a function body) becomes ``# YOUR CODE HERE`` and
  ``pass`` so that the cell still parses. The non-gated form, a ``{solution} LABEL`` directive
  block with markdown only inside, is removed whole. Markers in code cells outside any
  solution directive are replaced in the same way.
* no ``raise NotImplementedError()`` is inserted (nbgrader's default), so that a notebook
  with unanswered exercises still runs top to bottom.
* the exercises (``{exercise}``, ``{exercise-start}`` / ``{exercise-end}``) stay as written;
  Colab shows the directives as text.
* code cells have no outputs and no execution counts; the notebook metadata keeps
  ``accelerator: GPU`` and ``colab.gpuType`` (Colab opens a GPU runtime), drops ``lenet_run``
  (the instructor run's record) and ``jupytext`` (a student edition has no ``.md`` twin), and
  gains ``lenet_student: {source: chapters/NN_name.ipynb}``, by which this tool knows the
  files it generated.
* the Colab badge opens the student notebook itself, on the repository and branch of
  ``_config.yml`` (through ``tools/colab.py``), and a note under it says that this is the
  student edition.

A markdown cell that holds both kept text and a solution directive (jupytext only splits
markdown at ``+++`` and code cells) loses just the directive and what it encloses. A malformed
solution (a ``{solution-start}`` without its end, markers that do not pair up, a code cell
inside a gated solution without markers) stops the tool with the chapter and cell named.
Every notebook is checked before and after it is written: no marker, no ``{solution``, no
line found only in a solution may survive.

The ``--out`` folder may hold other files: the tool writes only ``<out>/chapters/*.ipynb``,
overwrites only files it generated, and removes only files it generated for chapters that no
longer exist. It refuses (exit 2) an ``--out`` that is the repository root or ``chapters/``.

nbgrader and otter-grader: this tool makes the *release* version itself, so the markers are gone
from it. To let a grader make it instead, give the grader the instructor notebooks,
``chapters/*.ipynb``, whose solution code sits between ``# BEGIN SOLUTION`` and
``# END SOLUTION``. The chapters use one ``#``: nbgrader finds its markers anywhere in a line
(``### BEGIN SOLUTION`` in its documentation, ``# BEGIN SOLUTION`` just as well), while
otter-grader's ``otter assign`` matches ``# BEGIN SOLUTION`` only, so this form is the one both
read. For nbgrader, copy the notebooks into ``source/<assignment>/``, mark the solution cells
("Autograded answer" in the Create Assignment toolbar, or set
``ClearSolutions.enforce_metadata = False`` if you only release), set
``ClearSolutions.code_stub`` to ``{"python": "# YOUR CODE HERE"}`` (its default adds
``raise NotImplementedError()``) and run ``nbgrader generate_assignment``. otter-grader also
wants its own ``# BEGIN QUESTION`` cell blocks around each exercise; add them in a copy for
otter. Both leave the MyST directives in the markdown; remove the ``{solution...}`` ones
yourself or use this tool (which accepts markers with any number of ``#``).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "# YOUR CODE HERE"
NOTE = (
    "Student edition: the worked solutions are removed; write your answers in the cells "
    "marked `# YOUR CODE HERE`."
)
NOTE_CELL_ID = "student-edition-note"
GENERATED_KEY = "lenet_student"  # notebook metadata of every file this tool writes
DROPPED_METADATA = ("lenet_run", "jupytext")
COMPARED_METADATA = ("accelerator", "colab", "kernelspec", GENERATED_KEY, *DROPPED_METADATA)

BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)#+[ \t]*BEGIN SOLUTION\b.*$")
END_RE = re.compile(r"^[ \t]*#+[ \t]*END SOLUTION\b.*$")
ANY_MARKER_RE = re.compile(r"#+[ \t]*(BEGIN|END) SOLUTION\b")
# A fenced block: ``` or ~~~ (CommonMark) or ::: (MyST colon_fence), with a {directive} or not.
FENCE_RE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*(?P<info>.*)$")
DIRECTIVE_RE = re.compile(r"^\{(?P<name>[^}\s]+)\}[ \t]*(?P<arg>.*)$")
EXERCISES = ("exercise", "exercise-start")
SOLUTION_DIRECTIVES = ("solution", "solution-start", "solution-end")


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(
        f"_lenet_tools_{name}", Path(__file__).with_name(f"{name}.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


colab = _tool("colab")


class StudentError(Exception):
    """A chapter the tool cannot turn into a student edition, or a refused ``--out``."""


# -- Markdown: directive blocks ------------------------------------------------------------------


class Block:
    """Lines ``start:stop`` of a markdown cell: a top-level fenced block or one plain line.

    ``directive`` is the name of a ```{name} block (None for code fences and plain lines),
    ``arg`` its argument (a solution's label), ``closed`` whether its closing fence was found.
    """

    def __init__(
        self,
        start: int,
        stop: int,
        directive: str | None = None,
        arg: str = "",
        closed: bool = True,
    ):
        self.start = start
        self.stop = stop
        self.directive = directive
        self.arg = arg
        self.closed = closed


def blocks(source: str) -> list[Block]:
    """Split markdown into top-level fenced blocks (directives, code) and single lines."""
    lines = source.split("\n")
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE_RE.match(lines[i])
        opening = match and not (match["fence"][0] == "`" and "`" in match["info"])
        if not opening or (match["fence"][0] == ":" and not match["info"].startswith("{")):
            found.append(Block(i, i + 1))  # a plain line (a lone ::: is text in MyST too)
            i += 1
            continue
        fence = match["fence"]
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        stop = next((j + 1 for j in range(i + 1, len(lines)) if close.match(lines[j])), None)
        directive = DIRECTIVE_RE.match(match["info"].strip())
        found.append(
            Block(
                i,
                stop or len(lines),
                directive["name"] if directive else None,
                directive["arg"].strip() if directive else "",
                stop is not None,
            )
        )
        i = stop or len(lines)
    return found


def directives(nb) -> list[tuple[str, str]]:
    """(name, argument) of every top-level directive in the notebook's markdown cells."""
    return [
        (b.directive, b.arg)
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for b in blocks(cell.source)
        if b.directive
    ]


def count_exercises(nb) -> int:
    """How many exercises (``{exercise}`` blocks and ``{exercise-start}`` directives)."""
    return sum(name in EXERCISES for name, _ in directives(nb))


def count_solutions(nb) -> int:
    """How many solutions (``{solution}`` blocks and ``{solution-start}`` directives)."""
    return sum(name in ("solution", "solution-start") for name, _ in directives(nb))


# -- Code: the answer between the markers --------------------------------------------------------


def split_solution_code(source: str) -> tuple[str, list[str]]:
    """(``source`` with each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` made a stub, the
    lines taken out).

    The stub is ``# YOUR CODE HERE`` at the marker's indentation, followed by ``pass`` when
    indented (an empty function body would not parse). Raises ``ValueError`` when the markers
    do not pair up.
    """
    out: list[str] = []
    removed: list[str] = []
    begin: int | None = None
    for number, line in enumerate(source.split("\n"), start=1):
        start, end = BEGIN_RE.match(line), END_RE.match(line)
        if start:
            if begin is not None:
                raise ValueError(f"line {number}: BEGIN SOLUTION inside another solution")
            begin = number
            indent = start["indent"]
            out.append(indent + PLACEHOLDER)
            if indent:
                out.append(indent + "pass")
        elif end and begin is None:
            raise ValueError(f"line {number}: END SOLUTION without BEGIN SOLUTION")
        elif end:
            begin = None
        elif begin is None:
            out.append(line)
            continue
        removed.append(line)
    if begin is not None:
        raise ValueError(f"line {begin}: BEGIN SOLUTION without END SOLUTION")
    if not removed:
        return source, []
    return "\n".join(out).strip("\n"), removed


def strip_solution_code(source: str) -> str:
    """``source`` with every answer between the markers replaced by ``# YOUR CODE HERE``."""
    return split_solution_code(source)[0]


# -- The whole notebook --------------------------------------------------------------------------


class Edition:
    """A student notebook ``nb`` and what was taken out of the instructor's to make it.

    ``source`` is the chapter's path, ``original`` its cell sources joined, ``removed`` every
    line removed as solution, ``exercises`` and ``solutions`` the chapter's counts.
    """

    def __init__(self, nb, source: Path, original: str = ""):
        self.nb = nb
        self.source = source
        self.original = original
        self.removed: list[str] = []
        self.exercises = 0
        self.solutions = 0


def _tidy(lines: list[str | None]) -> str:
    """Join kept markdown lines, ``None`` marking a removed block: one blank line where
    blocks were cut, none at the ends; blank lines elsewhere are kept as they were."""
    kept: list[str] = []
    gap = False
    for line in lines:
        if line is None:
            while kept and not kept[-1].strip():
                kept.pop()
            gap = True
        elif gap and not line.strip():
            continue
        else:
            if gap and kept:
                kept.append("")
            gap = False
            kept.append(line)
    return "\n".join(kept).strip("\n")


def _markdown(
    source: str, gated: str | None, where: str, removed: list[str]
) -> tuple[str | None, str | None]:
    """Remove solutions from one markdown cell; return (new source or None, gated label)."""
    lines = source.split("\n")
    kept: list[str | None] = []
    changed = False
    for block in blocks(source):
        name = block.directive
        if name in SOLUTION_DIRECTIVES and not block.closed:
            raise StudentError(
                f"{where}: unterminated {{{name}}} directive (a {{solution}} block holds "
                "markdown only; put code cells between solution-start and solution-end)"
            )
        if name == "solution-start":
            if gated is not None:
                raise StudentError(f"{where}: solution-start {block.arg} inside solution {gated}")
            gated = block.arg or "(no label)"
        elif name == "solution-end":
            if gated is None:
                raise StudentError(f"{where}: solution-end without solution-start")
            gated = None
        elif name != "solution" and gated is None:
            kept.extend(lines[block.start : block.stop])
            continue
        removed.extend(lines[block.start : block.stop])
        kept.append(None)
        changed = True
    if not changed:
        return source, gated
    new = _tidy(kept)
    return (new if new.strip() else None), gated


def _badge_and_note(cells: list, student_path: Path, root: Path, where: str) -> list:
    """Point the first badge at ``student_path`` and put the student note right under it."""
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown" or not colab.BADGE_RE.search(cell.source):
            continue
        source = colab.BADGE_RE.sub(lambda _: colab.badge(student_path, root), cell.source, 1)
        lines = source.split("\n")
        at = next(i for i, line in enumerate(lines) if colab.BADGE_RE.search(line)) + 1
        head, rest = "\n".join(lines[:at]).rstrip(), "\n".join(lines[at:]).strip("\n")
        cell.source = head
        note = nbformat.v4.new_markdown_cell(NOTE)
        note.id = NOTE_CELL_ID
        new = [note]
        if rest.strip():
            tail = copy.deepcopy(cell)
            tail.source = rest
            tail.id = f"{cell.get('id', 'cell')}-rest"[:64]
            new.append(tail)
        return cells[: index + 1] + new + cells[index + 1 :]
    raise StudentError(f"{where}: no Colab badge line (put one under the title)")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def make_student(chapter_nb, chapter: Path, student_path: Path, root: Path = ROOT) -> Edition:
    """The student edition of ``chapter_nb`` (read from ``chapter``), to live at ``student_path``.

    ``chapter_nb`` is not changed. Raises ``StudentError`` for a malformed solution.
    """
    if GENERATED_KEY in chapter_nb.metadata:
        raise StudentError(f"{chapter}: is already a student edition")
    nb = copy.deepcopy(chapter_nb)
    edition = Edition(nb, chapter, original="\n".join(c.source for c in chapter_nb.cells))
    edition.exercises = count_exercises(chapter_nb)
    edition.solutions = count_solutions(chapter_nb)
    cells = []
    gated: str | None = None
    for number, cell in enumerate(nb.cells):
        where = f"{chapter.name}, cell {number}"
        if cell.cell_type == "code":
            try:
                source, removed = split_solution_code(cell.source)
            except ValueError as error:
                raise StudentError(f"{where}: {error}") from None
            if gated is not None and not removed:
                raise StudentError(
                    f"{where}: a code cell inside solution {gated} has no # BEGIN SOLUTION / "
                    "# END SOLUTION markers: mark the answer, or move the cell out"
                )
            edition.removed += removed
            cell.source = source
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
            cells.append(cell)
        elif cell.cell_type == "markdown":
            source, gated = _markdown(cell.source, gated, where, edition.removed)
            if source is not None:
                cell.source = source
                cells.append(cell)
        elif gated is not None:  # a raw cell inside a solution
            edition.removed += cell.source.split("\n")
        else:
            cells.append(cell)
    if gated is not None:
        raise StudentError(f"{chapter.name}: solution-start {gated} has no solution-end")
    nb.cells = _badge_and_note(cells, student_path, root, chapter.name)
    for key in DROPPED_METADATA:
        nb.metadata.pop(key, None)
    nb.metadata.update(copy.deepcopy(colab.GPU_METADATA))
    nb.metadata[GENERATED_KEY] = {"source": _relative(chapter, root)}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = colab.INSTALL_RE.sub(lambda _: colab.install_target(root), cell.source)
    verify(edition)
    return edition


def _distinctive(line: str) -> bool:
    """A removed line worth searching for: not a fence, a directive option or a short line."""
    text = line.strip()
    return len(text) >= 10 and not FENCE_RE.match(text) and not re.match(r"^:[\w-]+:", text)


def verify(edition: Edition, nb=None) -> None:
    """Raise ``StudentError`` if anything of a solution survives in ``nb`` (the edition's own
    notebook by default, or one read back from disk): a BEGIN/END SOLUTION marker,
    ``{solution``, an output, a lost exercise, or a removed line (of 10 characters or more) that
    the instructor notebook has only inside solutions."""
    nb = edition.nb if nb is None else nb
    problems = []
    for number, cell in enumerate(nb.cells):
        if ANY_MARKER_RE.search(cell.source):
            problems.append(f"cell {number} keeps a BEGIN/END SOLUTION marker")
        if "{solution" in cell.source:
            problems.append(f"cell {number} keeps a {{solution directive")
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"cell {number} keeps outputs or an execution count")
    text = "\n".join(cell.source for cell in nb.cells)
    removed = "\n".join(edition.removed)
    for line in sorted({line.strip() for line in edition.removed if _distinctive(line)}):
        only_in_solutions = edition.original.count(line) <= removed.count(line)
        if only_in_solutions and line in text:
            problems.append(f"solution text survives: {line!r}")
    if count_exercises(nb) != edition.exercises:
        problems.append(f"{edition.exercises} exercises became {count_exercises(nb)}")
    if problems:
        raise StudentError(
            f"{edition.source.name}: the student edition leaks: " + "; ".join(problems)
        )


# -- Files ---------------------------------------------------------------------------------------


def check_out(out: Path, root: Path = ROOT) -> Path:
    """``out`` resolved, or ``StudentError`` if writing there could touch the instructor's."""
    out, root = out.resolve(), root.resolve()
    chapters = root / "chapters"
    if out == root or out == chapters or chapters in out.parents:
        raise StudentError(
            f"--out {out} would write among the instructor notebooks; "
            "use a folder of its own, such as student/"
        )
    if root not in out.parents:
        raise StudentError(
            f"--out {out} is outside the repository {root}: the Colab badge links to the "
            "notebook's path in the repository"
        )
    return out


def student_path(chapter: Path, out: Path) -> Path:
    """Where the student edition of ``chapter`` (``.../NN_name.ipynb``) goes."""
    return out / "chapters" / chapter.with_suffix(".ipynb").name


def generated(path: Path) -> bool:
    """Whether ``path`` is a notebook this tool wrote (it carries ``lenet_student``)."""
    try:
        return GENERATED_KEY in nbformat.read(path, as_version=4).metadata
    except Exception:
        return False


def differences(expected, actual) -> list[str]:
    """How ``actual`` (a notebook on disk) differs from ``expected``, by content, not bytes."""
    found = []
    if len(expected.cells) != len(actual.cells):
        found.append(f"{len(actual.cells)} cells instead of {len(expected.cells)}")
    for number, (a, b) in enumerate(zip(expected.cells, actual.cells, strict=False)):
        if a.cell_type != b.cell_type or a.source != b.source:
            found.append(f"cell {number} differs")
        elif b.cell_type == "code" and (b.get("outputs") or b.get("execution_count")):
            found.append(f"cell {number} has outputs")
    for key in COMPARED_METADATA:
        if expected.metadata.get(key) != actual.metadata.get(key):
            found.append(f"metadata {key} differs")
    return found


def build(
    chapters: list[Path], out: Path, root: Path = ROOT, check: bool = False, prune: bool = False
) -> list[str]:
    """Write (or, with ``check``, compare) the student editions of ``chapters``.

    Returns the lines to report. With ``check``, a line starting "stale:", "missing:" or
    "orphan:" means the committed student notebooks are out of step. ``prune`` (all chapters
    were given) also handles the generated notebooks whose chapter is gone.
    """
    out = check_out(out, root)
    editions = []
    for chapter in chapters:
        chapter = chapter.resolve().with_suffix(".ipynb")
        if out in chapter.parents:
            raise StudentError(f"{chapter} is in --out {out}: give instructor notebooks")
        if not chapter.exists():
            raise StudentError(f"{chapter}: no such notebook (run tools/execute.py)")
        target = student_path(chapter, out)
        nb = nbformat.read(chapter, as_version=4)
        editions.append((make_student(nb, chapter, target, root), target))
    report = []
    targets = {target for _, target in editions}
    orphans = []
    if prune and (out / "chapters").is_dir():
        orphans = [
            path
            for path in sorted((out / "chapters").glob("*.ipynb"))
            if path not in targets and generated(path)
        ]
    if check:
        for edition, target in editions:
            if not target.exists():
                report.append(f"missing: {_relative(target, root)}")
                continue
            try:
                found = differences(edition.nb, nbformat.read(target, as_version=4))
            except Exception as error:  # not a notebook any more
                found = [f"unreadable: {error}"]
            if found:
                report.append(f"stale: {_relative(target, root)} ({', '.join(found[:3])})")
        report += [f"orphan: {_relative(path, root)} (its chapter is gone)" for path in orphans]
        return report
    for _, target in editions:
        if target.exists() and not generated(target):
            raise StudentError(
                f"{target} exists and was not written by this tool; move it away first"
            )
    for edition, target in editions:
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(edition.nb)
        nbformat.write(edition.nb, target)
        try:
            verify(edition, nbformat.read(target, as_version=4))
        except StudentError:
            target.unlink()
            raise
        report.append(
            f"wrote: {_relative(target, root)} ({edition.exercises} exercises, "
            f"{edition.solutions} solutions removed)"
        )
    for path in orphans:
        path.unlink()
        report.append(f"removed: {_relative(path, root)} (its chapter is gone)")
    return report


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    doc = __doc__.split("\n\n")
    parser = argparse.ArgumentParser(
        description=doc[0],
        epilog="\n\n".join(doc[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder of the student edition, inside the repository (default: student/); "
        "notebooks go to OUT/chapters/",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1, naming them, if the notebooks in OUT are out of step",
    )
    parser.add_argument("files", nargs="*", type=Path, help="chapters/*.ipynb by default")
    args = parser.parse_args(argv)
    out = args.out if args.out is not None else root / "student"
    chapters = args.files or sorted((root / "chapters").glob("*.ipynb"))
    try:
        report = build(chapters, out, root, check=args.check, prune=not args.files)
    except StudentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in report:
        print(line)
    if args.check:
        if report:
            print("run: python tools/student.py", file=sys.stderr)
            return 1
        print(f"{len(chapters)} student notebooks up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
