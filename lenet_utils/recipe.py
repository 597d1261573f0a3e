"""The reference training recipe of the course, defined once.

The recipe of the notebook this module grew from: RMSprop with Keras' default learning rate,
sparse categorical cross-entropy, batch 256, 20 epochs, the last 20% of the training images
held out for validation, seed 0. Every chapter, benchmark, study and page reads it from
:data:`RECIPE`; change a value here (and re-execute the chapters) to change it everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["RECIPE", "Recipe"]

FASHION_MNIST_TRAIN = 60_000
"""Training images in Fashion-MNIST (before the validation split)."""


@dataclass(frozen=True)
class Recipe:
    """How LeNet-5 is trained in this course.

    Attributes:
        batch_size: images per training step.
        epochs: passes over the training images.
        validation_split: fraction of the training arrays held out, taken from their end,
            as ``model.fit(validation_split=...)`` does.
        optimizer: the Keras name of the optimiser.
        learning_rate: its learning rate.
        loss: the Keras name of the loss (integer labels, probabilities out).
        seed: the seed set before building and training.
    """

    batch_size: int = 256
    epochs: int = 20
    validation_split: float = 0.2
    optimizer: str = "rmsprop"
    learning_rate: float = 0.001
    loss: str = "sparse_categorical_crossentropy"
    seed: int = 0

    def split_sizes(self, n_images: int = FASHION_MNIST_TRAIN) -> tuple[int, int]:
        """(training, validation) images that ``validation_split`` leaves of ``n_images``."""
        n_train = int(math.floor(n_images * (1.0 - self.validation_split)))
        return n_train, n_images - n_train

    def steps_per_epoch(self, n_images: int = FASHION_MNIST_TRAIN) -> int:
        """Training steps in one epoch over the non-held-out part of ``n_images``."""
        return math.ceil(self.split_sizes(n_images)[0] / self.batch_size)

    def make_optimizer(self):
        """A fresh Keras optimiser of this recipe (one per model: optimisers keep state)."""
        import keras

        return keras.optimizers.get(
            {"class_name": self.optimizer, "config": {"learning_rate": self.learning_rate}}
        )


RECIPE = Recipe()
"""The reference recipe."""
