"""Each guard fires in a real loop run, is recorded in its ITER_SUMMARY and counted in the report."""

import itertools
import json

import pytest

from core.config import build_config
from core.drivers import DriverResult
from core.events import IterationFinished, RunFinished, TuningSkipped
from core.loop import SoakLoop
from tests.support.runs import PASSING, kpis, newest_run


class ScriptedDriver:
    """Returns a fixed KPI sequence, so the test decides what the tuner sees."""

    name = "scripted"

    def __init__(self, sequence):
        self.sequence = sequence

    def run(self, params, iteration, run_dir):
        return DriverResult(self.sequence[iteration - 1])


SCENARIOS = {
    # two passing iterations freeze tuning
    "freeze": ([PASSING] * 3, {}),
    # a large step (net far below the gate and adverse p95 high: two rules widen together) rests
    # the parameter on the next decision
    "cooldown": ([kpis(net_bps=-5.0, adverse_bps_p95=10.0)] * 2, {}),
    # widen, tighten, widen: the third alternating step is held
    "oscillation": ([kpis(net_bps=2.6), PASSING, kpis(net_bps=2.6)], {}),
    # a steady small miss keeps widening until the hourly change cap is reached
    "velocity": ([kpis(net_bps=2.6)] * 8, {}),
    # the spread is already at its upper bound: the proposal clamps to nothing
    "no_op": ([kpis(net_bps=-5.0)], {"base_spread_bps": 10}),
}


def run_scripted(tmp_path, sequence, params):
    config = build_config(
        {"iterations": len(sequence), "window_s": 60, "out": str(tmp_path), "gate": "nightly"}, {}, params
    )
    return list(SoakLoop(config, driver=ScriptedDriver(sequence)).run())


@pytest.mark.parametrize("guard", SCENARIOS)
def test_guard_fires_and_is_recorded(tmp_path, guard):
    sequence, params = SCENARIOS[guard]
    events = run_scripted(tmp_path, sequence, params)
    run_dir = newest_run(tmp_path)
    records = [json.loads((run_dir / f"ITER_SUMMARY_{i}.json").read_text()) for i in range(1, len(sequence) + 1)]
    fired = [r["iteration"] for r in records if guard in r["tuning"]["guards_fired"]]
    assert fired, f"{guard} never fired"
    last_fired = records[fired[-1] - 1]["tuning"]
    assert guard in last_fired["param_status"].values() or last_fired["skip_reasons"] == [guard]
    report = json.loads((run_dir / "TUNING_REPORT.json").read_text())
    assert report["summary"]["guards"][guard] == len(fired)
    skipped = [e.iteration for e in events if isinstance(e, TuningSkipped)]
    assert skipped == [r["iteration"] for r in records if not r["tuning"]["applied"]]
    assert isinstance(events[-1], RunFinished) and events[-1].status == "completed"


def test_params_of_each_iteration_are_previous_params_plus_applied_deltas(tmp_path):
    events = run_scripted(tmp_path, [kpis(net_bps=2.6), kpis(risk_ratio=0.6), PASSING], {})
    records = [e.record for e in events if isinstance(e, IterationFinished)]
    for before, after in itertools.pairwise(records):
        for key, delta in before.tuning.applied_deltas.items():
            assert after.params[key] == pytest.approx(before.params[key] + delta)
        untouched = set(before.params) - set(before.tuning.applied_deltas)
        assert all(after.params[k] == before.params[k] for k in untouched)
