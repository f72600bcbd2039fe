"""The one place the monitor's apps are built: for `soak run`, `soak watch` and `soak replay`, and
for the tests, the screenshot script and the benchmark (posting's `make_posting()`).

Building an app builds its source first, so bad input is one line before any screen: the core's
SoakError (bad gate, driver; a missing directory, not a run, nothing to replay) or ValueError
(a replay speed).
"""

from __future__ import annotations

import time
from pathlib import Path

from core.config import SoakConfig
from core.records import ExitCode
from core.runner import SoakRun
from tui.app import SoakApp
from tui.sources.live import LiveLoopSource
from tui.sources.replay import ReplaySource
from tui.sources.watch import WatchSource
from tui.watch_app import WatchApp
from tui.widgets.run_header import Clock


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


def create_watch_app(root: Path | str, *, clock: Clock | None = time.monotonic, read_only: bool = False) -> WatchApp:
    return WatchApp(WatchSource(root), clock=clock, read_only=read_only)


def create_replay_app(run_dir: Path | str, speed: float, *, clock: Clock | None = time.monotonic) -> SoakApp:
    return SoakApp(ReplaySource(run_dir, speed), clock=clock)


def run_app(app: SoakApp) -> int:
    """Runs the monitor until the user quits: its exit code (the followed run's, 130 when quit
    before a live run ended), or 2 when the app itself failed."""
    code = app.run()
    return code if code is not None else (app.return_code or ExitCode.ERROR)
