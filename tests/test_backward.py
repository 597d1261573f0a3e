"""Chapter 2's backward pass by hand agrees with TensorFlow's autodiff and finite differences.

The functions under test are the chapter's own: the code cells of chapters/02_convolution.md
tagged ``backward`` (``corr2d``, ``corr2d_multi_in_out``, ``pool2d``, ``corr2d_backward``,
``pool2d_backward``) are read with jupytext and executed, as ``experiments.study`` runs a
chapter's ``study`` cells; nothing here copies them. Each gradient is compared with
``tf.GradientTape`` on random real inputs in float64, to 1e-5, for several shapes and both
paddings; one case is also compared with centred finite differences, as CS231n's gradient
check does; and max pooling's choice on a tie is compared with TensorFlow's.
"""

from __future__ import annotations

import jupytext
import numpy as np
import pytest
import tensorflow as tf

from tools.common import ROOT

CHAPTER = ROOT / "chapters" / "02_convolution.md"
TAG = "backward"
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def chapter() -> dict:
    """The namespace of the chapter's cells tagged ``backward``, executed in order."""
    cells = [
        cell.source
        for cell in jupytext.read(CHAPTER).cells
        if cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])
    ]
    namespace: dict = {"np": np, "__name__": "chapter_02_backward"}
    exec(compile("\n\n".join(cells), str(CHAPTER), "exec"), namespace)  # noqa: S102
    return namespace


def test_the_tagged_cells_define_the_forward_and_backward_functions(chapter):
    for name in ("corr2d", "corr2d_multi_in_out", "pool2d", "corr2d_backward", "pool2d_backward"):
        assert callable(chapter.get(name)), f"no cell tagged {TAG!r} defines {name}"


def _autodiff(layer, x: np.ndarray, g: np.ndarray) -> list[np.ndarray]:
    """TensorFlow's gradients of sum(g * layer(x)) w.r.t. x and the layer's weights."""
    batch = tf.constant(x[None])
    with tf.GradientTape() as tape:
        tape.watch(batch)
        loss = tf.reduce_sum(tf.constant(g[None]) * layer(batch))
    gradients = tape.gradient(loss, [batch, *layer.trainable_weights])
    return [gradients[0].numpy()[0], *(np.asarray(w) for w in gradients[1:])]


CONV_CASES = [  # (height, width, c_in, c_out, kernel, padding)
    (5, 5, 1, 1, 3, "valid"),
    (7, 6, 2, 3, 3, "same"),
    (10, 10, 6, 16, 5, "valid"),
    (8, 9, 3, 2, 5, "same"),
]


@pytest.mark.parametrize(("h", "w", "c_in", "c_out", "k", "padding"), CONV_CASES)
def test_conv_gradients_match_autodiff(chapter, h, w, c_in, c_out, k, padding):
    import keras

    rng = np.random.default_rng(h * w + c_in * c_out + k)
    x = rng.standard_normal((h, w, c_in))
    kernel, bias = rng.standard_normal((k, k, c_in, c_out)), rng.standard_normal(c_out)
    p = (k - 1) // 2 if padding == "same" else 0
    y = chapter["corr2d_multi_in_out"](x, kernel, bias, padding=p)
    g = rng.standard_normal(y.shape)
    layer = keras.layers.Conv2D(c_out, k, padding=padding, dtype="float64")
    layer.build((None, h, w, c_in))
    layer.set_weights([kernel, bias])
    np.testing.assert_allclose(layer(x[None]).numpy()[0], y, atol=TOLERANCE)  # same forward
    ours = chapter["corr2d_backward"](x, kernel, g, padding=p)
    theirs = _autodiff(layer, x, g)
    for name, mine, reference in zip(("dL/dX", "dL/dK", "dL/db"), ours, theirs, strict=True):
        assert mine.shape == reference.shape, name
        np.testing.assert_allclose(mine, reference, atol=TOLERANCE, err_msg=name)


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize(("h", "w", "channels"), [(4, 4, 1), (8, 6, 3), (28, 28, 6)])
def test_pooling_gradients_match_autodiff(chapter, mode, h, w, channels):
    import keras

    rng = np.random.default_rng(h * w * channels)
    x = rng.standard_normal((h, w, channels))  # real numbers: no ties
    g = rng.standard_normal((h // 2, w // 2, channels))
    layer = (keras.layers.AveragePooling2D if mode == "avg" else keras.layers.MaxPooling2D)(
        2, dtype="float64"
    )
    (theirs,) = _autodiff(layer, x, g)
    ours = chapter["pool2d_backward"](x, g, mode=mode)
    np.testing.assert_allclose(ours, theirs, atol=TOLERANCE)


def test_max_pooling_gives_a_tie_to_the_first_maximum_as_tensorflow_does(chapter):
    import keras

    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(8, 8, 4)).astype("float64")  # small integers: many ties
    windows = x.reshape(4, 2, 4, 2, 4).transpose(0, 2, 4, 1, 3).reshape(4, 4, 4, 4)
    assert ((windows == windows.max(axis=-1, keepdims=True)).sum(axis=-1) > 1).any()
    g = rng.standard_normal((4, 4, 4))
    (theirs,) = _autodiff(keras.layers.MaxPooling2D(2, dtype="float64"), x, g)
    np.testing.assert_array_equal(chapter["pool2d_backward"](x, g, mode="max"), theirs)


def test_a_conv_sigmoid_pool_stage_matches_finite_differences(chapter):
    """CS231n's gradient check: centred differences, relative error below 1e-7."""
    corr2d_multi_in_out, pool2d = chapter["corr2d_multi_in_out"], chapter["pool2d"]
    rng = np.random.default_rng(7)
    x, kernel = rng.standard_normal((6, 6, 2)), rng.standard_normal((3, 3, 2, 3)) / 2
    bias, g = rng.standard_normal(3), rng.standard_normal((3, 3, 3))

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def loss():
        return float((g * pool2d(sigmoid(corr2d_multi_in_out(x, kernel, bias, padding=1)))).sum())

    a = sigmoid(corr2d_multi_in_out(x, kernel, bias, padding=1))
    dz = chapter["pool2d_backward"](a, g) * a * (1 - a)
    by_hand = chapter["corr2d_backward"](x, kernel, dz, padding=1)
    gradients = dict(zip(("x", "kernel", "bias"), by_hand, strict=True))
    for name, array in (("x", x), ("kernel", kernel), ("bias", bias)):
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + 1e-5
            up = loss()
            array[index] = saved - 1e-5
            down = loss()
            array[index] = saved
            numeric, ours = (up - down) / 2e-5, gradients[name][index]
            error = abs(numeric - ours) / max(abs(numeric) + abs(ours), 1e-12)
            assert error < 1e-7, f"{name}{index}: {ours} by hand, {numeric} numerically"


def test_the_kernel_gradient_is_the_input_correlated_with_the_upstream_gradient(chapter):
    """What the chapter says in words: one channel, dL/dK = corr2d(X, G), dL/db = sum(G)."""
    rng = np.random.default_rng(3)
    x, kernel, g = (rng.standard_normal(shape) for shape in [(6, 7), (3, 3), (4, 5)])
    _, d_kernel, d_bias = chapter["corr2d_backward"](
        x[:, :, None], kernel[:, :, None, None], g[:, :, None]
    )
    np.testing.assert_allclose(d_kernel[:, :, 0, 0], chapter["corr2d"](x, g), atol=1e-12)
    np.testing.assert_allclose(d_bias, [g.sum()], atol=1e-12)
