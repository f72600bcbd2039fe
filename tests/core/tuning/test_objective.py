"""The objective: the highest PnL per hour among the candidates that meet every FAIL threshold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.errors import GateError
from core.gates import DEFAULT_OBJECTIVE, load_gate
from core.tuning.objective import Objective

NIGHTLY = load_gate("nightly")
PASSING: dict[str, Any] = {
    "maker_taker_ratio": 0.9,
    "net_bps": 3.5,
    "risk_ratio": 0.2,
    "p95_latency_ms": 200.0,
    "quote_presence": 0.95,
}


def window(**changes: Any) -> dict[str, Any]:
    return {**PASSING, "pnl_per_hour": 40.0, **changes}


def test_the_best_candidate_is_the_highest_pnl_per_hour_among_those_meeting_the_fail_thresholds() -> None:
    objective = Objective(NIGHTLY)
    candidates = [
        [window(pnl_per_hour=50.0), window(pnl_per_hour=30.0)],  # mean 40, meets
        [window(pnl_per_hour=90.0, net_bps=2.7), window(pnl_per_hour=90.0)],  # at the threshold: meets
        [window(pnl_per_hour=120.0, net_bps=1.0), window(pnl_per_hour=120.0, net_bps=1.0)],  # misses net_bps
        [window(pnl_per_hour=70.0, net_bps=2.8)] * 2,  # inside the WARN band: a WARN is no constraint
        # Its mean net_bps (2.75) passes, but one window FAILs: that is a miss.
        [window(pnl_per_hour=150.0, net_bps=2.0), window(pnl_per_hour=150.0, net_bps=3.5)],
    ]
    scores = [objective.score(c) for c in candidates]
    assert [s.met for s in scores] == [True, True, False, True, False]
    assert scores[2].failed == ("net_bps",) and scores[2].shortfall == pytest.approx(1.7)
    assert scores[4].kpis["net_bps"] == 2.75 and scores[4].shortfall == pytest.approx(0.35)  # 0.7 over 2 windows
    assert objective.best(scores) == 1 and scores[1].objective == 90.0


def test_when_none_meets_the_constraints_the_smallest_shortfall_wins_then_the_objective() -> None:
    objective = Objective(NIGHTLY)
    far, near, near_richer = (
        objective.score([window(net_bps=0.0, pnl_per_hour=200.0)]),
        objective.score([window(net_bps=2.5, pnl_per_hour=10.0)]),
        objective.score([window(net_bps=2.5, pnl_per_hour=20.0)]),
    )
    assert objective.best([far, near, near_richer]) == 2


def test_a_missing_kpi_counts_as_the_gate_says_and_a_missing_objective_ranks_last(tmp_path: Path) -> None:
    gate = tmp_path / "strict.toml"
    gate.write_text('[kpi.net_bps]\nop = ">="\nfail = 2.7\nmissing = "fail"\n[kpi.risk_ratio]\nop = "<="\nfail = 0.4\n')
    objective = Objective(load_gate(str(gate)))
    blind = objective.score([{"net_bps": 3.0, "risk_ratio": 0.2}])  # no pnl_per_hour
    assert blind.met and blind.objective is None
    assert objective.score([window(net_bps=None)]).failed == ("net_bps",)  # missing = "fail"
    assert objective.score([window(risk_ratio=None)]).met  # missing = WARN by default: no constraint
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
