"""lenet_utils.models: LeNet-5 described once; the three APIs built from it compute the same."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
from lenet_apis import APIS, SubclassedLeNet5, build

from lenet_utils import models

LAYER_NAMES = ["conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "fc3"]


def _chain(model: keras.Model) -> list[keras.layers.Layer]:
    if isinstance(model, SubclassedLeNet5):
        return model.blocks
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def test_build_sequential():
    model = models.build_sequential()
    assert isinstance(model, keras.Sequential)
    assert model.built
    assert model.count_params() == models.LENET5_PARAMS == 61_706
    assert tuple(model.output_shape) == (None, 10)
    assert tuple(model.input_shape) == (None, 28, 28, 1)


def test_layer_names_and_kinds():
    chain = _chain(models.build_sequential())
    assert [layer.name for layer in chain] == LAYER_NAMES
    kinds = [type(layer).__name__ for layer in chain]
    assert kinds == [
        "Conv2D",
        "AveragePooling2D",
        "Conv2D",
        "AveragePooling2D",
        "Flatten",
        "Dense",
        "Dense",
        "Dense",
    ]
    assert chain[0].padding == "same"
    assert chain[2].padding == "valid"
    assert chain[-1].activation is keras.activations.softmax
    for i in (0, 2, 5, 6):
        assert chain[i].activation is keras.activations.sigmoid


def test_three_apis_from_one_description_compute_the_same_function(fashion):
    sequential, functional, subclassed = (build(api) for api in APIS)
    weights = sequential.get_weights()
    assert len(weights) == 10  # kernel and bias of 2 convolutions and 3 dense layers
    functional.set_weights(weights)
    subclassed.set_weights(weights)
    images = fashion.x_test[:64]
    expected = sequential.predict(images, verbose=0)
    assert expected.shape == (64, 10)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0, atol=1e-5)
    for model in (functional, subclassed):
        assert model.count_params() == 61_706
        np.testing.assert_allclose(model.predict(images, verbose=0), expected, atol=1e-6)
    # and the weights were really copied: a fresh model computes something else
    other = build("functional").predict(images, verbose=0)
    assert not np.allclose(other, expected, atol=1e-6)


def test_relu_max_variant():
    model = models.build_sequential(activation="relu", pooling="max")
    assert model.count_params() == 61_706
    chain = _chain(model)
    pools = [layer for layer in chain if "pool" in layer.name]
    assert len(pools) == 2
    assert all(isinstance(layer, keras.layers.MaxPooling2D) for layer in pools)
    assert chain[0].activation is keras.activations.relu
    assert chain[-1].activation is keras.activations.softmax


def test_num_classes():
    model = models.build_sequential(num_classes=3)
    assert tuple(model.output_shape) == (None, 3)
    assert model.count_params() == 61_706 - 7 * 85


@pytest.mark.parametrize("num_classes", [1, 0, 2.5, "10", True])
def test_bad_num_classes(num_classes):
    with pytest.raises(ValueError, match="num_classes must be a whole number of at least 2"):
        models.lenet5_layers(num_classes=num_classes)


def test_bad_pooling():
    with pytest.raises(ValueError, match="pooling must be 'avg' or 'max'") as info:
        models.build_sequential(pooling="min")
    assert "'min'" in str(info.value)


def test_bad_activation():
    with pytest.raises(ValueError, match="sigmiod"):
        models.build_sequential(activation="sigmiod")


def test_no_input_shape_argument_in_source():
    """Keras 3 deprecates ``input_shape=`` on layers: the builder uses ``keras.Input``."""
    source = inspect.getsource(models)
    assert "input_shape=" not in source
    assert "keras.Input(shape=INPUT_SHAPE" in source
