"""One benchmark run in a fresh process; prints one JSON line. Called by ``run.py``.

    python benchmarks/worker.py keras-default|keras-tuned|torch --epochs 20

``keras-default`` is what a learner writes with plain Keras: compile, then
``model.fit(x, y, batch_size=256, epochs=..., validation_split=0.2)``. ``keras-tuned`` is
``lenet_utils.train``, the path the chapters use. ``torch`` is the same LeNet-5 in PyTorch
(``torch_peer.py``), with the same data, batch, optimiser and a validation pass per epoch.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np


class _EpochTimer:
    """Wall time of each epoch, validation included (a Keras callback, built lazily)."""

    def __new__(cls):
        import keras

        class Timer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.times: list[float] = []

            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.times.append(time.perf_counter() - self.start)

        return Timer()


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


def _keras(kind: str, epochs: int) -> dict:
    import keras

    import lenet_utils
    from lenet_utils import training

    rss_import = _rss_mb()
    fashion = lenet_utils.load_fashion_mnist()
    rss_data = _rss_mb()
    timer = _EpochTimer()
    if kind == "keras-default":
        keras.utils.set_random_seed(0)
        model = lenet_utils.build_sequential()
        model.compile(
            optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
        model.fit(
            fashion.x_train,
            fashion.y_train,
            batch_size=training.BATCH_SIZE,
            epochs=epochs,
            validation_split=training.VALIDATION_SPLIT,
            callbacks=[timer],
            verbose=0,
        )
    else:
        history = training.train(
            lenet_utils.build_sequential, fashion, epochs=epochs, callbacks=[timer], verbose=0
        )
        model = history.model
    # Warm up on the whole test set: a compiling backend (JAX, XLA) compiles once per batch
    # shape, and the last batch of 10,000 in 1,024s is smaller.
    model.predict(fashion.x_test, batch_size=1024, verbose=0)
    start = time.perf_counter()
    model.predict(fashion.x_test, batch_size=1024, verbose=0)
    inference = time.perf_counter() - start
    accuracy = lenet_utils.evaluate(model, fashion)["accuracy"]
    batch = slice(0, training.BATCH_SIZE)
    return {
        "epoch_seconds": timer.times,
        "inference_seconds": inference,
        "test_accuracy": accuracy,
        "backend": keras.backend.backend(),
        "rss_import_mb": rss_import,
        "rss_data_mb": rss_data,
        "step_ms": _step_ms(model, fashion.x_train[batch], fashion.y_train[batch]),
    }


def _torch(epochs: int) -> dict:
    import torch

    import lenet_utils
    from lenet_utils import training

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import torch_peer

    fashion = lenet_utils.load_fashion_mnist()
    (x_train, y_train), (x_val, _) = fashion.split(training.VALIDATION_SPLIT)
    device = torch_peer.default_device()
    if device.type == "cpu":
        torch.set_num_threads(len(__import__("os").sched_getaffinity(0)))
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["keras-default", "keras-tuned", "torch"])
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
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
