"""The post-soak report's model: every number `soak report` and the CI summaries show, computed
once from a run's iteration views. The JSON report is this model; the Markdown is rendered from it.

Definitions (also in the Markdown, so a reader need not open this file):
- statistics of a KPI use the iterations where it has a value; `missing` counts the others;
- `trend_per_iteration` is the least-squares slope of the KPI against the iteration number;
- `recent` is the same over the last `window` iterations, the window the run verdict judges;
- a jump (anomaly) is a change between consecutive iterations with a value that is larger than
  JUMP_FACTOR times the KPI's median absolute change over the run, and at least the KPI's
  `min_jump` (so a KPI that barely moves does not flag its first small step);
- a guard "held" an iteration when it skipped the whole proposal or held one parameter's change;
- a parameter's net change runs from the first to the last value the iterations recorded for it
  (the values they ran with); `times_changed` counts recorded values that differ from the one before.
"""
from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel

from core.gates import RUN_WINDOW, GateProfile, evaluate_iteration, run_verdict
from core.guards import GUARDS
from core.params import TUNABLES
from core.readers import KPI_FIELDS, IterationView, RunInfo
from core.records import RunVerdict, Verdict

REPORT_FORMAT = 1
VERDICTS: tuple[str, ...] = get_args(Verdict)
WORST_COUNT = 3
JUMP_FACTOR = 4.0


@dataclass(frozen=True)
class KpiSpec:
    better: Literal["higher", "lower"]  # a gate's op cannot say: smoke only asks latency > 0
    min_jump: float  # the smallest change between iterations worth calling a jump, in KPI units


KPI_SPECS: dict[str, KpiSpec] = {
    "maker_taker_ratio": KpiSpec("higher", 0.05),
    "net_bps": KpiSpec("higher", 1.0),
    "risk_ratio": KpiSpec("lower", 0.05),
    "adverse_bps_p95": KpiSpec("lower", 1.0),
    "slippage_bps_p95": KpiSpec("lower", 1.0),
    "p95_latency_ms": KpiSpec("lower", 25.0),
    "cancel_ratio": KpiSpec("lower", 0.05),
    "order_age_p95_ms": KpiSpec("lower", 250.0),
}
MANIFEST_FIELDS = ("driver", "seed", "profile", "gate", "scenario", "started_utc", "finished_utc")


class Stats(BaseModel):
    count: int
    missing: int
    mean: float | None
    median: float | None
    min: float | None
    max: float | None
    trend_per_iteration: float | None


class IterationValue(BaseModel):
    iteration: int
    value: float


class Jump(BaseModel):
    from_iteration: int
    to_iteration: int
    before: float
    after: float
    change: float


class KpiReport(BaseModel):
    kpi: str
    better: Literal["higher", "lower"]
    gate: str | None  # the FAIL rule, e.g. ">= 0.5"
    last: float | None  # the last iteration's value
    all: Stats
    recent: Stats
    series: list[float | None]  # one per iteration, in the order of RunReport.iterations
    worst: list[IterationValue]
    jump_threshold: float | None
    anomalies: list[Jump]


class ParamChange(BaseModel):
    param: str
    start: Any
    end: Any
    change: float | None  # None when either end is missing or not a number
    times_changed: int  # recorded values that differ from the one recorded before


class TuningActivity(BaseModel):
    decisions: int
    applied: int
    skipped: int
    unknown: int  # no usable `applied` flag
    guards: dict[str, int]  # per guard: iterations it held
    other_reasons: dict[str, int]  # e.g. at_bound, auto_tune_off, or a legacy tool's reason
    params: list[ParamChange]


class IterationVerdict(BaseModel):
    iteration: int
    verdict: Verdict
    reasons: list[str]
    evaluated: bool  # True when no verdict was recorded and the report judged the iteration


class VerdictReport(BaseModel):
    verdict: Verdict
    reasons: list[str]
    window: int
    passed: int
    warned: int
    failed: int
    gate: str
    evaluated: list[int]  # iterations judged by the report, not by the run
    not_passing: list[IterationVerdict]  # in the judged window


class RunReport(BaseModel):
    format: int = REPORT_FORMAT
    run_id: str
    kind: str
    status: str
    path: str
    run: dict[str, Any]  # what RUN.json says about driver, seed, profile, gate, scenario, times
    iterations: list[int]
    recent_window: int
    verdict: VerdictReport
    kpis: list[KpiReport]
    tuning: TuningActivity
    problems: list[str]  # fields that could not be used, one line each


def build_report(
    info: RunInfo,
    views: Sequence[IterationView],
    gate: GateProfile,
    *,
    rejudge: bool = False,
    window: int = RUN_WINDOW,
    verdict: RunVerdict | None = None,
) -> RunReport:
    """The report of one run. Iterations keep their recorded gate verdict unless `rejudge` (or
    none was recorded): then `gate` judges them. `verdict` is the run's verdict when the caller
    already has it (the loop); otherwise gates.run_verdict decides it from the iterations."""
    views = sorted(views, key=lambda view: view.iteration)
    judged = [judge(view, gate, rejudge) for view in views]
    manifest = info.manifest or {}
    return RunReport(
        run_id=info.run_id,
        kind=str(info.kind),
        status=f"{info.status} (stale)" if info.stale else info.status,
        path=str(info.path),
        run={key: manifest[key] for key in MANIFEST_FIELDS if key in manifest},
        iterations=[view.iteration for view in views],
        recent_window=window,
        verdict=_verdict_report(judged, gate, window, verdict),
        kpis=[kpi_report(kpi, views, gate, window) for kpi in KPI_FIELDS],
        tuning=tuning_activity(views),
        problems=[f"iteration {view.iteration}: {problem}" for view in views for problem in view.problems],
    )


# --------------------------------------------------------------------------------------------
# Verdicts


def judge(view: IterationView, gate: GateProfile, rejudge: bool = False) -> IterationVerdict:
    if not rejudge and view.verdict in VERDICTS:
        return IterationVerdict(
            iteration=view.iteration, verdict=view.verdict, reasons=list(view.gate_reasons), evaluated=False
        )
    summary = view.raw.get("summary")
    record = evaluate_iteration(summary if isinstance(summary, Mapping) else {}, gate)
    return IterationVerdict(
        iteration=view.iteration, verdict=record.verdict, reasons=record.reasons, evaluated=True
    )


def _verdict_report(
    judged: list[IterationVerdict], gate: GateProfile, window: int, verdict: RunVerdict | None
) -> VerdictReport:
    verdict = verdict or run_verdict([j.verdict for j in judged], window)
    in_window = judged[len(judged) - verdict.window:]
    return VerdictReport(
        **verdict.model_dump(),
        gate=gate.name,
        evaluated=[j.iteration for j in judged if j.evaluated],
        not_passing=[j for j in in_window if j.verdict != "PASS"],
    )


# --------------------------------------------------------------------------------------------
# KPIs


def kpi_report(kpi: str, views: Sequence[IterationView], gate: GateProfile, window: int) -> KpiReport:
    points = [(view.iteration, getattr(view, kpi)) for view in views]
    present = [(i, v) for i, v in points if v is not None]
    spec = KPI_SPECS[kpi]
    threshold, anomalies = jumps(present, spec.min_jump)
    return KpiReport(
        kpi=kpi,
        better=spec.better,
        gate=_gate_rule(kpi, gate),
        last=points[-1][1] if points else None,
        all=stats(points),
        recent=stats(points[-window:]),
        series=[v for _, v in points],
        worst=worst(present, spec.better),
        jump_threshold=threshold,
        anomalies=anomalies,
    )


def stats(points: Sequence[tuple[int, float | None]]) -> Stats:
    values = [v for _, v in points if v is not None]
    return Stats(
        count=len(values),
        missing=len(points) - len(values),
        mean=_finite(statistics.fmean, values),
        median=_finite(statistics.median, values),
        min=min(values, default=None),
        max=max(values, default=None),
        trend_per_iteration=trend([(i, v) for i, v in points if v is not None]),
    )


def trend(present: Sequence[tuple[int, float]]) -> float | None:
    """Least-squares slope of value against iteration number; None with fewer than two iterations."""
    if len({i for i, _ in present}) < 2:
        return None
    xs, ys = zip(*present)
    try:
        slope = statistics.linear_regression(xs, ys).slope
    except OverflowError:
        return None
    return slope if math.isfinite(slope) else None


def _finite(compute: Callable[[list[float]], float], values: Sequence[float]) -> float | None:
    """`compute(values)`, or None when there are none or the result overflows a float."""
    if not values:
        return None
    try:
        result = compute(list(values))
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def worst(present: Sequence[tuple[int, float]], better: str) -> list[IterationValue]:
    sign = 1 if better == "higher" else -1  # the worst first, earlier iterations first on ties
    ranked = sorted(present, key=lambda point: (sign * point[1], point[0]))
    return [IterationValue(iteration=i, value=v) for i, v in ranked[:WORST_COUNT]]


def jumps(present: Sequence[tuple[int, float]], min_jump: float) -> tuple[float | None, list[Jump]]:
    """The jump threshold and every change between consecutive values that exceeds it."""
    pairs = list(zip(present, present[1:]))
    changes = [after - before for (_, before), (_, after) in pairs]
    typical = _finite(lambda c: statistics.median(abs(x) for x in c), changes)
    if typical is None:
        return None, []
    threshold = max(JUMP_FACTOR * typical, min_jump)
    return threshold, [
        Jump(from_iteration=i, to_iteration=j, before=before, after=after, change=change)
        for ((i, before), (j, after)), change in zip(pairs, changes)
        if threshold < abs(change) < math.inf
    ]


def _gate_rule(kpi: str, gate: GateProfile) -> str | None:
    for rule in gate.rules:
        if rule.kpi == kpi:
            return rule.op if rule.fail is None else f"{rule.op} {rule.fail:g}"
    return None


# --------------------------------------------------------------------------------------------
# Tuning


def tuning_activity(views: Sequence[IterationView]) -> TuningActivity:
    held = Counter(reason for view in views for reason in held_by(view))
    return TuningActivity(
        decisions=len(views),
        applied=sum(view.applied is True for view in views),
        skipped=sum(view.applied is False for view in views),
        unknown=sum(view.applied is None for view in views),
        guards={guard: held[guard] for guard in GUARDS},
        other_reasons={reason: n for reason, n in sorted(held.items()) if reason not in GUARDS},
        params=param_changes(views),
    )


def held_by(view: IterationView) -> set[str]:
    """Every reason that held something in this iteration's tuning decision, each once.

    The reader gives a skip reason as text: one name, names joined by commas (the tuner), or a
    legacy tool's flags with a note in brackets, e.g. "velocity, freeze (rest 2 iterations)".
    """
    reasons = {status for status in view.param_status.values() if status != "applied"}
    if view.skip_reason:
        names = view.skip_reason.split(" (", 1)[0]
        reasons.update(name.strip() for name in names.split(",") if name.strip())
    return reasons


def param_changes(views: Sequence[IterationView]) -> list[ParamChange]:
    """The tunables in their usual order, then any other recorded parameter by name."""
    names = {name for view in views for name in view.params}
    known = [name for name in (*TUNABLES, "post_only") if name in names]
    return [_param_change(name, views) for name in [*known, *sorted(names - set(known))]]


def _param_change(name: str, views: Sequence[IterationView]) -> ParamChange:
    values = [view.params[name] for view in views if name in view.params]
    start, end = values[0], values[-1]
    first, last = _number(start), _number(end)
    change = None if first is None or last is None else last - first
    if change is not None and not math.isfinite(change):
        change = None
    times = sum(before != after for before, after in zip(values, values[1:]))
    return ParamChange(param=name, start=start, end=end, change=change, times_changed=times)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond a float's range
        return None
    return number if math.isfinite(number) else None
