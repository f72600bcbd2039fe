"""The tuner's rules (DESIGN.md section 5): each reads an iteration's KPIs against the gate and
proposes deltas, with a line of rationale.

Rules react only to KPIs against the gate's thresholds (and a few raw KPIs: adverse p95, crossings,
hedges); none knows a target parameter set. A rule pushes a parameter by a share of its max_step
that grows with how far the KPI misses: a quarter at the WARN edge, a half at the FAIL threshold,
more further out.

`post_only` is a switch: a rule may only turn it on (delta +1), when maker share misses and some
taker fills came from quotes crossing the market. It never turns it off: that can only add taker
fills.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from core.gates import asks_higher, describe_miss
from core.kpi import KPIS, Better
from core.params import Params, spec_of
from core.records import GateCheck, Verdict

WARN_EDGE_SHARE = 0.25  # share of max_step for a KPI at its WARN edge; each band width past it adds as much
MAX_RULE_SHARE = 0.7  # one rule alone stays below a cooldown-sized step; rules that agree may add up
TIGHTEN_SHARE = 0.2  # share of max_step the spread tightens by when everything passes with room
TIGHTEN_MARGIN_JUMPS = 1.0  # "with room": this many of the KPI's min_jump away from its FAIL threshold
ADVERSE_P95_SPREADS = 3.0  # adverse p95 above this many half-spreads is "high"
DELTA_DIGITS = 6


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

    def missing(self, kpi: str) -> GateCheck | None:
        """The check of `kpi` when it misses a gate rule that wants it better (a rule that asks
        the other way, "latency above zero", is no reason to move a parameter)."""
        check = self.checks.get(kpi)
        if check is None or check.status == Verdict.PASS:
            return None
        return check if asks_higher(check.op) == (KPIS[kpi].better is Better.HIGHER) else None

    def comfortable(self, kpi: str) -> bool:
        """`kpi` passes, and a jump of TIGHTEN_MARGIN_JUMPS times its min_jump (the smallest change
        between iterations a report calls a jump) would not take it past its FAIL threshold.

        The FAIL threshold is the constraint the tuner works under (DESIGN.md section 5), and the
        margin is in the KPI's own units: measured in WARN-band widths, a lax gate's wide bands
        (the smoke gate's net_bps band is 10 bp) asked for a margin no strategy reaches, so a
        strategy that passed from the start was never tuned at all.
        """
        check = self.checks.get(kpi)
        if check is None or check.status != Verdict.PASS:
            return False
        assert check.value is not None and check.fail is not None
        passing_side = 1 if asks_higher(check.op) else -1
        return passing_side * (check.value - check.fail) >= TIGHTEN_MARGIN_JUMPS * KPIS[kpi].min_jump


def bands_inside(check: GateCheck) -> float:
    """How far the value sits on the passing side of its WARN edge (or FAIL threshold), in widths
    of the WARN band; negative when it misses."""
    assert check.value is not None and check.fail is not None
    edge = check.warn if check.warn is not None else check.fail
    band = abs(edge - check.fail) or abs(check.fail) * 0.1 or 1.0  # no WARN band: a tenth of the threshold
    passing_side = 1 if asks_higher(check.op) else -1
    return passing_side * (check.value - edge) / band


def miss_share(check: GateCheck) -> float:
    """How hard to push for a KPI that misses its gate, as a share of max_step: a quarter at the
    WARN edge, a half at the FAIL threshold, more further out, up to MAX_RULE_SHARE."""
    return min(MAX_RULE_SHARE, WARN_EDGE_SHARE * (1 - bands_inside(check)))


def maker_share_low(obs: Observation) -> Iterator[Proposal]:
    """Taker volume comes from quotes that cross on arrival and from hedges: act on whichever is there."""
    check = obs.missing("maker_taker_ratio")
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
    check = obs.missing("net_bps")
    if check is not None:
        yield Proposal("base_spread_bps", miss_share(check), describe_miss(check))


def adverse_p95_high(obs: Observation) -> Iterator[Proposal]:
    adverse = obs.kpis.get("adverse_bps_p95")
    limit = ADVERSE_P95_SPREADS * obs.params.base_spread_bps
    if adverse is not None and adverse > limit:
        why = f"adverse_bps_p95 {adverse:.3g} > {limit:.3g} ({ADVERSE_P95_SPREADS:g} x spread)"
        yield Proposal("base_spread_bps", WARN_EDGE_SHARE, why)


def latency_high(obs: Observation) -> Iterator[Proposal]:
    check = obs.missing("p95_latency_ms")
    if check is not None:
        share, why = miss_share(check), describe_miss(check)
        yield Proposal("min_interval_ms", share, why)
        yield Proposal("concurrency_limit", -share, why)


def risk_high(obs: Observation) -> Iterator[Proposal]:
    check = obs.missing("risk_ratio")
    if check is not None:
        share, why = miss_share(check), describe_miss(check)
        yield Proposal("inventory_skew_bps", share, why)


def edge_and_risk_good(obs: Observation) -> Iterator[Proposal]:
    if obs.verdict == Verdict.PASS and obs.comfortable("net_bps") and obs.comfortable("risk_ratio"):
        why = f"net_bps {obs.kpis['net_bps']:.3g} and risk_ratio {obs.kpis['risk_ratio']:.3g} pass with room"
        yield Proposal("base_spread_bps", -TIGHTEN_SHARE, why)


RULES: tuple[Callable[[Observation], Iterator[Proposal]], ...] = (
    maker_share_low,
    net_edge_low,
    adverse_p95_high,
    latency_high,
    risk_high,
    edge_and_risk_good,
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
