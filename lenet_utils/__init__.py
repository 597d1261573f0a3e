"""Helpers shared by the chapters of the LeNet course module.

One module per concern:

- :mod:`lenet_utils.data`: Fashion-MNIST, offline first, checksummed;
- :mod:`lenet_utils.models`: LeNet-5 described once, built with three Keras APIs;
- :mod:`lenet_utils.inspection`: shape traces and parameter arithmetic;
- :mod:`lenet_utils.training`: the reference recipe as one call;
- :mod:`lenet_utils.plotting`: curves, image grids, confusion matrix, architecture figure;
- :mod:`lenet_utils.checks`: self-checks a learner runs on an answer, explaining what is wrong;
- :mod:`lenet_utils.notebook`: small things the notebooks need (Colab set-up, glue).
"""

from .checks import (
    CheckResult,
    check_architecture,
    check_output_shape,
    check_param_count,
    check_same_function,
)
from .data import CLASS_NAMES, FashionMNIST, load_fashion_mnist, load_raw
from .inspection import format_table, layer_table, most_confident_errors, shape_trace
from .models import (
    LENET5_PARAMS,
    LeNet5,
    build,
    build_functional,
    build_sequential,
    build_subclassed,
    lenet5_layers,
)
from .plotting import plot_architecture, plot_confusion_matrix, plot_history, plot_images
from .training import compile_reference, evaluate, seed_everything, train

__version__ = "0.1.0"

__all__ = [
    "CLASS_NAMES",
    "LENET5_PARAMS",
    "CheckResult",
    "FashionMNIST",
    "LeNet5",
    "build",
    "build_functional",
    "build_sequential",
    "build_subclassed",
    "check_architecture",
    "check_output_shape",
    "check_param_count",
    "check_same_function",
    "compile_reference",
    "evaluate",
    "format_table",
    "layer_table",
    "lenet5_layers",
    "load_fashion_mnist",
    "load_raw",
    "most_confident_errors",
    "plot_architecture",
    "plot_confusion_matrix",
    "plot_history",
    "plot_images",
    "seed_everything",
    "shape_trace",
    "train",
]
