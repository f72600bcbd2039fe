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
        mean=mean(values),
        median=_finite(statistics.median, values),
        min=min(values, default=None),
        max=max(values, default=None),
        trend_per_iteration=trend([(i, v) for i, v in points if v is not None]),
    )


def mean(values: Sequence[float]) -> float | None:
    """The mean of finite values, even near the float limit (where their sum overflows); None
    when there are none."""
    if not values:
        return None
    exponent = scale_exponent(values)
    return unscaled(statistics.fmean(math.ldexp(v, -exponent) for v in values), exponent)


def trend(present: Sequence[tuple[int, float]]) -> float | None:
    """Least-squares slope of value against iteration number; None with fewer than two iterations
    or when the slope itself is beyond the float limit."""
    if len({i for i, _ in present}) < 2:
        return None
    xs, ys = zip(*present, strict=False)
    exponent = scale_exponent(ys)
    return unscaled(statistics.linear_regression(xs, [math.ldexp(y, -exponent) for y in ys]).slope, exponent)


def scale_exponent(values: Sequence[float]) -> int:
    """The power of two that brings every value within [-1, 1] (scaling by it is exact): sums of
    values near the float limit overflow."""
    return max(0, math.frexp(max(abs(v) for v in values))[1])


def unscaled(scaled: float, exponent: int) -> float | None:
    try:
        value = math.ldexp(scaled, exponent)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


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
