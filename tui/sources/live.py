"""The live source: a SoakLoop run in a thread worker, its events posted to the app as messages."""
from __future__ import annotations

from functools import partial

from textual.app import App
from textual.message import Message
from textual.worker import Worker, get_current_worker

from core.config import SoakConfig
from core.events import IterationFinished, RunFinished, RunPaused, RunResumed, RunStarted, SoakEvent
from core.loop import SoakLoop
from core.readers import iteration_view
from tui.messages import IterationArrived, RunEnded, RunInfo, RunOpened, RunStateChanged

WORKER_GROUP = "soak-loop"


class LiveLoopSource:
    """Runs the soak in this process. Building it builds the loop, so a bad gate or driver is
    reported before any screen opens.

    `hold_at`: pause the loop as soon as that iteration has finished (demos and screenshots get
    a run stopped at a known point, whatever the machine's speed)."""

    controllable = True

    def __init__(self, config: SoakConfig, hold_at: int | None = None) -> None:
        self.loop = SoakLoop(config)
        self.hold_at = hold_at
        self.worker: Worker[None] | None = None

    def start(self, app: App) -> None:
        self.worker = app.run_worker(
            partial(self._drive, app), name="soak loop", group=WORKER_GROUP, thread=True,
            exit_on_error=False,
        )

    def pause(self) -> None:
        self.loop.pause()

    def resume(self) -> None:
        self.loop.resume()

    def stop(self) -> None:
        self.loop.cancel()

    def _drive(self, app: App) -> None:
        """Consume the loop to its end even once cancelled: its last steps record the status."""
        worker = get_current_worker()
        for event in self.loop.run():
            if worker.is_cancelled:
                self.loop.cancel()
            if (message := to_message(event)) is not None:
                app.post_message(message)
            if isinstance(event, IterationFinished) and event.record.iteration == self.hold_at:
                self.loop.pause()


def to_message(event: SoakEvent) -> Message | None:
    match event:
        case RunStarted():
            return RunOpened(RunInfo.from_manifest(event.manifest, event.run_dir, event.total_iterations))
        case IterationFinished():
            return IterationArrived(iteration_view(event.record.model_dump(mode="json")))
        case RunPaused():
            return RunStateChanged("paused")
        case RunResumed():
            return RunStateChanged("running")
        case RunFinished():
            verdict = event.verdict
            return RunEnded(
                event.status, event.exit_code, verdict.verdict if verdict else None,
                tuple(verdict.reasons) if verdict else (), event.error,
            )
    return None  # tuning events: the iteration's record already carries its tuning
