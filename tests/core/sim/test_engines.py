"""The numba engine against the pure-Python reference: the same market (each engine generates
its own: numpy's, and the compiled twin), the same Tape, column by column and dtype, and so the
same KPIs, bit for bit (the ledger is shared but for its count of quoted cells, an integer, so no
sum is taken in another order: nothing needs a tolerance). The cases cross parameter sets,
scenarios, seeds and iterations, plus regimes made for the edge cases, and the test checks that
those edges occur."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from core.params import Params
from core.scenarios import REGIMES, regime_for, variant
from core.sim import IterationResult, simulate_regime
from core.sim.market import MarketPath, generate_market, streams

WINDOW_S = 60.0
PARAMS = {
    "default": Params(),
    "wide": Params(base_spread_bps=10.0, tail_age_ms=30000),
    "post_only_tight": Params(post_only=True, base_spread_bps=0.2, inventory_skew_bps=0.0),
    "taker_tight": Params(base_spread_bps=0.2),
    "chatty": Params(
        min_interval_ms=20, replace_rate_per_min=6000, concurrency_limit=64, replace_threshold_bps=0.05, tail_age_ms=200
    ),
    "small_cap": Params(max_position=1.0, impact_cap_ratio=0.05, base_spread_bps=0.5),
    "throttled": Params(replace_rate_per_min=30, concurrency_limit=1, min_interval_ms=20),
}
SCENARIOS = ("calm", "normal", "volatile", "latency_spike", "mixed")
SEEDS = (0, 7, 2026)
ITERATIONS = (1, 4)  # `mixed` changes regime between them
# Regimes for the edges: a venue that rejects most requests, and a market with almost no flow.
EDGE_REGIMES = {"rate_limited": {"rate_limit_per_s": 3.0}, "quiet": {"arrival_rate": 0.02}}


def cases() -> list[tuple[str, str, object, int, int]]:
    grid = [
        (name, scenario, regime_for(scenario, iteration), seed, iteration)
        for name, scenario, seed, iteration in itertools.product(PARAMS, SCENARIOS, SEEDS, ITERATIONS)
    ]
    base = regime_for("normal", 1)
    edges = [
        (name, edge, (edge, variant(base[1], **changes)), seed, 1)
        for name, (edge, changes), seed in itertools.product(PARAMS, EDGE_REGIMES.items(), SEEDS[:2])
    ]
    return grid + edges


def both(name: str, regime: tuple, seed: int, iteration: int) -> tuple[IterationResult, IterationResult]:
    regime_name, constants = regime
    return tuple(  # type: ignore[return-value]
        simulate_regime(PARAMS[name], constants, seed, iteration, WINDOW_S, regime_name, engine)
        for engine in ("python", "numba")
    )


def differences(python: IterationResult, numba: IterationResult) -> list[str]:
    found = [f"market.{name}" for name in fields_apart(python.market, numba.market)]
    found += fields_apart(python.tape, numba.tape)
    if python.summary.model_dump_json() != numba.summary.model_dump_json():
        found.append("KPIs")
    return found


def fields_apart(ours: object, theirs: object) -> list[str]:
    """The dataclass fields in which two records differ (arrays: in dtype, shape or any bit)."""
    found = []
    for field in dataclasses.fields(ours):  # type: ignore[arg-type]
        mine, other = getattr(ours, field.name), getattr(theirs, field.name)
        if isinstance(mine, np.ndarray):
            same = mine.dtype == other.dtype and mine.shape == other.shape and mine.tobytes() == other.tobytes()
        else:
            same = mine == other
        if not same:
            found.append(field.name)
    return found


def test_both_engines_give_the_same_tape_and_kpis_bit_for_bit(numba_engine: None) -> None:
    all_cases = cases()
    assert len(all_cases) >= 200
    seen = dict.fromkeys(
        ("no fills", "post-only rejects", "rate-limit rejects", "hedge at the cap", "taker crossings"), 0
    )
    seen |= dict.fromkeys(("throttle", "concurrency"), 0)
    mismatches = []
    for name, scenario, regime, seed, iteration in all_cases:
        python, numba = both(name, regime, seed, iteration)
        if found := differences(python, numba):
            mismatches.append(f"{name}/{scenario}/seed {seed}/iteration {iteration}: {', '.join(found)}")
        tape, params = python.tape, PARAMS[name]
        cap = params.impact_cap_ratio * params.max_position
        seen["no fills"] += len(tape.fill_time) == 0
        seen["post-only rejects"] += params.post_only and tape.rejects > tape.blocks["rate_limit"]
        seen["rate-limit rejects"] += tape.blocks["rate_limit"] > 0
        seen["hedge at the cap"] += bool(np.any(~tape.fill_maker & (tape.fill_qty == cap)))
        seen["taker crossings"] += tape.crossings > 0
        seen["throttle"] += tape.blocks["throttle"] > 0
        seen["concurrency"] += tape.blocks["concurrency"] > 0
    assert not mismatches, mismatches[:10]
    assert all(seen.values()), seen  # every edge was met by some case


@pytest.mark.parametrize("window_s", [1.0, 2.5, 600.0])
def test_the_engines_agree_on_the_shortest_and_a_full_window(numba_engine: None, window_s: float) -> None:
    regime = regime_for("volatile", 3)
    python, numba = (
        simulate_regime(Params(), regime[1], 11, 3, window_s, regime[0], engine) for engine in ("python", "numba")
    )
    assert differences(python, numba) == []


FLOWLESS = {"no branching": {"branching": 0.0}, "no flow": {"arrival_rate": 1e-6}}


@pytest.mark.parametrize("window_s", [1.0, 7.3, 600.0, 3600.0])  # 3600 s: the impact's decay in blocks
def test_both_engines_generate_the_same_market_and_leave_the_stream_where_the_other_does(
    numba_engine: None, window_s: float
) -> None:
    from core.sim.market_numba import generate_market as generate_compiled

    regimes = list(REGIMES.items()) + [(name, variant(REGIMES["normal"], **c)) for name, c in FLOWLESS.items()]
    apart = []
    for (name, regime), seed in itertools.product(regimes, (0, 5)):
        ours, theirs = streams(seed, 2)[0], streams(seed, 2)[0]
        python: MarketPath = generate_market(regime, ours, window_s)
        numba: MarketPath = generate_compiled(regime, theirs, window_s)
        if found := fields_apart(python, numba):
            apart.append(f"{name}/seed {seed}: {', '.join(found)}")
        if ours.bit_generator.state != theirs.bit_generator.state:
            apart.append(f"{name}/seed {seed}: the stream after it")
        if name == "no flow":
            assert len(python.order_time) == 0  # the edge is met
    assert not apart, apart


@pytest.mark.parametrize("seed", range(6))
def test_both_engines_count_the_same_quoted_cells(numba_engine: None, seed: int) -> None:
    """Quotes with gaps between them, the last one to the window's end, and a band that one bid's
    first cell meets exactly."""
    from core.sim.ledger import quoted_cells
    from core.sim.ledger_numba import quoted_cells as count_compiled

    rng = np.random.default_rng(seed)
    n = 5000
    mid = 100.0 * (1.0 + np.cumsum(rng.normal(0.0, 1e-5, n)))
    quotes = []
    for side, sign, away_bps in ((0, 1.0, 2.0), (1, -1.0, 1.0)):  # the asks tighter than the band
        bounds = np.sort(rng.choice(n, 60, replace=False))
        bounds[-1] = n
        for start, stop in bounds.reshape(-1, 2):
            price = mid[start] * (1.0 - sign * away_bps * 1e-4 * (1.0 + rng.normal(0.0, 0.3)))
            quotes.append((start, side, start, stop, price))
    quotes.sort()
    _, side, start, stop, price = (np.array(column) for column in zip(*quotes, strict=True))
    side = side.astype(np.int64)
    first_bid = int(np.flatnonzero(side == 0)[0])
    cell = start[first_bid]
    band = 1.0 * (mid[cell] - price[first_bid]) / mid[cell] * 1e4  # as numpy computes it
    counts = [count(mid, side, start, stop, price.astype(float), band) for count in (quoted_cells, count_compiled)]
    assert counts[0] == counts[1]
    assert 0 < counts[0] < n
