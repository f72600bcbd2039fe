"""Replays: other parameters run on a window the soak has already traded (DESIGN.md section 5).

A driver that can replay promises that one (seed, iteration) gives one market path whatever the
parameters (common random numbers), so running other parameters on a finished iteration is the
what-if on the very path the strategy just traded. The simulator always can; an external
command declares it with `--driver-replay`, and is then run with the same {seed} and {iteration}
and its own overrides file: `replays/<signature>/runtime_overrides.json` under the run directory,
its output beside it. A replay of the parameters an iteration ran with is that iteration's own
result (remembered, not run again), and any replay is run once per (parameters, iteration). The
simulator keeps the market of its last few windows (core.sim.Simulator), so a replay trades the
very path again without generating it again, and runs the replays asked for together as one
batch (`prefetch`), which its replay workers share out (core/sim/workers.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.drivers import Driver, SimDriver
from core.params import Params
from core.runs.jsonio import atomic_write_bytes
from core.runs.layout import OVERRIDES_FILE, REPLAY_DIR
from core.runs.writer import overrides_bytes, overrides_signature

Summary = dict[str, Any]


def can_replay(driver: Driver, declared: bool) -> bool:
    """The simulator always can; an external driver when the user declared it (--driver-replay)."""
    return declared or isinstance(driver, SimDriver)


class Replay:
    def __init__(self, driver: Driver, run_dir: Path) -> None:
        self.driver, self.run_dir = driver, run_dir
        self._results: dict[tuple[Params, int], Summary] = {}  # Params are frozen: equal values, one key

    def remember(self, params: Params, iteration: int, summary: Summary) -> None:
        """What `iteration` gave with the parameters it ran with."""
        self._results[params, iteration] = summary

    def summary(self, params: Params, iteration: int) -> Summary:
        self.prefetch([(params, iteration)])
        return self._results[params, iteration]

    def prefetch(self, jobs: list[tuple[Params, int]]) -> None:
        """Runs those of `jobs` not yet run, the simulator's as one batch (side by side when it has
        replay workers), an external driver's one by one."""
        missing = [job for job in dict.fromkeys(jobs) if job not in self._results]
        if isinstance(self.driver, SimDriver):
            results = self.driver.run_batch(missing, self.run_dir)
            self._results.update(zip(missing, (r.summary for r in results), strict=True))
            return
        for params, iteration in missing:
            self._results[params, iteration] = self._run(params, iteration)

    def forget_before(self, iteration: int) -> None:
        """Drops what windows before `iteration` gave: no decision looks that far back again."""
        self._results = {key: s for key, s in self._results.items() if key[1] >= iteration}

    def _run(self, params: Params, iteration: int) -> Summary:
        folder = self.run_dir / REPLAY_DIR / overrides_signature(params.model_dump())[:16]
        if not (folder / OVERRIDES_FILE).exists():
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(folder / OVERRIDES_FILE, overrides_bytes(params.model_dump()))
        return self.driver.run(params, iteration, folder).summary
