"""The reference training recipe of the course, as one call.

The recipe of the original notebook: RMSprop, sparse categorical cross-entropy, accuracy,
batch 256, 20 epochs, the last 20% of the training images held out for validation. Seeds are
set with :func:`keras.utils.set_random_seed` and TensorFlow's ops are made deterministic, so
the same call gives the same numbers twice on the same machine.

When :func:`train` compiles the model itself, it asks Keras to run
:data:`STEPS_PER_EXECUTION` training steps per call into the backend (``steps_per_execution``)
instead of one: the same steps on the same batches, so the same numbers, with fewer round trips
between Python and the backend. That is what dominates an epoch of so small a network on a GPU
(see the Performance appendix); on CPU the arithmetic dominates and it changes little.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np

from .data import FashionMNIST

__all__ = [
    "BATCH_SIZE",
    "EPOCHS",
    "STEPS_PER_EXECUTION",
    "VALIDATION_SPLIT",
    "compile_reference",
    "evaluate",
    "seed_everything",
    "train",
]

BATCH_SIZE = 256
EPOCHS = 20
VALIDATION_SPLIT = 0.2
SEED = 0
STEPS_PER_EXECUTION = 32
"""Training steps per call into the backend when :func:`train` compiles the model: 188 steps
per epoch then take 6 calls instead of 188, with identical results."""
MAX_EPOCHS_VAR = "LENET_MAX_EPOCHS"
"""Environment variable that caps every :func:`train` call's epochs: the tests use it to run
the student notebooks top to bottom quickly. Unset, it changes nothing."""
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


def seed_everything(seed: int = SEED) -> None:
    """Seed Python, NumPy and the backend, and make TensorFlow's ops deterministic.

    Call it *before* building a model: the initial weights are drawn when it is built.
    """
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def compile_reference(
    model: keras.Model,
    optimizer: str | keras.optimizers.Optimizer = "rmsprop",
    steps_per_execution: int = 1,
) -> keras.Model:
    """Compile ``model`` with the reference loss and metric, and RMSprop by default.

    ``steps_per_execution`` is Keras' own argument: how many batches one call into the backend
    trains on (results do not depend on it; the speed may).
    """
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    return model


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
    epochs: int = EPOCHS,
    batch_size: int = BATCH_SIZE,
    validation_split: float = VALIDATION_SPLIT,
    optimizer: str | keras.optimizers.Optimizer | None = None,
    seed: int | None = SEED,
    checkpoint_dir: str | Path | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: str | int = 2,
) -> keras.callbacks.History:
    """Train LeNet-5 (or any model with the same inputs) with the reference recipe.

    Args:
        model: a model, or a function that builds one. Pass the function to have the initial
            weights drawn after seeding (reproducible from scratch); with a model, seed first
            with :func:`seed_everything` and then build it.
        data: Fashion-MNIST from :func:`lenet_utils.data.load_fashion_mnist`.
        epochs, batch_size, validation_split, optimizer: the recipe; defaults are the reference
            (``optimizer=None`` means RMSprop for a model that is not compiled yet). A model
            that is not compiled yet is compiled with :data:`STEPS_PER_EXECUTION` steps per
            call; a model you compiled keeps your settings.
            The environment variable ``LENET_MAX_EPOCHS``, when set, caps ``epochs``.
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
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, got {epochs}, {batch_size}.")
    epochs = min(epochs, _max_epochs())
    if seed is not None:
        seed_everything(seed)
    if not isinstance(model, keras.Model):
        if not callable(model):
            raise TypeError(
                f"model must be a keras.Model or a function returning one, "
                f"got {type(model).__name__}."
            )
        model = model()
    if not model.compiled:
        compile_reference(model, optimizer or "rmsprop", STEPS_PER_EXECUTION)
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
    result = model.evaluate(
        data.x_test, data.y_test, batch_size=BATCH_SIZE, verbose=verbose, return_dict=True
    )
    return {name: float(np.asarray(value)) for name, value in result.items()}
