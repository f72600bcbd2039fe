"""Each parameter and each market constant moves the KPIs the way a market maker expects: paired on
the same seeds (common random numbers), so a difference is the change's doing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.kpi import IterationKPIs
from core.params import Params
from core.scenarios import NORMAL, MarketRegime, variant
from core.sim import simulate_regime

SEEDS = range(10)
WINDOW_S = 600.0  # the soak's own window: shorter ones leave a seed or two to the noise
TIGHT = {"base_spread_bps": 1.0}
NO_HEDGES = {"max_position": 100.0}  # every fill is a maker fill: per-fill markouts are the quotes'
CHATTY = {"min_interval_ms": 20, "replace_threshold_bps": 0.05}
LARGE_TICK = variant(NORMAL, tick_bps=1.0)  # a level wide enough that orders often end in it


def paired(
    kpi: Callable[[IterationKPIs], float],
    before: dict,
    after: dict,
    regimes: tuple[MarketRegime, MarketRegime] = (NORMAL, NORMAL),
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
            lambda k: k.cancels_sent, {}, {"min_interval_ms": 400}, None, id="longer min interval: fewer cancels"
        ),
        pytest.param(
            lambda k: k.risk_ratio,
            {**NO_HEDGES, "inventory_skew_bps": 0.0},
            {**NO_HEDGES, "inventory_skew_bps": 10.0},
            None,
            id="more skew: lower risk ratio",
        ),
        pytest.param(
            lambda k: k.maker_taker_ratio,
            {"max_position": 12.0},
            {},
            None,
            id="smaller max position: more hedging, lower maker share",
        ),
        pytest.param(lambda k: -k.net_bps, {"base_spread_bps": 0.5}, {}, None, id="tight spread loses net bps"),
        pytest.param(
            lambda k: k.fills.maker_count,
            {},
            {},
            # The same orders and the same book when our quote lands; only the queue ahead of
            # it drains more slowly. (A deeper book is no such variant: an order's size follows
            # its reach over the depth, so it takes more at a deeper marginal level too.)
            (variant(LARGE_TICK, queue_cancel_rate=10 * LARGE_TICK.queue_cancel_rate), LARGE_TICK),
            id="fewer cancels ahead of us: a longer queue, fewer maker fills",
        ),
        pytest.param(
            lambda k: k.adverse_bps,
            NO_HEDGES,
            NO_HEDGES,
            (variant(NORMAL, informed_share=0.6), variant(NORMAL, informed_share=0.1)),
            id="less informed flow: smaller adverse cost",
        ),
        pytest.param(
            lambda k: k.cancels_landed,
            {},
            {},
            (NORMAL, variant(NORMAL, response_latency_median_ms=4 * NORMAL.response_latency_median_ms)),
            id="longer response latency: fewer cancels landed in time",
        ),
        pytest.param(
            lambda k: k.p95_latency_ms,
            CHATTY,
            {},
            (variant(NORMAL, queue_ms_per_rps=20.0),) * 2,
            id="fewer requests: lower p95 latency",
        ),
    ],
)
def test_direction_of_effect(kpi, before, after, regimes):
    assert_lower_on_every_seed(paired(kpi, before, after, regimes or (NORMAL, NORMAL)))


def test_a_tighter_spread_pays_a_larger_markout_per_fill():
    """Informed flow takes the liquidity near the touch; the sweeps that reach wide quotes are
    mostly uninformed and their impact partly reverts within the markout horizon."""
    pairs = paired(
        lambda k: k.adverse_bps, {**NO_HEDGES, "base_spread_bps": 1.0}, {**NO_HEDGES, "base_spread_bps": 4.0}
    )
    assert sum(after < before for before, after in pairs) >= 8, pairs
    assert sum(b - a for b, a in pairs) / len(pairs) > 0.1, pairs  # bps per fill, on average


def test_requests_over_the_venue_limit_are_rejected_for_rate_limit():
    limited = (variant(NORMAL, rate_limit_per_s=8.0), variant(NORMAL, rate_limit_per_s=1000.0))
    for tight, free in paired(lambda k: k, CHATTY, CHATTY, limited):
        assert tight.blocks.counts["rate_limit"] > 0 and tight.rejects >= tight.blocks.counts["rate_limit"]
        assert free.blocks.counts["rate_limit"] == 0
        assert tight.orders_sent <= free.orders_sent + tight.blocks.counts["rate_limit"]


def test_post_only_rejects_instead_of_crossing():
    crossing_quotes = {"base_spread_bps": 0.2}  # inside the market's own half spread
    for crossing, post_only in paired(lambda k: k, crossing_quotes, {**crossing_quotes, "post_only": True}):
        assert crossing.crossings > 0  # there is something to prevent
        assert post_only.crossings == 0 and post_only.rejects > 0
        assert post_only.fills.taker_count <= post_only.hedges  # hedges are its only taker fills
