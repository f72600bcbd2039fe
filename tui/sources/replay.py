"""The replay source: a recorded run (native or legacy) played back at `speed` iterations per
second, in the same monitor as a live run, for demos. Pause holds it between iterations."""

from __future__ import annotations

import asyncio
import contextlib
import math
from pathlib import Path

from textual.app import App

from core.errors import ReadError
from core.records import FINAL_STATUSES, ExitCode, RunStatus
from core.runs.discovery import read_run
from tui.format import PAUSED, REPLAYED, STOPPED
from tui.messages import IterationsArrived, RunEnded, RunOpened, RunStateChanged
from tui.sources.recorded import header_info, run_ended

WORKER_GROUP = "soak-replay"
REPLAY_EXIT = ExitCode.OK  # a replay that played (or was stopped) went as asked, whatever the run's verdict


class ReplaySource:
    controllable = True

    def __init__(self, run_dir: Path | str, speed: float) -> None:
        """Raises ReadError (one line, naming the directory) when there is no run to replay,
        ValueError when `speed` is not a positive number."""
        if not (isinstance(speed, (int, float)) and math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed {speed!r}: expected iterations per second, a number > 0")
        self.snapshot = read_run(run_dir)
        if not self.snapshot.iterations:
            problem = f"; {self.snapshot.errors[0].message}" if self.snapshot.errors else ""
            raise ReadError(Path(run_dir), "wrong_shape", f"no iteration to replay{problem}")
        self.interval_s = 1.0 / speed
        self._playing = asyncio.Event()
        self._playing.set()
        self._stopped = asyncio.Event()

    def start(self, app: App[int]) -> None:
        app.run_worker(self._play(app), name="replay", group=WORKER_GROUP, exit_on_error=False)

    def pause(self) -> None:
        self._playing.clear()

    def resume(self) -> None:
        self._playing.set()

    def stop(self) -> None:
        self._stopped.set()
        self._playing.set()

    async def _play(self, app: App[int]) -> None:
        info = self.snapshot.info
        views = self.snapshot.iterations
        app.post_message(RunOpened(header_info(info, len(views))))
        for index, view in enumerate(views):
            if index:
                await self._wait(self.interval_s)
            if not self._playing.is_set():
                app.post_message(RunStateChanged(PAUSED))
                await self._playing.wait()
                if not self._stopped.is_set():
                    app.post_message(RunStateChanged(RunStatus.RUNNING))
            if self._stopped.is_set():
                app.post_message(RunEnded(STOPPED, REPLAY_EXIT))
                return
            app.post_message(IterationsArrived([view]))
        status = info.status if info.status in FINAL_STATUSES else REPLAYED
        app.post_message(run_ended(info, status, REPLAY_EXIT))

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), seconds)
