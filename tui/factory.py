"""The one place the monitor's apps are built: for `soak run`, `soak watch` and `soak replay`, and
for the tests, the screenshot script and the benchmark (posting's `make_posting()`).

Building an app builds its source first, so bad input is one line before any screen: the core's
SoakError (bad gate, driver; a missing directory, not a run, nothing to replay) or ValueError
(a replay speed).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from core.config import SoakConfig
from core.records import ExitCode
from core.runner import SoakRun
from tui.app import SoakApp
from tui.closing import after_exit
from tui.format import REPLAY
from tui.replay_app import ReplayApp
from tui.sources.live import LiveLoopSource
from tui.sources.replay import ReplaySource
from tui.sources.watch import WatchSource
from tui.watch_app import WatchApp
from tui.widgets.run_header import Clock

FINISH_S = 30.0  # how long a quit run may take to record its end before the closing lines


def create_run_app(
    config: SoakConfig | SoakRun,
    *,
    clock: Clock | None = time.monotonic,
    hold_at: int | None = None,
    screenshot_dir: Path | None = None,
) -> SoakApp:
    """The monitor of a live run of `config` (or of a SoakRun built already)."""
    soak = config if isinstance(config, SoakRun) else SoakRun(config)
    return SoakApp(LiveLoopSource(soak, hold_at=hold_at), clock=clock, screenshot_dir=screenshot_dir)


def create_watch_app(
    root: Path | str,
    *,
    clock: Clock | None = time.monotonic,
    read_only: bool = False,
    screenshot_dir: Path | None = None,
) -> WatchApp:
    return WatchApp(WatchSource(root), clock=clock, read_only=read_only, screenshot_dir=screenshot_dir)


def create_replay_app(
    run_dir: Path | str, speed: float, *, clock: Clock | None = time.monotonic, screenshot_dir: Path | None = None
) -> ReplayApp:
    return ReplayApp(ReplaySource(run_dir, speed), clock=clock, screenshot_dir=screenshot_dir)


def run_app(app: SoakApp, out: TextIO = sys.stdout) -> int:
    """Runs the monitor until the user quits, then prints the closing lines: its exit code (the
    run's once it has ended; quit before: 130 for a run of this process, which the quit stopped,
    0 for a watched one, which goes on), or 2 when the app itself failed."""
    code = app.run()
    code = code if code is not None else (app.return_code or ExitCode.ERROR)
    if isinstance(app.source, LiveLoopSource):
        app.source.done.wait(FINISH_S)  # a quit run records its end on its way out
    if app.source.mode != REPLAY:  # a replay's exit code is not its run's: its lines would mislead
        for line in after_exit(app, code):
            print(line, file=out, flush=True)
    return code
