"""lenet_utils.assets: the stored reference run and studies load, and say what they are."""

from __future__ import annotations

import pytest

from lenet_utils import LENET5_PARAMS, RECIPE, evaluate, load_study, load_trained_lenet5
from lenet_utils.assets import study_names
from tools.common import ROOT


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


def _studies_of_chapters() -> list[str]:
    return [name for name in study_names() if "chapter" in load_study(name)]


@pytest.mark.parametrize("name", _studies_of_chapters())
def test_a_stored_study_ran_the_code_its_chapter_shows(name):
    """A chapter plots lenet_utils/assets/NAME.json: the code that made it must be the
    chapter's cells tagged `study`, as they are now, and every run it plans must be there.
    After changing those cells, rerun `python -m experiments.study CHAPTER`."""
    import hashlib

    from experiments.study import load_study_code, study_code

    record = load_study(name)
    chapter = ROOT / record["chapter"]
    code = study_code(chapter)
    assert record["code_sha256"] == hashlib.sha256(code.encode()).hexdigest(), (
        f"{record['chapter']}'s study cells changed since the study ran: rerun "
        f"python -m experiments.study {chapter.stem}"
    )
    assert record["complete"] and record["epochs"] == RECIPE.epochs
    assert record["train_images"] == RECIPE.split_sizes()[0] + RECIPE.split_sizes()[1]
    study = load_study_code(code, chapter)
    runs = {(r["network"], r["seed"]) for r in record["runs"]}
    for network in study.get("NETWORKS", {}):
        for seed in record["seeds"]:
            assert (network, seed) in runs, f"{name}: no run of {network!r} with seed {seed}"
    if "TIMED" in study:
        timing = record["epoch_seconds"]["seconds"]
        assert set(timing) == set(study["TIMED"]) and all(len(s) >= 2 for s in timing.values())


def test_the_study_runner_refuses_what_would_spoil_a_record(tmp_path, monkeypatch, capsys):
    from experiments import study

    with pytest.raises(SystemExit):
        study.parse_args(["08_modern_lenet", "--subset", "100"])
    assert "give --out" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="no .* to resume"):
        study._previous_runs(tmp_path / "missing.json", {})
    with pytest.raises(SystemExit, match="no such chapter"):
        study.chapter_path("99_nothing")
    monkeypatch.setenv("LENET_MAX_EPOCHS", "1")
    with pytest.raises(SystemExit, match="LENET_MAX_EPOCHS is set"):
        study.main(["08_modern_lenet", "--out", str(tmp_path / "x.json")])


def test_a_study_cell_after_the_cell_that_runs_the_study_is_refused(tmp_path):
    from experiments.study import study_code

    chapter = tmp_path / "chapter.md"
    chapter.write_text(
        "```{code-cell} ipython3\n:tags: [run-study]\n\nstudy = run_study()\n```\n\n"
        "```{code-cell} ipython3\n:tags: [study]\n\ndef run_study(): ...\n```\n"
    )
    with pytest.raises(SystemExit, match="move it after all of them"):
        study_code(chapter)


def test_chapter_8s_study_runs_every_network_through_its_own_code(tmp_path):
    """The path a reader with a GPU takes (RUN_STUDY = True) at a tiny scale: every network
    of chapter 8, one seed, one epoch, 256 images."""
    import json

    from experiments.study import main

    out = tmp_path / "modern.json"
    assert (
        main(
            [
                "08_modern_lenet",
                "--seeds",
                "0",
                "--epochs",
                "1",
                "--subset",
                "256",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    record = json.loads(out.read_text())
    assert record["complete"] and record["train_images"] == 256
    names = [run["network"] for run in record["runs"]]
    assert len(names) == len(set(names)) == 9  # the staircase's steps
    for run in record["runs"]:
        assert len(run["history"]["val_accuracy"]) == 1 and len(run["correct"]) == 44
