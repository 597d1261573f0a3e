"""Write the Performance appendix's measured sentences from the stored benchmark records.

    python -m benchmarks.appendix           # rewrite the marked regions of the appendix
    python -m benchmarks.appendix --check   # exit 1 if one is out of date

``appendix/performance.md`` is written by hand except between its ``<!-- bench:NAME:start -->``
and ``<!-- bench:NAME:end -->`` markers, which this module fills from
``benchmarks/results/*.json``: every figure and verdict there comes from a record. A verdict
is stated only where all stored runs under the protocol agree on it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from tools.common import ROOT, write_or_check

from . import protocol
from .run import PAIRS, comparisons, epoch_flops, read_record, summarise, under_protocol

PAGE = ROOT / "appendix" / "performance.md"
RESULTS = ROOT / "benchmarks" / "results"
CPU = ("cpu.json", "cpu-repeat.json")
"""The CPU records: two runs of the protocol on the machine the book is built on."""
GPU = ("gpu-h100.json", "gpu-h100-repeat.json")
"""The GPU records (from before the protocol)."""

PROSE = {
    "keras-default": "plain `model.fit`",
    "lenet-utils-train": "`lenet_utils.train`",
    "lenet-utils-train-1step": "`lenet_utils.train` with one step per call",
    "torch": "the PyTorch peer",
}
"""How the appendix's sentences name the variants."""

STEPS_PAIR = ("lenet-utils-train", "lenet-utils-train-1step")
"""The pair that differs by ``steps_per_execution`` alone."""


def load(names: tuple[str, ...], folder: Path = RESULTS) -> list[tuple[str, dict]]:
    """The read records among ``names`` that exist in ``folder``, with their file names."""
    return [
        (name, read_record(json.loads((folder / name).read_text())))
        for name in names
        if (folder / name).is_file()
    ]


def _words(n: int) -> str:
    """A small count in words, as prose writes it."""
    return ["no", "one", "two", "three", "four", "five", "six"][n] if n < 7 else str(n)


def _source(record: dict) -> str:
    """Where a sentence's figures come from, said after it."""
    if under_protocol(record):
        return f"(medians over the {_words(len(record['rounds']))} rounds of {record['measured']})"
    return "(measured before the protocol, in one run)"


def _verdict(first: str, second: str, verdict: str) -> str:
    if verdict == protocol.FASTER:
        return f"{PROSE[first]} is faster"
    if verdict == protocol.SLOWER:
        return f"{PROSE[second]} is faster"
    return protocol.SAME


def _figures(compared: list[protocol.Comparison]) -> str:
    return "; ".join(f"ratio {c.ratio:.2f}, interval {c.low:.2f}-{c.high:.2f}" for c in compared)


def agreed(runs: list[dict], pair: tuple[str, str]) -> tuple[str | None, list]:
    """The verdict that all ``runs`` (read records) give ``pair``, or None where they differ
    or a run lacks the pair; and each run's comparison of it."""
    found = [[c for c in comparisons(r) if (c.first, c.second) == pair] for r in runs]
    if not runs or not all(found):
        return None, []
    compared = [f[0] for f in found]
    verdicts = {c.verdict for c in compared}
    return (verdicts.pop() if len(verdicts) == 1 else None), compared


def _steps_sentence(verdict: str | None, where: str) -> str:
    says = {
        protocol.FASTER: "makes an epoch measurably faster",
        protocol.SLOWER: "makes an epoch measurably slower",
        protocol.SAME: "gives no measurable gain",
    }
    if verdict is None:
        return f"Whether `steps_per_execution=32` changes the speed {where}, the runs do not agree."
    return (
        f"So `steps_per_execution=32`, the one setting in which those two differ, "
        f"{says[verdict]} {where}."
    )


def verdict_lines(runs: list[dict], where: str) -> list[str]:
    """The verdict of each pair on which runs under the protocol agree, as sentences."""
    count = {1: "the one stored run", 2: "both runs"}.get(len(runs), f"all {len(runs)} runs")
    dates = ", ".join(r["measured"] for r in runs)
    rules = runs[0]["protocol"]
    stored = {1: "One run of the protocol is stored", 2: "Two runs of the protocol are stored"}
    stored = stored.get(len(runs), f"{len(runs)} runs of the protocol are stored")
    lines = [
        f"{stored} ({dates}), of {_words(rules['rounds'])} rounds with "
        f"{_words(rules['epochs'])} epochs a run. Their verdicts, with each run's ratio (the "
        "second's seconds per epoch over the first's, the geometric mean over the rounds) and "
        "interval:",
        "",
    ]
    for pair in PAIRS:
        verdict, compared = agreed(runs, pair)
        if not compared:
            continue
        head = f"* {PROSE[pair[0]]} against {PROSE[pair[1]]}: "
        if verdict is None:
            each = ", ".join(c.verdict for c in compared)
            lines.append(f"{head}the runs disagree ({each}), so no verdict ({_figures(compared)}).")
        else:
            lines.append(f"{head}{_verdict(*pair, verdict)} in {count} ({_figures(compared)}).")
    verdict, compared = agreed(runs, STEPS_PAIR)
    if compared:
        lines += ["", _steps_sentence(verdict, where)]
    return lines


def old_lines(records: list[dict]) -> list[str]:
    """What records from before the protocol show: the ratios of their medians and, read as
    rounds of the protocol where there are two or more, the interval and verdict."""
    if len(records) == 1:
        return [
            "The stored record predates the protocol: each variant ran once, one after the "
            "other, so that a slow spell of the machine could land on one of them only. It "
            "supports no verdict, and this page states none from it.",
        ]
    merged = {**records[0], "rounds": [r["rounds"][0] for r in records]}
    compared = comparisons(merged)
    lines = [
        f"These {_words(len(records))} records predate the protocol: each ran every variant "
        "once, one after the other, so that a slow spell of the machine could land on one of "
        "them only."
    ]
    for c in compared:
        each = " and ".join(f"{r:.2f}" for r in c.ratios)
        lines.append(
            f"In them, the ratio of {PROSE[c.second]}'s seconds per epoch to those of "
            f"{PROSE[c.first]} was {each} (the medians of the epochs after the first); read "
            f"as {_words(len(c.ratios))} rounds of the protocol, their interval is "
            f"{c.low:.2f}-{c.high:.2f} ({c.level:.0%}): {_verdict(c.first, c.second, c.verdict)}."
        )
        backends = {r["machine"].get("keras_backend", "tensorflow") for r in records}
        if (c.first, c.second) == (
            "lenet-utils-train",
            "keras-default",
        ) and "tensorflow" not in backends:
            lines.append(_steps_sentence(c.verdict, "in these records"))
    return [" ".join(lines)]


def _figure(name: str, record: dict, label: str) -> list[str]:
    where = record["machine"]["gpu"]
    where = f"{record['machine']['cores']} CPU cores" if where == "none" else f"an {where}"
    if len(record["rounds"]) > 1:
        alt = (
            f"Top: seconds per epoch of LeNet-5 for each variant on {where}, as box plots over "
            "the epochs after the first of all rounds. Bottom: for each pair of variants, the "
            "ratio in each round, their geometric mean and its interval, on a log scale with a "
            "dashed line at 1."
        )
        caption = (
            f"{label} ({record['measured']}): seconds per epoch over the epochs after the first "
            f"of all {len(record['rounds'])} rounds (top); for each pair, the ratio in each "
            "round (ticks), their geometric mean (dot) and interval (bar), above 1 when the "
            "first is faster (bottom)."
        )
    else:
        alt = (
            f"Seconds per epoch of LeNet-5 for each variant on {where}, as box plots over the "
            "epochs after the first of one run each."
        )
        caption = (
            f"{label} ({record['measured']}): seconds per epoch over each run's epochs after "
            "the first (the first epoch, which also builds the computation, is in the table)."
        )
    png = Path(name).with_suffix(".png")
    return [
        f"```{{figure}} ../benchmarks/results/{png}",
        f":alt: {alt}",
        ":width: 90%",
        "",
        caption,
        "```",
    ]


def section(loaded: list[tuple[str, dict]], where: str) -> list[str]:
    """A machine's sentences, tables and figures, from its ``loaded`` records."""
    if not loaded:
        return ["No record is stored for this machine."]
    runs = [r for _, r in loaded if under_protocol(r)]
    old = [r for _, r in loaded if not r["protocol"].get("interleaved")]
    if runs:
        lines = verdict_lines(runs, where)
    elif old:
        lines = old_lines(old)
    else:
        lines = ["The stored records are checks of the command, not measurements: no verdict."]
    for number, (name, record) in enumerate(loaded, 1):
        label = f"Run {number}" if len(loaded) > 1 else "The run"
        md = Path(name).with_suffix(".md")
        lines += ["", f"```{{include}} ../benchmarks/results/{md}", "```", ""]
        lines += _figure(name, record, label)
    return lines


def time_lines(cpu: list[tuple[str, dict]], gpu: list[tuple[str, dict]]) -> list[str]:
    """Where an epoch's time goes on the CPU and the GPU, from the first record of each."""
    lines = []
    if cpu and "step_ms" in summarise(cpu[0][1]).get("keras-default", {}):
        record = cpu[0][1]
        s, recipe = summarise(record)["keras-default"], record["recipe"]
        steps = recipe.steps_per_epoch()
        floor = steps * s["step_ms"] / 1000 + s["inference_seconds"] * recipe.split_sizes()[1] / 1e4
        share = floor / s["median"]
        head = (
            "the arithmetic sets the pace"
            if share >= 0.75
            else f"the arithmetic takes {share:.0%} of an epoch"
        )
        rate = epoch_flops(recipe) / s["median"] / 1e9
        rest = (
            "The rest goes to the input pipeline, the callbacks, Python, and to fresh batches "
            "that, unlike the one repeated batch, are not already in the processor's cache."
            if share < 1
            else "Inside `fit`, the steps take no longer than that."
        )
        lines.append(
            f"* **On {_words(record['machine']['cores'])} CPU cores, {head}.** A training step "
            f"repeated on one fixed batch takes {s['step_ms']:.1f} ms, so an epoch's {steps} steps "
            f"and its validation pass need about {floor:.2f} s: {share:.0%} of the median epoch of "
            f"plain `model.fit` ({s['median']:.2f} s). {rest} The epoch's arithmetic runs at "
            f"{rate:.0f} "
            f"GFLOP/s {_source(record)}."
        )
    if gpu and "step_ms" in summarise(gpu[0][1]).get("keras-default", {}):
        record = gpu[0][1]
        s, recipe = summarise(record)["keras-default"], record["recipe"]
        steps = recipe.steps_per_epoch()
        validation = s["inference_seconds"] * recipe.split_sizes()[1] / 1e4
        inside = 1000 * (s["median"] - validation) / steps
        calls = inside < s["step_ms"] / 2
        head, tail = (
            (
                "the calls set the pace",
                "most of a lone step's time goes to the call (launching many tiny kernels, "
                "the round trip between Python and the GPU), not to the arithmetic",
            )
            if calls
            else ("the calls do not set the pace", "the call is less than half of a lone step")
        )
        lines.append(
            f"* **On the {record['machine']['gpu']}, {head}.** A training step called on its "
            f"own takes {s['step_ms']:.1f} ms, and a step inside plain `fit` {inside:.1f} ms "
            f"(the median epoch, {s['median']:.2f} s, less its validation pass, over {steps} "
            f"steps): {tail} {_source(record)}."
        )
    return lines


def memory_lines(cpu: list[tuple[str, dict]]) -> list[str]:
    """Where the memory of a Keras run goes, and the PyTorch peer's peak, on the CPU."""
    if not cpu:
        return []
    summary = summarise(cpu[0][1])
    s = summary.get("keras-default", {})
    if "rss_import_mb" not in s:
        return []
    line = (
        "* **Most of the peak memory is in use before training starts.** With plain "
        f"`model.fit`, importing TensorFlow and Keras takes about {s['rss_import_mb'] / 1024:.1f}"
        f" GB, and Fashion-MNIST as float32 arrays about "
        f"{(s['rss_data_mb'] - s['rss_import_mb']) / 1024:.2f} GB more, before the first step, "
        f"of a peak of {s['peak_rss_mb'] / 1024:.1f} GB; LeNet-5's own weights and activations "
        f"are small beside them {_source(cpu[0][1])}."
    )
    if "torch" in summary:
        line += (
            f" The PyTorch peer, which loads no TensorFlow, peaks at "
            f"{summary['torch']['peak_rss_mb'] / 1024:.1f} GB."
        )
    return [line]


def expect_lines(cpu: list[tuple[str, dict]]) -> list[str]:
    """How long a full training with the recipe takes on the CPU, from the first record."""
    if not cpu or "lenet-utils-train" not in summarise(cpu[0][1]):
        return []
    record = cpu[0][1]
    s, epochs = summarise(record)["lenet-utils-train"], record["recipe"].epochs
    total = s["first"] + (epochs - 1) * s["median"]
    return [
        f"On two CPU cores, a full training of LeNet-5 with the recipe ({epochs} epochs) "
        f"through `lenet_utils.train` takes about {total:.0f} s by the benchmark's figures: a "
        f"first epoch of {s['first']:.1f} s, which also builds the computation, then "
        f"{s['median']:.2f} s per epoch {_source(record)}."
    ]


def regions(folder: Path = RESULTS) -> dict[str, list[str]]:
    """Each marked region's lines, computed from the records in ``folder``."""
    cpu, gpu = load(CPU, folder), load(GPU, folder)
    return {
        "cpu": section(cpu, "on these two cores"),
        "gpu": section(gpu, "on this GPU"),
        "time": time_lines(cpu, gpu),
        "memory": memory_lines(cpu),
        "expect": expect_lines(cpu),
    }


def fill(text: str, name: str, lines: list[str]) -> str:
    """``text`` with the region ``name`` holding ``lines``.

    Raises:
        ValueError: the page lacks the region's markers.
    """
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"{PAGE.name} has no region {start} ... {end}")
    body = "\n".join([start, *lines, end])
    return pattern.sub(lambda _: body, text, count=1)


def render(page: str, folder: Path = RESULTS) -> str:
    """``page`` with every region filled from the records in ``folder``."""
    for name, lines in regions(folder).items():
        page = fill(page, name, lines)
    return page


def main(argv: list[str] | None = None) -> int:
    """Rewrite the appendix's regions, or with ``--check`` report whether they are stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = write_or_check(PAGE, render(PAGE.read_text()), args.check)
    if args.check and stale:
        print(f"{PAGE} is out of date: run python -m benchmarks.appendix", file=sys.stderr)
        return 1
    print(f"{PAGE} {'rewritten' if stale else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
