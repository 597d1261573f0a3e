"""LeNet-5 written with each of Keras' three APIs, as the chapters write it, for the tests.

The package exports only ``build_sequential``; the chapters teach the Functional API and
subclassing by writing the network out. The tests check that the helpers (inspection,
checks, monitoring) work on all three, so they build them here from the same
``lenet5_layers`` description.
"""

from __future__ import annotations

import keras

from lenet_utils import models

APIS = ["sequential", "functional", "subclassed"]


class SubclassedLeNet5(keras.Model):
    """LeNet-5 as a ``keras.Model`` subclass, from ``lenet5_layers``."""

    def __init__(self, activation: str = "sigmoid", pooling: str = "avg", **kwargs) -> None:
        super().__init__(**kwargs)
        self.blocks = models.lenet5_layers(activation, pooling)

    def call(self, inputs):
        x = inputs
        for layer in self.blocks:
            x = layer(x)
        return x


def build_functional(activation: str = "sigmoid", pooling: str = "avg") -> keras.Model:
    inputs = keras.Input(shape=models.INPUT_SHAPE, name="image")
    x = inputs
    for layer in models.lenet5_layers(activation, pooling):
        x = layer(x)
    return keras.Model(inputs, x, name="lenet5_functional")


def build(api: str, activation: str = "sigmoid", pooling: str = "avg") -> keras.Model:
    """LeNet-5 built (its weights created) with the named API."""
    if api == "sequential":
        return models.build_sequential(activation, pooling)
    if api == "functional":
        return build_functional(activation, pooling)
    model = SubclassedLeNet5(activation, pooling)
    model(keras.Input(shape=models.INPUT_SHAPE))
    return model
