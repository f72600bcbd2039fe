"""Alerts that stay (DESIGN.md section 9): what a run did that the user must not miss, whether or
not they were looking. A run that failed, a gate that turned FAIL, a run that ended. Each rings
the terminal bell once and stays in the banner until dismissed; one per kind, the newest
replacing the older (a gate that turns FAIL again says how often it has)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.records import RunStatus, Verdict, shown_verdict
from core.runs.views import IterationView
from tui import format as fmt
from tui.messages import RunEnded

ERROR, WARNING, INFORMATION = "error", "warning", "information"
GATE, END = "gate", "end"  # the kinds: one banner line each
TURNS_NAMED = 5  # iterations named in the gate's line


@dataclass(frozen=True)
class Alert:
    kind: str
    severity: str
    title: str
    text: str  # literal


def turned_fail(previous: str | None, views: Iterable[IterationView]) -> list[IterationView]:
    """The views among `views` (in order, after one whose verdict was `previous`) whose
    verdict is FAIL when the one before was not."""
    turned = []
    for view in views:
        failed = Verdict.parse(view.verdict) is Verdict.FAIL
        if failed and Verdict.parse(previous) is not Verdict.FAIL:
            turned.append(view)
        previous = view.verdict
    return turned


def gate_alert(turns: list[int], latest: IterationView) -> Alert:
    """The gate's line: where it turned FAIL (the latest first, `latest`) and why."""
    reasons = sorted(latest.gate_reasons, key=lambda reason: f"({Verdict.FAIL})" not in reason)
    why = f": {reasons[0]}" if reasons else ""
    shown = ", ".join(str(i) for i in reversed(turns[-TURNS_NAMED:])) + (", …" if len(turns) > TURNS_NAMED else "")
    times = f" ({len(turns)} times: {shown})" if len(turns) > 1 else ""
    return Alert(GATE, ERROR, "gate FAIL", f"iteration {turns[-1]}{why}{times}")


def end_alert(message: RunEnded, run_dir: Path | None, iterations: int) -> Alert:
    """The end of the run, as the banner says it."""
    where = f"  {run_dir}" if run_dir is not None else ""
    shown = shown_verdict(message.status, message.verdict)  # a stopped run's is incomplete
    verdict = f"verdict {shown}, " if shown else ""
    done = f"{iterations} iteration(s), {verdict}exit {message.exit_code}"
    if message.status == RunStatus.FAILED:
        return Alert(END, ERROR, "run failed", f"{message.error or 'no error recorded'}  ({done}){where}")
    if message.status in (fmt.STALE, fmt.REMOVED):
        return Alert(END, WARNING, f"run {message.status}", message.error or "")
    if message.status in (RunStatus.ABORTED, fmt.STOPPED):
        return Alert(END, WARNING, "run stopped", f"{done}; the finished iterations are in{where or ' its directory'}")
    return Alert(END, INFORMATION, f"run {message.status}", f"{done}{where}")
