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
    with pytest.raises(FileNotFoundError, match="The studies stored with lenet_utils are: .*reference"):
        load_study(name)
