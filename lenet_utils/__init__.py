"""Helpers shared by the chapters of the LeNet course module.

One module per concern, from the ground up:

- :mod:`lenet_utils.recipe`: the reference training recipe, defined once (:data:`RECIPE`);
- :mod:`lenet_utils.data`: Fashion-MNIST, offline first, checksummed;
- :mod:`lenet_utils.models`: LeNet-5 described once;
- :mod:`lenet_utils.inspection`: shape traces and parameter arithmetic;
- :mod:`lenet_utils.training`: ``model.fit`` with the recipe, seeding and checkpointing;
- :mod:`lenet_utils.monitoring`: gradients and saturated units per layer while training;
- :mod:`lenet_utils.assets`: stored results (a trained LeNet-5, studies too slow to rerun);
- :mod:`lenet_utils.plotting`: curves, image grids, confusion matrix, architecture figure;
- :mod:`lenet_utils.checks`: the exercises' self-checks: what is wrong, never the answer;
- :mod:`lenet_utils.notebook`: glue, for the book to quote a notebook's numbers.

README.md ("Using the helper package") lists what is exported and which chapter uses it.
"""

from importlib import metadata as _metadata

from .assets import load_study, load_trained_lenet5
from .checks import check, check_architecture, check_same_function
from .data import FashionMNIST, load_fashion_mnist
from .inspection import format_table, layer_table, most_confident_errors, shape_trace
from .models import LENET5_PARAMS, build_sequential, lenet5_layers
from .monitoring import ActivationMonitor
from .plotting import plot_architecture, plot_confusion_matrix, plot_history, plot_images
from .recipe import RECIPE
from .training import evaluate, seed_everything, train

try:
    __version__ = _metadata.version("lenet-utils")
except _metadata.PackageNotFoundError:  # imported from a source tree that is not installed
    __version__ = "unknown"

__all__ = [
    "LENET5_PARAMS",
    "RECIPE",
    "ActivationMonitor",
    "FashionMNIST",
    "build_sequential",
    "check",
    "check_architecture",
    "check_same_function",
    "evaluate",
    "format_table",
    "layer_table",
    "lenet5_layers",
    "load_fashion_mnist",
    "load_study",
    "load_trained_lenet5",
    "most_confident_errors",
    "plot_architecture",
    "plot_confusion_matrix",
    "plot_history",
    "plot_images",
    "seed_everything",
    "shape_trace",
    "train",
]
