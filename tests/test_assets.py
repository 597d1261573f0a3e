"""lenet_utils.assets: the stored reference run and studies load, and say what they are."""

from __future__ import annotations

import pytest

from lenet_utils import LENET5_PARAMS, RECIPE, evaluate, load_study, load_trained_lenet5
from lenet_utils.assets import study_names


def test_the_stored_reference_model_scores_what_its_record_says(fashion):
    record = load_study("reference")
    assert record["recipe"]["batch_size"] == RECIPE.batch_size
    assert record["recipe"]["epochs"] == RECIPE.epochs == len(record["history"]["accuracy"])
    assert record["params"] == LENET5_PARAMS
    for key in ("cpu", "gpu", "keras_backend", "versions"):
        assert key in record["machine"]
    model = load_trained_lenet5()
    assert model.count_params() == LENET5_PARAMS
    test = evaluate(model, fashion)
    # same weights, same test images: the same accuracy to the last image (1 in 10,000)
    assert test["accuracy"] == pytest.approx(record["test"]["accuracy"], abs=1e-4)
    assert test["accuracy"] > 0.8


def test_every_stored_study_loads_and_records_its_machine():
    names = study_names()
    assert "reference" in names
    for name in names:
        record = load_study(name)
        assert "machine" in record and "command" in record and "date" in record, name


@pytest.mark.parametrize("name", ["no-such-study", 3, None])
def test_an_unknown_study_is_refused_with_the_list(name):
    with pytest.raises(
        FileNotFoundError, match="The studies stored with lenet_utils are: .*reference"
    ):
        load_study(name)


def test_the_stored_modern_study_ran_the_code_its_chapter_shows():
    """Chapter 8 plots lenet_utils/assets/modern.json: the networks and training code that
    made it must be the chapter's cells tagged `study`, as they are now. After changing those
    cells, rerun `python -m experiments.modern` (and `--timing`)."""
    import hashlib

    from experiments.modern import study_code

    record = load_study("modern")
    code = study_code()
    assert record["code_sha256"] == hashlib.sha256(code.encode()).hexdigest(), (
        "chapters/08_modern_lenet.md's study cells changed since the study ran: rerun "
        "python -m experiments.modern"
    )
    assert record["complete"]
    assert record["recipe"]["batch_size"] == RECIPE.batch_size
    runs = {(r["network"], r["seed"], r["epochs"]) for r in record["runs"]}
    for network in record["networks"]:
        for seed in record["seeds"]:
            assert (network, seed, record["epochs"]) in runs
    for variant in record["variants"]:
        for seed in record["ablation_seeds"]:
            assert (variant, seed, record["epochs"]) in runs
    timing = record["epoch_seconds"]["seconds"]
    assert set(timing) == set(record["networks"]) and all(len(s) >= 2 for s in timing.values())


def test_the_modern_study_refuses_what_would_spoil_its_record(tmp_path, monkeypatch, capsys):
    from experiments import modern

    with pytest.raises(SystemExit):
        modern.parse_args(["--subset", "100"])
    assert "give --out" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="no .* to resume"):
        modern._previous_runs(tmp_path / "missing.json", {})
    monkeypatch.setenv("LENET_MAX_EPOCHS", "1")
    with pytest.raises(SystemExit, match="LENET_MAX_EPOCHS is set"):
        modern.main(["--out", str(tmp_path / "x.json")])
