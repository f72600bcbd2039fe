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

import itertools
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from core.gates import RUN_WINDOW, GateProfile, evaluate_iteration, run_verdict
from core.intervals import MeanInterval
from core.kpi import KPIS, MONITORED, UPLIFT, Better
from core.params import TUNABLES
from core.records import APPLIED, UNFINISHED, Guard, RunVerdict, Verdict
from core.reporting.baseline import BaselineReport
from core.reporting.stats import IterationValue, Jump, Stats, jumps, stats, worst
from core.runs.discovery import RunInfo
from core.runs.jsonio import finite_number
from core.runs.layout import ignored_note
from core.runs.views import IterationView
from core.uplift import HEADLINE, headline_interval

REPORT_FORMAT = 1
MANIFEST_FIELDS = ("driver", "tuner", "control", "seed", "profile", "gate", "scenario", "started_utc", "finished_utc")


class KpiReport(BaseModel):
    kpi: str
    better: Better
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
    ours: Verdict | None = None  # the report's gate's, beside a verdict the older tool recorded


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
    rejudged: list[IterationVerdict] = []  # verdicts the older tool recorded, with the gate's beside


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
    complete: bool = True  # False: stopped or failed, its verdict is shown as incomplete
    baseline: BaselineReport | None = None  # `soak report --baseline RUN` (core/reporting/baseline.py)
    # The mean uplift in PnL per hour per window over the control arm, with its 90% interval
    # (core/uplift.py); None for a run without a control.
    uplift: MeanInterval | None = None

    def json_text(self) -> str:
        """The JSON report: the model as it is, keys sorted."""
        data = self.model_dump(mode="json")
        return json.dumps(data, allow_nan=False, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def build_report(
    info: RunInfo,
    views: Sequence[IterationView],
    gate: GateProfile,
    *,
    rejudge: bool = False,
    window: int = RUN_WINDOW,
    verdict: RunVerdict | None = None,
    ignored: Sequence[str] = (),
) -> RunReport:
    """The report of one run. Iterations keep their recorded gate verdict unless `rejudge` (or
    none was recorded): then `gate` judges them. `verdict` is the run's verdict when the caller
    already has it (the loop); otherwise gates.run_verdict decides it from the iterations.
    `ignored`: the run's files named like iterations that are not (RunSnapshot.ignored)."""
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
        kpis=[kpi_report(kpi, views, gate, window) for kpi in MONITORED],
        tuning=tuning_activity(views),
        problems=[f"iteration {view.iteration}: {problem}" for view in views for problem in view.problems]
        + [ignored_note(name) for name in ignored],
        complete=info.status not in UNFINISHED,
        uplift=headline_interval(view.kpi(f"{UPLIFT}.{HEADLINE}") for view in views),
    )


# --------------------------------------------------------------------------------------------
# Verdicts


def judge(view: IterationView, gate: GateProfile, rejudge: bool = False) -> IterationVerdict:
    """The verdict as recorded (unless `rejudge`); `gate`'s when none was recorded. A verdict the
    older tool recorded stands as it is, with `gate`'s beside it."""
    recorded = Verdict.parse(view.verdict)
    summary = view.raw.get("summary")
    if not rejudge and recorded is not None:
        ours = (
            evaluate_iteration(summary if isinstance(summary, Mapping) else {}, gate) if view.foreign_verdict else None
        )
        return IterationVerdict(
            iteration=view.iteration,
            verdict=recorded,
            reasons=list(view.gate_reasons),
            evaluated=False,
            ours=ours.verdict if ours else None,
        )
    record = evaluate_iteration(summary if isinstance(summary, Mapping) else {}, gate)
    return IterationVerdict(iteration=view.iteration, verdict=record.verdict, reasons=record.reasons, evaluated=True)


def _verdict_report(
    judged: list[IterationVerdict], gate: GateProfile, window: int, verdict: RunVerdict | None
) -> VerdictReport:
    verdict = verdict or run_verdict([j.verdict for j in judged], window)
    in_window = judged[len(judged) - verdict.window :]
    return VerdictReport(
        **verdict.model_dump(),
        gate=gate.name,
        evaluated=[j.iteration for j in judged if j.evaluated],
        not_passing=[j for j in in_window if j.verdict != Verdict.PASS],
        rejudged=[j for j in judged if j.ours is not None],
    )


# --------------------------------------------------------------------------------------------
# KPIs


def kpi_report(kpi: str, views: Sequence[IterationView], gate: GateProfile, window: int) -> KpiReport:
    points = [(view.iteration, view.kpi(kpi)) for view in views]
    present = [(i, v) for i, v in points if v is not None]
    spec = KPIS[kpi]
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
        guards={guard: held[guard] for guard in Guard},
        other_reasons={reason: n for reason, n in sorted(held.items()) if Guard.parse(reason) is None},
        params=param_changes(views),
    )


def held_by(view: IterationView) -> set[str]:
    """Every reason that held something in this iteration's tuning decision, each once: what
    skipped the whole proposal, and what held each parameter."""
    return {*view.skip_reasons, *(status for status in view.param_status.values() if status != APPLIED)}


def param_changes(views: Sequence[IterationView]) -> list[ParamChange]:
    """The tunables in their usual order, then any other recorded parameter by name."""
    names = {name for view in views for name in view.params}
    known = [name for name in (*TUNABLES, "post_only") if name in names]
    return [_param_change(name, views) for name in [*known, *sorted(names - set(known))]]


def _param_change(name: str, views: Sequence[IterationView]) -> ParamChange:
    values = [view.params[name] for view in views if name in view.params]
    start, end = values[0], values[-1]
    first, last = finite_number(start), finite_number(end)
    change = None if first is None or last is None else last - first
    if change is not None and not math.isfinite(change):
        change = None
    times = sum(before != after for before, after in itertools.pairwise(values))
    return ParamChange(param=name, start=start, end=end, change=change, times_changed=times)
