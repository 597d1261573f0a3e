"""lenet_utils.recipe: the reference recipe, defined once, and what follows from it."""

from __future__ import annotations

import dataclasses

import keras
import pytest

from lenet_utils import RECIPE, training
from lenet_utils.recipe import FASHION_MNIST_TRAIN, Recipe


def test_the_recipe_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RECIPE.batch_size = 1  # type: ignore[misc]


def test_split_and_steps_follow_from_the_recipe():
    n_train, n_val = RECIPE.split_sizes()
    assert n_train + n_val == FASHION_MNIST_TRAIN
    assert n_val == pytest.approx(FASHION_MNIST_TRAIN * RECIPE.validation_split, abs=1)
    steps = RECIPE.steps_per_epoch()
    assert (steps - 1) * RECIPE.batch_size < n_train <= steps * RECIPE.batch_size


def test_another_recipe_changes_what_follows():
    small = Recipe(batch_size=100, validation_split=0.5)
    assert small.split_sizes(1000) == (500, 500)
    assert small.steps_per_epoch(1000) == 5


def test_make_optimizer_gives_a_fresh_optimizer_of_the_recipe():
    first, second = RECIPE.make_optimizer(), RECIPE.make_optimizer()
    assert first is not second
    assert type(first).__name__.lower() == RECIPE.optimizer
    assert float(keras.ops.convert_to_numpy(first.learning_rate)) == pytest.approx(
        RECIPE.learning_rate
    )


def test_train_defaults_are_the_recipe():
    import inspect

    defaults = {
        name: p.default
        for name, p in inspect.signature(training.train).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    assert defaults["epochs"] == RECIPE.epochs
    assert defaults["batch_size"] == RECIPE.batch_size
    assert defaults["validation_split"] == RECIPE.validation_split
    assert defaults["seed"] == RECIPE.seed
