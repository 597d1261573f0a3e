"""Results that are too slow to recompute in every chapter, stored with the package.

Some chapters need a trained network, or the figures of a study that trains many networks
(several seeds, wide models, long runs): minutes on a GPU, up to an hour on two CPU cores.
Scripts under ``experiments/`` compute them once and store them in ``lenet_utils/assets/``,
each with the machine and the versions that produced it, and the chapters load them:

* :func:`load_trained_lenet5`: LeNet-5 with the weights of the reference run (the recipe of
  :data:`lenet_utils.RECIPE`, seed 0), as chapter 5 trains it;
* :func:`load_study`: the JSON record of a stored study.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

import keras

from .models import build_sequential

__all__ = ["ASSETS", "load_study", "load_trained_lenet5", "study_names"]

ASSETS = Path(str(resources.files("lenet_utils") / "assets"))
"""The folder of stored results inside the installed package."""

REFERENCE_WEIGHTS = "lenet5_reference.weights.h5"
REFERENCE_STUDY = "reference"


def study_names() -> list[str]:
    """The names of the stored studies, for :func:`load_study`."""
    return sorted(path.stem for path in ASSETS.glob("*.json"))


@cache
def _read(name: str) -> str:
    return (ASSETS / f"{name}.json").read_text()


def load_study(name: str) -> dict:
    """The stored record of the study ``name``: its results, machine, versions and command.

    Raises:
        FileNotFoundError: no such study; the message lists the ones there are.
    """
    if not isinstance(name, str) or not (ASSETS / f"{name}.json").is_file():
        raise FileNotFoundError(
            f"No stored study called {name!r}. The studies stored with lenet_utils are: "
            f"{', '.join(study_names()) or 'none'}."
        )
    return json.loads(_read(name))


def load_trained_lenet5() -> keras.Sequential:
    """LeNet-5 (``build_sequential()``) with the weights of the stored reference run, compiled
    with the reference loss and metric, ready for ``evaluate`` and ``predict``.

    The run is described by ``load_study("reference")``: its history, test accuracy, machine
    and versions. ``experiments/reference.py`` recomputes both files.
    """
    path = ASSETS / REFERENCE_WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: reinstall lenet_utils, or recreate it with "
            "python -m experiments.reference."
        )
    from .recipe import RECIPE

    model = build_sequential()
    model.load_weights(path)
    model.compile(optimizer=RECIPE.make_optimizer(), loss=RECIPE.loss, metrics=["accuracy"])
    return model
