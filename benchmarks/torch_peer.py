"""The same LeNet-5 in PyTorch, trained the same way, as the benchmarks' peer.

Sigmoid, average pooling, 'same' padding in the first convolution; RMSprop with Keras'
defaults (learning rate 0.001, rho 0.9, epsilon 1e-7); batch 256 over the first 48,000
training images, shuffled every epoch. On a machine with CUDA it runs on the GPU, with the
data copied there once. Only the benchmarks import this module.
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


def default_device() -> torch.device:
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
    batch_size: int = 256,
    seed: int = 0,
    x_val: np.ndarray | None = None,
    device: torch.device | None = None,
) -> tuple[nn.Module, list[float]]:
    """Train for ``epochs``; return the model and the wall time of each epoch.

    With ``x_val``, each epoch ends with a forward pass over it, as Keras' validation does, so
    that the epoch times compare like with like.
    """
    device = device or default_device()
    torch.manual_seed(seed)
    model = lenet5().to(device)
    assert sum(p.numel() for p in model.parameters()) == 61_706
    # Keras' RMSprop: rho=0.9, epsilon=1e-7 (added outside the square root, as in PyTorch).
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # on logits: the softmax is inside the loss
    x, y = _nchw(x_train, device), torch.from_numpy(y_train.astype(np.int64)).to(device)
    generator = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        for batch in order.split(batch_size):
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
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode():
        predicted = torch.cat([model(b).argmax(1) for b in _nchw(x_test, device).split(1024)])
    return float((predicted.cpu().numpy() == y_test).mean())
