"""The lines a headless soak and a headless watch print: one per iteration, and a summary table."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TextIO

from core.kpi import KPIS, MONITORED, UPLIFT
from core.records import INCOMPLETE, Verdict, shown_verdict
from core.reporting.stats import mean
from core.runs.views import IterationView
from core.uplift import HEADLINE, describe, headline_interval

VERDICT_COLOURS = {Verdict.PASS: "32", Verdict.WARN: "33", Verdict.FAIL: "31"}  # ANSI SGR
CELL = 12  # a summary cell: _num's widest (999999.999, or 1.234e+06) and a space before it
LINE_KPIS = ("maker_taker_ratio", "net_bps", "risk_ratio", "p95_latency_ms")  # the gate's, most watched


def use_colour(stream: TextIO, env: Mapping[str, str] = os.environ) -> bool:
    return stream.isatty() and "NO_COLOR" not in env and env.get("TERM") != "dumb"


def plain_verdict(verdict: str | None) -> str:
    return verdict or "?"


def coloured_verdict(verdict: str | None) -> str:
    code = VERDICT_COLOURS.get(Verdict.parse(verdict))  # type: ignore[arg-type]
    return f"\x1b[{code}m{verdict}\x1b[0m" if code else plain_verdict(verdict)


def iteration_line(
    view: IterationView, total: int | None, verdict_text: Callable[[str | None], str] = plain_verdict
) -> str:
    counter = f"{view.iteration}/{total}" if total else str(view.iteration)
    maker, net, risk, p95 = (KPIS[name].show(view.kpi(name)) for name in LINE_KPIS)
    return (
        f"iter {counter:>7}  maker/taker {maker}  net {net} bps  risk {risk}  p95 {p95} ms  "
        f"{verdict_text(view.verdict)}  {tuning_text(view)}"
    )


def closing_lines(
    run_dir: object,
    status: str,
    iterations: int,
    verdict: str | None,
    reasons: Iterable[object],
    exit_code: int,
    verdict_text: Callable[[str | None], str] = plain_verdict,
) -> list[str]:
    """How a run ended, last thing printed (headless, and after the monitor closes): where its
    files are, its status, iterations, verdict and reasons, and the exit code. A run stopped or
    failed has its verdict shown as incomplete, its reasons as what they were so far."""
    head = f"run {status}: {iterations} iteration(s)"
    shown = shown_verdict(status, verdict)
    if shown == INCOMPLETE:
        head += f"  verdict {INCOMPLETE}  so far: " + "; ".join(map(str, reasons))
    elif shown:
        head += f"  verdict {verdict_text(shown)}  " + "; ".join(map(str, reasons))
    return [f"run dir {run_dir}", head + f"  exit {int(exit_code)}"]


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
    lines = [f"{'kpi':<20}" + "".join(f"{heading:>{CELL}}" for heading in ("last", "mean", "min", "max")) + "  gate"]
    for kpi in MONITORED:
        values = [v for v in (view.kpi(kpi) for view in views) if v is not None]
        last = views[-1].kpi(kpi) if views else None
        cells = [last, mean(values), min(values, default=None), max(values, default=None)]
        gate = " ".join(str(x) for x in thresholds.get(kpi, ()))
        lines.append(f"{kpi:<20}" + "".join(f"{_num(c):>{CELL}}" for c in cells) + f"  {gate}")
    return lines


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return format(value, ".3f") if abs(value) < 1e6 else format(value, ".3e")  # fits its column


def uplift_line(views: Iterable[IterationView]) -> str | None:
    """The cumulative uplift over the control arm with its interval, or None for a run without a control."""
    interval = headline_interval(view.kpi(f"{UPLIFT}.{HEADLINE}") for view in views)
    return describe(interval) + " over the control (same market paths)" if interval else None
