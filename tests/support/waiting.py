"""Waiting on events, not on time: a watcher's events, a stream another thread writes, the
messages an app was told. Each waits up to PATIENCE_S, which only a hang reaches."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Callable
from typing import Any

from core.runs.watch_events import ScanComplete, WatchEvent
from core.runs.watcher import RunWatcher
from tests.support.soak import PATIENCE_S


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

    def of(self, kind: type) -> list[Any]:
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

    def of(self, kind: type) -> list[Any]:
        return [message for message in self.seen if isinstance(message, kind)]

    def views(self) -> list[Any]:
        """The iteration views the source has sent, in order."""
        from tui.messages import IterationsArrived

        return [view for m in self.of(IterationsArrived) for view in m.views]

    def iterations(self) -> list[int]:
        """The iterations the source has sent, in order."""
        return [view.iteration for view in self.views()]

    async def wait_for(self, predicate: Callable[[Any], bool]) -> Any:
        async with asyncio.timeout(PATIENCE_S):
            while True:
                for message in self.seen:
                    if predicate(message):
                        return message
                self._arrived.clear()
                await self._arrived.wait()
