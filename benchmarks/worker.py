"""One benchmark run in a fresh process; prints one JSON line. Called by :mod:`benchmarks.run`.

    python -m benchmarks.worker KIND [--epochs N] [--subset N]

All variants train LeNet-5 on Fashion-MNIST with :data:`lenet_utils.RECIPE`:

* ``keras-default`` is what a learner writes with plain Keras: compile with the recipe's
  optimiser and loss, then ``model.fit`` with its batch size and validation split;
* ``lenet-utils-train`` is ``lenet_utils.train``, the path the chapters use;
* ``lenet-utils-train-1step`` is ``lenet_utils.train`` with ``steps_per_execution`` 1
  (Keras' default): beside the line above, it measures that one setting;
* ``torch`` is the same LeNet-5 in PyTorch (:mod:`benchmarks.torch_peer`), with the same data,
  batch, optimiser and a validation pass per epoch. :mod:`benchmarks.run` starts its process
  with ``KERAS_BACKEND=torch``: Keras, which ``lenet_utils`` imports (for the data and the
  recipe), then runs on PyTorch, and TensorFlow's memory does not count against the peer.

``--subset N`` trains on the first N training images: a quick check, not a measurement.
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
from lenet_utils import RECIPE, training

from .run import NAMES, whole_number


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


def _data(subset: int | None) -> lenet_utils.FashionMNIST:
    """Fashion-MNIST, or its first ``subset`` training images (all test images)."""
    fashion = lenet_utils.load_fashion_mnist()
    return fashion if subset is None else fashion.subset(subset)


def _keras(kind: str, epochs: int, step_repeats: int = 60, subset: int | None = None) -> dict:
    """Train with Keras, plain (``keras-default``) or through ``lenet_utils.train`` (with
    one step per call for ``lenet-utils-train-1step``), then time inference and
    ``step_repeats`` single training steps."""
    rss_import = _rss_mb()
    fashion = _data(subset)
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
        if kind == "lenet-utils-train-1step":
            training.STEPS_PER_EXECUTION = 1  # this process only: it exits after this run
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
        "steps_per_execution": model.steps_per_execution,
        "rss_import_mb": rss_import,
        "rss_data_mb": rss_data,
        "step_ms": _step_ms(model, fashion.x_train[batch], fashion.y_train[batch], step_repeats),
    }


def _torch(epochs: int, subset: int | None = None) -> dict:
    """Train the PyTorch peer (needs PyTorch: the ``bench`` extra)."""
    import torch

    from . import torch_peer

    fashion = _data(subset)
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
    parser.add_argument("--epochs", type=whole_number(1), default=RECIPE.epochs)
    parser.add_argument("--subset", type=whole_number(1))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.kind == "torch":
        result = _torch(args.epochs, args.subset)
    else:
        result = _keras(args.kind, args.epochs, subset=args.subset)
    result["kind"] = args.kind
    result["wall_seconds"] = time.perf_counter() - start
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
