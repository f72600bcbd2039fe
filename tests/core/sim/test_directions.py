"""Each parameter moves the KPIs the way a market maker expects: paired on the same seeds
(common random numbers), so a difference is the parameter's doing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.kpi import IterationKPIs
from core.params import Params
from core.scenarios import NORMAL, variant
from core.sim import simulate_regime

SEEDS = range(10)
WINDOW_S = 300.0
TIGHT = {"base_spread_bps": 1.0}
SLOW_VENUE = variant(
    NORMAL,
    latency_median_ms=3 * NORMAL.latency_median_ms,
    feed_latency_median_ms=3 * NORMAL.feed_latency_median_ms,
)


def paired(
    kpi: Callable[[IterationKPIs], float], before: dict, after: dict, regimes=(NORMAL, NORMAL)
) -> list[tuple[float, float]]:
    """(kpi before, kpi after) per seed."""
    return [
        tuple(
            kpi(simulate_regime(Params(**values), regime, seed, 1, WINDOW_S).summary)
            for values, regime in ((before, regimes[0]), (after, regimes[1]))
        )
        for seed in SEEDS
    ]


def assert_lower_on_every_seed(pairs: list[tuple[float, float]]) -> None:
    assert all(after < before for before, after in pairs), pairs


def fills(k: IterationKPIs) -> int:
    return k.fills.maker_count + k.fills.taker_count


@pytest.mark.parametrize(
    ("kpi", "before", "after", "regimes"),
    [
        pytest.param(fills, {}, {"base_spread_bps": 3.0}, None, id="wider spread: fewer fills"),
        pytest.param(lambda k: -k.gross_bps, {}, {"base_spread_bps": 3.0}, None, id="wider spread: higher gross bps"),
        pytest.param(
            lambda k: k.cancel_ratio, {}, {"min_interval_ms": 300}, None, id="longer min interval: lower cancel ratio"
        ),
        pytest.param(
            lambda k: k.p95_latency_ms, {}, {"min_interval_ms": 300}, None, id="longer min interval: lower p95 latency"
        ),
        pytest.param(
            lambda k: k.p95_latency_ms, {}, {"concurrency_limit": 2}, None, id="fewer in flight: lower p95 latency"
        ),
        pytest.param(lambda k: k.risk_ratio, {}, {"inventory_skew_bps": 3.0}, None, id="more skew: lower risk ratio"),
        pytest.param(
            lambda k: k.maker_taker_ratio, {}, {"max_position": 2.0}, None, id="smaller max position: lower maker share"
        ),
        # Stale quotes cross the market on arrival: that matters where quotes are near the touch.
        pytest.param(
            lambda k: k.maker_taker_ratio, TIGHT, TIGHT, (NORMAL, SLOW_VENUE), id="slower venue: lower maker share"
        ),
        pytest.param(lambda k: -k.net_bps, {"base_spread_bps": 0.5}, {}, None, id="tight spread loses net bps"),
    ],
)
def test_direction_of_effect(kpi, before, after, regimes):
    assert_lower_on_every_seed(paired(kpi, before, after, regimes or (NORMAL, NORMAL)))


def test_post_only_rejects_instead_of_crossing():
    for crossing, post_only in paired(lambda k: k, TIGHT, {**TIGHT, "post_only": True}):
        assert crossing.crossings > 0 and crossing.rejects == 0  # there is something to prevent
        assert post_only.crossings == 0 and post_only.rejects > 0
        assert post_only.fills.taker_count <= post_only.hedges  # hedges are its only taker fills
