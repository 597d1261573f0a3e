"""The same LeNet-5 in PyTorch, trained with the same recipe, as the benchmarks' peer.

The network of :func:`lenet_utils.build_sequential` (sigmoid, average pooling, 'same' padding
in the first convolution), trained with :data:`lenet_utils.RECIPE`: its batch size, seed and
loss, and its optimiser with the settings of the Keras optimiser that
``RECIPE.make_optimizer()`` makes, applied with Keras' own update rule (:class:`KerasRMSprop`).
Each epoch shuffles the training images it is given. On a machine with CUDA it runs on the
GPU, with the data copied there once. Only the benchmarks import this module.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from lenet_utils import LENET5_PARAMS, RECIPE
from lenet_utils.recipe import Recipe

__all__ = [
    "KerasRMSprop",
    "accuracy",
    "default_device",
    "lenet5",
    "make_optimizer",
    "predict_seconds",
    "train_epochs",
]


def lenet5() -> nn.Sequential:
    """LeNet-5 as :func:`lenet_utils.build_sequential` builds it, ending in logits (the
    softmax is inside the loss), and initialised as Keras initialises it: Glorot-uniform
    weights, zero biases. (PyTorch's own default draws smaller weights, from which this sigmoid
    network learns much more slowly in its first epochs: another network to compare with.)"""
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.Sigmoid(),
        nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, 5),
        nn.Sigmoid(),
        nn.AvgPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.Sigmoid(),
        nn.Linear(120, 84),
        nn.Sigmoid(),
        nn.Linear(84, 10),
    )
    for layer in model:
        if isinstance(layer, nn.Conv2d | nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return model


class KerasRMSprop(torch.optim.Optimizer):
    """RMSprop as Keras computes it: ``v = rho * v + (1 - rho) * g**2``, then
    ``w -= lr * g / sqrt(v + epsilon)``.

    Written here rather than taken from ``torch.optim.RMSprop``, which adds epsilon outside the
    square root (``sqrt(v) + eps``): with Keras' epsilon of 1e-7 that takes far larger steps
    wherever a gradient is tiny, as in a sigmoid network's first layers, so the peer would not
    train the way Keras does. Momentum and centring, off in Keras' defaults, are not supported.
    The update runs as PyTorch's multi-tensor (``_foreach``) operations, a few kernels per step
    whatever the number of weight tensors, as ``torch.optim`` does.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float, rho: float, epsilon: float):
        super().__init__(params, {"lr": lr, "rho": rho, "epsilon": epsilon})

    @torch.no_grad()
    def step(self, closure=None) -> None:
        """One update of every parameter that has a gradient (``closure`` is not supported)."""
        if closure is not None:
            raise ValueError("KerasRMSprop.step takes no closure: call loss.backward() first.")
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            velocities = [self.state[p].setdefault("velocity", torch.zeros_like(p)) for p in params]
            torch._foreach_mul_(velocities, group["rho"])
            torch._foreach_addcmul_(velocities, grads, grads, value=1 - group["rho"])
            denominators = torch._foreach_add(velocities, group["epsilon"])
            torch._foreach_sqrt_(denominators)
            torch._foreach_addcdiv_(params, grads, denominators, value=-group["lr"])


def make_optimizer(params: Iterable[torch.Tensor], recipe: Recipe = RECIPE) -> KerasRMSprop:
    """The ``recipe``'s optimiser for ``params``, with the settings of its Keras optimiser.

    Raises:
        ValueError: the recipe names an optimiser, or settings, the peer does not implement.
    """
    if recipe.optimizer != "rmsprop":
        raise ValueError(
            f"The PyTorch peer implements RMSprop only, but the recipe's optimizer is "
            f"{recipe.optimizer!r}: add it to benchmarks/torch_peer.py, or benchmark without "
            "the peer (python -m benchmarks.run --kinds keras-default lenet-utils-train)."
        )
    config = recipe.make_optimizer().get_config()
    unsupported = {
        name: config[name]
        for name in (
            "momentum",
            "centered",
            "weight_decay",
            "clipnorm",
            "clipvalue",
            "global_clipnorm",
            "use_ema",
            "loss_scale_factor",
            "gradient_accumulation_steps",
        )
        if config.get(name)
    }
    if unsupported:
        raise ValueError(
            f"The PyTorch peer's RMSprop has no {', '.join(unsupported)}, but the recipe's "
            f"Keras optimiser sets {unsupported}: add them to KerasRMSprop, or benchmark "
            "without the peer."
        )
    return KerasRMSprop(
        params, lr=float(config["learning_rate"]), rho=config["rho"], epsilon=config["epsilon"]
    )


def _loss(recipe: Recipe) -> nn.Module:
    """The recipe's loss on logits: sparse categorical cross-entropy is PyTorch's
    ``CrossEntropyLoss`` on integer labels."""
    if recipe.loss != "sparse_categorical_crossentropy":
        raise ValueError(
            f"The PyTorch peer implements the loss 'sparse_categorical_crossentropy' only, but "
            f"the recipe's loss is {recipe.loss!r}: add it to benchmarks/torch_peer.py."
        )
    return nn.CrossEntropyLoss()


def default_device() -> torch.device:
    """CUDA where there is a GPU, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _nchw(images: np.ndarray, device: torch.device | None = None) -> torch.Tensor:
    tensor = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    return tensor.to(device or default_device())


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_epochs(
    x_train: np.ndarray,
    y_train: np.ndarray,
    epochs: int,
    recipe: Recipe = RECIPE,
    x_val: np.ndarray | None = None,
    device: torch.device | None = None,
) -> tuple[nn.Module, list[float]]:
    """Train for ``epochs`` with ``recipe``; return the model and the wall time of each epoch.

    With ``x_val``, each epoch ends with a forward pass over it, as Keras' validation does, so
    that the epoch times compare like with like.
    """
    device = device or default_device()
    torch.manual_seed(recipe.seed)
    model = lenet5().to(device)
    assert sum(p.numel() for p in model.parameters()) == LENET5_PARAMS
    optimizer = make_optimizer(model.parameters(), recipe)
    loss_fn = _loss(recipe)
    x, y = _nchw(x_train, device), torch.from_numpy(y_train.astype(np.int64)).to(device)
    generator = torch.Generator().manual_seed(recipe.seed)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        for batch in order.split(recipe.batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
        if x_val is not None:
            predict_seconds(model, x_val)
        _sync(device)
        times.append(time.perf_counter() - start)
    return model, times


def predict_seconds(model: nn.Module, x_test: np.ndarray, batch_size: int = 1024) -> float:
    """Wall time to predict classes for ``x_test`` (copied to the model's device first)."""
    device = next(model.parameters()).device
    x = _nchw(x_test, device)
    model.eval()
    _sync(device)
    start = time.perf_counter()
    with torch.inference_mode():
        for batch in x.split(batch_size):
            model(batch).argmax(1)
    _sync(device)
    return time.perf_counter() - start


def accuracy(model: nn.Module, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """Fraction of ``x_test`` whose predicted class is the label in ``y_test``."""
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode():
        predicted = torch.cat([model(b).argmax(1) for b in _nchw(x_test, device).split(1024)])
    return float((predicted.cpu().numpy() == y_test).mean())
