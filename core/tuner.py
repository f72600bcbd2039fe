"""The auto-tuner (DESIGN.md section 5): rules propose deltas from the KPIs, guards decide what applies.

Rules react only to KPIs against the gate's thresholds (and a few raw KPIs: adverse p95, crossings,
hedges); none knows a target parameter set. A rule pushes a parameter by a share of its max_step
that grows with how far the KPI misses: a quarter at the WARN edge, a half at the FAIL threshold,
more further out.

`post_only` is a switch: the tuner may only turn it on (delta +1), when maker share misses and some
taker fills came from quotes crossing the market. It never turns it off: that can only add taker
fills. In deltas and bounds the switch counts as 0/1 with a maximum step of 1.

Per proposed parameter, `param_status` is "applied", "at_bound" (its delta clamps to zero) or the
guard that held it. `skip_reason`, when nothing applies, is "freeze", "no_op" (every delta clamps to
zero, or no rule proposed anything), or the guards that held the parameters ("cooldown,velocity").
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from core.gates import describe_miss
from core.guards import GUARDS, Guards
from core.params import PARAM_SPECS, Params, ParamSpec
from core.records import GateCheck, GateRecord, TuningRecord

SWITCH_SPEC = ParamSpec(0, 0, 1, 1, integer=True)  # post_only as 0/1
WARN_EDGE_SHARE = 0.25  # share of max_step for a KPI at its WARN edge; each band width past it adds as much
MAX_RULE_SHARE = 0.7  # one rule alone stays below a cooldown-sized step; rules that agree may add up
TIGHTEN_SHARE = 0.2  # share of max_step the spread tightens by when everything passes with room
TIGHTEN_MARGIN_BANDS = 2.0  # "with room": this many WARN-band widths inside the WARN edge
ADVERSE_P95_SPREADS = 3.0  # adverse p95 above this many half-spreads is "high"
DELTA_DIGITS = 6


def spec_of(name: str) -> ParamSpec:
    if name == "post_only":
        return SWITCH_SPEC
    if name not in PARAM_SPECS:
        raise ValueError(f"unknown parameter {name!r}; allowed: {', '.join([*PARAM_SPECS, 'post_only'])}")
    return PARAM_SPECS[name]


@dataclass(frozen=True)
class Proposal:
    param: str
    share: float  # signed share of the parameter's max_step
    why: str  # what the rule saw, e.g. "net_bps 1.93 < 2.7"


@dataclass(frozen=True)
class Observation:
    """What the rules read: the finite KPIs, the gate's verdict and its checks that have a value."""

    kpis: dict[str, float]
    verdict: str
    checks: dict[str, GateCheck]
    params: Params

    def missing(self, kpi: str, want: str) -> GateCheck | None:
        """The check of `kpi` when it misses its gate on the low side (want "higher") or high side."""
        check = self.checks.get(kpi)
        if check is None or check.status == "PASS":
            return None
        return check if (check.op in (">=", ">")) == (want == "higher") else None

    def comfortable(self, kpi: str) -> bool:
        """`kpi` passes with a margin of TIGHTEN_MARGIN_BANDS band widths past its WARN edge."""
        check = self.checks.get(kpi)
        return check is not None and check.status == "PASS" and bands_inside(check) >= TIGHTEN_MARGIN_BANDS


def bands_inside(check: GateCheck) -> float:
    """How far the value sits on the passing side of its WARN edge (or FAIL threshold), in widths
    of the WARN band; negative when it misses."""
    assert check.value is not None and check.fail is not None
    edge = check.warn if check.warn is not None else check.fail
    band = abs(edge - check.fail) or abs(check.fail) * 0.1 or 1.0  # no WARN band: a tenth of the threshold
    passing_side = 1 if check.op in (">=", ">") else -1
    return passing_side * (check.value - edge) / band


def miss_share(check: GateCheck) -> float:
    """How hard to push for a KPI that misses its gate, as a share of max_step: a quarter at the
    WARN edge, a half at the FAIL threshold, more further out, up to MAX_RULE_SHARE."""
    return min(MAX_RULE_SHARE, WARN_EDGE_SHARE * (1 - bands_inside(check)))


def maker_share_low(obs: Observation) -> Iterator[Proposal]:
    """Taker volume comes from quotes that cross on arrival and from hedges: act on whichever is there."""
    check = obs.missing("maker_taker_ratio", want="higher")
    if check is None:
        return
    share, why = miss_share(check), describe_miss(check)
    hedges = obs.kpis.get("hedges", 0)
    crossings = obs.kpis.get("crossings", obs.kpis.get("taker_count", 0) - hedges)
    if crossings > 0:
        if not obs.params.post_only:
            yield Proposal("post_only", 1, f"{why}, {crossings:.0f} quotes crossed")
        yield Proposal("replace_threshold_bps", share, why)
        yield Proposal("replace_rate_per_min", -share, why)
    if hedges > 0:  # less inventory to hedge, and smaller hedges
        yield Proposal("inventory_skew_bps", share, f"{why}, {hedges:.0f} hedges")
        yield Proposal("impact_cap_ratio", -share, f"{why}, {hedges:.0f} hedges")


def net_edge_low(obs: Observation) -> Iterator[Proposal]:
    check = obs.missing("net_bps", want="higher")
    if check is not None:
        yield Proposal("base_spread_bps", miss_share(check), describe_miss(check))


def adverse_p95_high(obs: Observation) -> Iterator[Proposal]:
    adverse = obs.kpis.get("adverse_bps_p95")
    limit = ADVERSE_P95_SPREADS * obs.params.base_spread_bps
    if adverse is not None and adverse > limit:
        why = f"adverse_bps_p95 {adverse:.3g} > {limit:.3g} ({ADVERSE_P95_SPREADS:g} x spread)"
        yield Proposal("base_spread_bps", WARN_EDGE_SHARE, why)


def latency_high(obs: Observation) -> Iterator[Proposal]:
    check = obs.missing("p95_latency_ms", want="lower")
    if check is not None:
        share, why = miss_share(check), describe_miss(check)
        yield Proposal("min_interval_ms", share, why)
        yield Proposal("concurrency_limit", -share, why)


def risk_high(obs: Observation) -> Iterator[Proposal]:
    check = obs.missing("risk_ratio", want="lower")
    if check is not None:
        share, why = miss_share(check), describe_miss(check)
        yield Proposal("inventory_skew_bps", share, why)


def edge_and_risk_good(obs: Observation) -> Iterator[Proposal]:
    if obs.verdict == "PASS" and obs.comfortable("net_bps") and obs.comfortable("risk_ratio"):
        why = f"net_bps {obs.kpis['net_bps']:.3g} and risk_ratio {obs.kpis['risk_ratio']:.3g} pass with room"
        yield Proposal("base_spread_bps", -TIGHTEN_SHARE, why)


RULES: tuple[Callable[[Observation], Iterator[Proposal]], ...] = (
    maker_share_low, net_edge_low, adverse_p95_high, latency_high, risk_high, edge_and_risk_good,
)


def propose(obs: Observation) -> tuple[dict[str, float], list[str]]:
    """Summed deltas per parameter (in its units) and one rationale line per proposal."""
    deltas: dict[str, float] = {}
    rationale: list[str] = []
    for rule in RULES:
        for p in rule(obs):
            delta = round(p.share * spec_of(p.param).max_step, DELTA_DIGITS)
            deltas[p.param] = round(deltas.get(p.param, 0.0) + delta, DELTA_DIGITS)
            rationale.append(f"{p.why} -> {p.param} {delta:+g}")
    return deltas, rationale


def clamp_step(name: str, current: float, delta: float) -> float:
    """The part of `delta` that stays within max_step and the bounds (whole for integer parameters)."""
    spec = spec_of(name)
    step = min(max(delta, -spec.max_step), spec.max_step)
    step = min(max(step, spec.lower - current), spec.upper - current)
    if spec.integer:  # whole units, at least one: bounds and max_step are whole too
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
        k: float(v) for k, v in flat.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }


class Tuner:
    """Deterministic and stateful: the same sequence of inputs gives the same decisions."""

    def __init__(self) -> None:
        self.guards = Guards()

    def decide(
        self, iteration: int, params: Params, summary: Mapping[str, Any], gate: GateRecord,
        soak_elapsed_s: float,
    ) -> TuningRecord:
        checks = {c.kpi: c for c in gate.checks if c.value is not None and c.fail is not None}
        proposed, rationale = propose(Observation(finite_kpis(summary), gate.verdict, checks, params))
        if self.guards.frozen(gate.verdict):
            status = dict.fromkeys(proposed, "freeze")
            return self._record(proposed, {}, status, "freeze", rationale)
        applied: dict[str, float] = {}
        status = {}
        current = params.model_dump()
        for name, delta in proposed.items():
            step = clamp_step(name, float(current[name]), delta)
            max_step = spec_of(name).max_step
            held = "at_bound" if step == 0 else self.guards.hold(
                name, step, max_step, iteration, soak_elapsed_s
            )
            status[name] = held or "applied"
            if held is None:
                applied[name] = step
                self.guards.record(name, step, max_step, iteration, soak_elapsed_s)
        return self._record(proposed, applied, status, _skip_reason(applied, status), rationale)

    def _record(
        self, proposed: dict[str, float], applied: dict[str, float], status: dict[str, str],
        skip_reason: str | None, rationale: list[str],
    ) -> TuningRecord:
        fired = {*status.values(), skip_reason}
        return TuningRecord(
            proposed_deltas=proposed,
            applied_deltas=applied,
            applied=bool(applied),
            skip_reason=skip_reason,
            param_status=status,
            guards_fired=[g for g in GUARDS if g in fired],
            changed_keys=list(applied),
            state_hash=self.state_hash(),
            rationale=rationale,
        )

    def state_hash(self) -> str:
        canonical = json.dumps(asdict(self.guards), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _skip_reason(applied: dict[str, float], status: dict[str, str]) -> str | None:
    if applied:
        return None
    holding = sorted({s for s in status.values() if s != "at_bound"})
    return ",".join(holding) or "no_op"


def summarise_guards(records: Sequence[TuningRecord]) -> dict[str, Any]:
    """For TUNING_REPORT.json: how many decisions, how many applied, and how often each guard fired."""
    return {
        "count": len(records),
        "applied": sum(r.applied for r in records),
        "skipped": sum(not r.applied for r in records),
        "guards": {g: sum(g in r.guards_fired for r in records) for g in GUARDS},
    }
