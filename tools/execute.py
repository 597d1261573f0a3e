"""Execute chapters from their MyST markdown and write the paired, executed ``.ipynb``.

    python -m tools.execute                      # every chapter of _toc.yml, in order
    python -m tools.execute chapters/05_*.md     # some

The ``.md`` is the source: it is read with jupytext, run top to bottom in a fresh kernel with
nbclient (working directory ``chapters/``), and the result is written to the paired
``.ipynb``. The run time and the machine and software it ran on (``tools.common.machine``)
are stored in the notebook's metadata under ``lenet_run``, for the book's reproducibility
page, which is rewritten afterwards. A notebook that fails is not written: the committed
``.ipynb`` stays as it was.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jupytext
import nbclient

from tools import reproducibility
from tools.common import chapters, machine


def execute(md: Path, timeout: int = 3600) -> float:
    """Run one chapter; write its ``.ipynb``; return the seconds it took."""
    nb = jupytext.read(md)
    start = time.perf_counter()
    nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(md.parent)}}
    ).execute()
    seconds = time.perf_counter() - start
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
