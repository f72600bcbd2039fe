"""The what-if tuner: candidates replayed on the last W finished windows' market paths, the best
under the gate applied, the table recorded; and the decision never sees the next window."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from core.config import build_config
from core.drivers import DriverResult, SimDriver
from core.events import IterationFinished
from core.gates import evaluate_iteration, load_gate
from core.loop import SoakLoop
from core.params import Params
from core.records import IterationRecord, Tuners
from core.sim import simulate_iteration
from core.tuning.objective import Objective
from core.tuning.rules import Proposed
from core.tuning.tuner import apply_deltas
from core.tuning.whatif import CAUTIOUS, NO_CHANGE, PROPOSAL, WINDOWS, WhatIfTuner, neighbourhood
from tests.support.runs import kpis

NIGHTLY = load_gate("nightly")

WINDOW_S = 60.0
SEED = 4


def soak(tmp_path: Path, driver: SimDriver | None = None, **settings: Any) -> list[IterationRecord]:
    config = build_config(
        {"iterations": 5, "seed": SEED, "gate": "nightly", "window_s": WINDOW_S, "out": str(tmp_path), **settings}, {}
    )
    return [e.record for e in SoakLoop(config, driver).run() if isinstance(e, IterationFinished)]


def test_whatif_is_the_default_on_the_simulator_and_decides_on_the_last_w_windows(tmp_path: Path) -> None:
    records = soak(tmp_path)
    objective = Objective(load_gate("nightly"))
    decided = [r for r in records if r.tuning.candidates]
    assert decided, "the what-if decided at least once"
    for record in decided:
        tuning = record.tuning
        assert tuning.tuner is Tuners.WHATIF and tuning.objective == "pnl_per_hour"
        assert tuning.windows == list(range(max(1, record.iteration - WINDOWS + 1), record.iteration + 1))
        assert [c.label for c in tuning.candidates][-1] == NO_CHANGE
        params = Params(**record.params)
        spreads = objective.spreads(replayed(params, tuning.windows))  # every candidate: the current values' spread
        scores = []
        for candidate in tuning.candidates:  # each row is its candidate replayed on those windows' paths
            summaries = replayed(apply_deltas(params, candidate.deltas), tuning.windows)
            assert candidate.objective == statistics.fmean(s["pnl_per_hour"] for s in summaries)
            scores.append(objective.score(summaries, spreads))
            assert candidate.constraints_met == scores[-1].met and candidate.failed == list(scores[-1].failed)
            assert candidate.pass_chance == scores[-1].pass_chance
        chosen = [c for c in tuning.candidates if c.chosen]
        assert len(chosen) == 1 and chosen[0] is tuning.candidates[objective.best(scores)]
        assert tuning.proposed_deltas == chosen[0].deltas
        top = max(c.objective for c in tuning.candidates if c.objective is not None)
        assert tuning.gave_up == round(top - chosen[0].objective, 9)


def replayed(params: Params, windows: list[int]) -> list[dict[str, Any]]:
    return [simulate_iteration(params, "normal", SEED, w, WINDOW_S).summary.model_dump() for w in windows]


class NextWindowChanged(SimDriver):
    """The simulator, but from iteration `changed` on, another market (another seed)."""

    def __init__(self, changed: int) -> None:
        super().__init__("normal", SEED, WINDOW_S)
        self.changed = changed

    def run(self, params: Params, iteration: int, run_dir: Path) -> DriverResult:
        seed = SEED + 1000 if iteration >= self.changed else SEED
        result = simulate_iteration(params, "normal", seed, iteration, WINDOW_S)
        return DriverResult(summary=result.summary.model_dump(mode="json"), runtime={"regime": result.regime})


def test_the_decision_uses_only_finished_windows(tmp_path: Path) -> None:
    same = soak(tmp_path / "a", NextWindowChanged(changed=99))
    changed = soak(tmp_path / "b", NextWindowChanged(changed=5))
    assert same[4].summary["pnl"] != changed[4].summary["pnl"]  # iteration 5's market did change
    for before, after in zip(same[:4], changed[:4], strict=True):
        assert before.tuning.model_dump(exclude={"signature", "state_hash"}) == after.tuning.model_dump(
            exclude={"signature", "state_hash"}
        )


def test_the_neighbourhood_reverses_the_unsure_adds_the_cautious_and_keeps_no_change() -> None:
    proposed = Proposed({"base_spread_bps": 0.4, "min_interval_ms": 60.0}, [], frozenset({"min_interval_ms"}))
    cautious = Proposed({"base_spread_bps": 0.7}, [], frozenset())
    candidates = {c.label: c.deltas for c in neighbourhood(Params(), proposed, cautious)}
    assert candidates == {
        PROPOSAL: {"base_spread_bps": 0.4, "min_interval_ms": 60.0},
        "opposite min_interval_ms": {"min_interval_ms": -60.0},
        CAUTIOUS: {"base_spread_bps": 0.5},  # clamped to the max step
        NO_CHANGE: {},
    }
    same = {c.label for c in neighbourhood(Params(), proposed, proposed)}
    assert CAUTIOUS not in same  # the same deltas as the proposal: one candidate


def test_integer_candidates_move_in_whole_steps_and_duplicates_are_dropped() -> None:
    at_lower = Params(concurrency_limit=1)
    proposed = Proposed({"concurrency_limit": -0.6}, [], frozenset({"concurrency_limit"}))
    candidates = {c.label: c.deltas for c in neighbourhood(at_lower, proposed)}
    # The proposal clamps to nothing at the bound: that is "no change"; the opposite is a whole step.
    assert candidates == {"opposite concurrency_limit": {"concurrency_limit": 1.0}, NO_CHANGE: {}}


class StandInReplay:
    """A replay whose summaries are made up on the spot: nothing to run ahead or forget."""

    def prefetch(self, jobs: list[tuple[Params, int]]) -> None:
        pass

    def forget_before(self, iteration: int) -> None:
        pass


class SpreadMarket(StandInReplay):
    """A stand-in replay: every window passes the gate, and PnL per hour grows with the spread."""

    def summary(self, params: Params, iteration: int) -> dict[str, Any]:
        return kpis(net_bps=4.0 + params.base_spread_bps, pnl_per_hour=10.0 * params.base_spread_bps)


def test_guards_still_hold_the_what_ifs_choice() -> None:
    tuner = WhatIfTuner(Objective(NIGHTLY), SpreadMarket())  # type: ignore[arg-type]
    far_off = kpis(net_bps=-5.0, adverse_bps_p95=10.0)  # two rules widen: a large step
    params, records = Params(), []
    for i, summary in enumerate([far_off, far_off, kpis(), kpis(), kpis()], start=1):
        record = tuner.decide(i, params, summary, evaluate_iteration(summary, NIGHTLY), i * 600.0)
        params = apply_deltas(params, record.applied_deltas)
        records.append(record)
    assert records[0].candidates[0].chosen and records[0].applied  # the widest pays best here
    assert [r.skip_reasons for r in records] == [[], ["cooldown"], [], ["freeze"], ["freeze"]]
    assert records[3].candidates == [] and records[3].guards_fired == ["freeze"]  # frozen: nothing replayed


class PresenceDipMarket(StandInReplay):
    """A stand-in replay: the last window passes with room, the one before lost presence, which
    a wider spread gives back; PnL per hour grows with the spread."""

    def summary(self, params: Params, iteration: int) -> dict[str, Any]:
        presence = 0.97 if iteration == 2 else min(0.99, 0.89 + 0.1 * (params.base_spread_bps - 2.0))
        return kpis(quote_presence=presence, pnl_per_hour=10.0 * params.base_spread_bps)


def test_the_cautious_candidate_is_the_rules_reading_the_worst_of_the_last_windows() -> None:
    tuner = WhatIfTuner(Objective(NIGHTLY), PresenceDipMarket())  # type: ignore[arg-type]
    latest = kpis()
    record = tuner.decide(2, Params(), latest, evaluate_iteration(latest, NIGHTLY), 1200.0)
    rows = {c.label: c for c in record.candidates}
    assert rows[PROPOSAL].deltas["base_spread_bps"] < 0  # the last window alone: edge to spare, tighten
    assert rows[CAUTIOUS].deltas["base_spread_bps"] > 0  # the window before missed presence: widen
    assert rows[CAUTIOUS].chosen and record.applied_deltas == rows[CAUTIOUS].deltas
    assert any(line.startswith("worst of the last 2 windows: quote_presence 0.89") for line in record.rationale)
