"""Time every Colab-edition notebook top to bottom, at full length, on a lent GPU machine.

The device machines of this workplace hold JAX but no TensorFlow (and cannot download it), so
the notebooks run there with Keras on JAX (``KERAS_BACKEND=jax``): the chapters are
backend-agnostic. What the machine lacks travels with the working tree: Keras and the
packages that run a notebook in a kernel, as wheels for its Python 3.12, and the four
Fashion-MNIST files (no internet there). Two steps:

1. here, once (downloads about 20 MB of wheels from PyPI; the folder is git-ignored)::

       .venv/bin/python -m tools.editions_gpu_timing --prepare

2. on the GPU machine, with the device tool's ``run``::

       command: python3 -m tools.editions_gpu_timing --run
       carry:   [".whl/editions-timing"]
       timeout_s: 420

   It installs the wheels into ``/tmp/site``, executes every ``colab/*.ipynb`` in order in a
   fresh kernel, without ``LENET_MAX_EPOCHS`` (full length), from an empty working folder,
   and prints each notebook's seconds, its three slowest cells and any cell that failed
   (cells after a failure still run, so that every notebook is timed); the same goes to
   ``$OUT/editions-gpu-timing.json``. A budget (``--budget``, 330 s by default) keeps the
   whole run under 6 minutes: a notebook that would start after it is not started, and is
   named as not timed.

``lenet_utils`` is imported from the checkout (the Colab set-up cell then installs
nothing). ``keras.utils.plot_model`` (chapter 6) needs Graphviz's ``dot`` program; where the
machine has none, those cells fail and are reported, and the notebook's other cells are
still timed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CARRY = ROOT / ".whl" / "editions-timing"
DATA = Path("/usr/share/datasets/fashion-mnist")
SITE = Path("/tmp/site")
PYTHON_VERSION = "3.12"  # the GPU image's python3
PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
    "any",
)
#: What the GPU image lacks to run a notebook with Keras (on its JAX) in a Jupyter kernel.
#: One version of each: the image's numpy, jax, matplotlib, h5py, ml-dtypes, rich, absl-py,
#: packaging, psutil, pygments, attrs, python-dateutil and typing-extensions are used as
#: they are.
WHEELS = (
    "keras==3.15.1",
    "namex==0.1.0",
    "optree==0.20.0",
    "pydot==4.0.1",
    "ipykernel==7.4.0",
    "ipython==9.18.1",
    "ipython_pygments_lexers==1.1.1",
    "comm==0.2.3",
    "debugpy==1.8.22",
    "decorator==5.2.1",
    "jedi==0.20.1",
    "parso==0.8.7",
    "pexpect==4.9.0",
    "ptyprocess==0.7.0",
    "prompt_toolkit==3.0.53",
    "wcwidth==0.9.4",
    "stack_data==0.6.3",
    "executing==2.3.0",
    "asttokens==3.0.2",
    "pure_eval==0.2.4",
    "matplotlib-inline==0.2.2",
    "nest-asyncio==1.6.0",
    "pyzmq==27.3.0",
    "tornado==6.6.1",
    "traitlets==5.16.1",
    "jupyter_client==8.10.0",
    "jupyter_core==5.9.1",
    "platformdirs==4.14.8",
    "nbclient==0.11.0",
    "nbformat==5.11.1",
    "fastjsonschema==2.22.3",
    "jsonschema==4.26.0",
    "jsonschema-specifications==2025.9.1",
    "referencing==0.37.0",
    "rpds-py==2026.9.1",
)


def prepare(carry: Path = CARRY) -> int:
    """Download the wheels and copy Fashion-MNIST into ``carry`` (run here, not there)."""
    wheels = carry / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    for requirement in WHEELS:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--only-binary=:all:", "--python-version", PYTHON_VERSION]
        command += ["--implementation", "cp", *platforms, "-d", str(wheels), requirement]
        if subprocess.run(command).returncode != 0:
            print(f"error: could not download {requirement} for Python {PYTHON_VERSION}")
            return 1
    data = carry / "fashion-mnist"
    data.mkdir(exist_ok=True)
    for gz in sorted(DATA.glob("*.gz")):
        shutil.copy2(gz, data / gz.name)
    if len(list(data.glob("*.gz"))) != 4:
        print(f"error: expected the four Fashion-MNIST .gz files in {DATA}")
        return 1
    size = sum(p.stat().st_size for p in carry.rglob("*") if p.is_file()) / 2**20
    print(f"ready: {carry.relative_to(ROOT)} ({size:.0f} MB); carry it to the GPU machine")
    return 0


def _install(carry: Path) -> None:
    wheels = sorted(str(p) for p in (carry / "wheels").glob("*.whl"))
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
    command += ["--no-compile", "--no-cache-dir", "--upgrade", "--target", str(SITE), *wheels]
    subprocess.run(command, check=True)
    sys.path.insert(0, str(SITE))


def _notebooks() -> list[Path]:
    sys.path.insert(0, str(ROOT))
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [e["file"] for part in toc.get("parts", []) for e in part.get("chapters", [])]
    return [ROOT / "colab" / f"{Path(p).name}.ipynb" for p in pages if p.startswith("chapters/")]


def run(carry: Path, budget: float, out: Path, backend: str = "jax", install: bool = True) -> int:
    """Execute every Colab-edition notebook at full length; time it; report."""
    if install:
        _install(carry)
    import nbclient
    import nbformat

    env = {
        "KERAS_BACKEND": backend,
        "FASHION_MNIST_DIR": str(carry / "fashion-mnist"),
        "PYTHONPATH": os.pathsep.join([str(SITE), str(ROOT)]),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    os.environ.pop("LENET_MAX_EPOCHS", None)
    os.environ.update(env)
    try:
        gpu = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        gpu = ""
    started = time.perf_counter()
    results = []
    for notebook in _notebooks():
        spent = time.perf_counter() - started
        if spent > budget:
            results.append({"notebook": notebook.name, "not_timed": "over the budget"})
            print(f"{notebook.name}: not started ({spent:.0f} s spent of {budget:.0f})")
            continue
        nb = nbformat.read(notebook, as_version=4)
        with tempfile.TemporaryDirectory() as content:
            client = nbclient.NotebookClient(
                nb,
                timeout=max(30, int(budget - spent + 60)),
                kernel_name="python3",
                allow_errors=True,
                record_timing=True,
                resources={"metadata": {"path": content}},
            )
            start = time.perf_counter()
            try:
                client.execute()
                problem = ""
            except Exception as error:  # a cell over the time left, a dead kernel
                problem = f"{type(error).__name__}: {str(error)[-300:]}"
            seconds = time.perf_counter() - start
        cells = []
        for index, cell in enumerate(nb.cells):
            timing = cell.get("metadata", {}).get("execution", {})
            if cell.cell_type != "code" or "shell.execute_reply" not in timing:
                continue
            from datetime import datetime

            took = (
                datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                - datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            ).total_seconds()
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            cells.append(
                {
                    "cell": index,
                    "seconds": round(took, 2),
                    "first_line": cell.source.split("\n", 1)[0][:80],
                    "error": f"{errors[0]['ename']}: {errors[0]['evalue'][:200]}" if errors else "",
                }
            )
        slowest = sorted(cells, key=lambda c: -c["seconds"])[:3]
        failed = [c for c in cells if c["error"]]
        results.append(
            {
                "notebook": notebook.name,
                "seconds": round(seconds, 1),
                "slowest_cells": slowest,
                "failed_cells": failed,
                "problem": problem,
            }
        )
        print(f"{notebook.name}: {seconds:.1f} s" + (f"  ({problem})" if problem else ""))
        for c in slowest:
            print(f"    cell {c['cell']}: {c['seconds']:.1f} s  {c['first_line']}")
        for c in failed:
            print(f"    FAILED cell {c['cell']}: {c['error']}")
    total = time.perf_counter() - started
    record = {
        "gpu": gpu,
        "backend": backend,
        "python": sys.version.split()[0],
        "total_seconds": round(total, 1),
        "budget_seconds": budget,
        "notebooks": results,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "editions-gpu-timing.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"total {total:.0f} s on {gpu or 'no GPU found'}; {out / 'editions-gpu-timing.json'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.editions_gpu_timing",
        description=(__doc__ or "").split("\n\n")[0],
        epilog="\n\n".join((__doc__ or "").split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--prepare", action="store_true", help="here: fetch what travels")
    action.add_argument("--run", action="store_true", help="there: time the notebooks")
    parser.add_argument("--budget", type=float, default=330.0, help="seconds (default 330)")
    parser.add_argument("--carry", type=Path, default=CARRY, help=argparse.SUPPRESS)
    # for trying the script out on this machine, in .venv: --backend tensorflow --no-install
    parser.add_argument("--backend", default="jax", help=argparse.SUPPRESS)
    parser.add_argument("--no-install", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        return prepare(args.carry)
    if not args.no_install and not (args.carry / "wheels").is_dir():
        print(f"error: {args.carry} is missing: run --prepare here and carry it")
        return 2
    out = Path(os.environ.get("OUT", ROOT / "artifacts"))
    return run(args.carry, args.budget, out, args.backend, install=not args.no_install)


if __name__ == "__main__":
    sys.exit(main())
