"""Look inside a model: output shapes layer by layer, and where every parameter comes from.

Works the same for the three APIs: the layers of LeNet-5 form one chain, so each function
walks ``model.layers`` in order (skipping a Functional model's ``InputLayer``).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from .models import INPUT_SHAPE

__all__ = ["LayerRow", "format_table", "layer_table", "most_confident_errors", "shape_trace"]


@dataclass(frozen=True)
class LayerRow:
    """One layer of a table: its name, type, output shape, parameters and their arithmetic."""

    name: str
    kind: str
    output_shape: tuple[int | None, ...]
    params: int
    formula: str


def _chain(model: keras.Model) -> list[keras.layers.Layer]:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _formula(layer: keras.layers.Layer, input_shape: tuple[int | None, ...]) -> str:
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
) -> list[tuple[str, tuple[int | None, ...]]]:
    """Output shape after every layer, for one batch dimension ``None``.

    Computed with :meth:`keras.layers.Layer.compute_output_shape`, so it needs no data and
    works for a subclassed model whose ``summary()`` cannot show the shapes.
    """
    shape: tuple[int | None, ...] = (None, *input_shape)
    trace = [("input", shape)]
    for layer in _chain(model):
        shape = tuple(layer.compute_output_shape(shape))
        trace.append((layer.name, shape))
    return trace


def layer_table(model: keras.Model, input_shape: tuple[int, ...] = INPUT_SHAPE) -> list[LayerRow]:
    """One :class:`LayerRow` per layer: output shape, parameter count and its arithmetic.

    The model must be built (called once, or built from ``keras.Input``) so that its layers
    hold their weights.
    """
    if not model.built:
        raise ValueError(
            "The model is not built, so its layers have no weights yet. Call it once on "
            "keras.Input(shape=(28, 28, 1)) or on a batch of images, then ask again."
        )
    rows = []
    shape: tuple[int | None, ...] = (None, *input_shape)
    for layer in _chain(model):
        out = tuple(layer.compute_output_shape(shape))
        rows.append(
            LayerRow(
                name=layer.name,
                kind=type(layer).__name__,
                output_shape=out,
                params=int(sum(np.prod(w.shape) for w in layer.weights)),
                formula=_formula(layer, shape),
            )
        )
        shape = out
    return rows


def format_table(rows: list[LayerRow]) -> str:
    """A plain-text table of :func:`layer_table` rows with a total line."""
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
    probabilities = np.asarray(probabilities)
    labels = np.asarray(labels)
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise ValueError(
            f"probabilities must have shape (N, classes) and labels shape (N,), got "
            f"{probabilities.shape} and {labels.shape}."
        )
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    order = np.lexsort((wrong, -confidence))
    return wrong[order[:k]]
