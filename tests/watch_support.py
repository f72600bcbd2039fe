"""Shared by the watch and replay tests: runs made on disk, and a recorder of watcher events."""
from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from core.artifacts import RUN_FILE, RUNS_DIR, atomic_write_json, iter_file_name, utc_stamp
from core.watch import RunWatcher, ScanComplete, WatchEvent

ROOT = Path(__file__).resolve().parent.parent
NATIVE_RECORD = Path(__file__).parent / "fixtures" / "native" / "ITER_SUMMARY_3.json"
PATIENCE_S = 30  # a generous bound that only a hang reaches


def soak_run_argv(out: Path, iterations: int = 5) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "run", "--no-ui", "--iterations", str(iterations),
            "--window", "60", "--out", str(out)]


def soak_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SOAK_")}


def record(i: int, **summary: Any) -> dict[str, Any]:
    """A native ITER_SUMMARY record for iteration i; `summary` replaces KPI values."""
    data = json.loads(NATIVE_RECORD.read_text(encoding="utf-8"))
    data["iteration"] = i
    data["summary"].update({"net_bps": round(0.5 * i - 1.0, 3), **summary})
    return data


def manifest(run_id: str, status: str = "running", heartbeat_age_s: float = 0.0, **extra: Any) -> dict:
    now = datetime.now(timezone.utc)
    return {"run_id": run_id, "status": status, "driver": "sim", "seed": 7, "profile": "default",
            "gate": "smoke", "started_utc": utc_stamp(now - timedelta(seconds=heartbeat_age_s + 1)),
            "heartbeat_utc": utc_stamp(now - timedelta(seconds=heartbeat_age_s)), **extra}


def native_run(root: Path, run_id: str, written: int = 0, **manifest_fields: Any) -> Path:
    """<root>/runs/<run_id>/ with a RUN.json and iterations 1..written."""
    directory = root / RUNS_DIR / run_id
    directory.mkdir(parents=True)
    atomic_write_json(directory / RUN_FILE, manifest(run_id, **manifest_fields))
    for i in range(1, written + 1):
        write_iteration(directory, i)
    return directory


def write_iteration(directory: Path, i: int, **summary: Any) -> Path:
    path = directory / iter_file_name(i)
    atomic_write_json(path, record(i, **summary))
    return path


def finish(directory: Path, status: str = "completed", verdict: str = "PASS") -> None:
    data = json.loads((directory / RUN_FILE).read_text(encoding="utf-8"))
    data.update(status=status, finished_utc=utc_stamp(), heartbeat_utc=utc_stamp(),
                verdict={"verdict": verdict, "reasons": [f"{verdict} for the test"]})
    atomic_write_json(directory / RUN_FILE, data)


class Recorder:
    """Runs a watcher in a task and lets a test await the events it has reported."""

    def __init__(self, watcher: RunWatcher) -> None:
        self.watcher = watcher
        self.events: list[WatchEvent] = []
        self._arrived = asyncio.Event()

    async def __aenter__(self) -> Recorder:
        self.task = asyncio.create_task(self._collect())
        await self.wait_for(lambda e: isinstance(e, ScanComplete))
        return self

    async def __aexit__(self, *_: object) -> None:
        self.watcher.stop()
        await asyncio.wait_for(self.task, PATIENCE_S)

    async def _collect(self) -> None:
        try:
            async for event in self.watcher.events():
                self.events.append(event)
                self._arrived.set()
        finally:
            self._arrived.set()  # wake a waiter to see that the watcher ended

    async def wait_for(self, predicate: Callable[[WatchEvent], bool]) -> WatchEvent:
        async with asyncio.timeout(PATIENCE_S):
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                if self.task.done():
                    self.task.result()  # raises what ended the watcher
                    raise AssertionError("the watcher ended before the event came")
                self._arrived.clear()
                await self._arrived.wait()

    def of(self, kind: type) -> list:
        return [event for event in self.events if isinstance(event, kind)]


class Output(io.StringIO):
    """A stream another thread prints to, which a test can wait on."""

    def __init__(self) -> None:
        super().__init__()
        self._written = threading.Condition()

    def write(self, text: str) -> int:
        with self._written:
            count = super().write(text)
            self._written.notify_all()
        return count

    def wait_for(self, predicate: Callable[[str], bool]) -> None:
        with self._written:
            assert self._written.wait_for(lambda: predicate(self.getvalue()), PATIENCE_S)


class AppMessages:
    """A `run_test` message hook that lets a test await what the app has been told."""

    def __init__(self) -> None:
        self.seen: list[Any] = []
        self._arrived = asyncio.Event()

    def __call__(self, message: Any) -> None:
        self.seen.append(message)
        self._arrived.set()

    def of(self, kind: type) -> list:
        return [message for message in self.seen if isinstance(message, kind)]

    def iterations(self) -> list[int]:
        """The iterations the source has sent in batches, in order."""
        from tui.messages import IterationsArrived

        return [view.iteration for m in self.of(IterationsArrived) for view in m.views]

    async def wait_for(self, predicate: Callable[[Any], bool]) -> Any:
        async with asyncio.timeout(PATIENCE_S):
            while True:
                for message in self.seen:
                    if predicate(message):
                        return message
                self._arrived.clear()
                await self._arrived.wait()


def recorded_run(out: Path, iterations: int = 5, seed: int = 7) -> Path:
    """A real run of the soak loop, in this process; returns its directory."""
    from core.config import build_config
    from core.events import RunStarted
    from core.loop import SoakLoop

    loop = SoakLoop(build_config({"iterations": iterations, "seed": seed, "pace": "fast",
                                  "window_s": 60, "out": str(out)}, {}))
    started = [event for event in loop.run() if isinstance(event, RunStarted)]
    return started[0].run_dir
