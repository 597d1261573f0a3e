"""Benchmark the course's training against plain Keras and a PyTorch peer, in interleaved rounds.

    make bench                      # or: .venv/bin/python -m benchmarks.run
    python -m benchmarks.run --out benchmarks/results/cpu.json
    python -m benchmarks.run --from benchmarks/results/cpu.json   # redraw, measure nothing

The variants (:data:`NAMES`, :mod:`benchmarks.worker`) train LeNet-5 with
:data:`lenet_utils.RECIPE`: plain ``model.fit``, ``lenet_utils.train``, ``lenet_utils.train``
with one step per call, and a PyTorch peer (needs the ``bench`` extra; skipped, and said so,
without PyTorch). They run in rounds, each run a fresh process, as :mod:`benchmarks.protocol`
sets out; one progress line per round. Then the book build is timed (``--skip-book`` to skip).

The report gives each variant's fastest, median and slowest epoch (the first epoch apart),
each round's figures, and for each pair of :data:`PAIRS` the ratio, its interval and the
verdict; then inference time, peak memory, test accuracy after the run's epochs (a check that
the variants trained alike, not the recipe's result), and where a Keras epoch's time and
memory go. ``--out`` stores all of it as JSON (verdicts included, with the machine, recipe
and command), with a .md report and a .png plot beside it, which the Performance appendix
shows (:mod:`benchmarks.appendix` writes its sentences from the JSON).

On a GPU machine, Keras runs on whatever backend ``KERAS_BACKEND`` names and the PyTorch peer
on CUDA::

    KERAS_BACKEND=jax python -m benchmarks.run --skip-book --out benchmarks/results/gpu-NAME.json

Records written before the protocol (one run of each variant, one after the other) still
read; their reports say that they support no verdict.
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
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lenet_utils.recipe import RECIPE, Recipe
from tools.common import ROOT, machine

from . import protocol

WORKER = "benchmarks.worker"
"""The module that makes one measured run (``python -m benchmarks.worker KIND``)."""

TEST_IMAGES = 10_000
"""Images in Fashion-MNIST's test set, on which inference is timed."""

ROUNDS = 6
"""Rounds of the protocol, by default: 4 variants x 6 rounds of fresh runs take about 9 to 13
minutes on two idle cores."""

EPOCHS = 4
"""Epochs of each run, by default: the first, which also builds the computation, and three
whose median is the run's figure. More rounds narrow an interval more than more epochs do."""

NAMES = {
    "keras-default": "Keras, plain model.fit",
    "lenet-utils-train": "Keras, lenet_utils.train",
    "lenet-utils-train-1step": "Keras, lenet_utils.train, 1 step per call",
    "torch": "PyTorch peer",
}
"""The variants, in the order of the first round, and how the report names them."""

SHORT = {
    "keras-default": "plain fit",
    "lenet-utils-train": "train",
    "lenet-utils-train-1step": "train, 1 step/call",
    "torch": "PyTorch",
}
"""Shorter names, for the plot's pairs."""

PAIRS = (
    ("lenet-utils-train", "keras-default"),
    ("lenet-utils-train", "lenet-utils-train-1step"),
    ("keras-default", "torch"),
)
"""The pairs judged: what ``train`` changes against plain ``fit``, what its
``steps_per_execution`` changes, and Keras against PyTorch, each written plainly."""

RENAMED = {"keras-tuned": "lenet-utils-train"}
"""Earlier names of runs, as stored records may use them, and their names now."""


def run_worker(kind: str, epochs: int, subset: int | None = None) -> dict:
    """Make the run ``kind`` in a fresh Python process, and return its figures."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    env.pop("LENET_MAX_EPOCHS", None)
    if kind == "torch":  # Keras, imported for the data and recipe, on PyTorch: no TensorFlow
        env["KERAS_BACKEND"] = "torch"
    command = [sys.executable, "-m", WORKER, kind, "--epochs", str(epochs)]
    command += ["--subset", str(subset)] if subset else []
    out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{kind} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def measure(
    kinds: list[str],
    rounds: int,
    epochs: int,
    subset: int | None = None,
    worker: Callable[..., dict] = run_worker,
    say: Callable[[str], None] = print,
) -> list[dict]:
    """Run ``kinds`` in ``rounds`` rotated rounds; ``say`` one line per round."""
    start, measured = time.perf_counter(), []
    for index in range(rounds):
        order, load = protocol.rotated(kinds, index), os.getloadavg()[0]
        results = {kind: worker(kind, epochs, subset) for kind in order}
        measured.append({"order": order, "load_before": load, "results": results})
        elapsed = time.perf_counter() - start
        figures = ", ".join(
            f"{kind} {protocol.run_seconds(results[kind]['epoch_seconds']):.2f}" for kind in order
        )
        left = elapsed / (index + 1) * (rounds - index - 1)
        say(
            f"round {index + 1}/{rounds}: {figures} s/epoch; "
            f"{elapsed / 60:.1f} min so far, about {left / 60:.1f} min to go"
        )
    return measured


def book_build_seconds() -> float:
    """Seconds to build the book from the stored outputs, into a temporary folder."""
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


def read_record(record: dict) -> dict:
    """A stored record as this version reads it: ``rounds`` (a record from before the protocol
    is one round), runs under their current names, ``protocol``, and the recipe as a
    :class:`Recipe` (:data:`RECIPE` where the record stores none).

    Raises:
        KeyError, TypeError: ``record`` is not a benchmark record.
    """
    if "rounds" in record:
        rounds, rules = record["rounds"], record["protocol"]
    else:
        rounds = [{"order": list(record["results"]), "results": record["results"]}]
        rules = {"rounds": 1, "epochs": record["epochs"], "interleaved": False}
    rounds = [
        {
            **one,
            "order": [RENAMED.get(kind, kind) for kind in one["order"]],
            "results": {RENAMED.get(kind, kind): r for kind, r in one["results"].items()},
        }
        for one in rounds
    ]
    unknown = sorted({kind for one in rounds for kind in one["results"]} - set(NAMES))
    if unknown:
        raise KeyError(f"runs {unknown} are none of {sorted(NAMES)}")
    recipe = dataclasses.replace(RECIPE, **record.get("recipe", {}))
    return {**record, "rounds": rounds, "protocol": rules, "recipe": recipe}


def under_protocol(record: dict) -> bool:
    """Whether a read record is a measurement under the protocol: interleaved, at least
    :data:`protocol.MIN_ROUNDS` rounds, on the whole training set."""
    rules = record["protocol"]
    return (
        bool(rules.get("interleaved"))
        and len(record["rounds"]) >= protocol.MIN_ROUNDS
        and not rules.get("subset")
    )


def kinds_of(record: dict) -> list[str]:
    """The variants of a read record that ran in every round, in :data:`NAMES`' order."""
    return [kind for kind in NAMES if all(kind in one["results"] for one in record["rounds"])]


def comparisons(record: dict) -> list[protocol.Comparison]:
    """The pairs of :data:`PAIRS` compared over a read record's rounds (none for one round)."""
    figures = [
        {kind: protocol.run_seconds(r["epoch_seconds"]) for kind, r in one["results"].items()}
        for one in record["rounds"]
    ]
    return protocol.compare_rounds(figures, PAIRS)


def summarise(record: dict) -> dict[str, dict]:
    """Each variant's figures over a read record's rounds: ``fastest``, ``median`` and
    ``slowest`` epoch after the first, the ``first`` epoch, and the medians of the rest."""
    summary = {}
    for kind in kinds_of(record):
        runs = [one["results"][kind] for one in record["rounds"]]
        timed = np.concatenate([r["epoch_seconds"][1:] for r in runs])
        s = {
            "fastest": float(timed.min()),
            "median": float(np.median(timed)),
            "slowest": float(timed.max()),
            "first": float(np.median([r["epoch_seconds"][0] for r in runs])),
        }
        for key in (
            "inference_seconds",
            "peak_rss_mb",
            "test_accuracy",
            "step_ms",
            "rss_import_mb",
            "rss_data_mb",
        ):
            if all(key in r for r in runs):
                s[key] = float(np.median([r[key] for r in runs]))
        summary[kind] = s
    return summary


def verdict_text(c: protocol.Comparison) -> str:
    """A comparison's verdict as the report words it."""
    winner = {protocol.FASTER: c.first, protocol.SLOWER: c.second}.get(c.verdict)
    return f"{NAMES[winner]} faster" if winner else protocol.SAME


def breakdown(name: str, s: dict, recipe: Recipe = RECIPE) -> list[str]:
    """Where one Keras variant's epoch time and memory go (``s``: its :func:`summarise` entry),
    as report lines; empty if not measured.

    The floor is what the epoch would cost if every step ran as fast as a step repeated on one
    fixed batch: the ``recipe``'s steps per epoch, plus one forward pass over its validation
    images (timed as inference on the test images, scaled). The rest of the epoch is the input
    pipeline, callbacks and Python between steps.
    """
    if "step_ms" not in s:
        return []
    steps = recipe.steps_per_epoch()
    validation = s["inference_seconds"] * recipe.split_sizes()[1] / TEST_IMAGES
    floor = steps * s["step_ms"] / 1000 + validation
    epoch, step = s["median"], s["step_ms"]
    if epoch >= floor:
        rest = epoch - floor
        time_line = (
            f"* where the time goes ({name}): a training step on one fixed batch takes "
            f"{step:.1f} ms, so {steps} steps and the validation pass need about "
            f"{floor:.2f} s; the median epoch takes {epoch:.2f} s, leaving {rest:.2f} s "
            f"({rest / epoch:.0%}) to the input pipeline, callbacks and Python"
        )
    elif epoch <= validation:
        time_line = (
            f"* where the time goes ({name}): the median epoch ({epoch:.2f} s) is no longer "
            f"than its validation pass as timed apart ({validation:.2f} s): too noisy to split"
        )
    else:
        inside = 1000 * (epoch - validation) / steps
        saved = (step - inside) / step
        pace = (
            "the cost of each call into the backend, not the arithmetic, sets the pace here"
            if saved >= 0.5
            else "the arithmetic, not the call, takes most of a step"
        )
        time_line = (
            f"* where the time goes ({name}): a training step called on its own "
            f"(`train_on_batch`, one fixed batch) takes {step:.1f} ms; a step inside `fit` "
            f"takes {inside:.1f} ms (the median epoch less its validation pass, over {steps} "
            f"steps), {saved:.0%} less: {pace}"
        )
    return [
        time_line,
        f"* where the memory goes ({name}): {s['rss_import_mb']:.0f} MB once Keras and its "
        f"backend are imported, {s['rss_data_mb']:.0f} MB with the data loaded, "
        f"{s['peak_rss_mb']:.0f} MB at the peak of training",
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


def _where(info: dict) -> str:
    return info["gpu"] if info["gpu"] != "none" else f"{info['cores']} CPU cores ({info['cpu']})"


def plot(record: dict, path: Path) -> None:
    """Box plots of each variant's epochs after the first and, with several rounds, below
    them each pair's ratios, geometric mean and interval; saved at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    summary, compared = summarise(record), comparisons(record)
    rows = 2 if compared else 1
    fig, axes = plt.subplots(
        rows, 1, figsize=(7.5, 2.8 * rows), layout="constrained", squeeze=False
    )
    ax = axes[0, 0]
    epochs = [
        np.concatenate([one["results"][k]["epoch_seconds"][1:] for one in record["rounds"]])
        for k in summary
    ]
    ax.boxplot(epochs, orientation="horizontal", widths=0.5)
    ax.set_yticks(range(1, len(summary) + 1), [NAMES[kind] for kind in summary])
    ax.set_xlim(left=0)
    ax.set_xlabel("seconds per epoch (all epochs after the first)")
    ax.set_title(f"LeNet-5 on {_where(record['machine'])}", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    if compared:
        ax = axes[1, 0]
        for row, c in enumerate(compared):
            y = len(compared) - row
            ax.plot([c.low, c.high], [y, y], color="C0", linewidth=2)
            ax.plot(c.ratio, y, "o", color="C0")
            ax.plot(c.ratios, [y] * len(c.ratios), "|", color="C1", markersize=12)
        labels = [f"{SHORT[c.first]} vs {SHORT[c.second]}" for c in compared]
        ax.set_yticks(range(len(compared), 0, -1), labels)
        ax.set_ylim(0.5, len(compared) + 0.5)
        ax.axvline(1, color="grey", linestyle="--")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("second's s/epoch over first's (above 1: the first is faster)")
        ax.set_title(
            f"{len(record['rounds'])} rounds: ratio per round (ticks), geometric mean (dot), "
            f"{compared[0].level:.1%} interval (bar)",
            fontsize=9,
        )
        ax.grid(axis="x", alpha=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _header(record: dict) -> list[str]:
    info, v = record["machine"], record["machine"]["versions"]
    gpu = f"GPU: {info['gpu']}" if info["gpu"] != "none" else "no GPU"
    backend = info.get("keras_backend", "tensorflow")
    engine = (
        f"TensorFlow {v.get('tensorflow', 'not installed')}"
        if backend == "tensorflow"
        else f"Keras on its {backend} backend ({backend} {v.get(backend, '?')})"
    )
    rules, rounds = record["protocol"], len(record["rounds"])
    if rules.get("interleaved"):
        how = (
            f"Protocol: {rounds} rounds; in each, every variant ran once, in a fresh process, in "
            f"an order rotated by one each round; {rules['epochs']} epochs a run, the first "
            "(which also builds the computation) timed apart."
        )
        if rules.get("subset"):
            how += (
                f" Trained on {rules['subset']:,} images only: a check of the command, "
                "not a measurement."
            )
    else:
        how = (
            f"Measured before the protocol of rounds: each variant ran once, one after the other, "
            f"{rules['epochs']} epochs in a fresh process. One run each supports no verdict."
        )
    return [
        f"Measured {record.get('measured') or time.strftime('%Y-%m-%d')} on {info['cpu']}, "
        f"{info['cores']} cores, {gpu} ({info['platform']}); Python {v['python']}, {engine}, "
        f"Keras {v['keras']}, PyTorch {v.get('torch', 'not installed')}. {how}",
        "",
    ]


def report(record: dict) -> str:
    """A read record (:func:`read_record`) as markdown: what ran where and how, the tables,
    the verdicts, then where the time and memory go."""
    summary, rules = summarise(record), record["protocol"]
    lines = _header(record) + [
        "| run | fastest s/epoch | median | slowest | first epoch s "
        f"| inference ms ({TEST_IMAGES:,} images) | peak RSS MB | test accuracy after "
        f"{rules['epochs']} epochs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, s in summary.items():
        lines.append(
            f"| {NAMES[kind]} | {s['fastest']:.2f} | {s['median']:.2f} | {s['slowest']:.2f} "
            f"| {s['first']:.2f} | {s['inference_seconds'] * 1000:.0f} | {s['peak_rss_mb']:.0f} "
            f"| {s['test_accuracy']:.4f} |"
        )
    lines.append("")
    compared = comparisons(record)
    if len(record["rounds"]) > 1:
        lines += [
            "Seconds per epoch of each run (the median of its epochs after the first), by round:",
            "",
            "| round | " + " | ".join(NAMES[k] for k in summary) + " | load before |",
            "|---:|" + "---:|" * len(summary) + "---:|",
        ]
        for number, one in enumerate(record["rounds"], 1):
            cells = [
                f"{protocol.run_seconds(one['results'][k]['epoch_seconds']):.2f}" for k in summary
            ]
            load = f"{one['load_before']:.1f}" if "load_before" in one else "-"
            lines.append(f"| {number} | " + " | ".join(cells) + f" | {load} |")
        lines += [
            "",
            "Load before: the machine's load average over the minute before the round, the "
            "processes running or waiting for a core, this benchmark's own included; well above "
            f"the {record['machine']['cores']} cores, something else was running.",
            "",
        ]
    if compared:
        level = compared[0].level
        lines += [
            f"| pair | ratio in each round | ratio | {level:.1%} interval | verdict |",
            "|---|---|---:|---:|---|",
        ]
        for c in compared:
            each = ", ".join(f"{r:.2f}" for r in c.ratios)
            lines.append(
                f"| {NAMES[c.first]} vs {NAMES[c.second]} | {each} | {c.ratio:.2f}x "
                f"| {c.low:.2f}-{c.high:.2f} | {verdict_text(c)} |"
            )
        lines += [
            "",
            "Ratio: the second's seconds per epoch over the first's, in each round; above 1, "
            "the first is faster. The pair's ratio is their geometric mean, its interval a "
            f"t-interval on their logarithms, at {level:.1%} so that the {len(compared)} "
            f"intervals hold together at {protocol.CONFIDENCE:.0%}. A variant is faster only "
            f'where the interval excludes 1; otherwise: "{protocol.SAME}".',
            "",
        ]
    if "torch" not in summary:
        lines.append("* PyTorch peer: not run (install the bench extra: pip install -e '.[bench]')")
    if rules.get("subset"):  # the recipe's steps and arithmetic are those of the whole set
        lines.append("* where the time and memory go: not worked out for a subset")
        return "\n".join(lines) + "\n"
    for kind in ("keras-default", "lenet-utils-train"):
        lines += breakdown(NAMES[kind], summary[kind], record["recipe"]) if kind in summary else []
    flops = epoch_flops(record["recipe"])
    lines.append(
        f"* one epoch is about {flops / 1e9:.0f} GFLOP; at its median epoch, "
        + ", ".join(
            f"{NAMES[k]} achieves {flops / s['median'] / 1e9:.0f} GFLOP/s"
            for k, s in summary.items()
        )
    )
    if record.get("book_build_seconds") is not None:
        book = record["book_build_seconds"]
        lines.append(f"* building the book from the stored outputs (nothing run): {book:.1f} s")
    return "\n".join(lines) + "\n"


def _write_beside(path: Path, record: dict, text: str) -> None:
    """The .md report and the .png plot beside the JSON at ``path``."""
    path.with_suffix(".md").write_text(text)
    plot(record, path.with_suffix(".png"))


def rewrite(path: Path) -> int:
    """Regenerate the report and plot of a stored record from its JSON, measuring nothing."""
    if not path.is_file():
        raise SystemExit(f"{path} is not a file: pass the JSON that --out wrote.")
    try:
        record = read_record(json.loads(path.read_text()))
        text = report(record)
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise SystemExit(
            f"{path} is not a benchmark record ({type(error).__name__}: {error}): pass the "
            "JSON that --out wrote, or measure again with --out."
        ) from error
    _write_beside(path, record, text)
    print(text)
    print(f"rewrote {path.with_suffix('.md')} and {path.with_suffix('.png')}")
    return 0


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of at least {minimum}, got {text!r}"
            )
        return int(text)

    return parse


def main(argv: list[str] | None = None) -> int:
    """Measure the rounds and the book build and print the report; or, with ``--from``,
    redraw a stored record's report."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds",
        type=whole_number(protocol.MIN_ROUNDS),
        default=ROUNDS,
        help=f"rounds, each running every variant once (default {ROUNDS})",
    )
    parser.add_argument(
        "--epochs",
        type=whole_number(2),
        default=EPOCHS,
        help=f"epochs of each run, the first timed apart (default {EPOCHS})",
    )
    parser.add_argument(
        "--subset",
        type=whole_number(1),
        help="train on this many images only: a quick check of the command, not a measurement",
    )
    parser.add_argument(
        "--skip-book", action="store_true", help="do not time the book build (a GPU machine)"
    )
    parser.add_argument(
        "--kinds",
        nargs="+",
        choices=list(NAMES),
        default=list(NAMES),
        help="which variants to run (default: all; torch only where PyTorch is installed)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="also write the record here as JSON, with a .md report and a .png plot beside it",
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
    kinds = [k for k in args.kinds if k != "torch" or importlib.util.find_spec("torch")]
    print(
        f"Benchmarking on {info['cpu']} ({info['cores']} cores): {args.rounds} rounds of "
        f"{len(kinds)} runs ({', '.join(kinds)}), {args.epochs} epochs each",
        flush=True,
    )
    rounds = measure(
        kinds, args.rounds, args.epochs, args.subset, say=lambda line: print(line, flush=True)
    )
    book = None if args.skip_book else book_build_seconds()
    record = {
        "machine": info,
        "recipe": dataclasses.asdict(RECIPE),
        "protocol": {
            "rounds": args.rounds,
            "epochs": args.epochs,
            "subset": args.subset,
            "interleaved": True,
            "confidence": protocol.CONFIDENCE,
        },
        "command": " ".join(["python -m benchmarks.run", *argv]),
        "measured": time.strftime("%Y-%m-%d"),
        "rounds": rounds,
        "book_build_seconds": book,
    }
    record["comparisons"] = [c.as_dict() for c in comparisons(read_record(record))]
    text = report(read_record(record))
    print()
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(record, indent=2) + "\n")
        _write_beside(args.out, read_record(record), text)
        print(f"wrote {args.out} and its .md and .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
