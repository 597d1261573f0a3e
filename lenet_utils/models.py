"""LeNet-5, described once and built with each of Keras' three APIs.

:func:`lenet5_layers` is the single description of the network: a list of fresh Keras layers

    conv 6@5x5 'same' -> 2x2 pool -> conv 16@5x5 'valid' -> 2x2 pool -> flatten
    -> dense 120 -> dense 84 -> dense 10 softmax

and :func:`build_sequential`, :func:`build_functional` and :class:`LeNet5` (a
``keras.Model`` subclass) all assemble their model from it. Every builder starts from
``keras.Input(shape=(28, 28, 1))``, so each model is built and has exactly 61,706 parameters
with the defaults.
"""

from __future__ import annotations

from typing import Literal

import keras

__all__ = [
    "INPUT_SHAPE",
    "NUM_CLASSES",
    "LENET5_PARAMS",
    "LeNet5",
    "build",
    "build_functional",
    "build_sequential",
    "build_subclassed",
    "lenet5_layers",
]

INPUT_SHAPE: tuple[int, int, int] = (28, 28, 1)
NUM_CLASSES = 10
LENET5_PARAMS = 61_706
"""Trainable parameters of LeNet-5 on 28x28x1 inputs with ten classes."""

Pooling = Literal["avg", "max"]
API = Literal["sequential", "functional", "subclassed"]

_POOLS = {"avg": keras.layers.AveragePooling2D, "max": keras.layers.MaxPooling2D}


def lenet5_layers(
    activation: str = "sigmoid",
    pooling: Pooling = "avg",
    num_classes: int = NUM_CLASSES,
) -> list[keras.layers.Layer]:
    """Fresh layers of LeNet-5, in order: the one description every builder uses.

    Args:
        activation: activation of the convolutions and the two hidden dense layers;
            ``"sigmoid"`` as in 1998, ``"relu"`` for the modern variant.
        pooling: ``"avg"`` (LeNet's subsampling) or ``"max"``.
        num_classes: width of the softmax output.
    """
    if pooling not in _POOLS:
        raise ValueError(f"pooling must be 'avg' or 'max', got {pooling!r}.")
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
    """LeNet-5 as a ``keras.Sequential`` stack."""
    return keras.Sequential(
        [keras.Input(shape=INPUT_SHAPE), *lenet5_layers(activation, pooling, num_classes)],
        name="lenet5_sequential",
    )


def build_functional(
    activation: str = "sigmoid", pooling: Pooling = "avg", num_classes: int = NUM_CLASSES
) -> keras.Model:
    """LeNet-5 with the Functional API: each layer called on the previous layer's output."""
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = inputs
    for layer in lenet5_layers(activation, pooling, num_classes):
        x = layer(x)
    return keras.Model(inputs=inputs, outputs=x, name="lenet5_functional")


@keras.saving.register_keras_serializable(package="lenet_utils")
class LeNet5(keras.Model):
    """LeNet-5 as a ``keras.Model`` subclass.

    A subclassed model has no shapes until it is called: use :func:`build_subclassed`, which
    calls it on ``keras.Input(shape=(28, 28, 1))``, or call it on a batch yourself.
    """

    def __init__(
        self,
        activation: str = "sigmoid",
        pooling: Pooling = "avg",
        num_classes: int = NUM_CLASSES,
        **kwargs,
    ) -> None:
        kwargs.setdefault("name", "lenet5_subclassed")
        super().__init__(**kwargs)
        self.activation = activation
        self.pooling = pooling
        self.num_classes = num_classes
        self.blocks = lenet5_layers(activation, pooling, num_classes)

    def call(self, inputs):
        x = inputs
        for layer in self.blocks:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.blocks:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "activation": self.activation,
            "pooling": self.pooling,
            "num_classes": self.num_classes,
        }


def build_subclassed(
    activation: str = "sigmoid", pooling: Pooling = "avg", num_classes: int = NUM_CLASSES
) -> LeNet5:
    """A :class:`LeNet5`, built by calling it once on ``keras.Input(shape=(28, 28, 1))``."""
    model = LeNet5(activation, pooling, num_classes)
    model(keras.Input(shape=INPUT_SHAPE))
    return model


_BUILDERS = {
    "sequential": build_sequential,
    "functional": build_functional,
    "subclassed": build_subclassed,
}


def build(
    api: API = "sequential",
    activation: str = "sigmoid",
    pooling: Pooling = "avg",
    num_classes: int = NUM_CLASSES,
) -> keras.Model:
    """LeNet-5 built with the named API: ``"sequential"``, ``"functional"`` or ``"subclassed"``."""
    if api not in _BUILDERS:
        raise ValueError(f"api must be one of {sorted(_BUILDERS)}, got {api!r}.")
    return _BUILDERS[api](activation, pooling, num_classes)
