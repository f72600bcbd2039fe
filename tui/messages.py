"""What a run source tells the monitor (toolong's style: messages as dataclasses). Sources post
these from any thread; only the app's handlers touch widgets.

A source is anything that produces a run: the live loop in a worker, a directory watcher or a
replay. They all speak in these messages, so the screens do not care which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from textual.message import Message

from core.errors import ReadError
from core.runs.discovery import RunInfo, RunKind
from core.runs.views import IterationView
from tui.format import REMOVED, STALE


@dataclass(frozen=True)
class RunIdentity:
    """Who a run is, from its manifest (RUN.json or the loop's RunStarted). Values as found."""

    run_id: str
    driver: str | None = None
    scenario: str | None = None
    seed: str | None = None
    profile: str | None = None
    gate: str | None = None
    total_iterations: int | None = None
    run_dir: Path | None = None
    window_s: float | None = None  # market time per iteration
    started_utc: str | None = None
    finished_utc: str | None = None
    fees: str | None = None  # the simulator's venue fee tier
    engine: str | None = None  # who ran the simulator's loop (python, numba)

    @classmethod
    def from_manifest(
        cls, manifest: Mapping[str, Any], run_dir: Path | None = None, total_iterations: int | None = None
    ) -> RunIdentity:
        def text(key: str) -> str | None:
            value = manifest.get(key)
            return None if value is None else str(value)

        total = total_iterations if total_iterations is not None else manifest.get("iterations")
        window = manifest.get("window_s")
        window_s = float(window) if _is_number(window) else None
        return cls(
            run_id=text("run_id") or (run_dir.name if run_dir else "?"),
            driver=text("driver"),
            scenario=text("scenario"),
            fees=text("fees"),
            engine=text("engine"),
            seed=text("seed"),
            profile=text("profile"),
            gate=text("gate"),
            total_iterations=total if isinstance(total, int) and not isinstance(total, bool) else None,
            run_dir=run_dir,
            window_s=window_s if window_s is not None and 0 < window_s < float("inf") else None,
            started_utc=text("started_utc"),
            finished_utc=text("finished_utc"),
        )


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class WatchedRun:
    """One row of `soak watch`'s run list."""

    info: RunInfo
    iterations: int = 0  # how many it has on disk
    problems: tuple[ReadError, ...] = ()  # one per file that could not be used
    removed: bool = False

    @property
    def status(self) -> str:
        if self.removed:
            return REMOVED
        native_stale = self.info.stale and self.info.kind is RunKind.NATIVE  # a quiet legacy run is over
        return STALE if native_stale else self.info.status

    @property
    def verdict(self) -> str | None:
        """The run's verdict as RUN.json records it (a finished native run)."""
        value = (self.info.recorded_verdict() or {}).get("verdict")
        return None if value is None else str(value)

    def field(self, key: str) -> str | None:
        """A manifest field as text (gate, scenario, sweep_id, ...), None when absent."""
        value = (self.info.manifest or {}).get(key)
        return None if value is None else str(value)


@dataclass
class RunOpened(Message):
    """A run began (or was found): show who it is."""

    identity: RunIdentity


@dataclass
class IterationsArrived(Message):
    """Iterations finished (or were found), in order: shown together. `history`: they are what
    a run already had when the monitor found it, not news (nothing to alert on)."""

    views: list[IterationView]
    history: bool = False


@dataclass
class RunStateChanged(Message):
    """The run was paused or resumed, or is known to be a legacy run: `state` is "paused",
    "running" or "legacy". Only the newest state matters."""

    state: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunStateChanged)


@dataclass
class RunEnded(Message):
    """The run is over (or no longer followed). `status`: a final run status, or what the
    monitor calls a run it cannot follow further (stopped, replayed, stale, removed)."""

    status: str
    exit_code: int
    verdict: str | None = None
    reasons: tuple[str, ...] = ()
    error: str | None = None
    history: bool = False  # the run had ended before the monitor found it


@dataclass
class RunSwitched(Message):
    """The source now follows another run (`soak watch`): what is shown of the previous one goes;
    RunOpened and the new run's iterations follow."""


@dataclass
class RunsChanged(Message):
    """The run list as it is now (`soak watch`). `scanning`: the initial scan is still going."""

    runs: tuple[WatchedRun, ...]
    followed: Path | None
    scanning: bool

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunsChanged)


@dataclass
class RunAnnounced(Message):
    """A run started under the watched root while another is followed: said, not jumped to."""

    info: RunInfo


@dataclass
class FilesUnreadable(Message):
    """Files that could not be used, to be named in a notice."""

    errors: tuple[ReadError, ...]


@dataclass
class Notice(Message):
    """A line the run wants read (core.events.RunNotice), shown until dismissed."""

    text: str
