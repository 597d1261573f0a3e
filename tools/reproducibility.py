"""Write ``reproducibility.md`` from the metadata that ``python -m tools.execute`` stores.

    python -m tools.reproducibility           # rewrite the page (and the guide's table)
    python -m tools.reproducibility --check   # exit 1 if either is out of date

The page lists, for each chapter, when it was last executed, how long it took, and the
software and hardware it ran on. The same run-time table goes into ``instructor_guide.md``,
between its ``run-times`` markers. Nothing in either is typed by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lenet_utils.assets import load_study, study_names
from lenet_utils.recipe import RECIPE
from tools.common import ROOT, chapters, write_or_check

PAGE = "reproducibility.md"
GUIDE = "instructor_guide.md"
START, END = "<!-- run-times:start -->", "<!-- run-times:end -->"


def _runs(root: Path) -> list[tuple[str, dict]]:
    runs = []
    for md in chapters(root):
        nb = md.with_suffix(".ipynb")
        meta = json.loads(nb.read_text()).get("metadata", {}) if nb.exists() else {}
        runs.append((nb.stem, meta.get("lenet_run", {})))
    return runs


def _label(machine: dict) -> str:
    parts = [f"{machine['cpu']}, {machine.get('cores', '?')} cores"] if "cpu" in machine else []
    if machine.get("gpu", "none") != "none":
        parts.append(machine["gpu"])
    return ", ".join(parts) or "an unrecorded machine"


def run_time_table(root: Path = ROOT) -> list[str]:
    """The run-time table (markdown lines) of the chapters' last execution."""
    runs = _runs(root)
    lines = ["| chapter | executed | run time (s) | machine |", "|---|---|---:|---|"]
    for stem, run in runs:
        lines.append(
            f"| {{doc}}`chapters/{stem}` | {run.get('executed', 'not recorded')} "
            f"| {run.get('seconds', float('nan')):.0f} | {_label(run.get('machine', {}))} |"
        )
    total = sum(run.get("seconds", 0.0) for _, run in runs)
    return [*lines, "", f"All chapters together: {total:.0f} s."]


def studies_list() -> list[str]:
    """One line per stored study: what made it, where and when (the chapters plot these)."""
    lines = []
    for name in study_names():
        record = load_study(name)
        machines = record["machine"] if isinstance(record["machine"], list) else [record["machine"]]
        where = "; ".join(sorted({_label(m) for m in machines}))
        lines.append(f"* `{name}`: `{record['command']}`, {record['date']}, on {where}")
    return lines


def render(root: Path = ROOT) -> str:
    runs = _runs(root)
    lines = [
        "# Reproducibility",
        "",
        "Every chapter of this book is a notebook executed top to bottom in a fresh kernel by",
        "`python -m tools.execute`, on real Fashion-MNIST, with the full training recipe",
        f"({RECIPE.epochs} epochs of batches of {RECIPE.batch_size}). The book shows the outputs"
        " of that run; building the book retrains nothing. The test command (`make test`) executes",
        "every chapter the same way again under nbval, so these are also each chapter's share of",
        "the test time. This page is generated from the metadata that the run stored in each",
        "notebook (`python -m tools.reproducibility`).",
        "",
        "## Run time of each chapter",
        "",
        *run_time_table(root),
        "",
        "## Software",
        "",
    ]
    versions = next((run["versions"] for _, run in reversed(runs) if "versions" in run), {})
    lines += ["| package | version |", "|---|---|"]
    lines += [f"| {name} | {version} |" for name, version in versions.items()]
    lines += [
        "",
        "## Stored studies",
        "",
        "Runs too long for a page that is re-executed on every change (the reference run,",
        "several seeds, searches) are made by the scripts in `experiments/`, which store",
        "their results with the machine, versions, command and date in",
        "`lenet_utils/assets/`; the chapters load and plot them (`lenet_utils.load_study`).",
        "",
        *studies_list(),
    ]
    lines += ["", "## Hardware", ""]
    machines = {_label(run.get("machine", {})): run.get("machine", {}) for _, run in runs}
    for label, machine in machines.items():
        lines.append(f"* {label}; {machine.get('platform', '')}; GPU: {machine.get('gpu', '?')}")
    lines += [
        "",
        "Timings on another machine will differ. The numbers of a chapter (accuracies, losses)",
        "are reproducible on the same machine and software: each chapter seeds everything with",
        f"`lenet_utils.seed_everything({RECIPE.seed})`, which also makes TensorFlow's operations",
        "deterministic. On a GPU, or with other library versions, expect small differences.",
        "",
    ]
    return "\n".join(lines)


def render_guide(root: Path = ROOT) -> str:
    """``instructor_guide.md`` with the current run-time table between its markers."""
    text = (root / GUIDE).read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{GUIDE}: the markers {START} and {END} are missing")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + START + "\n" + "\n".join(run_time_table(root)) + "\n" + END + tail


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report, change nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, text in [(root / PAGE, render(root)), (root / GUIDE, render_guide(root))]:
        if write_or_check(path, text, args.check):
            stale.append(path.name)
            if not args.check:
                print(f"wrote {path}")
    if args.check:
        for name in stale:
            print(f"{name} is out of date: run python -m tools.reproducibility")
        return 1 if stale else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
