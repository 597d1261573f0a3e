"""lenet_utils.checks: a right answer passes, a wrong one fails and says why (without giving
the answer away), an unanswered one says so, and an argument of the wrong kind raises.

``check`` is tested on exercises written here (the chapters' own are tests/test_exercises.py's).
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from lenet_apis import APIS, SubclassedLeNet5, build

import lenet_utils
from lenet_utils import checks, models
from lenet_utils.checks import Check, check, check_architecture, check_same_function

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


# -- check: the exercises' self-checks ------------------------------------------------------------


def stored(exercise: str, name: str, kind: str, value, tolerance: float = 0.0, axes: int = 0):
    """A target or mistake as ``python -m grading.answers`` stores it."""
    if kind == "number":
        q = round(value / tolerance)
        return {"h": checks.digest(exercise, name, str(q)), "r": value / tolerance - q}
    form = checks.canonical("int" if kind == "model" else kind, value, axes or tolerance)
    return {"h": checks.digest(exercise, name, form)}


def answer(exercise, name, kind, value=None, mistakes=(), **extra):
    """One answer's record; ``value`` None for one computed (``target``) or verified."""
    target = extra.pop("target", None)
    record = {"name": name, "kind": kind, **extra}
    tolerance, axes = extra.get("tolerance", 0.0), extra.get("axes", 0)
    if target is not None:
        record["right"] = {"target": target}
    elif value is not None:
        record["right"] = stored(exercise, name, kind, value, tolerance, axes)
    record["mistakes"] = [
        {
            **(m if isinstance(m, dict) else stored(exercise, name, kind, m, tolerance, axes)),
            "message": message,
        }
        for m, message in mistakes
    ]
    return record


EXERCISES = {
    "ex-count": [
        answer(
            "ex-count",
            "conv2_params",
            "int",
            4832,
            [(4800, "the biases are left out")],
            hint="filters x (k x k x c_in + 1)",
        ),
        answer("ex-count", "fc1_params", "int", 96120),
    ],
    "ex-peak": [
        answer("ex-peak", "a_peak", "number", 0.98775, [(0.5, "that is f(a)")], tolerance=0.01)
    ],
    "ex-shape": [
        answer(
            "ex-shape", "pool2_shape", "shape", (4, 4, 16), [((16, 4, 4), "channels last")], axes=3
        )
    ],
    "ex-kinds": [
        answer("ex-kinds", "pairs", "set", [(2, 4), (2, 6), (4, 6)]),
        answer("ex-kinds", "same", "bool", True),
        answer("ex-kinds", "gained", "name", "Shirt", expects="a class name"),
        answer("ex-kinds", "counts", "sequence", [600, 612]),
    ],
    "ex-dict": [
        {
            "name": "shapes",
            "kind": "dict",
            "items": [
                answer(
                    "ex-dict",
                    "shapes['classes']",
                    "shape",
                    (32, 10),
                    [((10,), "one row per image")],
                    axes=2,
                )
                | {"key": "classes"},
                answer("ex-dict", "shapes['upper']", "shape", (32, 1), axes=2) | {"key": "upper"},
            ],
        }
    ],
    "ex-run": [
        answer(
            "ex-run",
            "precision",
            "number",
            None,
            [({"target": {"function": "recall", "label": 1}}, "row and column swapped")],
            tolerance=1e-3,
            target={"function": "precision", "label": 1},
        ),
        answer(
            "ex-run", "means", "array", None, tolerance=1e-5, target={"function": "class_means"}
        ),
        answer(
            "ex-run",
            "by_hand",
            "number",
            None,
            tolerance=1e-4,
            target={"function": "item", "of": "logged", "key": "accuracy"},
        ),
    ],
    "ex-model": [
        answer("ex-model", "fixed", "model", verify={"function": "architecture"}),
        answer("ex-model", "grown", "model", 61750, [(61718, "only S2")]),
    ],
    "ex-function": [answer("ex-function", "conv", "function", verify={"function": "conv2d"})],
    "ex-grid": [
        answer(
            "ex-grid",
            "gradient",
            "array",
            [[4, 5], [0.5, -2]],
            [([[5, 4], [-2, 0.5]], "flipped")],
            tolerance=1e-6,
        )
    ],
}


@pytest.fixture(autouse=True)
def exercises(tmp_path, monkeypatch):
    """The exercises above as lenet_utils' asset, for the tests of ``check``."""
    path = tmp_path / "exercises.json"
    path.write_text(json.dumps({k: {"answers": v} for k, v in EXERCISES.items()}))
    monkeypatch.setattr(checks, "EXERCISES", path)
    checks._exercises.cache_clear()
    yield
    checks._exercises.cache_clear()


def lines(result: Check) -> list[str]:
    return str(result).splitlines()


def test_check_right_wrong_and_unanswered_line_by_line():
    assert lines(check("ex-count", 4832, 96120.0)) == [
        "✓ ex-count: right",
        "  ✓ conv2_params",
        "  ✓ fc1_params",
    ]
    result = check("ex-count", 4800, None)
    assert not result
    assert lines(result) == [
        "✗ ex-count: 0 of 2 answers right",
        "  ✗ conv2_params: the biases are left out",
        "  ✗ fc1_params: not answered yet",
    ]
    assert lines(check("ex-count", np.int64(4831), True))[1:] == [
        "  ✗ conv2_params: not right; filters x (k x k x c_in + 1)",
        "  ✗ fc1_params: store a whole number (got bool)",
    ]
    assert lines(check("ex-count", None, None))[0] == "✗ not answered yet: ex-count"
    assert "store a whole number (got str)" in str(check("ex-count", "4832", 96120))


def test_check_never_shows_the_answer_nor_repeats_the_learners_value():
    for given in [48320, 4831, 4800, 2416.5, "4832"]:
        text = str(check("ex-count", given, 96121)) + check("ex-count", given, 1)._repr_markdown_()
        assert "4832" not in text.replace(",", "") and "96120" not in text.replace(",", "")
        assert str(given) not in text


@pytest.mark.parametrize(
    ("given", "right"),
    [
        (0.98775, True),
        (0.99, True),
        (0.9778, True),
        (0.99774, True),
        (0.97770, False),
        (0.99780, False),
        (0.5, False),
        (np.float32(0.988), True),
        (1, False),
        (np.nan, False),
        (np.inf, False),
    ],
)
def test_check_of_a_number_accepts_exactly_the_tolerance(given, right):
    # the hidden test's rule, abs(answer - 0.98775) <= 0.01, on both sides of the stored bin
    assert bool(check("ex-peak", given)) is right
    assert right is bool(abs(given - 0.98775) <= 0.01)  # False for nan and inf too
    if given == 0.5:
        assert "that is f(a)" in str(check("ex-peak", given))


def test_check_of_a_shape_a_set_a_bool_a_name_and_a_sequence():
    assert check("ex-shape", (4, 4, 16)) and check("ex-shape", [None, 4, 4, 16])
    assert check("ex-shape", np.array([7, 4, 4, 16]))
    assert "channels last" in str(check("ex-shape", (16, 4, 4)))
    assert not check("ex-shape", (4, 16)) and not check("ex-shape", 4)
    assert check("ex-kinds", [(4, 2), (6, 2), (4, 6)], np.True_, "Shirt", np.array([600, 612]))
    text = str(check("ex-kinds", [(2, 4), (2, 6)], 1, "shirt", [612, 600]))
    assert text.count("✗") == 5 and "store True or False (got int)" in text
    assert "gained: not right" in text
    assert "store a class name (got int)" in str(check("ex-kinds", None, None, 3, None))


def test_check_of_a_stored_array_rounds_it_to_the_tolerance():
    grid = np.array([[4, 5], [0.5, -2]])
    assert check("ex-grid", grid + 1e-9) and check("ex-grid", grid.tolist())
    assert not check("ex-grid", grid + 2e-6) and not check("ex-grid", grid[0])
    assert "gradient: flipped" in str(check("ex-grid", [[5, 4], [-2, 0.5]]))
    assert "store an array of numbers (got str)" in str(check("ex-grid", "grid"))


def test_check_of_a_dict_judges_each_key_and_refuses_extra_ones():
    assert check("ex-dict", {"classes": (32, 10), "upper": [32, 1]})
    result = check("ex-dict", {"classes": (10,), "upper": (32, 1), "lower": (32, 1)})
    assert not result
    assert "✗ shapes['classes']: one row per image" in str(result)
    assert "keys the question does not ask for: ['lower']" in str(result)
    assert "store a dict (got list)" in str(check("ex-dict", [(32, 10)]))


def test_check_of_targets_computed_from_the_learners_run():
    counts = np.array([[5, 1], [3, 7]])  # precision of 1: 7/8, recall 7/10
    data = SimpleNamespace(x_train=np.arange(60.0).reshape(20, 3), y_train=np.arange(20) % 10)
    means = np.stack([data.x_train[data.y_train == k].mean(axis=0) for k in range(10)])
    context = {"counts": counts, "data": data, "logged": {"accuracy": 0.25}}
    assert check("ex-run", 7 / 8, means, 0.25, **context)
    result = check("ex-run", 0.7, means + 1e-3, 0.2, **context)
    assert str(result).count("✗") == 4 and "precision: row and column swapped" in str(result)
    with pytest.raises(TypeError, match=r"needs counts=\.\.\."):
        check("ex-run", 0.875, means, 0.25, data=data, logged={})


def test_check_of_a_model_and_a_function():
    grown = keras.Sequential([keras.Input((1,)), L.Dense(61750, use_bias=False)])
    assert check("ex-model", models.build_sequential(), grown)
    wrong = lenet(fc2=L.Dense(84, name="fc2"))
    smaller = keras.Sequential([keras.Input((1,)), L.Dense(61718, use_bias=False)])
    text = str(check("ex-model", wrong, smaller))
    assert "✗ fixed: not LeNet-5" in text and "fc2: activation 'linear'" in text
    assert "✗ grown: only S2" in text and "61750" not in text.replace(",", "")
    assert "store a Keras model (got function)" in str(check("ex-model", lenet, grown))

    def im2col(x, k, b):
        return np.stack(
            [
                (x[i : i + 5, j : j + 5, :].reshape(1, -1) @ k.reshape(-1, 16) + b)[0]
                for i in range(8)
                for j in range(8)
            ]
        ).reshape(8, 8, 16)

    assert check("ex-function", im2col), str(check("ex-function", im2col))
    assert "running it raised ZeroDivisionError" in str(check("ex-function", lambda x, k, b: 1 / 0))
    assert "returns shape (8, 8)" in str(check("ex-function", lambda x, k, b: np.zeros((8, 8))))


def test_check_refuses_an_unknown_exercise_and_the_wrong_number_of_answers():
    with pytest.raises(ValueError, match="no exercise 'ex-nothing'"):
        check("ex-nothing", 1)
    with pytest.raises(TypeError, match=r"takes 2 answer\(s\), conv2_params, fc1_params; got 1"):
        check("ex-count", 4832)


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
    assert set(checks.__all__) == {"Check", "check", "check_architecture", "check_same_function"}
    for name in checks.__all__[1:]:
        assert getattr(lenet_utils, name) is getattr(checks, name)
