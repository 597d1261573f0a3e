"""nbgrader and otter-grader assign and grade the exercises as the Instructor guide says.

What an instructor gets from ``python -m tools.grading`` and the shipped configuration in
``grading/``, with the real tools (nbgrader 0.9.6, otter-grader 7.0.0):

* every chapter of ``_toc.yml``, and the one-chapter fixture book of
  ``tests/fixtures/grading`` (one exercise of each kind), is released by
  ``nbgrader generate_assignment`` and assigned by ``otter assign`` with nothing of a solution
  left: no solution code, written answer, hidden test, marker or output;
* the Instructor guide's two recipes, run command by command on chapter 3 in a temporary home
  folder, and the same tools on chapter 2: ``nbgrader autograde`` and ``otter run`` score an
  unanswered notebook 0 and the solved one every autograded point (training capped with
  ``LENET_MAX_EPOCHS=1``, as the recipes do);
* the solution markers have one ``#`` everywhere;
* ``tools.grading`` refuses exercises that break the format, naming the cell.

Grading runs each notebook top to bottom, once unanswered and once solved, per tool: the slow
part. Only the two chapters that train nothing are graded, and the four grading runs go on in
the background at the same time (class ``Background``) while the other tests run.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import jupytext
import nbformat
import pytest
from leaks import leaks

from tools import chapter_format, editions, grading
from tools.common import ROOT, chapters, repository

FIXTURE = ROOT / "tests" / "fixtures" / "grading"
GUIDE = ROOT / "instructor_guide.md"
CHAPTERS = chapters()
GRADED = "02_convolution"  # graded here; 03_architecture is graded by the recipes
RECIPE_CHAPTER = "03_architecture"
BIN = Path(sys.executable).parent
TIMEOUT = 900


def _env(**extra: str) -> dict[str, str]:
    """The environment of the commands: this virtual environment first on the PATH (nbgrader
    calls its own ``alembic``), training capped at one epoch, TensorFlow quiet."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    env.update(LENET_MAX_EPOCHS="1", TF_CPP_MIN_LOG_LEVEL="3", **extra)
    return env


class Background:
    """A bash script running in the background (in its own process group), output to a log.

    The graders run each notebook top to bottom: the slow part of this file. Its four
    pipelines (nbgrader and otter on chapter 2, the guide's two recipes on chapter 3) run at
    the same time, while the other tests go on.
    """

    def __init__(self, name: str, script: str, cwd: Path, logs: Path, **extra: str) -> None:
        self.name, self.log = name, logs / f"{name}.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                ["/bin/bash", "-c", f"set -euo pipefail\n{script}"],
                cwd=cwd,
                env=_env(**extra),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait(self) -> None:
        """Wait for the script; fail with the end of its output unless it exited 0."""
        try:
            status = self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stop()
            status = f"nothing after {TIMEOUT} s"
        output = self.log.read_text(errors="replace")
        assert status == 0, f"{self.name} exited {status}:\n{output[-6000:]}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture(scope="session")
def fixture_chapter(tmp_path_factory) -> Path:
    """The fixture book's chapter, in a temporary copy with its paired ``.ipynb``."""
    root = tmp_path_factory.mktemp("grading-fixture") / "book"
    shutil.copytree(FIXTURE, root)
    md = root / "chapters" / "01_graded.md"
    jupytext.write(jupytext.read(md), md.with_suffix(".ipynb"))  # nothing glued: no run needed
    return md


def _all_chapters(fixture_chapter: Path) -> dict[str, Path]:
    return {md.stem: md for md in [*CHAPTERS, fixture_chapter]}


NAMES = [md.stem for md in CHAPTERS] + ["01_graded"]


# -- The slow part, started early: the graders run the notebooks ---------------------------------

# What release_assignment and collect (nbgrader), or a student's upload (otter), do between
# the recipes' blocks: an unanswered submission and the instructor's solved one.
NBGRADER_SUBMISSIONS = f"""
for pair in blank:release solved:source; do
    mkdir -p ~/lenet-course/submitted/${{pair%%:*}}/{RECIPE_CHAPTER}
    cp ~/lenet-course/${{pair#*:}}/{RECIPE_CHAPTER}/{RECIPE_CHAPTER}.ipynb \\
        ~/lenet-course/submitted/${{pair%%:*}}/{RECIPE_CHAPTER}/
done
"""
OTTER_SUBMISSION = f"""
cp ~/lenet-otter/dist/{RECIPE_CHAPTER}/student/{RECIPE_CHAPTER}.ipynb ~/lenet-otter/submission.ipynb
"""


@pytest.fixture(scope="module")
def recipes(tmp_path_factory):
    """The Instructor guide's two recipes, block by block, each in a home folder of its own
    (they write into ~/lenet-course and ~/lenet-otter), started in the background."""
    logs = tmp_path_factory.mktemp("logs")
    scripts = {
        "nbgrader-recipe": [
            recipe("recipe-nbgrader-release"),
            NBGRADER_SUBMISSIONS,
            recipe("recipe-nbgrader-grade"),
        ],
        "otter-recipe": [
            recipe("recipe-otter-assign"),
            OTTER_SUBMISSION,
            recipe("recipe-otter-grade"),
        ],
    }
    runs: dict = {"homes": {}}
    matplotlib = os.environ.get("MPLCONFIGDIR", str(Path.home() / ".config" / "matplotlib"))
    for name, blocks in scripts.items():
        home = tmp_path_factory.mktemp(name)
        runs["homes"][name] = home
        script = "\n".join(f"cd {ROOT}\n{block}" for block in blocks)
        runs[name] = Background(name, script, ROOT, logs, HOME=str(home), MPLCONFIGDIR=matplotlib)
    yield runs
    for run in runs.values():
        if isinstance(run, Background):
            run.stop()


@pytest.fixture(scope="module")
def graders(recipes, nbgrader_course: dict, otter_dist: dict, tmp_path_factory):
    """The recipes (started first), then nbgrader autograde and otter run on chapter 2: an
    unanswered submission and the solved one each."""
    logs = tmp_path_factory.mktemp("logs")
    course = nbgrader_course["course"]
    runs = dict(recipes)
    assert (course / "release" / GRADED).exists(), nbgrader_course["result"].stderr[-5000:]
    _submit(course, GRADED)
    runs["nbgrader"] = Background("nbgrader", f"nbgrader autograde {GRADED}", course, logs)
    assert GRADED not in otter_dist["errors"], otter_dist["errors"].get(GRADED)
    dist = otter_dist["out"] / "dist" / GRADED
    (autograder,) = (dist / "autograder").glob(f"{GRADED}-autograder_*.zip")
    results = runs["otter-results"] = tmp_path_factory.mktemp("otter-results")
    commands = [
        f"mkdir {results / kind} && otter run -a {autograder} -o {results / kind} {notebook}"
        for kind, notebook in (
            ("blank", dist / "student" / f"{GRADED}.ipynb"),
            ("solved", dist / "autograder" / f"{GRADED}.ipynb"),
        )
    ]
    runs["otter"] = Background("otter", "\n".join(commands), results, logs)
    yield runs
    for run in runs.values():
        if isinstance(run, Background):
            run.stop()


# -- Leaks --------------------------------------------------------------------------------------


def test_leaks_are_found(fixture_chapter: Path):
    solved = grading.source_notebook(fixture_chapter)
    copy = nbformat.reads(nbformat.writes(solved), as_version=4)
    copy.metadata["otter"] = {"tests": {"q": "assert output_size(14, 5, 0, 1) == 10"}}
    found = leaks(copy, solved)
    assert any("BEGIN SOLUTION" in p for p in found)
    assert any("conv2_params = 32 * (5 * 5 * 6 + 1)" in p for p in found)
    assert any("reuses one small window" in p for p in found)  # a written answer
    assert any("hidden test in the metadata" in p for p in found)


# -- nbgrader -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nbgrader_course(tmp_path_factory, fixture_chapter: Path, recipes) -> dict:
    """A course folder with every chapter, released by one ``nbgrader generate_assignment``
    (the recipes start first: they run in the background meanwhile)."""
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    errors = {}
    for name, md in _all_chapters(fixture_chapter).items():
        try:
            grading.write_nbgrader([md], course)
        except grading.GradingError as error:
            errors[name] = str(error)
    result = subprocess.run(
        [str(BIN / "nbgrader"), "generate_assignment", "*"],
        cwd=course,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return {"course": course, "errors": errors, "result": result}


def test_nbgrader_config_raises_the_timeout_and_keeps_run_all_going(tmp_path: Path):
    from nbgrader.preprocessors import ClearSolutions, Execute
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", str(grading.GRADING)).load_config()
    assert Execute(config=config).timeout >= 600  # nbgrader's default is 30 s
    assert ClearSolutions(config=config).code_stub == {"python": "# YOUR CODE HERE"}


def test_nbgrader_generate_assignment_exits_0(nbgrader_course: dict):
    result = nbgrader_course["result"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]


@pytest.mark.parametrize("name", NAMES)
def test_nbgrader_release_has_no_solution(nbgrader_course: dict, name: str):
    assert name not in nbgrader_course["errors"], nbgrader_course["errors"].get(name)
    course = nbgrader_course["course"]
    release = course / "release" / name / f"{name}.ipynb"
    assert release.exists(), nbgrader_course["result"].stderr[-5000:]
    solved = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    handed_out = nbformat.read(release, as_version=4)
    assert not leaks(handed_out, solved)
    text = "".join(c.source for c in handed_out.cells)
    assert "NotImplementedError" not in text  # "Run all" goes on past an unanswered exercise
    assert "colab.research.google.com" not in text and "Colab edition" not in text


def _submit(course: Path, name: str) -> None:
    """An unanswered submission (the release) and the instructor's solved one (the source)."""
    for student, folder in (("blank", "release"), ("solved", "source")):
        target = course / "submitted" / student / name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(course / folder / name / f"{name}.ipynb", target / f"{name}.ipynb")


def _autograded_points(chapter: Path) -> float:
    """What a solved notebook scores: the points of the chapter's check cells."""
    return grading.autograded_points(grading.parts(jupytext.read(chapter), chapter.name))


def test_nbgrader_autograde_scores_blank_0_and_solved_full(nbgrader_course: dict, graders):
    from nbgrader.api import Gradebook

    graders["nbgrader"].wait()
    course = nbgrader_course["course"]
    points = _autograded_points(ROOT / "chapters" / f"{GRADED}.md")
    assert points > 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        blank = gradebook.find_submission_notebook(GRADED, GRADED, "blank")
        solved = gradebook.find_submission_notebook(GRADED, GRADED, "solved")
        assert (blank.code_score, blank.max_code_score) == (0, points)
        assert (solved.code_score, solved.max_code_score) == (points, points)


# -- otter-grader -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def otter_dist(tmp_path_factory, fixture_chapter: Path) -> dict:
    """Every chapter in otter's format, through ``otter assign`` (tests not run: that is
    ``otter run``'s, below)."""
    from otter.assign import main as otter_assign

    out = tmp_path_factory.mktemp("otter")
    errors = {}
    for name, md in _all_chapters(fixture_chapter).items():
        try:
            grading.write_otter([md], out)
            otter_assign(str(out / f"{name}.ipynb"), str(out / "dist" / name), no_run_tests=True)
        except Exception as error:  # noqa: BLE001 - reported by each chapter's test
            errors[name] = f"{type(error).__name__}: {error}"
    return {"out": out, "errors": errors}


@pytest.mark.parametrize("name", NAMES)
def test_otter_assign_has_no_solution(otter_dist: dict, fixture_chapter: Path, name: str):
    assert name not in otter_dist["errors"], otter_dist["errors"].get(name)
    out = otter_dist["out"]
    solved = nbformat.read(out / "dist" / name / "autograder" / f"{name}.ipynb", as_version=4)
    student_dir = out / "dist" / name / "student"
    handed_out = nbformat.read(student_dir / f"{name}.ipynb", as_version=4)
    assert not leaks(handed_out, solved)
    assert [p.name for p in student_dir.iterdir()] == [f"{name}.ipynb"]  # no test files
    md = _all_chapters(fixture_chapter)[name]
    checks = [p for p in grading.parts(jupytext.read(md), md.name) if p.kind == "check"]
    text = "\n".join(c.source for c in handed_out.cells)
    assert all(f'grader.check("{p.grade_id}")' in text for p in checks)
    assert "colab.research.google.com" not in text and "Colab edition" not in text


def test_otter_requirements_pin_tensorflow_and_this_release():
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    lines = [line for line in grading.otter_requirements().splitlines() if line and line[0] != "#"]
    found = {Requirement(line).name: Requirement(line) for line in lines}
    assert str(found["lenet-utils"].specifier) == f"=={editions.version()}"  # PyPI's, as Colab
    pin = next(iter(found["tensorflow"].specifier))
    assert pin.operator == "==", "pin the TensorFlow that the grading tests ran with"
    tensorflow = next(r for r in _project_dependencies() if Requirement(r).name == "tensorflow")
    assert SpecifierSet(str(Requirement(tensorflow).specifier)).contains(pin.version)


def _project_dependencies() -> list[str]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def _otter_score(results: Path) -> tuple[float, float, str]:
    """(score, points possible, status of the public tests) of an ``otter run``."""
    tests = json.loads(results.read_text())["tests"]
    graded = [t for t in tests if t["name"] != "Public Tests"]
    public = next((t.get("status", "") for t in tests if t["name"] == "Public Tests"), "")
    return sum(t["score"] for t in graded), sum(t["max_score"] for t in graded), public


def test_otter_run_scores_blank_0_and_solved_full(graders):
    graders["otter"].wait()
    points = _autograded_points(ROOT / "chapters" / f"{GRADED}.md")
    for kind, expected in (("blank", 0), ("solved", points)):
        score, possible, public = _otter_score(graders["otter-results"] / kind / "results.json")
        assert (score, possible) == (expected, points), kind
        if kind == "solved":
            assert public == "passed", "a self-check disagrees with the solution"


# -- The Instructor guide's recipes -------------------------------------------------------------


def recipe(name: str) -> str:
    """The commands of the guide's code block ``:name: NAME``."""
    pattern = re.compile(
        rf"^(?P<indent>[ \t]*)```{{code-block}} bash\n[ \t]*:name: {re.escape(name)}\n"
        r"(?P<body>.*?)^(?P=indent)```[ \t]*$",
        re.M | re.S,
    )
    match = pattern.search(GUIDE.read_text())
    assert match, f"instructor_guide.md has no code block named {name}"
    return textwrap.dedent(match["body"])


def test_install_recipe_pins_what_the_tests_ran_with():
    from importlib.metadata import version

    commands = recipe("recipe-nbgrader-install")
    repo, _ = repository()
    assert f"git clone --branch v{editions.version()} https://github.com/{repo}" in commands
    assert f"lenet-utils @ git+https://github.com/{repo}@v{editions.version()}" in commands
    assert 'pip install -e ".[test]"' in commands
    tensorflow = re.search(r"tensorflow==[\d.]+", grading.otter_requirements())[0]
    assert f'"{tensorflow}"' in commands
    test_extra = (ROOT / "pyproject.toml").read_text()
    for package in ("nbgrader", "otter-grader"):
        assert f'"{package}=={version(package)}"' in test_extra
        assert f"{package} {version(package)}" in GUIDE.read_text()


def test_nbgrader_recipe(graders):
    graders["nbgrader-recipe"].wait()
    course = graders["homes"]["nbgrader-recipe"] / "lenet-course"
    source = course / "source" / RECIPE_CHAPTER / f"{RECIPE_CHAPTER}.ipynb"
    found = grading.parts(nbformat.read(source, as_version=4), source.name)
    points = grading.autograded_points(found)
    total = sum(p.points for p in found if p.kind != "answer")
    with open(course / "grades.csv", newline="") as file:
        grades = {row["student_id"]: row for row in csv.DictReader(file)}
    assert points > 0
    assert float(grades["blank"]["score"]) == 0
    assert float(grades["solved"]["score"]) == points  # the written answers are graded by hand
    assert float(grades["solved"]["max_score"]) == total


def test_otter_recipe(graders):
    # otter assign grades the solved notebook itself (otter run's code) and exits 1 unless it
    # scores every point: that is the solved run of this chapter
    graders["otter-recipe"].wait()
    folder = graders["homes"]["otter-recipe"] / "lenet-otter"
    points = _autograded_points(ROOT / "chapters" / f"{RECIPE_CHAPTER}.md")
    assert points > 0
    assert _otter_score(folder / "results" / "results.json")[:2] == (0, points)


# -- The format -----------------------------------------------------------------------------------

SCANNED = ["chapters", "colab", "student", "tools", "grading", "lenet_utils", "tests/fixtures"]


def test_solution_markers_have_one_hash_everywhere():
    files = [ROOT / name for name in ("CONTRIBUTING.md", "README.md", "instructor_guide.md")]
    for folder in SCANNED:
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".md", ".py", ".ipynb")]
    offenders = [
        f"{path.relative_to(ROOT)}: {match[0]!r}"
        for path in files
        if path.is_file()
        for match in chapter_format.MARKER.finditer(path.read_text(errors="replace"))
        if match[2] == "SOLUTION" and match[0].startswith("##")
    ]
    assert not offenders, "otter-grader reads only '# BEGIN SOLUTION' / '# END SOLUTION'"


def _notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=list(cells))


def _meta(grade_id: str, **flags: object) -> dict:
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, **flags}}


def _answer(source: str, grade_id: str = "ex-x-one-answer") -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(
        source, metadata=_meta(grade_id, solution=True, grade=False, locked=False)
    )


def _check(source: str, points: int = 2, grade_id: str = "ex-x-one-check"):
    return nbformat.v4.new_code_cell(
        source, metadata=_meta(grade_id, solution=False, grade=True, locked=True, points=points)
    )


GOOD_ANSWER = "n = None\n# BEGIN SOLUTION\nn = 3\n# END SOLUTION"
GOOD_CHECK = f"print(n)\n{chapter_format.BEGIN_HIDDEN}\nassert n == 3\n{chapter_format.END_HIDDEN}"


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([_answer(GOOD_ANSWER.replace("# BEGIN", "### BEGIN")), _check(GOOD_CHECK)], "one '#'"),
        ([_answer(GOOD_ANSWER), _check("print(n)")], "worth points needs one"),
        (
            [_answer(GOOD_ANSWER), _check(GOOD_CHECK, grade_id="ex-x-one-answer")],
            "Duplicate grade id",
        ),
        ([_answer(GOOD_ANSWER, grade_id="answer"), _check(GOOD_CHECK)], "must be the exercise"),
    ],
)
def test_grading_refuses_a_broken_exercise(cells, message):
    with pytest.raises(grading.GradingError, match=re.escape(message)):
        grading.parts(_notebook(*cells), "ch.md")


def test_solution_prose_is_left_out_and_code_without_metadata_refused(fixture_chapter, tmp_path):
    root = tmp_path / "book"
    shutil.copytree(fixture_chapter.parents[1], root)
    chapter = root / "chapters" / fixture_chapter.name
    start = "```{solution-start} ex-graded-sharing\n:class: dropdown\n```"
    chapter.write_text(chapter.read_text().replace(start, f"{start}\n\nThe answer is 3."))
    nb = grading.source_notebook(chapter)  # nbgrader takes no ungraded solution text
    assert "The answer is 3." not in "".join(c.source for c in nb.cells)
    code = "```{code-cell} ipython3\nprint(3)\n```"
    chapter.write_text(chapter.read_text().replace("The answer is 3.", code))
    with pytest.raises(grading.GradingError, match=r"cell \d+: a code cell inside a solution"):
        grading.source_notebook(chapter)


def test_otter_questions_come_from_the_nbgrader_metadata(fixture_chapter: Path):
    nb = grading.source_notebook(fixture_chapter)
    master = grading.otter_notebook(nb, "01_graded.md", grading.otter_config("01_graded"))
    raw = [c.source for c in master.cells if c.cell_type == "raw"]
    assert raw[0].startswith("# ASSIGNMENT CONFIG\n") and "name: 01_graded" in raw[0]
    questions = [c.split("\n", 1)[1] for c in raw if c.startswith("# BEGIN QUESTION")]
    assert [q.splitlines()[:3] for q in questions] == [
        ["name: ex-graded-conv2-why", "points: 1", "manual: true"],
        ["name: ex-graded-conv2-check", "points: 2"],
        ["name: ex-graded-size-check", "points: 2"],
        ["name: ex-graded-sharing-why", "points: 2", "manual: true"],
    ]
    tests = [c.source for c in master.cells if "# BEGIN TEST CONFIG" in c.source]
    public, hidden = tests[0], tests[1]
    assert "hidden: false\npoints: 0" in public
    assert "def test_ex_graded_conv2_check(conv2_params, lenet_utils, wider):" in public
    assert "assert (_check := lenet_utils.check_param_count(" in public
    assert "hidden: true\npoints: 2" in hidden
    assert hidden.rstrip().endswith("assert conv2_params == 4_832")  # the code as written
    assert not any("nbgrader" in c.metadata for c in master.cells)


def test_tool_refuses_an_out_folder_inside_the_repository(fixture_chapter: Path):
    assert grading.main(["nbgrader", "--out", str(ROOT / "course"), str(fixture_chapter)]) == 2
    assert not (ROOT / "course").exists()
