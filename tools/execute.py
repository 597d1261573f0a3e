"""Execute chapters from their MyST markdown and write the paired, executed ``.ipynb``.

    python -m tools.execute                      # every chapter of _toc.yml, in order
    python -m tools.execute chapters/05_*.md     # some

Each ``.md`` runs top to bottom in a fresh kernel (working directory ``chapters/``); its
``.ipynb`` gets the outputs, without TensorFlow's C++ log, and under ``lenet_run`` the run
time, machine and versions, for the reproducibility page, which is rewritten afterwards. A
chapter that fails is not written.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbclient
import nbformat

from tools import reproducibility
from tools.chapter_format import TENSORFLOW_CPP_LOG
from tools.common import chapters, machine


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="chapters/*.md (default: all)")
    args = parser.parse_args(argv)
    files = args.files or chapters()
    for md in files:
        if md.suffix != ".md" or not md.is_file():
            raise SystemExit(f"{md}: not a chapter's .md file; pass chapters/NN_name.md")
        print(f"{md.name}: running ...", flush=True)
        seconds = execute(md.resolve())
        print(f"{md.name}: {seconds:.0f} s", flush=True)
    return reproducibility.main([])


if __name__ == "__main__":
    sys.exit(main())
