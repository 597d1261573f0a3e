"""lenet_utils.plotting: every figure is checked through the artists it holds."""

from __future__ import annotations

import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import same_color
from matplotlib.figure import Figure

from lenet_utils import data, models, plotting

matplotlib.use("Agg")

HISTORY = {
    "loss": [2.0, 1.0, 0.7],
    "accuracy": [0.3, 0.6, 0.75],
    "val_loss": [1.5, 0.9, 0.8],
    "val_accuracy": [0.45, 0.65, 0.7],
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _legend_labels(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [text.get_text() for text in legend.get_texts()]


def test_plot_history_labels():
    fig = plotting.plot_history(HISTORY)
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes
    assert _legend_labels(loss_ax) == ["training loss", "validation loss"]
    assert _legend_labels(acc_ax) == ["training accuracy", "validation accuracy"]
    # the original notebook labelled the accuracy curves "loss": never again
    for label in _legend_labels(acc_ax):
        assert "accuracy" in label
        assert "loss" not in label
    assert "accuracy" in acc_ax.get_ylabel().lower()
    assert "loss" in loss_ax.get_ylabel().lower()


def test_plot_history_data_and_styles():
    fig = plotting.plot_history(HISTORY, title="A run")
    loss_ax, acc_ax = fig.axes
    for ax, metric in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        train, val = ax.get_lines()
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(train.get_ydata(), HISTORY[metric])
        np.testing.assert_array_equal(val.get_ydata(), HISTORY[f"val_{metric}"])
        assert train.get_linestyle() == "-"
        assert val.get_linestyle() == "--"
    assert fig._suptitle is not None and fig._suptitle.get_text() == "A run"


def test_plot_history_accepts_keras_history():
    history = keras.callbacks.History()
    history.history = dict(HISTORY)
    fig = plotting.plot_history(history)
    assert _legend_labels(fig.axes[1]) == ["training accuracy", "validation accuracy"]


def test_plot_history_without_validation():
    fig = plotting.plot_history({"loss": [1.0, 0.5], "accuracy": [0.5, 0.8]})
    assert _legend_labels(fig.axes[0]) == ["training loss"]
    assert _legend_labels(fig.axes[1]) == ["training accuracy"]


def test_plot_history_comparison():
    other = {key: [v * 0.9 for v in values] for key, values in HISTORY.items()}
    fig = plotting.plot_history({"sigmoid": HISTORY, "relu": other})
    loss_ax, acc_ax = fig.axes
    for ax in (loss_ax, acc_ax):
        assert len(ax.get_lines()) == 4
    assert _legend_labels(loss_ax) == [
        "sigmoid: training loss",
        "sigmoid: validation loss",
        "relu: training loss",
        "relu: validation loss",
    ]
    assert _legend_labels(acc_ax) == [
        "sigmoid: training accuracy",
        "sigmoid: validation accuracy",
        "relu: training accuracy",
        "relu: validation accuracy",
    ]
    # one colour per run, shared by its training and validation curves
    lines = loss_ax.get_lines()
    assert same_color(lines[0].get_color(), lines[1].get_color())
    assert not same_color(lines[0].get_color(), lines[2].get_color())


def _image_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.images]


def test_plot_images_titles_are_class_names(fashion):
    labels = fashion.y_test[:10]
    fig = plotting.plot_images(fashion.x_test[:10], labels, data.CLASS_NAMES, ncols=5)
    assert isinstance(fig, Figure)
    axes = _image_axes(fig)
    assert len(axes) == 10
    assert [ax.get_title() for ax in axes] == [data.CLASS_NAMES[int(y)] for y in labels]
    np.testing.assert_array_equal(axes[3].images[0].get_array(), fashion.x_test[3, ..., 0])


def test_plot_images_grid_with_empty_cells(fashion):
    fig = plotting.plot_images(fashion.x_test[:5], fashion.y_test[:5], data.CLASS_NAMES, ncols=4)
    assert len(fig.axes) == 8  # two rows of four, the last three empty
    assert len(_image_axes(fig)) == 5


def test_plot_images_wrong_predictions_are_red():
    images = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    labels = [0, 1, 2, 3]
    predictions = [0, 5, 2, 9]
    fig = plotting.plot_images(images, labels, data.CLASS_NAMES, predictions=predictions)
    axes = _image_axes(fig)
    assert len(axes) == 4
    for ax, y, p in zip(axes, labels, predictions, strict=True):
        title = ax.title
        assert data.CLASS_NAMES[p] in title.get_text()
        assert data.CLASS_NAMES[y] in title.get_text()
        assert same_color(title.get_color(), "tab:red") == (y != p)
    assert axes[1].get_title() == "Sandal\n(Trouser)"


def test_plot_images_with_confidences():
    images = np.zeros((2, 28, 28))
    fig = plotting.plot_images(
        images, [0, 1], data.CLASS_NAMES, predictions=[0, 0], confidences=[0.97, 0.51]
    )
    titles = [ax.get_title() for ax in _image_axes(fig)]
    assert titles == ["T-shirt/top 97%\n(true: T-shirt/top)", "T-shirt/top 51%\n(true: Trouser)"]


def test_plot_images_rejects_empty():
    with pytest.raises(ValueError, match="at least one image"):
        plotting.plot_images(np.zeros((0, 28, 28)), [], data.CLASS_NAMES)


def test_plot_confusion_matrix():
    y_true = [0, 0, 1, 1, 1, 2, 2, 2, 2, 0]
    y_pred = [0, 1, 1, 1, 2, 2, 2, 0, 2, 0]
    names = ["a", "b", "c"]
    fig = plotting.plot_confusion_matrix(y_true, y_pred, names)
    ax = fig.axes[0]
    matrix = np.asarray(ax.images[0].get_array())
    expected = np.array([[2, 1, 0], [0, 2, 1], [1, 0, 3]])
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.sum() == len(y_true)
    np.testing.assert_array_equal(np.diag(matrix), [2, 2, 3])
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert ax.get_ylabel() == "True class"
    assert ax.get_xlabel() == "Predicted class"
    cell_texts = {(t.get_position(), t.get_text()) for t in ax.texts}
    assert ((2, 2), "3") in cell_texts
    assert ((0, 2), "1") in cell_texts  # row 2 (true c), column 0 (predicted a)


def test_plot_confusion_matrix_ten_classes(fashion):
    y_true = fashion.y_test[:500]
    y_pred = np.roll(y_true, 1)
    fig = plotting.plot_confusion_matrix(y_true, y_pred, data.CLASS_NAMES)
    matrix = np.asarray(fig.axes[0].images[0].get_array())
    assert matrix.shape == (10, 10)
    assert matrix.sum() == 500
    assert np.trace(matrix) == int(np.sum(y_true == y_pred))


@pytest.mark.parametrize("api", ["sequential", "functional", "subclassed"])
def test_plot_architecture(api):
    model = models.build(api)
    fig = plotting.plot_architecture(model)
    assert isinstance(fig, Figure)
    texts = "\n".join(text.get_text() for ax in fig.axes for text in ax.texts)
    for name in ["input", "conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "fc3"]:
        assert name in texts
    assert "61,706" in texts
    assert "48,120 params" in texts
    assert "28 x 28 x 6" in texts
