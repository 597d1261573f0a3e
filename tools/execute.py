"""Execute chapters from their MyST markdown; write the reproducibility page from their runs.

    python -m tools.execute                      # every chapter of _toc.yml, then the page
    python -m tools.execute chapters/05_*.md     # some, then the page
    python -m tools.execute --page [--check]     # only the page (--check: exit 1 if stale)

Each ``.md`` runs top to bottom in a fresh kernel (working directory ``chapters/``); its
``.ipynb`` gets the outputs, without TensorFlow's C++ log, and under ``lenet_run`` the run
time, machine and versions. A chapter that fails is not written. ``reproducibility.md``
(prose: ``reproducibility.md.tmpl``) and the run-time table of ``instructor_guide.md``
(between its ``run-times`` markers) are written from that metadata, never by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from string import Template

import jupytext
import nbclient
import nbformat

from lenet_utils.assets import load_study, study_names
from lenet_utils.recipe import RECIPE
from tools.chapter_format import TENSORFLOW_CPP_LOG
from tools.common import ROOT, chapters, machine, write_or_check

PAGE = "reproducibility.md"
GUIDE = "instructor_guide.md"
START, END = "<!-- run-times:start -->", "<!-- run-times:end -->"
TEMPLATE = Template((Path(__file__).parent / "reproducibility.md.tmpl").read_text())


def drop_tensorflow_log(nb: nbformat.NotebookNode) -> None:
    """Remove TensorFlow's C++ log lines from the stderr outputs of ``nb`` (in place)."""
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        for output in cell.outputs:
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["text"] = TENSORFLOW_CPP_LOG.sub("", output["text"])
        cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr" or o["text"]]


def execute(md: Path, timeout: int = 3600) -> float:
    """Run one chapter; write its ``.ipynb``; return the seconds it took."""
    # TensorFlow's C++ log goes to the kernel's stderr: keep it out of the stored outputs, as
    # the test run does (tests/conftest.py), or nbval would expect it in a compared cell
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    nb = jupytext.read(md)
    start = time.perf_counter()
    nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(md.parent)}}
    ).execute()
    seconds = time.perf_counter() - start
    drop_tensorflow_log(nb)
    facts = machine()
    nb.metadata["lenet_run"] = {
        "seconds": round(seconds, 1),
        "executed": time.strftime("%Y-%m-%d", time.gmtime()),
        "versions": facts.pop("versions"),
        "machine": facts,
    }
    jupytext.write(nb, md.with_suffix(".ipynb"))
    return seconds


def _runs(root: Path) -> list[tuple[str, dict]]:
    runs = []
    for md in chapters(root):
        nb = md.with_suffix(".ipynb")
        meta = json.loads(nb.read_text()).get("metadata", {}) if nb.exists() else {}
        runs.append((nb.stem, meta.get("lenet_run", {})))
    return runs


def _label(machine: dict) -> str:
    parts = [f"{machine['cpu']}, {machine.get('cores', '?')} cores"] if "cpu" in machine else []
    parts += [machine["gpu"]] if machine.get("gpu", "none") != "none" else []
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
    """The page: ``reproducibility.md.tmpl`` (its prose) filled in from the runs."""
    runs = _runs(root)
    versions = next((run["versions"] for _, run in reversed(runs) if "versions" in run), {})
    machines = {_label(run.get("machine", {})): run.get("machine", {}) for _, run in runs}
    return TEMPLATE.substitute(
        epochs=RECIPE.epochs,
        batch_size=RECIPE.batch_size,
        seed=RECIPE.seed,
        run_times="\n".join(run_time_table(root)),
        software="\n".join(f"| {name} | {version} |" for name, version in versions.items()),
        studies="\n".join(studies_list()),
        hardware="\n".join(
            f"* {label}; {m.get('platform', '')}; GPU: {m.get('gpu', '?')}"
            for label, m in machines.items()
        ),
    )


def render_guide(root: Path = ROOT) -> str:
    """``instructor_guide.md`` with the current run-time table between its markers."""
    text = (root / GUIDE).read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{GUIDE}: the markers {START} and {END} are missing")
    head, tail = text.split(START, 1)[0], text.split(END, 1)[1]
    return "\n".join([head + START, *run_time_table(root), END + tail])


def write_pages(check: bool, root: Path = ROOT) -> list[str]:
    """Write (with ``check``: compare) the page and the guide's table; the stale ones' names."""
    pages = [(root / PAGE, render(root)), (root / GUIDE, render_guide(root))]
    return [path.name for path, text in pages if write_or_check(path, text, check)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="chapters/*.md (default: all)")
    parser.add_argument("--page", action="store_true", help="only the reproducibility page")
    parser.add_argument("--check", action="store_true", help="with --page: change nothing")
    args = parser.parse_args(argv)
    for md in [] if args.page else args.files or chapters():
        if md.suffix != ".md" or not md.is_file():
            raise SystemExit(f"{md}: not a chapter's .md file; pass chapters/NN_name.md")
        print(f"{md.name}: running ...", flush=True)
        print(f"{md.name}: {execute(md.resolve()):.0f} s", flush=True)
    stale = write_pages(check := args.page and args.check)
    what = "out of date: run python -m tools.execute --page" if check else "written"
    print("\n".join(f"{name}: {what}" for name in stale))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
