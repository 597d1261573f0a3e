"""The exercises' answers: write lenet_utils' hashed targets from the specs, and the answer key.

    python -m grading.answers               # write lenet_utils/exercises.json from the specs
    python -m grading.answers --check       # write nothing; exit 1 if it is stale
    python -m grading.answers key --out DIR # the instructor's answer key, a page per chapter

The specs are grading/exercises/NN_name.yml; their format: grading/exercises/README.md.
"""

from __future__ import annotations

import argparse
import ast
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import keras
import markdown_it
import numpy as np
import yaml

import lenet_utils
from lenet_utils.checks import EXERCISES, canonical, digest
from tools.common import ROOT, write_or_check

SPECS = ROOT / "grading" / "exercises"
KINDS = {"int", "number", "bool", "name", "shape", "sequence", "set", "dict", "array"}
KINDS |= {"model", "function"}


def load_specs(folder: Path = SPECS) -> dict[str, dict]:
    """{chapter stem: {exercise label: spec}} of every spec file in ``folder``."""
    return {
        path.stem: yaml.safe_load(path.read_text()) or {} for path in sorted(folder.glob("*.yml"))
    }


def value(entry: dict) -> object:
    """The plain value of an answer or mistake: ``value``, or ``python`` run (statements, then
    an expression whose value it is), with ``np``, ``keras`` and ``lenet_utils`` in scope."""
    if "python" not in entry:
        return entry["value"]
    tree = ast.parse(entry["python"])
    last = ast.Expression(tree.body.pop().value)
    scope = {"np": np, "keras": keras, "lenet_utils": lenet_utils}
    try:  # the specs are the repository's own code
        exec(compile(tree, "<spec>", "exec"), scope)
        return eval(compile(last, "<spec>", "eval"), scope)
    except Exception as error:
        raise ValueError(f"{entry['python'].strip()[:300]}\nfails: {error!r}") from error


def slips(params: dict) -> list[dict]:
    """The usual wrong parameter counts of a conv or dense layer, with what each one misses."""
    if "conv" in params:
        kh, kw, cin, filters = params["conv"]
        weights, total = kh * kw * cin * filters, filters * (kh * kw * cin + 1)
        positions = params.get("positions", 0)
        found = [
            (weights, "the biases are left out: each filter also has one"),
            (
                filters * (kh * kw + 1),
                f"off by the channels: each filter spans all {cin} channels of its input",
            ),
            (kh * kw * cin + 1, f"this counts one filter; the layer has {filters}"),
        ]
        found += [
            (
                n * positions,
                "this counts the weights once per output position: a "
                "convolution uses the same filters at every position",
            )
            for n in (total, weights)
            if positions > 1
        ]
    else:
        inputs, units = params["dense"]
        found = [
            (inputs * units, "the biases are left out: each unit also has one"),
            ((units + 1) * inputs, "this adds a bias per input; there is one per unit"),
        ]
    return [{"value": v, "message": m} for v, m in found]


def _stored(exercise: str, name: str, kind: str, entry: dict, tolerance: float, axes: int):
    """A target or mistake as lenet_utils stores it: a hash, or the recipe that computes it."""
    if "target" in entry:
        return {"target": entry["target"]}
    plain = value(entry)
    if kind == "number":
        q = round(float(plain) / tolerance)
        return {"h": digest(exercise, name, str(q)), "r": float(plain) / tolerance - q}
    form = canonical("int" if kind == "model" else kind, plain, axes or tolerance)
    if form is None:
        raise ValueError(f"{exercise}: {name}: {plain!r} is not a {kind}")
    return {"h": digest(exercise, name, form)}


def _record(exercise: str, answer: dict) -> dict:
    """One answer of a spec as lenet_utils.checks reads it."""
    try:
        return _answer_record(exercise, answer)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"grading/exercises: {exercise}, {answer.get('name')}: {error}") from None


def _answer_record(exercise: str, answer: dict) -> dict:
    name, kind = answer["name"], answer["kind"]
    if kind not in KINDS:
        raise ValueError(f"{exercise}: {name}: unknown kind {kind!r}; one of {sorted(KINDS)}")
    record = {"name": name, "kind": kind}
    record |= {k: answer[k] for k in ("expects", "hint", "tolerance", "verify") if k in answer}
    if kind == "dict":
        plain, item = value(answer), {"kind": answer["item"], "tolerance": answer.get("tolerance")}
        wrong = [(m["value"], m["message"]) for m in answer.get("mistakes", [])]
        record["items"] = [
            _answer_record(
                exercise,
                {
                    **{k: v for k, v in item.items() if v is not None},
                    "name": f"{name}[{key!r}]",
                    "value": plain[key],
                    "mistakes": [{"value": w[key], "message": m} for w, m in wrong if key in w],
                },
            )
            | {"key": key}
            for key in plain
        ]
        return record
    if kind in ("number", "array") and "tolerance" not in answer:
        raise ValueError(f"{exercise}: {name}: a {kind} needs a tolerance")
    has_value = any(k in answer for k in ("value", "python", "target"))
    if kind in ("model", "function") and "verify" not in answer and not has_value:
        raise ValueError(f"{exercise}: {name}: a {kind} needs verify (or a value to count)")
    if kind not in ("model", "function") and not has_value:
        raise ValueError(f"{exercise}: {name}: needs value, python or target")
    if not has_value:
        return record
    axes = len(value(answer)) if kind == "shape" else 0
    record |= {"axes": axes} if axes else {}
    tolerance = answer.get("tolerance", 0.0)
    record["right"] = _stored(exercise, name, kind, answer, tolerance, axes)
    mistakes = answer.get("mistakes", []) + (slips(answer["params"]) if "params" in answer else [])
    record["mistakes"] = []
    for mistake in mistakes:
        stored = _stored(exercise, name, kind, mistake, tolerance, axes)
        if stored != record["right"] and stored not in [  # a slip can be the answer
            {k: m[k] for k in stored} for m in record["mistakes"]
        ]:
            record["mistakes"].append(stored | {"message": mistake["message"]})
    return record


def asset(specs: dict[str, dict], errors: list[str] | None = None) -> str:
    """The text of lenet_utils/exercises.json for ``specs``. An exercise whose spec is broken
    raises ValueError, or, given a list ``errors``, is left out and said there."""
    exercises = {}
    for chapter in specs.values():
        for label, spec in chapter.items():
            try:
                exercises[label] = {
                    "answers": [_record(label, a) for a in spec.get("answers") or []]
                }
            except ValueError as error:
                if errors is None:
                    raise
                errors.append(str(error))
    return json.dumps(exercises, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# -- The answer key ---------------------------------------------------------------------------

DIRECTIVE = re.compile(
    r"```\{(exercise-start|exercise-end|solution-start|solution-end)\}"
    r"[ \t]*(\S*)\n(?::label: (\S+)\n)?(?::class: \S+\n)?```"
)
ROLE = re.compile(r"\{[a-z:-]+\}`([^`<]*?)(?: <[^>]*>)?`")
MARKERS = re.compile(
    r"^[ \t]*(?:# (?:BEGIN|END) SOLUTION|### (?:BEGIN|END) HIDDEN TESTS)[ \t]*\n?", re.M
)


def exercises(chapter_md: Path) -> list[dict]:
    """The exercises of a chapter in order: label, prompt, solution, check and written cells."""
    found: list[dict] = []
    current, mode = None, None
    for cell in jupytext.read(chapter_md).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            owner = next(e for e in found if meta["grade_id"].startswith(e["label"] + "-"))
            owner["checks"].append((meta.get("points", 0), cell.source))
            continue
        pieces = DIRECTIVE.split(cell.source) if cell.cell_type == "markdown" else [cell.source]
        for index, text in enumerate(pieces):
            step = index % 4  # split() yields text, then the directive's 3 groups
            if step == 1:
                mode = {"exercise-start": "prompt", "solution-start": "solution"}.get(text)
                label = pieces[index + 2] or pieces[index + 1]
                if text == "exercise-start":
                    current = {
                        "label": label,
                        "prompt": [],
                        "solution": [],
                        "checks": [],
                        "written": [],
                    }
                    found.append(current)
            elif step == 0 and text.strip() and current and mode:
                if meta.get("grade") and cell.cell_type == "markdown":
                    current["written"].append((meta["grade_id"], meta.get("points", 0), text))
                else:
                    current[mode].append((cell.cell_type, text.strip()))
    return found


def _markdown(text: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable("table").render(ROLE.sub(r"`\1`", text))


def _code(text: str) -> str:
    """A code block: the solution alone where the cell marks one."""
    solution = re.search(r"^# BEGIN SOLUTION\n(.*?)^# END SOLUTION", text, re.M | re.S)
    text = solution.group(1) if solution else text
    return f"<pre><code>{html.escape(MARKERS.sub('', text).strip())}</code></pre>"


def _parts(parts: list[tuple[str, str]]) -> str:
    return "".join(_markdown(t) if kind == "markdown" else _code(t) for kind, t in parts)


def _answer_rows(answer: dict) -> str:
    if "target" in answer:
        shown = f"computed from the learner's run: {answer['target']}"
    elif "python" in answer:
        shown = f"{answer['python']} = {value(answer)!r}"
    else:
        shown = repr(answer.get("value", f"verified: {answer.get('verify')}"))
    tolerance = f" (± {answer['tolerance']})" if "tolerance" in answer else ""
    mistakes = answer.get("mistakes", []) + slips(answer.get("params") or {"dense": (0, 0)}) * (
        "params" in answer
    )
    items = "".join(
        f"<li><code>{html.escape(repr(m.get('value', m.get('python', m.get('target')))))}"
        f"</code>: {html.escape(m['message'])}</li>"
        for m in mistakes
    )
    note = f"<br><i>{html.escape(answer['note'])}</i>" if "note" in answer else ""
    return (
        f"<tr><td><code>{answer['name']}</code> ({answer['kind']})</td><td><code>"
        f"{html.escape(shown)}</code>{tolerance}{note}</td><td><ul>{items}</ul>"
        f"{html.escape(answer.get('hint', ''))}</td></tr>"
    )


STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:auto}pre{background:#f4f4f4;"
    "padding:.5em;white-space:pre-wrap}td,th{border:1px solid #ccc;padding:.3em;"
    "vertical-align:top}table{border-collapse:collapse}"
)


def _html(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def key_page(chapter_md: Path, spec: dict) -> tuple[str, dict]:
    """(the HTML answer key of one chapter, its totals: autograded, rubric, minutes)."""
    number = int(chapter_md.stem.split("_")[0])
    title = next(line[2:] for line in chapter_md.read_text().splitlines() if line.startswith("# "))
    totals = {"autograded": 0, "rubric": 0, "minutes": 0}
    body = []
    for rank, exercise in enumerate(exercises(chapter_md), 1):
        entry = spec.get(exercise["label"], {})
        auto = sum(points for points, _ in exercise["checks"])
        rubric = sum(points for _, points, _ in exercise["written"])
        for name, add in zip(totals, (auto, rubric, entry.get("minutes", 0)), strict=True):
            totals[name] += add
        rows = "".join(_answer_rows(a) for a in entry.get("answers") or [])
        written = "".join(
            f"<h4>{grade_id} ({points} point{'s' * (points != 1)})</h4>{_markdown(text)}"
            + "".join(
                f"<p><b>{k}</b>: {html.escape(str(v))}</p>"
                for k, v in entry.get("rubric", {}).get(grade_id, {}).items()
            )
            for grade_id, points, text in exercise["written"]
        )
        hidden = "".join(
            _code(src.split("### BEGIN HIDDEN TESTS")[-1]) for _, src in exercise["checks"]
        )
        body.append(
            f"<h2>Exercise {number}.{rank} <small>{exercise['label']}</small></h2>"
            f"<p><b>Objective</b>: {html.escape(entry.get('objective', 'no spec yet'))}<br>"
            f"<b>Points</b>: {auto} autograded, {rubric} by rubric. <b>Estimated time</b>: "
            f"{entry.get('minutes', '?')} minutes</p><h3>Question</h3>{_parts(exercise['prompt'])}"
            f"<h3>Solution</h3>{_parts(exercise['solution'])}"
            + (
                "<h3>Answers, and the wrong answers the self-check recognises</h3><table><tr>"
                "<th>answer</th><th>value</th><th>recognised mistakes; hint</th></tr>"
                f"{rows}</table>"
                if rows
                else ""
            )
            + (f"<h3>Hidden tests</h3>{hidden}" if hidden else "")
            + (f"<h3>Written answers and rubrics</h3>{written}" if written else "")
        )
    intro = (
        f"For instructors: not part of the book. Totals: {totals['autograded']} points "
        f"autograded, {totals['rubric']} by rubric, about {totals['minutes']} minutes."
    )
    page = _html(f"Answer key: {title.replace('`', '')}", f"<p>{intro}</p>{''.join(body)}")
    return page, totals


def write_key(out: Path, chapters: list[Path]) -> list[Path]:
    """Write the answer key of ``chapters`` to ``out`` (HTML, and PDF where Chromium is);
    return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    specs, written, rows = load_specs(), [], []
    browser = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    for chapter in chapters:
        page, totals = key_page(chapter, specs.get(chapter.stem, {}))
        path = out / f"{chapter.stem}.html"
        path.write_text(page)
        written.append(path)
        cells = "".join(f"<td>{totals[k]}</td>" for k in ("autograded", "rubric", "minutes"))
        rows.append(f"<tr><td><a href='{path.name}'>{chapter.stem}</a></td>{cells}</tr>")
        if browser:
            pdf = path.with_suffix(".pdf")
            subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    f"--print-to-pdf={pdf}",
                    "--no-pdf-header-footer",
                    path.as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            written.append(pdf)
    index = out / "index.html"
    head = "<tr><th>chapter</th><th>points autograded</th><th>by rubric</th><th>minutes</th></tr>"
    index.write_text(_html("Answer key", f"<table>{head}{''.join(rows)}</table>"))
    return [index, *written]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grading.answers", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    commands = parser.add_subparsers(dest="command")
    key = commands.add_parser("key", help="write the instructors' answer key")
    key.add_argument("--out", type=Path, required=True, help="the folder to write it to")
    key.add_argument("chapters", nargs="*", type=Path, help="some chapters only")
    args = parser.parse_args(argv)
    if args.command == "key":
        from tools.common import chapters

        if args.out.resolve().is_relative_to(ROOT):
            print(f"--out {args.out}: the answer key stays outside the repository", file=sys.stderr)
            return 2

        for path in write_key(args.out, [p.resolve() for p in args.chapters] or chapters()):
            print(path)
        return 0
    errors: list[str] = []
    stale = write_or_check(EXERCISES, asset(load_specs(), errors), args.check)
    for error in errors:
        print(f"left out: {error}", file=sys.stderr)
    if stale and args.check:
        print(f"{EXERCISES} is stale: run python -m grading.answers", file=sys.stderr)
    return int(bool(errors) or (stale and args.check))


if __name__ == "__main__":
    sys.exit(main())
