"""lenet_utils.training: the reference recipe, reproducibility, checkpoint and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from lenet_utils import models, training

REPO_ROOT = Path(__file__).resolve().parent.parent
KEYS = {"loss", "accuracy", "val_loss", "val_accuracy"}
REFERENCE_ACCURACY = 0.826


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
    # 2,048 images, the last 20% held out: 1,639 train in ceil(1639 / 256) = 7 steps
    assert history.params["steps"] == 7

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
    model = training.compile_reference(models.build_sequential())
    training.train(model, small_fashion, epochs=1, verbose=0)
    assert model.steps_per_execution == 1


def test_train_accepts_a_built_model(small_fashion):
    training.seed_everything(3)
    model = training.compile_reference(models.build("functional"), optimizer="adam")
    history = training.train(model, small_fashion, epochs=1, seed=None, verbose=0)
    assert history.model is model
    # an already compiled model keeps its optimizer
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert len(history.history["loss"]) == 1


@pytest.mark.parametrize(("epochs", "batch_size"), [(0, 256), (2, 0), (-1, 256)])
def test_train_rejects_bad_recipe(small_fashion, epochs, batch_size):
    with pytest.raises(ValueError, match="epochs and batch_size must be positive"):
        training.train(models.build_sequential, small_fashion, epochs=epochs, batch_size=batch_size)


def test_train_rejects_a_non_model(small_fashion):
    with pytest.raises(TypeError, match="keras.Model or a function"):
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


# --- the reference run -------------------------------------------------------------------------


@pytest.mark.slow
def test_reference_run_reaches_its_accuracy_reproducibly(fashion):
    """The course's reference recipe, all defaults, twice: >= 82.6% and identical numbers."""
    runs = []
    for _ in range(2):
        start = time.perf_counter()
        history = training.train(models.build_sequential, fashion)
        seconds = time.perf_counter() - start
        accuracy = training.evaluate(history.model, fashion)["accuracy"]
        runs.append(
            {
                "test_accuracy": accuracy,
                "seconds": seconds,
                "epochs": len(history.epoch),
                "seconds_per_epoch": seconds / len(history.epoch),
                "history": history.history,
            }
        )

    report = {
        "recipe": {
            "model": "build_sequential (sigmoid, average pooling)",
            "epochs": training.EPOCHS,
            "batch_size": training.BATCH_SIZE,
            "validation_split": training.VALIDATION_SPLIT,
            "seed": training.SEED,
            "optimizer": "rmsprop",
        },
        "threshold": REFERENCE_ACCURACY,
        "runs": runs,
    }
    artifacts = REPO_ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "reference_run.json").write_text(json.dumps(report, indent=2) + "\n")
    print(
        "\nreference run: test accuracy "
        + ", ".join(f"{run['test_accuracy']:.4f}" for run in runs)
        + "; seconds per epoch "
        + ", ".join(f"{run['seconds_per_epoch']:.2f}" for run in runs)
    )

    for run in runs:
        assert run["epochs"] == training.EPOCHS == 20
        assert run["test_accuracy"] >= REFERENCE_ACCURACY, run["test_accuracy"]
    assert runs[0]["history"] == runs[1]["history"]
    assert runs[0]["test_accuracy"] == runs[1]["test_accuracy"]


def test_optimizer_for_an_already_compiled_model_is_refused(small_fashion):
    model = models.build_sequential()
    training.compile_reference(model)
    with pytest.raises(ValueError, match="already compiled"):
        training.train(model, small_fashion, epochs=1, optimizer="adam", verbose=0)
