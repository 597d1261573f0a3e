"""Fail when a chapter notebook is not committed executed, or its Colab badge is stale.

    python tools/check_notebooks.py

Used by pre-commit. Every code cell must carry an execution count (nbval checks nothing in a
cell that has none), and the badges must match ``_config.yml`` (``tools/colab.py --check``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import colab  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def unexecuted(notebook: Path) -> int:
    nb = nbformat.read(notebook, as_version=4)
    return sum(1 for c in nb.cells if c.cell_type == "code" and c.execution_count is None)


def main() -> int:
    problems = []
    for md in sorted((ROOT / "chapters").glob("*.md")):
        ipynb = md.with_suffix(".ipynb")
        if not ipynb.exists():
            problems.append(f"{ipynb.name}: missing; run python tools/execute.py {md}")
        elif count := unexecuted(ipynb):
            problems.append(f"{ipynb.name}: {count} code cells not executed; run tools/execute.py")
    if colab.main(["--check"]):
        problems.append("Colab badges out of step with _config.yml; run python tools/colab.py")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
