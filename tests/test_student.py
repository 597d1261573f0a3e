"""tools/student.py: the student edition has no solutions, keeps the exercises, and runs.

A small fixture chapter, written in the chapters' MyST format and turned into a notebook by
jupytext, stands in for the real ones; the real chapters are transformed in memory only
(executing them trains models, which is not this file's job).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest import load_module

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str):
    return load_module(ROOT / "tools" / f"{name}.py")


student = _tool("student")
colab = _tool("colab")

NAME = "90_fixture"
HEADER = """---
jupytext:
  formats: ipynb,md:myst
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
"""
# {sep} is "" (jupytext puts the directives and the prose around them in shared markdown
# cells) or "+++" (each directive in a markdown cell of its own).
CHAPTER = """
(ch-fixture)=
# A fixture chapter

[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/lenet-course/lenet-book/blob/main/chapters/90_fixture.ipynb)

INTRO-PROSE of the fixture chapter.

```{code-cell} ipython3
numbers = [1, 2, 3]
print("set up")
```

## Exercises

```{exercise-start}
:label: ex-fixture-sum
```
{sep}
EXERCISE-TEXT-GATED: add up `numbers`, print the total, and write `double`.
{sep}
```{exercise-end}
```
{sep}
```{solution-start} ex-fixture-sum
:class: dropdown
```
{sep}
SOLUTION-PROSE-BEFORE: the sum of the first three integers is six.

```{code-cell} ipython3
values = list(numbers)  # SETUP-LINE-BEFORE-MARKERS
### BEGIN SOLUTION
total = sum(values)  # SOLUTION-CODE-SUM
print(total)
### END SOLUTION
print("checked", len(values))  # SETUP-LINE-AFTER-MARKERS
```

SOLUTION-PROSE-BETWEEN: a function's answer is indented.

```{code-cell} ipython3
def double(x):
    ### BEGIN SOLUTION
    return 2 * x  # SOLUTION-CODE-DOUBLE
    ### END SOLUTION
```

```{code-cell} ipython3
### BEGIN SOLUTION
print(double(total))  # SOLUTION-CODE-WHOLE-CELL
### END SOLUTION
```

SOLUTION-PROSE-AFTER: twelve.
{sep}
```{solution-end}
```
{sep}
```{exercise}
:label: ex-fixture-simple
EXERCISE-TEXT-SIMPLE: why is six the sum?
```
{sep}
```{solution} ex-fixture-simple
SOLUTION-SIMPLE-TEXT: because one plus two plus three is six.
```
{sep}
CLOSING-PROSE after the exercises.

```{code-cell} ipython3
print("after the exercises")  # NORMAL-CELL
```
"""
SOLUTION_TEXT = [
    "SOLUTION-PROSE-BEFORE",
    "SOLUTION-PROSE-BETWEEN",
    "SOLUTION-PROSE-AFTER",
    "SOLUTION-SIMPLE-TEXT",
    "SOLUTION-CODE-SUM",
    "SOLUTION-CODE-DOUBLE",
    "SOLUTION-CODE-WHOLE-CELL",
    "print(total)",
    "BEGIN SOLUTION",
    "END SOLUTION",
    "{solution",
    "dropdown",
]
KEPT_TEXT = [
    "INTRO-PROSE",
    "EXERCISE-TEXT-GATED",
    "EXERCISE-TEXT-SIMPLE",
    "{exercise-start}",
    "{exercise-end}",
    ":label: ex-fixture-sum",
    "CLOSING-PROSE",
    "values = list(numbers)  # SETUP-LINE-BEFORE-MARKERS",
    'print("checked", len(values))  # SETUP-LINE-AFTER-MARKERS',
    "def double(x):",
    'print("after the exercises")  # NORMAL-CELL',
]


def _write_chapter(root: Path, sep: str = "", text: str | None = None) -> Path:
    """An executed-looking chapter notebook (outputs, counts, lenet_run) under ``root``."""
    (root / "chapters").mkdir(parents=True, exist_ok=True)
    if not (root / "_config.yml").exists():
        (root / "_config.yml").write_text(
            "repository:\n  url: https://github.com/someone/else\n  branch: dev\n"
        )
    text = HEADER + (CHAPTER.replace("{sep}", sep) if text is None else text)
    nb = jupytext.reads(text, fmt="md:myst")
    for count, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="RUN-OUTPUT\n")]
    nb.metadata.update(colab.GPU_METADATA)
    nb.metadata["lenet_run"] = {"seconds": 1.0}
    path = root / "chapters" / f"{NAME}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(params=["", "+++"], ids=["shared-cells", "split-cells"])
def chapter(request, tmp_path: Path) -> Path:
    return _write_chapter(tmp_path, request.param)


def _edition(chapter: Path):
    root = chapter.parents[1]
    nb = nbformat.read(chapter, as_version=4)
    return student.make_student(nb, chapter, student.student_path(chapter, root / "student"), root)


def _text(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells)


def test_solutions_go_exercises_and_set_up_stay(chapter: Path, request):
    original = nbformat.read(chapter, as_version=4)
    own_cell = any(c.source.startswith("```{solution-start}") for c in original.cells)
    assert own_cell == (request.node.callspec.params["chapter"] == "+++"), "fixture layout"
    edition = _edition(chapter)
    text = _text(edition.nb)
    for gone in SOLUTION_TEXT:
        assert gone not in text, f"{gone!r} survives"
    for kept in KEPT_TEXT:
        assert kept in text, f"{kept!r} was lost"
    assert "NotImplementedError" not in text
    assert edition.exercises == student.count_exercises(edition.nb) == 2
    assert edition.solutions == 2 and student.count_solutions(edition.nb) == 0
    code = [c.source for c in edition.nb.cells if c.cell_type == "code"]
    assert code[1] == (
        "values = list(numbers)  # SETUP-LINE-BEFORE-MARKERS\n"
        "# YOUR CODE HERE\n"
        'print("checked", len(values))  # SETUP-LINE-AFTER-MARKERS'
    )
    assert code[2] == "def double(x):\n    # YOUR CODE HERE\n    pass"
    assert code[3] == "# YOUR CODE HERE", "a cell that is all solution becomes the stub"
    assert len(code) == 5, "code cells inside a solution stay"
    assert nbformat.read(chapter, as_version=4) == original, "the chapter must not change"


def test_outputs_cleared_and_colab_metadata_kept(chapter: Path):
    nb = _edition(chapter).nb
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "execution" not in cell.metadata
    assert "RUN-OUTPUT" not in str(nb)
    assert nb.metadata["accelerator"] == "GPU"
    assert nb.metadata["colab"]["gpuType"] == colab.GPU_METADATA["colab"]["gpuType"]
    assert "lenet_run" not in nb.metadata and "jupytext" not in nb.metadata
    assert nb.metadata[student.GENERATED_KEY] == {"source": f"chapters/{NAME}.ipynb"}
    nbformat.validate(nb)


def test_badge_opens_the_student_notebook_and_the_note_follows(chapter: Path):
    nb = _edition(chapter).nb
    root = chapter.parents[1]
    expected = colab.badge(root / "student" / "chapters" / f"{NAME}.ipynb", root)
    assert "github/someone/else/blob/dev/student/chapters/90_fixture.ipynb" in expected
    first = nb.cells[0].source
    assert first.startswith("(ch-fixture)=\n# A fixture chapter") and first.endswith(expected)
    assert nb.cells[1].source == student.NOTE
    assert nb.cells[2].source.startswith("INTRO-PROSE")
    assert "lenet-course/lenet-book" not in _text(nb), "no link to the instructor notebook"


@pytest.mark.timeout(120)
def test_student_notebook_runs_top_to_bottom(tmp_path: Path):
    import nbclient

    root = tmp_path / "repo"
    _write_chapter(root)
    assert student.main([], root=root) == 0
    nb = nbformat.read(root / "student" / "chapters" / f"{NAME}.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    printed = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "checked 3" in printed and "after the exercises" in printed


@pytest.mark.parametrize("where", ["chapters", "."])
def test_refuses_to_write_over_the_instructor_notebooks(tmp_path: Path, where: str, capsys):
    chapter = _write_chapter(tmp_path)
    before = chapter.read_bytes()
    for check in ([], ["--check"]):
        assert student.main(["--out", str(tmp_path / where), *check], root=tmp_path) == 2
        assert "instructor notebooks" in capsys.readouterr().err
    assert chapter.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "chapters").iterdir()) == [f"{NAME}.ipynb"]


def test_check_detects_stale_missing_and_orphaned_notebooks(tmp_path: Path, capsys):
    _write_chapter(tmp_path)
    target = tmp_path / "student" / "chapters" / f"{NAME}.ipynb"
    assert student.main(["--check"], root=tmp_path) == 1
    assert "missing: student/chapters/90_fixture.ipynb" in capsys.readouterr().out
    assert student.main([], root=tmp_path) == 0
    assert "wrote: student/chapters/90_fixture.ipynb" in capsys.readouterr().out
    assert student.main(["--check"], root=tmp_path) == 0

    nb = nbformat.read(target, as_version=4)
    target.write_text(nbformat.writes(nb, version=4).replace("\n ", "\n  "))  # other JSON bytes
    assert student.main(["--check"], root=tmp_path) == 0, "compares content, not bytes"

    nb.cells[-1].source = "print('edited by hand')"
    nbformat.write(nb, target)
    assert student.main(["--check"], root=tmp_path) == 1
    assert "stale: student/chapters/90_fixture.ipynb" in capsys.readouterr().out
    assert nbformat.read(target, as_version=4) == nb, "--check changes nothing"

    student.main([], root=tmp_path)
    (tmp_path / "chapters" / f"{NAME}.ipynb").rename(tmp_path / "chapters" / "91_renamed.ipynb")
    capsys.readouterr()
    assert student.main(["--check"], root=tmp_path) == 1
    out = capsys.readouterr().out
    assert "orphan: student/chapters/90_fixture.ipynb" in out and "missing:" in out
    assert student.main([], root=tmp_path) == 0
    assert not target.exists(), "a generated notebook whose chapter is gone is removed"
    assert student.main(["--check"], root=tmp_path) == 0


def test_leaves_files_it_did_not_write_alone(tmp_path: Path, capsys):
    _write_chapter(tmp_path)
    out = tmp_path / "student"
    (out / "chapters").mkdir(parents=True)
    notes = out / "notes.md"
    notes.write_text("an instructor's notes")
    mine = out / "chapters" / "answers.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), mine)
    before = mine.read_bytes()
    assert student.main([], root=tmp_path) == 0
    assert notes.read_text() == "an instructor's notes" and mine.read_bytes() == before

    target = out / "chapters" / f"{NAME}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), target)  # a student's own file, same name
    before = target.read_bytes()
    assert student.main([], root=tmp_path) == 2
    assert "was not written by this tool" in capsys.readouterr().err
    assert target.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("```{solution-start} ex-a\n```\n\nprose\n", "has no solution-end"),
        ("```{solution-end}\n```\n", "solution-end without solution-start"),
        ("```{solution} ex-a\nnever closed\n", "unterminated {solution}"),
        (
            "```{solution-start} ex-a\n```\n\n```{code-cell} ipython3\nanswer = 1\n```\n\n"
            "```{solution-end}\n```\n",
            "has no # BEGIN SOLUTION",
        ),
        ("```{code-cell} ipython3\n### BEGIN SOLUTION\nanswer = 1\n```\n", "without END"),
        ("```{code-cell} ipython3\nanswer = 1\n### END SOLUTION\n```\n", "without BEGIN"),
    ],
    ids=["no-end", "no-start", "unclosed-block", "unmarked-code", "no-end-marker", "no-begin"],
)
def test_malformed_solutions_are_named(tmp_path: Path, text: str, message: str):
    head = "# T\n\n[![Open In Colab](x)](y)\n\n"
    chapter = _write_chapter(tmp_path, text=head + text)
    with pytest.raises(student.StudentError, match=message.replace("{", r"\{")) as error:
        _edition(chapter)
    assert NAME in str(error.value)


def test_verify_fails_loudly_on_a_leak(chapter: Path):
    edition = _edition(chapter)
    student.verify(edition)
    leaky = nbformat.from_dict(edition.nb)
    leaky.cells[-1].source += "\n\nSOLUTION-SIMPLE-TEXT: because one plus two plus three is six."
    with pytest.raises(student.StudentError, match="solution text survives"):
        student.verify(edition, leaky)
    leaky = nbformat.from_dict(edition.nb)
    leaky.cells[-1].source = "### BEGIN SOLUTION\n" + leaky.cells[-1].source
    with pytest.raises(student.StudentError, match="marker"):
        student.verify(edition, leaky)


def test_markers_pair_up_and_keep_the_surrounding_code():
    split = student.strip_solution_code
    assert split("a = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\nc = 3") == (
        "a = 1\n# YOUR CODE HERE\nc = 3"
    )
    assert split("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n") == "# YOUR CODE HERE"
    assert split(
        "# BEGIN SOLUTION\nx\n# END SOLUTION\n### BEGIN SOLUTION\ny\n### END SOLUTION"
    ) == ("# YOUR CODE HERE\n# YOUR CODE HERE")
    assert split("print('no answer here')\n") == "print('no answer here')\n", "unchanged"
    with pytest.raises(ValueError, match="inside another"):
        split("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION")


def test_cli_help_explains_the_graders():
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "student.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for words in ["--check", "--out", "nbgrader", "otter", "NotImplementedError", "chapters/"]:
        assert words in done.stdout


REAL = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "chapters").glob("*.md"))


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_real_chapter_loses_every_solution_and_no_exercise(path: Path):
    """In memory only. The .md twins are checked too, so exercises count before execution."""
    if path.suffix == ".md":
        nb = jupytext.read(path)
    else:
        nb = nbformat.read(path, as_version=4)
    ipynb = path.with_suffix(".ipynb")
    edition = student.make_student(nb, ipynb, ROOT / "student" / "chapters" / ipynb.name)
    text = _text(edition.nb)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "{solution" not in text
    assert student.count_solutions(edition.nb) == 0
    assert student.count_exercises(edition.nb) == student.count_exercises(nb)
    markers = sum(c.source.count("BEGIN SOLUTION") for c in nb.cells if c.cell_type == "code")
    stubs = sum(
        c.source.count(student.PLACEHOLDER) for c in edition.nb.cells if c.cell_type == "code"
    )
    assert stubs == markers, "one # YOUR CODE HERE per answer"
    assert colab.badge(ROOT / "student" / "chapters" / ipynb.name) in edition.nb.cells[0].source
