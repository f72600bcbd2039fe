"""Headless output for CI (`soak run --no-ui`): a line per iteration, a summary, the verdict."""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import statistics
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from core.events import IterationFinished, RunFinished, RunStarted, SoakEvent
from core.readers import IterationView, iteration_view

VERDICT_COLOURS = {"PASS": "32", "WARN": "33", "FAIL": "31"}
SUMMARY_KPIS = ("maker_taker_ratio", "net_bps", "risk_ratio", "p95_latency_ms",
                "adverse_bps_p95", "slippage_bps_p95", "cancel_ratio", "order_age_p95_ms")


def use_colour(stream: TextIO, env: dict[str, str] | os._Environ = os.environ) -> bool:
    return stream.isatty() and "NO_COLOR" not in env and env.get("TERM") != "dumb"


class HeadlessPrinter:
    """Turns loop events into lines; one instance per run."""

    def __init__(self, out: TextIO, colour: bool) -> None:
        self.out, self.colour = out, colour
        self.total: int | None = None
        self.views: list[IterationView] = []

    def handle(self, event: SoakEvent) -> None:
        if isinstance(event, RunStarted):
            self.total = event.total_iterations
            m = event.manifest
            self._print(f"soak run {event.run_id}  driver {m['driver']}  seed {m['seed']}  "
                        f"profile {m['profile']}  gate {m['gate']}  -> {event.run_dir}")
        elif isinstance(event, IterationFinished):
            view = iteration_view(event.record.model_dump(mode="json"))
            self.views.append(view)
            self._print(iteration_line(view, self.total, self._verdict))
        elif isinstance(event, RunFinished):
            self._print_summary(event)

    def _print_summary(self, event: RunFinished) -> None:
        if self.views:
            self._print("")
            for line in summary_table(self.views):
                self._print(line)
        if event.error:
            print(f"soak: error: {event.error}", file=sys.stderr, flush=True)
        verdict = event.verdict
        head = f"run {event.status}: {event.iterations} iteration(s)"
        if verdict:
            head += f"  verdict {self._verdict(verdict.verdict)}  " + "; ".join(verdict.reasons)
        self._print(head + f"  exit {event.exit_code}")

    def _verdict(self, verdict: str | None) -> str:
        text = verdict or "?"
        code = VERDICT_COLOURS.get(text)
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and code else text

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def iteration_line(view: IterationView, total: int | None, verdict_text=lambda v: v or "?") -> str:
    counter = f"{view.iteration}/{total}" if total else str(view.iteration)
    return (
        f"iter {counter:>7}  maker/taker {_num(view.maker_taker_ratio, '.3f')}  "
        f"net {_num(view.net_bps, '+.2f')} bps  risk {_num(view.risk_ratio, '.2f')}  "
        f"p95 {_num(view.p95_latency_ms, '.0f')} ms  {verdict_text(view.verdict)}  {tuning_text(view)}"
    )


def tuning_text(view: IterationView) -> str:
    if view.applied and view.applied_deltas:
        deltas = ", ".join(f"{k} {v:+g}" for k, v in view.applied_deltas.items() if v)
        return f"tuned: {deltas}"
    if view.skip_reason:
        return f"skipped: {view.skip_reason}"
    return "tuning: -"


def summary_table(views: Iterable[IterationView]) -> list[str]:
    views = list(views)
    thresholds = views[-1].thresholds if views else {}
    lines = [f"{'kpi':<20}{'last':>10}{'mean':>10}{'min':>10}{'max':>10}  gate"]
    for kpi in SUMMARY_KPIS:
        values = [v for v in (getattr(view, kpi) for view in views) if v is not None]
        last = getattr(views[-1], kpi)
        cells = [last, statistics.fmean(values) if values else None,
                 min(values, default=None), max(values, default=None)]
        gate = " ".join(str(x) for x in thresholds.get(kpi, ()))
        lines.append(f"{kpi:<20}" + "".join(f"{_num(c, '.3f'):>10}" for c in cells) + f"  {gate}")
    return lines


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def event_json(event: SoakEvent) -> str:
    """One line of JSON for `--json`: the event's name and its fields."""
    name = "".join("_" + c.lower() if c.isupper() else c for c in type(event).__name__).lstrip("_")
    fields = {f.name: _jsonable(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return json.dumps({"event": name, **fields}, allow_nan=False, default=str)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def run_headless(events: Iterable[SoakEvent], json_events: bool, out: TextIO = sys.stdout) -> int:
    printer = HeadlessPrinter(out, use_colour(out))
    exit_code = 2
    for event in events:
        try:
            if json_events:
                print(event_json(event), file=out, flush=True)
            else:
                printer.handle(event)
        except BrokenPipeError:
            # The reader went away (`| head`): the soak and its artifacts go on without output.
            printer.out = out = open(os.devnull, "w")
        if isinstance(event, RunFinished):
            exit_code = event.exit_code
    return exit_code


def cancel_on_signals(cancel) -> None:
    """First SIGINT/SIGTERM asks the loop to stop cleanly; a second SIGINT stops at once."""
    def handler(signum, frame):
        signal.signal(signal.SIGINT, signal.default_int_handler)
        cancel()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
