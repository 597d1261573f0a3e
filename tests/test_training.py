"""lenet_utils.training: the reference recipe, reproducibility, checkpoint and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
from lenet_apis import build

from lenet_utils import RECIPE, models, training

REPO_ROOT = Path(__file__).resolve().parent.parent
KEYS = {"loss", "accuracy", "val_loss", "val_accuracy"}


def _compile(model: keras.Model, optimizer="rmsprop") -> keras.Model:
    model.compile(optimizer=optimizer, loss=RECIPE.loss, metrics=["accuracy"])
    return model


def test_train_small_subset(small_fashion):
    history = training.train(models.build_sequential, small_fashion, epochs=2, verbose=0)
    assert set(history.history) == KEYS
    for key in KEYS:
        assert len(history.history[key]) == 2
        assert all(np.isfinite(history.history[key]))
    assert history.epoch == [0, 1]
    assert history.params["epochs"] == 2
    model = history.model
    assert model.count_params() == 61_706
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    # the recipe's split and batch, on 2,048 images
    assert history.params["steps"] == RECIPE.steps_per_epoch(len(small_fashion.x_train))
    # several steps per call into the backend, except on PyTorch, where Keras allows only one
    assert model.steps_per_execution == training.STEPS_PER_EXECUTION
    assert (training.STEPS_PER_EXECUTION == 1) == (keras.backend.backend() == "torch")

    result = training.evaluate(model, small_fashion)
    assert set(result) == {"loss", "accuracy"}
    assert all(type(value) is float for value in result.values())
    assert 0.0 <= result["accuracy"] <= 1.0
    assert result["loss"] > 0.0


def test_same_seed_same_history_and_weights(small_fashion):
    runs = [
        training.train(models.build_sequential, small_fashion, epochs=2, seed=7, verbose=0)
        for _ in range(2)
    ]
    assert runs[0].history == runs[1].history
    first, second = (run.model.get_weights() for run in runs)
    assert len(first) == len(second) == 10
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="Keras refuses steps_per_execution > 1 on PyTorch, so train() compiles with 1 there",
)
@pytest.mark.parametrize("steps", [3, training.STEPS_PER_EXECUTION])
def test_steps_per_execution_changes_nothing_but_speed(small_fashion, monkeypatch, steps):
    """Several steps per call (7 steps an epoch here: 3+3+1, or all 7 in one call) train
    exactly as one step per call does: same history, same weights."""
    runs = []
    for per_call in (1, steps):
        monkeypatch.setattr(training, "STEPS_PER_EXECUTION", per_call)
        runs.append(training.train(models.build_sequential, small_fashion, epochs=2, verbose=0))
    assert [run.model.steps_per_execution for run in runs] == [1, steps]
    assert runs[0].history == runs[1].history
    for a, b in zip(runs[0].model.get_weights(), runs[1].model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_model_compiled_by_the_user_keeps_its_settings(small_fashion):
    model = _compile(models.build_sequential())
    training.train(model, small_fashion, epochs=1, verbose=0)
    assert model.steps_per_execution == 1


def test_train_accepts_a_built_model(small_fashion):
    training.seed_everything(3)
    model = _compile(build("functional"), optimizer="adam")
    history = training.train(model, small_fashion, epochs=1, seed=None, verbose=0)
    assert history.model is model
    # an already compiled model keeps its optimizer
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert len(history.history["loss"]) == 1


@pytest.mark.parametrize(
    ("epochs", "batch_size", "name"),
    [(0, 8, "epochs"), (2, 0, "batch_size"), (-1, 8, "epochs"), (2.5, 8, "epochs")],
)
def test_train_rejects_bad_recipe(small_fashion, epochs, batch_size, name):
    with pytest.raises(ValueError, match=f"{name} must be a positive whole number"):
        training.train(models.build_sequential, small_fashion, epochs=epochs, batch_size=batch_size)


@pytest.mark.parametrize("split", [-0.1, 1.0, 2])
def test_train_rejects_a_bad_validation_split(small_fashion, split):
    with pytest.raises(ValueError, match="validation_split must be at least 0 and below 1"):
        training.train(models.build_sequential, small_fashion, validation_split=split)


def test_train_says_what_data_it_needs(small_fashion):
    arrays = (small_fashion.x_train, small_fashion.y_train)
    with pytest.raises(TypeError, match=r"load_fashion_mnist\(\).*got tuple.*model\.fit"):
        training.train(models.build_sequential, arrays)


def test_train_refuses_too_few_output_classes_before_training(small_fashion):
    model = models.build_sequential(num_classes=5)
    with pytest.raises(ValueError, match=r"outputs 5 class.*up to 9.*Dense\(10"):
        training.train(model, small_fashion, epochs=1)
    assert not model.compiled  # refused before anything was done to the model


def test_train_refuses_a_builder_that_returns_no_model(small_fashion):
    match = "train: what the function passed as model returns must be a Keras model; got NoneType"
    with pytest.raises(TypeError, match=match):
        training.train(lambda: None, small_fashion, epochs=1)


def test_evaluate_checks_its_arguments(small_fashion):
    with pytest.raises(TypeError, match="evaluate: model must be a Keras model; got str"):
        training.evaluate("model", small_fashion)
    with pytest.raises(ValueError, match="not compiled"):
        training.evaluate(models.build_sequential(), small_fashion)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None])
def test_seed_everything_rejects_a_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be a whole number"):
        training.seed_everything(seed)


def test_train_rejects_a_non_model(small_fashion):
    with pytest.raises(
        TypeError, match=r"model \(or a function that returns one\) must be a Keras"
    ):
        training.train("lenet5", small_fashion, epochs=1)


def test_checkpoint_dir_that_is_a_file(small_fashion, tmp_path):
    not_a_dir = tmp_path / "checkpoints"
    not_a_dir.write_text("my notes\n")
    with pytest.raises(NotADirectoryError) as info:
        training.train(
            models.build_sequential, small_fashion, epochs=1, checkpoint_dir=not_a_dir, verbose=0
        )
    message = str(info.value)
    assert str(not_a_dir) in message
    assert "is a file" in message
    assert "Pass a directory" in message
    assert not_a_dir.read_text() == "my notes\n"


# --- checkpoint and resume, in a process that is killed -----------------------------------------

TRAIN_SCRIPT = textwrap.dedent(
    """
    import json
    import os
    import signal
    import sys
    from pathlib import Path

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import keras
    import numpy as np

    from lenet_utils import data, models, training

    subset_path, checkpoint_dir, kill_at, record_path = sys.argv[1:5]
    kill_at = int(kill_at)
    record = Path(record_path)
    arrays = np.load(subset_path)
    subset = data.FashionMNIST(
        x_train=arrays["x_train"],
        y_train=arrays["y_train"],
        x_test=arrays["x_test"],
        y_test=arrays["y_test"],
        class_names=data.CLASS_NAMES,
        source=Path(subset_path),
    )


    class Killer(keras.callbacks.Callback):
        # Dies inside the user's own end-of-epoch code, once `kill_at` epochs are finished:
        # the backup, which train() runs before any user callback, must already hold them.
        # No clean-up of any kind.
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)


    class Recorder(keras.callbacks.Callback):
        # Writes the epochs finished so far after each one: survives the kill.
        def __init__(self):
            super().__init__()
            self.finished = []

        def on_epoch_end(self, epoch, logs=None):
            self.finished.append(epoch)
            record.write_text(json.dumps({"finished": self.finished}))


    recorder = Recorder()
    history = training.train(
        models.build_sequential,
        subset,
        epochs=4,
        checkpoint_dir=checkpoint_dir,
        callbacks=[recorder, Killer()],
        verbose=0,
    )
    record.write_text(
        json.dumps(
            {
                "finished": recorder.finished,
                "epoch": history.epoch,
                "history": history.history,
                "completed": True,
            }
        )
    )
    """
)


def _run_training(script: Path, subset: Path, checkpoint_dir: Path, kill_at: int, record: Path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(
        [sys.executable, str(script), str(subset), str(checkpoint_dir), str(kill_at), str(record)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=script.parent,
    )


def test_killed_training_resumes_from_backup(small_fashion, tmp_path):
    subset = tmp_path / "subset.npz"
    np.savez(
        subset,
        x_train=small_fashion.x_train,
        y_train=small_fashion.y_train,
        x_test=small_fashion.x_test,
        y_test=small_fashion.y_test,
    )
    script = tmp_path / "train_lenet.py"
    script.write_text(TRAIN_SCRIPT)
    checkpoint_dir = tmp_path / "checkpoints"
    checkpoint_dir.mkdir()
    notes = checkpoint_dir / "notes.txt"
    notes.write_text("the user's own file: must survive\n")
    backup = checkpoint_dir / training.BACKUP_SUBDIR

    # 1. killed hard once epochs 0 and 1 are done
    record = tmp_path / "first.json"
    killed = _run_training(script, subset, checkpoint_dir, 2, record)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert json.loads(record.read_text()) == {"finished": [0, 1]}
    assert backup.is_dir()
    assert (backup / "latest.weights.h5").is_file()
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 2
    assert notes.is_file()

    # 2. run again, nothing kills it: it resumes at epoch 2 (zero-based) and finishes
    record = tmp_path / "second.json"
    resumed = _run_training(script, subset, checkpoint_dir, -1, record)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    result = json.loads(record.read_text())
    assert result["completed"] is True
    assert result["finished"] == [2, 3]
    assert result["epoch"] == [2, 3]
    for key in KEYS:
        assert len(result["history"][key]) == 2

    # the backup is gone, the user's file is not
    assert not backup.exists()
    assert notes.read_text() == "the user's own file: must survive\n"
    assert sorted(p.name for p in checkpoint_dir.iterdir()) == ["notes.txt"]


def test_optimizer_for_an_already_compiled_model_is_refused(small_fashion):
    model = _compile(models.build_sequential())
    with pytest.raises(ValueError, match="already compiled"):
        training.train(model, small_fashion, epochs=1, optimizer="adam", verbose=0)
