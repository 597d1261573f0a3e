"""Self-checks for the exercises: call one on your answer and read what is right or wrong.

- :func:`check`: the exercises' self-check, ``check("ex-architecture-conv2", conv2_params, ...)``;
- :func:`check_architecture`: is this model LeNet-5, layer by layer?
- :func:`check_same_function`: do two models compute the same function with the same weights?

Each returns a :class:`Check`: one line per finding, marked ``✓`` (right) or ``✗`` (wrong),
printed as text or, in a notebook, as markdown; it is truthy only when the answer is right, so
``assert check(...)`` grades it. A wrong answer never raises and the answer is never shown;
``None`` gives "not answered yet". Only an argument of the wrong kind raises a TypeError that
says what to pass. Models of the three APIs are followed in the order they call their layers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import numbers
from functools import lru_cache
from pathlib import Path

import keras
import numpy as np

from .inspection import call_order, require_model, walk
from .models import INPUT_SHAPE, build_sequential

__all__ = [
    "Check",
    "check",
    "check_architecture",
    "check_same_function",
]

OK, BAD = "✓", "✗"

Shape = tuple[int | None, ...]


class Check:
    """What a self-check found: truthy only when the answer is right.

    ``title`` sums it up; ``lines`` are the findings, each starting with ``✓`` or ``✗``.
    """

    def __init__(self, passed: bool, title: str, lines: list[str] | None = None) -> None:
        self.passed = passed
        self.title = title
        self.lines = list(lines or [])

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = OK if self.passed else BAD
        return "\n".join([f"{mark} {self.title}", *(f"  {line}" for line in self.lines)])

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        mark = OK if self.passed else BAD
        body = [f"- {_escape(line)}" for line in self.lines]
        return "\n".join([f"**{mark} {_escape(self.title)}**", *([""] + body if body else [])])


def _escape(text: str) -> str:
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def _unanswered(what: str) -> Check:
    return Check(False, f"not answered yet: {what}")


def _short(obj: object, limit: int = 60) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


# -- A model as a chain of layers ---------------------------------------------------------------


class _Chain:
    """A model's layers in the order it calls them, each with its input and output shape.

    ``error`` says why the model cannot be followed at all; ``chained`` is False for a model
    whose layers do not form one chain (a skip connection, two heads), whose shapes then come
    from its own graph where Keras knows them.
    """

    def __init__(self, model: keras.Model) -> None:
        self.error: str | None = None
        self.chained = True
        self.rows: list[tuple[keras.Layer, Shape | None, Shape | None]] = []
        layers: list[keras.Layer] = []
        try:  # what goes wrong is reported by the checks, never raised
            if not model.built:
                model(keras.Input(shape=INPUT_SHAPE))
            layers = call_order(model)
            self.rows = list(walk(model))
        except Exception as error:
            self.error = None if layers else _first_line(error)
            self.chained = False
            self.rows = [(x, _shape(x, "input"), _shape(x, "output")) for x in layers]
        # On the PyTorch backend a Keras layer is a torch.nn.Module, which keeps the layers
        # assigned to it in ``_modules`` rather than in its ``__dict__``.
        members = {**vars(model), **getattr(model, "_modules", {})}
        attributes = {id(v): k for k, v in members.items() if isinstance(v, keras.Layer)}
        self.names = {id(layer): attributes.get(id(layer), layer.name) for layer, *_ in self.rows}

    def name(self, layer: keras.Layer) -> str:
        return self.names.get(id(layer), layer.name)


def _shape(layer: keras.Layer, which: str) -> Shape | None:
    """The shape of a layer's input or output in the graph it was first called in, if any."""
    try:
        return tuple(getattr(layer, which).shape)
    except (AttributeError, ValueError):  # never called on a symbolic tensor, or several inputs
        return None


@lru_cache(maxsize=8)
def _reference(activation: str, pooling: str, num_classes: int) -> _Chain:
    return _Chain(build_sequential(activation, pooling, num_classes))


def _size(values) -> str:
    return "x".join(str(v) for v in values)


# -- check_architecture -------------------------------------------------------------------------

_IGNORED = (
    keras.layers.Dropout,
    keras.layers.GaussianNoise,
    keras.layers.GaussianDropout,
    keras.layers.ActivityRegularization,
)
"""Layers without weights that change nothing at inference: left out of the comparison."""

_POOLS = {"avg": "AveragePooling2D", "max": "MaxPooling2D"}
_KINDS = {
    keras.layers.Conv2D: "convolution",
    keras.layers.AveragePooling2D: "pooling",
    keras.layers.MaxPooling2D: "pooling",
    keras.layers.Flatten: "flatten",
    keras.layers.Dense: "dense",
}


def _kind(layer: keras.Layer) -> str:
    return next((kind for cls, kind in _KINDS.items() if isinstance(layer, cls)), "other")


def _activation(layer: keras.Layer) -> str | None:
    function = getattr(layer, "activation", None)
    return getattr(function, "__name__", None) if function is not None else None


def _settings(layer: keras.Layer, activation: str | None) -> dict[str, object]:
    """What check_architecture compares, for one layer."""
    kind = _kind(layer)
    found: dict[str, object] = {"layer": type(layer).__name__}
    if kind == "convolution":
        found.update(filters=layer.filters, kernel_size=tuple(layer.kernel_size))
    if kind in ("convolution", "pooling"):
        found.update(strides=tuple(layer.strides), padding=layer.padding)
    if kind == "pooling":
        found["pool_size"] = tuple(layer.pool_size)
    if kind == "dense":
        found["units"] = layer.units
    if kind in ("convolution", "dense"):
        found.update(activation=activation, use_bias=layer.use_bias)
    return found


def _compared(chain: _Chain) -> list[tuple[str, keras.Layer, dict[str, object], Shape]]:
    """(name, layer, settings, output shape) of the layers that define the architecture; an
    activation layer after a layer without activation becomes that layer's activation."""
    items: list[tuple[str, keras.Layer, dict[str, object], Shape]] = []
    for layer, _, out in chain.rows:
        if isinstance(layer, _IGNORED):
            continue
        if isinstance(layer, (keras.layers.Activation, keras.layers.ReLU, keras.layers.Softmax)):
            applied = "relu" if isinstance(layer, keras.layers.ReLU) else _activation(layer)
            applied = "softmax" if isinstance(layer, keras.layers.Softmax) else applied
            if items and items[-1][2].get("activation") == "linear":
                items[-1][2]["activation"] = applied
                items[-1] = (*items[-1][:3], out)
                continue
        items.append((chain.name(layer), layer, _settings(layer, _activation(layer)), out))
    return items


def check_architecture(
    model: keras.Model | None,
    activation: str = "sigmoid",
    pooling: str = "avg",
    num_classes: int = 10,
) -> Check:
    """Check that ``model`` is LeNet-5 as ``lenet5_layers(activation, pooling, num_classes)``
    describes it.

    The model is compared layer by layer with that reference: the kinds of layers and their
    order; filters, units, kernel and pool sizes, strides, padding, biases and activations;
    each layer's output shape and parameter count, and the total (61,706 for the defaults).
    Sequential, Functional and subclassed models are accepted. Dropout and other layers that
    change nothing at inference are left out; a separate activation layer right after a
    convolution or dense layer without activation counts as that layer's activation.

    Args:
        model: the model to check (``None`` while unanswered).
        activation: the activation of the convolutions and hidden dense layers: ``"sigmoid"``
            (the 1998 network) or ``"relu"`` (the modern one).
        pooling: ``"avg"`` or ``"max"``.
        num_classes: the width of the softmax output.

    Returns:
        A :class:`Check`, truthy when the model is that LeNet-5.

    Raises:
        TypeError: if ``model`` is not a Keras model.
        ValueError: if ``activation`` or ``pooling`` names none that Keras knows.
    """
    if model is None:
        return _unanswered("build the model and pass it")
    require_model(model, "check_architecture")
    reference = _reference(activation, pooling, num_classes)
    arguments = [f"activation={activation!r}"] * (activation != "sigmoid")
    arguments += [f"pooling={pooling!r}"] * (pooling != "avg")
    arguments += [f"num_classes={num_classes}"] * (num_classes != 10)
    spec = f"LeNet-5 as lenet5_layers({', '.join(arguments)}) builds it"
    chain = _Chain(model)
    if chain.error or not chain.chained:
        why = chain.error or "its layers do not form one chain, as LeNet-5's do"
        return Check(
            False, f"not {spec}", [f"{BAD} the model cannot process a 28x28x1 image: {why}"]
        )
    mine = _compared(chain)
    lines = _compare(_compared(reference), mine)
    total, expected = (sum(r[0].count_params() for r in c.rows) for c in (chain, reference))
    if total == expected:
        lines.append(f"{OK} {total:,} parameters in all")
    else:
        lines.append(f"{BAD} {total:,} parameters in all, expected {expected:,}")
    problems = sum(line.startswith(BAD) for line in lines)
    if not problems:
        return Check(True, spec, lines)
    title = f"not {spec}: {problems} problem{'s' * (problems > 1)}"
    activations = {found.get("activation") for _, _, found, _ in mine[:-1]} - {None}
    pools = {found["layer"] for _, layer, found, _ in mine if _kind(layer) == "pooling"}
    variant = [
        f"activation={a!r}" for a in activations if len(activations) == 1 and a != activation
    ]
    variant += [f"pooling={p!r}" for p in _POOLS if p != pooling and pools == {_POOLS[p]}]
    if variant:
        title += f" (for your variant: check_architecture(model, {', '.join(variant)}))"
    return Check(False, title, lines)


def _compare(reference: list, mine: list) -> list[str]:
    """The findings of check_architecture, layer by layer."""
    lines: list[str] = []
    ref_kinds = [_kind(layer) for _, layer, _, _ in reference]
    my_kinds = [_kind(layer) for _, layer, _, _ in mine]
    if my_kinds == ref_kinds:
        names = ", ".join(name for name, *_ in reference)
        lines.append(f"{OK} {len(ref_kinds)} layers of the right kinds in the right order: {names}")
    else:
        same = next(
            (i for i, (a, b) in enumerate(zip(ref_kinds, my_kinds, strict=False)) if a != b),
            min(len(ref_kinds), len(my_kinds)),
        )
        expected = ref_kinds[same] if same < len(ref_kinds) else "nothing"
        got = f"{my_kinds[same]} ({mine[same][0]})" if same < len(my_kinds) else "nothing"
        lines.append(
            f"{BAD} your layers are {', '.join(my_kinds)}; LeNet-5's are "
            f"{', '.join(ref_kinds)}: the first difference is layer {same + 1}, {got}, "
            f"expected {expected}"
        )
        reference, mine = reference[:same], mine[:same]
    upstream = False  # a difference before this layer explains its shape and count
    for (ref_name, ref_layer, ref, ref_out), (name, layer, got, out) in zip(
        reference, mine, strict=True
    ):
        label = ref_name if name == ref_name else f"{ref_name} (your {name!r})"
        differences = [
            f"{key} {got.get(key)!r}, expected {value!r}"
            for key, value in ref.items()
            if got.get(key) != value
        ]
        if differences:
            consequence = (
                f": it outputs {_size(out[1:])} instead of {_size(ref_out[1:])}"
                if out != ref_out
                else ""
            )
            lines.append(f"{BAD} {label}: {'; '.join(differences)}{consequence}")
        elif layer.count_params() != ref_layer.count_params() and not upstream:
            lines.append(
                f"{BAD} {label}: {layer.count_params():,} parameters, expected "
                f"{ref_layer.count_params():,}"
            )
        upstream = upstream or bool(differences) or out != ref_out
    return lines


# -- check_same_function ------------------------------------------------------------------------


def _predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [
            keras.ops.convert_to_numpy(model(x[start : start + 512], training=False))
            for start in range(0, len(x), 512)
        ]
    )


def check_same_function(
    model_a: keras.Model | None,
    model_b: keras.Model | None,
    images: np.ndarray,
    *,
    atol: float = 1e-6,
) -> Check:
    """Check that two models compute the same function once they hold the same weights.

    The weights of ``model_a`` are copied into ``model_b``, layer by layer in the order the
    models call their layers (when they have the same shapes), both predict ``images`` in
    inference mode, and their outputs are compared. ``model_a`` is
    never changed and ``model_b`` gets its own weights back afterwards.

    Args:
        model_a: the model whose weights are used, e.g. a Sequential LeNet-5.
        model_b: the model compared with it, e.g. your subclassed LeNet-5 (``None`` while
            unanswered).
        images: a batch of images, shape (N, 28, 28, 1) (or (N, 28, 28)).
        atol: the largest absolute difference between outputs that counts as equal.

    Returns:
        A :class:`Check`, truthy when the outputs agree within ``atol``.

    Raises:
        TypeError: if a model is not a Keras model or ``images`` is not an array of numbers.
    """
    if model_a is None or model_b is None:
        return _unanswered("build both models and pass them")
    for argument, model in (("model_a", model_a), ("model_b", model_b)):
        require_model(model, "check_same_function", argument)
    try:
        x = np.asarray(images, dtype="float32")
    except (TypeError, ValueError):
        raise TypeError(
            "check_same_function: images must be an array of images such as "
            f"fashion.x_test[:100]; got {type(images).__name__}: {_short(images)}."
        ) from None
    x = x[..., None] if x.ndim == 3 else x
    if x.ndim != 4 or not len(x):
        return Check(False, "no images to compare on", [f"{BAD} images have shape {x.shape}"])
    for argument, model in (("model_a", model_a), ("model_b", model_b)):
        try:
            model(x[:1], training=False)  # builds a model that is not built yet
        except Exception as error:  # reported, not raised
            return Check(False, f"{argument} cannot process the images: {_first_line(error)}")
    # the weights in the order the models use them (a subclass lists its layers in the order
    # its __init__ created them)
    layers_a, layers_b = ([x for x in call_order(m) if x.weights] for m in (model_a, model_b))
    shapes_a, shapes_b = (
        [tuple(w.shape) for x in ls for w in x.weights] for ls in (layers_a, layers_b)
    )
    if shapes_a != shapes_b:
        first = next(
            (f"{a} and {b}" for a, b in zip(shapes_a, shapes_b, strict=False) if a != b),
            "none, but one model has more",
        )
        return Check(
            False,
            "the weights of model_a do not fit model_b: different architectures",
            [
                f"{BAD} model_a has {model_a.count_params():,} parameters in "
                f"{len(shapes_a)} arrays, model_b {model_b.count_params():,} in {len(shapes_b)}",
                f"{BAD} the first arrays whose shapes differ: {first}",
            ],
        )
    own = [layer.get_weights() for layer in layers_b]
    try:
        for a, b in zip(layers_a, layers_b, strict=True):
            b.set_weights(a.get_weights())
        out_a, out_b = (_predict(model, x) for model in (model_a, model_b))
    finally:
        for layer, weights in zip(layers_b, own, strict=True):
            layer.set_weights(weights)
    if out_a.shape != out_b.shape:
        return Check(False, f"the outputs have different shapes: {out_a.shape} and {out_b.shape}")
    difference = float(np.max(np.abs(out_a - out_b)))
    n = f"{len(x)} image{'s' * (len(x) > 1)}"
    if difference <= atol:
        return Check(
            True,
            f"the two models compute the same function on {n}",
            [f"{OK} largest difference between their outputs: {difference:.2g} (atol {atol:g})"],
        )
    return Check(
        False,
        f"the two models compute different functions with the same weights on {n}",
        [f"{BAD} largest difference between their outputs: {difference:.3g} > atol {atol:g}"],
    )


# -- check: the exercises' self-checks ----------------------------------------------------------

EXERCISES = Path(__file__).with_name("exercises.json")
"""The exercises' targets, written by ``python -m grading.answers`` from grading/exercises/."""

_EXPECTS = {
    "int": "a whole number",
    "number": "a number",
    "bool": "True or False",
    "name": "a name (a string)",
    "shape": "a tuple of whole numbers",
    "sequence": "a list of whole numbers",
    "set": "a list of items",
    "dict": "a dict",
    "array": "an array of numbers",
    "model": "a Keras model",
    "function": "a function",
}


def digest(exercise: str, name: str, canonical_form: str) -> str:
    """The salted hash under which an answer (or a known mistake) is stored."""
    return hashlib.sha256(f"{exercise}|{name}|{canonical_form}".encode()).hexdigest()[:16]


def _item(value: object) -> object:
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else float(value)
    return sorted(map(_item, value), key=repr)  # a pair or a group: unordered


def canonical(kind: str, value: object, unit: float = 0) -> str | None:
    """The text an answer of ``kind`` is compared as; None when it is not of that kind.

    ``unit``: a shape's number of axes; the tolerance an array is rounded to.
    """
    try:
        if kind == "int" and isinstance(value, numbers.Real) and not isinstance(value, bool):
            return str(int(value)) if float(value).is_integer() else repr(float(value))
        if kind == "bool" and isinstance(value, (bool, np.bool_)):
            return str(bool(value))
        if kind == "name" and isinstance(value, str):
            return value
        if kind == "shape" and not isinstance(value, (str, dict)):
            given = [None if v is None else int(v) for v in value if not isinstance(v, bool)]
            return json.dumps(given[-int(unit) :]) if len(given) == len(value) else None
        if kind == "sequence" and not isinstance(value, (str, dict)):
            array = np.asarray(value)
            if array.ndim == 1 and np.all(np.mod(array, 1) == 0):
                return json.dumps([int(v) for v in array])
        if kind == "array" and unit and not isinstance(value, (str, dict)):
            array = np.asarray(value, dtype=float)
            return json.dumps([array.shape, np.round(array / unit).astype(int).tolist()])
        if kind == "set" and not isinstance(value, (str, dict)):
            return json.dumps(sorted({json.dumps(_item(v)) for v in value}))
    except (TypeError, ValueError):
        pass
    return None


def _valid(kind: str, value: object) -> bool:
    if kind == "number":
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if kind == "array":
        try:
            return np.asarray(value, dtype=float).ndim > 0
        except (TypeError, ValueError):
            return False
    return canonical(kind, value) is not None


_TARGETS = {  # targets computed from the context a check cell passes (the learner's own run)
    "precision": lambda c, label: c["counts"][label, label] / np.sum(c["counts"], axis=0)[label],
    "recall": lambda c, label: c["counts"][label, label] / np.sum(c["counts"], axis=1)[label],
    "item": lambda c, of, key: c[of][key],
    "class_means": lambda c: np.stack(
        [c["data"].x_train[c["data"].y_train == k].mean(axis=0) for k in range(10)]
    ),
    "mcnemar": lambda c, which: _mcnemar(*c["runs"])[which],
}


def _mcnemar(run_a: dict, run_b: dict) -> dict:
    """McNemar's exact test of two runs of chapter 8's study on the same test images."""
    a, b = (
        np.unpackbits(np.frombuffer(base64.b64decode(run["correct"]), np.uint8)).astype(bool)
        for run in (run_a, run_b)
    )
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    tail = sum(math.comb(only_a + only_b, k) for k in range(min(only_a, only_b) + 1))
    return {"b": only_a, "c": only_b, "p": min(1.0, 2 * tail / 2 ** (only_a + only_b))}


def _dropout(model: keras.Model, context: dict) -> Check:
    images = context["images"]

    def twice(training: bool) -> bool:
        a, b = (keras.ops.convert_to_numpy(model(images, training=training)) for _ in "ab")
        return bool(np.array_equal(a, b))

    if not twice(False):
        return Check(False, "with training=False it gives two different outputs")
    if twice(True):
        return Check(False, "with training=True it gives the same output twice: no dropout")
    from .assets import load_trained_lenet5

    return check_same_function(load_trained_lenet5(), model, images)


def _conv2d(function, context: dict) -> Check:
    x = np.random.default_rng(1).standard_normal((12, 12, 6)).astype("float32")
    conv = keras.layers.Conv2D(16, 5, bias_initializer="random_normal")
    expected = keras.ops.convert_to_numpy(conv(x[None]))[0]
    result = np.asarray(function(x, *conv.get_weights()))
    if result.shape != expected.shape:
        return Check(False, f"it returns shape {result.shape}; Keras' Conv2D {expected.shape}")
    difference = float(np.max(np.abs(result - expected)))
    return Check(difference < 1e-4, f"largest difference from Keras' Conv2D: {difference:.1e}")


def _same_function(model: keras.Model, context: dict) -> Check:
    from .assets import load_trained_lenet5

    return check_same_function(load_trained_lenet5(), model, context["images"])


_VERIFY = {  # checks of a model or function answer
    "architecture": lambda answer, context, **kw: check_architecture(answer, **kw),
    "same_function": _same_function,
    "dropout": _dropout,
    "conv2d": _conv2d,
}


@lru_cache(maxsize=1)
def _exercises() -> dict:
    return json.loads(EXERCISES.read_text(encoding="utf-8"))


def _target(recipe: dict | None, context: dict, exercise: str) -> object:
    if recipe is None:
        return None
    arguments = {k: v for k, v in recipe.items() if k != "function"}
    try:
        return _TARGETS[recipe["function"]](context, **arguments)
    except KeyError as error:
        raise TypeError(
            f"check({exercise!r}, ...) needs {error.args[0]}=... (what its target is computed "
            "from): keep the check cell as it was given."
        ) from None


def _is(exercise: str, record: dict, kind: str, value: object, stored: dict, context: dict):
    """Whether ``value`` is the stored or computed value ``stored`` (a target or a mistake)."""
    tolerance, name = record.get("tolerance", 0.0), record["name"]
    target = _target(stored.get("target"), context, exercise)
    if "target" in stored and kind == "array":
        given, target = np.asarray(value, dtype=float), np.asarray(target, dtype=float)
        return given.shape == target.shape and np.allclose(given, target, rtol=0, atol=tolerance)
    if "target" in stored and kind == "number":
        return abs(float(value) - float(target)) <= tolerance
    unit = record.get("axes") or tolerance
    if "target" in stored:
        return canonical(kind, value, unit) == canonical(kind, target, unit)
    if kind == "number" and not np.isfinite(float(value)):
        return False
    if kind == "number":  # stored: the hash of round(value / tolerance) and what is left over
        base = round(float(value) / tolerance)
        return any(
            digest(exercise, name, str(q)) == stored["h"]
            and abs(float(value) - (q + stored["r"]) * tolerance) <= tolerance * (1 + 1e-9)
            for q in range(base - 2, base + 3)
        )
    return digest(exercise, name, canonical(kind, value, unit)) == stored["h"]


def _judge(exercise: str, record: dict, answer: object, context: dict) -> tuple[bool, list[str]]:
    """(right, lines) for one answer."""
    name, kind = record["name"], record["kind"]
    store = f"{BAD} {name}: store {record.get('expects') or _EXPECTS[kind]}"
    if answer is None:
        return False, [f"{BAD} {name}: not answered yet"]
    if kind == "dict":
        if not isinstance(answer, dict):
            return False, [f"{store} (got {type(answer).__name__})"]
        items = record["items"]
        results = [_judge(exercise, item, answer.get(item["key"]), context) for item in items]
        extra = sorted(map(str, set(answer) - {item["key"] for item in items}))
        lines = [line for _, found in results for line in found]
        lines += [f"{BAD} {name}: keys the question does not ask for: {extra}"] * bool(extra)
        return all(ok for ok, _ in results) and not extra, lines
    lines, value = [], answer
    if kind in ("model", "function"):
        if not (isinstance(answer, keras.Model) if kind == "model" else callable(answer)):
            return False, [f"{store} (got {type(answer).__name__})"]
        verify = dict(record.get("verify") or {})
        if verify:
            try:
                found = _VERIFY[verify.pop("function")](answer, context, **verify)
            except Exception as error:  # the learner's code: reported, not raised
                found = Check(False, f"running it raised {_first_line(error)}")
            if not found:
                return False, [f"{BAD} {name}: {found.title}", *found.lines]
            lines = [f"{OK} {name}: {found.title}"]
        if "right" not in record:
            return True, lines or [f"{OK} {name}"]
        kind, value = "int", answer.count_params()
    if not _valid(kind, value):
        return False, [f"{store} (got {type(answer).__name__})"]
    if _is(exercise, record, kind, value, record["right"], context):
        return True, lines or [f"{OK} {name}"]
    for mistake in record.get("mistakes", []):
        if _is(exercise, record, kind, value, mistake, context):
            return False, [f"{BAD} {name}: {mistake['message']}"]
    hint = record.get("hint")
    return False, [f"{BAD} {name}: not right" + (f"; {hint}" if hint else "")]


def check(exercise: str, *answers: object, **context: object) -> Check:
    """Check the answers to one exercise: right, not answered yet, or what kind of mistake.

    Args:
        exercise: the exercise's label, e.g. ``"ex-architecture-conv2"``.
        *answers: your answers, in the order the exercise's check cell passes them.
        **context: what a target is computed from in your own run (``counts=counts``).

    Returns:
        A :class:`Check` with one line per answer, truthy when every answer is right. It
        never shows the answer, nor repeats yours.

    Raises:
        ValueError: if there is no such exercise.
        TypeError: if the number of answers is not the exercise's, or a context is missing.
    """
    exercises = _exercises()
    if exercise not in exercises:
        raise ValueError(
            f"check: there is no exercise {exercise!r} in lenet_utils {EXERCISES.name}; keep "
            "the check cell as it was given, and install the lenet_utils of this notebook."
        )
    records = exercises[exercise]["answers"]
    if len(answers) != len(records):
        names = ", ".join(record["name"] for record in records)
        raise TypeError(
            f"check({exercise!r}, ...) takes {len(records)} answer(s), {names}; got {len(answers)}."
        )
    results = [_judge(exercise, r, a, context) for r, a in zip(records, answers, strict=True)]
    right = sum(ok for ok, _ in results)
    lines = [line for _, found in results for line in found]
    if all(answer is None for answer in answers):
        return Check(False, f"not answered yet: {exercise}", lines)
    title = f"{right} of {len(records)} answers right" if len(records) > 1 else "not right"
    title = "right" if right == len(records) else title
    return Check(right == len(records), f"{exercise}: {title}", lines)
