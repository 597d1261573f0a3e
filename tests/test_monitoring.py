"""lenet_utils.monitoring: gradient RMS and saturated units per layer, per epoch."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from lenet_apis import build

from lenet_utils import RECIPE, ActivationMonitor, models, training
from lenet_utils.monitoring import _saturated_fraction

SIGMOID_LAYERS = ["conv1", "conv2", "fc1", "fc2"]


def test_monitor_records_every_epoch_and_the_untrained_network(small_fashion):
    monitor = ActivationMonitor(small_fashion.x_train[:128], small_fashion.y_train[:128])
    training.train(models.build_sequential, small_fashion, epochs=2, callbacks=[monitor], verbose=0)
    history = monitor.history
    assert history["epoch"] == [0, 1, 2]
    assert history["layers"] == SIGMOID_LAYERS
    assert set(history["activation"].values()) == {"sigmoid"}
    for name in SIGMOID_LAYERS:
        assert len(history["grad_rms"][name]) == 3
        assert all(np.isfinite(history["grad_rms"][name]))
        assert all(g > 0 for g in history["grad_rms"][name])
        assert all(0.0 <= f <= 1.0 for f in history["saturated"][name])


def test_gradient_rms_matches_a_direct_computation(small_fashion):
    """The epoch-0 figure is the RMS, over a layer's parameters, of the gradient of the mean
    loss on the probe batch.

    The reference needs no backend's gradient API, so it holds on every backend: one step of
    plain SGD with learning rate 1 moves each weight by exactly minus its gradient.
    """
    x, y = small_fashion.x_train[:64], small_fashion.y_train[:64]
    training.seed_everything(1)
    model = models.build_sequential()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss=RECIPE.loss)
    monitor = ActivationMonitor(x, y)
    monitor.set_model(model)
    monitor.on_train_begin()
    conv1 = model.get_layer("conv1")
    before = conv1.get_weights()  # kernel and bias, as NumPy arrays
    model.train_on_batch(x, y)
    after = conv1.get_weights()
    steps = [(b - a).astype("float64") for b, a in zip(before, after, strict=True)]
    expected = np.sqrt(sum(np.sum(step**2) for step in steps) / conv1.count_params())
    assert expected > 0
    # float32 weights: their difference keeps about four of the gradient's digits
    assert monitor.history["grad_rms"]["conv1"][0] == pytest.approx(expected, rel=1e-3)


def test_relu_units_count_as_saturated_when_inactive():
    values = np.array([-1.0, 0.0, 0.5, 2.0])
    assert _saturated_fraction(values, "relu") == 0.5
    assert _saturated_fraction(np.array([0.01, 0.5, 0.99, 0.2]), "sigmoid") == 0.5


def test_monitor_watches_relu_layers(small_fashion):
    monitor = ActivationMonitor(small_fashion.x_train[:64], small_fashion.y_train[:64])
    training.train(
        lambda: models.build_sequential(activation="relu", pooling="max"),
        small_fashion.subset(512, 64),
        epochs=1,
        callbacks=[monitor],
        verbose=0,
    )
    assert set(monitor.history["activation"].values()) == {"relu"}


def test_monitor_refuses_a_subclassed_model_with_a_clear_message(small_fashion):
    monitor = ActivationMonitor(small_fashion.x_train[:8], small_fashion.y_train[:8])
    model = build("subclassed")
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    with pytest.raises(TypeError, match="Sequential or Functional model"):
        model.fit(
            small_fashion.x_train[:8], small_fashion.y_train[:8], callbacks=[monitor], verbose=0
        )


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (np.zeros((4, 28, 28, 1)), np.zeros(3)),
        (np.zeros(4), np.zeros(4)),
        (np.zeros((0, 28, 28, 1)), np.zeros(0)),
    ],
)
def test_monitor_needs_a_batch_and_its_labels(x, y):
    with pytest.raises(ValueError, match="a batch of images and as many labels"):
        ActivationMonitor(x, y)
