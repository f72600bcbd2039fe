"""The seeded market-making simulation: the default system under soak (DESIGN.md section 2)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from core.kpi import IterationKPIs
from core.params import Params
from core.scenarios import MarketRegime, get_fee_tier, regime_for, variant
from core.sim.engines import Engine, SimulatorParts, simulator_parts
from core.sim.heap import keep_freed_memory
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
    params: Params,
    scenario: str,
    seed: int,
    iteration: int,
    window_s: float = 600.0,
    fees: str | None = None,
    engine: Engine = "python",
) -> IterationResult:
    """One iteration window of `scenario` (random stream: SeedSequence([seed, iteration])), at
    the fee tier `fees` (None: the scenario's own), its loop run by `engine`."""
    regime_name, regime = _regime(scenario, iteration, fees)
    return simulate_regime(params, regime, seed, iteration, window_s, regime_name, engine)


def simulate_regime(
    params: Params,
    regime: MarketRegime,
    seed: int,
    iteration: int,
    window_s: float = 600.0,
    regime_name: str = "custom",
    engine: Engine = "python",
) -> IterationResult:
    """One window in explicit market constants (what simulate_iteration runs underneath)."""
    _check(params, seed, iteration, window_s)
    market_rng, strategy_rng = streams(seed, iteration)
    parts = simulator_parts(engine)
    market = parts.generate_market(regime, market_rng, window_s)
    return _trade(parts, params, regime, regime_name, market, strategy_rng)


class Simulator:
    """One scenario's windows at one seed, for many parameter sets: the market of the last
    `keep` iterations is kept, so that other parameters on a window already run (the what-if
    tuner's candidates, the control arm) trade the very same path without generating it again.
    The results are those of simulate_iteration, bit for bit."""

    def __init__(
        self,
        scenario: str,
        seed: int,
        window_s: float,
        fees: str | None = None,
        engine: Engine = "python",
        keep: int = 4,
    ) -> None:
        self.scenario, self.seed, self.window_s, self.fees, self.engine = scenario, seed, window_s, fees, engine
        self.parts = simulator_parts(engine)
        self.keep = keep
        keep_freed_memory()  # its windows allocate and free the same arrays again and again
        self._markets: dict[int, tuple[str, MarketRegime, MarketPath]] = {}

    def run_many(self, params: Sequence[Params], iteration: int) -> list[IterationResult]:
        """Each parameter set on the market of `iteration` (generated once)."""
        for each in params:
            _check(each, self.seed, iteration, self.window_s)
        regime_name, regime, market = self._market(iteration)
        return [
            _trade(self.parts, each, regime, regime_name, market, streams(self.seed, iteration)[1]) for each in params
        ]

    def _market(self, iteration: int) -> tuple[str, MarketRegime, MarketPath]:
        if iteration in self._markets:
            return self._markets[iteration]
        regime_name, regime = _regime(self.scenario, iteration, self.fees)
        market = self.parts.generate_market(regime, streams(self.seed, iteration)[0], self.window_s)
        self._markets[iteration] = found = (regime_name, regime, market)
        while len(self._markets) > self.keep:  # the earliest go, even the one just asked for
            del self._markets[min(self._markets)]
        return found


def _regime(scenario: str, iteration: int, fees: str | None) -> tuple[str, MarketRegime]:
    regime_name, regime = regime_for(scenario, iteration)
    if fees is not None:
        get_fee_tier(fees)
        regime = variant(regime, fee_tier=fees)
    return regime_name, regime


def _trade(
    parts: SimulatorParts,
    params: Params,
    regime: MarketRegime,
    regime_name: str,
    market: MarketPath,
    strategy_rng: np.random.Generator,
) -> IterationResult:
    tape = parts.run_window(params, regime, market, strategy_rng)
    summary = summarise(tape, market, params.max_position, regime.presence_band_bps, parts.count_quoted)
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
    "Simulator",
    "generate_market",
    "simulate_iteration",
    "simulate_regime",
    "streams",
]
