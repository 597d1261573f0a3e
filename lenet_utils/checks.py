"""Self-checks for the exercises: call one on your answer and read what is right or wrong.

- :func:`check_architecture`: is this model LeNet-5, layer by layer?
- :func:`check_param_count`: is this the number of parameters of that layer?
- :func:`check_output_shape`: is this the output shape of that layer?
- :func:`check_same_function`: do two models compute the same function with the same weights?

Each returns a :class:`Check`: it prints one line per finding, marked ``✓`` (right) or ``✗``
(wrong), as text or, in a notebook, as markdown, and it is truthy only when the answer is
right, so that ``assert check_param_count(answer, "conv2")`` grades it. A wrong answer never
raises: the check says what is wrong, and for a count or a shape it names the likely slip
without giving the number away (graded exercises keep their answers in hidden tests). An
answer left at ``None`` gives "not answered yet". Only an argument of the wrong kind (a string
where a model belongs) raises a :class:`TypeError` that says what to pass.

A model is followed the way it computes: Sequential and Functional models through their
graph, a subclassed model by calling it once on ``keras.Input(shape=(28, 28, 1))``; nested
models are opened up, and the layers are taken as one chain, as
:func:`~lenet_utils.inspection.layer_table` does.
"""

from __future__ import annotations

import math
import numbers
from functools import lru_cache
from types import SimpleNamespace

import keras
import numpy as np

from .inspection import walk
from .models import INPUT_SHAPE, build_sequential

__all__ = [
    "Check",
    "check_architecture",
    "check_output_shape",
    "check_param_count",
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


# -- Arguments --------------------------------------------------------------------------------


def _require_model(obj: object, argument: str, function: str) -> keras.Model:
    """``obj`` if it is a Keras model, else a TypeError that says what to pass."""
    if isinstance(obj, keras.Model):
        return obj
    if isinstance(obj, type) and issubclass(obj, keras.Layer):
        hint = f"you passed the class {obj.__name__}: create a model first, {obj.__name__}()"
    elif isinstance(obj, keras.Layer):
        hint = f"you passed a single layer ({type(obj).__name__} {obj.name!r})"
    elif callable(obj):
        name = getattr(obj, "__name__", "a function")
        hint = f"you passed the function {name}: call it to get a model, {name}()"
    else:
        hint = f"got {type(obj).__name__}: {_short(obj)}"
    raise TypeError(f"{function}: {argument} must be a Keras model; {hint}.")


def _require_layer_key(layer: object, function: str) -> str | int | keras.Layer:
    if isinstance(layer, (str, keras.Layer)) or (
        isinstance(layer, numbers.Integral) and not isinstance(layer, bool)
    ):
        return layer
    raise TypeError(
        f"{function}: layer must be a layer's name such as 'conv2', its position (0 for the "
        f"first layer) or the layer itself; got {type(layer).__name__}: {_short(layer)}."
    )


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
        try:
            if not model.built:
                model(keras.Input(shape=INPUT_SHAPE))
            layers = _call_order(model)
        except Exception as error:  # reported by the checks, never raised
            self.error = _first_line(error)
            layers = []
        try:
            self.rows = list(walk(SimpleNamespace(layers=layers, name=model.name), INPUT_SHAPE))
        except Exception:
            self.chained = False
            self.rows = [
                (layer, _shape(layer, "input"), _shape(layer, "output")) for layer in layers
            ]
        # On the PyTorch backend a Keras layer is a torch.nn.Module, which keeps the layers
        # assigned to it in ``_modules`` rather than in its ``__dict__``.
        members = {**vars(model), **getattr(model, "_modules", {})}
        attributes = {id(v): k for k, v in members.items() if isinstance(v, keras.Layer)}
        self.names = {id(layer): attributes.get(id(layer), layer.name) for layer, *_ in self.rows}

    def name(self, layer: keras.Layer) -> str:
        return self.names.get(id(layer), layer.name)

    def find(self, key: str | int | keras.Layer) -> int | str:
        """The row of the layer ``key`` names, or a sentence saying that there is none."""
        if isinstance(key, numbers.Integral):
            if 0 <= key < len(self.rows):
                return int(key)
            return f"there is no layer {key}: the layers are numbered 0 to {len(self.rows) - 1}"
        for index, (layer, *_) in enumerate(self.rows):
            if layer is key or key in (layer.name, self.name(layer)):
                return index
        known = ", ".join(self.name(layer) for layer, *_ in self.rows)
        shown = key.name if isinstance(key, keras.Layer) else key
        return f"there is no layer {shown!r} in this model; its layers are: {known}"


def _shape(layer: keras.Layer, which: str) -> Shape | None:
    """The shape of a layer's input or output in the graph it was first called in, if any."""
    try:
        return tuple(getattr(layer, which).shape)
    except (AttributeError, ValueError):  # never called on a symbolic tensor, or several inputs
        return None


def _call_order(model: keras.Model) -> list[keras.Layer]:
    """The model's layers in the order its ``call`` uses them, nested models opened up.

    The model is called once on ``keras.Input``: the layers it calls make a graph whose
    layers come in that order. A model that cannot be called so (a nested model that does not
    take images) keeps the order of ``model.layers``.
    """
    inputs = keras.Input(shape=INPUT_SHAPE)
    try:
        try:
            outputs = model.call(inputs)
        except TypeError:  # call(inputs, training) without a default
            outputs = model.call(inputs, training=False)
        layers = keras.Model(inputs, outputs).layers
    except Exception:
        layers = model.layers
    flat: list[keras.Layer] = []
    for layer in layers:
        if isinstance(layer, keras.Model):
            flat += _call_order(layer)
        elif not isinstance(layer, keras.layers.InputLayer):
            flat.append(layer)
    return flat


@lru_cache(maxsize=8)
def _reference(activation: str, pooling: str, num_classes: int) -> _Chain:
    return _Chain(build_sequential(activation, pooling, num_classes))


def _locate(layer: object, model: keras.Model | None, function: str):
    """(chain, row index) of ``layer`` in ``model`` (LeNet-5 by default), or a failed Check."""
    key = _require_layer_key(layer, function)
    chain = (
        _reference("sigmoid", "avg", 10)
        if model is None
        else _Chain(_require_model(model, "model", function))
    )
    if chain.error:
        return Check(False, "the model cannot process a 28x28x1 image", [f"{BAD} {chain.error}"])
    index = chain.find(key)
    if isinstance(index, str):
        return Check(False, "no such layer", [f"{BAD} {index}"])
    return chain, index


def _size(values) -> str:
    return "x".join(str(v) for v in values)


# -- check_param_count --------------------------------------------------------------------------


def check_param_count(
    answer: int | None, layer: str | int | keras.Layer, model: keras.Model | None = None
) -> Check:
    """Check the number of parameters worked out for one layer.

    Args:
        answer: the number you worked out (``None`` while unanswered).
        layer: the layer's name (``"conv2"``; for a subclassed model also the attribute that
            holds it), its position (0 for the first layer) or the layer itself.
        model: the model the question is about; LeNet-5 (:func:`~lenet_utils.build_sequential`)
            by default.

    Returns:
        A :class:`Check`, truthy when ``answer`` is the layer's count. A wrong answer is
        explained (biases forgotten, one input channel, one count per position, the count of
        another layer...) without giving the right number.

    Raises:
        TypeError: if ``answer`` is not a number, ``layer`` not a name, position or layer, or
            ``model`` not a Keras model.
    """
    if answer is None:
        return _unanswered(f"store the number of parameters of {layer}")
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise TypeError(
            "check_param_count: answer must be a number, e.g. check_param_count(2416, 'conv2'); "
            f"got {type(answer).__name__}: {_short(answer)}."
        )
    found = _locate(layer, model, "check_param_count")
    if isinstance(found, Check):
        return found
    chain, index = found
    target, _, _ = chain.rows[index]
    name, params = chain.name(target), target.count_params()
    shown = f"{int(answer):,}" if float(answer).is_integer() else repr(answer)
    if answer == params:
        return Check(True, f"right: {name} has {shown} parameters", [f"{OK} {_formula(target)}"])
    return Check(
        False,
        f"not right: {name} does not have {shown} parameters",
        [f"{BAD} {hint}" for hint in _count_hints(answer, chain, index)],
    )


def _formula(layer: keras.Layer, in_words: bool = False) -> str:
    """How a layer's count is made: ``2,416 = 16 x (5 x 5 x 6 + 1)``, or in words."""
    bias = getattr(layer, "use_bias", False)
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw, cin, filters = (int(v) for v in layer.kernel.shape)
        if in_words:
            return (
                "for each filter, kernel height x kernel width x input channels weights"
                + " and one bias" * bias
            )
        return f"{filters * (kh * kw * cin + bias):,} = {filters} x ({kh} x {kw} x {cin}" + (
            " + 1)" if bias else ")"
        )
    if isinstance(layer, keras.layers.Dense):
        inputs, units = (int(v) for v in layer.kernel.shape)
        if in_words:
            return "for each unit, one weight per input" + " and one bias" * bias
        return f"{units * (inputs + bias):,} = {units} x ({inputs:,}" + (" + 1)" if bias else ")")
    return f"{layer.count_params():,} weights" if layer.count_params() else "no weights"


def _count_hints(answer: float, chain: _Chain, index: int) -> list[str]:
    """The likely slips behind a wrong count, most specific first."""
    layer, _, out = chain.rows[index]
    name = chain.name(layer)
    params = layer.count_params()
    hints: list[str] = []
    if not float(answer).is_integer():
        return ["a number of parameters is a whole number"]
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
        kernel = math.prod(int(v) for v in layer.kernel.shape)
        per = "filter" if isinstance(layer, keras.layers.Conv2D) else "unit"
        slips = {kernel: f"this counts the weights only: each {per} also has a bias"}
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, filters = (int(v) for v in layer.kernel.shape)
            positions = math.prod(v for v in out[1:3] if v) if out else 0
            slips[filters * (kh * kw + 1)] = (
                f"this counts one input channel: each filter spans all {cin} channels of its input"
            )
            slips[params * positions] = slips[kernel * positions] = (
                "this counts the weights once per output position: a convolution uses the "
                "same filters at every position"
            )
            slips[kh * kw * cin + 1] = f"this counts one filter; {name} has {filters}"
        else:
            inputs, units = (int(v) for v in layer.kernel.shape)
            slips[(units + 1) * inputs] = "this adds a bias per input; there is one per unit"
        hints += [slips[answer]] if answer in slips and answer != params else []
    elif params == 0:
        hints.append(f"{name} ({type(layer).__name__}) has no weights: nothing in it is learned")
    if chain is not _reference("sigmoid", "avg", 10):
        lenet5 = _reference("sigmoid", "avg", 10)
        same = [other.name for other, *_ in lenet5.rows if other.name == layer.name]
        if same and lenet5.rows[lenet5.find(same[0])][0].count_params() == answer:
            hints.append(f"this is {same[0]}'s count in LeNet-5; in this model its input differs")
    others = [chain.name(other) for other, *_ in chain.rows if other.count_params() == answer]
    if not hints and answer and others:
        hints.append(f"this is the count of {others[0]}")
    if not hints and answer == sum(row[0].count_params() for row in chain.rows):
        hints.append("this is the whole model's total")
    if not hints:
        hints.append(f"count {name}'s parameters as {_formula(layer, in_words=True)}")
    return hints


# -- check_output_shape -------------------------------------------------------------------------


def check_output_shape(
    answer: tuple[int | None, ...] | None,
    layer: str | int | keras.Layer,
    model: keras.Model | None = None,
) -> Check:
    """Check the output shape worked out for one layer.

    Both forms are right: for one image (``(28, 28, 6)``) or with the batch axis first, as
    Keras writes it (``(None, 28, 28, 6)``; a number in place of ``None`` too).

    Args:
        answer: the shape you worked out, a tuple (``None`` while unanswered).
        layer: the layer's name, its position (0 for the first layer) or the layer itself.
        model: the model the question is about; LeNet-5 (:func:`~lenet_utils.build_sequential`)
            by default.

    Returns:
        A :class:`Check`, truthy when ``answer`` is the layer's output shape. A wrong shape is
        explained (padding, pooling, channels, flattening, the input's shape...) without
        giving the right one.

    Raises:
        TypeError: if ``answer`` is not a tuple of whole numbers, ``layer`` not a name,
            position or layer, or ``model`` not a Keras model.
    """
    if answer is None:
        return _unanswered(f"store the output shape of {layer} as a tuple")
    if not isinstance(answer, (tuple, list)) or not all(
        v is None or (isinstance(v, numbers.Integral) and not isinstance(v, bool)) for v in answer
    ):
        hint = f" (one axis is written ({answer},))" if isinstance(answer, int) else ""
        raise TypeError(
            "check_output_shape: answer must be a tuple of whole numbers such as (28, 28, 6) "
            f"or (None, 28, 28, 6); got {type(answer).__name__}: {_short(answer)}{hint}."
        )
    found = _locate(layer, model, "check_output_shape")
    if isinstance(found, Check):
        return found
    chain, index = found
    target, in_shape, out = chain.rows[index]
    if out is None:
        return Check(False, f"cannot follow the shapes of this model to {chain.name(target)}")
    name, given = chain.name(target), tuple(None if v is None else int(v) for v in answer)
    if len(given) == len(out):
        given = given[1:]  # the batch axis, whatever it was written as
    if given == tuple(out[1:]):
        return Check(True, f"right: {name} outputs {_size(given)} per image")
    before = tuple(in_shape[1:]) if in_shape else None
    hints = _shape_hints(given, target, before, tuple(out[1:]))
    return Check(
        False, f"not right: {name} does not output {tuple(answer)}", [f"{BAD} {h}" for h in hints]
    )


def _shape_hints(given: Shape, layer: keras.Layer, before: Shape | None, after: Shape) -> list[str]:
    """The likely slips behind a wrong shape (one image's, without the batch axis)."""
    if given == before:
        return [f"this is the shape going in; {layer.name} changes it"]
    if len(given) != len(after):
        return [f"{layer.name}'s output has {len(after)} axes for one image, not {len(given)}"]
    if len(after) == 3 and sorted(map(str, given)) == sorted(map(str, after)):
        return ["Keras puts the channels last: (height, width, channels)"]
    hints = []
    if isinstance(layer, keras.layers.Conv2D):
        if given[:2] != after[:2]:
            hints.append(
                "padding='same' keeps the height and width"
                if layer.padding == "same"
                else "without padding ('valid'), a k x k kernel fits n - k + 1 times along a side"
            )
        if given[2] != after[2]:
            hints.append("a convolution outputs one channel per filter")
    elif isinstance(layer, (keras.layers.AveragePooling2D, keras.layers.MaxPooling2D)):
        if given[:2] != after[:2]:
            hints.append("a 2x2 window moved with stride 2 halves the height and the width")
        if given[2] != after[2]:
            hints.append("pooling works on each channel alone and keeps their number")
    elif isinstance(layer, keras.layers.Flatten):
        hints.append("Flatten lays each image's values out in one vector: multiply the axes")
    elif isinstance(layer, keras.layers.Dense):
        hints.append("a dense layer outputs one number per unit")
    return hints or [f"follow the shape from the input through each layer to {layer.name}"]


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
    _require_model(model, "model", "check_architecture")
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
        _require_model(model, argument, "check_same_function")
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
    layers_a, layers_b = ([x for x in _call_order(m) if x.weights] for m in (model_a, model_b))
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
