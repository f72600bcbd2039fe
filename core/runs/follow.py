"""Which run a monitor follows, when the root it watches holds several (`soak watch`, headless
or in the monitor): one policy for both.

- the run the root names, when the root is a run directory (native or legacy);
- else, once the initial scan is done, the newest live run (running, heartbeat recent);
- else the newest run of any state, when the monitor can show a finished run (the TUI); a
  headless watch, which exits with the run it follows, waits for one to start instead;
- a run that appears later is followed only when none is yet: it is announced, never jumped to;
- the user's pick (the TUI's run list) replaces the followed run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from core.runs.discovery import RunInfo


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
