"""lenet_utils.checks: right answers pass, wrong ones fail with a message that says why."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from lenet_utils import checks, models
from lenet_utils.checks import (
    CheckResult,
    check_architecture,
    check_output_shape,
    check_param_count,
    check_same_function,
)

L = keras.layers


class OriginalLeNet5(keras.Model):
    """The subclassed LeNet-5 of chapter 6; ``first_padding="valid"`` is the original defect."""

    def __init__(self, num_classes=10, first_padding="same", **kwargs):
        super().__init__(**kwargs)
        self.conv1 = L.Conv2D(6, 5, padding=first_padding, activation="sigmoid")
        self.pool1 = L.AveragePooling2D(pool_size=2, strides=2)
        self.conv2 = L.Conv2D(16, 5, activation="sigmoid")
        self.pool2 = L.AveragePooling2D(pool_size=2, strides=2)
        self.flatten = L.Flatten()
        self.fc1 = L.Dense(120, activation="sigmoid")
        self.fc2 = L.Dense(84, activation="sigmoid")
        self.fc3 = L.Dense(num_classes, activation="softmax")

    def call(self, inputs):
        x = self.pool1(self.conv1(inputs))
        x = self.pool2(self.conv2(x))
        x = self.flatten(x)
        x = self.fc2(self.fc1(x))
        return self.fc3(x)


class ShuffledLeNet5(keras.Model):
    """LeNet-5 whose layers are created out of order, in nested models, with extras."""

    def __init__(self, unused_layer=False, **kwargs):
        super().__init__(**kwargs)
        self.head = keras.Sequential(
            [
                L.Dense(120, activation="sigmoid"),
                L.Dense(84, activation="sigmoid"),
                L.Dense(10, activation="softmax"),
            ]
        )
        self.features = keras.Sequential(
            [
                L.Conv2D(6, 5, padding="same", activation="sigmoid"),
                L.AveragePooling2D(2),
                L.Conv2D(16, 5, activation="sigmoid"),
                L.AveragePooling2D(2),
            ]
        )
        self.dropout = L.Dropout(0.3)
        self.flatten = L.Flatten()
        if unused_layer:
            self.spare = L.Dense(3)

    def call(self, inputs, training=False):
        x = self.flatten(self.features(inputs))
        return self.head(self.dropout(x, training=training))


def sequential(*layers: keras.Layer) -> keras.Sequential:
    return keras.Sequential([keras.Input(shape=(28, 28, 1)), *layers])


def lenet(**changes: keras.Layer | None) -> keras.Sequential:
    """LeNet-5 with some of its layers (by name) replaced, or left out when given None."""
    layers = {layer.name: layer for layer in models.lenet5_layers()}
    layers.update(changes)
    return sequential(*(layer for layer in layers.values() if layer is not None))


def text(result: CheckResult) -> str:
    return str(result)


# --------------------------------------------------------------------------------------------
# CheckResult
# --------------------------------------------------------------------------------------------


def test_check_result_prints_marked_lines():
    result = CheckResult(False, ["✗ conv1: padding", "• built it"], title="not LeNet-5")
    assert not result
    assert str(result) == "✗ not LeNet-5\n  ✗ conv1: padding\n  • built it"
    assert repr(result) == str(result)
    passed = CheckResult(True, ["✓ fine"], title="LeNet-5")
    assert passed and str(passed).startswith("✓ LeNet-5")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.passed = True  # type: ignore[misc]


def test_check_result_markdown():
    result = CheckResult(False, ["✗ fc3 has activation 'linear'", "• from_logits=True"], "x")
    markdown = result._repr_markdown_()
    assert markdown.splitlines()[0] == "**✗ x**"
    assert "- ✗ fc3 has activation 'linear'" in markdown
    assert "- *from\\_logits=True*" in markdown  # a note in italics, markdown escaped


# --------------------------------------------------------------------------------------------
# check_architecture
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["sequential", "functional", "subclassed"])
def test_architecture_of_the_three_builders_passes(api):
    result = check_architecture(models.build(api))
    assert result.passed, text(result)
    assert "✓ 8 layers of the right kinds in the right order" in text(result)
    assert "✓ 61,706 parameters in all" in text(result)


def test_architecture_builds_an_unbuilt_model_and_says_so():
    model = models.LeNet5()
    result = check_architecture(model)
    assert result.passed, text(result)
    assert model.built
    assert "not built yet" in text(result)
    assert "keras.Input(shape=(28, 28, 1))" in text(result)


def test_architecture_of_the_original_defective_subclass():
    result = check_architecture(OriginalLeNet5(first_padding="valid"))
    assert not result
    out = text(result)
    assert "✗ conv1: padding is 'valid', expected 'same'" in out
    assert "the feature maps shrink to 24x24 instead of 28x28" in out
    assert "fc1 gets 256 inputs instead of 400" in out
    assert "(this is the defect of the original subclassed model)" in out
    assert "fc1: 30,840 parameters = 120 x (256 + 1), expected 48,120" in out
    assert "✗ total parameters 44,426, expected 61,706" in out
    assert result.title.endswith("3 problems")


def test_architecture_of_the_fixed_subclass_passes():
    result = check_architecture(OriginalLeNet5())
    assert result.passed, text(result)


def test_architecture_of_the_modern_variant():
    model = models.build_sequential(activation="relu", pooling="max")
    result = check_architecture(model)
    assert not result
    out = text(result)
    assert (
        "pool1 and pool2 are MaxPooling2D, expected AveragePooling2D "
        "(pass pooling='max' if you meant the modern variant)"
    ) in out
    assert "conv1, conv2, fc1 and fc2 use activation 'relu', expected 'sigmoid'" in out
    assert "(pass activation='relu' if you meant the modern variant)" in out
    assert "✓ 61,706 parameters in all" in out
    assert check_architecture(model, activation="relu", pooling="max").passed


def test_architecture_one_pool_of_the_other_kind():
    result = check_architecture(lenet(pool1=L.MaxPooling2D(2, name="pool1")))
    assert "layer 2 (pool1) is MaxPooling2D, expected AveragePooling2D" in text(result)


def test_architecture_missing_flatten():
    result = check_architecture(lenet(flatten=None))
    assert not result
    out = text(result)
    assert "the model has 7 layers, expected 8" in out
    assert "missing flatten (Flatten) after pool2" in out
    assert "(None, 5, 5, 10) instead of (None, 10)" in out


def test_architecture_missing_hidden_dense_layer():
    out = text(check_architecture(lenet(fc2=None)))
    assert "missing fc2 (Dense) after fc1" in out
    assert "fc3: 1,210 parameters" in out and "gets 120 inputs instead of 84" in out


def test_architecture_output_without_softmax():
    result = check_architecture(lenet(fc3=L.Dense(10, name="fc3")))
    assert not result
    out = text(result)
    assert "fc3 has activation 'linear', expected 'softmax'" in out
    assert "✓ 61,706 parameters in all" in out


def test_architecture_wrong_number_of_classes():
    model = models.build_functional(num_classes=5)
    out = text(check_architecture(model))
    assert "fc3: 5 units, expected 10 (one per class; pass num_classes=5" in out
    assert check_architecture(model, num_classes=5).passed


def test_architecture_more_filters():
    out = text(check_architecture(lenet(conv2=L.Conv2D(32, 5, activation="sigmoid"))))
    assert "conv2 (your 'conv2d" in out
    assert "32 filters, expected 16" in out
    assert "there are 32 feature maps instead of 16, and fc1 gets 800 inputs instead of 400" in out


def test_architecture_same_padding_in_conv2():
    conv2 = L.Conv2D(16, 5, padding="same", activation="sigmoid", name="conv2")
    out = text(check_architecture(lenet(conv2=conv2)))
    assert "conv2: padding is 'same', expected 'valid'" in out
    assert "stay 14x14 instead of shrinking to 10x10" in out
    assert "fc1 gets 784 inputs instead of 400" in out


def test_architecture_extra_batch_normalization():
    model = sequential(
        L.Conv2D(6, 5, padding="same", activation="sigmoid", name="conv1"),
        L.BatchNormalization(name="bn1"),
        *models.lenet5_layers()[1:],
    )
    result = check_architecture(model)
    assert "the model has 9 layers, expected 8" in text(result)
    assert "extra layer 'bn1' (BatchNormalization) after conv1" in text(result)


def test_architecture_separate_activation_layers_and_dropout():
    model = sequential(
        L.Conv2D(6, 5, padding="same", name="conv1"),
        L.ReLU(name="relu1"),
        L.MaxPooling2D(2, name="pool1"),
        L.Conv2D(16, 5, name="conv2"),
        L.Activation("relu", name="relu2"),
        L.MaxPooling2D(2, name="pool2"),
        L.Flatten(name="flatten"),
        L.Dropout(0.3, name="dropout"),
        L.Dense(120, activation="relu", name="fc1"),
        L.Dense(84, activation="relu", name="fc2"),
        L.Dense(10, activation="softmax", name="fc3"),
    )
    result = check_architecture(model, activation="relu", pooling="max")
    assert result.passed, text(result)
    assert "conv1's activation, 'relu', comes from the separate layer 'relu1'" in text(result)
    assert "not compared: 'dropout' (Dropout)" in text(result)
    sigmoid = text(check_architecture(model, pooling="max"))
    assert "conv1, conv2, fc1 and fc2 use activation 'relu', expected 'sigmoid'" in sigmoid
    fc2 = L.Dense(84, activation="tanh", name="fc2")
    one = sequential(*model.layers[:2], *models.lenet5_layers()[1:6], fc2, L.Dense(10, "softmax"))
    out = text(check_architecture(one))
    assert (
        "conv1 has activation 'relu' (from the separate layer 'relu1'), expected 'sigmoid'" in out
    )
    assert "fc2 has activation 'tanh', expected 'sigmoid'" in out


@pytest.mark.filterwarnings("ignore:`build\\(\\)` was called on layer")  # Keras, on 'spare'
def test_architecture_follows_call_order_and_nested_models():
    result = check_architecture(ShuffledLeNet5())
    assert result.passed, text(result)
    result = check_architecture(ShuffledLeNet5(unused_layer=True))
    assert result.passed, text(result)
    assert "'spare' (Dense) is created but never used by call()" in text(result)


def test_architecture_global_pooling_instead_of_flatten():
    gap = L.GlobalAveragePooling2D(name="gap")
    out = text(check_architecture(lenet(flatten=gap)))
    assert "flatten (your 'gap') is GlobalAveragePooling2D, expected Flatten" in out
    assert "fc1 gets 16 inputs instead of 400" in out


def test_architecture_of_the_32x32_original():
    model = keras.Sequential([keras.Input(shape=(32, 32, 1)), *models.lenet5_layers()])
    out = text(check_architecture(model))
    assert "the model reads 32x32x1 inputs, expected 28x28x1" in out


def test_architecture_of_a_model_that_cannot_run_does_not_raise():
    result = check_architecture(keras.Sequential([L.Flatten(), L.Conv2D(6, 5)]))
    assert not result
    assert "cannot process a batch of 28x28x1 images" in text(result)


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        ("lenet5", "got str: 'lenet5'"),
        (models.LeNet5, "you passed the class LeNet5 itself: create a model first, LeNet5()"),
        (models.build_sequential, "call it to get a model, build_sequential()"),
        (L.Dense(3), "a single layer (Dense"),
    ],
)
def test_architecture_of_something_else_raises_type_error(wrong, expected):
    with pytest.raises(TypeError, match=r"model must be a Keras model") as error:
        check_architecture(wrong)
    assert expected in str(error.value)


# --------------------------------------------------------------------------------------------
# check_param_count
# --------------------------------------------------------------------------------------------

COUNTS = {
    "conv1": 156,
    "pool1": 0,
    "conv2": 2416,
    "pool2": 0,
    "flatten": 0,
    "fc1": 48120,
    "fc2": 10164,
    "fc3": 850,
}


@pytest.mark.parametrize(("layer", "count"), COUNTS.items())
def test_param_count_right(layer, count):
    result = check_param_count(count, layer)
    assert result.passed, text(result)
    assert f"right: {layer} has {count:,} parameters" in text(result)


def test_param_count_accepts_positions_numpy_and_whole_floats():
    assert check_param_count(48120, 5)
    reference = models.build_functional()
    assert check_param_count(2416, reference.get_layer("conv2"), model=reference)
    assert check_param_count(np.int64(2416), "conv2")
    assert check_param_count(2416.0, "conv2")
    assert not check_param_count(2416.5, "conv2")


@pytest.mark.parametrize(
    ("answer", "layer", "expected"),
    [
        (2400, "conv2", "2,400 = 16 x 5 x 5 x 6 counts the weights only: you forgot the biases"),
        (150, "conv1", "you forgot the biases, one per filter (6)"),
        (416, "conv2", "counts one input channel only: each of the 16 filters spans all 6"),
        (400, "conv2", "counts one input channel and no biases"),
        (241_600, "conv2", "241,600 = 2,416 x 100 multiplies by the output size 10x10"),
        (240_000, "conv2", "multiplies the weights by the output size 10x10"),
        (122_304, "conv1", "multiplies by the output size 28x28"),
        (151, "conv2", "counts a single filter; conv2 has 16"),
        (2401, "conv2", "one bias for the whole layer; there is one per filter"),
        (4816, "conv2", "assumes 12 input channels; conv2's input"),
        (48_000, "fc1", "48,000 = 120 x 400 counts the weights only: you forgot the biases"),
        (48_400, "fc1", "adds a bias per input; there is one per unit: 120 x (400 + 1)"),
        (30_840, "fc1", "30,840 = 120 x (256 + 1) assumes 256 inputs, but fc1 gets 400"),
        (10, "pool1", "pool1 (AveragePooling2D) has no weights"),
        (850, "fc2", "that is the count of fc3"),
        (61_706, "fc1", "that is the whole model's total"),
    ],
)
def test_param_count_wrong(answer, layer, expected):
    result = check_param_count(answer, layer)
    assert not result
    out = text(result)
    assert f"not right: {layer} has {COUNTS[layer]:,} parameters, not {answer:,}" in out
    assert expected in out
    assert f"• {COUNTS[layer]:,} = " in out  # the right arithmetic, from layer_table


def test_param_count_of_a_changed_model():
    model = lenet(conv2=L.Conv2D(32, 5, activation="sigmoid", name="conv2"))
    assert check_param_count(4832, "conv2", model=model)
    assert check_param_count(96_120, "fc1", model=model)
    out = text(check_param_count(48_120, "fc1", model=model))
    assert "assumes 400 inputs, but fc1 gets 800" in out
    assert "that is fc1's count in the unchanged LeNet-5" in out


def test_param_count_by_attribute_of_a_subclassed_model():
    result = check_param_count(30_840, "fc1", model=OriginalLeNet5(first_padding="valid"))
    assert result.passed, text(result)
    assert "not built yet" in text(result)


def test_param_count_without_bias_and_batch_normalization():
    model = sequential(
        L.Conv2D(32, 3, use_bias=False, name="conv"), L.BatchNormalization(name="bn")
    )
    assert "conv has use_bias=False: it has no biases" in text(
        check_param_count(320, 0, model=model)
    )
    out = text(check_param_count(64, "bn", model=model))
    assert "counts gamma and beta only" in out and "4 x 32" in out


def test_param_count_of_an_unknown_layer_fails_without_raising():
    result = check_param_count(1, "conv3")
    assert not result
    assert "there is no layer 'conv3' in this model; its layers are: conv1, pool1" in text(result)
    assert "there is no layer 8" in text(check_param_count(1, 8))


@pytest.mark.parametrize(
    ("answer", "layer", "expected"),
    [
        ("2416", "conv2", "answer must be a number"),
        (True, "conv1", "answer must be a number"),
        (2416, 2.0, "layer must be a layer's name"),
    ],
)
def test_param_count_type_errors(answer, layer, expected):
    with pytest.raises(TypeError, match=expected):
        check_param_count(answer, layer)


def test_param_count_model_type_error():
    with pytest.raises(TypeError, match="model must be a Keras model"):
        check_param_count(2416, "conv2", model="lenet")


# --------------------------------------------------------------------------------------------
# check_output_shape
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "layer", "expected"),
    [
        ((None, 28, 28, 6), "conv1", "None stands for the batch size"),
        ((28, 28, 6), "conv1", "Keras writes it with the batch dimension first: (None, 28, 28, 6)"),
        ([28, 28, 6], "conv1", "for one image"),
        ((1, 28, 28, 6), "conv1", "for a batch of 1; Keras writes the batch dimension as None"),
        ((14, 14, 6), "pool1", "halves each side: 28x28 -> 14x14"),
        ((10, 10, 16), "conv2", "14 - 5 + 1 = 10"),
        ((400,), "flatten", "5 x 5 x 16 = 400 numbers"),
        ((None, 400), 4, "None stands for the batch size"),
        ((None, 10), "fc3", "one number per unit: 10"),
    ],
)
def test_output_shape_right(answer, layer, expected):
    result = check_output_shape(answer, layer)
    assert result.passed, text(result)
    assert expected in text(result)


@pytest.mark.parametrize(
    ("answer", "layer", "expected"),
    [
        ((24, 24, 6), "conv1", "conv1 uses padding='same', which keeps the size: 28x28"),
        ((None, 24, 24, 6), "conv1", "24x24 is what padding='valid' would give"),
        ((14, 14, 16), "conv2", "conv2 uses padding='valid' (Keras' default), which shrinks"),
        ((10, 10, 6), "conv2", "the channels are the number of filters: conv2 has 16 filters"),
        ((28, 28, 6), "pool1", "a 2x2 window with stride 2 halves each side, 28x28 -> 14x14"),
        ((28, 28, 6), "pool1", "(28, 28, 6) is the shape going into pool1"),
        ((14, 14, 16), "pool1", "keeps their number, 6"),
        ((28, 28), "conv1", "the channel axis is missing"),
        ((None, 28, 28), "conv1", "the channel axis is missing"),
        ((6, 14, 14), "pool1", "Keras puts the channels last"),
        ((5, 5, 16), "flatten", "one vector per image: 5 x 5 x 16 = 400 numbers"),
        ((400,), "fc1", "(400,) is the shape going into fc1"),
        ((84,), "fc1", "fc1 has 120 units"),
    ],
)
def test_output_shape_wrong(answer, layer, expected):
    result = check_output_shape(answer, layer)
    assert not result
    assert "not right: " in text(result)
    assert expected in text(result)


def test_output_shape_of_a_changed_model():
    model = OriginalLeNet5(first_padding="valid")
    assert check_output_shape((24, 24, 6), "conv1", model=model)
    assert check_output_shape((None, 256), "flatten", model=model)
    assert not check_output_shape((None, 400), "flatten", model=model)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("28, 28, 6", "answer must be a shape"),
        (400, r"a shape is a tuple even with one axis: \(400,\)"),
        ((28.0, 28, 6), "tuple of whole numbers"),
    ],
)
def test_output_shape_type_errors(answer, expected):
    with pytest.raises(TypeError, match=expected):
        check_output_shape(answer, "conv1")


# --------------------------------------------------------------------------------------------
# check_same_function
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def images(fashion):
    return fashion.x_test[:16]


def _weights(model: keras.Model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_same_function_sequential_and_subclassed(images):
    reference = models.build_sequential()
    mine = OriginalLeNet5()
    mine(images[:1])
    before_a, before_b = _weights(reference), _weights(mine)
    result = check_same_function(reference, mine, images)
    assert result.passed, text(result)
    assert "compute the same function on 16 images" in text(result)
    assert "✓ largest difference between the outputs: 0" in text(result)
    assert _same(_weights(reference), before_a)  # model_a untouched
    assert _same(_weights(mine), before_b)  # model_b's own weights restored


def test_same_function_different_activation_fails_and_restores(images):
    reference, relu = models.build_sequential(), models.build_sequential(activation="relu")
    before = _weights(relu)
    result = check_same_function(reference, relu, images)
    assert not result
    assert "> atol 1e-06" in text(result)
    assert "the predicted classes agree on" in text(result)
    assert _same(_weights(relu), before)


def test_same_function_with_the_defective_subclass():
    rng = np.random.default_rng(0)
    result = check_same_function(
        models.build_sequential(),
        OriginalLeNet5(first_padding="valid"),
        rng.random((4, 28, 28, 1), dtype="float32"),
    )
    assert not result
    out = text(result)
    assert "the weights of model_a do not fit model_b" in out
    assert "'lenet5_sequential/fc1/kernel' has shape (400, 120)" in out
    assert "has shape (256, 120)" in out
    assert "model_a has 61,706 parameters, model_b 44,426" in out
    assert "model_b was not built yet" in out


def test_same_function_different_number_of_weights():
    no_bias = lenet(fc3=L.Dense(10, activation="softmax", use_bias=False, name="fc3"))
    result = check_same_function(models.build_sequential(), no_bias, np.zeros((2, 28, 28, 1)))
    assert not result
    assert "model_a has 10 weight arrays, model_b has 9" in text(result)


def test_same_function_adds_missing_axes(images):
    model = models.build_functional()
    result = check_same_function(model, models.build_subclassed(), images[..., 0])
    assert result.passed, text(result)
    assert "images without a channel axis: given one, shape (16, 28, 28, 1)" in text(result)
    assert check_same_function(model, model, images[0]).passed  # one image, the same model


def test_same_function_type_errors():
    with pytest.raises(TypeError, match="model_b must be a Keras model"):
        check_same_function(models.build_sequential(), "model", np.zeros((1, 28, 28, 1)))
    with pytest.raises(TypeError, match="images must be an array of images"):
        check_same_function(models.build_sequential(), models.build_sequential(), "images")


def test_public_names():
    assert set(checks.__all__) == {
        "CheckResult",
        "check_architecture",
        "check_output_shape",
        "check_param_count",
        "check_same_function",
    }
