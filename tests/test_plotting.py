"""lenet_utils.plotting: every figure is checked through the artists it holds."""

from __future__ import annotations

import io
import math

import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import same_color
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Text
from PIL import Image

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
        assert ax.get_legend() is None  # one legend for both panels, under them
    labels = [line.get_label() for line in loss_ax.get_lines()]
    assert labels == [
        "sigmoid: training loss",
        "sigmoid: validation loss",
        "relu: training loss",
        "relu: validation loss",
    ]
    assert [line.get_label() for line in acc_ax.get_lines()] == [
        "sigmoid: training accuracy",
        "sigmoid: validation accuracy",
        "relu: training accuracy",
        "relu: validation accuracy",
    ]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "sigmoid",
        "relu",
        "training",
        "validation",
    ]
    # one colour per run, shared by its training and validation curves
    lines = loss_ax.get_lines()
    assert same_color(lines[0].get_color(), lines[1].get_color())
    assert not same_color(lines[0].get_color(), lines[2].get_color())
    handles = legend.legend_handles
    assert same_color(handles[0].get_color(), lines[0].get_color())
    assert same_color(handles[1].get_color(), lines[2].get_color())


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


def test_plot_images_fits_columns_to_the_page():
    # ten class names fit in one row of 5 at 12 pt; ten long prediction titles in rows of 4
    images = np.zeros((10, 28, 28))
    fig = plotting.plot_images(images, np.arange(10), data.CLASS_NAMES, ncols=10)
    assert len(fig.axes) == 10 and fig.axes[4].get_subplotspec().colspan.stop == 5
    fig = plotting.plot_images(
        np.zeros((16, 28, 28)),
        np.zeros(16, int),
        data.CLASS_NAMES,
        predictions=np.ones(16, int),
        confidences=np.full(16, 0.97),
    )
    assert len(fig.axes) == 16
    assert {ax.get_subplotspec().colspan.start for ax in fig.axes} == {0, 1, 2, 3}


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


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__(name="lenet5_subclassed")
        self.chain = models.lenet5_layers()

    def call(self, x):
        for layer in self.chain:
            x = layer(x)
        return x


def _lenet(api: str) -> keras.Model:
    """LeNet-5 through one of Keras' three APIs, from the package's one description."""
    if api == "sequential":
        return models.build_sequential()
    if api == "functional":
        inputs = keras.Input(models.INPUT_SHAPE)
        x = inputs
        for layer in models.lenet5_layers():
            x = layer(x)
        return keras.Model(inputs, x, name="lenet5_functional")
    model = _Subclassed()
    model(np.zeros((1, *models.INPUT_SHAPE), "float32"))  # build it: its layers get weights
    return model


@pytest.mark.parametrize("api", ["sequential", "functional", "subclassed"])
def test_plot_architecture(api):
    model = _lenet(api)
    fig = plotting.plot_architecture(model)
    assert isinstance(fig, Figure)
    texts = "\n".join(text.get_text() for ax in fig.axes for text in ax.texts)
    for name in ["input", "conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "fc3"]:
        assert name in texts
    assert "61,706" in texts
    assert "48,120 params" in texts
    assert "28 x 28 x 6" in texts


def test_plot_architecture_shows_every_block_whole():
    # the old figure cut its last block off (xlim ended at n - 0.25) and left a band under it
    fig = plotting.plot_architecture(_lenet("sequential"))
    (ax,) = fig.axes
    renderer = fig.canvas.get_renderer()
    figure_box = fig.bbox
    boxes = [patch.get_window_extent(renderer) for patch in ax.patches]
    assert len([p for p in ax.patches if isinstance(p, FancyBboxPatch)]) == 9
    for artist in [*ax.patches, *ax.texts]:
        box = artist.get_window_extent(renderer)
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1 + 0.5, artist
        assert figure_box.y0 <= box.y0 and box.y1 <= figure_box.y1 + 0.5, artist
    lowest = min(box.y0 for box in boxes)
    assert lowest - figure_box.y0 < 0.1 * fig.dpi, "an empty band under the last block"
    assert fig.get_figwidth() <= plotting.PAGE_WIDTH_IN


# Readable in the book: every figure's smallest text is at least the body text (16 px) once the
# figure is shown as the book shows it (at its size, or shrunk to the 666-pixel page).


def min_font_size(width_in: float, dpi: float = plotting.NOTEBOOK_DPI) -> float:
    """The smallest font, in points, that reads as large as the body text in a figure
    ``width_in`` inches wide: the book shrinks a figure wider than the page to the page."""
    shown = min(1.0, plotting.PAGE_WIDTH_PX / (width_in * dpi))
    return plotting.BODY_TEXT_PX * 72 / (dpi * shown)


def smallest_text_px(fig: Figure, dpi: float = plotting.NOTEBOOK_DPI) -> float:
    """Height in page pixels of the figure's smallest text, as the book shows the figure
    (stored as a notebook stores it, tight bounding box, shrunk to the page if wider)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    buffer.seek(0)
    with Image.open(buffer) as image:
        shown = min(1.0, plotting.PAGE_WIDTH_PX / image.width)
    sizes = [
        text.get_fontsize()
        for text in fig.findobj(Text)
        if text.get_visible() and text.get_text().strip() and text.figure is not None
    ]
    return min(sizes) * dpi / 72 * shown if sizes else math.inf


def test_the_rule_for_font_sizes():
    assert plotting.MIN_FONT_PT == pytest.approx(11.52)
    assert min_font_size(plotting.PAGE_WIDTH_IN) == pytest.approx(11.52)
    assert min_font_size(4.0) == pytest.approx(11.52)  # shown at its own size
    assert min_font_size(2 * plotting.PAGE_WIDTH_IN) == pytest.approx(23.04)
    assert min_font_size(10.0) == pytest.approx(17.297, abs=1e-3)  # 1.73 pt per inch
    # the style the chapters can apply passes its own rule
    width, _ = plotting.BOOK_STYLE["figure.figsize"]
    assert width <= plotting.PAGE_WIDTH_IN
    for key, value in plotting.BOOK_STYLE.items():
        if key.endswith("size") and key != "figure.figsize":
            assert value >= plotting.MIN_FONT_PT, key
    with plt.rc_context(plotting.BOOK_STYLE):
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4], label="a line")
        ax.set(title="A title", xlabel="x", ylabel="y")
        ax.legend()
    assert smallest_text_px(fig) >= plotting.BODY_TEXT_PX


def test_smallest_text_px_catches_the_old_figures():
    # the old architecture figure: 7.5 pt text in a 13-inch figure, about 5 px in the page
    fig = plt.figure(figsize=(13.05, 3.2))
    fig.text(0.0, 0.5, "input", fontsize=7.5)
    fig.text(0.96, 0.5, "fc3", fontsize=7.5)
    assert smallest_text_px(fig) == pytest.approx(7.5 / 72 * 666 / 13, rel=0.05)
    assert smallest_text_px(fig) < 6
    small = plt.figure(figsize=(4, 3))
    small.text(0.5, 0.5, "tick", fontsize=10)  # at its own size: 10 pt = 13.9 px
    assert smallest_text_px(small) == pytest.approx(10 * 100 / 72)


def _readable(fig: Figure) -> None:
    smallest = smallest_text_px(fig)
    assert smallest >= plotting.BODY_TEXT_PX, (
        f"the smallest text of this figure is {smallest:.1f} px in the book, "
        f"smaller than the body text ({plotting.BODY_TEXT_PX} px)"
    )


@pytest.mark.parametrize("runs", [1, 4])
def test_plot_history_is_readable(runs):
    history = {f"a longer run name {i}": HISTORY for i in range(runs)} if runs > 1 else HISTORY
    _readable(plotting.plot_history(history, title="LeNet-5 (Sequential) on Fashion-MNIST"))


@pytest.mark.parametrize("confidences", [False, True])
def test_plot_images_is_readable(confidences):
    n = 16
    rng = np.random.default_rng(0)
    kwargs = {"predictions": rng.integers(0, 10, n), "ncols": 10}
    if confidences:
        kwargs["confidences"] = rng.random(n)
    labels = np.zeros(n, int)  # "T-shirt/top", the longest class name
    _readable(plotting.plot_images(np.zeros((n, 28, 28)), labels, data.CLASS_NAMES, **kwargs))
    _readable(plotting.plot_images(np.zeros((n, 28, 28)), labels, data.CLASS_NAMES, ncols=10))


def test_plot_confusion_matrix_is_readable():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, 10_000)
    _readable(plotting.plot_confusion_matrix(y_true, y_true, data.CLASS_NAMES))


@pytest.mark.parametrize("api", ["sequential", "subclassed"])
def test_plot_architecture_is_readable(api):
    _readable(plotting.plot_architecture(_lenet(api), title="LeNet-5 as built here"))


def test_plot_architecture_of_a_wider_model_is_readable():
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(6, 5, padding="same", name="a_long_convolution_name")(inputs)
    x = keras.layers.BatchNormalization(name="batch_normalization_with_a_long_name")(x)
    x = keras.layers.MaxPooling2D(name="max_pooling2d_17")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, name="classifier")(x)
    _readable(plotting.plot_architecture(keras.Model(inputs, outputs, name="wide")))


# Bad input: one sentence that says what was expected and what to do.


@pytest.mark.parametrize(
    ("history", "error", "message"),
    [
        (None, TypeError, "expects the history to be a Keras History.*got NoneType"),
        ([0.5, 0.4], TypeError, "got list: pass the result of model.fit"),
        ({}, ValueError, "got an empty mapping"),
        ({"loss": [1.0]}, ValueError, r"\['accuracy'\] is missing.*metrics=\['accuracy'\]"),
        ({"loss": [], "accuracy": []}, ValueError, "at least one epoch"),
        ({"a": HISTORY, "b": None}, TypeError, "run 'b' to be a Keras History"),
        ({"a": HISTORY, "b": {"val_loss": [1.0]}}, ValueError, "run 'b' to hold 'loss'"),
    ],
)
def test_plot_history_rejects_bad_input(history, error, message):
    with pytest.raises(error, match=message):
        plotting.plot_history(history)


def test_plot_history_rejects_an_untrained_history():
    with pytest.raises(ValueError, match="missing.*train with model.fit"):
        plotting.plot_history(keras.callbacks.History())


def test_plot_history_rejects_too_many_runs():
    with pytest.raises(ValueError, match="at most 10 runs"):
        plotting.plot_history({str(i): HISTORY for i in range(11)})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"images": np.zeros((3, 28))}, r"shape \(n, height, width\).*got shape \(3, 28\)"),
        ({"images": np.zeros((3, 28, 28, 3))}, r"got shape \(3, 28, 28, 3\)"),
        ({"labels": [0, 1]}, r"one labels per image \(3\)"),
        ({"labels": [0, 1, 10]}, "class indices from 0 to 9, got values from 0 to 10"),
        ({"labels": [0.0, 1.0, 2.0]}, "class indices.*float64"),
        ({"predictions": np.zeros((3, 10))}, r"probabilities.argmax\(axis=1\)"),
        ({"confidences": [0.5, 0.5, 0.5]}, "confidences without predictions"),
        ({"predictions": [0, 1, 2], "confidences": [0.5]}, "one confidence per image"),
        ({"ncols": 0}, "ncols to be a positive integer"),
    ],
)
def test_plot_images_rejects_bad_input(kwargs, message):
    args = {"images": np.zeros((3, 28, 28)), "labels": [0, 1, 2], "class_names": data.CLASS_NAMES}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        plotting.plot_images(
            args.pop("images"), args.pop("labels"), args.pop("class_names"), **args
        )


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        ([0, 1], [0, 1, 1], "2 labels and 3 predictions"),
        ([], [], "non-empty 1-D sequence"),
        ([0, 1], np.eye(2), r"probabilities.argmax\(axis=1\)"),
        ([0, 3], [0, 1], "y_true to be class indices from 0 to 2, got values from 0 to 3"),
        ([0, 1], [0.2, 0.7], "y_pred to be class indices.*float64"),
        ([0, 1], [-1, 1], "y_pred to be class indices from 0 to 2, got values from -1"),
    ],
)
def test_plot_confusion_matrix_rejects_bad_input(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_confusion_matrix(y_true, y_pred, ["a", "b", "c"])


def test_plot_confusion_matrix_rejects_no_class_names():
    with pytest.raises(ValueError, match="expects the class names"):
        plotting.plot_confusion_matrix([0], [0], [])


def test_plot_architecture_rejects_bad_input():
    with pytest.raises(TypeError, match="expects a Keras model, got NoneType"):
        plotting.plot_architecture(None)
    with pytest.raises(TypeError, match="got str"):
        plotting.plot_architecture("lenet5")
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="not built.*Call it once"):
        plotting.plot_architecture(unbuilt)


def test_the_book_style_keeps_the_interactive_mode_the_figure_set():
    """In a fresh Jupyter kernel the inline backend switches interactive mode on while the first
    figure is drawn; leaving the style context must not switch it off again (matplotlib
    #24351), or later figures stop showing in the notebook."""
    import matplotlib

    was = matplotlib.is_interactive()
    try:
        matplotlib.interactive(False)
        with plotting._book_style():
            matplotlib.interactive(True)  # what the inline backend does on the first figure
        assert matplotlib.is_interactive()
    finally:
        matplotlib.interactive(was)
