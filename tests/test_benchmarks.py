"""The benchmark's arithmetic and report (its timings are for people to read, not to test)."""

from __future__ import annotations

from pathlib import Path

from conftest import load_module

ROOT = Path(__file__).resolve().parents[1]
bench = load_module(ROOT / "benchmarks" / "run.py")


def _result(seconds: list[float]) -> dict:
    return {
        "epoch_seconds": seconds,
        "median_epoch_seconds": sorted(seconds)[len(seconds) // 2],
        "inference_seconds": 0.5,
        "peak_rss_mb": 900.0,
        "test_accuracy": 0.83,
    }


def test_epoch_arithmetic_matches_lenet5():
    # forward multiply-adds: conv1 28*28*6*25 + conv2 10*10*16*150 + 400*120 + 120*84 + 84*10
    macs = 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10
    assert bench.epoch_flops() == 2 * macs * (3 * 48_000 + 12_000)
    assert 120e9 < bench.epoch_flops() < 140e9


def test_report_gives_medians_ratios_and_the_machine():
    info = {
        "cpu": "Test CPU",
        "cores": 2,
        "gpu": "none",
        "platform": "Linux",
        "versions": {"python": "3.11", "tensorflow": "2.21", "keras": "3.15", "torch": "2.13"},
    }
    results = {
        "keras-default": _result([2.0, 2.2, 2.4]),
        "keras-tuned": _result([1.0, 1.1, 1.2]),
        "torch": _result([3.0, 3.3, 3.6]),
    }
    text = bench.report(results, 12.3, info, 3)
    assert "Test CPU, 2 cores, no GPU" in text
    assert "| Keras, plain model.fit | 2.20 | 2.00-2.40 |" in text
    assert "`lenet_utils.train` vs plain Keras: 2.00x" in text
    assert "Keras, lenet_utils.train vs PyTorch: 3.00x" in text
    assert "12.3 s" in text


def test_report_says_when_pytorch_did_not_run():
    info = {
        "cpu": "c",
        "cores": 2,
        "gpu": "none",
        "platform": "p",
        "versions": {"python": "3", "tensorflow": "2", "keras": "3", "torch": "none"},
    }
    text = bench.report(
        {"keras-default": _result([2.0]), "keras-tuned": _result([1.0])}, None, info, 1
    )
    assert "PyTorch peer: not run" in text
