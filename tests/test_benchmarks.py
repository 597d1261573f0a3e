"""The benchmark's arithmetic and report (its timings are for people to read, not to test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def test_breakdown_splits_an_epoch_into_compute_floor_and_the_rest():
    run = _result([2.5, 2.5, 2.5])
    run.update(step_ms=8.0, rss_import_mb=578.0, rss_data_mb=810.0)
    lines = bench.breakdown("Keras", run)
    # 188 steps of 8 ms = 1.504 s, plus validation 0.5 s * 1.2 = 0.6 s: floor 2.10 s
    assert bench.TRAIN_STEPS == 188
    assert "need about 2.10 s" in lines[0]
    assert "leaving 0.40 s (16%)" in lines[0]
    assert "578 MB" in lines[1] and "810 MB" in lines[1] and "900 MB" in lines[1]
    assert bench.breakdown("Keras", _result([1.0])) == []


def test_breakdown_says_when_calls_not_arithmetic_set_the_pace():
    # a GPU: a step called alone (3.6 ms) is slower than a step inside fit (0.29 s / 188)
    run = _result([0.29])
    run.update(step_ms=3.6, rss_import_mb=393.0, rss_data_mb=624.0)
    line = bench.breakdown("Keras", run)[0]
    assert "takes 3.6 ms, longer than the 1.5 ms" in line
    assert "not the arithmetic, sets the pace" in line


def test_rewrite_regenerates_the_report_from_saved_figures(tmp_path):
    info = {
        "cpu": "Some Xeon",
        "cores": 16,
        "gpu": "Some GPU",
        "platform": "Linux",
        "keras_backend": "jax",
        "versions": {"python": "3.12", "keras": "3.15", "jax": "0.11", "torch": "2.11"},
    }
    record = {
        "machine": info,
        "epochs": 20,
        "results": {"keras-tuned": _result([0.3, 0.2, 0.4])},
        "book_build_seconds": None,
        "measured": "2026-01-02",
    }
    saved = tmp_path / "gpu.json"
    saved.write_text(json.dumps(record))
    assert bench.main(["--from", str(saved)]) == 0
    text = saved.with_suffix(".md").read_text()
    assert text.startswith("Measured 2026-01-02 on Some Xeon, 16 cores, GPU: Some GPU")
    assert "Keras on its jax backend (jax 0.11)" in text
    assert "| Keras, lenet_utils.train | 0.30 | 0.20-0.40 |" in text
    assert saved.with_suffix(".png").stat().st_size > 0
    with pytest.raises(SystemExit, match="is not a file"):
        bench.main(["--from", str(tmp_path / "missing.json")])
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    with pytest.raises(SystemExit, match="is not a benchmark record"):
        bench.main(["--from", str(notes)])
    assert notes.read_text() == '{"my": "notes"}'
    assert not notes.with_suffix(".md").exists()
