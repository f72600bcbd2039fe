"""Market scenarios (DESIGN.md section 2): the constants of each regime and the regime schedules.

A scenario names a schedule of regimes across iterations; a static scenario is a schedule of one.
Units: sigma in bp/sqrt(s), arrival rates per second per side, depth decay k per bp, prices and
fees in bps of mid (a negative fee is a rebate), latencies in ms.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.errors import ScenarioError


class MarketRegime(BaseModel):
    """The constants of one market regime."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sigma_bps: float = Field(ge=0)  # mid volatility, bp/sqrt(s)
    arrival_rate: float = Field(gt=0)  # market orders per second per side
    depth_decay_k: float = Field(gt=0)  # reach D ~ Exp(k) bps from mid
    impact_bps: float = Field(ge=0)  # permanent impact of a size-1 order that swept 1/k bps
    size_sigma: float = Field(ge=0)  # market order size: lognormal, median 1 unit
    half_spread_bps: float = Field(ge=0)  # the market's own best bid/ask around mid
    slippage_bps: float = Field(ge=0)  # taker cost beyond the touch for 1 unit (square root law)
    latency_median_ms: float = Field(ge=0)  # order entry / cancel: lognormal ...
    latency_sigma: float = Field(ge=0)
    queue_ms_per_rps: float = Field(ge=0)  # ... plus queueing: ms per request/s sent lately
    feed_latency_median_ms: float = Field(ge=0)  # how stale the strategy's view of mid is
    feed_latency_sigma: float = Field(ge=0)
    maker_fee_bps: float
    taker_fee_bps: float


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    schedule: tuple[str, ...]  # regime names, one per iteration, cycled


NORMAL = MarketRegime(
    sigma_bps=1.0,
    arrival_rate=3.0,
    depth_decay_k=0.7,
    impact_bps=0.1,
    size_sigma=0.8,
    half_spread_bps=0.5,
    slippage_bps=0.6,
    latency_median_ms=70.0,
    latency_sigma=0.55,
    queue_ms_per_rps=20.0,
    feed_latency_median_ms=40.0,
    feed_latency_sigma=0.7,
    maker_fee_bps=-0.5,
    taker_fee_bps=2.5,
)


def variant(base: MarketRegime, **changes: float) -> MarketRegime:
    """`base` with some constants changed, validated."""
    return MarketRegime.model_validate({**base.model_dump(), **changes})


REGIMES: dict[str, MarketRegime] = {
    "calm": variant(
        NORMAL,
        sigma_bps=0.6,
        arrival_rate=2.5,
        depth_decay_k=1.0,
        impact_bps=0.08,
        half_spread_bps=0.4,
        slippage_bps=0.4,
        latency_median_ms=45.0,
        queue_ms_per_rps=10.0,
        feed_latency_median_ms=25.0,
    ),
    "normal": NORMAL,
    "volatile": variant(
        NORMAL,
        sigma_bps=2.2,
        arrival_rate=4.0,
        depth_decay_k=0.55,
        impact_bps=0.25,
        size_sigma=1.0,
        half_spread_bps=1.0,
        slippage_bps=1.2,
        latency_median_ms=90.0,
        latency_sigma=0.7,
        feed_latency_median_ms=50.0,
    ),
    "latency_spike": variant(
        NORMAL,
        latency_median_ms=140.0,
        latency_sigma=0.8,
        queue_ms_per_rps=25.0,
        feed_latency_median_ms=80.0,
        feed_latency_sigma=0.8,
    ),
}

_MIXED_SCHEDULE = (
    "normal",
    "normal",
    "normal",
    "volatile",
    "volatile",
    "normal",
    "calm",
    "calm",
    "latency_spike",
    "normal",
    "volatile",
    "latency_spike",
)

_SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(name="calm", description="low volatility, thin flow, fast venue", schedule=("calm",)),
        Scenario(name="normal", description="a liquid crypto major on an ordinary day", schedule=("normal",)),
        Scenario(
            name="volatile", description="twice the volatility, deeper sweeps, more impact", schedule=("volatile",)
        ),
        Scenario(
            name="latency_spike", description="normal flow through a slow, congested venue", schedule=("latency_spike",)
        ),
        Scenario(name="mixed", description="regimes switching across iterations", schedule=_MIXED_SCHEDULE),
    )
}
SCENARIOS: tuple[str, ...] = tuple(_SCENARIOS)
DEFAULT_SCENARIO = "normal"


def get_scenario(name: str) -> Scenario:
    try:
        return _SCENARIOS[name]
    except (KeyError, TypeError):
        raise ScenarioError(f"scenario={name!r}: unknown scenario; allowed: {', '.join(SCENARIOS)}") from None


def regime_for(scenario_name: str, iteration: int) -> tuple[str, MarketRegime]:
    """The regime in force at `iteration` (1-based, as in ITER_SUMMARY_<i>)."""
    schedule = get_scenario(scenario_name).schedule
    name = schedule[(iteration - 1) % len(schedule)]
    return name, REGIMES[name]
