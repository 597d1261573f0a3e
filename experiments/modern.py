"""Train what chapter 8 (Modernising LeNet) reports, and store it.

    python -m experiments.modern                    # the whole study (hours on two CPU cores)
    python -m experiments.modern --resume           # go on with an interrupted study
    python -m experiments.modern --seeds 0 1 --no-ablation --out /tmp/modern.json
    python -m experiments.modern --ablation-seeds 0 1    # fewer seeds for the variants
    python -m experiments.modern --timing           # only time an epoch of each network

The networks, their optimisers and the training loop are the lesson of the chapter, so they
are written there, once: in the code cells of ``chapters/08_modern_lenet.md`` tagged
``study``. This script reads those cells with jupytext, executes them, and calls the
chapter's ``run_study``: with each seed, the faithful LeNet-5, the ReLU + max-pooling LeNet-5
and the modern LeNet, and the modern LeNet again for the epochs that fit in LeNet-5's time;
then, seed by seed, the variants of the modern LeNet that each change one thing. Every run is
stored as soon as it finishes, with the code that ran, the machine and versions
(``tools.common.machine()``), the command and the date, in
``lenet_utils/assets/modern.json``, which the chapter loads with
``lenet_utils.load_study("modern")``. A study that is interrupted goes on where it stopped
with ``--resume``.

The runs' own seconds per epoch depend on what else the machine was doing while they ran,
which over hours is not under anyone's control. So the chapter's comparison at equal time
uses a separate measurement, ``--timing``: a few epochs of each network, one after the other,
on an otherwise idle machine (the 1-minute load average is stored with it), written to the
record as ``epoch_seconds`` without touching its runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import jupytext

from tools.common import ROOT, machine

CHAPTER = ROOT / "chapters" / "08_modern_lenet.md"
STUDY_TAG = "study"
DEFAULT_OUT = ROOT / "lenet_utils" / "assets" / "modern.json"
COMMAND = "python -m experiments.modern"


def study_code(chapter: Path = CHAPTER) -> str:
    """The source of the chapter's code cells tagged ``study``, in order, as one program."""
    notebook = jupytext.read(chapter)
    cells = [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and STUDY_TAG in cell.metadata.get("tags", [])
    ]
    if not cells:
        raise SystemExit(
            f"{chapter} has no code cell tagged {STUDY_TAG!r}: tag the cells that define the "
            "networks and run_study with `:tags: [study]`."
        )
    return "\n\n\n".join(cells) + "\n"


def load_study_code(code: str, chapter: Path = CHAPTER) -> dict:
    """Execute the study cells and return their namespace (``run_study``, ``SEEDS``, ...)."""
    namespace: dict = {"__name__": "modern_lenet_study"}
    exec(compile(code, str(chapter), "exec"), namespace)  # noqa: S102 - our own chapter
    for name in ("run_study", "measure", "SEEDS", "NETWORKS", "ABLATION"):
        if name not in namespace:
            raise SystemExit(f"{chapter}: the study cells do not define {name}.")
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
    for key in ("code_sha256", "train_images", "machine"):
        mine = record[key]["cpu"] if key == "machine" else record[key]
        theirs = old.get(key, {}).get("cpu") if key == "machine" else old.get(key)
        if mine != theirs:
            raise SystemExit(
                f"--resume: {path} was computed with another {key} ({theirs!r}, now "
                f"{mine!r}); its runs cannot be mixed with new ones. Run without --resume "
                "to start over."
            )
    return old.get("runs", [])


TIMING_EPOCHS = 5  # the first epoch also builds the computation: it is left out


def time_epochs(chapter: dict, data, out: Path) -> dict:
    """Seconds of each epoch after the first, for each network, stored in ``out``'s record."""
    if not out.is_file():
        raise SystemExit(f"--timing adds to a stored study: there is no {out}; run the study.")
    record = json.loads(out.read_text())
    load_before = os.getloadavg()[0]
    timing = {}
    for name in chapter["NETWORKS"]:
        run = chapter["measure"](name, 0, data, epochs=TIMING_EPOCHS)
        timing[name] = run["seconds_per_epoch"][1:]
        print(f"{name:25} {timing[name]} s per epoch", flush=True)
    record["epoch_seconds"] = {
        "seconds": timing,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "machine": machine(),
        "command": f"{COMMAND} --timing",
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    _write(out, record)
    return record["epoch_seconds"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=COMMAND, description=__doc__.splitlines()[0], epilog="See the module's docstring."
    )
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds (default: the chapter's SEEDS)")
    parser.add_argument("--epochs", type=int, help="epochs per run (default: the recipe's)")
    parser.add_argument(
        "--no-ablation", action="store_true", help="train only the three networks, no variants"
    )
    parser.add_argument(
        "--ablation-seeds",
        type=int,
        nargs="+",
        help="seeds of the variants (default: the same as --seeds)",
    )
    parser.add_argument(
        "--subset",
        type=int,
        metavar="N",
        help="train on the first N training images only (a smoke test; needs --out)",
    )
    parser.add_argument(
        "--timing",
        action="store_true",
        help="only time TIMING_EPOCHS epochs of each network and store them in --out",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to store the record")
    parser.add_argument(
        "--resume", action="store_true", help="reuse the runs already stored in --out"
    )
    args = parser.parse_args(argv)
    if args.subset is not None and args.out == DEFAULT_OUT:
        parser.error("--subset is a smoke test: give --out, so that the stored study stays.")
    for name in ("epochs", "subset"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be a positive whole number, got {value}.")
    for name in ("seeds", "ablation_seeds"):
        seeds = getattr(args, name)
        if seeds is not None and any(seed < 0 for seed in seeds):
            parser.error(f"--{name.replace('_', '-')} must be whole numbers >= 0, got {seeds}.")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if os.environ.get("LENET_MAX_EPOCHS"):
        raise SystemExit(
            "LENET_MAX_EPOCHS is set, so every run would be cut short: unset it to run the study."
        )
    code = study_code()
    chapter = load_study_code(code)
    import lenet_utils  # after the chapter's cells: they import Keras the same way

    recipe = lenet_utils.RECIPE
    data = lenet_utils.load_fashion_mnist()
    if args.timing:
        time_epochs(chapter, data, args.out)
        return 0
    if args.subset is not None:
        data = data.subset(min(args.subset, len(data.x_train)))
    seeds = list(args.seeds if args.seeds is not None else chapter["SEEDS"])
    ablation_seeds = [] if args.no_ablation else list(args.ablation_seeds or seeds)
    epochs = args.epochs or recipe.epochs
    record = {
        "study": "modern",
        "description": (
            "Chapter 8: the faithful LeNet-5, LeNet-5 with ReLU and max pooling and the modern "
            "LeNet, each trained with every seed; the modern LeNet again for the epochs that "
            "fit in LeNet-5's time; variants of the modern LeNet that each change one thing."
        ),
        "chapter": str(CHAPTER.relative_to(ROOT)),
        "code": code,
        "code_sha256": hashlib.sha256(code.encode()).hexdigest(),
        "seeds": seeds,
        "ablation_seeds": ablation_seeds,
        "epochs": epochs,
        "train_images": len(data.x_train),
        "recipe": dataclasses.asdict(recipe),
        "networks": list(chapter["NETWORKS"]),
        "variants": list(chapter["ABLATION"]) if not args.no_ablation else [],
        "runs": [],
        "complete": False,
        "machine": machine(),
        "command": " ".join([COMMAND, *argv]),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    stored = _previous_runs(args.out, record) if args.resume else []
    if args.resume:  # a timing made for the interrupted study stays with it
        timing = json.loads(args.out.read_text()).get("epoch_seconds")
        if timing:
            record["epoch_seconds"] = timing
    start = time.perf_counter()

    # The three networks with every seed first (the chapter's comparison), then the variants
    # seed by seed. run_study yields again the runs it finds in `stored`, so a run is kept
    # once, under its (network, seed, epochs).
    def all_runs() -> Iterator[dict]:
        yield from chapter["run_study"](
            data, seeds=seeds, epochs=epochs, ablation=False, stored=stored
        )
        if ablation_seeds:
            yield from chapter["run_study"](
                data,
                seeds=ablation_seeds,
                epochs=epochs,
                ablation=True,
                stored=[*stored, *record["runs"]],
            )

    runs = all_runs()
    kept: set[tuple] = set()
    reused = {id(run) for run in stored}
    for run in runs:
        key = (run["network"], run["seed"], run["epochs"])
        if key in kept:
            continue
        kept.add(key)
        if id(run) not in reused:  # a run just trained, not one stored before
            # the machine's 1-, 5- and 15-minute load averages as the run ended: its seconds
            # per epoch mean something only where the load stayed below the number of cores
            run["load_average"] = [round(x, 2) for x in os.getloadavg()]
        record["runs"].append(run)
        record["seconds"] = round(time.perf_counter() - start, 1)
        _write(args.out, record)
        print(
            f"{run['network']:25} seed {run['seed']} {run['epochs']:>3} epochs: "
            f"test accuracy {run['test_accuracy']:.4f}, "
            f"{sum(run['seconds_per_epoch']):7.1f} s  [{record['seconds']:.0f} s so far]",
            flush=True,
        )
    record["complete"] = True
    _write(args.out, record)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
