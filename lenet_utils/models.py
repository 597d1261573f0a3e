"""LeNet-5, described once.

:func:`lenet5_layers` is the single description of the network: a list of fresh Keras layers

    conv 6@5x5 'same' -> 2x2 pool -> conv 16@5x5 'valid' -> 2x2 pool -> flatten
    -> dense 120 -> dense 84 -> dense 10 softmax

and :func:`build_sequential` stacks them on ``keras.Input(shape=(28, 28, 1))``: 61,706
parameters with the defaults. The chapters write the same network out with each of Keras'
three APIs; this is the version the helpers, tests and benchmarks use.
"""

from __future__ import annotations

from typing import Literal

import keras

__all__ = [
    "INPUT_SHAPE",
    "LENET5_PARAMS",
    "NUM_CLASSES",
    "build_sequential",
    "lenet5_layers",
]

INPUT_SHAPE: tuple[int, int, int] = (28, 28, 1)
NUM_CLASSES = 10
LENET5_PARAMS = 61_706
"""Trainable parameters of LeNet-5 on 28x28x1 inputs with ten classes."""

Pooling = Literal["avg", "max"]

_POOLS = {"avg": keras.layers.AveragePooling2D, "max": keras.layers.MaxPooling2D}


def lenet5_layers(
    activation: str = "sigmoid",
    pooling: Pooling = "avg",
    num_classes: int = NUM_CLASSES,
) -> list[keras.layers.Layer]:
    """Fresh layers of LeNet-5, in order: the one description every builder uses.

    Args:
        activation: activation of the convolutions and the two hidden dense layers;
            ``"sigmoid"`` as in the course's reference, ``"relu"`` for the modern variant.
        pooling: ``"avg"`` (LeNet's subsampling) or ``"max"``.
        num_classes: width of the softmax output.
    """
    if pooling not in _POOLS:
        raise ValueError(f"pooling must be 'avg' or 'max', got {pooling!r}.")
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
        raise ValueError(
            f"num_classes must be a whole number of at least 2, got {num_classes!r} "
            "(Fashion-MNIST has 10)."
        )
    keras.activations.get(activation)  # fails early, with Keras' message, on a typo
    pool = _POOLS[pooling]
    return [
        keras.layers.Conv2D(6, 5, padding="same", activation=activation, name="conv1"),
        pool(pool_size=2, strides=2, name="pool1"),
        keras.layers.Conv2D(16, 5, padding="valid", activation=activation, name="conv2"),
        pool(pool_size=2, strides=2, name="pool2"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(120, activation=activation, name="fc1"),
        keras.layers.Dense(84, activation=activation, name="fc2"),
        keras.layers.Dense(num_classes, activation="softmax", name="fc3"),
    ]


def build_sequential(
    activation: str = "sigmoid", pooling: Pooling = "avg", num_classes: int = NUM_CLASSES
) -> keras.Sequential:
    """LeNet-5 as a ``keras.Sequential`` stack on ``keras.Input(shape=(28, 28, 1))``."""
    return keras.Sequential(
        [keras.Input(shape=INPUT_SHAPE), *lenet5_layers(activation, pooling, num_classes)],
        name="lenet5",
    )
