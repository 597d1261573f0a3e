"""Watch a network learn: per layer and epoch, how large its gradients are and how many units
are stuck.

:class:`ActivationMonitor` is a Keras callback. Before training and after every epoch it takes
one fixed batch of images and labels and records, for every layer whose activation is a
sigmoid, tanh or ReLU:

* the root mean square (RMS) of the gradient of the loss with respect to that layer's weights
  (kernel and bias together), per parameter: a whole layer's norm grows with its size;
* the fraction of its outputs that are *saturated*: for a sigmoid, below 0.05 or above 0.95,
  where its slope is under 0.05 (a fifth of its largest slope, 0.25); for tanh, beyond
  ±0.95 (slope under 0.1, a tenth of its largest); for a ReLU, exactly 0, where its slope is
  0 (an *inactive* unit).

The gradients come from the backend Keras runs on (TensorFlow, JAX or PyTorch), so the
callback works on all three. The model must be a ``Sequential`` or Functional model whose
layers can be read as outputs (a subclassed model has no such graph).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

__all__ = ["SATURATION", "ActivationMonitor"]

SATURATION = {"sigmoid": (0.05, 0.95), "tanh": (-0.95, 0.95), "relu": (0.0, None)}
"""Per activation, the output range outside which a unit counts as saturated (ReLU: at 0)."""


def _activation_name(layer: keras.layers.Layer) -> str | None:
    """``"sigmoid"``, ``"tanh"`` or ``"relu"`` when ``layer`` applies one, else ``None``."""
    if isinstance(layer, keras.layers.ReLU):
        return "relu"
    function = getattr(layer, "activation", None)
    name = getattr(function, "__name__", None)
    return name if name in SATURATION else None


def _saturated_fraction(values: np.ndarray, activation: str) -> float:
    low, high = SATURATION[activation]
    if activation == "relu":
        return float(np.mean(values <= 0.0))
    return float(np.mean((values < low) | (values > high)))


def _gradients(model: keras.Model, loss, x, y) -> list:
    """Gradients of ``loss(y, model(x))`` for ``model.trainable_weights``, as NumPy arrays."""
    backend = keras.backend.backend()
    weights = model.trainable_weights
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            value = keras.ops.mean(loss(y, model(x, training=False)))
        grads = tape.gradient(value, weights)
    elif backend == "jax":
        import jax

        trainable = [w.value for w in model.trainable_variables]
        frozen = [w.value for w in model.non_trainable_variables]

        def compute(trainable_values):
            prediction, _ = model.stateless_call(trainable_values, frozen, x, training=False)
            return keras.ops.mean(loss(y, prediction))

        grads = jax.grad(compute)(trainable)
    elif backend == "torch":
        import torch

        value = keras.ops.mean(loss(keras.ops.convert_to_tensor(y), model(x, training=False)))
        grads = torch.autograd.grad(value, [w.value for w in weights])
    else:  # pragma: no cover - a backend Keras may add later
        raise NotImplementedError(
            f"ActivationMonitor computes gradients with TensorFlow, JAX or PyTorch; Keras runs "
            f"on {backend!r}. Set KERAS_BACKEND to one of those."
        )
    return [keras.ops.convert_to_numpy(g) for g in grads]


class ActivationMonitor(keras.callbacks.Callback):
    """Record gradient RMS and saturated units per layer, before training and every epoch.

    Args:
        x: a fixed batch of images to measure on (a few hundred are enough).
        y: their integer labels.

    After training, :attr:`history` holds ``{"epoch": [0, 1, ...], "layers": [...],
    "activation": {layer: name}, "grad_rms": {layer: [...]}, "saturated": {layer: [...]}}``,
    epoch 0 being the untrained network.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim < 2 or len(x) != len(y) or len(x) == 0:
            raise ValueError(
                f"ActivationMonitor needs a batch of images and as many labels, got shapes "
                f"{x.shape} and {y.shape}. Pass e.g. data.x_train[:512], data.y_train[:512]."
            )
        self.x, self.y = x, y
        self.history: dict = {}
        self._probe: keras.Model | None = None
        self._layers: list[keras.layers.Layer] = []

    def _start(self) -> None:
        model = self.model
        self._layers = [layer for layer in model.layers if _activation_name(layer)]
        if not self._layers:
            raise ValueError(
                f"{model.name} has no layer with a sigmoid, tanh or ReLU activation to watch."
            )
        try:
            outputs = [layer.output for layer in self._layers]
            inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
            self._probe = keras.Model(inputs, outputs)
        except (AttributeError, ValueError) as error:
            raise TypeError(
                f"ActivationMonitor reads each layer's output from the model's graph, and "
                f"{model.name} has none ({type(error).__name__}: {error}). Use it with a "
                "Sequential or Functional model built from keras.Input."
            ) from error
        names = [layer.name for layer in self._layers]
        self.history = {
            "epoch": [],
            "layers": names,
            "activation": {layer.name: _activation_name(layer) for layer in self._layers},
            "grad_rms": {name: [] for name in names},
            "saturated": {name: [] for name in names},
        }

    def _measure(self, epoch: int) -> None:
        loss = keras.losses.get(self.model.loss) if self.model.compiled else None
        if loss is None:
            loss = keras.losses.SparseCategoricalCrossentropy()
        grads = _gradients(self.model, loss, self.x, self.y)
        by_variable = {id(w): g for w, g in zip(self.model.trainable_weights, grads, strict=True)}
        outputs = self._probe(self.x, training=False)
        if not isinstance(outputs, Sequence):
            outputs = [outputs]
        self.history["epoch"].append(epoch)
        for layer, output in zip(self._layers, outputs, strict=True):
            own = np.concatenate([by_variable[id(w)].ravel() for w in layer.trainable_weights])
            values = keras.ops.convert_to_numpy(output)
            fraction = _saturated_fraction(values, self.history["activation"][layer.name])
            self.history["grad_rms"][layer.name].append(float(np.sqrt(np.mean(own**2))))
            self.history["saturated"][layer.name].append(fraction)

    def on_train_begin(self, logs=None) -> None:
        if not self.history:
            self._start()
            self._measure(0)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self._measure(len(self.history["epoch"]))
