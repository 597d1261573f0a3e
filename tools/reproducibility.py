"""Write ``reproducibility.md`` from the metadata that ``tools/execute.py`` stores.

    python tools/reproducibility.py           # rewrite the page
    python tools/reproducibility.py --check   # exit 1 if the page is out of date

The page lists, for each chapter, when it was last executed, how long it took, and the
software and hardware it ran on. Nothing on it is typed by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "reproducibility.md"


def _runs(root: Path) -> list[tuple[str, dict]]:
    runs = []
    for nb in sorted((root / "chapters").glob("*.ipynb")):
        meta = json.loads(nb.read_text()).get("metadata", {})
        runs.append((nb.stem, meta.get("lenet_run", {})))
    return runs


def render(root: Path = ROOT) -> str:
    runs = _runs(root)
    lines = [
        "# Reproducibility",
        "",
        "Every chapter of this book is a notebook executed top to bottom in a fresh kernel by",
        "`python tools/execute.py`, on real Fashion-MNIST, for the full 20 epochs. The book shows",
        "the outputs of that run; building the book retrains nothing. This page is generated",
        "from the metadata that the run stored in each notebook (`tools/reproducibility.py`).",
        "",
        "## Run time of each chapter",
        "",
        "| chapter | executed | run time (s) | machine |",
        "|---|---|---:|---|",
    ]
    machines = {}
    for stem, run in runs:
        machine = run.get("machine", {})
        label = f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores"
        if machine.get("gpu", "none") != "none":
            label += f", {machine['gpu']}"
        machines[label] = machine
        lines.append(
            f"| {{doc}}`chapters/{stem}` | {run.get('executed', 'not recorded')} "
            f"| {run.get('seconds', float('nan')):.0f} | {label} |"
        )
    total = sum(run.get("seconds", 0.0) for _, run in runs)
    lines += ["", f"All chapters together: {total:.0f} s.", "", "## Software", ""]
    versions = next((run["versions"] for _, run in reversed(runs) if "versions" in run), {})
    lines += ["| package | version |", "|---|---|"]
    lines += [f"| {name} | {version} |" for name, version in versions.items()]
    lines += ["", "## Hardware", ""]
    for label, machine in machines.items():
        lines.append(f"* {label}; {machine.get('platform', '')}; GPU: {machine.get('gpu', '?')}")
    lines += [
        "",
        "Timings on another machine will differ. The numbers of a chapter (accuracies, losses)",
        "are reproducible on the same machine and software: each chapter seeds everything with",
        "`lenet_utils.seed_everything(0)`, which also makes TensorFlow's operations",
        "deterministic. On a GPU, or with other library versions, expect small differences.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not PAGE.exists() or PAGE.read_text() != text:
            print(f"{PAGE.name} is out of date: run python tools/reproducibility.py")
            return 1
        return 0
    PAGE.write_text(text)
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
