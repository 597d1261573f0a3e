"""One benchmark run in a fresh process; prints one JSON line. Called by :mod:`benchmarks.run`.

    python -m benchmarks.worker keras-default|lenet-utils-train|torch [--epochs N]

All three train LeNet-5 on Fashion-MNIST with :data:`lenet_utils.RECIPE`:

* ``keras-default`` is what a learner writes with plain Keras: compile with the recipe's
  optimiser and loss, then ``model.fit`` with its batch size and validation split;
* ``lenet-utils-train`` is ``lenet_utils.train``, the path the chapters use;
* ``torch`` is the same LeNet-5 in PyTorch (:mod:`benchmarks.torch_peer`), with the same data,
  batch, optimiser and a validation pass per epoch. :mod:`benchmarks.run` starts its process
  with ``KERAS_BACKEND=torch``: Keras, which ``lenet_utils`` imports (for the data and the
  recipe), then runs on PyTorch, and TensorFlow's memory does not count against the peer.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import keras
import numpy as np

import lenet_utils
from lenet_utils import RECIPE

from .run import NAMES, positive_int


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of each epoch, validation included, in :attr:`times`."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.times.append(time.perf_counter() - self._start)


def _rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def _step_ms(model, x: np.ndarray, y: np.ndarray, repeats: int = 60) -> float:
    """Median milliseconds of one training step on one fixed batch: the compute (and call)
    cost of a step with no input pipeline and no per-epoch work. Changes the weights: call it
    after everything else has been measured."""
    for _ in range(5):
        model.train_on_batch(x, y)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def _keras(kind: str, epochs: int, step_repeats: int = 60) -> dict:
    """Train with Keras, plain (``keras-default``) or through ``lenet_utils.train``, then
    time inference and ``step_repeats`` single training steps."""
    rss_import = _rss_mb()
    fashion = lenet_utils.load_fashion_mnist()
    rss_data = _rss_mb()
    timer = EpochTimer()
    if kind == "keras-default":
        keras.utils.set_random_seed(RECIPE.seed)
        model = lenet_utils.build_sequential()
        model.compile(optimizer=RECIPE.make_optimizer(), loss=RECIPE.loss, metrics=["accuracy"])
        model.fit(
            fashion.x_train,
            fashion.y_train,
            batch_size=RECIPE.batch_size,
            epochs=epochs,
            validation_split=RECIPE.validation_split,
            callbacks=[timer],
            verbose=0,
        )
    else:
        history = lenet_utils.train(
            lenet_utils.build_sequential, fashion, epochs=epochs, callbacks=[timer], verbose=0
        )
        model = history.model
    # Warm up on the whole test set: a compiling backend (JAX, XLA) compiles once per batch
    # shape, and the last batch of the test set in 1,024s is smaller.
    model.predict(fashion.x_test, batch_size=1024, verbose=0)
    start = time.perf_counter()
    model.predict(fashion.x_test, batch_size=1024, verbose=0)
    inference = time.perf_counter() - start
    accuracy = lenet_utils.evaluate(model, fashion)["accuracy"]
    batch = slice(0, RECIPE.batch_size)
    return {
        "epoch_seconds": timer.times,
        "inference_seconds": inference,
        "test_accuracy": accuracy,
        "backend": keras.backend.backend(),
        "rss_import_mb": rss_import,
        "rss_data_mb": rss_data,
        "step_ms": _step_ms(model, fashion.x_train[batch], fashion.y_train[batch], step_repeats),
    }


def _torch(epochs: int) -> dict:
    """Train the PyTorch peer (needs PyTorch: the ``bench`` extra)."""
    import torch

    from . import torch_peer

    fashion = lenet_utils.load_fashion_mnist()
    (x_train, y_train), (x_val, _) = fashion.split(RECIPE.validation_split)
    device = torch_peer.default_device()
    if device.type == "cpu":
        torch.set_num_threads(len(os.sched_getaffinity(0)))
    model, times = torch_peer.train_epochs(x_train, y_train, epochs, x_val=x_val, device=device)
    torch_peer.predict_seconds(model, fashion.x_test)  # warm up
    inference = torch_peer.predict_seconds(model, fashion.x_test)
    accuracy = torch_peer.accuracy(model, fashion.x_test, fashion.y_test)
    return {
        "epoch_seconds": times,
        "inference_seconds": inference,
        "test_accuracy": accuracy,
        "device": str(device),
    }


def main(argv: list[str] | None = None) -> int:
    """Make one run and print its figures as a line ``RESULT {json}``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=list(NAMES))
    parser.add_argument("--epochs", type=positive_int, default=RECIPE.epochs)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = _torch(args.epochs) if args.kind == "torch" else _keras(args.kind, args.epochs)
    result["kind"] = args.kind
    result["wall_seconds"] = time.perf_counter() - start
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["median_epoch_seconds"] = float(np.median(result["epoch_seconds"]))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
