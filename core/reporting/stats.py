"""The statistics of one KPI's series over a run: count, mean, median, min, max, trend, the worst
iterations and the jumps between consecutive ones. Each overflows to None rather than raising:
a file may hold a number near the float limit.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from core.kpi import Better

WORST_COUNT = 3
JUMP_FACTOR = 4.0


class Stats(BaseModel):
    count: int
    missing: int
    mean: float | None
    median: float | None
    min: float | None
    max: float | None
    trend_per_iteration: float | None


class IterationValue(BaseModel):
    iteration: int
    value: float


class Jump(BaseModel):
    from_iteration: int
    to_iteration: int
    before: float
    after: float
    change: float


def stats(points: Sequence[tuple[int, float | None]]) -> Stats:
    values = [v for _, v in points if v is not None]
    return Stats(
        count=len(values),
        missing=len(points) - len(values),
        mean=_finite(statistics.fmean, values),
        median=_finite(statistics.median, values),
        min=min(values, default=None),
        max=max(values, default=None),
        trend_per_iteration=trend([(i, v) for i, v in points if v is not None]),
    )


def trend(present: Sequence[tuple[int, float]]) -> float | None:
    """Least-squares slope of value against iteration number; None with fewer than two iterations."""
    if len({i for i, _ in present}) < 2:
        return None
    xs, ys = zip(*present, strict=False)
    try:
        slope = statistics.linear_regression(xs, ys).slope
    except OverflowError:
        return None
    return slope if math.isfinite(slope) else None


def _finite(compute: Callable[[list[float]], float], values: Sequence[float]) -> float | None:
    """`compute(values)`, or None when there are none or the result overflows a float."""
    if not values:
        return None
    try:
        result = compute(list(values))
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def worst(present: Sequence[tuple[int, float]], better: Better) -> list[IterationValue]:
    sign = 1 if better is Better.HIGHER else -1  # the worst first, earlier iterations first on ties
    ranked = sorted(present, key=lambda point: (sign * point[1], point[0]))
    return [IterationValue(iteration=i, value=v) for i, v in ranked[:WORST_COUNT]]


def jumps(present: Sequence[tuple[int, float]], min_jump: float) -> tuple[float | None, list[Jump]]:
    """The jump threshold and every change between consecutive values that exceeds it."""
    pairs = list(itertools.pairwise(present))
    changes = [after - before for (_, before), (_, after) in pairs]
    typical = _finite(lambda c: statistics.median(abs(x) for x in c), changes)
    if typical is None:
        return None, []
    threshold = max(JUMP_FACTOR * typical, min_jump)
    return threshold, [
        Jump(from_iteration=i, to_iteration=j, before=before, after=after, change=change)
        for ((i, before), (j, after)), change in zip(pairs, changes, strict=False)
        if threshold < abs(change) < math.inf
    ]
