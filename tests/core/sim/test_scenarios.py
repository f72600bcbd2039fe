"""Market scenarios as data, and the regime schedule of `mixed`."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from core.errors import ScenarioError
from core.scenarios import DEFAULT_SCENARIO, NORMAL, REGIMES, SCENARIOS, get_scenario, regime_for, variant


def test_the_scenarios_of_the_design_exist_and_normal_is_the_default():
    assert set(SCENARIOS) == {"calm", "normal", "volatile", "latency_spike", "mixed"}
    assert DEFAULT_SCENARIO == "normal"
    for name in SCENARIOS:
        scenario = get_scenario(name)
        assert scenario.schedule and all(r in REGIMES for r in scenario.schedule)


@pytest.mark.parametrize("name", ["calm", "normal", "volatile", "latency_spike"])
def test_a_static_scenario_keeps_its_regime(name):
    assert {regime_for(name, i) for i in range(1, 30)} == {(name, REGIMES[name])}


def test_mixed_switches_regimes_across_iterations_and_repeats():
    names = [regime_for("mixed", i)[0] for i in range(1, 25)]
    assert {"normal", "volatile", "calm", "latency_spike"} <= set(names)
    assert sum(a != b for a, b in itertools.pairwise(names)) >= 4
    period = len(get_scenario("mixed").schedule)
    assert names[:period] == names[period : 2 * period]


def test_regimes_order_as_their_names_say():
    calm, volatile, spike = REGIMES["calm"], REGIMES["volatile"], REGIMES["latency_spike"]
    assert calm.sigma_bps < NORMAL.sigma_bps < volatile.sigma_bps
    assert NORMAL.entry_latency_median_ms < spike.entry_latency_median_ms
    assert calm.arrival_rate < NORMAL.arrival_rate < volatile.arrival_rate
    assert volatile.impact_bps > NORMAL.impact_bps


@pytest.mark.parametrize("bad", ["crazy", "", None, ["normal"]])
def test_unknown_scenario_is_one_line_listing_the_allowed_names(bad):
    with pytest.raises(ScenarioError) as err:
        get_scenario(bad)
    message = str(err.value)
    assert isinstance(err.value, ValueError)
    assert message == (f"scenario={bad!r}: unknown scenario; allowed: calm, normal, volatile, latency_spike, mixed")
    with pytest.raises(ScenarioError):
        regime_for(bad, 1)


def test_regime_constants_are_validated():
    with pytest.raises(ValidationError, match="sigma_bps"):
        variant(NORMAL, sigma_bps=-1.0)
    with pytest.raises(ValidationError, match="arrival_rate"):
        variant(NORMAL, arrival_rate=0.0)
