"""The benchmark's arithmetic, report and runs (its timings are for people to read, not to test).

Every figure the tests expect is derived from :data:`lenet_utils.RECIPE`, as the benchmark's
are: change the recipe and these tests still hold.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json

import keras
import numpy as np
import pytest

import lenet_utils
from benchmarks import run as bench
from benchmarks import worker
from lenet_utils import RECIPE
from lenet_utils.recipe import Recipe

HAS_TORCH = importlib.util.find_spec("torch") is not None
NEEDS_TORCH = pytest.mark.skipif(
    not HAS_TORCH,
    reason="needs PyTorch, the bench extra (not in the test extra); `make test-backends` runs it",
)


def _result(seconds: list[float]) -> dict:
    return {
        "epoch_seconds": seconds,
        "median_epoch_seconds": sorted(seconds)[len(seconds) // 2],
        "inference_seconds": 0.5,
        "peak_rss_mb": 900.0,
        "test_accuracy": 0.83,
    }


def _machine(**changes) -> dict:
    info = {
        "cpu": "Test CPU",
        "cores": 2,
        "gpu": "none",
        "keras_backend": "tensorflow",
        "platform": "Linux",
        "versions": {"python": "3.11", "tensorflow": "2.21", "keras": "3.15", "torch": "2.13"},
    }
    return {**info, **changes}


def test_epoch_arithmetic_matches_lenet5():
    # forward multiply-adds: conv1 28*28*6*25 + conv2 10*10*16*150 + 400*120 + 120*84 + 84*10
    macs = 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10
    n_train, n_validation = RECIPE.split_sizes()
    assert bench.epoch_flops() == 2 * macs * (3 * n_train + n_validation)
    assert 120e9 < bench.epoch_flops() < 140e9
    # another recipe, another count: nothing in the arithmetic is the recipe typed again
    half = Recipe(validation_split=0.5)
    assert bench.epoch_flops(half) == 2 * macs * (3 + 1) * half.split_sizes()[0]


def test_report_gives_medians_ratios_and_the_machine():
    results = {
        "keras-default": _result([2.0, 2.2, 2.4]),
        "lenet-utils-train": _result([1.0, 1.1, 1.2]),
        "torch": _result([3.0, 3.3, 3.6]),
    }
    text = bench.report(results, 12.3, _machine(), 3)
    assert "Test CPU, 2 cores, no GPU" in text
    assert "TensorFlow 2.21" in text and "PyTorch 2.13" in text
    assert f"inference ms ({bench.TEST_IMAGES:,} images)" in text
    assert "| Keras, plain model.fit | 2.20 | 2.00-2.40 |" in text
    assert "`lenet_utils.train` vs plain Keras: 2.00x" in text
    assert "Keras, lenet_utils.train vs PyTorch: 3.00x" in text
    assert "12.3 s" in text


def test_report_says_when_pytorch_did_not_run():
    # tools.common.machine() lists only the packages that are installed
    versions = {"python": "3", "tensorflow": "2", "keras": "3"}
    text = bench.report(
        {"keras-default": _result([2.0]), "lenet-utils-train": _result([1.0])},
        None,
        _machine(versions=versions),
        1,
    )
    assert "PyTorch not installed" in text
    assert "PyTorch peer: not run" in text


def test_breakdown_splits_an_epoch_into_compute_floor_and_the_rest():
    run = _result([2.5, 2.5, 2.5])
    run.update(step_ms=8.0, rss_import_mb=578.0, rss_data_mb=810.0)
    lines = bench.breakdown("Keras", run)
    # the recipe's steps of 8 ms each, plus the validation images at 0.5 s per test set
    steps = RECIPE.steps_per_epoch()
    floor = steps * 0.008 + 0.5 * RECIPE.split_sizes()[1] / bench.TEST_IMAGES
    assert f"{steps} steps and the validation pass need about {floor:.2f} s" in lines[0]
    assert f"leaving {2.5 - floor:.2f} s ({(2.5 - floor) / 2.5:.0%})" in lines[0]
    assert "578 MB" in lines[1] and "810 MB" in lines[1] and "900 MB" in lines[1]
    assert bench.breakdown("Keras", _result([1.0])) == []
    # a recipe with twice the batch has half the steps (rounded up)
    double = dataclasses.replace(RECIPE, batch_size=2 * RECIPE.batch_size)
    assert f"{double.steps_per_epoch()} steps" in bench.breakdown("Keras", run, double)[0]


def test_breakdown_says_when_calls_not_arithmetic_set_the_pace():
    # a GPU: a step called alone (3.6 ms) is slower than a step inside fit (0.29 s per epoch)
    run = _result([0.29])
    run.update(step_ms=3.6, rss_import_mb=393.0, rss_data_mb=624.0)
    line = bench.breakdown("Keras", run)[0]
    assert f"takes 3.6 ms, longer than the {290 / RECIPE.steps_per_epoch():.1f} ms" in line
    assert "not the arithmetic, sets the pace" in line


def _record(results: dict, **changes) -> dict:
    info = _machine(
        cpu="Some Xeon",
        cores=16,
        gpu="Some GPU",
        keras_backend="jax",
        versions={"python": "3.12", "keras": "3.15", "jax": "0.11", "torch": "2.11"},
    )
    record = {
        "machine": info,
        "epochs": 20,
        "results": results,
        "book_build_seconds": None,
        "measured": "2026-01-02",
    }
    return {**record, **changes}


def test_rewrite_regenerates_the_report_from_saved_figures(tmp_path):
    saved = tmp_path / "gpu.json"
    record = _record({"lenet-utils-train": _result([0.3, 0.1, 0.4])})
    saved.write_text(json.dumps(record))
    assert bench.main(["--from", str(saved)]) == 0
    text = saved.with_suffix(".md").read_text()
    assert text.startswith("Measured 2026-01-02 on Some Xeon, 16 cores, GPU: Some GPU")
    assert "Keras on its jax backend (jax 0.11)" in text
    assert "| Keras, lenet_utils.train | 0.30 | 0.10-0.40 |" in text
    assert saved.with_suffix(".png").stat().st_size > 0
    assert json.loads(saved.read_text()) == record  # the measured record is left as it is
    with pytest.raises(SystemExit, match="is not a file"):
        bench.main(["--from", str(tmp_path / "missing.json")])
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    with pytest.raises(SystemExit, match="is not a benchmark record"):
        bench.main(["--from", str(notes)])
    assert notes.read_text() == '{"my": "notes"}'
    assert not notes.with_suffix(".md").exists()


def test_a_record_from_before_the_rename_reads_as_lenet_utils_train(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(_record({"keras-tuned": _result([0.3, 0.1, 0.4])})))
    new.write_text(json.dumps(_record({"lenet-utils-train": _result([0.3, 0.1, 0.4])})))
    for path in (old, new):
        assert bench.main(["--from", str(path)]) == 0
    assert old.with_suffix(".md").read_text() == new.with_suffix(".md").read_text()


def test_a_record_is_read_with_the_recipe_it_stores():
    record = _record({"lenet-utils-train": _result([2.5])}, recipe={"batch_size": 100})
    recipe = bench.read_record(record)["recipe"]
    assert recipe == dataclasses.replace(RECIPE, batch_size=100)
    assert bench.read_record(_record({}))["recipe"] == RECIPE  # stored before recipes were
    with pytest.raises(KeyError, match="runs"):
        bench.read_record(_record({"keras-fast": _result([1.0])}))


def test_every_stored_record_still_reads(tmp_path):
    """The appendix includes the reports of benchmarks/results/: each record must still read."""
    stored = sorted((bench.ROOT / "benchmarks" / "results").glob("*.json"))
    assert stored
    for path in stored:
        record = bench.read_record(json.loads(path.read_text()))
        assert "lenet-utils-train" in record["results"], path.name
        assert bench._report_of(record).startswith("Measured ")


@pytest.mark.parametrize("epochs", ["0", "-1", "two"])
def test_epochs_must_be_a_positive_whole_number(epochs, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--epochs", epochs, "--kinds", "keras-default"])
    assert "expected a whole number of at least 1" in capsys.readouterr().err


def test_the_epoch_timer_is_a_keras_callback():
    timer = worker.EpochTimer()
    assert isinstance(timer, keras.callbacks.Callback)
    timer.on_epoch_begin(0)
    timer.on_epoch_end(0)
    assert len(timer.times) == 1 and timer.times[0] >= 0


@pytest.mark.parametrize("kind", ["keras-default", "lenet-utils-train"])
def test_each_keras_run_measures_what_the_report_reads(kind, small_fashion, monkeypatch):
    """One epoch on 512 images: the worker's code runs, and returns every figure."""
    monkeypatch.setattr(lenet_utils, "load_fashion_mnist", lambda: small_fashion.subset(512, 128))
    result = worker._keras(kind, epochs=1, step_repeats=1)
    assert len(result["epoch_seconds"]) == 1
    assert result["backend"] == keras.backend.backend()
    assert 0.0 <= result["test_accuracy"] <= 1.0
    for key in ("inference_seconds", "rss_import_mb", "rss_data_mb", "step_ms"):
        assert result[key] > 0, key


@NEEDS_TORCH
def test_the_pytorch_peer_updates_weights_as_keras_rmsprop_does():
    """Two steps on gradients from tiny to large: the same weights as Keras' RMSprop, where
    PyTorch's own RMSprop (epsilon outside the square root) would differ."""
    import torch

    from benchmarks import torch_peer

    start = np.array([0.5, -0.25, 1.0, 2.0], dtype="float32")
    gradients = [
        np.array([1e-5, -1e-4, 0.5, 3.0], dtype="float32"),
        np.array([2e-5, 1e-4, -0.25, 1.0], dtype="float32"),
    ]
    weight = torch.nn.Parameter(torch.tensor(start))
    optimizer = torch_peer.make_optimizer([weight])
    variable = keras.Variable(start)
    reference = RECIPE.make_optimizer()
    for gradient in gradients:
        weight.grad = torch.tensor(gradient)
        optimizer.step()
        reference.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
    expected = keras.ops.convert_to_numpy(variable)
    np.testing.assert_allclose(weight.detach().numpy(), expected, rtol=1e-6, atol=1e-9)
    assert not np.allclose(start, expected)


@NEEDS_TORCH
def test_the_pytorch_peer_trains_with_the_recipe(small_fashion):
    from benchmarks import torch_peer

    network = torch_peer.lenet5()
    assert sum(p.numel() for p in network.parameters()) == lenet_utils.LENET5_PARAMS
    for layer in network:  # Keras' initialisation: Glorot-uniform weights, zero biases
        if hasattr(layer, "weight"):
            fan_in, fan_out = layer.weight[0].numel(), layer.weight[:, 0].numel()
            assert float(layer.weight.detach().abs().max()) <= (6 / (fan_in + fan_out)) ** 0.5
            assert not layer.bias.any()
    (x, y), (x_val, _) = small_fashion.subset(512, 128).split(RECIPE.validation_split)
    model, times = torch_peer.train_epochs(x, y, 1, x_val=x_val)
    assert len(times) == 1
    assert 0.0 <= torch_peer.accuracy(model, small_fashion.x_test, small_fashion.y_test) <= 1.0
    with pytest.raises(ValueError, match="implements RMSprop only"):
        torch_peer.make_optimizer(model.parameters(), dataclasses.replace(RECIPE, optimizer="adam"))
