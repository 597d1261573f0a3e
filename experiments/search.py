"""The search for a modern LeNet that meets chapter 8's aim, and its stored record.

The aim: a network in LeNet's shape with at most 100,000 parameters that reaches a mean test
accuracy of at least 0.93 over 3 seeds on Fashion-MNIST, trained for at most 20 epochs. Each
candidate is trained as the chapter trains its modern LeNet: the recipe's batch size, epochs
and validation split, Adam with a learning rate decaying from 0.002 to zero along a cosine.

    # on a machine with a GPU (any Keras backend; the searches so far ran KERAS_BACKEND=jax)
    python -m experiments.search run --out session.json                 # every candidate, seed 0
    python -m experiments.search run --runs stacked3-gap:1 current:2 --out session.json
    # then, in the repository: add the session to lenet_utils/assets/modern_search.json
    python -m experiments.search add session.json

``run`` writes one *session*: the runs, the machine and versions (``tools.common.machine()``),
the command and the date, rewritten after every run so that a session cut short keeps what it
finished. ``add`` appends a session to the stored study, which chapter 8 loads with
``lenet_utils.load_study("modern_search")``. A list of runs that was stored without its
machine (the first search, run before this script recorded one) is added with the machine
described by ``--gpu``, ``--backend`` and ``--versions``, and marked as described, not
recorded.

The candidates are written here rather than in the chapter: the chapter reports what they
reached, but teaches none of them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import keras

import lenet_utils
from tools.common import ROOT, machine

STORE = ROOT / "lenet_utils" / "assets" / "modern_search.json"
COMMAND = "python -m experiments.search"
AIM = {"test_accuracy": 0.93, "max_params": 100_000, "seeds": 3, "max_epochs": 20}
PEAK_LEARNING_RATE = 0.002

L = keras.layers


def block(filters: int, n: int) -> list[keras.Layer]:
    """``n`` stacked 3x3 convolutions with batch normalisation and ReLU, then 2x2 max pooling."""
    layers: list[keras.Layer] = []
    for _ in range(n):
        layers += [L.Conv2D(filters, 3, padding="same", use_bias=False), L.BatchNormalization()]
        layers += [L.ReLU()]
    return layers + [L.MaxPooling2D(2)]


def current() -> list[keras.Layer]:
    """The chapter's modern LeNet: one 3x3 convolution per block, flatten, dense 32."""
    return [
        L.Conv2D(32, 3, padding="same", use_bias=False),
        L.BatchNormalization(),
        L.ReLU(),
        L.MaxPooling2D(2),
        L.Conv2D(64, 3, use_bias=False),
        L.BatchNormalization(),
        L.ReLU(),
        L.MaxPooling2D(2),
        L.Flatten(),
        L.Dropout(0.4),
        L.Dense(32, activation="relu"),
        L.Dense(10, activation="softmax"),
    ]


def stacked(c1: int = 32, c2: int = 64, head: str | int = "gap", drop: float = 0.3):
    """Two blocks of two stacked 3x3 convolutions; a global-average-pooling head, or flatten
    and a dense layer of ``head`` units."""
    layers = block(c1, 2) + block(c2, 2)
    if head == "gap":
        return layers + [L.GlobalAveragePooling2D(), L.Dropout(drop), L.Dense(10, "softmax")]
    return layers + [
        L.Flatten(),
        L.Dropout(drop),
        L.Dense(head, activation="relu"),
        L.Dense(10, activation="softmax"),
    ]


def stacked3(c1: int = 24, c2: int = 48, c3: int = 64, head: str = "gap", drop: float = 0.3):
    """Three blocks (28 -> 14 -> 7 -> 3): two convolutions, two, then one; a global-average-
    pooling head, or flatten (3 x 3 x c3 features) straight into the softmax."""
    layers = block(c1, 2) + block(c2, 2) + block(c3, 1)
    pool = L.GlobalAveragePooling2D() if head == "gap" else L.Flatten()
    return layers + [pool, L.Dropout(drop), L.Dense(10, activation="softmax")]


Candidate = tuple[Callable[[], list[keras.Layer]], dict]

CANDIDATES: dict[str, Candidate] = {
    # the first search
    "current": (current, {}),
    "stacked-gap": (lambda: stacked(32, 64, "gap", 0.3), {}),
    "stacked-gap-ls": (lambda: stacked(32, 64, "gap", 0.3), {"label_smoothing": 0.1}),
    "stacked-24-48-gap": (lambda: stacked(24, 48, "gap", 0.3), {}),
    "stacked-flat16": (lambda: stacked(16, 32, 16, 0.4), {}),
    "stacked3-gap": (stacked3, {}),
    "stacked-gap-aug": (lambda: [L.RandomTranslation(0.08, 0.08)] + stacked(32, 64, "gap"), {}),
    # the second search: around the best of the first
    "stacked3-32-48-gap": (lambda: stacked3(32, 48, 64), {}),
    "stacked3-flat": (lambda: stacked3(24, 48, 64, head="flatten"), {}),
    "stacked3-gap-batch128": (stacked3, {"batch": 128}),
    "stacked3-gap-aug": (lambda: [L.RandomTranslation(0.08, 0.08)] + stacked3(), {}),
}


def train_candidate(
    name: str, seed: int, data: lenet_utils.FashionMNIST, epochs: int | None = None
) -> dict:
    """Train candidate ``name`` with ``seed`` for the recipe's epochs (or ``epochs``, for a
    smoke test); return its parameters, accuracies and time."""
    build, extra = CANDIDATES[name]
    recipe = lenet_utils.RECIPE
    epochs = epochs or recipe.epochs
    batch = extra.get("batch", recipe.batch_size)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((28, 28, 1)), *build()])
    n_train = recipe.split_sizes(len(data.x_train))[0]
    steps = epochs * math.ceil(n_train / batch)
    schedule = keras.optimizers.schedules.CosineDecay(PEAK_LEARNING_RATE, decay_steps=steps)
    y_train, y_test = data.y_train, data.y_test
    if extra.get("label_smoothing"):  # needs one-hot labels
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=extra["label_smoothing"])
        y_train, y_test = (
            keras.utils.to_categorical(y_train, 10),
            keras.utils.to_categorical(y_test, 10),
        )
        metrics = ["categorical_accuracy"]
    else:
        loss, metrics = recipe.loss, ["accuracy"]
    model.compile(keras.optimizers.Adam(schedule), loss, metrics=metrics, steps_per_execution=32)
    start = time.perf_counter()
    history = model.fit(
        data.x_train,
        y_train,
        batch_size=batch,
        epochs=epochs,
        validation_split=recipe.validation_split,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    result = model.evaluate(data.x_test, y_test, batch_size=1024, verbose=0, return_dict=True)
    test = next(float(v) for k, v in result.items() if "accuracy" in k)
    val = next(v for k, v in history.history.items() if k.startswith("val_") and "accuracy" in k)
    return {
        "name": name,
        "seed": seed,
        "params": model.count_params(),
        "test_acc": test,
        "val_acc_last": float(val[-1]),
        "val_acc_max": float(max(val)),
        "seconds": round(seconds, 1),
        "epochs": epochs,
        "batch": batch,
        "lr": PEAK_LEARNING_RATE,
    }


def _parse_run(text: str) -> tuple[str, int]:
    name, _, seed = text.partition(":")
    if name not in CANDIDATES or not seed.isdigit():
        raise argparse.ArgumentTypeError(
            f"expected CANDIDATE:SEED with a candidate among {', '.join(CANDIDATES)}, got {text!r}"
        )
    return name, int(seed)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    data = lenet_utils.load_fashion_mnist()
    if args.subset:
        data = data.subset(args.subset)
    plan = args.runs or [(name, 0) for name in CANDIDATES]
    session = {
        "machine": machine(),
        "machine_recorded": True,
        "command": " ".join([COMMAND, *argv]),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "runs": [],
    }
    start = time.perf_counter()
    for name, seed in plan:
        if time.perf_counter() - start > args.budget_s:
            print(f"time budget of {args.budget_s:.0f} s spent: {name}:{seed} not run", flush=True)
            continue
        result = train_candidate(name, seed, data, args.epochs)
        session["runs"].append(result)
        args.out.write_text(json.dumps(session, indent=1) + "\n")
        print(json.dumps(result), flush=True)
    return 0


def add(args: argparse.Namespace) -> int:
    loaded = json.loads(args.session.read_text())
    if isinstance(loaded, list):  # bare runs, stored without their machine
        missing = [flag for flag in ("gpu", "backend", "date") if not getattr(args, flag)]
        if missing:
            raise SystemExit(
                f"{args.session} holds runs without their machine: describe it with "
                + ", ".join(f"--{flag}" for flag in missing)
                + "."
            )
        versions = dict(item.split("=", 1) for item in args.versions)
        session = {
            "machine": {"gpu": args.gpu, "keras_backend": args.backend, "versions": versions},
            "machine_recorded": False,
            "command": args.command or "not recorded",
            "date": args.date,
            "runs": loaded,
        }
    elif isinstance(loaded, dict) and "runs" in loaded and "machine" in loaded:
        session = loaded
    else:
        raise SystemExit(
            f"{args.session} is neither a session written by `{COMMAND} run` nor a list of runs."
        )
    store = (
        json.loads(STORE.read_text())
        if STORE.is_file()
        else {
            "study": "modern_search",
            "description": __doc__.splitlines()[0],
            "aim": AIM,
            "script": "experiments/search.py",
            "sessions": [],
        }
    )
    store["sessions"].append(session)
    # What every stored study says at its top (lenet_utils.load_study): here, a summary of the
    # sessions, each of which keeps its own machine, command and date.
    store["machine"] = [s["machine"] for s in store["sessions"]]
    store["command"] = f"{COMMAND} run, then {COMMAND} add (each session has its own command)"
    store["date"] = max(s["date"] for s in store["sessions"])
    STORE.write_text(json.dumps(store, indent=1) + "\n")
    print(f"added {len(session['runs'])} runs to {STORE}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="action", required=True)
    run_parser = commands.add_parser("run", help="train candidates and write a session")
    run_parser.add_argument(
        "--runs", nargs="+", type=_parse_run, metavar="CANDIDATE:SEED", help="default: all, seed 0"
    )
    run_parser.add_argument("--out", type=Path, required=True, help="the session's JSON file")
    run_parser.add_argument(
        "--budget-s", type=float, default=math.inf, help="start no run after this many seconds"
    )
    run_parser.add_argument("--subset", type=int, metavar="N", help="smoke test: N images")
    run_parser.add_argument("--epochs", type=int, help="smoke test: fewer epochs")
    add_parser = commands.add_parser("add", help="add a session to the stored study")
    add_parser.add_argument("session", type=Path)
    add_parser.add_argument("--gpu", help="for runs stored without their machine")
    add_parser.add_argument("--backend", help="Keras backend of such runs")
    add_parser.add_argument("--versions", nargs="*", default=[], metavar="PACKAGE=VERSION")
    add_parser.add_argument("--date", help="date of such runs, YYYY-MM-DD")
    add_parser.add_argument("--command", help="the command that ran them")
    args = parser.parse_args(argv)
    return run(args, argv) if args.action == "run" else add(args)


if __name__ == "__main__":
    sys.exit(main())
