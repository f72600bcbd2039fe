"""The seeded market-making simulation: the default system under soak (DESIGN.md section 2)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

from core.kpi import IterationKPIs
from core.params import Params
from core.scenarios import MarketRegime, get_fee_tier, regime_for, variant
from core.sim.engine import run_window
from core.sim.ledger import summarise
from core.sim.market import MarketPath, generate_market, streams
from core.sim.tape import Tape

MIN_WINDOW_S = 1.0  # the shortest window that holds a request's round trip and a fill


class SimInputError(ValueError):
    """Arguments the simulator cannot run with; the message is one line."""


@dataclass(frozen=True)
class IterationResult:
    summary: IterationKPIs
    regime: str  # the regime in force
    market: MarketPath
    tape: Tape


def simulate_iteration(
    params: Params, scenario: str, seed: int, iteration: int, window_s: float = 600.0, fees: str | None = None
) -> IterationResult:
    """One iteration window of `scenario` (random stream: SeedSequence([seed, iteration])), at
    the fee tier `fees` (None: the scenario's own)."""
    regime_name, regime = regime_for(scenario, iteration)
    if fees is not None:
        get_fee_tier(fees)
        regime = variant(regime, fee_tier=fees)
    return simulate_regime(params, regime, seed, iteration, window_s, regime_name)


def simulate_regime(
    params: Params,
    regime: MarketRegime,
    seed: int,
    iteration: int,
    window_s: float = 600.0,
    regime_name: str = "custom",
) -> IterationResult:
    """One window in explicit market constants (what simulate_iteration runs underneath)."""
    _check(params, seed, iteration, window_s)
    market_rng, strategy_rng = streams(seed, iteration)
    market = generate_market(regime, market_rng, window_s)
    tape = run_window(params, regime, market, strategy_rng)
    summary = summarise(tape, market, params.max_position, regime.presence_band_bps)
    return IterationResult(summary, regime_name, market, tape)


def _check(params: Params, seed: int, iteration: int, window_s: float) -> None:
    if not isinstance(params, Params):
        raise SimInputError(f"params={type(params).__name__}: expected core.params.Params")
    for key, value in (("seed", seed), ("iteration", iteration)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
            raise SimInputError(f"{key}={value!r}: expected an integer >= 0")
    if isinstance(window_s, bool) or not isinstance(window_s, Real) or not (MIN_WINDOW_S <= window_s < math.inf):
        raise SimInputError(f"window_s={window_s!r}: expected a number of seconds >= {MIN_WINDOW_S:g}")


__all__ = [
    "IterationResult",
    "SimInputError",
    "generate_market",
    "simulate_iteration",
    "simulate_regime",
    "streams",
]
