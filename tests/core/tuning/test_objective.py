"""The objective: the highest PnL per hour among the candidates whose replays say the next window
PASSes the gate (past every WARN edge) with a margin from their spread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.errors import GateError
from core.gates import DEFAULT_OBJECTIVE, load_gate
from core.tuning.objective import PASS_CHANCE, Objective

NIGHTLY = load_gate("nightly")
PASSING: dict[str, Any] = {
    "maker_taker_ratio": 0.95,
    "net_bps": 4.0,
    "risk_ratio": 0.2,
    "p95_latency_ms": 200.0,
    "quote_presence": 0.96,
}


def window(**changes: Any) -> dict[str, Any]:
    return {**PASSING, "pnl_per_hour": 40.0, **changes}


def windows(pnl: float, *net_bps: float) -> list[dict[str, Any]]:
    return [window(pnl_per_hour=pnl, net_bps=n) for n in net_bps]


def test_the_best_candidate_is_the_highest_pnl_per_hour_among_those_safely_inside_the_pass_band() -> None:
    objective = Objective(NIGHTLY)
    candidates = [
        windows(40.0, 3.5, 3.6, 3.4),  # inside the band by more than its spread: meets
        windows(90.0, 3.0, 3.1, 2.9),  # at the WARN edge: it misses the next window half of the time
        windows(120.0, 1.0, 1.1, 0.9),  # FAILs
        windows(60.0, 4.0, 4.2, 3.8),  # meets, and earns more than the first
        windows(150.0, 2.0, 4.0, 6.0),  # a mean far inside, but a spread as wide: not safe
    ]
    scores = [objective.score(c) for c in candidates]
    assert [s.met for s in scores] == [True, False, False, True, False]
    assert scores[1].failed == ("net_bps",) and scores[1].pass_chance == pytest.approx(0.5, abs=0.01)
    assert scores[2].shortfall == pytest.approx(2.0)  # 2 bp below the WARN edge, in min_jumps of 1 bp
    assert scores[0].pass_chance >= PASS_CHANCE > scores[4].pass_chance
    assert objective.best(scores) == 3 and scores[3].objective == 60.0


def test_the_spread_may_come_from_a_reference_so_candidates_differ_by_their_means() -> None:
    objective = Objective(NIGHTLY)
    wide = objective.spreads(windows(0.0, 2.0, 4.0, 6.0))
    assert wide["net_bps"] == pytest.approx(2.0)
    assert objective.score(windows(40.0, 3.5, 3.5, 3.5)).met  # its own spread: the floor
    assert not objective.score(windows(40.0, 3.5, 3.5, 3.5), wide).met


def test_when_none_meets_the_constraints_the_likeliest_to_pass_wins_then_the_shortfall_then_the_objective() -> None:
    objective = Objective(NIGHTLY)
    far, near, near_richer = (
        objective.score([window(net_bps=0.0, pnl_per_hour=200.0)]),
        objective.score([window(net_bps=2.9, pnl_per_hour=10.0)]),
        objective.score([window(net_bps=2.9, pnl_per_hour=20.0)]),
    )
    assert not any(s.met for s in (far, near, near_richer))
    assert objective.best([far, near, near_richer]) == 2
    hopeless = [objective.score([window(net_bps=n, pnl_per_hour=p)]) for n, p in ((-30.0, 50.0), (-20.0, 10.0))]
    assert hopeless[0].pass_chance == hopeless[1].pass_chance == 0.0
    assert objective.best(hopeless) == 1  # no chance either way: the smaller shortfall


def test_a_missing_kpi_does_not_pass_and_a_missing_objective_ranks_last(tmp_path: Path) -> None:
    gate = tmp_path / "strict.toml"
    gate.write_text('[kpi.net_bps]\nop = ">="\nfail = 2.7\nmissing = "fail"\n[kpi.risk_ratio]\nop = "<="\nfail = 0.4\n')
    objective = Objective(load_gate(str(gate)))
    blind = objective.score([{"net_bps": 3.0, "risk_ratio": 0.2}])  # no pnl_per_hour
    assert blind.met and blind.objective is None
    assert objective.score([window(net_bps=None)]).failed == ("net_bps",)
    half_blind = objective.score([window(risk_ratio=None), window()])  # a missing KPI WARNs: no pass there
    assert half_blind.failed == ("risk_ratio",) and half_blind.pass_chance == pytest.approx(0.5)
    assert objective.best([blind, objective.score([window(pnl_per_hour=-5.0)])]) == 1


def test_a_gate_profile_may_name_another_objective_and_a_lower_better_one_is_minimised(tmp_path: Path) -> None:
    assert NIGHTLY.objective == DEFAULT_OBJECTIVE == "pnl_per_hour"
    gate = tmp_path / "calm.toml"
    gate.write_text('objective = "adverse_bps_p95"\n[kpi.net_bps]\nop = ">="\nfail = 1.0\n')
    objective = Objective(load_gate(str(gate)))
    scores = [objective.score([{"net_bps": 2.0, "adverse_bps_p95": a}]) for a in (5.0, 3.0, 4.0)]
    assert objective.best(scores) == 1


def test_an_unknown_objective_is_one_clear_error(tmp_path: Path) -> None:
    gate = tmp_path / "bad.toml"
    gate.write_text('objective = "happiness"\n[kpi.net_bps]\nop = ">="\nfail = 1.0\n')
    with pytest.raises(GateError, match="objective='happiness'; allowed: a KPI of the registry"):
        load_gate(str(gate))


def test_rules_on_the_control_arm_or_the_uplift_are_the_gates_alone(tmp_path: Path) -> None:
    gate = tmp_path / "paired.toml"
    gate.write_text('[kpi.net_bps]\nop = ">="\nfail = 1.0\n[kpi."uplift.pnl_per_hour"]\nop = ">="\nfail = 0.0\n')
    objective = Objective(load_gate(str(gate)))  # a replay has no control arm to pair with
    assert [rule.kpi for rule in objective.constraints.rules] == ["net_bps"]
    assert objective.score([{"net_bps": 3.0}]).met
