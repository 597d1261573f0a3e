"""The benchmark's protocol: interleaved rounds, paired ratios, and a verdict per pair.

Each round runs every variant once, in a fresh process, in an order that rotates from round to
round. A run's figure is the median of its epochs after the first (the first also builds the
computation, a one-off cost reported apart). For a pair of variants, each round gives one
ratio of their figures; the pair's ratio is the geometric mean of those, with a t-interval on
their logarithms. The intervals of a record's pairs are Bonferroni-widened so that they hold
together with :data:`CONFIDENCE`. A variant is called faster only when its interval excludes 1.

Why not a bootstrap: a few rounds resample into few distinct outcomes, and a percentile
bootstrap of so few values gives intervals too narrow for their stated confidence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

CONFIDENCE = 0.95
"""The confidence with which all intervals of one record hold together."""

MIN_ROUNDS = 3
"""Fewest rounds of a measurement under the protocol."""

FASTER, SLOWER, SAME = "faster", "slower", "no measurable difference"
"""Verdicts on a pair (first, second): the first is faster, slower, or no difference shows."""


def rotated(kinds: Sequence[str], round_index: int) -> list[str]:
    """The order of round ``round_index`` (from 0): ``kinds`` rotated left by that many."""
    shift = round_index % len(kinds)
    return [*kinds[shift:], *kinds[:shift]]


def run_seconds(epoch_seconds: Sequence[float]) -> float:
    """A run's seconds per epoch: the median of its epochs after the first.

    Raises:
        ValueError: fewer than two epochs.
    """
    if len(epoch_seconds) < 2:
        raise ValueError(
            f"a run needs at least 2 epochs (the first is set apart), got {len(epoch_seconds)}"
        )
    return float(np.median(epoch_seconds[1:]))


def _t_within(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with ``df`` (a whole number) degrees of freedom, exact."""
    theta = math.atan(t / math.sqrt(df))
    s, c2 = math.sin(theta), math.cos(theta) ** 2
    total, term = 1.0, 1.0
    if df % 2:
        if df == 1:
            return 2 * theta / math.pi
        for k in range(1, (df - 1) // 2):
            term *= 2 * k / (2 * k + 1) * c2
            total += term
        return 2 / math.pi * (theta + s * math.sqrt(c2) * total)
    for k in range(1, df // 2):
        term *= (2 * k - 1) / (2 * k) * c2
        total += term
    return s * total


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile (``p`` above 0.5) of Student's t with ``df`` degrees of freedom."""
    if not 0.5 < p < 1 or df < 1:
        raise ValueError(f"need 0.5 < p < 1 and df >= 1, got p={p}, df={df}")
    target, low, high = 2 * p - 1, 0.0, 1.0
    while _t_within(high, df) < target:
        low, high = high, 2 * high
    for _ in range(100):
        middle = (low + high) / 2
        low, high = (middle, high) if _t_within(middle, df) < target else (low, middle)
    return (low + high) / 2


@dataclass(frozen=True)
class Comparison:
    """Two variants compared over the rounds: ``ratios[i]`` is the second's seconds per epoch
    over the first's in round ``i`` (above 1: the first is faster), ``ratio`` their geometric
    mean, ``low``-``high`` its interval at ``level``."""

    first: str
    second: str
    ratios: tuple[float, ...]
    ratio: float
    low: float
    high: float
    level: float

    @property
    def verdict(self) -> str:
        """:data:`FASTER` or :data:`SLOWER` when the interval excludes 1, else :data:`SAME`."""
        return FASTER if self.low > 1 else SLOWER if self.high < 1 else SAME

    def as_dict(self) -> dict:
        """The comparison and its verdict, as stored in a record."""
        return {**asdict(self), "ratios": list(self.ratios), "verdict": self.verdict}


def compare(
    first: str, second: str, a: Sequence[float], b: Sequence[float], level: float
) -> Comparison:
    """Compare run figures ``a`` (of ``first``) and ``b`` (of ``second``), paired by round."""
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"need the same number of rounds, at least 2, got {len(a)} and {len(b)}")
    ratios = np.asarray(b, dtype=float) / np.asarray(a, dtype=float)
    logs = np.log(ratios)
    half = t_quantile((1 + level) / 2, len(logs) - 1) * logs.std(ddof=1) / math.sqrt(len(logs))
    mean = float(logs.mean())
    return Comparison(
        first,
        second,
        tuple(float(r) for r in ratios),
        math.exp(mean),
        math.exp(mean - half),
        math.exp(mean + half),
        level,
    )


def compare_rounds(
    figures: Sequence[dict[str, float]], pairs: Sequence[tuple[str, str]]
) -> list[Comparison]:
    """Each pair of ``pairs`` whose variants ran in every round of ``figures`` (one dict of
    run figures per round), at the Bonferroni level that makes them hold together with
    :data:`CONFIDENCE`. Empty with fewer than two rounds."""
    present = [(x, y) for x, y in pairs if all(x in f and y in f for f in figures)]
    if len(figures) < 2 or not present:
        return []
    level = 1 - (1 - CONFIDENCE) / len(present)
    return [
        compare(x, y, [f[x] for f in figures], [f[y] for f in figures], level) for x, y in present
    ]
