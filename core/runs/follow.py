"""Which run a monitor follows, when the root it watches holds several (`soak watch`, headless
or in the monitor): one policy for both.

- the run the root names, when the root is a run directory (native or legacy);
- else, once the initial scan is done, the newest live run (running, heartbeat recent);
- else the newest run of any state, when the monitor can show a finished run (the TUI); a
  headless watch, which exits with the run it follows, waits for one to start instead;
- a run that appears later is followed only when none is yet: it is announced, never jumped to;
- the user's pick (the TUI's run list) replaces the followed run.

A sweep's soaks run side by side, so a headless watch that would follow one of them while its
sweep is still running follows the sweep instead: every soak of it together, each iteration as
it lands (prefixed by its run id), until SWEEP.json says the sweep is over, and ends with the
sweep's exit code (`sweep_to_follow`). Given a sweep's own directory (<root>/sweeps/<id>), it
follows that sweep, running or not. The monitor follows one run as ever; its run list shows the
sweep's runs under the sweep's row.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from core.errors import ReadError
from core.records import RunStatus
from core.runs.discovery import RunInfo
from core.runs.layout import RUNS_DIR
from core.runs.sweep_file import read_sweep, sweep_path
from core.runs.sweeps import SweepTag


def initial_run(runs: Iterable[RunInfo], given: Path | None, *, finished_ok: bool) -> RunInfo | None:
    runs = list(runs)
    if given is not None:
        return next((info for info in runs if info.path == given), None)
    live = [info for info in runs if info.live]
    if live:
        return max(live, key=RunInfo.start_key)
    return max(runs, key=RunInfo.start_key) if finished_ok and runs else None


def follows_new_run(info: RunInfo, followed: Path | None, given: Path | None) -> bool:
    """Whether a run found after the initial scan becomes the followed one."""
    return followed is None and (given is None or info.path == given)


def sweep_to_follow(info: RunInfo) -> Path | None:
    """The directory of the sweep `info` is a soak of, when that sweep is still running."""
    tag = SweepTag.of(info)
    if tag is None or info.path.parent.name != RUNS_DIR:
        return None
    directory = sweep_path(info.path.parent.parent, tag.sweep_id)
    try:
        running = read_sweep(directory).get("status") == RunStatus.RUNNING
    except ReadError:
        return None
    return directory if running else None
