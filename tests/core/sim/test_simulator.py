"""core.sim.Simulator: several parameter sets on one generated window give what
simulate_iteration gives each of them, and the windows it keeps never lose the one asked for."""

from __future__ import annotations

from core.params import Params
from core.sim import Simulator, simulate_iteration

SETS = [Params(), Params(base_spread_bps=4.0), Params(min_interval_ms=20)]


def test_run_many_is_simulate_iteration_for_each_set():
    simulator = Simulator("mixed", 3, 60.0)
    for iteration in (1, 4):
        for result, params in zip(simulator.run_many(SETS, iteration), SETS, strict=True):
            alone = simulate_iteration(params, "mixed", 3, iteration, 60.0)
            assert result.summary == alone.summary and result.regime == alone.regime


def test_a_window_older_than_those_kept_is_still_run():
    simulator = Simulator("normal", 1, 30.0, keep=2)
    for iteration in (10, 11):
        simulator.run_many(SETS[:1], iteration)
    (old,) = simulator.run_many(SETS[:1], 2)  # earlier than every window kept
    assert old.summary == simulate_iteration(SETS[0], "normal", 1, 2, 30.0).summary
