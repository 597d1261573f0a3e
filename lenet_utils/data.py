"""Fashion-MNIST, loaded offline first, exactly as Keras would load it.

:func:`load_fashion_mnist` reads the very arrays that
``keras.datasets.fashion_mnist.load_data()`` returns. It looks for the four files, in this order,
in

1. the directory named by the environment variable ``FASHION_MNIST_DIR``;
2. Keras' cache, ``~/.keras/datasets/fashion-mnist`` (where Keras' own download lands);
3. Debian/Ubuntu's package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``);

and only then downloads them with :func:`keras.utils.get_file` into Keras' cache. Every file
is checked against the SHA-256 of its *decompressed* bytes: the ``.gz`` bytes differ between
sources (the gzip header may embed a file name and a date), the content does not.

It prepares them for LeNet: float32 images in ``[0, 1]`` with a channel axis, integer labels,
and the ten class names.

This module never deletes, moves or overwrites a file that it did not download itself.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .recipe import RECIPE

__all__ = [
    "CLASS_NAMES",
    "ENV_VAR",
    "FILES",
    "ChecksumError",
    "DataNotFoundError",
    "FashionMNIST",
    "find_data_dir",
    "load_fashion_mnist",
    "search_dirs",
]

ENV_VAR = "FASHION_MNIST_DIR"
"""Environment variable naming a directory that holds the four Fashion-MNIST files."""

KERAS_CACHE = Path("~/.keras/datasets/fashion-mnist")
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

FILES: dict[str, str] = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
"""The four files (without ``.gz``) and the SHA-256 of their decompressed bytes."""

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Fashion-MNIST's ten classes, indexed by label."""

RawArrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
Downloader = Callable[[str, str], Path]


class DataNotFoundError(FileNotFoundError):
    """Fashion-MNIST is on none of the searched paths and could not be downloaded."""


class ChecksumError(ValueError):
    """A Fashion-MNIST file is corrupt or truncated: its SHA-256 is not the known one."""


def search_dirs() -> list[Path]:
    """The directories searched for the four files, in order."""
    dirs = []
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]).expanduser())
    dirs += [KERAS_CACHE.expanduser(), DEBIAN_DIR]
    return dirs


def _file_in(directory: Path, name: str) -> Path | None:
    """The compressed (``name.gz``) or plain (``name``) copy of a file, if there is one."""
    for candidate in (directory / f"{name}.gz", directory / name):
        if candidate.is_file():
            return candidate
    return None


def _complete(directory: Path) -> bool:
    return all(_file_in(directory, name) for name in FILES)


def find_data_dir() -> Path | None:
    """The first searched directory that holds all four files, or ``None``.

    A directory named by ``FASHION_MNIST_DIR`` that lacks a file is an error, not a reason to
    look elsewhere: the user asked for that directory.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        directory = Path(env).expanduser()
        missing = [name for name in FILES if _file_in(directory, name) is None]
        if missing:
            raise DataNotFoundError(
                f"{ENV_VAR} is set to {str(directory)!r}, but that directory lacks "
                f"{', '.join(f'{m}.gz' for m in missing)}. Put the four Fashion-MNIST files "
                f"there (gzipped or not), or unset {ENV_VAR} to use the other sources."
            )
    for directory in search_dirs():
        if _complete(directory):
            return directory
    return None


def _keras_download(name: str, cache_subdir: str) -> Path:
    """Download one file into Keras' cache, as ``keras.datasets.fashion_mnist`` does."""
    import keras

    return Path(
        keras.utils.get_file(
            f"{name}.gz", origin=DOWNLOAD_BASE + f"{name}.gz", cache_subdir=cache_subdir
        )
    )


def _download_all(download: Downloader) -> Path:
    paths = []
    for name in FILES:
        existing = _file_in(KERAS_CACHE.expanduser(), name)
        paths.append(existing or download(name, os.path.join("datasets", "fashion-mnist")))
    return paths[0].parent


def _not_found_message(reason: BaseException) -> str:
    searched = "\n".join(f"  - {d}" for d in search_dirs())
    return (
        "Fashion-MNIST was not found and could not be downloaded "
        f"({type(reason).__name__}: {reason}).\nSearched:\n{searched}\n"
        "Fix it in one of three ways:\n"
        f"  1. set {ENV_VAR} to a directory holding train-images-idx3-ubyte.gz, "
        "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz;\n"
        "  2. on Debian or Ubuntu, install the data set: "
        "sudo apt-get install dataset-fashion-mnist;\n"
        "  3. connect to the internet and run again: Keras downloads the files into "
        f"{KERAS_CACHE}."
    )


def _read_verified(path: Path, name: str) -> bytes:
    """The decompressed bytes of one file, checked against its known SHA-256."""
    try:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise ChecksumError(
            f"{path}: checksum failed, the file is corrupt or truncated ({error}). "
            "Replace it with an intact copy; this loader leaves your file as it is."
        ) from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != FILES[name]:
        raise ChecksumError(
            f"{path}: checksum failed (SHA-256 of the decompressed bytes is {digest}, "
            f"expected {FILES[name]}). The file is corrupt, truncated or not Fashion-MNIST's "
            f"{name}. Replace it with an intact copy; this loader leaves your file as it is."
        )
    return data


def _load(download: Downloader | None) -> tuple[RawArrays, Path]:
    """``((x_train, y_train), (x_test, y_test)), directory``: the uint8 arrays exactly as
    ``keras.datasets.fashion_mnist.load_data()`` returns them, and where they were read."""
    directory = find_data_dir()
    if directory is None:
        try:
            directory = _download_all(download or _keras_download)
        except Exception as error:  # any failure to fetch: no network, proxy, HTTP error
            raise DataNotFoundError(_not_found_message(error)) from error
    arrays = {}
    for name in FILES:
        path = _file_in(directory, name)
        if path is None:  # a download that did not leave the file where it said
            raise DataNotFoundError(_not_found_message(FileNotFoundError(name)))
        data = _read_verified(path, name)
        offset = 16 if "images" in name else 8
        arrays[name] = np.frombuffer(data, np.uint8, offset=offset)
    x_train = arrays["train-images-idx3-ubyte"].reshape(-1, 28, 28)
    x_test = arrays["t10k-images-idx3-ubyte"].reshape(-1, 28, 28)
    raw = (
        (x_train, arrays["train-labels-idx1-ubyte"]),
        (x_test, arrays["t10k-labels-idx1-ubyte"]),
    )
    return raw, directory


def _to_float(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1], with no float64 copy."""
    out = images.astype(np.float32)[..., np.newaxis]
    out /= 255.0
    return out


@dataclass(frozen=True)
class FashionMNIST:
    """Fashion-MNIST ready for LeNet-5.

    Attributes:
        x_train: float32 images, shape (60000, 28, 28, 1), values in [0, 1].
        y_train: integer labels, shape (60000,).
        x_test: float32 images, shape (10000, 28, 28, 1).
        y_test: integer labels, shape (10000,).
        class_names: the ten class names, indexed by label.
        source: the directory the files were read from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: Sequence[str]
    source: Path

    def split(
        self, validation_split: float = RECIPE.validation_split
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """The train/validation split that ``model.fit(validation_split=...)`` makes.

        Keras holds out the *last* fraction of the arrays, before any shuffling: with the
        recipe's split, the sizes of ``RECIPE.split_sizes()``. The default is the recipe's.
        """
        if not 0.0 < validation_split < 1.0:
            raise ValueError(
                f"validation_split must lie strictly between 0 and 1, got {validation_split!r}."
            )
        cut = int(math.floor(len(self.x_train) * (1.0 - validation_split)))
        return (
            (self.x_train[:cut], self.y_train[:cut]),
            (self.x_train[cut:], self.y_train[cut:]),
        )

    def subset(self, n_train: int, n_test: int | None = None) -> FashionMNIST:
        """The first ``n_train`` training and ``n_test`` test images (all test images if
        ``None``): a smaller data set for quick experiments, same class names and source."""
        n_test = len(self.x_test) if n_test is None else n_test
        for name, value, size in (
            ("n_train", n_train, len(self.x_train)),
            ("n_test", n_test, len(self.x_test)),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= size:
                raise ValueError(
                    f"{name} must be a whole number from 1 to {size:,}, got {value!r}."
                )
        return replace(
            self,
            x_train=self.x_train[:n_train],
            y_train=self.y_train[:n_train],
            x_test=self.x_test[:n_test],
            y_test=self.y_test[:n_test],
        )


def load_fashion_mnist(download: Downloader | None = None) -> FashionMNIST:
    """Load Fashion-MNIST as float32 images in [0, 1] with a channel axis, integer labels.

    ``download(name, cache_subdir)`` replaces Keras' download (for tests); by default
    :func:`keras.utils.get_file` fetches a file that no searched directory holds.

    Raises:
        DataNotFoundError: no searched directory holds the files and the download failed.
        ChecksumError: a file is corrupt or truncated.
    """
    ((x_train, y_train), (x_test, y_test)), directory = _load(download)
    return FashionMNIST(
        x_train=_to_float(x_train),
        y_train=y_train.astype(np.int64),
        x_test=_to_float(x_test),
        y_test=y_test.astype(np.int64),
        class_names=CLASS_NAMES,
        source=directory,
    )
