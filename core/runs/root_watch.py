"""The file-system changes under a watched root (watchfiles), for core/runs/watcher.py.

One awatch on the root at a time. When the root itself is deleted, the changes say so (a deleted
root is reported as such, also when awatch stops with an error because of it), and `replaced()`
tells it: the root is gone, or is another directory by now (the older tool deletes and recreates
its `latest` at the start of each run, often before the deletion is even reported). `back()`
waits for a directory to be there and watches it afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from pathlib import Path
from typing import Any

from watchfiles import Change, awatch

Changes = set[tuple[Change, str]]


class RootWatch:
    def __init__(self, root: Path, debounce_ms: int, step_ms: int) -> None:
        self.root, self.debounce_ms, self.step_ms = root, debounce_ms, step_ms
        self._stop = threading.Event()
        self._pump_stop = threading.Event()  # awatch's stop_event, one per watch of the root
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None
        self._lost = False  # the watched root was reported deleted

    async def start(self) -> None:
        self._lost = False
        self._pump_stop = threading.Event()
        self._queue = asyncio.Queue()
        self._pump = asyncio.create_task(self._run_pump(self._queue, self._pump_stop))
        # awatch sets up its notifier synchronously in the first step of the pump: once that step
        # has run, the watch is on, and only then may the caller look at what is already there.
        await asyncio.sleep(0)

    async def next(self, timeout: float | None) -> Changes | None:
        """The next set of changes; an empty set when `timeout` passed first; None once stopped."""
        if self._stop.is_set():
            return None
        try:
            change = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return set()  # only the caller's timers are due
        if isinstance(change, BaseException):
            if os.path.isdir(self.root):
                raise change
            change = {(Change.deleted, str(self.root))}
        if change is None:
            return None
        changes: Changes = change
        if (Change.deleted, str(self.root)) in changes:
            self._lost = True
        return changes

    def replaced(self) -> bool:
        """The watched root is gone, or another directory is there now (its inode may even be the
        same: only the report of its deletion tells)."""
        return self._lost or not os.path.isdir(self.root)

    async def back(self) -> bool:
        """Wait for the root to be a directory again and watch it; False when stopped first."""
        self._end_pump()
        while not self._stop.is_set() and not os.path.isdir(self.root):
            await asyncio.sleep(self.step_ms / 1000)
        if self._stop.is_set():
            return False
        await self.start()
        return True

    def stop(self) -> None:
        """Safe from any thread."""
        self._stop.set()
        self._pump_stop.set()

    def close(self) -> None:
        self.stop()
        self._end_pump()

    def _end_pump(self) -> None:
        self._pump_stop.set()
        if self._pump is not None:
            self._pump.cancel()

    async def _run_pump(self, queue: asyncio.Queue[Any], stop: threading.Event) -> None:
        try:
            async for changes in awatch(
                self.root,
                watch_filter=_not_hidden,
                debounce=self.debounce_ms,
                step=self.step_ms,
                stop_event=stop,
                ignore_permission_denied=True,
            ):
                queue.put_nowait(changes)
        except Exception as err:  # e.g. the root itself went away
            with contextlib.suppress(Exception):
                queue.put_nowait(err)
            return
        queue.put_nowait(None)


def _not_hidden(_: Change, path: str) -> bool:
    return not os.path.basename(path).startswith(".")  # temporary files of atomic writes
