"""lenet_utils.data: same arrays as Keras, offline search order, checksums, helpful errors."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from keras.src.datasets import fashion_mnist as keras_fashion_mnist
from keras.src.trainers.data_adapters.array_slicing import train_validation_split

from lenet_utils import data
from lenet_utils.data import ChecksumError, DataNotFoundError

SIZES = {
    "train-images-idx3-ubyte": 60000 * 28 * 28 + 16,
    "train-labels-idx1-ubyte": 60000 + 8,
    "t10k-images-idx3-ubyte": 10000 * 28 * 28 + 16,
    "t10k-labels-idx1-ubyte": 10000 + 8,
}


def _raw(download=None):
    """The uint8 arrays the loader reads, before it converts them for LeNet."""
    return data._load(download)[0]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _no_download(name: str, cache_subdir: str) -> Path:
    raise OSError(f"no network in the tests (asked for {name})")


def _copy_gz(src: Path, dst: Path) -> None:
    for name in data.FILES:
        shutil.copyfile(src / f"{name}.gz", dst / f"{name}.gz")


# --- the arrays --------------------------------------------------------------------------------


def test_raw_arrays_equal_keras_load_data(monkeypatch, real_files_dir, isolated_sources):
    """Keras' own loader, pointed at the same files offline, returns identical arrays."""

    def offline_get_file(fname, origin=None, cache_subdir=None, **kwargs):
        assert origin.endswith(fname)
        return str(real_files_dir / fname)

    monkeypatch.setattr(keras_fashion_mnist, "get_file", offline_get_file)
    expected = keras_fashion_mnist.load_data()

    monkeypatch.setenv(data.ENV_VAR, str(real_files_dir))
    got = _raw(download=_no_download)

    for (x_exp, y_exp), (x_got, y_got) in zip(expected, got, strict=True):
        for exp, arr in ((x_exp, x_got), (y_exp, y_got)):
            assert arr.dtype == exp.dtype == np.uint8
            assert arr.shape == exp.shape
            np.testing.assert_array_equal(arr, exp)
    assert got[0][0].shape == (60000, 28, 28)
    assert got[1][0].shape == (10000, 28, 28)


def test_load_fashion_mnist_shapes_dtypes_range(fashion):
    assert fashion.x_train.shape == (60000, 28, 28, 1)
    assert fashion.x_test.shape == (10000, 28, 28, 1)
    assert fashion.y_train.shape == (60000,)
    assert fashion.y_test.shape == (10000,)
    assert fashion.x_train.dtype == np.float32
    assert fashion.x_test.dtype == np.float32
    assert np.issubdtype(fashion.y_train.dtype, np.integer)
    assert np.issubdtype(fashion.y_test.dtype, np.integer)
    for x in (fashion.x_train, fashion.x_test):
        assert float(x.min()) == 0.0
        assert float(x.max()) == 1.0
    assert set(np.unique(fashion.y_train)) == set(range(10))
    assert set(np.unique(fashion.y_test)) == set(range(10))
    assert len(fashion.class_names) == 10
    assert len(set(fashion.class_names)) == 10
    assert fashion.class_names[0] == "T-shirt/top"
    assert fashion.class_names[9] == "Ankle boot"
    assert isinstance(fashion.source, Path)


def test_float_images_are_uint8_over_255(fashion, real_files_dir, monkeypatch, isolated_sources):
    monkeypatch.setenv(data.ENV_VAR, str(real_files_dir))
    (x_train, y_train), (x_test, y_test) = _raw(download=_no_download)
    np.testing.assert_array_equal(fashion.x_test[..., 0], x_test.astype(np.float32) / 255.0)
    np.testing.assert_array_equal(fashion.x_train[:100, ..., 0], x_train[:100] / np.float32(255))
    np.testing.assert_array_equal(fashion.y_train, y_train)
    np.testing.assert_array_equal(fashion.y_test, y_test)


def test_split_is_kerass_validation_split(fashion):
    (x_tr, y_tr), (x_val, y_val) = fashion.split()
    assert len(x_tr) == len(y_tr) == 48000
    assert len(x_val) == len(y_val) == 12000
    (kx_tr, ky_tr), (kx_val, ky_val) = train_validation_split(
        (fashion.x_train, fashion.y_train), validation_split=0.2
    )
    np.testing.assert_array_equal(x_tr, np.asarray(kx_tr))
    np.testing.assert_array_equal(y_tr, np.asarray(ky_tr))
    np.testing.assert_array_equal(x_val, np.asarray(kx_val))
    np.testing.assert_array_equal(y_val, np.asarray(ky_val))


@pytest.mark.parametrize("fraction", [0.1, 0.25, 1 / 3])
def test_split_matches_keras_for_other_fractions(small_fashion, fraction):
    (x_tr, _), (x_val, _) = small_fashion.split(fraction)
    (kx_tr, _), (kx_val, _) = train_validation_split(
        (small_fashion.x_train, small_fashion.y_train), validation_split=fraction
    )
    assert len(x_tr) == len(kx_tr)
    assert len(x_val) == len(kx_val)
    np.testing.assert_array_equal(x_val, np.asarray(kx_val))


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.2, 1.5])
def test_split_rejects_out_of_range(fashion, bad):
    with pytest.raises(ValueError, match="validation_split must lie strictly between 0 and 1"):
        fashion.split(bad)


# --- where the files are found -----------------------------------------------------------------


def test_env_var_wins_over_keras_cache_and_debian(monkeypatch, tmp_path, gz_copy, isolated_sources):
    # Keras' cache and the Debian directory hold complete sets of *corrupt* files: if either
    # were read, loading would fail with a ChecksumError.
    for directory in (isolated_sources["keras"], isolated_sources["debian"]):
        for name in data.FILES:
            (directory / f"{name}.gz").write_bytes(gzip.compress(b"not fashion-mnist"))
    monkeypatch.setenv(data.ENV_VAR, str(gz_copy))
    assert data.search_dirs()[0] == gz_copy
    assert data.find_data_dir() == gz_copy
    loaded = data.load_fashion_mnist(download=_no_download)
    assert loaded.source == gz_copy
    assert loaded.x_train.shape == (60000, 28, 28, 1)


def test_keras_cache_wins_over_debian(gz_copy, isolated_sources):
    _copy_gz(gz_copy, isolated_sources["keras"])
    for name in data.FILES:
        (isolated_sources["debian"] / f"{name}.gz").write_bytes(gzip.compress(b"bad"))
    assert data.search_dirs() == [isolated_sources["keras"], isolated_sources["debian"]]
    assert data.find_data_dir() == isolated_sources["keras"]
    (x_train, _), _ = _raw(download=_no_download)
    assert x_train.shape == (60000, 28, 28)


def test_debian_dir_used_when_nothing_else(gz_copy, isolated_sources):
    _copy_gz(gz_copy, isolated_sources["debian"])
    assert data.find_data_dir() == isolated_sources["debian"]
    loaded = data.load_fashion_mnist(download=_no_download)
    assert loaded.source == isolated_sources["debian"]


def test_incomplete_keras_cache_is_skipped(gz_copy, isolated_sources):
    """A directory missing one file is not used (outside the env var): the next one is."""
    _copy_gz(gz_copy, isolated_sources["keras"])
    (isolated_sources["keras"] / "t10k-labels-idx1-ubyte.gz").unlink()
    _copy_gz(gz_copy, isolated_sources["debian"])
    assert data.find_data_dir() == isolated_sources["debian"]


def test_plain_decompressed_files_work(monkeypatch, tmp_path, real_files_dir, isolated_sources):
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in data.FILES:
        raw = gzip.decompress((real_files_dir / f"{name}.gz").read_bytes())
        assert len(raw) == SIZES[name]
        (plain / name).write_bytes(raw)
    monkeypatch.setenv(data.ENV_VAR, str(plain))
    (x_train, y_train), (x_test, y_test) = _raw(download=_no_download)
    assert x_train.shape == (60000, 28, 28)
    assert y_test.shape == (10000,)

    monkeypatch.setenv(data.ENV_VAR, str(real_files_dir))
    (gx_train, gy_train), (gx_test, gy_test) = _raw(download=_no_download)
    np.testing.assert_array_equal(x_train, gx_train)
    np.testing.assert_array_equal(y_train, gy_train)
    np.testing.assert_array_equal(x_test, gx_test)
    np.testing.assert_array_equal(y_test, gy_test)


def test_download_lands_in_keras_cache(real_files_dir, isolated_sources):
    """With no local copy, the downloader is asked for each file and its result is used."""
    asked = []

    def fake_download(name: str, cache_subdir: str) -> Path:
        asked.append((name, cache_subdir))
        target = isolated_sources["keras"] / f"{name}.gz"
        shutil.copyfile(real_files_dir / f"{name}.gz", target)
        return target

    loaded = data.load_fashion_mnist(download=fake_download)
    assert [name for name, _ in asked] == list(data.FILES)
    assert {Path(subdir) for _, subdir in asked} == {Path("datasets", "fashion-mnist")}
    assert loaded.source == isolated_sources["keras"]
    assert loaded.x_train.shape == (60000, 28, 28, 1)


# --- bad input ---------------------------------------------------------------------------------


def test_no_data_and_download_fails(isolated_sources):
    with pytest.raises(DataNotFoundError) as info:
        data.load_fashion_mnist(download=_no_download)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "FASHION_MNIST_DIR" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "internet" in message
    assert "Keras" in message
    assert "no network in the tests" in message  # the reason of the failed download
    assert str(isolated_sources["keras"]) in message  # what was searched
    assert str(isolated_sources["debian"]) in message
    assert isinstance(info.value.__cause__, OSError)


def test_no_data_and_default_download_fails(monkeypatch, isolated_sources):
    """The default downloader (keras.utils.get_file) failing is reported the same way."""

    def failing_get_file(*args, **kwargs):
        raise OSError("URL fetch failure: no network")

    import keras

    monkeypatch.setattr(keras.utils, "get_file", failing_get_file)
    with pytest.raises(DataNotFoundError, match="FASHION_MNIST_DIR"):
        _raw()


def _assert_untouched(path: Path, content: bytes) -> None:
    assert path.is_file(), f"{path} was removed"
    assert path.read_bytes() == content, f"{path} was modified"


def test_truncated_gz_raises_checksum_error(monkeypatch, gz_copy, isolated_sources):
    victim = gz_copy / "train-images-idx3-ubyte.gz"
    truncated = victim.read_bytes()[:1_000_000]
    victim.write_bytes(truncated)
    monkeypatch.setenv(data.ENV_VAR, str(gz_copy))
    with pytest.raises(ChecksumError) as info:
        data.load_fashion_mnist(download=_no_download)
    message = str(info.value)
    assert str(victim) in message
    assert "corrupt" in message
    assert "checksum" in message
    assert isinstance(info.value, ValueError)
    _assert_untouched(victim, truncated)


def test_wrong_content_raises_checksum_error(
    monkeypatch, real_files_dir, gz_copy, isolated_sources
):
    victim = gz_copy / "t10k-labels-idx1-ubyte.gz"
    original = gzip.decompress(victim.read_bytes())
    wrong = bytearray(original)
    wrong[100] = (wrong[100] + 1) % 10  # one label changed: valid gzip, wrong bytes
    bad_gz = gzip.compress(bytes(wrong))
    victim.write_bytes(bad_gz)
    monkeypatch.setenv(data.ENV_VAR, str(gz_copy))
    with pytest.raises(ChecksumError) as info:
        _raw(download=_no_download)
    message = str(info.value)
    assert str(victim) in message
    assert "checksum failed" in message
    assert "corrupt" in message
    assert data.FILES["t10k-labels-idx1-ubyte"] in message  # the expected digest
    _assert_untouched(victim, bad_gz)
    # every other file is untouched too
    for name in data.FILES:
        if name != "t10k-labels-idx1-ubyte":
            path = gz_copy / f"{name}.gz"
            assert _sha256(path) == _sha256(real_files_dir / path.name)


def test_wrong_plain_file_raises_checksum_error(monkeypatch, tmp_path, gz_copy, isolated_sources):
    name = "train-labels-idx1-ubyte"
    gz = gz_copy / f"{name}.gz"
    plain = gz_copy / name
    plain.write_bytes(b"\x00" * SIZES[name])
    gz.unlink()
    monkeypatch.setenv(data.ENV_VAR, str(gz_copy))
    with pytest.raises(ChecksumError, match="checksum failed") as info:
        _raw(download=_no_download)
    assert str(plain) in str(info.value)
    _assert_untouched(plain, b"\x00" * SIZES[name])


def test_corrupt_file_in_keras_cache_is_not_replaced(gz_copy, isolated_sources):
    """A corrupt file in Keras' cache is reported, never silently re-downloaded over."""
    _copy_gz(gz_copy, isolated_sources["keras"])
    victim = isolated_sources["keras"] / "t10k-images-idx3-ubyte.gz"
    content = victim.read_bytes()[:-100]
    victim.write_bytes(content)
    calls = []

    def spy_download(name: str, cache_subdir: str) -> Path:
        calls.append(name)
        raise AssertionError("must not download")

    with pytest.raises(ChecksumError, match="corrupt"):
        _raw(download=spy_download)
    assert calls == []
    _assert_untouched(victim, content)


def test_env_dir_missing_a_file(monkeypatch, gz_copy, isolated_sources):
    _copy_gz(gz_copy, isolated_sources["debian"])  # the fallback would work: it must not be used
    (gz_copy / "train-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv(data.ENV_VAR, str(gz_copy))
    with pytest.raises(DataNotFoundError) as info:
        _raw(download=_no_download)
    message = str(info.value)
    assert "train-labels-idx1-ubyte.gz" in message
    assert "FASHION_MNIST_DIR" in message
    assert str(gz_copy) in message
    for name in data.FILES:
        if name != "train-labels-idx1-ubyte":
            assert name not in message  # only the missing file is named


def test_env_dir_that_does_not_exist(monkeypatch, tmp_path, isolated_sources):
    missing_dir = tmp_path / "nowhere"
    monkeypatch.setenv(data.ENV_VAR, str(missing_dir))
    with pytest.raises(DataNotFoundError) as info:
        _raw(download=_no_download)
    for name in data.FILES:
        assert f"{name}.gz" in str(info.value)
