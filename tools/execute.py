"""Execute chapters from their MyST markdown and write the paired, executed ``.ipynb``.

    python tools/execute.py                      # every chapter, in order
    python tools/execute.py chapters/04_*.md     # some

The ``.md`` is the source: it is read with jupytext, run top to bottom in a fresh kernel with
nbclient (working directory ``chapters/``), and the result is written to the paired
``.ipynb``. The run time and the software and hardware it ran on are stored in the notebook's
metadata under ``lenet_run``, for the book's reproducibility notes. A notebook that fails is
not written: the committed ``.ipynb`` stays as it was.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import jupytext
import nbclient

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [
    "tensorflow",
    "keras",
    "numpy",
    "matplotlib",
    "jupyter-book",
    "myst-nb",
    "jupytext",
    "nbval",
]


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def execute(md: Path, timeout: int = 3600) -> float:
    """Run one chapter; write its ``.ipynb``; return the seconds it took."""
    import os

    nb = jupytext.read(md)
    start = time.perf_counter()
    nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(md.parent)}}
    ).execute()
    seconds = time.perf_counter() - start
    nb.metadata["lenet_run"] = {
        "seconds": round(seconds, 1),
        "executed": time.strftime("%Y-%m-%d", time.gmtime()),
        "versions": _versions(),
        "machine": {
            "cpu": _cpu(),
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "gpu": "none",
        },
    }
    jupytext.write(nb, md.with_suffix(".ipynb"))
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    files = args.files or sorted((ROOT / "chapters").glob("*.md"))
    for md in files:
        print(f"{md.name}: running ...", flush=True)
        seconds = execute(md.resolve())
        print(f"{md.name}: {seconds:.0f} s", flush=True)
    from reproducibility import main as write_page

    return write_page([])


if __name__ == "__main__":
    sys.exit(main())
