"""Benchmark the course's training against plain Keras and a PyTorch peer, and print a table.

    make bench                      # or: .venv/bin/python -m benchmarks.run
    python -m benchmarks.run --out benchmarks/results/cpu.json

In one run, each in a fresh process (:mod:`benchmarks.worker`), one after the other on the same
machine, and all with the recipe of :data:`lenet_utils.RECIPE`:

* ``keras-default``: LeNet-5 trained the way a learner writes it in plain Keras;
* ``lenet-utils-train``: the same model through ``lenet_utils.train``, the chapters' path
  (records written before it had this name call it ``keras-tuned``; they are read as this);
* ``torch``: the same LeNet-5 in PyTorch, same data, batch and optimiser (needs the ``bench``
  extra; skipped, and said so, when PyTorch is not installed);

then the book build. It prints the median and range of seconds per epoch, inference time on
the 10,000 test images, peak resident memory of the whole run, test accuracy, the book build
time and the ratios between the runs, and for each Keras run where its epoch time and memory
go. It asserts nothing about time: the figures are for people to read (and, with ``--out``,
for the book's Performance appendix to show).

On a GPU machine the PyTorch peer runs on CUDA, and Keras runs on whatever backend
``KERAS_BACKEND`` names (the H100 figures of the appendix used ``jax``, where TensorFlow was
not installed)::

    KERAS_BACKEND=jax python -m benchmarks.run --skip-book --out benchmarks/results/gpu-h100.json
    python -m benchmarks.run --from benchmarks/results/gpu-h100.json   # redraw, measure nothing

A record stores the machine (:func:`tools.common.machine`) and the recipe it was measured
with; its report is computed from those, so that a record stays right when the recipe changes.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lenet_utils.recipe import RECIPE, Recipe
from tools.common import ROOT, machine

WORKER = "benchmarks.worker"
"""The module that makes one measured run (``python -m benchmarks.worker KIND``)."""

TEST_IMAGES = 10_000
"""Images in Fashion-MNIST's test set, on which inference is timed."""

NAMES = {
    "keras-default": "Keras, plain model.fit",
    "lenet-utils-train": "Keras, lenet_utils.train",
    "torch": "PyTorch peer",
}
"""The runs, and how the report names them."""

RENAMED = {"keras-tuned": "lenet-utils-train"}
"""Earlier names of runs, as stored records may use them, and their names now."""


def run_worker(kind: str, epochs: int) -> dict:
    """Make the run ``kind`` in a fresh Python process, and return its figures."""
    print(f"  {kind}: training {epochs} epochs ...", flush=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    env.pop("LENET_MAX_EPOCHS", None)
    if kind == "torch":  # Keras, imported for the data and recipe, on PyTorch: no TensorFlow
        env["KERAS_BACKEND"] = "torch"
    out = subprocess.run(
        [sys.executable, "-m", WORKER, kind, "--epochs", str(epochs)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{kind} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def book_build_seconds() -> float:
    """Seconds to build the book from the stored outputs, into a temporary folder."""
    print("  book: building ...", flush=True)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = subprocess.run(
            [str(jupyter_book), "build", str(ROOT), "--path-output", out],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"the book build failed:\n{result.stdout[-3000:]}")
    return seconds


def _row(name: str, r: dict) -> str:
    times = np.asarray(r["epoch_seconds"])
    return (
        f"| {name} | {np.median(times):.2f} | {times.min():.2f}-{times.max():.2f} "
        f"| {r['inference_seconds'] * 1000:.0f} | {r['peak_rss_mb']:.0f} "
        f"| {r['test_accuracy']:.4f} |"
    )


def breakdown(name: str, r: dict, recipe: Recipe = RECIPE) -> list[str]:
    """Where one Keras run's epoch time and memory go, as report lines (empty if not measured).

    The floor is what the epoch would cost if every step ran as fast as a step repeated on one
    fixed batch: the ``recipe``'s steps per epoch, plus one forward pass over its validation
    images (timed as inference on the test images, scaled). The rest of the epoch is the input
    pipeline, callbacks and Python between steps.
    """
    if "step_ms" not in r:
        return []
    steps = recipe.steps_per_epoch()
    n_validation = recipe.split_sizes()[1]
    floor = steps * r["step_ms"] / 1000 + r["inference_seconds"] * n_validation / TEST_IMAGES
    epoch = r["median_epoch_seconds"]
    rest = epoch - floor
    if rest < 0:
        time_line = (
            f"* where the time goes ({name}): a training step called on its own "
            f"(`train_on_batch`, one fixed batch) takes {r['step_ms']:.1f} ms, longer than the "
            f"{1000 * epoch / steps:.1f} ms a step takes on average inside `fit`: the cost "
            "of each call into the backend, not the arithmetic, sets the pace here"
        )
    else:
        time_line = (
            f"* where the time goes ({name}): a training step on one fixed batch takes "
            f"{r['step_ms']:.1f} ms, so {steps} steps and the validation pass need about "
            f"{floor:.2f} s; the median epoch takes {epoch:.2f} s, leaving {rest:.2f} s "
            f"({rest / epoch:.0%}) to the input pipeline, callbacks and Python"
        )
    return [
        time_line,
        f"* where the memory goes ({name}): {r['rss_import_mb']:.0f} MB once Keras and its "
        f"backend are imported, {r['rss_data_mb']:.0f} MB with the data loaded, "
        f"{r['peak_rss_mb']:.0f} MB at the peak of training",
    ]


def epoch_flops(recipe: Recipe = RECIPE) -> float:
    """Floating-point operations of one epoch of ``recipe``: 3 forward passes per training
    image (forward and backward), 1 per validation image, counted from LeNet-5's layer shapes
    (2 per multiply-add)."""
    import lenet_utils

    macs = 0
    for row in lenet_utils.layer_table(lenet_utils.build_sequential()):
        if row.kind in ("Conv2D", "Dense"):
            per_output = row.params // row.output_shape[-1] - 1  # weights per output value
            macs += int(np.prod(row.output_shape[1:])) * per_output
    n_train, n_validation = recipe.split_sizes()
    return 2.0 * macs * (3 * n_train + n_validation)


def plot(results: dict, info: dict, path: Path) -> None:
    """Box plot of each run's seconds per epoch, saved at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 2.8), layout="constrained")
    names = [NAMES[kind] for kind in results]
    ax.boxplot([r["epoch_seconds"] for r in results.values()], orientation="horizontal", widths=0.5)
    ax.set_yticks(range(1, len(names) + 1), names)
    ax.set_xlim(left=0)
    ax.set_xlabel("seconds per epoch")
    where = info["gpu"] if info["gpu"] != "none" else f"{info['cores']} CPU cores ({info['cpu']})"
    ax.set_title(f"LeNet-5 on {where}", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(
    results: dict,
    book: float | None,
    info: dict,
    epochs: int,
    measured: str | None = None,
    recipe: Recipe = RECIPE,
) -> str:
    """The figures as markdown: what ran where, a table, then ratios and arithmetic.

    ``info`` is :func:`tools.common.machine`'s record (a package it does not list was not
    installed), ``recipe`` the recipe the runs used.
    """
    gpu = f"GPU: {info['gpu']}" if info["gpu"] != "none" else "no GPU"
    v = info["versions"]
    backend = info.get("keras_backend", "tensorflow")
    engine = (
        f"TensorFlow {v.get('tensorflow', 'not installed')}"
        if backend == "tensorflow"
        else f"Keras on its {backend} backend ({backend} {v.get(backend, '?')})"
    )
    lines = [
        f"Measured {measured or time.strftime('%Y-%m-%d')} on {info['cpu']}, "
        f"{info['cores']} cores, {gpu} ({info['platform']}); Python {v['python']}, {engine}, "
        f"Keras {v['keras']}, PyTorch {v.get('torch', 'not installed')}. "
        f"Each run: {epochs} epochs in a fresh process.",
        "",
        f"| run | median s/epoch | range | inference ms ({TEST_IMAGES:,} images) | peak RSS MB "
        "| test accuracy |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(NAMES[kind], r) for kind, r in results.items()]
    med = {k: r["median_epoch_seconds"] for k, r in results.items()}
    lines.append("")
    if "keras-default" in med and "lenet-utils-train" in med:
        speedup = med["keras-default"] / med["lenet-utils-train"]
        lines.append(f"* `lenet_utils.train` vs plain Keras: {speedup:.2f}x per epoch")
    if "torch" in med:
        for kind in ("keras-default", "lenet-utils-train"):
            if kind in med:
                ratio = med["torch"] / med[kind]
                lines.append(
                    f"* {NAMES[kind]} vs PyTorch: {ratio:.2f}x per epoch (above 1: Keras is faster)"
                )
        if "lenet-utils-train" in results:
            ratio = (
                results["torch"]["inference_seconds"]
                / results["lenet-utils-train"]["inference_seconds"]
            )
            lines.append(
                f"* inference, `lenet_utils.train`'s model vs PyTorch: {ratio:.2f}x "
                "(above 1: Keras is faster)"
            )
    else:
        lines.append("* PyTorch peer: not run (install the bench extra: pip install -e '.[bench]')")
    for kind in ("keras-default", "lenet-utils-train"):
        lines += breakdown(NAMES[kind], results[kind], recipe) if kind in results else []
    flops = epoch_flops(recipe)
    lines.append(
        f"* one epoch is about {flops / 1e9:.0f} GFLOP; "
        + ", ".join(f"{NAMES[k]} achieves {flops / m / 1e9:.0f} GFLOP/s" for k, m in med.items())
    )
    if book is not None:
        lines.append(
            f"* building the book from the stored outputs (nothing executed): {book:.1f} s"
        )
    return "\n".join(lines) + "\n"


def read_record(record: dict) -> dict:
    """A stored record as this version reads it: runs under their current names, and the
    recipe as a :class:`Recipe` (:data:`RECIPE` where the record, from before the recipe was
    stored, has none).

    Raises:
        KeyError, TypeError: ``record`` is not a benchmark record.
    """
    results = {RENAMED.get(kind, kind): r for kind, r in record["results"].items()}
    unknown = sorted(set(results) - set(NAMES))
    if unknown:
        raise KeyError(f"runs {unknown} are none of {sorted(NAMES)}")
    recipe = dataclasses.replace(RECIPE, **record.get("recipe", {}))
    return {**record, "results": results, "recipe": recipe}


def _report_of(record: dict) -> str:
    """The report of a record that :func:`read_record` has read."""
    return report(
        record["results"],
        record["book_build_seconds"],
        record["machine"],
        record["epochs"],
        record["measured"],
        record["recipe"],
    )


def _write_beside(path: Path, record: dict, text: str) -> None:
    """The .md table and the .png plot beside the JSON at ``path``."""
    path.with_suffix(".md").write_text(text)
    plot(record["results"], record["machine"], path.with_suffix(".png"))


def rewrite(path: Path) -> int:
    """Regenerate the report and plot of a saved run (for instance one measured on a GPU
    machine) from its JSON, without measuring anything."""
    if not path.is_file():
        raise SystemExit(f"{path} is not a file: pass the JSON that --out wrote.")
    try:
        record = read_record(json.loads(path.read_text()))
        text = _report_of(record)
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise SystemExit(
            f"{path} is not a benchmark record ({type(error).__name__}: {error}): pass the "
            "JSON that --out wrote, or measure again with --out."
        ) from error
    _write_beside(path, record, text)
    print(text)
    print(f"rewrote {path.with_suffix('.md')} and {path.with_suffix('.png')}")
    return 0


def positive_int(text: str) -> int:
    """``--epochs``' value: a whole number of at least 1 (argparse reports anything else)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    """Measure the runs and the book build, print the report; or, with ``--from``, redraw it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=RECIPE.epochs,
        help="epochs of each run (default: the recipe's, lenet_utils.RECIPE.epochs)",
    )
    parser.add_argument(
        "--skip-book", action="store_true", help="do not time the book build (a GPU machine)"
    )
    parser.add_argument(
        "--kinds",
        nargs="+",
        choices=list(NAMES),
        default=list(NAMES),
        help="which runs to make (default: all; torch only where PyTorch is installed)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="also write the figures here as JSON, with a .md table and a .png plot beside it",
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="measure nothing: rewrite the .md and .png beside this JSON from its figures",
    )
    args = parser.parse_args(argv)
    if args.source:
        return rewrite(args.source)
    info = machine()
    print(f"Benchmarking on {info['cpu']} ({info['cores']} cores) ...", flush=True)
    kinds = [k for k in args.kinds if k != "torch" or importlib.util.find_spec("torch")]
    results = {kind: run_worker(kind, args.epochs) for kind in kinds}
    book = None if args.skip_book else book_build_seconds()
    record = {
        "machine": info,
        "recipe": dataclasses.asdict(RECIPE),
        "epochs": args.epochs,
        "results": results,
        "book_build_seconds": book,
        "measured": time.strftime("%Y-%m-%d"),
    }
    text = _report_of(read_record(record))
    print()
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(record, indent=2) + "\n")
        _write_beside(args.out, record, text)
        print(f"wrote {args.out} and its .md and .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
