"""lenet_utils.inspection: shape traces, parameter arithmetic, most confident errors."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
from lenet_apis import APIS, SubclassedLeNet5, build

from lenet_utils import inspection, models

EXPECTED_PARAMS = [156, 0, 2416, 0, 0, 48120, 10164, 850]
EXPECTED_SHAPES = [
    (None, 28, 28, 6),
    (None, 14, 14, 6),
    (None, 10, 10, 16),
    (None, 5, 5, 16),
    (None, 400),
    (None, 120),
    (None, 84),
    (None, 10),
]
NAMES = ["conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "fc3"]


def _evaluate_formula(formula: str) -> int:
    """The value of ``6 x (5 x 5 x 1 + 1)``, or of ``0 (no weights)``."""
    if formula == "0 (no weights)":
        return 0
    expression = formula.replace(" x ", "*")
    assert re.fullmatch(r"[0-9*+() ]+", expression), formula
    return int(eval(expression, {"__builtins__": {}}))  # only digits and * + ( ), checked above


@pytest.mark.parametrize("api", APIS)
def test_layer_table(api):
    rows = inspection.layer_table(build(api))
    assert [row.name for row in rows] == NAMES
    assert [row.params for row in rows] == EXPECTED_PARAMS
    assert [row.output_shape for row in rows] == EXPECTED_SHAPES
    for row in rows:
        assert _evaluate_formula(row.formula) == row.params, row
    assert sum(row.params for row in rows) == 61_706
    assert rows[0].formula == "6 x (5 x 5 x 1 + 1)"
    assert rows[2].formula == "16 x (5 x 5 x 6 + 1)"
    assert rows[5].formula == "120 x (400 + 1)"
    assert rows[0].kind == "Conv2D"
    assert rows[1].kind == "AveragePooling2D"


def test_layer_table_relu_max():
    rows = inspection.layer_table(build("functional", activation="relu", pooling="max"))
    assert [row.params for row in rows] == EXPECTED_PARAMS
    assert rows[1].kind == "MaxPooling2D"


@pytest.mark.parametrize("api", APIS)
def test_shape_trace(api):
    trace = inspection.shape_trace(build(api))
    assert trace[0] == ("input", (None, 28, 28, 1))
    assert [name for name, _ in trace[1:]] == NAMES
    assert [shape for _, shape in trace[1:]] == EXPECTED_SHAPES


def test_shape_trace_of_unbuilt_subclassed_model():
    model = SubclassedLeNet5()
    assert not model.built
    trace = inspection.shape_trace(model)
    assert [shape for _, shape in trace[1:]] == EXPECTED_SHAPES
    assert not model.built  # tracing builds nothing


def test_layer_table_on_unbuilt_model():
    with pytest.raises(ValueError, match="not built") as info:
        inspection.layer_table(SubclassedLeNet5())
    message = str(info.value)
    assert "keras.Input(shape=(28, 28, 1))" in message
    assert "Call it" in message


def test_format_table():
    text = inspection.format_table(inspection.layer_table(models.build_sequential()))
    assert "61,706" in text
    assert "6 x (5 x 5 x 1 + 1)" in text
    assert "48,120" in text
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["Layer", "Type"]
    assert lines[-1].startswith("Total")
    assert lines[-1].endswith("61,706")
    for name in NAMES:
        assert any(line.startswith(name) for line in lines)


def test_most_confident_errors_order():
    labels = np.array([0, 1, 2, 0, 1, 2])
    probabilities = np.array(
        [
            [0.9, 0.05, 0.05],  # 0: right
            [0.7, 0.2, 0.1],  # 1: wrong, 0.7
            [0.1, 0.85, 0.05],  # 2: wrong, 0.85
            [0.2, 0.5, 0.3],  # 3: wrong, 0.5
            [0.1, 0.8, 0.1],  # 4: right
            [0.05, 0.05, 0.9],  # 5: right
        ]
    )
    np.testing.assert_array_equal(
        inspection.most_confident_errors(probabilities, labels), [2, 1, 3]
    )
    np.testing.assert_array_equal(
        inspection.most_confident_errors(probabilities, labels, k=2), [2, 1]
    )
    result = inspection.most_confident_errors(probabilities, labels, k=1)
    assert result.tolist() == [2]


def test_most_confident_errors_ties_broken_by_index():
    labels = np.array([1, 1, 1, 1])
    probabilities = np.array([[0.6, 0.4], [0.9, 0.1], [0.6, 0.4], [0.9, 0.1]])
    assert inspection.most_confident_errors(probabilities, labels).tolist() == [1, 3, 0, 2]


def test_most_confident_errors_none_wrong():
    probabilities = np.eye(3)
    result = inspection.most_confident_errors(probabilities, np.arange(3))
    assert result.size == 0


@pytest.mark.parametrize(
    ("probabilities", "labels"),
    [
        (np.full((4, 3), 1 / 3), np.zeros(5, int)),  # N differs
        (np.full(4, 0.5), np.zeros(4, int)),  # not 2-D
        (np.full((2, 4, 3), 1 / 3), np.zeros(2, int)),  # 3-D
    ],
)
def test_most_confident_errors_rejects_mismatched_shapes(probabilities, labels):
    with pytest.raises(ValueError, match=r"shape \(N, classes\)"):
        inspection.most_confident_errors(probabilities, labels)


@pytest.mark.parametrize("function", [inspection.shape_trace, inspection.layer_table])
def test_inspection_refuses_what_is_not_a_model(function):
    with pytest.raises(
        TypeError, match=f"{function.__name__}: model must be a Keras model; got str"
    ):
        function("lenet5")


def test_format_table_refuses_what_layer_table_did_not_return():
    with pytest.raises(TypeError, match="format_table needs the list that layer_table returns"):
        inspection.format_table(models.build_sequential())


def test_shape_trace_names_the_layer_that_cannot_take_the_input():
    with pytest.raises(ValueError, match="conv2.*cannot take an input"):
        inspection.shape_trace(models.build_sequential(), input_shape=(4, 4, 1))


def test_most_confident_errors_refuses_a_bad_k():
    with pytest.raises(ValueError, match="k must be a positive whole number"):
        inspection.most_confident_errors(np.eye(3), np.arange(3), k=0)


class OutOfOrder(keras.Model):
    """Creates its layers in the order Dense, Flatten, Conv2D and calls them the other way round,
    with a nested model: ``model.layers`` is not the order of the computation."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(10, name="dense")
        self.flatten = keras.layers.Flatten(name="flatten")
        self.conv = keras.Sequential([keras.layers.Conv2D(10, 3, name="conv")], name="block")

    def call(self, inputs):
        return self.dense(self.flatten(self.conv(inputs)))


def test_one_walker_follows_the_call_order_of_every_api():
    model = OutOfOrder()
    assert [layer.name for layer in model.layers] == ["dense", "flatten", "block"]
    trace = inspection.shape_trace(model)
    assert trace[1:] == [
        ("conv", (None, 26, 26, 10)),
        ("flatten", (None, 6760)),
        ("dense", (None, 10)),
    ]
    model(keras.Input(shape=models.INPUT_SHAPE))
    rows = inspection.layer_table(model)
    assert [(r.name, r.params) for r in rows] == [("conv", 100), ("flatten", 0), ("dense", 67610)]
    for api in APIS:
        assert [layer.name for layer in inspection.call_order(build(api))] == NAMES


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        ("lenet5", "got str: 'lenet5'"),
        (SubclassedLeNet5, "you passed the class SubclassedLeNet5: create a model first"),
        (models.build_sequential, "call it to get a model, build_sequential()"),
        (keras.layers.Dense(3, name="d"), "you passed a single layer (Dense 'd')"),
    ],
)
def test_one_model_argument_check_with_one_message(wrong, hint):
    with pytest.raises(TypeError, match="^shape_trace: model must be a Keras model; ") as error:
        inspection.shape_trace(wrong)
    assert hint in str(error.value)
