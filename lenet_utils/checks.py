"""Self-checks for the exercises: call one on your answer, and read what is right or wrong.

Every check returns a :class:`CheckResult`: it is truthy when the answer is right, and it prints
(in a terminal or a notebook) one line per finding, marked ``✓`` (right), ``✗`` (wrong) or
``•`` (a remark). A wrong answer never raises an exception: the result explains the mistake.
Only an argument of the wrong kind altogether (a string where a model belongs, say) raises a
:class:`TypeError` that says what to pass instead.

- :func:`check_architecture`: is this model LeNet-5 as :func:`~lenet_utils.lenet5_layers`
  describes it? Compares it layer by layer with the reference.
- :func:`check_param_count`: is this the number of parameters of that layer?
- :func:`check_output_shape`: is this the output shape of that layer?
- :func:`check_same_function`: do two models compute the same function once they share
  their weights?

The shapes and parameter counts all come from :func:`lenet_utils.inspection.layer_table`;
the checks only compare them and explain the difference.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import keras
import numpy as np

from .inspection import LayerRow, layer_table
from .models import INPUT_SHAPE, build_sequential

try:  # Keras 3 keeps the class of Functional models here; used only to recognise them.
    from keras.src.models.functional import Functional as _Functional
except ImportError:  # pragma: no cover - a future Keras that moves it: trace every model
    _Functional = None

__all__ = [
    "CheckResult",
    "check_architecture",
    "check_output_shape",
    "check_param_count",
    "check_same_function",
]

OK, BAD, NOTE = "✓", "✗", "•"

Shape = tuple[int | None, ...]


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """What a check found: whether the answer is right, and why.

    Attributes:
        passed: ``True`` when the answer is right. ``bool(result)`` is the same.
        messages: one line per finding, each starting with ``✓`` (right), ``✗`` (wrong) or
            ``•`` (a remark that is neither).
        title: a one-line summary, printed above the messages.
    """

    passed: bool
    messages: list[str] = field(default_factory=list)
    title: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = OK if self.passed else BAD
        head = [f"{mark} {self.title}"] if self.title else []
        indent = "  " if self.title else ""
        return "\n".join(head + [indent + message for message in self.messages])

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        mark = OK if self.passed else BAD
        lines = [f"**{mark} {_escape_markdown(self.title)}**", ""] if self.title else []
        for message in self.messages:
            if message.startswith(NOTE):
                lines.append(f"- *{_escape_markdown(message[len(NOTE) :].strip())}*")
            else:
                lines.append(f"- {_escape_markdown(message)}")
        return "\n".join(lines)


def _escape_markdown(text: str) -> str:
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


class _Report:
    """Collects the findings of one check and turns them into a :class:`CheckResult`."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def ok(self, text: str) -> None:
        self.messages.append(f"{OK} {text}")

    def bad(self, text: str) -> None:
        self.messages.append(f"{BAD} {text}")

    def note(self, text: str) -> None:
        self.messages.append(f"{NOTE} {text}")

    @property
    def problems(self) -> int:
        return sum(message.startswith(BAD) for message in self.messages)

    def result(self, title_ok: str, title_bad: str, passed: bool | None = None) -> CheckResult:
        """The result: passed if nothing was marked wrong, unless ``passed`` says otherwise."""
        passed = self.problems == 0 if passed is None else passed
        return CheckResult(passed, list(self.messages), title_ok if passed else title_bad)


# --------------------------------------------------------------------------------------------
# Arguments of the wrong kind
# --------------------------------------------------------------------------------------------


def _require_model(obj: object, argument: str, function: str) -> keras.Model:
    """Return ``obj`` if it is a Keras model, else raise a TypeError that says what to pass."""
    if isinstance(obj, keras.Model):
        return obj
    if isinstance(obj, type) and issubclass(obj, keras.Layer):
        hint = f"you passed the class {obj.__name__} itself: create a model first, {obj.__name__}()"
    elif isinstance(obj, keras.Layer):
        hint = f"you passed a single layer ({type(obj).__name__} {obj.name!r}), not a model"
    elif callable(obj):
        name = getattr(obj, "__name__", "a function")
        hint = f"you passed {name}, a function: call it to get a model, {name}()"
    else:
        hint = f"got {type(obj).__name__}: {_short_repr(obj)}"
    raise TypeError(
        f"{function}: {argument} must be a Keras model (keras.Sequential, a Functional "
        f"keras.Model or an instance of a keras.Model subclass); {hint}."
    )


def _short_repr(obj: object, limit: int = 60) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _require_layer_key(layer: object, function: str) -> str | int | keras.Layer:
    if isinstance(layer, (str, keras.Layer)) or (
        isinstance(layer, numbers.Integral) and not isinstance(layer, bool)
    ):
        return layer
    raise TypeError(
        f"{function}: layer must be a layer's name such as 'conv2', its position in "
        f"layer_table (0 for the first layer) or the layer itself; got "
        f"{type(layer).__name__}: {_short_repr(layer)}."
    )


# --------------------------------------------------------------------------------------------
# The layers of a model, in the order they are called, with their layer_table rows
# --------------------------------------------------------------------------------------------


class _LayerChain:
    """A list of layers dressed as a built model: the two things ``layer_table`` reads."""

    built = True

    def __init__(self, layers: Sequence[keras.Layer]) -> None:
        self.layers = list(layers)


@dataclass
class _Traced:
    """A model's layers in call order, their layer_table rows, and what tracing noticed."""

    layers: list[keras.Layer]
    rows: list[LayerRow]
    input_shape: Shape  # one image, no batch dimension
    names: dict[int, str]  # id(layer) -> how the learner calls it
    notes: list[str]
    error: str | None = None

    def name(self, layer: keras.Layer) -> str:
        return self.names.get(id(layer), layer.name)

    def input_of(self, index: int) -> Shape:
        return self.rows[index - 1].output_shape if index else (None, *self.input_shape)


def _is_graph_model(model: keras.Model) -> bool:
    if isinstance(model, keras.Sequential):
        return True
    return _Functional is not None and isinstance(model, _Functional)


def _model_input_shape(model: keras.Model) -> Shape | None:
    """The shape of one image that a Sequential or Functional model was built for."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs or len(inputs) != 1:
        return None
    shape = tuple(inputs[0].shape[1:])
    return shape if all(isinstance(size, int) for size in shape) else None


def _call_order(model: keras.Model, notes: list[str]) -> list[keras.Layer]:
    """The model's layers in the order its ``call`` uses them, nested models opened up."""
    if _is_graph_model(model):
        layers = list(model.layers)
    else:
        inputs = keras.Input(shape=INPUT_SHAPE)
        try:
            try:
                outputs = model.call(inputs)
            except TypeError:  # a call(inputs, training) without a default
                outputs = model.call(inputs, training=False)
            layers = list(keras.Model(inputs, outputs).layers)
        except Exception as error:  # any failure: fall back on declaration order
            notes.append(
                f"could not follow {type(model).__name__}.call() on keras.Input(shape="
                f"{INPUT_SHAPE}) ({_first_line(error)}); the layers are taken in the order "
                "they were created in __init__"
            )
            layers = list(model.layers)
    flat: list[keras.Layer] = []
    for layer in layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            flat.extend(_call_order(layer, notes))
        else:
            flat.append(layer)
    return flat


def _all_layers(model: keras.Model) -> list[keras.Layer]:
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.extend(_all_layers(layer))
        elif not isinstance(layer, keras.layers.InputLayer):
            found.append(layer)
    return found


def _attribute_names(model: keras.Model) -> dict[int, str]:
    """``id(layer) -> attribute name`` for layers stored as attributes of a subclassed model."""
    if _is_graph_model(model):
        return {}
    return {
        id(value): name
        for name, value in vars(model).items()
        if isinstance(value, keras.Layer) and not name.startswith("_")
    }


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _trace(model: keras.Model) -> _Traced:
    """Build the model if needed, list its layers in call order and tabulate them."""
    notes: list[str] = []
    if not model.built:
        try:
            model(keras.Input(shape=INPUT_SHAPE))
        except Exception as error:  # reported, not raised
            return _Traced([], [], INPUT_SHAPE, {}, notes, error=_first_line(error))
        notes.append(
            "the model was not built yet, so it was built here by calling it once on "
            f"keras.Input(shape={INPUT_SHAPE})"
        )
    input_shape = _model_input_shape(model) or INPUT_SHAPE
    layers = _call_order(model, notes)
    names = _attribute_names(model)
    unused = [layer for layer in _all_layers(model) if id(layer) not in {id(x) for x in layers}]
    for layer in unused:
        notes.append(
            f"layer {names.get(id(layer), layer.name)!r} ({type(layer).__name__}) is created "
            "but never used by call(), so it is not part of the network"
        )
    try:
        rows = layer_table(_LayerChain(layers), input_shape)
    except Exception as error:  # reported, not raised
        return _Traced(layers, [], input_shape, names, notes, error=_first_line(error))
    return _Traced(layers, rows, input_shape, names, notes)


@lru_cache(maxsize=8)
def _reference(activation: str, pooling: str, num_classes: int) -> _Traced:
    return _trace(build_sequential(activation, pooling, num_classes))


# --------------------------------------------------------------------------------------------
# Small descriptions shared by the checks
# --------------------------------------------------------------------------------------------

_IGNORED = tuple(
    cls
    for cls in (
        getattr(keras.layers, name, None)
        for name in (
            "Dropout",  # includes SpatialDropout1D/2D/3D
            "AlphaDropout",
            "GaussianDropout",
            "GaussianNoise",
            "ActivityRegularization",
            "RandomFlip",
            "RandomRotation",
            "RandomTranslation",
            "RandomZoom",
            "RandomContrast",
            "RandomBrightness",
        )
    )
    if cls is not None
)
"""Layers that have no weights and leave a batch unchanged at inference."""

_POOLING = (keras.layers.AveragePooling2D, keras.layers.MaxPooling2D)
_FLATTENING = (
    keras.layers.Flatten,
    keras.layers.GlobalAveragePooling2D,
    keras.layers.GlobalMaxPooling2D,
)


def _category(layer: keras.Layer) -> str:
    if isinstance(layer, keras.layers.Conv2D):
        return "conv"
    if isinstance(layer, _POOLING):
        return "pool"
    if isinstance(layer, _FLATTENING):
        return "flatten"
    if isinstance(layer, keras.layers.Dense):
        return "dense"
    return type(layer).__name__


def _activation_name(layer: keras.Layer) -> str | None:
    function = getattr(layer, "activation", None)
    if function is None:
        return None
    return getattr(function, "__name__", type(function).__name__)


def _activation_layer(layer: keras.Layer) -> str | None:
    """The activation a weightless activation layer applies, or None for any other layer."""
    if layer.weights:
        return None
    if isinstance(layer, keras.layers.Activation):
        return _activation_name(layer)
    if isinstance(layer, keras.layers.ReLU):
        config = layer.get_config()
        plain = config.get("max_value") is None and not config.get("negative_slope")
        return "relu" if plain and not config.get("threshold") else "relu (with options)"
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    if isinstance(layer, keras.layers.LeakyReLU):
        return "leaky_relu"
    if isinstance(layer, keras.layers.ELU):
        return "elu"
    return None


def _pair(values: object) -> tuple[int, ...]:
    return tuple(values) if isinstance(values, (tuple, list)) else (values, values)


def _size(values: Sequence[int | None]) -> str:
    return "x".join(str(v) for v in values)


def _shape_text(shape: Shape) -> str:
    return str(tuple(shape))


def _input_units(layer: keras.Layer) -> int | None:
    kernel = getattr(layer, "kernel", None)
    return (
        int(kernel.shape[0])
        if isinstance(layer, keras.layers.Dense) and kernel is not None
        else None
    )


# --------------------------------------------------------------------------------------------
# check_architecture
# --------------------------------------------------------------------------------------------


@dataclass
class _Item:
    """One layer that defines the architecture, as check_architecture compares it."""

    layer: keras.Layer
    row: LayerRow
    label: str
    position: int  # 1-based, among the compared layers
    in_shape: Shape
    activation: str | None
    activation_from: str | None = None  # the separate activation layer that supplied it

    @property
    def category(self) -> str:
        return _category(self.layer)

    @property
    def kind(self) -> str:
        return type(self.layer).__name__


def _items(traced: _Traced, notes: list[str]) -> list[_Item]:
    """The learner's layers that define the architecture, with activation layers folded in."""
    items: list[_Item] = []
    for index, (layer, row) in enumerate(zip(traced.layers, traced.rows, strict=True)):
        name = traced.name(layer)
        if isinstance(layer, _IGNORED):
            notes.append(
                f"not compared: {name!r} ({type(layer).__name__}), which has no weights and "
                "changes nothing at inference"
            )
            continue
        applied = _activation_layer(layer)
        if applied is not None:
            # the nearest conv or dense layer before it, looking past batch normalisation
            target = next((i for i in reversed(items) if i.category != "BatchNormalization"), None)
            if target is not None and target.activation == "linear":
                target.activation, target.activation_from = applied, name
                notes.append(
                    f"{target.label}'s activation, {applied!r}, comes from the separate layer "
                    f"{name!r} ({type(layer).__name__})"
                )
                continue
        item = _Item(layer, row, name, len(items) + 1, traced.input_of(index), None)
        item.activation = _activation_name(layer)
        items.append(item)
    return items


def _similarity_cost(ref: _Item, mine: _Item) -> float:
    """Cost of pairing two layers when aligning the sequences (a deletion costs 1)."""
    if ref.category != mine.category:
        return 1.5
    key = {
        "conv": lambda layer: (layer.filters, tuple(layer.kernel_size)),
        "dense": lambda layer: layer.units,
        "pool": lambda layer: (type(layer), _pair(layer.pool_size)),
    }.get(ref.category, type)
    if key(ref.layer) == key(mine.layer):
        return 0.0
    return 0.4 if mine.label == ref.label else 0.5  # the same name breaks ties


def _align(ref: list[_Item], mine: list[_Item]) -> list[tuple[_Item | None, _Item | None]]:
    """Pair the reference layers with the learner's: an edit-distance alignment."""
    n, m = len(ref), len(mine)
    cost = np.zeros((n + 1, m + 1))
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(
                cost[i - 1, j - 1] + _similarity_cost(ref[i - 1], mine[j - 1]),
                cost[i - 1, j] + 1,
                cost[i, j - 1] + 1,
            )
    pairs: list[tuple[_Item | None, _Item | None]] = []
    i, j = n, m
    while i or j:
        if i and j and cost[i, j] == cost[i - 1, j - 1] + _similarity_cost(ref[i - 1], mine[j - 1]):
            pairs.append((ref[i - 1], mine[j - 1]))
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            pairs.append((ref[i - 1], None))
            i -= 1
        else:
            pairs.append((None, mine[j - 1]))
            j -= 1
    return pairs[::-1]


def _config_differences(ref: _Item, mine: _Item, is_output: bool) -> list[str]:
    """What differs between two layers of the same category, in words (not activations)."""
    a, b = ref.layer, mine.layer
    found: list[str] = []
    if ref.category == "conv":
        if b.filters != a.filters:
            found.append(f"{b.filters} filters, expected {a.filters}")
        if tuple(b.kernel_size) != tuple(a.kernel_size):
            found.append(f"a {_size(b.kernel_size)} kernel, expected {_size(a.kernel_size)}")
    if ref.category == "pool" and _pair(b.pool_size) != _pair(a.pool_size):
        found.append(f"pool_size {_size(b.pool_size)}, expected {_size(a.pool_size)}")
    if ref.category in ("conv", "pool"):
        if _pair(b.strides) != _pair(a.strides):
            found.append(f"strides {tuple(b.strides)}, expected {tuple(a.strides)}")
        if b.padding != a.padding:
            found.append(f"padding is {b.padding!r}, expected {a.padding!r}")
        dilation = getattr(b, "dilation_rate", None)
        if dilation is not None and _pair(dilation) != _pair(a.dilation_rate):
            found.append(f"dilation_rate {tuple(dilation)}, expected {tuple(a.dilation_rate)}")
    if ref.category == "dense" and b.units != a.units:
        text = f"{b.units} units, expected {a.units}"
        if is_output:
            text += f" (one per class; pass num_classes={b.units} if you meant {b.units} classes)"
        found.append(text)
    if ref.category in ("conv", "dense") and getattr(b, "use_bias", True) != a.use_bias:
        per = "filter" if ref.category == "conv" else "unit"
        found.append(f"no bias (use_bias=False), expected one bias per {per}")
    if ref.category == "flatten" and mine.kind != ref.kind:
        found.append(f"is {mine.kind}, expected {ref.kind}")
    return found


def _consequence(ref: _Item, mine: _Item, fc1_inputs: tuple[int | None, int | None]) -> str:
    """How a wrong setting changes the shapes: the layer's own output and what fc1 receives."""
    got, want, before = mine.row.output_shape, ref.row.output_shape, mine.in_shape
    parts = []
    if len(got) == 4 and len(want) == 4:
        if got[1:3] != want[1:3]:
            if tuple(got[1:3]) == tuple(before[1:3]):
                change = f"stay {_size(got[1:3])} instead of shrinking to {_size(want[1:3])}"
            elif math.prod(got[1:3]) < math.prod(want[1:3]):
                change = f"shrink to {_size(got[1:3])} instead of {_size(want[1:3])}"
            else:
                change = f"grow to {_size(got[1:3])} instead of {_size(want[1:3])}"
            parts.append(f"the feature maps {change}")
        if got[3] != want[3]:
            parts.append(f"there are {got[3]} feature maps instead of {want[3]}")
    elif got != want:
        parts.append(f"it outputs {_shape_text(got)} instead of {_shape_text(want)}")
    mine_in, ref_in = fc1_inputs
    if mine_in is not None and ref_in is not None and mine_in != ref_in:
        parts.append(f"fc1 gets {mine_in} inputs instead of {ref_in}")
    return ", and ".join(parts)


def check_architecture(
    model: keras.Model,
    *,
    activation: str = "sigmoid",
    pooling: str = "avg",
    num_classes: int = 10,
) -> CheckResult:
    """Check that ``model`` is LeNet-5 as :func:`~lenet_utils.lenet5_layers` describes it.

    The model is compared, layer by layer, with the reference that
    ``build_sequential(activation, pooling, num_classes)`` builds: the kinds of layers and
    their order; filters, units, kernel sizes, strides, pool sizes, padding, biases and
    activations; then the output shapes and parameter counts that
    :func:`~lenet_utils.inspection.layer_table` reports, and the total (61,706 for the
    defaults). Each difference is explained with its consequences, and a shape or parameter
    count that only follows from an earlier mistake is reported as such.

    Sequential, Functional and subclassed models are all accepted. A model that is not built
    yet is built by calling it once on ``keras.Input(shape=(28, 28, 1))`` (the result says so);
    a subclassed model's layers are compared in the order its ``call`` uses them. Layers that
    change nothing at inference (``Dropout``, ``GaussianNoise``, random augmentation) are left
    out of the comparison, and a separate activation layer (``Activation``, ``ReLU``...)
    right after a convolution or dense layer without activation counts as that layer's
    activation.

    Args:
        model: the model to check.
        activation: the activation expected in the convolutions and the two hidden dense
            layers: ``"sigmoid"`` (1998) or ``"relu"`` (the modern variant).
        pooling: the pooling expected: ``"avg"`` or ``"max"``.
        num_classes: the width expected of the softmax output.

    Returns:
        A :class:`CheckResult` that passes when the model is that LeNet-5.

    Raises:
        TypeError: if ``model`` is not a Keras model.
        ValueError: if ``activation`` or ``pooling`` names no activation or pooling.

    Example:
        >>> check_architecture(my_model)  # doctest: +SKIP
        ✗ not LeNet-5 as lenet5_layers() builds it: 3 problems
          ✓ 8 layers of the right kinds in the right order: conv1, pool1, conv2, pool2, ...
          ✗ conv1: padding is 'valid', expected 'same': the feature maps shrink to 24x24 ...
          ✗ fc1: 30,840 parameters = 120 x (256 + 1), expected 48,120 = 120 x (400 + 1), ...
          ✗ total parameters 44,426, expected 61,706
    """
    _require_model(model, "model", "check_architecture")
    reference = _reference(activation, pooling, num_classes)
    arguments = []
    if activation != "sigmoid":
        arguments.append(f"activation={activation!r}")
    if pooling != "avg":
        arguments.append(f"pooling={pooling!r}")
    if num_classes != 10:
        arguments.append(f"num_classes={num_classes}")
    spec = f"lenet5_layers({', '.join(arguments)})"
    title_ok = f"LeNet-5 as {spec} builds it"

    report = _Report()
    traced = _trace(model)
    for note in traced.notes:
        report.note(note)
    if traced.error is not None:
        report.bad(
            f"the model cannot process a batch of 28x28x1 images: {traced.error}. Check the "
            "order of the layers and what each one receives."
        )
        return report.result(title_ok, f"could not check the model against {spec}")
    if tuple(traced.input_shape) != INPUT_SHAPE:  # e.g. the 32x32 inputs of 1998
        report.bad(
            f"the model reads {_size(traced.input_shape)} inputs, expected "
            f"{_size(INPUT_SHAPE)}: start it from keras.Input(shape={INPUT_SHAPE})"
        )

    notes: list[str] = []
    mine = _items(traced, notes)
    for note in notes:
        report.note(note)
    ref = _items(reference, [])
    input_differs = tuple(traced.input_shape) != INPUT_SHAPE
    _compare_layers(report, ref, mine, pooling, activation, explained=input_differs)

    total = sum(row.params for row in traced.rows)
    expected_total = sum(row.params for row in reference.rows)
    if total == expected_total:
        report.ok(f"{total:,} parameters in all")
    else:
        report.bad(f"total parameters {total:,}, expected {expected_total:,}")
    problems = report.problems
    title_bad = f"not LeNet-5 as {spec} builds it: {problems} problem{'s' * (problems != 1)}"
    return report.result(title_ok, title_bad)


def _compare_layers(
    report: _Report,
    ref: list[_Item],
    mine: list[_Item],
    pooling: str,
    activation: str,
    *,
    explained: bool,
) -> None:
    """The layer-by-layer part of check_architecture.

    ``explained`` says that a difference reported before (the input shape) already explains
    why the shapes differ.
    """
    names = ", ".join(item.label for item in ref)
    if len(mine) != len(ref):
        report.bad(
            f"the model has {len(mine)} layers, expected {len(ref)}: {names} (not counting "
            "Input, Dropout or separate activation layers)"
        )

    pairs = _align(ref, mine)
    if all(a is not None and b is not None and a.category == b.category for a, b in pairs):
        report.ok(f"{len(ref)} layers of the right kinds in the right order: {names}")
    ref_fc1 = next(r for r in ref if r.category == "dense")
    mine_fc1 = next((b for a, b in pairs if a is ref_fc1 and b is not None), None)
    fc1_inputs = (
        _input_units(mine_fc1.layer)
        if mine_fc1 is not None and mine_fc1.category == "dense"
        else None,
        _input_units(ref_fc1.layer),
    )

    # explained: a difference reported so far explains later shape differences
    diverged = False  # the shapes already differ upstream
    kind_mismatches: list[tuple[_Item, _Item]] = []
    activation_mismatches: list[tuple[_Item, _Item]] = []
    previous: str | None = None
    labels: dict[int, str] = {}  # id(learner's item) -> how messages name it
    for a, b in pairs:
        if b is None:
            where = f"after {previous}" if previous else "at the start"
            text = f"missing {a.label} ({a.kind}) {where}"
            if a.category == "flatten":
                text += (
                    ": without it the dense layers act on each position of the feature maps "
                    f"separately, and the model outputs {_shape_text(mine[-1].row.output_shape)} "
                    f"instead of {_shape_text(ref[-1].row.output_shape)}"
                )
            report.bad(text)
            explained = True
            continue
        if a is None:
            where = f"after {previous}" if previous else "at the start"
            report.bad(f"extra layer {b.label!r} ({b.kind}) {where}: LeNet-5 has no {b.kind} there")
            explained = True
            previous = b.label
            continue
        label = a.label if b.label == a.label else f"{a.label} (your {b.label!r})"
        labels[id(b)] = label
        previous = a.label
        if a.category != b.category:
            report.bad(f"{a.label} (layer {b.position}) is {b.kind}, expected {a.kind}")
            explained = True
            diverged = diverged or b.row.output_shape != a.row.output_shape
            continue
        if a.category == "pool" and a.kind != b.kind:
            kind_mismatches.append((a, b))
        if a.activation is not None and b.activation != a.activation:
            activation_mismatches.append((a, b))

        differences = _config_differences(a, b, is_output=a is ref[-1])
        if a.category == "flatten" and differences:
            differences = [f"{label} {differences[0]}"]
            label = ""
        shape_differs = b.row.output_shape != a.row.output_shape
        if differences:
            text = (f"{label}: " if label else "") + "; ".join(differences)
            if shape_differs and not diverged:
                consequence = _consequence(a, b, fc1_inputs)
                if consequence:
                    text += f": {consequence}"
            if (
                a.label == "conv1"
                and b.layer.padding == "valid"
                and a.layer.padding == "same"
                and len(differences) == 1
            ):
                text += " (this is the defect of the original subclassed model)"
            report.bad(text)
            explained = True
        elif shape_differs and not diverged and not explained:
            report.bad(
                f"{label}: output shape {_shape_text(b.row.output_shape)}, expected "
                f"{_shape_text(a.row.output_shape)}"
            )
            explained = True
        if b.row.params != a.row.params and not differences:
            why = _params_reason(a, b)
            report.bad(
                f"{label}: {b.row.params:,} parameters = {b.row.formula}, expected "
                f"{a.row.params:,} = {a.row.formula}{why}"
            )
        diverged = diverged or shape_differs

    _report_pooling(report, kind_mismatches, pooling)
    _report_activations(report, activation_mismatches, activation, labels)
    final = [b for a, b in pairs if a is ref[-1] and b is not None]
    if final and final[0].row.output_shape == ref[-1].row.output_shape and not diverged:
        report.ok(
            "every output shape as expected, down to " + _shape_text(ref[-1].row.output_shape)
        )


def _params_reason(ref: _Item, mine: _Item) -> str:
    if ref.category == "dense":
        got, want = _input_units(mine.layer), _input_units(ref.layer)
        if got != want:
            return f", because it gets {got} inputs instead of {want} (see above)"
    if ref.category == "conv":
        got, want = mine.layer.kernel.shape[2], ref.layer.kernel.shape[2]
        if got != want:
            return f", because its input has {got} channels instead of {want} (see above)"
    return ""


def _report_pooling(report: _Report, mismatches: list[tuple[_Item, _Item]], pooling: str) -> None:
    """Pooling of the other kind: one message when both pools are, else one per pool."""
    if not mismatches:
        return
    found = {b.kind for _, b in mismatches}
    if len(mismatches) == 2 and len(found) == 1:
        (a1, b1), (a2, _) = mismatches
        option = {"MaxPooling2D": "max", "AveragePooling2D": "avg"}.get(b1.kind)
        hint = ""
        if option and option != pooling:
            meant = "the modern variant" if option == "max" else "the 1998 network"
            hint = f" (pass pooling={option!r} if you meant {meant})"
        report.bad(f"{a1.label} and {a2.label} are {b1.kind}, expected {a1.kind}{hint}")
        return
    for a, b in mismatches:
        report.bad(
            f"layer {b.position} ({a.label}) is {b.kind}, expected {a.kind} (LeNet-5 uses the "
            "same pooling in both blocks)"
        )


def _report_activations(
    report: _Report, mismatches: list[tuple[_Item, _Item]], activation: str, labels: dict[int, str]
) -> None:
    """Wrong activations: one message when all hidden layers share one, else one per layer."""
    hidden = [(a, b) for a, b in mismatches if a.activation == activation]
    rest = [(a, b) for a, b in mismatches if a.activation != activation]
    found = {b.activation for _, b in hidden}
    if len(hidden) >= 2 and len(found) == 1:  # the hidden layers all use the same other function
        other = found.pop()
        labels = ", ".join(a.label for a, _ in hidden[:-1]) + f" and {hidden[-1][0].label}"
        hint = ""
        if other in ("relu", "sigmoid", "tanh", "elu", "gelu", "silu", "leaky_relu"):
            hint = f" (pass activation={other!r} if you meant that variant)"
            if other == "relu" and activation == "sigmoid":
                hint = " (pass activation='relu' if you meant the modern variant)"
        report.bad(f"{labels} use activation {other!r}, expected {activation!r}{hint}")
        hidden = []
    for a, b in hidden + rest:
        text = f"{labels.get(id(b), a.label)} has activation {b.activation!r}"
        if b.activation_from:
            text += f" (from the separate layer {b.activation_from!r})"
        text += f", expected {a.activation!r}"
        if b.activation == "linear":
            text += " (no activation given: Keras' default is 'linear', i.e. none)"
        if a.activation == "softmax":
            text += (
                "; the softmax turns the ten scores into probabilities, which the loss "
                "'sparse_categorical_crossentropy' expects unless from_logits=True"
            )
        report.bad(text)


# --------------------------------------------------------------------------------------------
# Finding one layer, for check_param_count and check_output_shape
# --------------------------------------------------------------------------------------------


def _find(traced: _Traced, key: str | int | keras.Layer, model: keras.Model | None) -> int | str:
    """The index of the layer in ``traced``, or a message saying why there is none."""
    if isinstance(key, numbers.Integral):
        if -len(traced.rows) <= key < len(traced.rows):
            return int(key) % len(traced.rows)
        return f"there is no layer {key}: layer_table has {len(traced.rows)} rows, 0 to " + str(
            len(traced.rows) - 1
        )
    for index, layer in enumerate(traced.layers):
        if layer is key or layer.name == key or traced.name(layer) == key:
            return index
    if isinstance(key, str) and model is not None:
        attribute = getattr(model, key, None)
        for index, layer in enumerate(traced.layers):
            if layer is attribute:
                return index
    known = ", ".join(_display(traced, layer) for layer in traced.layers)
    shown = key.name if isinstance(key, keras.Layer) else key
    return f"there is no layer {shown!r} in this model; its layers are: {known}"


def _display(traced: _Traced, layer: keras.Layer) -> str:
    name = traced.name(layer)
    return name if name == layer.name else f"{name} ({layer.name})"


def _traced_or_reference(model: keras.Model | None, function: str) -> _Traced:
    if model is None:
        return _reference("sigmoid", "avg", 10)
    return _trace(_require_model(model, "model", function))


# --------------------------------------------------------------------------------------------
# check_param_count
# --------------------------------------------------------------------------------------------


def _locate(
    layer: object, model: keras.Model | None, function: str, task: str
) -> tuple[_Report, _Traced, int | CheckResult]:
    """The report, the traced model and the index of ``layer`` in it, or a failed result
    (as the index) when the model cannot be traced or has no such layer."""
    key = _require_layer_key(layer, function)
    traced = _traced_or_reference(model, function)
    report = _Report()
    for note in traced.notes:
        report.note(note)
    if traced.error is not None:
        report.bad(f"the model cannot process a batch of 28x28x1 images: {traced.error}")
        return report, traced, report.result("", f"could not {task}")
    index = _find(traced, key, model)
    if isinstance(index, str):
        report.bad(index)
        return report, traced, report.result("", "no such layer")
    return report, traced, index


def _require_count(answer: object) -> int:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise TypeError(
            "check_param_count: answer must be a number, e.g. check_param_count(2416, 'conv2'); "
            f"got {type(answer).__name__}: {_short_repr(answer)}."
        )
    if isinstance(answer, numbers.Integral):
        return int(answer)
    value = float(answer)
    return int(value) if value.is_integer() else -1  # -1: never a count, reported as wrong


def check_param_count(
    answer: int, layer: str | int | keras.Layer, *, model: keras.Model | None = None
) -> CheckResult:
    """Check a number of parameters worked out for one layer.

    If it is wrong, the result gives the right count with its arithmetic (as
    :func:`~lenet_utils.inspection.layer_table` writes it) and recognises the usual slips:
    forgetting the biases, counting one input channel, multiplying by the output size (a
    convolution shares its weights across positions), counting one filter, a wrong number of
    inputs to a dense layer, or the count of another layer or of unchanged LeNet-5.

    Args:
        answer: the number of parameters you worked out.
        layer: the layer's name (``"conv2"``; for a subclassed model also the attribute that
            holds it, ``"conv1"`` for ``self.conv1``), its position in ``layer_table``
            (0 for the first layer) or the layer itself.
        model: the model the question is about; by default LeNet-5 as
            :func:`~lenet_utils.build_sequential` builds it. A model that is not built yet is
            built by calling it on ``keras.Input(shape=(28, 28, 1))``.

    Returns:
        A :class:`CheckResult` that passes when ``answer`` is the layer's parameter count.

    Raises:
        TypeError: if ``answer`` is not a number, ``layer`` not a name, position or layer, or
            ``model`` not a Keras model.

    Example:
        >>> check_param_count(2400, "conv2")  # doctest: +SKIP
        ✗ not right: conv2 has 2,416 parameters, not 2,400
          ✗ 2,400 = 16 x 5 x 5 x 6 counts the weights only: you forgot the biases, ...
          • 2,416 = 16 x (5 x 5 x 6 + 1)
    """
    count = _require_count(answer)
    report, traced, index = _locate(layer, model, "check_param_count", "count the parameters")
    if isinstance(index, CheckResult):
        return index
    row, target = traced.rows[index], traced.layers[index]
    name = _display(traced, target)
    if count == row.params:
        report.ok(f"{row.params:,} = {row.formula}")
        return report.result(f"right: {name} has {row.params:,} parameters", "")
    for hint in _param_mistakes(count, index, traced, model is not None):
        report.bad(hint)
    report.note(f"{row.params:,} = {row.formula}")
    shown = f"{count:,}" if isinstance(answer, numbers.Integral) else repr(answer)
    title = f"not right: {name} has {row.params:,} parameters, not {shown}"
    return report.result("", title, passed=False)


def _param_mistakes(answer: int, index: int, traced: _Traced, changed_model: bool) -> list[str]:
    """Explanations of a wrong parameter count, most specific first."""
    layer, row = traced.layers[index], traced.rows[index]
    name = _display(traced, layer)
    hints: list[str] = []
    in_shape, out_shape = traced.input_of(index), row.output_shape
    source = f"the output of {traced.rows[index - 1].name}" if index else "the input image"
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw, cin, filters = (int(size) for size in layer.kernel.shape)
        bias = filters if layer.use_bias else 0
        weights = kh * kw * cin * filters
        area = math.prod(size for size in out_shape[1:3] if size)
        per_position = f"the output size {_size(out_shape[1:3])}: a convolution reuses the same "
        per_position += "filters at every position, so positions add no parameters"
        single = f"{answer:,} counts a single filter; {name} has {filters}"
        candidates: list[tuple[int, str]] = [
            (
                row.params * area,
                f"{answer:,} = {row.params:,} x {area} multiplies by {per_position}",
            ),
            (weights * area, f"{answer:,} multiplies the weights by {per_position}"),
        ]
        if bias:
            candidates += [
                (
                    weights,
                    f"{answer:,} = {filters} x {kh} x {kw} x {cin} counts the weights only: you "
                    f"forgot the biases, one per filter ({filters})",
                ),
                (
                    filters * (kh * kw + 1),
                    f"{answer:,} counts one input channel only: each of the {filters} filters "
                    f"spans all {cin} channels of its input ({source}, "
                    f"{_shape_text(in_shape)}), so it has {kh} x {kw} x {cin} weights",
                ),
                (
                    filters * kh * kw,
                    f"{answer:,} = {filters} x {kh} x {kw} counts one input channel and no "
                    f"biases: each filter has {kh} x {kw} x {cin} weights and one bias",
                ),
                (kh * kw * cin + 1, single),
                (
                    weights + 1,
                    f"{answer:,} has one bias for the whole layer; there is one per filter "
                    f"({filters})",
                ),
            ]
        else:
            candidates += [
                (
                    weights + filters,
                    f"{answer:,} counts one bias per filter, but {name} has use_bias=False: "
                    f"it has no biases, only {filters} x {kh} x {kw} x {cin} weights",
                ),
                (
                    filters * kh * kw,
                    f"{answer:,} counts one input channel only: each of the {filters} filters "
                    f"spans all {cin} channels of its input, so it has {kh} x {kw} x {cin} "
                    "weights",
                ),
                (kh * kw * cin, single),
            ]
        hints.extend(_first_match(answer, candidates))
        per_filter, rest = divmod(answer - filters, filters) if bias else divmod(answer, filters)
        if not hints and rest == 0 and per_filter > 0 and per_filter % (kh * kw) == 0:
            assumed = per_filter // (kh * kw)
            hints.append(
                f"{answer:,} = {filters} x ({kh} x {kw} x {assumed}{' + 1' if bias else ''}) "
                f"assumes {assumed} input channels; {name}'s input ({source}, "
                f"{_shape_text(in_shape)}) has {cin}"
            )
    elif isinstance(layer, keras.layers.Dense):
        n, units = (int(size) for size in layer.kernel.shape)
        bias = units if layer.use_bias else 0
        if bias:
            candidates = [
                (
                    n * units,
                    f"{answer:,} = {units} x {n} counts the weights only: you forgot the "
                    f"biases, one per unit ({units})",
                ),
                (
                    (units + 1) * n,
                    f"{answer:,} = ({units} + 1) x {n} adds a bias per input; there is one per "
                    f"unit: {units} x ({n} + 1)",
                ),
                (
                    n * units + 1,
                    f"{answer:,} has one bias for the whole layer; there is one per unit ({units})",
                ),
            ]
        else:
            candidates = [
                (
                    n * units + units,
                    f"{answer:,} counts one bias per unit, but {name} has use_bias=False: it "
                    f"has no biases, only {units} x {n} weights",
                ),
            ]
        hints.extend(_first_match(answer, candidates))
        inputs, rest = divmod(answer - bias, units) if bias else divmod(answer, units)
        if not hints and rest == 0 and inputs > 0 and inputs != n:
            hints.append(
                f"{answer:,} = {units} x ({inputs}{' + 1' if bias else ''}) assumes {inputs} "
                f"inputs, but {name} gets {n}: {source}, {_shape_text(in_shape)}"
            )
    elif isinstance(layer, keras.layers.BatchNormalization) and layer.weights:
        channels = int(layer.weights[0].shape[0])
        if answer == 2 * channels:
            hints.append(
                f"{answer:,} counts gamma and beta only: Keras also counts the moving mean and "
                f"variance, which are not trained: 4 x {channels} in all"
            )
    if row.params == 0 and answer != 0:
        what = {
            "pool": "it takes the average or the maximum of each window; nothing is learned",
            "flatten": "it only lays the numbers out in one row; nothing is learned",
        }.get(_category(layer), "nothing in it is learned")
        hints.append(f"{name} ({type(layer).__name__}) has no weights: {what}")
    if changed_model:  # the number is right for LeNet-5, not for this model
        names = {row.name, traced.name(layer)}
        reference = _reference("sigmoid", "avg", 10)
        same = [r for r in reference.rows if r.name in names and r.params == answer]
        if same:
            hints.append(
                f"that is {same[0].name}'s count in the unchanged LeNet-5 ({same[0].formula}); "
                "in this model it is different"
            )
    if not hints:
        others = [
            f"that is the count of {other.name}"
            for other in traced.rows
            if other is not row and other.params == answer and answer
        ]
        hints.extend(others[:1])
        if answer == sum(other.params for other in traced.rows):
            hints.append("that is the whole model's total")
    return hints


def _first_match(answer: int, candidates: list[tuple[int, str]]) -> list[str]:
    return [text for value, text in candidates if value == answer][:1]


# --------------------------------------------------------------------------------------------
# check_output_shape
# --------------------------------------------------------------------------------------------


def _require_shape(answer: object) -> tuple[object, ...]:
    if isinstance(answer, (tuple, list)) or type(answer).__name__ == "TensorShape":
        values = tuple(answer)
        if all(
            v is None or (isinstance(v, numbers.Integral) and not isinstance(v, bool))
            for v in values
        ):
            return tuple(v if v is None else int(v) for v in values)
    hint = ""
    if isinstance(answer, numbers.Integral):
        hint = f" (a shape is a tuple even with one axis: ({answer},) or (None, {answer}))"
    raise TypeError(
        "check_output_shape: answer must be a shape, a tuple of whole numbers such as "
        f"(28, 28, 6) or (None, 28, 28, 6); got {type(answer).__name__}: "
        f"{_short_repr(answer)}{hint}."
    )


def check_output_shape(
    answer: tuple[int | None, ...],
    layer: str | int | keras.Layer,
    *,
    model: keras.Model | None = None,
) -> CheckResult:
    """Check the output shape worked out for one layer.

    Both forms are right: with the batch dimension, as Keras writes it (``(None, 28, 28, 6)``;
    a number such as 1 in place of ``None`` is accepted too), or for one image
    (``(28, 28, 6)``). A wrong shape is explained: ``padding="same"`` keeps the size while
    ``"valid"`` shrinks it, pooling halves each side, the channels are the number of filters,
    a missing channel axis, ``Flatten`` giving one long vector, the shape of the layer's input
    or of another layer.

    Args:
        answer: the shape you worked out, as a tuple.
        layer: the layer's name (``"conv1"``; for a subclassed model also the attribute that
            holds it), its position in ``layer_table`` (0 for the first layer), or the layer.
        model: the model the question is about; by default LeNet-5 as
            :func:`~lenet_utils.build_sequential` builds it. A model that is not built yet is
            built by calling it on ``keras.Input(shape=(28, 28, 1))``.

    Returns:
        A :class:`CheckResult` that passes when ``answer`` is the layer's output shape.

    Raises:
        TypeError: if ``answer`` is not a tuple of whole numbers (and ``None``), ``layer`` not
            a name, position or layer, or ``model`` not a Keras model.

    Example:
        >>> check_output_shape((24, 24, 6), "conv1")  # doctest: +SKIP
        ✗ not right: conv1 outputs (None, 28, 28, 6), not (24, 24, 6)
          ✗ 24x24 is what padding='valid' would give; conv1 uses padding='same', which ...
    """
    shape = _require_shape(answer)
    report, traced, index = _locate(layer, model, "check_output_shape", "follow the shapes")
    if isinstance(index, CheckResult):
        return index
    target, row = traced.layers[index], traced.rows[index]
    name = _display(traced, target)
    expected = row.output_shape
    per_image = tuple(expected[1:])
    both = f"{_shape_text(expected)}, or {_shape_text(per_image)} per image"
    rule = _shape_rule(target, traced.input_of(index), expected)

    if shape == per_image:
        report.ok(
            f"{_shape_text(per_image)} for one image; Keras writes it with the batch "
            f"dimension first: {_shape_text(expected)}"
        )
    elif len(shape) == len(expected) and shape[1:] == per_image:
        if shape[0] is None:
            report.ok(f"{_shape_text(expected)}: None stands for the batch size")
        else:
            report.ok(
                f"{_shape_text(shape)} for a batch of {shape[0]}; Keras writes the batch "
                f"dimension as None: {_shape_text(expected)}"
            )
    else:
        hints = _shape_mistakes(shape, index, traced)
        for hint in hints:
            report.bad(hint)
        if not hints:
            report.note(f"{name} outputs {both}" + (f": {rule}" if rule else ""))
        title = f"not right: {name} outputs {_shape_text(expected)}, not {_shape_text(shape)}"
        return report.result("", title, passed=False)
    if rule:
        report.note(rule)
    return report.result(f"right: {name} outputs {_shape_text(expected)}", "")


def _shape_rule(layer: keras.Layer, in_shape: Shape, out_shape: Shape) -> str:
    """The rule that gives this layer's output shape, with its numbers."""
    if isinstance(layer, keras.layers.Conv2D) and len(in_shape) == 4:
        n, k, s = in_shape[1], _pair(layer.kernel_size)[0], _pair(layer.strides)[0]
        if layer.padding == "same":
            size = "keeps the size" if s == 1 else f"divides each side by the stride {s}"
            how = f"padding='same' {size}: {_size(in_shape[1:3])} -> {_size(out_shape[1:3])}"
        else:
            how = (
                f"padding='valid' adds no border, so a {k}x{k} kernel fits "
                + (f"{n} - {k} + 1" if s == 1 else f"({n} - {k}) // {s} + 1")
                + f" = {out_shape[1]} times along a side: {_size(in_shape[1:3])} -> "
                f"{_size(out_shape[1:3])}"
            )
        return f"{how}; the channels are the number of filters, {layer.filters}"
    if isinstance(layer, _POOLING) and len(in_shape) == 4:
        p, s = _pair(layer.pool_size)[0], _pair(layer.strides)[0]
        what = "halves each side" if p == s == 2 else f"(pool_size {p}, strides {s})"
        return (
            f"a {p}x{p} window with stride {s} {what}: {_size(in_shape[1:3])} -> "
            f"{_size(out_shape[1:3])}; pooling keeps the {in_shape[-1]} channels"
        )
    if isinstance(layer, keras.layers.Flatten):
        dims = " x ".join(str(v) for v in in_shape[1:])
        return (
            f"Flatten lays each image's {_shape_text(in_shape[1:])} block out as one vector "
            f"of {dims} = {out_shape[-1]} numbers"
        )
    if isinstance(layer, keras.layers.Dense):
        return f"a dense layer outputs one number per unit: {layer.units}"
    return ""


def _shape_mistakes(shape: tuple[object, ...], index: int, traced: _Traced) -> list[str]:
    """Explanations of a wrong shape, most specific first."""
    layer, row = traced.layers[index], traced.rows[index]
    expected, in_shape = row.output_shape, traced.input_of(index)
    per_image = tuple(expected[1:])
    if len(shape) == len(expected) and (shape[0] is None or len(shape) == 4):
        given = tuple(shape[1:])  # with a batch dimension
    elif shape and shape[0] is None:
        given = tuple(shape[1:])  # with a batch dimension, and an axis missing
    else:
        given = tuple(shape)
    hints: list[str] = []
    if len(given) == 3 == len(per_image) and given != per_image and given[0] == per_image[2]:
        if sorted(given, key=str) == sorted(per_image, key=str):
            hints.append(
                f"Keras puts the channels last (height, width, channels): "
                f"{_shape_text(per_image)}, not {_shape_text(given)}"
            )
            return hints
    if given == tuple(in_shape[1:]):
        previous = traced.rows[index - 1].name if index else "the model"
        hints.append(
            f"{_shape_text(given)} is the shape going into {row.name} (the output of "
            f"{previous}); {row.name} changes it"
        )
    for other_index, other in enumerate(traced.rows):
        if other_index not in (index, index - 1) and tuple(other.output_shape[1:]) == given:
            hints.append(f"{_shape_text(given)} is the output of {other.name}")
            break
    if len(given) != len(per_image):
        if given == per_image[:-1] and len(per_image) == 3:
            hints.append(
                f"the channel axis is missing: {row.name}'s output has a height, a width and "
                f"{per_image[-1]} channels"
            )
        elif len(per_image) == 1 and math.prod(v or 1 for v in given) == per_image[0]:
            hints.append(
                f"{row.name} gives one vector per image: "
                f"{' x '.join(str(v) for v in given)} = {per_image[0]} numbers, shape "
                f"{_shape_text(per_image)}"
            )
        elif None in given:
            hints.append(
                f"{_shape_text(shape)} has {len(shape)} axes; with the batch dimension the "
                f"shape has {len(expected)}, without it {len(per_image)}"
            )
        return hints
    if isinstance(layer, keras.layers.Conv2D) and len(given) == 3:
        other_padding = "valid" if layer.padding == "same" else "same"
        twin = type(layer).from_config({**layer.get_config(), "padding": other_padding})
        if given[:2] == tuple(twin.compute_output_shape(in_shape))[1:3] != per_image[:2]:
            if layer.padding == "same":
                hints.append(
                    f"{_size(given[:2])} is what padding='valid' would give; {row.name} uses "
                    f"padding='same', which keeps the size: {_size(per_image[:2])}"
                )
            else:
                hints.append(
                    f"{_size(given[:2])} is what padding='same' would give; {row.name} uses "
                    f"padding='valid' (Keras' default), which shrinks each side by "
                    f"{_pair(layer.kernel_size)[0] - 1}: {_size(per_image[:2])}"
                )
        if given[2] != per_image[2]:
            if given[2] == in_shape[-1]:
                hints.append(
                    f"the channels are the number of filters: {row.name} has {layer.filters} "
                    f"filters, so {layer.filters} channels ({in_shape[-1]} is the number of "
                    "channels of its input)"
                )
            else:
                hints.append(
                    f"the channels are the number of filters: {row.name} has {layer.filters}"
                )
    if isinstance(layer, _POOLING) and len(given) == 3:
        if given[:2] == tuple(in_shape[1:3]) and given[:2] != per_image[:2]:
            hints.append(
                f"pooling shrinks the maps: a {_size(_pair(layer.pool_size))} window with "
                f"stride {_pair(layer.strides)[0]} halves each side, "
                f"{_size(in_shape[1:3])} -> {_size(per_image[:2])}"
            )
        if given[2] != per_image[2]:
            hints.append(
                f"pooling works on each channel separately and keeps their number, {per_image[2]}"
            )
    if isinstance(layer, keras.layers.Dense) and len(given) == 1 and given[0] != per_image[0]:
        if given[0] == in_shape[-1]:
            hints.append(f"{given[0]} is the number of inputs; the output has one per unit")
        else:
            hints.append(f"{row.name} has {layer.units} units, one output each")
    return list(dict.fromkeys(hints))


# --------------------------------------------------------------------------------------------
# check_same_function
# --------------------------------------------------------------------------------------------


def _as_images(images: object) -> tuple[np.ndarray, str | None]:
    try:
        array = np.asarray(images, dtype="float32")
    except (TypeError, ValueError):
        raise TypeError(
            "check_same_function: images must be an array of images, e.g. "
            f"fashion.x_test[:100]; got {type(images).__name__}: {_short_repr(images)}."
        ) from None
    if array.shape == INPUT_SHAPE[:2]:
        return array.reshape(1, *INPUT_SHAPE), "one 28x28 image: given a batch and channel axis"
    if array.shape == INPUT_SHAPE:
        return array[None], "one image: given a batch axis"
    if array.ndim == 3:
        return array[..., None], "images without a channel axis: given one"
    return array, None


def _predict(model: keras.Model, images: np.ndarray) -> np.ndarray:
    outputs = [
        keras.ops.convert_to_numpy(model(images[start : start + 512], training=False))
        for start in range(0, len(images), 512)
    ]
    return np.concatenate(outputs)


def check_same_function(
    model_a: keras.Model,
    model_b: keras.Model,
    images: np.ndarray,
    *,
    atol: float = 1e-6,
) -> CheckResult:
    """Check that two models compute the same function once they hold the same weights.

    The weights of ``model_a`` are copied into ``model_b`` (when every weight has the same
    shape in both; otherwise the result lists the first weights that do not fit), both models
    predict ``images`` (in inference mode, so Dropout does nothing), and the largest absolute
    difference between their outputs is compared with ``atol``.

    ``model_a`` is never modified. ``model_b`` gets its own weights back afterwards, even if a
    prediction fails, so neither model's training is lost. A model that is not built yet is
    built by calling it on the images (which creates its weights).

    Args:
        model_a: the model whose weights are used, e.g. a Sequential LeNet-5.
        model_b: the model to compare with it, e.g. your subclassed LeNet-5.
        images: a batch of images, shape (N, 28, 28, 1); (N, 28, 28) or a single image are
            given the missing axes.
        atol: the largest absolute difference between outputs that counts as equal.

    Returns:
        A :class:`CheckResult` that passes when the outputs agree within ``atol``.

    Raises:
        TypeError: if a model is not a Keras model or ``images`` is not numeric.

    Example:
        >>> check_same_function(build_sequential(), my_model, images)  # doctest: +SKIP
        ✗ the weights of model_a do not fit model_b
          ✗ weight 4: model_a's 'lenet5_sequential/fc1/kernel' has shape (400, 120), ...
    """
    _require_model(model_a, "model_a", "check_same_function")
    _require_model(model_b, "model_b", "check_same_function")
    x, reshaped = _as_images(images)
    report = _Report()
    if reshaped:
        report.note(f"images: {reshaped}, shape {x.shape}")
    if len(x) == 0:
        report.bad("there are no images to compare the models on")
        return report.result("", "nothing to compare")
    if model_a is model_b:
        report.note("model_a and model_b are the same model")
    for argument, model in (("model_a", model_a), ("model_b", model_b)):
        if not model.built:
            try:
                model(x[:1], training=False)
            except Exception as error:  # reported, not raised
                report.bad(f"{argument} cannot process the images: {_first_line(error)}")
                return report.result("", f"{argument} cannot process the images")
            report.note(
                f"{argument} was not built yet, so it was built by calling it on the images"
            )

    variables_a, variables_b = model_a.weights, model_b.weights
    mismatched = [
        (i, va, vb)
        for i, (va, vb) in enumerate(zip(variables_a, variables_b, strict=False))
        if tuple(va.shape) != tuple(vb.shape)
    ]
    if mismatched or len(variables_a) != len(variables_b):
        if len(variables_a) != len(variables_b):
            report.bad(
                f"model_a has {len(variables_a)} weight arrays, model_b has {len(variables_b)}"
            )
        for i, va, vb in mismatched[:3]:
            report.bad(
                f"weight {i}: model_a's {va.path!r} has shape {tuple(va.shape)}, model_b's "
                f"{vb.path!r} has shape {tuple(vb.shape)}"
            )
        if len(mismatched) > 3:
            report.note(f"... and {len(mismatched) - 3} more weights of different shapes")
        count_a, count_b = model_a.count_params(), model_b.count_params()
        if count_a != count_b:
            report.note(f"model_a has {count_a:,} parameters, model_b {count_b:,}")
        report.note("different weight shapes mean different architectures: try check_architecture")
        return report.result("", "the weights of model_a do not fit model_b")

    original_b = model_b.get_weights()
    try:
        model_b.set_weights(model_a.get_weights())
        outputs = []
        for argument, model in (("model_a", model_a), ("model_b", model_b)):
            try:
                outputs.append(_predict(model, x))
            except Exception as error:  # reported, not raised
                report.bad(f"{argument} cannot process the images: {_first_line(error)}")
                return report.result("", f"{argument} cannot process the images")
    finally:
        model_b.set_weights(original_b)
    report.note(
        f"copied model_a's {len(variables_a)} weight arrays into model_b "
        "(model_b's own weights are restored afterwards)"
    )
    out_a, out_b = outputs
    if out_a.shape != out_b.shape:
        report.bad(f"the outputs have different shapes: {out_a.shape} and {out_b.shape}")
        return report.result("", "the models compute different functions")
    difference = float(np.max(np.abs(out_a - out_b))) if out_a.size else 0.0
    n = len(x)
    if math.isnan(difference):
        report.bad("some outputs are NaN, so they cannot be compared")
        return report.result("", "the models compute different functions")
    if difference <= atol:
        report.ok(f"largest difference between the outputs: {difference:.2g} (atol {atol:g})")
        title = f"the two models compute the same function on {n} image{'s' * (n != 1)}"
        return report.result(title, "")
    report.bad(f"largest difference between the outputs: {difference:.3g} > atol {atol:g}")
    if out_a.ndim == 2 and out_a.shape[1] > 1:
        agree = int(np.sum(out_a.argmax(axis=1) == out_b.argmax(axis=1)))
        report.note(f"the predicted classes agree on {agree} of {n} images")
    return report.result("", "the models compute different functions with the same weights")
