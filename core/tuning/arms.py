"""What a run tunes with and measures against (DESIGN.md section 5): the tuner, and the control arm
when the driver can replay.

`TuningSetup` is decided before the run starts (so a bad choice is a one-line error, exit 2):
`--tuner whatif` needs a driver that can replay; without `--tuner`, whatif is the default when it
can, else rules. The control parameters are `--control PROFILE`'s (defaults < that profile), else
the run's starting values. `TuningSetup.start()` gives the run's `TuningArms`: one replay cache
shared by the control arm and the what-if candidates, so a window is never run twice with the
same parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config import RunSettings
from core.drivers import Driver, DriverResult, SimDriver
from core.errors import ConfigError
from core.gates import GateProfile
from core.params import Params, load_profile, make_params
from core.records import Tuners
from core.tuning.control import ControlArm
from core.tuning.objective import Objective
from core.tuning.replay import Replay, Summary, can_replay
from core.tuning.tuner import Tuner
from core.tuning.whatif import WhatIfTuner


class TuningSetup:
    def __init__(self, settings: RunSettings, params: Params, gate: GateProfile, driver: Driver) -> None:
        self.auto_tune, self.gate, self.driver = settings.auto_tune, gate, driver
        self.replayable = can_replay(driver, settings.driver_replay)
        self.kind = settings.tuner or (Tuners.WHATIF if self.replayable else Tuners.RULES)
        if self.kind is Tuners.WHATIF and not self.replayable:
            raise ConfigError(
                "tuner='whatif' needs a driver that can replay: the simulator, or an external driver "
                "with --driver-replay; allowed here: rules"
            )
        if settings.control is not None and not self.replayable:
            raise ConfigError(f"control={settings.control!r} needs a driver that can replay (--driver-replay)")
        self.control_params = (
            params
            if settings.control is None
            else make_params(load_profile(settings.control), source=f"control profile {settings.control}")
        )
        self.control_name = settings.control or "start"

    def manifest(self) -> dict[str, Any]:
        """RUN.json's fields: the tuner, and the control arm (None without one)."""
        return {
            "tuner": self.kind if self.auto_tune else None,
            "control": self.control_name if self.replayable else None,
        }

    def start(self, run_dir: Path) -> TuningArms:
        replay = Replay(self.driver, run_dir) if self.replayable else None
        tuner: Tuner | None = None
        if self.auto_tune:
            tuner = (
                Tuner() if replay is None or self.kind is Tuners.RULES else WhatIfTuner(Objective(self.gate), replay)
            )
        control = ControlArm(self.control_params, replay) if replay is not None else None
        return TuningArms(tuner, control, replay)


class TuningArms:
    def __init__(self, tuner: Tuner | None, control: ControlArm | None, replay: Replay | None) -> None:
        self.tuner, self.control, self.replay = tuner, control, replay

    def trade(self, driver: Driver, params: Params, iteration: int, run_dir: Path) -> DriverResult:
        """The iteration's window; on the simulator its control's in the same batch (side by side
        when the simulator has replay workers), remembered for observe()."""
        control = self.control
        if control is None or self.replay is None or not isinstance(driver, SimDriver) or params == control.params:
            return driver.run(params, iteration, run_dir)
        ours, theirs = driver.run_batch([(params, iteration), (control.params, iteration)], run_dir)
        self.replay.remember(control.params, iteration, theirs.summary)
        return ours

    def observe(self, params: Params, iteration: int, summary: Summary) -> Summary:
        """The iteration's summary with its `control` and `uplift` (as it is without a control arm)."""
        if self.replay is None or self.control is None:
            return summary
        self.replay.remember(params, iteration, summary)
        return {**summary, **self.control.compare(iteration, summary)}

    def cumulative(self) -> dict[str, Any] | None:
        """RUN.json's `uplift` at the end: per KPI the mean uplift per window and its interval."""
        return self.control.cumulative() if self.control is not None else None
