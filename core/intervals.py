"""A mean with its confidence interval, by Student's t (small samples of paired windows).

The t quantile is found by bisection on the t distribution's CDF, written through the regularized
incomplete beta function (its continued fraction, evaluated by Lentz's method): the standard
library has no t distribution, and the project takes no SciPy for one number.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from pydantic import BaseModel

from core.reporting.stats import scale_exponent, unscaled

LEVEL = 0.90  # as the uplift's interval (DESIGN.md section 5)


class MeanInterval(BaseModel):
    n: int
    mean: float
    low: float | None  # None with fewer than two values: no spread to judge by
    high: float | None
    level: float


def mean_interval(values: Sequence[float], level: float = LEVEL) -> MeanInterval | None:
    """The mean of `values` and its two-sided `level` interval; None when there are none."""
    if not values:
        return None
    exponent = scale_exponent(values)  # near the float limit, sums overflow: work scaled
    scaled = [math.ldexp(v, -exponent) for v in values]
    n, mean = len(values), statistics.fmean(scaled)
    if n < 2:
        return MeanInterval(n=n, mean=math.ldexp(mean, exponent), low=None, high=None, level=level)
    half = t_quantile((1 + level) / 2, n - 1) * statistics.stdev(scaled) / math.sqrt(n)
    return MeanInterval(
        n=n,
        mean=math.ldexp(mean, exponent),
        low=unscaled(mean - half, exponent),
        high=unscaled(mean + half, exponent),
        level=level,
    )


def t_quantile(p: float, df: int) -> float:
    """The t value below which a share `p` (0.5 < p < 1) of the distribution with `df` degrees
    of freedom lies."""
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


def t_cdf(t: float, df: int) -> float:
    tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t > 0 else tail


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):  # where the continued fraction converges fast
        return front * _continued_fraction(a, b, x) / a
    return 1 - front * _continued_fraction(b, a, 1 - x) / b


def _continued_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return result
