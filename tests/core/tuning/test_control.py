"""The control arm: the control parameters on the same market path every iteration, the paired
uplift, its cumulative 90% interval in RUN.json; and an external driver gets a control only when
it declares it can replay."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

import pytest

from core.config import build_config
from core.errors import ConfigError
from core.events import IterationFinished, RunFinished, RunStarted
from core.intervals import mean_interval
from core.kpi import CONTROL, UPLIFT, UPLIFT_KPIS
from core.loop import SoakLoop
from core.params import Params, load_profile
from core.records import IterationRecord
from core.runs.layout import RUN_FILE
from core.sim import simulate_iteration
from tests.support.soak import ROOT

WINDOW_S = 60.0
SEED = 7
REPLAY_DRIVER = ROOT / "tests" / "drivers" / "replay_driver.py"


def soak(tmp_path: Path, cli_params: dict[str, Any] | None = None, **settings: Any) -> tuple[list[Any], dict[str, Any]]:
    config = build_config(
        {"iterations": 5, "seed": SEED, "gate": "nightly", "window_s": WINDOW_S, "out": str(tmp_path), **settings},
        {},
        cli_params,
    )
    events = list(SoakLoop(config).run())
    run_dir = next(e.run_dir for e in events if isinstance(e, RunStarted))
    return events, json.loads((run_dir / RUN_FILE).read_text())


def records(events: list[Any]) -> list[IterationRecord]:
    return [e.record for e in events if isinstance(e, IterationFinished)]


def test_the_control_runs_the_starting_parameters_on_the_same_path_bit_for_bit(tmp_path: Path) -> None:
    events, manifest = soak(tmp_path)
    start = Params()
    done = records(events)
    assert any(Params(**r.params) != start for r in done), "the tuner moved the parameters"
    for record in done:
        alone = simulate_iteration(start, "normal", SEED, record.iteration, WINDOW_S).summary.model_dump(mode="json")
        assert record.summary[CONTROL] == alone
        uplift = record.summary[UPLIFT]
        assert set(uplift) == set(UPLIFT_KPIS)
        assert all(uplift[k] == record.summary[k] - alone[k] for k in UPLIFT_KPIS)
    assert manifest["control"] == "start" and manifest["uplift"]["control_params"] == start.model_dump()


def test_the_cumulative_uplift_is_the_mean_of_the_paired_windows_with_its_90_percent_interval(tmp_path: Path) -> None:
    events, manifest = soak(tmp_path)
    per_window = [r.summary[UPLIFT]["pnl_per_hour"] for r in records(events)]
    cumulative = manifest["uplift"]
    assert cumulative["windows"] == 5 and cumulative["headline"] == "pnl_per_hour"
    interval = mean_interval(per_window)
    assert interval is not None and cumulative["pnl_per_hour"] == interval.model_dump()
    assert cumulative["pnl_per_hour"]["mean"] == statistics.fmean(per_window)
    assert interval.low is not None and interval.high is not None and interval.level == 0.9
    # Student's t with 4 degrees of freedom: 2.1318 standard errors either side.
    half = 2.131847 * statistics.stdev(per_window) / len(per_window) ** 0.5
    assert interval.high - interval.mean == pytest.approx(half, rel=1e-6)


def test_with_auto_tune_off_the_uplift_is_exactly_zero_in_every_iteration(tmp_path: Path) -> None:
    # The control is the run's starting values, --set included, not the defaults.
    events, manifest = soak(tmp_path, {"base_spread_bps": "3.0"}, auto_tune=False)
    for record in records(events):
        assert all(value == 0.0 for value in record.summary[UPLIFT].values())
        assert len(record.summary[UPLIFT]) == len(UPLIFT_KPIS)
    assert manifest["uplift"]["pnl_per_hour"]["mean"] == 0.0 and manifest["tuner"] is None


def test_control_profile_names_the_control_parameters(tmp_path: Path) -> None:
    events, manifest = soak(tmp_path, control="steady_safe", auto_tune=False)
    control = Params(**load_profile("steady_safe"))
    assert control != Params()
    first = records(events)[0]
    alone = simulate_iteration(control, "normal", SEED, 1, WINDOW_S).summary
    assert first.summary[CONTROL]["pnl"] == alone.pnl
    assert first.summary[UPLIFT]["pnl"] == first.summary["pnl"] - alone.pnl
    assert manifest["control"] == "steady_safe"


def external(tmp_path: Path, replay: bool) -> tuple[list[Any], dict[str, Any], list[str]]:
    log = tmp_path / "calls.log"
    command = f"{sys.executable} {REPLAY_DRIVER} --overrides {{overrides}} --output {{output}} "
    command += f"--seed {{seed}} --iteration {{iteration}} --log {log}"
    events, manifest = soak(tmp_path, driver=command, driver_replay=replay, iterations=4, gate="smoke")
    return events, manifest, log.read_text().splitlines()


def test_an_external_driver_without_driver_replay_gets_the_rules_tuner_and_no_control(tmp_path: Path) -> None:
    events, manifest, calls = external(tmp_path, replay=False)
    assert isinstance(events[-1], RunFinished) and events[-1].error is None
    assert manifest["tuner"] == "rules" and manifest["control"] is None and "uplift" not in manifest
    assert calls == [f"{i} {r.params['base_spread_bps']}" for i, r in enumerate(records(events), start=1)]
    assert all(CONTROL not in r.summary and not r.tuning.candidates for r in records(events))


def test_an_external_driver_with_driver_replay_is_run_for_the_control_and_the_candidates(tmp_path: Path) -> None:
    events, manifest, calls = external(tmp_path, replay=True)
    done = records(events)
    assert isinstance(events[-1], RunFinished) and events[-1].error is None
    assert manifest["tuner"] == "whatif" and manifest["control"] == "start"
    assert len(calls) > len(done)
    start = Params().base_spread_bps
    for record in done:
        # The control's KPIs are the driver's for the starting spread on that iteration.
        assert f"{record.iteration} {start}" in calls
        control = record.summary[CONTROL]
        assert record.summary[UPLIFT]["pnl"] == record.summary["pnl"] - control["pnl"]
    assert any(r.tuning.candidates for r in done) and manifest["uplift"]["windows"] == 4


def test_whatif_or_a_control_on_a_driver_that_cannot_replay_is_refused_before_the_run(tmp_path: Path) -> None:
    command = f"{sys.executable} {REPLAY_DRIVER}"
    for settings in ({"tuner": "whatif"}, {"control": "steady_safe"}):
        config = build_config({"driver": command, "out": str(tmp_path), **settings}, {})
        with pytest.raises(ConfigError, match="needs a driver that can replay"):
            SoakLoop(config)
    assert not (tmp_path / "runs").exists()
