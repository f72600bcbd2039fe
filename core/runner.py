"""The one composition root of a soak: its loop, and what finishes the run (the CI outputs), for
the command line, the monitor, the tests and the sweep alike.

The loop knows nothing of reporting; `SoakRun.events()` passes its events on and, when the run
has finished, writes the CI outputs asked for (JUnit, Markdown summary, GitHub's step summary).
A CI output that cannot be written turns the run's exit code into 2 with that error: the
artifacts are on disk, but CI did not get what it asked for.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from core.config import SoakConfig
from core.drivers import Driver
from core.errors import ReportError
from core.events import IterationFinished, RunFinished, RunStarted, SoakEvent
from core.loop import SoakLoop
from core.records import ExitCode, IterationRecord
from core.reporting.ci_outputs import STEP_SUMMARY_ENV, write_run_outputs


class SoakRun:
    def __init__(
        self,
        config: SoakConfig,
        env: Mapping[str, str] = os.environ,
        *,
        driver: Driver | None = None,
        clock: Callable[[], float] | None = None,
        utc_now: Callable[[], datetime] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Raises the core's one-line user errors (a bad gate, scenario or driver) at once.
        `tags` are more fields for RUN.json (SoakLoop's)."""
        self.loop = SoakLoop(config, driver, clock, utc_now, tags)
        self.config = config
        self.env = env

    def events(self) -> Iterator[SoakEvent]:
        run_dir: Path | None = None
        records: list[IterationRecord] = []
        for event in self.loop.run():
            if isinstance(event, RunStarted):
                run_dir = event.run_dir
            elif isinstance(event, IterationFinished):
                records.append(event.record)
            elif isinstance(event, RunFinished) and run_dir is not None:
                event = self._finish(event, run_dir, records)
            yield event

    def _finish(self, event: RunFinished, run_dir: Path, records: list[IterationRecord]) -> RunFinished:
        s = self.config.settings
        if s.junit is None and s.summary_md is None and s.report_json is None and not self.env.get(STEP_SUMMARY_ENV):
            return event
        try:
            write_run_outputs(run_dir, records, event.verdict, s.gate, s.junit, s.summary_md, self.env, s.report_json)
        except ReportError as err:
            return dataclasses.replace(event, error=str(err), exit_code=ExitCode.ERROR)
        return event
