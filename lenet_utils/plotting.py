"""Figures of the course: training curves, image grids, a confusion matrix, the architecture.

Every function returns a :class:`matplotlib.figure.Figure` (tests inspect it; a notebook shows
it as the cell's result) and never calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from .inspection import layer_table

__all__ = ["plot_architecture", "plot_confusion_matrix", "plot_history", "plot_images"]

HistoryLike = keras.callbacks.History | Mapping[str, Sequence[float]]


def _as_dict(history: HistoryLike) -> Mapping[str, Sequence[float]]:
    return history.history if isinstance(history, keras.callbacks.History) else history


def plot_history(
    history: HistoryLike | Mapping[str, HistoryLike], title: str | None = None
) -> Figure:
    """Loss and accuracy per epoch, training (solid) and validation (dashed).

    ``history`` is a Keras ``History`` (or its ``.history`` dict), or a mapping from a run's
    name to one, to compare runs on the same axes.
    """
    runs: Mapping[str, HistoryLike]
    if isinstance(history, keras.callbacks.History) or "loss" in history:
        runs = {"": history}
    else:
        runs = history  # type: ignore[assignment]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (name, run), color in zip(runs.items(), colors, strict=False):
        h = _as_dict(run)
        prefix = f"{name}: " if name else ""
        for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
            epochs = np.arange(1, len(h[metric]) + 1)
            ax.plot(epochs, h[metric], "-", color=color, label=f"{prefix}training {metric}")
            if f"val_{metric}" in h:
                ax.plot(
                    epochs,
                    h[f"val_{metric}"],
                    "--",
                    color=color,
                    label=f"{prefix}validation {metric}",
                )
    for ax, metric in zip(axes, ("Loss", "Accuracy"), strict=True):
        ax.set_xlabel("Epoch")
        ax.set_ylabel(metric)
        ax.set_title(f"{metric} per epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def plot_images(
    images: np.ndarray,
    labels: Sequence[int],
    class_names: Sequence[str],
    *,
    predictions: Sequence[int] | None = None,
    confidences: Sequence[float] | None = None,
    ncols: int = 8,
    title: str | None = None,
) -> Figure:
    """A grid of images, each titled with its class name.

    With ``predictions``, titles read ``predicted (true)`` and wrong ones are red; with
    ``confidences`` too, the predicted probability is added.
    """
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    n = len(images)
    if n == 0:
        raise ValueError("plot_images needs at least one image.")
    nrows = int(np.ceil(n / ncols))
    ncols = min(ncols, n)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(1.5 * ncols, 1.75 * nrows), layout="constrained", squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=float(max(images.max(), 1.0)))
        true = class_names[int(labels[i])]
        if predictions is None:
            ax.set_title(true, fontsize=8)
            continue
        guess = class_names[int(predictions[i])]
        text = f"{guess}\n({true})"
        if confidences is not None:
            text = f"{guess} {confidences[i]:.0%}\n(true: {true})"
        color = "black" if int(predictions[i]) == int(labels[i]) else "tab:red"
        ax.set_title(text, fontsize=7, color=color)
    if title:
        fig.suptitle(title)
    return fig


def plot_confusion_matrix(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    class_names: Sequence[str],
    title: str | None = None,
) -> Figure:
    """Counts of true class (rows) against predicted class (columns)."""
    k = len(class_names)
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
    im = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(im, ax=ax, shrink=0.8, label="test images")
    ax.set_xticks(range(k), class_names, rotation=45, ha="right")
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    threshold = matrix.max() / 2
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                matrix[i, j],
                ha="center",
                va="center",
                fontsize=7,
                color="white" if matrix[i, j] > threshold else "black",
            )
    ax.set_title(title or "Confusion matrix on the test set")
    return fig


_COLORS = {
    "Input": "#dddddd",
    "Conv2D": "#8ecae6",
    "AveragePooling2D": "#ffb703",
    "MaxPooling2D": "#ffb703",
    "Flatten": "#cccccc",
    "Dense": "#90be6d",
    "BatchNormalization": "#f4a6c1",
    "Dropout": "#e5e5e5",
}


def plot_architecture(model: keras.Model, title: str | None = None) -> Figure:
    """A block diagram of a chain of layers, drawn from the model itself.

    Each block shows the layer's name, type, output shape and parameter count, so the figure
    cannot drift from the code that defines the network.
    """
    rows = layer_table(model)
    input_shape = tuple(model.inputs[0].shape) if getattr(model, "inputs", None) else None
    blocks = [("input", "Input", input_shape or (None, 28, 28, 1), 0)]
    blocks += [(r.name, r.kind, r.output_shape, r.params) for r in rows]
    n = len(blocks)
    fig, ax = plt.subplots(figsize=(max(10, 1.45 * n), 3.2), layout="constrained")
    ax.set_xlim(-0.1, n - 0.25)
    ax.set_ylim(-0.1, 1.15)
    ax.axis("off")
    for i, (name, kind, shape, params) in enumerate(blocks):
        box = FancyBboxPatch(
            (i, 0.2),
            0.78,
            0.7,
            boxstyle="round,pad=0.02",
            facecolor=_COLORS.get(kind, "#eeeeee"),
            edgecolor="#333333",
        )
        ax.add_patch(box)
        dims = " x ".join(str(d) for d in shape[1:])
        label = f"{name}\n{kind}\n\n{dims}"
        if params:
            label += f"\n{params:,} params"
        ax.text(i + 0.39, 0.55, label, ha="center", va="center", fontsize=7.5)
        if i < n - 1:
            ax.annotate(
                "",
                xy=(i + 1.0, 0.55),
                xytext=(i + 0.8, 0.55),
                arrowprops={"arrowstyle": "->", "color": "#333333"},
            )
    total = sum(r.params for r in rows)
    ax.text(0, 1.05, title or f"{model.name}: {total:,} parameters", fontsize=10, fontweight="bold")
    return fig
