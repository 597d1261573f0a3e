"""Figures of the course: training curves, image grids, a confusion matrix, the architecture.

Every function returns a :class:`matplotlib.figure.Figure` (tests inspect it; a notebook shows
it as the cell's result) and never calls ``plt.show()``.

Readable in the book
--------------------
The book shows a notebook's figure at its stored size, or shrunk to the width of the page when
it is wider: a notebook output is :data:`PAGE_WIDTH_PX` (666) pixels wide on a desktop, and
the book's body text is :data:`BODY_TEXT_PX` (16) pixels. A notebook stores a figure at
:data:`NOTEBOOK_DPI` (100) pixels per inch, so a figure up to :data:`PAGE_WIDTH_IN` (6.66)
inches wide is shown at its own size, and a point of text is ``100 / 72`` pixels. Hence the
rule every figure of the course follows:

* **no text smaller than** :data:`MIN_FONT_PT` **(11.5 points), and no figure wider than
  6.66 inches**; or, for a wider figure, no text smaller than 1.73 points per inch of its
  width.

:data:`BOOK_STYLE` holds matplotlib settings that follow it (12-point text, figures 6.4 inches
wide); a chapter applies them to its own figures with
``plt.rcParams.update(lenet_utils.plotting.BOOK_STYLE)`` or
``with plt.rc_context(lenet_utils.plotting.BOOK_STYLE): ...``. The functions below apply
the style themselves (``tests/test_plotting.py`` measures every figure's smallest text).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .inspection import layer_table

__all__ = [
    "BODY_TEXT_PX",
    "BOOK_STYLE",
    "MIN_FONT_PT",
    "NOTEBOOK_DPI",
    "PAGE_WIDTH_IN",
    "PAGE_WIDTH_PX",
    "plot_architecture",
    "plot_confusion_matrix",
    "plot_history",
    "plot_images",
]

#: Width in pixels of a notebook output in the book's content column (a 1,280-pixel window,
#: the narrowest desktop layout, measured in Chromium): a wider figure is shrunk to it.
PAGE_WIDTH_PX = 666
#: Size in pixels of the book's body text (measured in Chromium).
BODY_TEXT_PX = 16
#: Pixels per inch at which a notebook stores a figure (matplotlib's ``figure.dpi``).
NOTEBOOK_DPI = 100
#: The widest figure, in inches, that the book shows at its own size.
PAGE_WIDTH_IN = PAGE_WIDTH_PX / NOTEBOOK_DPI
#: The smallest font, in points, that reads as large as the body text in a figure no wider
#: than :data:`PAGE_WIDTH_IN`: 16 px x 72 / 100 = 11.52 pt.
MIN_FONT_PT = BODY_TEXT_PX * 72 / NOTEBOOK_DPI

_FONT = 12.0  # every text of the course's figures, in points (>= MIN_FONT_PT)
_WIDTH = 6.4  # the course's figure width, in inches (<= PAGE_WIDTH_IN)

#: matplotlib settings under which a figure's text reads as large as the book's body text:
#: 12-point text everywhere and figures 6.4 inches wide (see the module's docstring).
BOOK_STYLE: dict[str, object] = {
    "figure.dpi": NOTEBOOK_DPI,
    "figure.figsize": (_WIDTH, 4.0),
    "font.size": _FONT,
    "axes.titlesize": _FONT,
    "axes.labelsize": _FONT,
    "xtick.labelsize": _FONT,
    "ytick.labelsize": _FONT,
    "legend.fontsize": _FONT,
    "legend.title_fontsize": _FONT,
    "figure.titlesize": 14.0,
    "figure.labelsize": _FONT,
}


@contextmanager
def _book_style() -> Iterator[None]:
    """``plt.rc_context(BOOK_STYLE)`` that leaves the notebook's figure display alone.

    Leaving ``rc_context`` restores every setting as it was on entry. In a fresh kernel that
    includes interactive mode off, from before the first figure made Jupyter's inline backend
    switch it on, so after that figure the notebook stops showing figures that are not a
    cell's last expression (matplotlib issue #24351). The mode the figure left is kept.
    """
    with plt.rc_context(BOOK_STYLE):
        yield
        interactive = matplotlib.is_interactive()
    matplotlib.interactive(interactive)


HistoryLike = keras.callbacks.History | Mapping[str, Sequence[float]]

_METRICS = ("loss", "accuracy")


def _as_dict(history: HistoryLike, what: str) -> Mapping[str, Sequence[float]]:
    """A run's ``{metric: values}``, or a ValueError that says what is missing and why."""
    if isinstance(history, keras.callbacks.History):
        history = history.history
    if not isinstance(history, Mapping):
        raise TypeError(
            f"plot_history expects {what} to be a Keras History (what model.fit returns) or "
            f"its .history dict, got {type(history).__name__}: pass the result of "
            "model.fit(...)."
        )
    missing = [metric for metric in _METRICS if metric not in history]
    if missing:
        raise ValueError(
            f"plot_history expects {what} to hold 'loss' and 'accuracy' per epoch, but "
            f"{missing} {'is' if len(missing) == 1 else 'are'} missing (keys: "
            f"{sorted(history)}): train with model.fit after compiling with "
            "metrics=['accuracy']."
        )
    for metric in _METRICS:
        if len(history[metric]) == 0:
            raise ValueError(
                f"plot_history expects at least one epoch in {what}, but its '{metric}' is "
                "empty: train the model with model.fit(..., epochs=1 or more) first."
            )
    return history


def plot_history(
    history: HistoryLike | Mapping[str, HistoryLike], title: str | None = None
) -> Figure:
    """Loss (top) and accuracy (bottom) per epoch, training (solid) and validation (dashed).

    ``history`` is a Keras ``History`` (or its ``.history`` dict), or a mapping from a run's
    name to one, to compare runs on the same axes: each run has its colour, named in one
    legend under the two panels.
    """
    if isinstance(history, keras.callbacks.History) or (
        isinstance(history, Mapping) and any(metric in history for metric in _METRICS)
    ):
        runs = {"": _as_dict(history, "the history")}
    elif isinstance(history, Mapping):
        if not history:
            raise ValueError(
                "plot_history expects a History or a mapping from run names to Histories, "
                "got an empty mapping: pass what model.fit(...) returned."
            )
        runs = {str(name): _as_dict(run, f"run {name!r}") for name, run in history.items()}
    else:
        _as_dict(history, "the history")  # raises the TypeError that says what to pass
        raise AssertionError("unreachable")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    if len(runs) > len(colors):
        raise ValueError(
            f"plot_history can compare at most {len(colors)} runs on one figure, got "
            f"{len(runs)}: split them into several calls."
        )
    with_validation = any(f"val_{m}" in h for h in runs.values() for m in _METRICS)
    compare = len(runs) > 1
    with _book_style():
        legend_rows = math.ceil((len(runs) + 2 * with_validation) / 2) if compare else 0
        height = 6.2 + 0.3 * legend_rows
        fig, axes = plt.subplots(2, 1, figsize=(_WIDTH, height), layout="constrained")
        for (name, h), color in zip(runs.items(), colors, strict=False):
            prefix = f"{name}: " if name else ""
            for ax, metric in zip(axes, _METRICS, strict=True):
                epochs = np.arange(1, len(h[metric]) + 1)
                ax.plot(epochs, h[metric], "-", color=color, label=f"{prefix}training {metric}")
                if f"val_{metric}" in h:
                    ax.plot(
                        np.arange(1, len(h[f"val_{metric}"]) + 1),
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
            ax.xaxis.get_major_locator().set_params(integer=True)
            if not compare:
                ax.legend()
        if compare:
            # one legend for both panels: a colour per run, a line style per split
            handles = [
                Line2D([], [], color=color, label=name)
                for name, color in zip(runs, colors, strict=False)
            ]
            if with_validation:
                handles += [
                    Line2D([], [], color="#333333", linestyle="-", label="training"),
                    Line2D([], [], color="#333333", linestyle="--", label="validation"),
                ]
            fig.legend(handles=handles, loc="outside lower center", ncols=2)
        if title:
            fig.suptitle(title)
    return fig


def _text_width_in(fig: Figure, lines: Sequence[str], fontsize: float) -> float:
    """Width in inches of the widest of ``lines`` at ``fontsize``, as ``fig`` draws it."""
    renderer = fig.canvas.get_renderer()
    probe = fig.text(0, 0, "", fontsize=fontsize)
    widest = 0.0
    for line in lines:
        probe.set_text(line)
        widest = max(widest, probe.get_window_extent(renderer).width / fig.dpi)
    probe.remove()
    return widest


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
    ``confidences`` too, the predicted probability is added. ``ncols`` is the most columns:
    fewer are used where their titles would not fit the page at a readable size.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(
            "plot_images expects images of shape (n, height, width) or (n, height, width, 1), "
            f"got shape {images.shape}: pass a batch of grayscale images such as "
            "fashion.x_test[:10]."
        )
    n = len(images)
    if n == 0:
        raise ValueError(
            "plot_images needs at least one image, got none: check the selection that "
            "produced the batch (an empty mask or slice)."
        )
    if not isinstance(ncols, int | np.integer) or ncols < 1:
        raise ValueError(f"plot_images expects ncols to be a positive integer, got {ncols!r}.")
    k = len(class_names)

    def _indices(values, what: str) -> np.ndarray:
        array = np.asarray(values)
        if array.shape != (n,):
            raise ValueError(
                f"plot_images expects one {what} per image ({n}), got shape {array.shape}: "
                f"pass the {what} of the same images"
                + (", e.g. probabilities.argmax(axis=1)." if array.ndim == 2 else ".")
            )
        return _in_class_range(array, what, k, "plot_images")

    labels = _indices(labels, "labels")
    if predictions is not None:
        predictions = _indices(predictions, "predictions")
    if confidences is not None:
        if predictions is None:
            raise ValueError(
                "plot_images got confidences without predictions: pass predictions= too "
                "(the class each confidence belongs to)."
            )
        confidences = np.asarray(confidences, dtype=float)
        if confidences.shape != (n,):
            raise ValueError(
                f"plot_images expects one confidence per image ({n}), got shape "
                f"{confidences.shape}: pass probabilities[i, predictions[i]] for each image."
            )

    titles, colors = [], []
    for i in range(n):
        true = class_names[int(labels[i])]
        if predictions is None:
            titles.append(true)
            colors.append("black")
            continue
        guess = class_names[int(predictions[i])]
        text = f"{guess}\n({true})"
        if confidences is not None:
            text = f"{guess} {confidences[i]:.0%}\n(true: {true})"
        titles.append(text)
        colors.append("black" if int(predictions[i]) == int(labels[i]) else "tab:red")

    with _book_style():
        probe = plt.figure()
        text_w = _text_width_in(probe, [line for t in titles for line in t.split("\n")], _FONT)
        plt.close(probe)
        cell_w = max(1.0, text_w + 0.15)
        fit = max(1, int(PAGE_WIDTH_IN // cell_w))
        cols = min(ncols, n, fit)
        rows = math.ceil(n / cols)
        if cols < min(ncols, n):  # fewer columns than asked: balance the rows (5 + 5, not 6 + 4)
            cols = math.ceil(n / rows)
        lines = max(t.count("\n") + 1 for t in titles)
        image_h = min(cell_w, 1.25)
        height = rows * (image_h + 0.25 * lines + 0.1) + (0.4 if title else 0)
        fig, axes = plt.subplots(
            rows, cols, figsize=(cols * cell_w, height), layout="constrained", squeeze=False
        )
        vmax = float(max(images.max(), 1.0))
        for i, ax in enumerate(axes.flat):
            ax.axis("off")
            if i >= n:
                continue
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=vmax)
            ax.set_title(titles[i], color=colors[i], fontsize=_FONT)
        if title:
            fig.suptitle(title)
    return fig


def _class_indices(values, what: str, k: int) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 2:
        raise ValueError(
            f"plot_confusion_matrix expects {what} as one class index per image, got shape "
            f"{array.shape}: pass probabilities.argmax(axis=1) instead of the probabilities."
        )
    if array.ndim != 1 or len(array) == 0:
        raise ValueError(
            f"plot_confusion_matrix expects {what} as a non-empty 1-D sequence of class "
            f"indices, got shape {array.shape}: pass one label per test image."
        )
    return _in_class_range(array, what, k, "plot_confusion_matrix")


def _in_class_range(array: np.ndarray, what: str, k: int, caller: str) -> np.ndarray:
    """``array`` if it holds integer class indices from 0 to ``k - 1``; else a clear error."""
    if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() >= k:
        raise ValueError(
            f"{caller} expects {what} to be class indices from 0 to {k - 1}, got "
            f"values from {array.min()} to {array.max()} ({array.dtype}): pass integer "
            "class indices, one per image."
        )
    return array


def plot_confusion_matrix(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    class_names: Sequence[str],
    title: str | None = None,
) -> Figure:
    """Counts of true class (rows) against predicted class (columns)."""
    k = len(class_names)
    if k == 0:
        raise ValueError(
            "plot_confusion_matrix expects the class names, got none: pass fashion.class_names."
        )
    y_true = _class_indices(y_true, "y_true", k)
    y_pred = _class_indices(y_pred, "y_pred", k)
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"plot_confusion_matrix expects as many predictions as labels, got {len(y_true)} "
            f"labels and {len(y_pred)} predictions: predict the same images you label."
        )
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)
    with _book_style():
        fig, ax = plt.subplots(figsize=(_WIDTH, 6.0), layout="constrained")
        im = ax.imshow(matrix, cmap="Blues")
        fig.colorbar(im, ax=ax, shrink=0.8, label="test images")
        ax.set_xticks(range(k), class_names, rotation=45, ha="right")
        ax.set_yticks(range(k), class_names)
        ax.set_xlabel("Predicted class")
        ax.set_ylabel("True class")
        threshold = matrix.max() / 2
        # counts of 1,000 and more are written "1.2k" so that they fit their cell at 12 pt
        for i in range(k):
            for j in range(k):
                count = matrix[i, j]
                ax.text(
                    j,
                    i,
                    f"{count / 1000:.1f}k" if count >= 1000 and k > 5 else str(count),
                    ha="center",
                    va="center",
                    fontsize=_FONT,
                    color="white" if count > threshold else "black",
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
    """A block diagram of a chain of layers, drawn from the model itself, from top to bottom.

    Each block shows the layer's name and type, its output shape and its parameter count, so
    the figure cannot drift from the code that defines the network.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"plot_architecture expects a Keras model, got {type(model).__name__}: pass the "
            "model itself, e.g. lenet_utils.build_sequential()."
        )
    rows = layer_table(model)  # a ValueError that says what to do if the model is unbuilt
    input_shape = tuple(model.inputs[0].shape) if getattr(model, "inputs", None) else None
    blocks = [("input", "Input", input_shape or (None, 28, 28, 1), 0)]
    blocks += [(r.name, r.kind, r.output_shape, r.params) for r in rows]
    labels = [f"{name} ({kind})" for name, kind, _, _ in blocks]
    shapes = [" x ".join(str(d) for d in shape[1:]) for _, _, shape, _ in blocks]
    params = [f"{p:,} params" if p else "no weights" for *_, p in blocks]
    total = sum(r.params for r in rows)
    heading = title or f"{model.name}: {total:,} parameters"

    with _book_style():
        fig = plt.figure()
        w_label = _text_width_in(fig, labels, _FONT)
        w_shape = _text_width_in(fig, shapes, _FONT)
        w_params = _text_width_in(fig, params, _FONT)
        pad, gap = 0.15, 0.3  # inside a block; between its columns
        one_line = pad + w_label + gap + w_shape + gap + w_params + pad
        two_lines = one_line > PAGE_WIDTH_IN - 0.2
        if two_lines:  # name and type above, shape and parameters below
            width = pad + max(w_label, w_shape + gap + w_params) + pad
            block_h = 0.62
        else:
            width = one_line
            block_h = 0.38
        width = max(width, _text_width_in(fig, [heading], 13.0) + 0.1)
        arrow_h, title_h = 0.26, 0.42
        height = title_h + len(blocks) * block_h + (len(blocks) - 1) * arrow_h
        fig.set_size_inches(width, height)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)  # one unit is one inch: nothing is clipped, nothing left over
        ax.set_ylim(0, height)
        ax.axis("off")
        ax.text(0, height - 0.05, heading, fontsize=13.0, fontweight="bold", va="top")
        top = height - title_h
        for i, (_, kind, _, _) in enumerate(blocks):
            y = top - i * (block_h + arrow_h)  # top edge of this block
            ax.add_patch(
                FancyBboxPatch(
                    (0.03, y - block_h + 0.02),
                    width - 0.06,
                    block_h - 0.04,
                    boxstyle="round,pad=0,rounding_size=0.06",
                    facecolor=_COLORS.get(kind, "#eeeeee"),
                    edgecolor="#333333",
                )
            )
            if two_lines:
                first, second = y - block_h * 0.3, y - block_h * 0.72
                ax.text(pad, first, labels[i], va="center", fontsize=_FONT)
                ax.text(pad, second, shapes[i], va="center", fontsize=_FONT)
                ax.text(width - pad, second, params[i], va="center", ha="right", fontsize=_FONT)
            else:
                middle = y - block_h / 2
                ax.text(pad, middle, labels[i], va="center", fontsize=_FONT)
                x_shape = pad + w_label + gap
                ax.text(x_shape, middle, shapes[i], va="center", fontsize=_FONT)
                ax.text(width - pad, middle, params[i], va="center", ha="right", fontsize=_FONT)
            if i < len(blocks) - 1:
                ax.add_patch(
                    FancyArrowPatch(
                        (width / 2, y - block_h),
                        (width / 2, y - block_h - arrow_h),
                        arrowstyle="-|>",
                        mutation_scale=14,
                        color="#333333",
                        shrinkA=0,
                        shrinkB=0,
                    )
                )
    return fig
