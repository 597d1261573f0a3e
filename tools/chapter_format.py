"""The chapter format that the tools and the book's extensions share: exercises (nbgrader's
cell metadata plus grading markers: CONTRIBUTING.md, "Add an exercise"), glue cells, the badge
and TensorFlow's logs. Every function takes nbformat cells or code; none reads or writes files.
"""

from __future__ import annotations

import ast
import re

BEGIN_SOLUTION, END_SOLUTION = "# BEGIN SOLUTION", "# END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# Any marker, with any number of '#': nbgrader accepts them all, otter-grader only the forms
# above, so the graders refuse the others and the book hides them all.
MARKER = re.compile(r"#+[ \t]*(BEGIN|END)[ \t]+(SOLUTION|HIDDEN[ \t]+TESTS)\b")

CODE_STUB = "# YOUR CODE HERE"  # what nbgrader leaves of an answer's code in the student edition
TEXT_STUB = "**Your answer:** *double-click this cell and write it here.*"

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
EDITION_FOLDERS = {True: "colab", False: "student"}  # with solutions or not -> folder

# TensorFlow's C++ (absl) log lines, "I0000 00:00:17... port.cc:153] ...", and the notes it
# prints before that log is set up: TF_CPP_MIN_LOG_LEVEL does not reach those.
TENSORFLOW_CPP_LOG = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:[\d.]+ +\d+ \S+:\d+\]|WARNING: All log messages before absl"
    r"|To enable the following instructions: ).*\n?",
    re.M,
)
# What TensorFlow and Keras log through Python's logging ("WARNING:tensorflow:5 out of the
# last 5 calls ... triggered tf.function retracing"); group 1 is the message.
TENSORFLOW_LOG = re.compile(
    r"^(?:WARNING|INFO|ERROR):(?:tensorflow|absl|keras)[^:\n]*:(.*)\n?", re.M
)


class EditionError(Exception):
    """A chapter that breaks the format or cannot be converted; the message says where and why."""


def regions(source: str) -> list[tuple[str, str]]:
    """Each line of a cell's code with where it stands: ``"marker"``, ``"solution"``,
    ``"hidden"`` or ``""`` (outside the markers). An unclosed region runs to the end."""
    found, inside = [], ""
    for line in source.split("\n"):
        marker = MARKER.match(line.strip())
        if marker:
            inside = "" if marker[1] == "END" else marker[2].split()[0].lower()
            found.append((line, "marker"))
        else:
            found.append((line, inside))
    return found


def lines_in(source: str, *where: str) -> str:
    """The lines of ``source`` that stand in ``where`` (see :func:`regions`), joined."""
    return "\n".join(line for line, place in regions(source) if place in where)


def kind(cell) -> str | None:
    """``"answer"`` (code the learner writes), ``"written"`` (a markdown answer graded by
    hand), ``"check"`` (a locked code cell that grades an answer), or None, from nbgrader's
    metadata as nbgrader reads it."""
    from nbgrader.utils import is_grade, is_locked, is_solution

    code = cell.cell_type == "code"
    if is_solution(cell):
        if code and not is_grade(cell):
            return "answer"
        return "written" if cell.cell_type == "markdown" and is_grade(cell) else None
    return "check" if code and is_grade(cell) and is_locked(cell) else None


def check_inside_solution(cell, where: str) -> bool:
    """Whether ``cell``, which stands inside a gated solution, is plain prose (markdown without
    nbgrader metadata: only the Colab edition shows it). Raise :class:`EditionError` unless it
    is that or a cell that nbgrader clears (``solution``): anything else would reach students."""
    from nbgrader.utils import is_solution

    if cell.cell_type == "markdown" and "nbgrader" not in cell.metadata:
        return True
    if not is_solution(cell):
        raise EditionError(
            f"{where}: a {cell.cell_type} cell inside a solution without nbgrader 'solution' "
            "metadata, so the student edition and the graders would show it; mark it as an "
            "answer (CONTRIBUTING.md, 'Add an exercise'), or put it after {solution-end}"
        )
    return False


def _statements(code: str) -> list[ast.stmt] | None:
    try:
        return ast.parse(code).body
    except SyntaxError:  # an IPython magic, say
        return None


def worked(cell) -> str:
    """A code cell as the Colab edition shows it: markers and hidden tests left out, and an
    answer's stub lines (``name = None``, what students start from) too."""
    stubs = _statements(lines_in(cell.source, "")) if kind(cell) == "answer" else None
    stub_only = stubs is not None and all(
        isinstance(s, ast.Assign) and getattr(s.value, "value", 0) is None for s in stubs
    )
    return lines_in(cell.source, *(("solution",) if stub_only else ("", "solution"))).strip("\n")


def only_glues(code: str) -> bool:
    """Whether ``code`` does nothing but call ``glue(...)``: its arguments may compute the
    values, but nothing may be bound, since the editions leave such a cell out."""
    body = _statements(code)
    return bool(body) and all(
        isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Call)
        and getattr(s.value.func, "attr", getattr(s.value.func, "id", "")) == "glue"
        and not any(isinstance(node, ast.NamedExpr) for node in ast.walk(s))
        for s in body
    )


def clear_solutions(nb, where: str) -> None:
    """The student edition of ``nb``, in place: nbgrader's own preprocessors replace each
    answer by a stub, remove the hidden tests, and nbconvert's remove the outputs."""
    from nbconvert.preprocessors import ClearOutputPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    steps = [
        # enforce_metadata=False: markers count in any cell (the graders require metadata)
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
