"""Where a monitored run comes from. The app takes one `RunSource` and only speaks to it through
this protocol; the source posts `tui.messages` to the app from its own worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.app import App


class RunSource(Protocol):
    # Whether pause, resume and stop act on the run (a watcher of another process's run cannot).
    controllable: bool
    mode: str  # tui.format's RUN (a soak in this process: stopping it asks first), WATCH or REPLAY

    @property
    def badge(self) -> str | None:
        """What the header says the monitor is doing besides showing a run: 'REPLAY ×4', 'WATCH'."""

    def start(self, app: App[int]) -> None:
        """Launch the worker(s) that post the run's messages."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self) -> None:
        """End the run (or stop following it). Must return at once; called again on app exit."""
