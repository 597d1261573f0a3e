"""lenet_utils.checks: a right answer passes, a wrong one fails and says why (without giving
the answer away), an unanswered one says so, and an argument of the wrong kind raises."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from lenet_apis import APIS, SubclassedLeNet5, build

import lenet_utils
from lenet_utils import checks, models
from lenet_utils.checks import (
    Check,
    check_architecture,
    check_output_shape,
    check_param_count,
    check_same_function,
)

L = keras.layers


def lenet(**changes: keras.Layer | None) -> keras.Sequential:
    """LeNet-5 with some of its layers (by name) replaced, or left out when given None."""
    layers = {layer.name: layer for layer in models.lenet5_layers()}
    layers.update(changes)
    kept = [layer for layer in layers.values() if layer is not None]
    return keras.Sequential([keras.Input(shape=models.INPUT_SHAPE), *kept])


class AttributeLeNet5(keras.Model):
    """LeNet-5 with a layer per attribute, created out of order, an optional defect (the
    original notebook's ``padding="valid"``), a Dropout and a nested model."""

    def __init__(self, first_padding: str = "same", **kwargs) -> None:
        super().__init__(**kwargs)
        self.head = keras.Sequential(
            [L.Dense(120, activation="sigmoid"), L.Dense(84, activation="sigmoid")]
        )
        self.out = L.Dense(10, activation="softmax")
        self.conv1 = L.Conv2D(6, 5, padding=first_padding, activation="sigmoid")
        self.pool1 = L.AveragePooling2D(2)
        self.conv2 = L.Conv2D(16, 5, activation="sigmoid")
        self.pool2 = L.AveragePooling2D(2)
        self.flatten = L.Flatten()
        self.dropout = L.Dropout(0.3)

    def call(self, inputs, training=False):
        x = self.pool2(self.conv2(self.pool1(self.conv1(inputs))))
        x = self.dropout(self.flatten(x), training=training)
        return self.out(self.head(x))


def skip_model() -> keras.Model:
    """LeNet-5 whose fc1 also reads pool1's maps: not a chain of layers."""
    inputs = keras.Input(shape=models.INPUT_SHAPE)
    conv1, pool1, conv2, pool2, flatten, fc1, fc2, fc3 = models.lenet5_layers()
    early = pool1(conv1(inputs))
    joined = L.Concatenate(name="joined")([L.Flatten()(early), flatten(pool2(conv2(early)))])
    return keras.Model(inputs, fc3(fc2(fc1(joined))))


# -- The result ---------------------------------------------------------------------------------


def test_a_check_prints_marked_lines_as_text_and_markdown():
    result = Check(False, "not LeNet-5", ["✗ conv1: padding 'valid'", "✓ 8 layers"])
    assert not result
    assert str(result) == repr(result) == "✗ not LeNet-5\n  ✗ conv1: padding 'valid'\n  ✓ 8 layers"
    assert (
        result._repr_markdown_() == "**✗ not LeNet-5**\n\n- ✗ conv1: padding 'valid'\n- ✓ 8 layers"
    )
    assert Check(True, "fine") and str(Check(True, "fine")) == "✓ fine"
    assert Check(True, "lenet5_layers()")._repr_markdown_() == "**✓ lenet5\\_layers()**"


@pytest.mark.parametrize(
    "check",
    [
        lambda: check_param_count(None, "conv2"),
        lambda: check_output_shape(None, "conv1"),
        lambda: check_architecture(None),
        lambda: check_same_function(models.build_sequential(), None, np.zeros((2, 28, 28, 1))),
    ],
)
def test_an_unanswered_none_is_not_answered_yet(check):
    result = check()
    assert not result
    assert str(result).startswith("✗ not answered yet")


def test_no_private_keras_imports():
    source = checks.__loader__.get_source(checks.__name__)
    assert "keras.src" not in source and "_keras" not in source


# -- check_param_count ------------------------------------------------------------------------

COUNTS = {"conv1": 156, "pool1": 0, "conv2": 2416, "flatten": 0, "fc1": 48120, "fc3": 850}


@pytest.mark.parametrize(("layer", "count"), COUNTS.items())
def test_param_count_right(layer, count):
    result = check_param_count(count, layer)
    assert result, str(result)
    assert f"right: {layer} has {count:,} parameters" in str(result)


def test_param_count_shows_the_arithmetic_when_right():
    assert "✓ 2,416 = 16 x (5 x 5 x 6 + 1)" in str(check_param_count(2416, "conv2"))
    assert "✓ 48,120 = 120 x (400 + 1)" in str(check_param_count(48120, "fc1"))


def test_param_count_accepts_positions_layers_numpy_and_whole_floats():
    model = models.build_sequential()
    assert check_param_count(48120, 5)
    assert check_param_count(2416, model.get_layer("conv2"), model=model)
    assert check_param_count(np.int64(2416), "conv2")
    assert check_param_count(2416.0, "conv2")
    assert "whole number" in str(check_param_count(2416.5, "conv2"))


@pytest.mark.parametrize(
    ("answer", "layer", "hint"),
    [
        (2400, "conv2", "counts the weights only: each filter also has a bias"),
        (416, "conv2", "counts one input channel: each filter spans all 6 channels"),
        (241_600, "conv2", "once per output position: a convolution uses the same filters"),
        (151, "conv2", "counts one filter; conv2 has 16"),
        (48_000, "fc1", "counts the weights only: each unit also has a bias"),
        (48_400, "fc1", "adds a bias per input; there is one per unit"),
        (10, "pool1", "pool1 (AveragePooling2D) has no weights"),
        (850, "fc2", "this is the count of fc3"),
        (61_706, "fc1", "this is the whole model's total"),
        (1000, "conv2", "for each filter, kernel height x kernel width x input channels"),
    ],
)
def test_param_count_wrong_names_the_slip_not_the_answer(answer, layer, hint):
    result = check_param_count(answer, layer)
    assert not result
    assert f"not right: {layer} does not have {answer:,} parameters" in str(result)
    assert hint in str(result)
    if layer != "pool1":  # a layer without weights: its count is the explanation
        assert f"{COUNTS.get(layer, 10164):,}" not in str(result)  # the answer stays hidden


def test_param_count_of_a_changed_model_and_of_every_api():
    wider = lenet(conv2=L.Conv2D(32, 5, activation="sigmoid", name="conv2"))
    assert check_param_count(4832, "conv2", model=wider)
    assert check_param_count(96_120, "fc1", model=wider)
    assert "fc1's count in LeNet-5; in this model its input differs" in str(
        check_param_count(48_120, "fc1", model=wider)
    )
    for api in APIS:
        assert check_param_count(2416, "conv2", model=build(api)), api


def test_param_count_by_attribute_of_a_subclass_built_on_first_use():
    model = AttributeLeNet5(first_padding="valid")  # not built: the check builds it
    assert check_param_count(156, "conv1", model=model)
    assert check_param_count(850, "out", model=model)


def test_param_count_of_a_model_that_is_not_a_chain():
    assert check_param_count(189_240, "fc1", model=skip_model())


def test_param_count_of_an_unknown_layer_fails_without_raising():
    result = check_param_count(1, "conv3")
    assert not result
    assert "no layer 'conv3' in this model; its layers are: conv1, pool1, conv2" in str(result)
    assert "no layer 8: the layers are numbered 0 to 7" in str(check_param_count(1, 8))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("2416", "conv2"), "answer must be a number"),
        ((True, "conv1"), "answer must be a number"),
        ((2416, 2.0), "layer must be a layer's name"),
        ((2416, "conv2", "lenet"), "model must be a Keras model; got str"),
    ],
)
def test_param_count_type_errors(arguments, message):
    with pytest.raises(TypeError, match=message):
        check_param_count(*arguments)


# -- check_output_shape -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "layer"),
    [
        ((28, 28, 6), "conv1"),
        ((None, 28, 28, 6), "conv1"),
        ([32, 14, 14, 6], "pool1"),
        ((400,), "flatten"),
        ((None, 10), "fc3"),
    ],
)
def test_output_shape_right_with_or_without_the_batch_axis(answer, layer):
    assert check_output_shape(answer, layer), str(check_output_shape(answer, layer))


@pytest.mark.parametrize(
    ("answer", "layer", "hint"),
    [
        ((24, 24, 6), "conv1", "padding='same' keeps the height and width"),
        ((28, 28, 1), "conv1", "this is the shape going in; conv1 changes it"),
        ((6, 28, 28), "conv1", "Keras puts the channels last"),
        ((14, 14, 16), "conv2", "without padding ('valid'), a k x k kernel fits n - k + 1 times"),
        ((10, 10, 6), "conv2", "one channel per filter"),
        ((7, 7, 16), "pool2", "halves the height and the width"),
        ((5, 5, 16), "flatten", "this is the shape going in"),
        ((84,), "fc1", "one number per unit"),
        ((400,), "conv1", "conv1's output has 3 axes for one image, not 1"),
    ],
)
def test_output_shape_wrong_names_the_rule(answer, layer, hint):
    result = check_output_shape(answer, layer)
    assert not result
    assert f"not right: {layer} does not output {answer}" in str(result)
    assert hint in str(result)


def test_output_shape_of_changed_and_non_chain_models():
    unpadded = lenet(conv1=L.Conv2D(6, 5, activation="sigmoid", name="conv1"))
    assert check_output_shape((4, 4, 16), "pool2", model=unpadded)
    assert check_output_shape((1576,), "joined", model=skip_model())


def test_output_shape_type_errors():
    with pytest.raises(TypeError, match=r"one axis is written \(400,\)"):
        check_output_shape(400, "flatten")
    with pytest.raises(TypeError, match="answer must be a tuple of whole numbers"):
        check_output_shape("28x28x6", "conv1")


# -- check_architecture -------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_architecture_of_every_api_passes(api):
    result = check_architecture(build(api))
    assert result, str(result)
    assert "✓ 61,706 parameters in all" in str(result)


def test_architecture_of_an_unbuilt_subclass_with_nested_model_and_dropout():
    assert check_architecture(AttributeLeNet5()), str(check_architecture(AttributeLeNet5()))


def test_architecture_of_the_original_defect():
    result = check_architecture(AttributeLeNet5(first_padding="valid"))
    assert not result
    text = str(result)
    assert (
        "✗ conv1: padding 'valid', expected 'same': it outputs 24x24x6 instead of 28x28x6" in text
    )
    assert "✗ 44,426 parameters in all, expected 61,706" in text
    assert "fc1" not in text.split("\n", 2)[2]  # fc1's count follows from conv1: not repeated


def test_architecture_of_the_modern_variant_and_the_hint_to_check_it():
    modern = models.build_sequential("relu", "max")
    assert check_architecture(modern, activation="relu", pooling="max")
    result = check_architecture(modern)
    assert "conv1: activation 'relu', expected 'sigmoid'" in str(result)
    assert "for your variant: check_architecture(model, activation='relu', pooling='max')" in (
        result.title
    )


@pytest.mark.parametrize(
    ("model", "finding"),
    [
        (lenet(flatten=None), "the first difference is layer 5, dense (fc1), expected flatten"),
        (lenet(fc2=None), "the first difference is layer 8, nothing, expected dense"),
        (
            lenet(conv2=L.Conv2D(32, 5, activation="sigmoid", name="conv2")),
            "filters 32, expected 16",
        ),
        (lenet(fc3=L.Dense(10, name="fc3")), "fc3: activation 'linear', expected 'softmax'"),
        (lenet(fc3=L.Dense(5, activation="softmax", name="fc3")), "units 5, expected 10"),
    ],
)
def test_architecture_names_what_differs(model, finding):
    result = check_architecture(model)
    assert not result
    assert finding in str(result)


def test_architecture_folds_a_separate_activation_into_its_layer():
    model = lenet(fc3=L.Dense(10, name="fc3"))
    model.add(L.Softmax())
    assert check_architecture(model), str(check_architecture(model))


def test_architecture_of_a_model_that_is_not_a_chain_or_cannot_run():
    assert "do not form one chain" in str(check_architecture(skip_model()))
    broken = keras.Sequential([L.Flatten(), L.Conv2D(2, 3)])
    assert "cannot process a 28x28x1 image" in str(check_architecture(broken))


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        ("lenet5", "got str: 'lenet5'"),
        (SubclassedLeNet5, "you passed the class SubclassedLeNet5: create a model first"),
        (models.build_sequential, "call it to get a model, build_sequential()"),
        (L.Dense(3), "a single layer (Dense"),
    ],
)
def test_architecture_of_something_else_raises_type_error(wrong, hint):
    with pytest.raises(TypeError, match="model must be a Keras model") as error:
        check_architecture(wrong)
    assert hint in str(error.value)


def test_architecture_of_an_unknown_variant_raises_value_error():
    with pytest.raises(ValueError, match="pooling"):
        check_architecture(models.build_sequential(), pooling="median")


# -- check_same_function ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(0).random((16, 28, 28, 1), dtype=np.float32)


def test_same_function_of_two_apis_and_weights_restored(images):
    subclassed = build("subclassed")
    own = [w.copy() for w in subclassed.get_weights()]
    result = check_same_function(models.build_sequential(), subclassed, images)
    assert result, str(result)
    assert "the two models compute the same function on 16 images" in str(result)
    assert all(np.array_equal(a, b) for a, b in zip(own, subclassed.get_weights(), strict=True))


def test_same_function_of_different_activations_fails(images):
    result = check_same_function(models.build_sequential(), build("functional", "relu"), images)
    assert not result
    assert "compute different functions with the same weights" in str(result)


def test_same_function_of_different_architectures_fails(images):
    result = check_same_function(models.build_sequential(), AttributeLeNet5("valid"), images)
    assert "the weights of model_a do not fit model_b" in str(result)
    assert "the first arrays whose shapes differ: (400, 120) and (256, 120)" in str(result)


def test_same_function_follows_the_order_of_the_calls(images):
    created_out_of_order = AttributeLeNet5()  # head and out are created before conv1
    assert check_same_function(models.build_sequential(), created_out_of_order, images)


def test_same_function_adds_the_channel_axis(images):
    assert check_same_function(models.build_sequential(), build("functional"), images[..., 0])


def test_same_function_type_errors(images):
    with pytest.raises(TypeError, match="model_b must be a Keras model"):
        check_same_function(models.build_sequential(), "lenet", images)
    with pytest.raises(TypeError, match="images must be an array of images"):
        check_same_function(models.build_sequential(), build("functional"), "pixels")


def test_public_names():
    assert set(checks.__all__) == {
        "Check",
        "check_architecture",
        "check_output_shape",
        "check_param_count",
        "check_same_function",
    }
    for name in checks.__all__[1:]:
        assert getattr(lenet_utils, name) is getattr(checks, name)
