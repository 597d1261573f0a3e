"""Train the reference LeNet-5 once and store it: the weights and the record of the run.

    python -m experiments.reference

Trains ``lenet_utils.build_sequential()`` with :data:`lenet_utils.RECIPE` (seed included)
through ``lenet_utils.train``, exactly as chapter 5 trains it, and writes

* ``lenet_utils/assets/lenet5_reference.weights.h5``: the trained weights, which
  ``lenet_utils.load_trained_lenet5()`` loads (the convolution chapter shows its kernels, the
  Functional chapter cuts a feature extractor from it, exercises read its predictions);
* ``lenet_utils/assets/reference.json``: the recipe, the history, the test loss and accuracy,
  the seconds per epoch, the machine and versions, the command and the date.

On the same machine type and versions, chapter 5's own run reproduces these numbers digit for
digit; the chapter shows it.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

import keras

import lenet_utils
from lenet_utils.assets import ASSETS, REFERENCE_WEIGHTS
from tools.common import machine


class _EpochSeconds(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(round(time.perf_counter() - self._start, 3))


def main() -> int:
    data = lenet_utils.load_fashion_mnist()
    timer = _EpochSeconds()
    history = lenet_utils.train(lenet_utils.build_sequential, data, callbacks=[timer], verbose=2)
    test = lenet_utils.evaluate(history.model, data)
    ASSETS.mkdir(parents=True, exist_ok=True)
    history.model.save_weights(ASSETS / REFERENCE_WEIGHTS)
    record = {
        "study": "reference",
        "description": "LeNet-5 (sigmoid, average pooling) trained with lenet_utils.RECIPE",
        "recipe": dataclasses.asdict(lenet_utils.RECIPE),
        "params": history.model.count_params(),
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "seconds_per_epoch": timer.seconds,
        "test": test,
        "machine": machine(),
        "command": "python -m experiments.reference",
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    (ASSETS / "reference.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"test accuracy {test['accuracy']:.4f}; wrote {ASSETS / REFERENCE_WEIGHTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
