"""lenet_utils.models: one network, three Keras APIs, the same function."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

from lenet_utils import models

APIS = ["sequential", "functional", "subclassed"]
LAYER_NAMES = ["conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "fc3"]


def _chain(model: keras.Model) -> list[keras.layers.Layer]:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _output_shape(model: keras.Model) -> tuple:
    """Works for all three APIs: a subclassed model has no ``output_shape`` attribute."""
    return tuple(model(keras.Input(shape=models.INPUT_SHAPE)).shape)


@pytest.mark.parametrize("api", APIS)
def test_params_and_output_shape(api):
    model = models.build(api)
    assert model.built
    assert model.count_params() == models.LENET5_PARAMS == 61_706
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 61_706
    assert _output_shape(model) == (None, 10)
    if api != "subclassed":
        assert tuple(model.output_shape) == (None, 10)
        assert tuple(model.input_shape) == (None, 28, 28, 1)


@pytest.mark.parametrize("api", APIS)
def test_layer_names_and_kinds(api):
    model = models.build(api)
    chain = _chain(model)
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


def test_builders_match_build():
    assert isinstance(models.build_sequential(), keras.Sequential)
    assert isinstance(models.build_subclassed(), models.LeNet5)
    functional = models.build_functional()
    assert isinstance(functional, keras.Model)
    assert not isinstance(functional, keras.Sequential | models.LeNet5)


def test_three_apis_compute_the_same_function(fashion):
    sequential, functional, subclassed = (models.build(api) for api in APIS)
    weights = sequential.get_weights()
    assert len(weights) == 10  # kernel and bias of 2 convolutions and 3 dense layers
    functional.set_weights(weights)
    subclassed.set_weights(weights)
    images = fashion.x_test[:64]
    expected = sequential.predict(images, verbose=0)
    assert expected.shape == (64, 10)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0, atol=1e-5)
    for model in (functional, subclassed):
        np.testing.assert_allclose(model.predict(images, verbose=0), expected, atol=1e-6)
    # and the weights were really copied: a fresh model computes something else
    other = models.build("functional").predict(images, verbose=0)
    assert not np.allclose(other, expected, atol=1e-6)


@pytest.mark.parametrize("api", APIS)
def test_relu_max_variant(api):
    model = models.build(api, activation="relu", pooling="max")
    assert model.count_params() == 61_706
    chain = _chain(model)
    pools = [layer for layer in chain if "pool" in layer.name]
    assert len(pools) == 2
    assert all(isinstance(layer, keras.layers.MaxPooling2D) for layer in pools)
    assert not any(isinstance(layer, keras.layers.AveragePooling2D) for layer in chain)
    assert chain[0].activation is keras.activations.relu
    assert chain[-1].activation is keras.activations.softmax


def test_num_classes():
    model = models.build("functional", num_classes=3)
    assert tuple(model.output_shape) == (None, 3)
    assert model.count_params() == 61_706 - 7 * 85


def test_bad_api():
    with pytest.raises(ValueError, match="api must be one of") as info:
        models.build("keras2")
    message = str(info.value)
    for api in APIS:
        assert api in message
    assert "keras2" in message


def test_bad_pooling():
    with pytest.raises(ValueError, match="pooling must be 'avg' or 'max'") as info:
        models.build("sequential", pooling="min")
    assert "'min'" in str(info.value)


@pytest.mark.parametrize("api", APIS)
def test_bad_activation(api):
    with pytest.raises(ValueError, match="sigmiod"):
        models.build(api, activation="sigmiod")


def test_subclassed_config_round_trip():
    model = models.build_subclassed(activation="relu", pooling="max")
    config = model.get_config()
    assert config["activation"] == "relu"
    assert config["pooling"] == "max"
    assert config["num_classes"] == 10
    clone = models.LeNet5.from_config(config)
    clone(keras.Input(shape=models.INPUT_SHAPE))
    assert clone.count_params() == 61_706


def test_no_input_shape_argument_in_source():
    """Keras 3 deprecates ``input_shape=`` on layers: every builder uses ``keras.Input``."""
    source = inspect.getsource(models)
    assert "input_shape=" not in source
    assert "keras.Input(shape=INPUT_SHAPE" in source
