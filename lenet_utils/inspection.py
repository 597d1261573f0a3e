"""Look inside a model: output shapes layer by layer, and where every parameter comes from.

:func:`walk` follows a model's layers in the order it calls them (Sequential, Functional and
subclassed models alike; nested models opened up), asking each layer for its output shape;
:func:`shape_trace`, :func:`layer_table` and the self-checks are that one walk. The parameter
counts are Keras' own (``layer.count_params()``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import keras
import numpy as np

from .models import INPUT_SHAPE

__all__ = [
    "LayerRow",
    "call_order",
    "format_table",
    "layer_table",
    "most_confident_errors",
    "require_model",
    "shape_trace",
    "walk",
]

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class LayerRow:
    """One layer of a table: its name, type, output shape, parameters and their arithmetic."""

    name: str
    kind: str
    output_shape: Shape
    params: int
    formula: str


def require_model(obj: object, function: str, argument: str = "model") -> keras.Model:
    """``obj`` if it is a Keras model, else a TypeError that says what to pass instead."""
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
        text = repr(obj)
        hint = f"got {type(obj).__name__}: {text if len(text) <= 60 else text[:57] + '...'}"
    raise TypeError(f"{function}: {argument} must be a Keras model; {hint}.")


def call_order(model: keras.Model, input_shape: tuple[int, ...] = INPUT_SHAPE) -> list:
    """The model's layers in the order its ``call`` uses them, nested models opened up.

    A subclassed model lists its layers in the order ``__init__`` created them, which need not
    be the order ``call`` uses them: the model is called once on ``keras.Input``, and the graph
    of that call gives the order. A model that cannot be called so keeps ``model.layers``.
    """
    inputs = keras.Input(shape=input_shape)
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
            inner = getattr(layer, "inputs", None)  # a nested model's own input shape
            flat += call_order(layer, tuple(inner[0].shape[1:]) if inner else input_shape)
        elif not isinstance(layer, keras.layers.InputLayer):
            flat.append(layer)
    return flat


def walk(
    model: keras.Model, input_shape: tuple[int, ...] = INPUT_SHAPE
) -> Iterator[tuple[keras.layers.Layer, Shape, Shape]]:
    """``(layer, input shape, output shape)`` for each layer in call order, batch axis ``None``.

    Raises ValueError naming the first layer that cannot take its input (the layers do not form
    one chain, or ``input_shape`` is not the shape of one image).
    """
    shape: Shape = (None, *input_shape)
    for layer in call_order(model, input_shape):
        try:
            out = tuple(layer.compute_output_shape(shape))
        except Exception as error:
            raise ValueError(
                f"{model.name}: layer {layer.name!r} cannot take an input of shape {shape} "
                f"({type(error).__name__}: {error}). Is input_shape {input_shape} the shape "
                "of one image?"
            ) from error
        yield layer, shape, out
        shape = out


def _formula(layer: keras.layers.Layer, input_shape: Shape) -> str:
    """The arithmetic behind a layer's parameter count, e.g. ``6 x (5 x 5 x 1 + 1)``."""
    bias = " + 1" if getattr(layer, "use_bias", False) else ""
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        return f"{layer.filters} x ({kh} x {kw} x {input_shape[-1]}{bias})"
    if isinstance(layer, keras.layers.Dense):
        return f"{layer.units} x ({input_shape[-1]}{bias})"
    if layer.count_params() == 0:
        return "0 (no weights)"
    return f"{layer.count_params()} (see the layer's weights)"


def shape_trace(
    model: keras.Model, input_shape: tuple[int, ...] = INPUT_SHAPE
) -> list[tuple[str, Shape]]:
    """Output shape after every layer, for one batch axis ``None``, starting with the input.

    Needs no data, and works for a subclassed model whose ``summary()`` cannot show shapes.
    """
    require_model(model, "shape_trace")
    trace: list[tuple[str, Shape]] = [("input", (None, *input_shape))]
    trace += [(layer.name, out) for layer, _, out in walk(model, input_shape)]
    return trace


def layer_table(model: keras.Model, input_shape: tuple[int, ...] = INPUT_SHAPE) -> list[LayerRow]:
    """One :class:`LayerRow` per layer: output shape, parameter count and its arithmetic.

    The model must be built (called once, or built from ``keras.Input``) so that its layers
    hold their weights.
    """
    require_model(model, "layer_table")
    if not model.built:
        raise ValueError(
            "The model is not built, so its layers have no weights yet. Call it once on "
            "keras.Input(shape=(28, 28, 1)) or on a batch of images, then ask again."
        )
    return [
        LayerRow(
            layer.name, type(layer).__name__, out, layer.count_params(), _formula(layer, shape)
        )
        for layer, shape, out in walk(model, input_shape)
    ]


def format_table(rows: list[LayerRow]) -> str:
    """A plain-text table of :func:`layer_table` rows with a total line."""
    if not isinstance(rows, list) or not all(isinstance(r, LayerRow) for r in rows):
        raise TypeError(
            f"format_table needs the list that layer_table returns, got {type(rows).__name__}. "
            "Call format_table(lenet_utils.layer_table(model))."
        )
    header = ("Layer", "Type", "Output shape", "Params", "Arithmetic")
    body = [(r.name, r.kind, str(r.output_shape), f"{r.params:,}", r.formula) for r in rows]
    total = sum(r.params for r in rows)
    footer = ("Total", "", "", f"{total:,}", "")
    widths = [max(len(line[i]) for line in [header, *body, footer]) for i in range(len(header))]

    def fmt(line: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(w) if i == 3 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * len(fmt(header))
    return "\n".join([fmt(header), rule, *map(fmt, body), rule, fmt(footer)])


def most_confident_errors(probabilities: np.ndarray, labels: np.ndarray, k: int = 16) -> np.ndarray:
    """Indices of the ``k`` wrong predictions made with the highest predicted probability.

    ``probabilities`` has shape (N, classes), as ``model.predict`` returns it; ``labels`` has
    shape (N,). Ties are broken by index, so the result is reproducible.
    """
    probabilities = keras.ops.convert_to_numpy(probabilities)
    labels = np.asarray(labels)
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise ValueError(
            f"probabilities must have shape (N, classes) and labels shape (N,), got "
            f"{probabilities.shape} and {labels.shape}. Pass model.predict(x) and the labels of x."
        )
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive whole number, got {k!r}.")
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    order = np.lexsort((wrong, -confidence))
    return wrong[order[:k]]
