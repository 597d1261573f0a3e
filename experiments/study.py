"""Run the study that a chapter's cells tagged ``study`` define, and store its record.

    python -m experiments.study 08_modern_lenet            # the whole study
    python -m experiments.study 08_modern_lenet --resume   # go on with an interrupted one
    python -m experiments.study 08_modern_lenet --seeds 0 --epochs 1 --subset 500 --out /tmp/s.json
    python -m experiments.study 08_modern_lenet --timing   # time a few epochs of TIMED networks

A comparison over seeds and full-length runs costs far more than a page that is re-executed
on every change can afford. So the code that defines and trains the networks is written in the
chapter, in code cells tagged ``study``, and this script runs exactly that code: it reads those
cells with jupytext, executes them in order, and calls the chapter's
``run_study(data, seeds=..., epochs=..., stored=...)``, a generator of one record (a dict with
at least ``network``, ``seed`` and ``epochs``) per training run. Each record is stored as soon
as it arrives, with the code that ran, the machine and versions, the command and the date, in
``lenet_utils/assets/<STUDY>.json``, which the chapter loads with
``lenet_utils.load_study(STUDY)``. ``--resume`` hands the stored runs back to ``run_study``,
which yields them again instead of retraining them; it refuses a record made by other code.

The study cells must define ``STUDY`` (the record's name), ``SEEDS`` and ``run_study``; for
``--timing`` also ``TIMED`` (network names) and ``measure(name, seed, data, epochs=...)``.
``--timing`` measures on an otherwise idle machine, since the runs' own seconds per epoch
depend on what else ran meanwhile; it adds ``epoch_seconds`` to the stored record.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import jupytext

from tools.common import ROOT, machine

STUDY_TAG = "study"
RUN_TAG = "run-study"  # the notebook cell that calls run_study: after every study cell
COMMAND = "python -m experiments.study"
TIMING_EPOCHS = 3  # the first also builds the computation and is left out


def chapter_path(name: str) -> Path:
    """``chapters/NAME.md`` for ``08_modern_lenet`` (or a path to it)."""
    path = Path(name)
    if path.suffix != ".md":
        path = ROOT / "chapters" / f"{path.name}.md"
    if not path.is_file():
        raise SystemExit(f"{path}: no such chapter; name one of chapters/*.md (08_modern_lenet)")
    return path.resolve()


def study_code(chapter: Path) -> str:
    """The chapter's code cells tagged ``study``, in order, as one program.

    Refuses a chapter whose cell tagged ``run-study`` comes before a study cell: in the
    notebook, that cell would call code not defined yet.
    """
    cells = [c for c in jupytext.read(chapter).cells if c.cell_type == "code"]
    tags = [c.metadata.get("tags", []) for c in cells]
    study = [i for i, t in enumerate(tags) if STUDY_TAG in t]
    if not study:
        raise SystemExit(f"{chapter.name} has no code cell tagged {STUDY_TAG!r}.")
    late = [i for i, t in enumerate(tags) if RUN_TAG in t and i < study[-1]]
    if late:
        raise SystemExit(
            f"{chapter.name}: the cell tagged {RUN_TAG!r} comes before the last cell tagged "
            f"{STUDY_TAG!r}; move it after all of them."
        )
    return "\n\n\n".join(cells[i].source for i in study) + "\n"


def load_study_code(code: str, chapter: Path) -> dict:
    """Execute the study cells; return their namespace, with the names this script needs."""
    namespace: dict = {"__name__": f"{chapter.stem}_study"}
    exec(compile(code, str(chapter), "exec"), namespace)  # noqa: S102 - our own chapter
    for name in ("STUDY", "SEEDS", "run_study"):
        if name not in namespace:
            raise SystemExit(f"{chapter.name}: the study cells do not define {name}.")
    return namespace


def _write(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(record, indent=1) + "\n")
    partial.replace(path)


def _previous_runs(path: Path, record: dict) -> list[dict]:
    """The runs of an earlier, interrupted study in ``path`` that this one may reuse."""
    if not path.is_file():
        raise SystemExit(f"--resume: there is no {path} to resume; leave --resume out.")
    old = json.loads(path.read_text())
    for key in ("code_sha256", "train_images", "epochs"):
        if old.get(key) != record[key]:
            raise SystemExit(
                f"--resume: {path} was computed with another {key} ({old.get(key)!r}, now "
                f"{record[key]!r}); its runs cannot be mixed with new ones. Leave --resume out "
                "to start over."
            )
    return old.get("runs", [])


def time_epochs(chapter: dict, data, out: Path) -> dict:
    """Seconds of each epoch after the first, for each of ``TIMED``, added to ``out``."""
    if not out.is_file() or "TIMED" not in chapter:
        raise SystemExit(f"--timing adds to a stored study that defines TIMED; {out} has none.")
    record = json.loads(out.read_text())
    load_before = os.getloadavg()[0]
    timing = {}
    for name in chapter["TIMED"]:
        run = chapter["measure"](name, 0, data, epochs=TIMING_EPOCHS)
        timing[name] = run["seconds_per_epoch"][1:]
        print(f"{name:30} {timing[name]} s per epoch", flush=True)
    record["epoch_seconds"] = {
        "seconds": timing,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "machine": machine(),
        "command": f"{record['command'].split(' --')[0]} --timing",
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    _write(out, record)
    return record["epoch_seconds"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=COMMAND, description=__doc__.splitlines()[0], epilog="See the module's docstring."
    )
    parser.add_argument("chapter", help="the chapter, e.g. 08_modern_lenet")
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds (default: the chapter's)")
    parser.add_argument("--epochs", type=int, help="epochs per run (default: the recipe's)")
    parser.add_argument(
        "--subset", type=int, metavar="N", help="the first N training images only (needs --out)"
    )
    parser.add_argument("--timing", action="store_true", help="only time the TIMED networks")
    parser.add_argument("--out", type=Path, help="where to store the record (default: assets)")
    parser.add_argument("--resume", action="store_true", help="reuse the runs stored in --out")
    args = parser.parse_args(argv)
    if args.subset is not None and args.out is None:
        parser.error("--subset is a smoke test: give --out, so that the stored study stays.")
    for name in ("epochs", "subset"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be a positive whole number, got {value}.")
    if args.seeds is not None and any(seed < 0 for seed in args.seeds):
        parser.error(f"--seeds must be whole numbers >= 0, got {args.seeds}.")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if os.environ.get("LENET_MAX_EPOCHS"):
        raise SystemExit(
            "LENET_MAX_EPOCHS is set, so every run would be cut short: unset it to run the study."
        )
    path = chapter_path(args.chapter)
    code = study_code(path)
    chapter = load_study_code(code, path)
    import lenet_utils  # after the chapter's cells: they import Keras the same way

    out = args.out or lenet_utils.assets.ASSETS / f"{chapter['STUDY']}.json"
    data = lenet_utils.load_fashion_mnist()
    if args.timing:
        time_epochs(chapter, data, out)
        return 0
    if args.subset is not None:
        data = data.subset(min(args.subset, len(data.x_train)), min(args.subset, 10_000))
    seeds = list(args.seeds if args.seeds is not None else chapter["SEEDS"])
    epochs = args.epochs or lenet_utils.RECIPE.epochs
    record = {
        "study": chapter["STUDY"],
        "chapter": str(path.relative_to(ROOT)),
        "code": code,
        "code_sha256": hashlib.sha256(code.encode()).hexdigest(),
        "seeds": seeds,
        "epochs": epochs,
        "train_images": len(data.x_train),
        "test_images": len(data.x_test),
        "runs": [],
        "complete": False,
        "machine": machine(),
        "command": " ".join([COMMAND, *argv]),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    stored = _previous_runs(out, record) if args.resume else []
    if args.resume:  # a timing made for the interrupted study stays with it
        timing = json.loads(out.read_text()).get("epoch_seconds")
        if timing:
            record["epoch_seconds"] = timing
    reused = {id(run) for run in stored}
    start = time.perf_counter()
    kept: set[tuple] = set()
    for run in chapter["run_study"](data, seeds=seeds, epochs=epochs, stored=stored):
        key = (run["network"], run["seed"], run["epochs"])
        if key in kept:
            continue
        kept.add(key)
        if id(run) not in reused:
            # seconds per epoch mean something only where the load stayed below the cores
            run["load_average"] = [round(x, 2) for x in os.getloadavg()]
        record["runs"].append(run)
        record["seconds"] = round(time.perf_counter() - start, 1)
        _write(out, record)
        accuracy = run.get("test_accuracy")
        print(
            f"{run['network']:30} seed {run['seed']} {run['epochs']:>3} epochs"
            + (f": test accuracy {accuracy:.4f}" if accuracy is not None else "")
            + f"  [{record['seconds']:.0f} s so far]",
            flush=True,
        )
    record["complete"] = True
    _write(out, record)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
