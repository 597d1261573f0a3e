"""The same LeNet-5 in PyTorch, trained the same way, as the benchmarks' peer.

Sigmoid, average pooling, 'same' padding in the first convolution; RMSprop with Keras'
defaults (learning rate 0.001, rho 0.9, epsilon 1e-7); batch 256 over the first 48,000
training images, shuffled every epoch. Only the benchmarks import this module.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn


def lenet5() -> nn.Sequential:
    return nn.Sequential(
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


def _nchw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))


def train_epochs(
    x_train: np.ndarray,
    y_train: np.ndarray,
    epochs: int,
    batch_size: int = 256,
    seed: int = 0,
    x_val: np.ndarray | None = None,
) -> tuple[nn.Module, list[float]]:
    """Train for ``epochs``; return the model and the wall time of each epoch.

    With ``x_val``, each epoch ends with a forward pass over it, as Keras' validation does, so
    that the epoch times compare like with like.
    """
    torch.manual_seed(seed)
    model = lenet5()
    assert sum(p.numel() for p in model.parameters()) == 61_706
    # Keras' RMSprop: rho=0.9, epsilon=1e-7 (added outside the square root, as in PyTorch).
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # on logits: the softmax is inside the loss
    x, y = _nchw(x_train), torch.from_numpy(y_train.astype(np.int64))
    generator = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for batch in torch.randperm(len(x), generator=generator).split(batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
        if x_val is not None:
            predict_seconds(model, x_val)
        times.append(time.perf_counter() - start)
    return model, times


def predict_seconds(model: nn.Module, x_test: np.ndarray, batch_size: int = 1024) -> float:
    """Wall time to predict classes for ``x_test``."""
    x = _nchw(x_test)
    model.eval()
    start = time.perf_counter()
    with torch.inference_mode():
        for batch in x.split(batch_size):
            model(batch).argmax(1)
    return time.perf_counter() - start


def accuracy(model: nn.Module, x_test: np.ndarray, y_test: np.ndarray) -> float:
    model.eval()
    with torch.inference_mode():
        predicted = torch.cat([model(b).argmax(1) for b in _nchw(x_test).split(1024)])
    return float((predicted.numpy() == y_test).mean())
