"""The benchmark's protocol arithmetic, verdicts, report, appendix and runs (its timings are
for people to read, not to test).

Every figure the tests expect is derived from :data:`lenet_utils.RECIPE`, as the benchmark's
are: change the recipe and these tests still hold.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import re

import keras
import numpy as np
import pytest

import lenet_utils
from benchmarks import appendix, protocol, worker
from benchmarks import run as bench
from lenet_utils import RECIPE, training
from lenet_utils.recipe import Recipe

HAS_TORCH = importlib.util.find_spec("torch") is not None
NEEDS_TORCH = pytest.mark.skipif(
    not HAS_TORCH,
    reason="needs PyTorch, the bench extra (not in the test extra); `make test-backends` runs it",
)

T_975 = {1: 12.7062, 2: 4.3027, 4: 2.7764, 5: 2.5706, 10: 2.2281, 30: 2.0423}
"""Student's t at 0.975, from printed tables."""


# The protocol's arithmetic and verdicts


@pytest.mark.parametrize(("df", "expected"), T_975.items())
def test_t_quantiles_match_the_printed_tables(df, expected):
    assert protocol.t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)


def test_t_quantiles_at_other_levels():
    assert protocol.t_quantile(0.995, 5) == pytest.approx(4.0321, abs=1e-4)
    assert protocol.t_quantile(0.995, 1) == pytest.approx(math.tan(math.pi * 0.495), rel=1e-9)
    with pytest.raises(ValueError):
        protocol.t_quantile(0.4, 3)


def test_a_run_is_its_median_epoch_after_the_first():
    assert protocol.run_seconds([30.0, 2.0, 9.0, 3.0]) == 3.0  # the slow first epoch is set apart
    assert protocol.run_seconds([30.0, 2.0, 4.0]) == 3.0
    with pytest.raises(ValueError, match="at least 2 epochs"):
        protocol.run_seconds([3.0])


def test_rounds_rotate_so_that_no_variant_always_goes_first():
    orders = [protocol.rotated("ABC", i) for i in range(4)]
    assert orders == [list("ABC"), list("BCA"), list("CAB"), list("ABC")]


def test_a_pair_is_the_geometric_mean_of_paired_ratios_with_a_t_interval():
    c = protocol.compare("a", "b", [2.0, 4.0, 1.0], [2.2, 4.8, 1.3], level=0.95)
    logs = np.log([1.1, 1.2, 1.3])
    half = T_975[2] * logs.std(ddof=1) / math.sqrt(3)
    assert c.ratios == pytest.approx((1.1, 1.2, 1.3))
    assert c.ratio == pytest.approx(math.exp(logs.mean()))
    assert (c.low, c.high) == pytest.approx(
        (math.exp(logs.mean() - half), math.exp(logs.mean() + half)), rel=1e-4
    )
    # the same pair the other way round: the reciprocal ratio and interval
    back = protocol.compare("b", "a", [2.2, 4.8, 1.3], [2.0, 4.0, 1.0], level=0.95)
    assert (back.ratio, back.low, back.high) == pytest.approx((1 / c.ratio, 1 / c.high, 1 / c.low))
    with pytest.raises(ValueError, match="same number of rounds"):
        protocol.compare("a", "b", [1.0, 2.0], [1.0], level=0.95)


def test_faster_only_when_the_interval_excludes_one():
    steady = protocol.compare("a", "b", [1.0] * 4, [1.20, 1.22, 1.18, 1.21], 0.95)
    assert steady.low > 1 and steady.verdict == protocol.FASTER
    slower = protocol.compare("a", "b", [1.20, 1.22, 1.18, 1.21], [1.0] * 4, 0.95)
    assert slower.high < 1 and slower.verdict == protocol.SLOWER
    # a larger mean ratio, but one slow spell in one round: the interval takes in 1
    noisy = protocol.compare("a", "b", [1.0] * 4, [1.5, 1.4, 0.7, 1.6], 0.95)
    assert noisy.ratio > steady.ratio and noisy.low < 1 < noisy.high
    assert noisy.verdict == protocol.SAME == "no measurable difference"
    stored = noisy.as_dict()
    assert stored["verdict"] == protocol.SAME and stored["ratios"] == list(noisy.ratios)
    assert json.loads(json.dumps(stored)) == stored


def test_the_pairs_of_a_record_hold_together_at_95_percent():
    figures = [
        {"a": 1.0, "b": 1.1, "c": 1.3},
        {"a": 1.0, "b": 1.2, "c": 1.2},
        {"a": 1.0, "b": 1.1, "c": 1.4},
    ]
    pairs = [("a", "b"), ("a", "c"), ("a", "missing")]
    compared = protocol.compare_rounds(figures, pairs)
    assert [(c.first, c.second) for c in compared] == [("a", "b"), ("a", "c")]
    assert all(c.level == pytest.approx(1 - 0.05 / 2) for c in compared)  # Bonferroni, 2 pairs
    alone = protocol.compare_rounds(figures, [("a", "b")])[0]
    assert alone.level == 0.95 and alone.high < compared[0].high  # fewer pairs, narrower
    assert protocol.compare_rounds(figures[:1], pairs) == []  # one round: nothing to compare


# Measuring: interleaved rounds of fresh runs


def _result(seconds: list[float], **more) -> dict:
    return {
        "epoch_seconds": seconds,
        "inference_seconds": 0.5,
        "peak_rss_mb": 900.0,
        "test_accuracy": 0.83,
        **more,
    }


def test_measure_interleaves_the_variants_and_says_each_round():
    calls, said = [], []

    def fake_worker(kind, epochs, subset):
        calls.append(kind)
        return _result([5.0] + [1.0 + len(calls) / 100] * (epochs - 1))

    rounds = bench.measure(list("ABC"), 3, 4, say=said.append, worker=fake_worker)
    assert "".join(calls) == "ABC" + "BCA" + "CAB"  # each call is a fresh process in run_worker
    assert [one["order"] for one in rounds] == [list("ABC"), list("BCA"), list("CAB")]
    assert all(one["load_before"] >= 0 for one in rounds)
    assert len(said) == 3 and said[1].startswith("round 2/3: B 1.04, C 1.05, A 1.06 s/epoch;")
    assert "min to go" in said[0]


# The record, its report and its plot


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


def _protocol_record(per_round: list[dict[str, float]], measured="2026-12-01", **changes) -> dict:
    """A record under the protocol whose runs take ``per_round[i][kind]`` s per epoch after a
    first epoch of 9 s."""
    kinds = list(per_round[0])
    rounds = [
        {
            "order": protocol.rotated(kinds, i),
            "results": {
                k: _result(
                    [9.0, s * 0.9, s, s * 1.1], step_ms=10.0, rss_import_mb=600.0, rss_data_mb=830.0
                )
                for k, s in figures.items()
            },
        }
        for i, figures in enumerate(per_round)
    ]
    record = {
        "machine": _machine(),
        "recipe": dataclasses.asdict(RECIPE),
        "protocol": {"rounds": len(rounds), "epochs": 4, "subset": None, "interleaved": True},
        "command": "python -m benchmarks.run",
        "measured": measured,
        "rounds": rounds,
        "book_build_seconds": 12.3,
    }
    record["comparisons"] = [c.as_dict() for c in bench.comparisons(bench.read_record(record))]
    return {**record, **changes}


FIT, TRAIN, ONE, TORCH = "keras-default", "lenet-utils-train", "lenet-utils-train-1step", "torch"


def test_report_gives_spread_rounds_ratios_and_verdicts():
    record = bench.read_record(
        _protocol_record(
            [
                {FIT: 2.0, TRAIN: 1.0, ONE: 1.9, TORCH: 2.0},
                {FIT: 2.2, TRAIN: 1.1, ONE: 2.3, TORCH: 2.6},
                {FIT: 2.1, TRAIN: 1.0, ONE: 1.0, TORCH: 1.6},
            ]
        )
    )
    text = bench.report(record)
    assert "Test CPU, 2 cores, no GPU" in text
    assert "TensorFlow 2.21" in text and "PyTorch 2.13" in text
    assert "Protocol: 3 rounds" in text and "rotated" in text
    assert f"inference ms ({bench.TEST_IMAGES:,} images)" in text
    # fastest, median and slowest epoch after the first, over all rounds; the first apart
    assert "| Keras, plain model.fit | 1.80 | 2.10 | 2.42 | 9.00 |" in text
    assert "| 2 | 2.20 | 1.10 | 2.30 | 2.60 | - |" in text  # each round's runs
    level = 1 - 0.05 / 3
    assert f"{level:.1%} interval" in text
    assert "| Keras, lenet_utils.train vs Keras, plain model.fit | 2.00, 2.00, 2.10 | 2.03x" in text
    assert "| Keras, lenet_utils.train faster |" in text
    line = next(x for x in text.splitlines() if "vs Keras, lenet_utils.train, 1 step" in x)
    assert line.endswith("| no measurable difference |")  # 1.90, 2.09 and 1.00: one slow round
    assert "12.3 s" in text


def test_report_of_a_record_from_before_the_protocol_draws_no_verdict():
    # tools.common.machine() lists only the packages that are installed
    versions = {"python": "3", "tensorflow": "2", "keras": "3"}
    old = {
        "machine": _machine(versions=versions),
        "epochs": 3,
        "results": {FIT: _result([5.0, 2.0, 2.2]), "keras-tuned": _result([5.0, 1.0, 1.2])},
        "book_build_seconds": None,
        "measured": "2026-01-02",
    }
    record = bench.read_record(old)
    assert len(record["rounds"]) == 1 and not bench.under_protocol(record)
    text = bench.report(record)
    assert "before the protocol" in text and "supports no verdict" in text
    assert "| Keras, lenet_utils.train | 1.00 | 1.10 | 1.20 | 5.00 |" in text  # renamed
    assert "interval" not in text and "faster" not in text
    assert "PyTorch not installed" in text and "PyTorch peer: not run" in text


def test_only_whole_interleaved_runs_count_as_the_protocol():
    figures = [{FIT: 2.0, TRAIN: 1.0}] * 3
    assert bench.under_protocol(bench.read_record(_protocol_record(figures)))
    rules = {"rounds": 3, "epochs": 4, "subset": 2048, "interleaved": True}
    assert not bench.under_protocol(bench.read_record(_protocol_record(figures, protocol=rules)))


def test_breakdown_splits_an_epoch_into_compute_floor_and_the_rest():
    s = {"median": 2.5, "inference_seconds": 0.5, "step_ms": 8.0, "peak_rss_mb": 900.0}
    s.update(rss_import_mb=578.0, rss_data_mb=810.0)
    lines = bench.breakdown("Keras", s)
    # the recipe's steps of 8 ms each, plus the validation images at 0.5 s per test set
    steps = RECIPE.steps_per_epoch()
    floor = steps * 0.008 + 0.5 * RECIPE.split_sizes()[1] / bench.TEST_IMAGES
    assert f"{steps} steps and the validation pass need about {floor:.2f} s" in lines[0]
    assert f"leaving {2.5 - floor:.2f} s ({(2.5 - floor) / 2.5:.0%})" in lines[0]
    assert "578 MB" in lines[1] and "810 MB" in lines[1] and "900 MB" in lines[1]
    assert bench.breakdown("Keras", {"median": 1.0}) == []
    # a recipe with twice the batch has half the steps (rounded up)
    double = dataclasses.replace(RECIPE, batch_size=2 * RECIPE.batch_size)
    assert f"{double.steps_per_epoch()} steps" in bench.breakdown("Keras", s, double)[0]


@pytest.mark.parametrize(
    ("epoch", "pace"),
    [(0.29, "not the arithmetic, sets the pace"), (2.3, "the arithmetic, not the call")],
)
def test_breakdown_says_calls_set_the_pace_only_when_they_take_most_of_a_step(epoch, pace):
    # a GPU: a step called alone (3.6 ms) is much slower than a step inside fit (0.29 s an
    # epoch); on a CPU (2.3 s an epoch, 12 ms a lone step) the call is a small part of it
    step = 3.6 if epoch < 1 else 12.5
    s = {"median": epoch, "inference_seconds": 0.02, "step_ms": step, "peak_rss_mb": 1.0}
    s.update(rss_import_mb=1.0, rss_data_mb=1.0)
    line = bench.breakdown("Keras", s)[0]
    validation = 0.02 * RECIPE.split_sizes()[1] / bench.TEST_IMAGES
    inside = 1000 * (epoch - validation) / RECIPE.steps_per_epoch()
    assert f"takes {step:.1f} ms; a step inside `fit` takes {inside:.1f} ms" in line
    assert pace in line


def test_epoch_arithmetic_matches_lenet5():
    # forward multiply-adds: conv1 28*28*6*25 + conv2 10*10*16*150 + 400*120 + 120*84 + 84*10
    macs = 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10
    n_train, n_validation = RECIPE.split_sizes()
    assert bench.epoch_flops() == 2 * macs * (3 * n_train + n_validation)
    assert 120e9 < bench.epoch_flops() < 140e9
    # another recipe, another count: nothing in the arithmetic is the recipe typed again
    half = Recipe(validation_split=0.5)
    assert bench.epoch_flops(half) == 2 * macs * (3 + 1) * half.split_sizes()[0]


def _old_record(results: dict, **changes) -> dict:
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
    record = _old_record({TRAIN: _result([9.0, 0.3, 0.1, 0.4])})
    saved.write_text(json.dumps(record))
    assert bench.main(["--from", str(saved)]) == 0
    text = saved.with_suffix(".md").read_text()
    assert text.startswith("Measured 2026-01-02 on Some Xeon, 16 cores, GPU: Some GPU")
    assert "Keras on its jax backend (jax 0.11)" in text
    assert "| Keras, lenet_utils.train | 0.10 | 0.30 | 0.40 | 9.00 |" in text
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


def test_rewrite_draws_the_pairs_of_a_record_under_the_protocol(tmp_path):
    saved = tmp_path / "cpu.json"
    saved.write_text(
        json.dumps(
            _protocol_record(
                [{FIT: 2.0, TRAIN: 1.0}, {FIT: 2.1, TRAIN: 1.2}, {FIT: 2.0, TRAIN: 0.9}]
            )
        )
    )
    assert bench.main(["--from", str(saved)]) == 0
    assert (
        "| Keras, lenet_utils.train vs Keras, plain model.fit |"
        in saved.with_suffix(".md").read_text()
    )
    assert saved.with_suffix(".png").stat().st_size > 0


def test_a_record_from_before_the_rename_reads_as_lenet_utils_train(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(_old_record({"keras-tuned": _result([9.0, 0.3, 0.1, 0.4])})))
    new.write_text(json.dumps(_old_record({TRAIN: _result([9.0, 0.3, 0.1, 0.4])})))
    for path in (old, new):
        assert bench.main(["--from", str(path)]) == 0
    assert old.with_suffix(".md").read_text() == new.with_suffix(".md").read_text()


def test_a_record_is_read_with_the_recipe_it_stores():
    record = _old_record({TRAIN: _result([2.5, 2.5])}, recipe={"batch_size": 100})
    recipe = bench.read_record(record)["recipe"]
    assert recipe == dataclasses.replace(RECIPE, batch_size=100)
    assert bench.read_record(_old_record({}))["recipe"] == RECIPE  # stored before recipes were
    with pytest.raises(KeyError, match="runs"):
        bench.read_record(_old_record({"keras-fast": _result([1.0, 1.0])}))


def test_every_stored_record_reads_and_its_verdicts_follow_from_its_rounds():
    """The appendix shows the reports of benchmarks/results/: each record must still read, and
    the verdicts it stores must be those its own rounds give."""
    stored = sorted((bench.ROOT / "benchmarks" / "results").glob("*.json"))
    assert stored
    for path in stored:
        raw = json.loads(path.read_text())
        record = bench.read_record(raw)
        assert TRAIN in bench.kinds_of(record), path.name
        assert bench.report(record).startswith("Measured "), path.name
        assert path.with_suffix(".md").read_text() == bench.report(record), f"{path.name}: --from"
        if "comparisons" in raw:
            assert raw["comparisons"] == [c.as_dict() for c in bench.comparisons(record)], path.name


@pytest.mark.parametrize(
    ("option", "value", "least"),
    [("--epochs", "1", 2), ("--epochs", "two", 2), ("--rounds", "2", 3), ("--rounds", "-1", 3)],
)
def test_the_protocol_needs_two_epochs_a_run_and_three_rounds(option, value, least, capsys):
    with pytest.raises(SystemExit):
        bench.main([option, value, "--kinds", FIT])
    assert f"expected a whole number of at least {least}" in capsys.readouterr().err


# The appendix's sentences


def _write(folder, name, record):
    (folder / name).write_text(json.dumps(record))


AGREE = [
    {FIT: 2.0, TRAIN: 1.6, ONE: 1.6},
    {FIT: 2.2, TRAIN: 1.75, ONE: 1.7},
    {FIT: 2.1, TRAIN: 1.7, ONE: 1.8},
]


def test_the_appendix_states_a_verdict_where_both_runs_agree(tmp_path):
    _write(tmp_path, "cpu.json", _protocol_record(AGREE))
    _write(tmp_path, "cpu-repeat.json", _protocol_record(AGREE[::-1], measured="2026-12-02"))
    text = "\n".join(appendix.regions(tmp_path)["cpu"])
    assert "Two runs of the protocol are stored (2026-12-01, 2026-12-02)" in text
    assert (
        "* `lenet_utils.train` against plain `model.fit`: `lenet_utils.train` is faster in both"
        in text
    )
    assert "one step per call: no measurable difference in both runs" in text
    assert (
        "`steps_per_execution=32`, the one setting in which those two differ, gives no measurable "
        "gain on these two cores" in text
    )
    assert "```{include} ../benchmarks/results/cpu-repeat.md" in text
    assert "```{figure} ../benchmarks/results/cpu.png" in text and ":alt: Top:" in text


def test_the_appendix_states_no_verdict_where_the_runs_disagree(tmp_path):
    slow_spell = [{**AGREE[0], FIT: 1.6}, *AGREE[1:]]  # one round of the second run
    _write(tmp_path, "cpu.json", _protocol_record(AGREE))
    _write(tmp_path, "cpu-repeat.json", _protocol_record(slow_spell))
    text = "\n".join(appendix.regions(tmp_path)["cpu"])
    assert (
        "against plain `model.fit`: the runs disagree (faster, no measurable difference), so no"
        in text
    )
    assert "is faster in" not in text


def test_the_appendix_reads_records_from_before_the_protocol_as_no_verdict(tmp_path):
    _write(
        tmp_path, "cpu.json", _old_record({FIT: _result([5.0, 2.0]), TRAIN: _result([5.0, 1.0])})
    )
    text = "\n".join(appendix.regions(tmp_path)["cpu"])
    assert (
        "predates the protocol" in text and "supports no verdict" in text and "faster" not in text
    )
    # two such records read as two rounds: an interval, wide
    _write(
        tmp_path,
        "gpu-h100.json",
        _old_record({FIT: _result([5.0, 0.30]), TRAIN: _result([5.0, 0.29])}),
    )
    _write(
        tmp_path,
        "gpu-h100-repeat.json",
        _old_record({FIT: _result([5.0, 0.40]), TRAIN: _result([5.0, 0.28])}),
    )
    text = "\n".join(appendix.regions(tmp_path)["gpu"])
    assert "the ratio of plain `model.fit`'s seconds per epoch to those of" in text
    assert "`lenet_utils.train` was 1.03 and 1.43" in text
    assert (
        "read as two rounds of the protocol" in text and text.count("no measurable difference") == 1
    )


def test_the_appendix_is_written_from_the_stored_records():
    """The appendix's measured sentences are those its records give (as the chapters glue
    theirs): after changing a record, run python -m benchmarks.appendix."""
    page = appendix.PAGE.read_text()
    assert appendix.render(page) == page
    assert appendix.main(["--check"]) == 0


def test_the_appendix_types_no_measured_figure_by_hand():
    """Outside its generated regions, the appendix names no time, ratio or memory figure."""
    page = re.sub(
        r"<!-- bench:(\w+):start -->.*?<!-- bench:\1:end -->",
        "",
        appendix.PAGE.read_text(),
        flags=re.S,
    )
    figures = re.findall(r"\d+(?:\.\d+)?\s?(?:x|s|ms|GB|MB|GFLOP/s|times)\b|\d\.\d+", page)
    assert figures == []
    assert page.count("<!-- bench:") == 0  # every region has both markers


def test_the_epoch_timer_is_a_keras_callback():
    timer = worker.EpochTimer()
    assert isinstance(timer, keras.callbacks.Callback)
    timer.on_epoch_begin(0)
    timer.on_epoch_end(0)
    assert len(timer.times) == 1 and timer.times[0] >= 0


@pytest.mark.parametrize("kind", [FIT, ONE])
def test_each_keras_run_measures_what_the_report_reads(kind, small_fashion, monkeypatch):
    """One epoch on 256 images: the worker's code runs, and returns every figure; both run one
    step per call (train's default of 32 is tests/test_training.py's)."""
    monkeypatch.setattr(lenet_utils, "load_fashion_mnist", lambda: small_fashion.subset(512, 128))
    # the worker sets this for its one run, in its own process: here, undo it afterwards
    monkeypatch.setattr(training, "STEPS_PER_EXECUTION", training.STEPS_PER_EXECUTION)
    result = worker._keras(kind, epochs=1, step_repeats=1, subset=256)
    assert len(result["epoch_seconds"]) == 1
    assert result["steps_per_execution"] == 1
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
