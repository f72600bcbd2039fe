"""What a run source tells the monitor. Sources post these from any thread; only the app's
handlers touch widgets.

A source is anything that produces a run: the live loop in a worker today, a directory watcher
or a replay later. They all speak in these four messages, so the screens do not care which.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.message import Message

from core.readers import IterationView


@dataclass(frozen=True)
class RunInfo:
    """Who a run is, from its manifest (RUN.json or the loop's RunStarted). Values as found."""

    run_id: str
    driver: str | None = None
    scenario: str | None = None
    seed: str | None = None
    profile: str | None = None
    gate: str | None = None
    total_iterations: int | None = None
    run_dir: Path | None = None

    @classmethod
    def from_manifest(
        cls, manifest: Mapping[str, Any], run_dir: Path | None = None, total_iterations: int | None = None
    ) -> RunInfo:
        def text(key: str) -> str | None:
            value = manifest.get(key)
            return None if value is None else str(value)

        total = total_iterations if total_iterations is not None else manifest.get("iterations")
        return cls(
            run_id=text("run_id") or (run_dir.name if run_dir else "?"),
            driver=text("driver"),
            scenario=text("scenario"),
            seed=text("seed"),
            profile=text("profile"),
            gate=text("gate"),
            total_iterations=total if isinstance(total, int) and not isinstance(total, bool) else None,
            run_dir=run_dir,
        )


class RunOpened(Message):
    """A run began (or was found): show who it is."""

    def __init__(self, info: RunInfo) -> None:
        super().__init__()
        self.info = info


class IterationArrived(Message):
    """One iteration finished and its record is ready to show."""

    def __init__(self, view: IterationView) -> None:
        super().__init__()
        self.view = view


class RunStateChanged(Message):
    """The loop was paused or resumed: `state` is "paused" or "running"."""

    def __init__(self, state: str) -> None:
        super().__init__()
        self.state = state


class RunEnded(Message):
    """The run is over. `status`: completed | aborted | failed; `verdict`: PASS | WARN | FAIL."""

    def __init__(
        self, status: str, exit_code: int, verdict: str | None = None, reasons: tuple[str, ...] = (),
        error: str | None = None,
    ) -> None:
        super().__init__()
        self.status = status
        self.exit_code = exit_code
        self.verdict = verdict
        self.reasons = reasons
        self.error = error


class RunSwitched(Message):
    """The source now follows another run (`soak watch`): what is shown of the previous one goes;
    RunOpened and the new run's iterations follow."""


class IterationsArrived(Message):
    """Several iterations at once, in order (a run opened with its history): shown together."""

    def __init__(self, views: list[IterationView]) -> None:
        super().__init__()
        self.views = views
