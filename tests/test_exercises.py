"""Every exercise's self-check against its spec, its solution and its hidden tests.

Static: each exercise of chapters/*.md has a spec in grading/exercises/, its check cell's visible
part is the one ``print(lenet_utils.check("<label>", ...))`` call, every written answer has a
rubric, and lenet_utils/exercises.json is the one the specs make. Executed: each chapter runs
with its solutions in one kernel (training capped at one epoch), and after each check cell a
probe gives the check and the hidden tests the solution, None, the spec's mistakes, generic
perturbations and the spec's ``wrong`` expressions: the check passes only the solution, the
hidden tests agree with it on every one, and nothing it prints for a wrong answer (nor the
visible source) contains the answer.
"""

from __future__ import annotations

import ast
import html
import json
import os
import re
from pathlib import Path

import jupytext
import numpy as np
import pytest
from jupyter_client.manager import start_new_kernel

from grading import answers
from lenet_utils.checks import EXERCISES
from tools.colab_check import CAP_FIT
from tools.common import ROOT, chapters

CHAPTERS = chapters()
SPECS = answers.load_specs()
FOUND = {md.stem: answers.exercises(md) for md in CHAPTERS}
EXERCISE_IDS = [(md.stem, e["label"]) for md in CHAPTERS for e in FOUND[md.stem]]
HIDDEN = re.compile(r"^### BEGIN HIDDEN TESTS\n(.*?)^### END HIDDEN TESTS\n?", re.M | re.S)


def _exercise(chapter: str, label: str) -> dict:
    return next(e for e in FOUND[chapter] if e["label"] == label)


def _split(source: str) -> tuple[str, str]:
    """(visible part, hidden tests) of a check cell."""
    hidden = "\n".join(HIDDEN.findall(source))
    return HIDDEN.sub("", source).strip(), hidden


def _plain(value: object) -> object:
    """A spec value as a Python literal (NumPy values from ``python:`` made plain)."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _problems(chapter: str, label: str) -> list[str]:
    """What keeps an exercise from being converted to the format of ASSESSMENT.md."""
    spec = SPECS.get(chapter, {}).get(label)
    exercise = _exercise(chapter, label)
    if spec is None:
        return [f"not converted yet: no entry {label} in grading/exercises/{chapter}.yml"]
    problems = [f"the spec has no {key}" for key in ("objective", "minutes") if key not in spec]
    names = [a["name"] for a in spec.get("answers") or []]
    for _, source in exercise["checks"]:
        visible = _split(source)[0]
        tree = ast.parse(visible)
        call = tree.body[0].value if len(tree.body) == 1 else None
        call = call.args[0] if getattr(getattr(call, "func", None), "id", "") == "print" else None
        if not (
            isinstance(call, ast.Call)
            and ast.unparse(call.func) == "lenet_utils.check"
            and isinstance(call.args[0], ast.Constant)
            and call.args[0].value == label
            and [ast.unparse(a) for a in call.args[1:]] == names
        ):
            problems.append(
                f"not converted yet: the check cell's visible part is not "
                f"print(lenet_utils.check({label!r}, {', '.join(names)}[, context=...]))"
            )
    if names and not exercise["checks"]:
        problems.append("the spec lists answers, but the exercise has no check cell")
    code = "\n".join(text for kind, text in exercise["solution"] if kind == "code")
    problems += [f"the answer cell assigns no {name}" for name in names if f"{name} =" not in code]
    written = {grade_id for grade_id, _, _ in exercise["written"]}
    rubric = spec.get("rubric") or {}
    problems += [f"no rubric for the written answer {g}" for g in sorted(written - set(rubric))]
    problems += [f"a rubric for no written answer: {g}" for g in sorted(set(rubric) - written)]
    problems += [
        f"the rubric of {g} needs 'full' and 'partial'"
        for g, r in rubric.items()
        if not {"full", "partial"} <= set(r or {})
    ]
    problems += [
        f"{g} is a written answer worth 0 points" for g, p, _ in exercise["written"] if not p
    ]
    return problems


@pytest.mark.parametrize(("chapter", "label"), EXERCISE_IDS, ids=[e[1] for e in EXERCISE_IDS])
def test_exercise_follows_the_format(chapter: str, label: str):
    problems = _problems(chapter, label)
    assert not problems, f"{chapter}, {label}:\n  " + "\n  ".join(problems)


def test_every_spec_is_an_exercise_and_the_asset_is_fresh():
    known = {(chapter, label) for chapter, label in EXERCISE_IDS}
    for chapter, spec in SPECS.items():
        for label in spec:
            assert (chapter, label) in known, f"grading/exercises/{chapter}.yml: no {label} there"
    assert EXERCISES.read_text() == answers.asset(SPECS), (
        "lenet_utils/exercises.json is stale: run python -m grading.answers"
    )


# -- Executed: every check against its solution, wrong answers and hidden tests ------------------

PROBE = r'''
def _lenet_probe(payload):
    import contextlib, io, json
    import numpy as np
    import lenet_utils
    from lenet_utils import checks
    ns = globals()
    names = [a["name"] for a in payload["answers"]]
    solution = {name: ns.get(name) for name in names}
    trials, contexts = [], []

    def run(description, changes):
        saved = {name: ns.get(name) for name in names}
        ns.update(changes)
        found, real, out = [], lenet_utils.check, io.StringIO()

        def spy(*args, **kwargs):
            contexts.append(kwargs)
            found.append(real(*args, **kwargs))
            return found[-1]

        lenet_utils.check, error = spy, None
        try:
            with contextlib.redirect_stdout(out):
                exec(payload["visible"], ns)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            lenet_utils.check = real
        try:
            exec(payload["hidden"], ns)
            hidden = True
        except Exception:
            hidden = False
        ns.update(saved)
        text = out.getvalue() + "".join(c._repr_markdown_() for c in found)
        trials.append({"trial": description, "check": bool(found[-1]) if found else None,
                       "hidden": hidden, "text": text, "error": error})

    def others(kind, value, spec):
        if kind == "int":
            return [value + 1, value - 1, value * 2, value * 10 or 7, str(value)]
        if kind == "number":
            step = 3 * spec["tolerance"]
            return [value + step, value - step, str(value)]
        if kind == "bool":
            return [not value, 1]
        if kind == "name":
            return [c for c in spec.get("choices", []) if c != value][:2] + [value.lower()]
        if kind in ("shape", "sequence"):
            items = list(value)
            return [items[:-1] + [items[-1] + 1], items[:-1]] + [items[::-1]] * (
                items[::-1] != items)
        if kind == "set":
            items = list(value)
            extra = [c for c in spec.get("choices", []) if c not in items][:1]
            return [items[1:]] + [items + extra] * bool(extra)
        if kind == "array":
            return [np.asarray(value) + 0.1, np.asarray(value)[::-1]]
        if kind == "dict":
            first = next(iter(value))
            item = {"kind": spec["item"], "tolerance": spec.get("tolerance")}
            wrong = [dict(value, **{first: w}) for w in others(spec["item"], value[first], item)]
            return wrong[:2] + [{k: v for k, v in value.items() if k != first},
                                dict(value, extra=value[first])]
        return []

    run("the solution", {})
    forms = []
    for spec in payload["answers"]:
        name, kind, value = spec["name"], spec["kind"], solution[spec["name"]]
        run(f"{name} = None", {name: None})
        perturbed = others(kind, value, spec) if value is not None else []
        for wrong in [w for w in perturbed if not (isinstance(w, (str, int)) and w == value)]:
            run(f"{name} = {wrong!r:.80}", {name: wrong})
        for mistake in spec["mistakes"]:
            if "target" in mistake and contexts:
                recipe = dict(mistake["target"])
                wrong = checks._TARGETS[recipe.pop("function")](contexts[0], **recipe)
            elif kind == "dict":
                wrong = dict(value, **mistake["value"])
            else:
                wrong = mistake.get("value")
            run(f"{name} = {wrong!r:.80} (mistake: {mistake['message']:.40})", {name: wrong})
        for expression in spec.get("wrong", []):
            run(f"{name} = {expression}", {name: eval(expression, ns)})
        scope = name if spec.get("choices") else None  # public names: only in its own lines
        forms.append([[form, scope] for form in kind_forms(kind, value)])
    print("@@probe@@" + json.dumps({"label": payload["label"], "trials": trials,
                                    "forms": [f for group in forms for f in group]}))


def kind_forms(kind, value):
    """The usual printed forms of an answer, for the leak test."""
    if value is None or kind in ("bool", "array", "model", "function"):
        return []
    if kind == "dict":
        return [f for v in value.values() for f in kind_forms("shape", v)] if all(
            isinstance(v, (tuple, list)) for v in value.values()) else [
            f for v in value.values() for f in kind_forms("number", v)]
    if kind == "name":
        return [value]
    if kind == "set":
        items = [v.item() if isinstance(v, np.generic) else v for v in value]
        strings = [v for v in items if isinstance(v, str)]
        return strings or [repr(sorted(items)), repr(items)]
    if kind in ("shape", "sequence"):
        items = [int(v) for v in value]
        return [repr(tuple(items)), repr(items), "x".join(map(str, items)),
                " x ".join(map(str, items))]
    number = float(value)
    if kind == "int" or number.is_integer():
        n = int(number)
        return sorted({str(n), f"{n:,}", f"{n:_}"})
    return [f"{number:.{d}f}" for d in (2, 3, 4)] + [f"{number:.1%}", f"{number:.2%}", repr(number)]
'''

FRESH_START = """\
%reset -f
import os, sys
os.chdir({folder!r})
if "keras" in sys.modules:
    sys.modules["keras"].backend.clear_session()
if "matplotlib.pyplot" in sys.modules:
    sys.modules["matplotlib.pyplot"].close("all")
"""


def _payload(label: str, spec: dict, source: str) -> dict:
    visible, hidden = _split(source)
    listed = []
    for answer in spec.get("answers") or []:
        mistakes = answer.get("mistakes", []) + (
            answers.slips(answer["params"]) if "params" in answer else []
        )
        listed.append(
            {
                "name": answer["name"],
                "kind": answer["kind"],
                "tolerance": answer.get("tolerance"),
                "item": answer.get("item"),
                "choices": answer.get("choices", []),
                "wrong": answer.get("wrong", []),
                "mistakes": [
                    {"message": m["message"]}
                    | (
                        {"target": m["target"]}
                        if "target" in m
                        else {"value": _plain(answers.value(m))}
                    )
                    for m in mistakes
                ],
            }
        )
    return {"label": label, "visible": visible, "hidden": hidden, "answers": listed}


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One kernel for every chapter (TensorFlow is imported once), training capped at one
    epoch; yields a function that runs a chapter in it, once, and returns what its probes found.
    """
    env = dict(os.environ, LENET_MAX_EPOCHS="1", TF_CPP_MIN_LOG_LEVEL="2")
    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(ROOT))
    client.execute_interactive(CAP_FIT, timeout=60)
    done: dict[str, dict[str, dict]] = {}

    def run(chapter: str) -> dict[str, dict]:
        if chapter not in done:
            done[chapter] = _run_chapter(client, chapter, tmp_path_factory.mktemp(chapter))
        return done[chapter]

    yield run
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def _run_chapter(client, chapter: str, folder: Path) -> dict[str, dict]:
    """{label: what the probe found, or {"error": ...}} for the converted exercises of a
    chapter, run with its solutions from a fresh namespace, each probe after its check cell."""
    cells = [FRESH_START.format(folder=str(folder)) + PROBE]
    probes: dict[int, str] = {}
    spoilt: dict[str, dict] = {}
    for cell in jupytext.read(ROOT / "chapters" / f"{chapter}.md").cells:
        if cell.cell_type == "code":
            cells.append(cell.source)
            meta = cell.metadata.get("nbgrader", {})
            label = meta.get("grade_id", "").removesuffix("-check")
            if meta.get("grade") and not meta.get("solution") and not _problems(chapter, label):
                try:
                    payload = _payload(label, SPECS[chapter][label], cell.source)
                except ValueError as error:  # a spec whose python: fails
                    spoilt[label] = {"error": f"grading/exercises/{chapter}.yml: {error}"}
                    continue
                cells.append(f"_lenet_probe({payload!r})")
                probes[len(cells) - 1] = label
    found: dict[str, dict] = dict(spoilt)
    failed = None  # the first cell that failed: the exercises after it report it
    for index, code in enumerate(cells):
        out: list[str] = []

        def hook(message, out=out):
            if message["msg_type"] == "stream":
                out.append(message["content"]["text"])

        reply = client.execute_interactive(code, timeout=900, output_hook=hook)["content"]
        if reply["status"] == "error" and failed is None:
            failed = f"{chapter}, code cell {index}: {reply['ename']}: {reply['evalue']}"[:2000]
        if index in probes:
            lines = [x for x in "".join(out).splitlines() if x.startswith("@@probe@@")]
            found[probes[index]] = (
                json.loads(lines[-1].removeprefix("@@probe@@")) if lines else {"error": failed}
            )
    return found


def _leaks(text: str, forms: list[list]) -> list[str]:
    """The forms of the answer found in ``text``; a form scoped to an answer (a name among
    public choices) only in the lines about that answer."""
    found = []
    for form, scope in forms:
        lines = text.splitlines()
        if scope:
            lines = [line for line in lines if scope in line or scope.replace("_", "\\_") in line]
        pattern = rf"(?<![\w.,]){re.escape(form)}(?![\w]|[.,]\d)"
        found += [form] if re.search(pattern, "\n".join(lines), re.I) else []
    return found


@pytest.mark.parametrize(("chapter", "label"), EXERCISE_IDS, ids=[e[1] for e in EXERCISE_IDS])
def test_self_check_agrees_with_hidden_tests_and_never_gives_the_answer(chapter, label, kernel):
    if _problems(chapter, label):
        pytest.fail(f"{label}: not converted yet (see test_exercise_follows_the_format)")
    if not SPECS[chapter][label].get("answers"):
        return  # written answers only
    result = kernel(chapter).get(label) or {"error": "the probe did not run"}
    assert "error" not in result, f"{label}: {result['error']}"
    problems = []
    for trial in result["trials"]:
        right = trial["trial"] == "the solution"
        where = f"{trial['trial']}:"
        if trial["error"] or trial["check"] is None:
            problems.append(f"{where} the check cell raised {trial['error']}")
            continue
        if trial["check"] is not right:
            problems.append(f"{where} the self-check says {'right' if trial['check'] else 'wrong'}")
        if trial["hidden"] is not trial["check"]:
            problems.append(
                f"{where} the hidden tests {'pass' if trial['hidden'] else 'fail'}, the "
                f"self-check says {'right' if trial['check'] else 'wrong'}"
            )
        leaked = _leaks(trial["text"], result["forms"]) if not right else []
        problems += [f"{where} the check prints the answer as {form!r}" for form in leaked]
    for _, source in _exercise(chapter, label)["checks"]:
        visible = _split(source)[0]
        leaked = _leaks(visible, [[form, None] for form, _ in result["forms"]])
        problems += [f"the visible check contains the answer as {form!r}" for form in leaked]
    assert not problems, f"{label}:\n  " + "\n  ".join(problems)


def test_answer_key_gives_each_exercise_its_solution_points_rubric_and_time(tmp_path):
    md = next(md for md in CHAPTERS if SPECS.get(md.stem))
    written = answers.main(["key", "--out", str(tmp_path), str(md)])
    assert written == 0
    page = (tmp_path / f"{md.stem}.html").read_text()
    index = (tmp_path / "index.html").read_text()
    assert md.stem in index and "points autograded" in index
    for number, exercise in enumerate(FOUND[md.stem], 1):
        spec = SPECS[md.stem].get(exercise["label"], {})
        assert f"Exercise {md.stem[:2].lstrip('0')}.{number} " in page
        assert exercise["label"] in page and f"{spec.get('minutes')} minutes" in page
        for rubric in (spec.get("rubric") or {}).values():
            assert all(html.escape(str(text)[:40]) in page for text in rubric.values())
    if answers.shutil.which("chromium"):
        assert (tmp_path / f"{md.stem}.pdf").read_bytes().startswith(b"%PDF")
    assert answers.main(["key", "--out", str(ROOT / "key")]) == 2  # never beside the book
    assert not (ROOT / "key").exists()
