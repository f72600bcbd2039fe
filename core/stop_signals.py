"""The signals that stop a soak run in this process: SIGINT, SIGTERM, SIGHUP (DESIGN.md section 8).

Each ends the run `aborted` (exit 130). The first asks for a clean stop (a running driver gets
its grace period); any later one asks for it at once. None of them raises: a second Ctrl-C
while the soak shuts down is absorbed, not a traceback that leaves RUN.json running.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def stop_on_signals(stop: Callable[[bool], None]) -> None:
    """From now on, a stop signal calls `stop(at_once)`, `at_once` from the second signal on."""
    received = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal received
        received += 1
        stop(received > 1)

    for signum in STOP_SIGNALS:
        signal.signal(signum, handler)
