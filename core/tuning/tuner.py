"""The rules tuner (DESIGN.md section 5): the rules' proposal, clamped to bounds and maximum step,
and held where a guard says so. The what-if tuner (core/tuning/whatif.py) is this one with another
`choose`: what goes to the guards is the best of the proposal's neighbourhood.

Integer parameters move in whole steps, and the rationale ends with the step each one applied
(DESIGN.md section 3). Per proposed parameter, `param_status` is APPLIED, AT_BOUND (its delta clamps to zero) or the
guard that held it. `skip_reasons`, when nothing applies, is ["freeze"], ["no_op"] (every delta
clamps to zero, or no rule proposed anything), or the guards that held the parameters. In deltas
and bounds the `post_only` switch counts as 0/1.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from core.params import Params, ParamSpec, spec_of
from core.records import (
    APPLIED,
    AT_BOUND,
    NO_CHANGE_BEST,
    OLDER_SUMMARY_COUNTS,
    GateCheck,
    GateRecord,
    Guard,
    Tuners,
    TuningRecord,
)
from core.tuning.guards import Guards
from core.tuning.rules import DELTA_DIGITS, Observation, Proposed, propose


def clamp_step(name: str, current: float, delta: float) -> float:
    """The part of `delta` that stays within max_step and the bounds (whole for integer parameters)."""
    spec = spec_of(name)
    step = min(max(delta, -spec.max_step), spec.max_step)
    step = min(max(step, spec.lower - current), spec.upper - current)
    return in_units(name, step)


def in_units(name: str, step: float) -> float:
    """`step` as the tuner takes it: whole units, at least one, for an integer parameter (its
    bounds and max_step are whole too)."""
    if spec_of(name).integer:
        return math.copysign(math.ceil(abs(step)), step) if step else 0.0
    return round(step, DELTA_DIGITS)


def apply_deltas(params: Params, deltas: Mapping[str, float]) -> Params:
    """`params` with each delta added and the result clamped to its bounds (pure)."""
    values = params.model_dump()
    for name, delta in deltas.items():
        spec = spec_of(name)
        if not math.isfinite(delta):
            raise ValueError(f"delta {name}={delta!r}; allowed: a finite number")
        values[name] = _settle(name, spec, float(values[name]) + delta)
    return Params(**values)


def _settle(name: str, spec: ParamSpec, value: float) -> float | int | bool:
    value = min(max(value, spec.lower), spec.upper)
    if name == "post_only":
        return value >= 0.5
    return round(value) if spec.integer else round(value, DELTA_DIGITS)


def finite_kpis(summary: Mapping[str, Any]) -> dict[str, float]:
    """The numeric KPIs of a summary, flattening `fills`; missing or non-finite values are left out."""
    fills = summary.get("fills")
    flat = {**summary, **(fills if isinstance(fills, Mapping) else {})}
    return {
        k: float(v)
        for k, v in flat.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }


def blocked_shares(summary: Mapping[str, Any]) -> dict[str, float]:
    """`blocks.ratios` of a summary: per reason, the share of actions it blocked."""
    blocks = summary.get("blocks")
    ratios = blocks.get("ratios") if isinstance(blocks, Mapping) else None
    return finite_kpis(ratios) if isinstance(ratios, Mapping) else {}


def measured_checks(gate: GateRecord) -> dict[str, GateCheck]:
    """The gate's checks of KPIs that were measured against a FAIL threshold, by KPI."""
    return {c.kpi: c for c in gate.checks if c.value is not None and c.fail is not None}


@dataclass(frozen=True)
class Choice:
    deltas: dict[str, float]  # what the tuner proposes, before the guards
    rationale: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)  # more TuningRecord fields: the what-if table


class Tuner:
    """Deterministic and stateful: the same sequence of inputs gives the same decisions."""

    kind = Tuners.RULES

    def __init__(self) -> None:
        self.guards = Guards()
        self._latency_since: Observation | None = None  # where the latency began to miss (rules.latency)

    def decide(
        self,
        iteration: int,
        params: Params,
        summary: Mapping[str, Any],
        gate: GateRecord,
        soak_elapsed_s: float,
    ) -> TuningRecord:
        obs = Observation(
            finite_kpis(summary),
            gate.verdict,
            measured_checks(gate),
            params,
            blocked_shares(summary),
            self._latency_since,
        )
        missing = obs.missing("p95_latency_ms") is not None
        self._latency_since = (self._latency_since or dataclasses.replace(obs, latency_since=None)) if missing else None
        proposed = propose(obs)
        if self.guards.frozen(gate.verdict):
            frozen: dict[str, str] = dict.fromkeys(proposed.deltas, Guard.FREEZE)
            return self._record(proposed.deltas, {}, frozen, [Guard.FREEZE], proposed.rationale)
        choice = self.choose(iteration, params, proposed)
        applied: dict[str, float] = {}
        status: dict[str, str] = {}
        current = params.model_dump()
        for name, delta in choice.deltas.items():
            step = clamp_step(name, float(current[name]), delta)
            max_step = spec_of(name).max_step
            held = AT_BOUND if step == 0 else self.guards.hold(name, step, max_step, iteration, soak_elapsed_s)
            status[name] = held or APPLIED
            if held is None:
                applied[name] = step
                self.guards.record(name, step, max_step, iteration, soak_elapsed_s)
        skip = _skip_reasons(applied, status, bool(proposed.deltas) and not choice.deltas)
        whole = [f"{name} {step:+g} applied (whole steps)" for name, step in applied.items() if spec_of(name).integer]
        record = self._record(choice.deltas, applied, status, skip, [*choice.rationale, *whole])
        return record.model_copy(update=choice.evidence)

    def choose(self, iteration: int, params: Params, proposed: Proposed) -> Choice:
        """What goes to the guards: here, the rules' proposal as it is."""
        return Choice(proposed.deltas, proposed.rationale)

    def _record(
        self,
        proposed: dict[str, float],
        applied: dict[str, float],
        status: dict[str, str],
        skip_reasons: list[str],
        rationale: list[str],
    ) -> TuningRecord:
        fired = {*status.values(), *skip_reasons}
        applied = dict(sorted(applied.items()))  # by name, as the record on disk has them (JSON sorted keys)
        return TuningRecord(
            proposed_deltas=proposed,
            applied_deltas=applied,
            applied=bool(applied),
            skip_reasons=skip_reasons,
            param_status=status,
            guards_fired=[g for g in Guard if g in fired],
            changed_keys=list(applied),
            guard_state_hash=self.guard_state_hash(),
            rationale=rationale,
            tuner=self.kind,
        )

    def guard_state_hash(self) -> str:
        canonical = json.dumps(asdict(self.guards), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _skip_reasons(applied: dict[str, float], status: dict[str, str], no_change_best: bool) -> list[str]:
    """Why nothing applied: the guards that held the parameters, else no_change_best (the what-if
    chose no change over the rules' proposal), else no_op (every delta clamps to zero, or nothing
    was proposed); nothing when something applied."""
    if applied:
        return []
    if no_change_best:
        return [NO_CHANGE_BEST]
    return sorted({s for s in status.values() if s != AT_BOUND}) or [Guard.NO_OP]


def summarise_guards(records: Sequence[TuningRecord]) -> dict[str, Any]:
    """For TUNING_REPORT.json: how many decisions, how many applied, and how often each guard fired
    (also under the older tool's names)."""
    guards = {g: sum(g in r.guards_fired for r in records) for g in Guard}
    return {
        "count": len(records),
        "applied": sum(r.applied for r in records),
        "skipped": sum(not r.applied for r in records),
        "guards": guards,
        **{name: guards[guard] for name, guard in OLDER_SUMMARY_COUNTS.items()},
    }
