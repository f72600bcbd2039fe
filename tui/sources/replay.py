"""The replay source: a recorded run (native or legacy) played back at `speed` iterations per
second, in the same monitor as a live run, for demos. Pause holds it between iterations; the
speed can be doubled or halved, one iteration stepped while paused, and the replay sought
forwards or backwards (back: the monitor starts afresh with the iterations up to there)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from pathlib import Path

from textual.app import App
from textual.message import Message

from core.errors import ReadError
from core.records import FINAL_STATUSES, ExitCode, RunStatus
from core.runs.discovery import read_run
from tui.format import PAUSED, REPLAY, REPLAYED, STOPPED
from tui.messages import IterationsArrived, RunEnded, RunOpened, RunStateChanged, RunSwitched
from tui.sources.recorded import header_info, run_ended

WORKER_GROUP = "soak-replay"
REPLAY_EXIT = ExitCode.OK  # a replay that played (or was stopped) went as asked, whatever the run's verdict
MIN_SPEED, MAX_SPEED = 0.125, 1024.0  # iterations per second


class ReplaySource:
    controllable = True
    mode = REPLAY

    def __init__(self, run_dir: Path | str, speed: float) -> None:
        """Raises ReadError (one line, naming the directory) when there is no run to replay,
        ValueError when `speed` is not a positive number."""
        if not (isinstance(speed, (int, float)) and math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed {speed!r}: expected iterations per second, a number > 0")
        self.snapshot = read_run(run_dir)
        if not self.snapshot.iterations:
            problem = f"; {self.snapshot.errors[0].message}" if self.snapshot.errors else ""
            raise ReadError(Path(run_dir), "wrong_shape", f"no iteration to replay{problem}")
        self.speed = float(speed)
        self.position = 0  # iterations shown so far
        self._paused = False
        self._steps = 0  # iterations to show at once, while paused
        self._seek_to: int | None = None
        self._stopped = False
        self._wake = asyncio.Event()  # any of the above changed
        self._app: App[int] | None = None

    @property
    def badge(self) -> str:
        return f"REPLAY ×{self.speed:g}"

    # -- the controls (from the app's thread; each returns at once) -----------------------------
    def start(self, app: App[int]) -> None:
        self._app = app
        app.run_worker(self._play(), name="replay", group=WORKER_GROUP, exit_on_error=False)

    def pause(self) -> None:
        self._paused = True
        self._wake.set()

    def resume(self) -> None:
        self._paused = False
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def change_speed(self, factor: float) -> float:
        """Multiply the speed by `factor` (within MIN_SPEED..MAX_SPEED); the new speed."""
        self.speed = min(max(self.speed * factor, MIN_SPEED), MAX_SPEED)
        self._wake.set()
        return self.speed

    def step(self) -> None:
        """Show the next iteration now (the replay pauses if it was playing)."""
        self._paused = True
        self._steps += 1
        self._wake.set()

    def seek(self, iterations: int) -> int:
        """Go `iterations` forwards (negative: backwards); the position it goes to."""
        base = self._seek_to if self._seek_to is not None else self.position
        self._seek_to = min(max(base + iterations, 0), len(self.snapshot.iterations))
        self._wake.set()
        return self._seek_to

    # -- the worker -----------------------------------------------------------------------------
    async def _play(self) -> None:
        views = self.snapshot.iterations
        self._post(RunOpened(header_info(self.snapshot.info, len(views))))
        shown_paused = ended = False
        while not self._stopped:
            self._wake.clear()
            if self._seek_to is not None:
                if self._apply_seek():
                    ended = shown_paused = False
                continue
            if self.position >= len(views):
                if not ended:
                    info = self.snapshot.info
                    self._post(run_ended(info, info.status if info.status in FINAL_STATUSES else REPLAYED, REPLAY_EXIT))
                    ended = True
                await self._wake.wait()
                continue
            if self._paused and not self._steps:
                if not shown_paused:
                    self._post(RunStateChanged(PAUSED))
                    shown_paused = True
                await self._wake.wait()
                continue
            if shown_paused and not self._paused:
                self._post(RunStateChanged(RunStatus.RUNNING))
                shown_paused = False
            if self._steps:
                self._steps -= 1
            elif self.position and await self._woken_within(1.0 / self.speed):
                continue  # something changed while waiting: look again
            self._post(IterationsArrived([views[self.position]]))
            self.position += 1
        if not ended:
            self._post(RunEnded(STOPPED, REPLAY_EXIT))

    def _apply_seek(self) -> bool:
        """Show the replay as it is at the sought position; True when it went back (the monitor
        starts afresh: what it showed, and the run's end, are gone)."""
        target, self._seek_to = self._seek_to or 0, None
        views = self.snapshot.iterations
        back = target < self.position
        if back:
            self._post(RunSwitched())
            self._post(RunOpened(header_info(self.snapshot.info, len(views))))
            self.position = 0
        if target > self.position:  # skipped over, not played: no alerts for them
            self._post(IterationsArrived(views[self.position : target], history=True))
        self.position = target
        return back

    async def _woken_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
            return True
        return False

    def _post(self, message: Message) -> None:
        if self._app is not None:
            self._app.post_message(message)
