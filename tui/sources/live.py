"""The live source: a soak run in a thread worker, its events posted to the app as messages.

Iterations that finish less than BATCH_EVERY_S after the last ones were posted wait for the
next event and go together: a fast soak then costs the monitor a few repaints a second, not one
per iteration, and the simulator is not starved of the GIL. Nothing waits longer than the next
iteration, and a pause or the end of the run posts whatever is waiting first.
"""

from __future__ import annotations

import threading
import time
from functools import partial

from textual.app import App
from textual.message import Message
from textual.worker import Worker, get_current_worker

from core.events import IterationFinished, RunFinished, RunNotice, RunPaused, RunResumed, RunStarted, SoakEvent
from core.records import ExitCode, RunStatus
from core.runner import SoakRun
from core.runs.views import IterationView
from tui.format import PAUSED, RUN
from tui.messages import IterationsArrived, Notice, RunEnded, RunIdentity, RunOpened, RunStateChanged

WORKER_GROUP = "soak-loop"
BATCH_EVERY_S = 0.2


class LiveLoopSource:
    """Runs `soak` in this process.

    `hold_at`: pause the loop as soon as that iteration has finished (demos and screenshots get
    a run stopped at a known point, whatever the machine's speed)."""

    controllable = True
    mode = RUN
    badge = None

    def __init__(self, soak: SoakRun, hold_at: int | None = None) -> None:
        self.soak = soak
        self.hold_at = hold_at
        self.worker: Worker[None] | None = None
        self.done = threading.Event()  # set once the loop has returned: its last status is on disk
        # The loop's own controls: each is safe from any thread and returns at once.
        self.pause, self.resume, self.stop = soak.loop.pause, soak.loop.resume, soak.loop.cancel

    def start(self, app: App[int]) -> None:
        self.worker = app.run_worker(
            partial(self._drive, app), name="soak loop", group=WORKER_GROUP, thread=True, exit_on_error=False
        )

    def _drive(self, app: App[int]) -> None:
        """Consume the run to its end even once cancelled: its last steps record the status."""
        worker = get_current_worker()
        batch = _Batch(app)
        try:
            for event in self.soak.events():
                if worker.is_cancelled:
                    self.soak.loop.cancel()
                if isinstance(event, IterationFinished):
                    if event.record.iteration == self.hold_at:
                        self.soak.loop.pause()
                    batch.add(event.view)
                elif (message := to_message(event)) is not None:
                    batch.post()  # what finished before it is shown before it
                    app.post_message(message)
        except Exception as err:  # a defect below the loop: say so rather than show RUNNING forever
            app.post_message(RunEnded(RunStatus.FAILED, ExitCode.ERROR, error=f"{type(err).__name__}: {err}"))
            raise
        finally:
            self.done.set()


class _Batch:
    """Iterations waiting to be posted together (see the module's docstring)."""

    def __init__(self, app: App[int]) -> None:
        self.app = app
        self.views: list[IterationView] = []
        self.posted = -BATCH_EVERY_S

    def add(self, view: IterationView) -> None:
        self.views.append(view)
        if time.monotonic() - self.posted >= BATCH_EVERY_S:
            self.post()

    def post(self) -> None:
        if self.views:
            self.app.post_message(IterationsArrived(self.views))
            self.views, self.posted = [], time.monotonic()


def to_message(event: SoakEvent) -> Message | None:
    """The message for anything but an iteration (those are batched, see above)."""
    match event:
        case RunStarted():
            return RunOpened(RunIdentity.from_manifest(event.manifest, event.run_dir, event.total_iterations))
        case RunNotice(text=text):
            return Notice(text)
        case RunPaused():
            return RunStateChanged(PAUSED)
        case RunResumed():
            return RunStateChanged(RunStatus.RUNNING)
        case RunFinished():
            verdict = event.verdict
            return RunEnded(
                event.status,
                event.exit_code,
                verdict.verdict if verdict else None,
                tuple(verdict.reasons) if verdict else (),
                event.error,
            )
    return None  # tuning events: the iteration's record already carries its tuning
