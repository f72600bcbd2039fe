"""Headless output for CI (`soak run --no-ui`): a line per iteration, a summary, the verdict."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from core.console.lines import (
    closing_lines,
    coloured_verdict,
    iteration_line,
    plain_verdict,
    summary_table,
    uplift_line,
    use_colour,
)
from core.console.streams import Log, say
from core.events import IterationFinished, RunFinished, RunNotice, RunStarted, SoakEvent
from core.records import ExitCode
from core.runs.views import IterationView


class HeadlessPrinter:
    """Turns loop events into lines; one instance per run."""

    def __init__(self, out: Log, colour: bool) -> None:
        self.out = out
        self.verdict_text = coloured_verdict if colour else plain_verdict
        self.total: int | None = None
        self.run_dir: object = None
        self.views: list[IterationView] = []

    def handle(self, event: SoakEvent) -> None:
        if isinstance(event, RunStarted):
            self.total, self.run_dir = event.total_iterations, event.run_dir
            m = event.manifest
            engine = f"  engine {m['engine']}" if m.get("engine") else ""
            self._print(
                f"soak run {event.run_id}  driver {m['driver']}{engine}  seed {m['seed']}  "
                f"profile {m['profile']}  gate {m['gate']}  -> {event.run_dir}"
            )
        elif isinstance(event, RunNotice):
            say(f"soak: note: {event.text}")
        elif isinstance(event, IterationFinished):
            self.views.append(event.view)
            self._print(iteration_line(event.view, self.total, self.verdict_text))
        elif isinstance(event, RunFinished):
            self._print_summary(event)

    def _print_summary(self, event: RunFinished) -> None:
        if self.views:
            self._print("")
            for line in summary_table(self.views):
                self._print(line)
            if uplift := uplift_line(self.views):
                self._print(uplift)
        if event.error:
            say(f"soak: error: {event.error}")
        verdict = event.verdict
        for line in closing_lines(
            self.run_dir,
            event.status,
            event.iterations,
            verdict.verdict if verdict else None,
            verdict.reasons if verdict else (),
            event.exit_code,
            self.verdict_text,
        ):
            self._print(line)

    def _print(self, line: str) -> None:
        self.out.line(line)


def event_json(event: SoakEvent) -> str:
    """One line of JSON for `--json`: the event's name and its fields."""
    name = "".join("_" + c.lower() if c.isupper() else c for c in type(event).__name__).lstrip("_")
    fields = {f.name: _jsonable(getattr(event, f.name)) for f in dataclasses.fields(event) if f.name != "view"}
    return json.dumps({"event": name, **fields}, allow_nan=False, default=str)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def run_headless(events: Iterable[SoakEvent], json_events: bool, out: TextIO | None = None) -> int:
    """The run's exit code; 2 when its log on `out` (stdout by default) could not be written
    (core/console/streams.py): the soak goes on without it."""
    log = Log(out if out is not None else sys.stdout)
    printer = HeadlessPrinter(log, log.isatty() and use_colour(log.stream))  # type: ignore[arg-type]
    exit_code: int = ExitCode.ERROR
    for event in events:
        if json_events:
            log.line(event_json(event))
        else:
            printer.handle(event)
        if isinstance(event, RunFinished):
            exit_code = event.exit_code
    lost = log.lost_line("the run went on and wrote its files")
    if lost is None:
        return int(exit_code)
    say(lost)
    return ExitCode.ERROR
