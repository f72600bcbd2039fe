"""The signals that stop a soak run in this process: SIGINT, SIGTERM, SIGHUP (DESIGN.md section 8).

Each ends the run `aborted` (exit 130). The first asks for a clean stop (a running driver gets
its grace period); any later one asks for it at once. None of them raises: a second Ctrl-C
while the soak shuts down is absorbed, not a traceback that leaves RUN.json running.

The handler itself only writes a byte to a pipe; a thread reads it and does the stopping. A
handler runs in the main thread between any two bytecodes, possibly while that thread holds the
lock of the very Event it waits on (the loop's `cancelled`): setting it there would deadlock.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def stop_on_signals(stop: Callable[[bool], None]) -> None:
    """From now on, a stop signal calls `stop(at_once)` in a thread of its own, `at_once` from
    the second signal on."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)

    def handler(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe already holds more than enough
            os.write(write_fd, b"\0")

    def relay() -> None:
        received = 0
        while os.read(read_fd, 1):
            received += 1
            stop(received > 1)

    threading.Thread(target=relay, name="stop signals", daemon=True).start()
    for signum in STOP_SIGNALS:
        signal.signal(signum, handler)
