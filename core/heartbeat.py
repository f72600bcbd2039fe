"""RUN.json's heartbeat while something else holds the loop (an external driver's long window):
a healthy run is never shown as stale (DESIGN.md section 7)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from core.errors import SoakError


@contextlib.contextmanager
def beating(heartbeat: Callable[[], None], every_s: float) -> Iterator[None]:
    """Call `heartbeat` every `every_s` in a thread while the block runs. A heartbeat that
    cannot be written is skipped: the loop's own next write reports the disk's trouble."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every_s):
            with contextlib.suppress(SoakError):
                heartbeat()

    thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
