"""Train and evaluate with the course's recipe (:data:`lenet_utils.RECIPE`), as one call.

:func:`train` is ``model.fit`` with the reference recipe and three things a chapter should
not have to repeat: seeding (the same call gives the same numbers twice on the same machine),
checkpointing (a run that is killed, say by a Colab disconnect, resumes where it stopped),
and a check of what it is given, with messages that say what to do.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np

from .data import FashionMNIST
from .inspection import require_model
from .recipe import RECIPE

__all__ = [
    "BACKUP_SUBDIR",
    "MAX_EPOCHS_VAR",
    "STEPS_PER_EXECUTION",
    "evaluate",
    "seed_everything",
    "train",
]

STEPS_PER_EXECUTION = 1 if keras.backend.backend() == "torch" else 32
"""Training steps per call into the backend when :func:`train` compiles the model (1 on
PyTorch, which supports no more)."""
MAX_EPOCHS_VAR = "LENET_MAX_EPOCHS"
"""Environment variable that caps every :func:`train` call's epochs: the tests use it to run
whole notebooks quickly. Unset, it changes nothing."""
BACKUP_SUBDIR = "lenet-backup"
"""The folder inside ``checkpoint_dir`` that :class:`keras.callbacks.BackupAndRestore` owns."""


def _max_epochs() -> int:
    """The cap set by ``LENET_MAX_EPOCHS`` (for smoke runs of whole notebooks), else no cap."""
    value = os.environ.get(MAX_EPOCHS_VAR, "")
    if not value:
        return sys.maxsize
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{MAX_EPOCHS_VAR} must be a positive whole number, got {value!r}.")
    return int(value)


def seed_everything(seed: int = RECIPE.seed) -> None:
    """Seed Python, NumPy and the backend, and make TensorFlow's ops deterministic.

    Call it *before* building a model: the initial weights are drawn when it is built.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}.")
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def _require_data(data: object, function: str) -> FashionMNIST:
    if not isinstance(data, FashionMNIST):
        raise TypeError(
            f"{function} needs the data set as lenet_utils.load_fashion_mnist() returns it "
            f"(a FashionMNIST), got {type(data).__name__}. For arrays of your own, call "
            "model.fit(x, y, ...) or model.evaluate(x, y) directly."
        )
    return data


def _check_classes(model: keras.Model, labels: np.ndarray) -> None:
    """Refuse a model whose output is narrower than the labels need."""
    try:
        width = model.compute_output_shape((None, *_input_shape(model)))[-1]
    except Exception:  # a model whose shapes are unknown until called: let fit() find out
        return
    needed = int(labels.max()) + 1
    if width is not None and width < needed:
        raise ValueError(
            f"{model.name} outputs {width} class probabilities, but the labels go up to "
            f"{needed - 1}, so it needs {needed}. End the model with "
            f"keras.layers.Dense({needed}, activation='softmax')."
        )


def _input_shape(model: keras.Model) -> tuple[int, ...]:
    """The shape of one input of ``model`` (without the batch axis), (28, 28, 1) if unknown."""
    inputs = getattr(model, "inputs", None)
    if inputs:
        return tuple(inputs[0].shape[1:])
    return (28, 28, 1)


def _backup_callback(checkpoint_dir: str | Path) -> keras.callbacks.BackupAndRestore:
    directory = Path(checkpoint_dir).expanduser()
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(
            f"checkpoint_dir {str(directory)!r} is a file. Pass a directory: the backup goes "
            f"into its subfolder {BACKUP_SUBDIR!r}."
        )
    # BackupAndRestore deletes its folder when training ends: give it one of its own, so that
    # nothing else the user keeps in checkpoint_dir is ever removed.
    return keras.callbacks.BackupAndRestore(str(directory / BACKUP_SUBDIR), save_freq="epoch")


def train(
    model: keras.Model | Callable[[], keras.Model],
    data: FashionMNIST,
    *,
    epochs: int = RECIPE.epochs,
    batch_size: int = RECIPE.batch_size,
    validation_split: float = RECIPE.validation_split,
    optimizer: str | keras.optimizers.Optimizer | None = None,
    seed: int | None = RECIPE.seed,
    checkpoint_dir: str | Path | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: str | int = 2,
) -> keras.callbacks.History:
    """Train a model with the reference recipe: ``model.fit`` with seeding and checkpointing.

    Args:
        model: a model, or a function that builds one. Pass the function to have the initial
            weights drawn after seeding (reproducible from scratch); with a model, seed first
            with :func:`seed_everything` and then build it.
        data: Fashion-MNIST from :func:`lenet_utils.load_fashion_mnist`.
        epochs, batch_size, validation_split, optimizer: the recipe; the defaults are
            :data:`lenet_utils.RECIPE` (``optimizer=None`` means the recipe's RMSprop for a
            model that is not compiled yet). A model that is not compiled yet is compiled with
            :data:`STEPS_PER_EXECUTION` steps per call; a model you compiled keeps your
            settings. The environment variable ``LENET_MAX_EPOCHS``, when set, caps ``epochs``.
        seed: seeds everything (shuffling too) before training; ``None`` leaves seeds alone.
        checkpoint_dir: if given, a run that is killed resumes from its last finished epoch
            when called again with the same directory (``keras.callbacks.BackupAndRestore``,
            in the subfolder ``lenet-backup``, removed once training completes).
        callbacks: more Keras callbacks.
        verbose: Keras' progress output: 2 (default) prints one line per epoch, which reads
            well in a notebook, a book and a log; 1 draws a live progress bar; 0 is silent.

    Returns:
        Keras' ``History``; ``history.model`` is the trained model.
    """
    data = _require_data(data, "train")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(
            f"validation_split must be at least 0 and below 1, got {validation_split!r} "
            f"(the recipe holds out {RECIPE.validation_split}, taken from the end of the "
            "training images)."
        )
    epochs = min(epochs, _max_epochs())
    if seed is not None:
        seed_everything(seed)
    if not isinstance(model, keras.Model):
        if not callable(model):
            require_model(model, "train", "model (or a function that returns one)")
        model = require_model(model(), "train", "what the function passed as model returns")
    _check_classes(model, data.y_train)
    if not model.compiled:
        model.compile(
            optimizer=optimizer or RECIPE.make_optimizer(),
            loss=RECIPE.loss,
            metrics=["accuracy"],
            steps_per_execution=STEPS_PER_EXECUTION,
        )
    elif optimizer is not None:
        raise ValueError(
            "optimizer= was given, but the model is already compiled with its own optimizer, "
            "which train() would use instead. Pass an uncompiled model (or a function that "
            "builds one), or compile it with this optimizer yourself and leave optimizer out."
        )
    all_callbacks = list(callbacks)
    if checkpoint_dir is not None:
        # First, so that a finished epoch is saved before any user callback can crash or be
        # killed at the end of it.
        all_callbacks.insert(0, _backup_callback(checkpoint_dir))
    return model.fit(
        data.x_train,
        data.y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=validation_split,
        callbacks=all_callbacks,
        verbose=verbose,
    )


def evaluate(model: keras.Model, data: FashionMNIST, verbose: str | int = 0) -> dict[str, float]:
    """Test loss and accuracy of ``model`` on the 10,000 test images, as a dict."""
    model = require_model(model, "evaluate")
    data = _require_data(data, "evaluate")
    if not model.compiled:
        raise ValueError(
            f"{model.name} is not compiled, so it has no loss or metric to evaluate. Train it "
            "first, or compile it: model.compile(loss=..., metrics=['accuracy'])."
        )
    _check_classes(model, data.y_test)
    result = model.evaluate(
        data.x_test, data.y_test, batch_size=RECIPE.batch_size, verbose=verbose, return_dict=True
    )
    return {name: float(keras.ops.convert_to_numpy(value)) for name, value in result.items()}
