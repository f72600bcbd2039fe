"""The tuner's rules (DESIGN.md section 5): each reads an iteration's KPIs against the gate and
proposes deltas, with a line of rationale that says what the change costs.

Rules react only to KPIs against the gate's thresholds (and a few raw KPIs: adverse p95, crossings,
hedges, blocked actions); none knows a target parameter set. A rule pushes a parameter by a share
of its max_step that grows with how far the KPI misses: a quarter at the WARN edge, a half at the
FAIL threshold, more further out; and less than a quarter while the KPI passes by less than
AT_RISK_BANDS widths of its WARN band: a KPI swings by about one band's width from one window to
the next, so one that only just passed misses the next window about half of the time, and the run
PASSes only when most of its iterations pass every KPI.

Every change has a price, and the rules know it: widening the spread buys edge per fill with
volume (and with PnL, where the edge already paid), and tightening buys volume with edge and with
quote presence (more fills, and a side is empty from each fill until its new quote lands), so the
spread is given back as soon as the edge and the presence have room again, whatever else misses; slowing the quotes buys
latency with presence and order age, so the latency rule loosens as well as tightens: when the
last tightening did not lower the latency (it is the venue's, not ours), and when the latency has
room while the throttle blocks many actions; and it does not slow while the presence misses.
Room for inventory (max_position) buys fewer hedges (taker volume) and fewer sides pulled at the
limit with a larger position carried. A proposal the rule is unsure of (a trade-off, not a fix) is
marked so: the what-if tuner also tries its opposite.

`post_only` is a switch: a rule may only turn it on (delta +1), when maker share misses and some
taker fills came from quotes crossing the market. It never turns it off: that can only add taker
fills.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from core.gates import asks_higher, describe_miss
from core.kpi import KPIS, Better
from core.params import Params, spec_of
from core.records import GateCheck, Verdict

WARN_EDGE_SHARE = 0.25  # share of max_step for a KPI at its WARN edge; each band width past it adds as much
MAX_RULE_SHARE = 0.7  # one rule alone stays below a cooldown-sized step; rules that agree may add up
TIGHTEN_SHARE = 0.2  # share of max_step the spread tightens by when everything passes with room
TIGHTEN_MARGIN_JUMPS = 1.0  # "with room": this many of the KPI's min_jump away from its FAIL threshold
ADVERSE_P95_SPREADS = 3.0  # adverse p95 above this many half-spreads is "high"
AT_RISK_BANDS = 2.0  # a KPI that passes by less than this many WARN-band widths is still pushed, gently
THROTTLED_SHARE = 0.15  # actions blocked by min_interval or concurrency above this share: the throttle bites
UNHELPED_STEPS = 3.0  # min_interval raised by this many max_steps with the latency down by less than its min_jump
DELTA_DIGITS = 6
ROUNDING = 1e-9  # float error in a KPI's distance from its threshold


@dataclass(frozen=True)
class Proposal:
    param: str
    share: float  # signed share of the parameter's max_step
    why: str  # what the rule saw, e.g. "net_bps 1.93 < 2.7"
    costs: str = ""  # what the change gives up, e.g. "volume"
    unsure: bool = False  # a trade-off rather than a fix: the what-if also tries the opposite


# What each kind of change gives up, as the rationale says it.
WIDENING_COSTS = "volume, and PnL where the edge already pays"
TIGHTENING_COSTS = "edge per fill, more adverse selection"
SLOWING_COSTS = "presence, order age"
QUICKENING_COSTS = "request rate, latency"
STICKY_COSTS = "order age, adverse selection"
SKEW_COSTS = "volume on the heavy side"
ROOM_COSTS = "a larger position carried"


@dataclass(frozen=True)
class Observation:
    """What the rules read: the finite KPIs, the gate's verdict and its checks that have a value."""

    kpis: dict[str, float]
    verdict: str
    checks: dict[str, GateCheck]
    params: Params
    blocked: dict[str, float] = field(default_factory=dict)  # blocks.ratios: share of actions blocked, per reason
    # The observation where the latency began to miss (this run of misses), to judge the slowing since.
    latency_since: Observation | None = None

    def missing(self, kpi: str) -> GateCheck | None:
        """The check of `kpi` when it misses a gate rule that wants it better, or passes it by less
        than AT_RISK_BANDS (a rule that asks the other way, "latency above zero", is no reason to
        move a parameter)."""
        check = self.checks.get(kpi)
        if check is None or (check.status == Verdict.PASS and bands_inside(check) >= AT_RISK_BANDS):
            return None
        return check if asks_higher(check.op) == (KPIS[kpi].better is Better.HIGHER) else None

    def room(self, kpi: str) -> bool:
        """The gate does not judge `kpi`, or it is comfortable and not at risk (see missing)."""
        return kpi not in self.checks or (self.comfortable(kpi) and self.missing(kpi) is None)

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
        margin = TIGHTEN_MARGIN_JUMPS * KPIS[kpi].min_jump
        return passing_side * (check.value - check.fail) >= margin - ROUNDING  # 0.95 - 0.90 is a whole 0.05


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
    WARN edge, a half at the FAIL threshold, more further out, up to MAX_RULE_SHARE; less inside
    the PASS band, nothing AT_RISK_BANDS inside it."""
    inside = bands_inside(check)
    return min(MAX_RULE_SHARE, WARN_EDGE_SHARE * (1 - (inside / AT_RISK_BANDS if inside > 0 else inside)))


def describe(check: GateCheck) -> str:
    """What a rule saw: the miss ("net_bps 1.93 < 2.7 (FAIL)"), or how little it passed by."""
    if check.status != Verdict.PASS:
        return describe_miss(check)
    assert check.value is not None
    edge = check.warn if check.warn is not None else check.fail
    return f"{check.kpi} {check.value:.3g} passes {edge:g} by less than {AT_RISK_BANDS:g} widths of its WARN band"


def maker_share_low(obs: Observation) -> Iterator[Proposal]:
    """Taker volume comes from quotes that cross on arrival and from hedges: act on whichever is there."""
    check = obs.missing("maker_taker_ratio")
    if check is None:
        return
    share, why = miss_share(check), describe(check)
    hedges = obs.kpis.get("hedges", 0)
    crossings = obs.kpis.get("crossings", obs.kpis.get("taker_count", 0) - hedges)
    if crossings > 0:
        if not obs.params.post_only:
            yield Proposal("post_only", 1, f"{why}, {crossings:.0f} quotes crossed", "fills that would have crossed")
        yield Proposal("replace_threshold_bps", share, why, STICKY_COSTS)
        yield Proposal("replace_rate_per_min", -share, why, STICKY_COSTS)
    if hedges > 0:  # less inventory to hedge, more room before a hedge, and smaller hedges
        yield Proposal("inventory_skew_bps", share, f"{why}, {hedges:.0f} hedges", SKEW_COSTS)
        yield Proposal("max_position", share, f"{why}, {hedges:.0f} hedges", ROOM_COSTS)
        yield Proposal("impact_cap_ratio", -share, f"{why}, {hedges:.0f} hedges", "slower hedging, more risk")


def net_edge_low(obs: Observation) -> Iterator[Proposal]:
    """Widening buys edge per fill with volume; while the window still earned, that is a trade-off."""
    check = obs.missing("net_bps")
    if check is not None:
        earned = obs.kpis.get("pnl", 0.0) > 0
        yield Proposal("base_spread_bps", miss_share(check), describe(check), WIDENING_COSTS, unsure=earned)


def adverse_p95_high(obs: Observation) -> Iterator[Proposal]:
    adverse = obs.kpis.get("adverse_bps_p95")
    limit = ADVERSE_P95_SPREADS * obs.params.base_spread_bps
    if adverse is not None and adverse > limit:
        why = f"adverse_bps_p95 {adverse:.3g} > {limit:.3g} ({ADVERSE_P95_SPREADS:g} x spread)"
        yield Proposal("base_spread_bps", WARN_EDGE_SHARE, why, WIDENING_COSTS)


def presence_low(obs: Observation) -> Iterator[Proposal]:
    """A side is off the book from each fill until its new quote lands, and while it is pulled at
    the position limit: fewer fills (wider), a quicker requote, more room."""
    check = obs.missing("quote_presence")
    if check is None:
        return
    share, why = miss_share(check), describe(check)
    earned = obs.kpis.get("pnl", 0.0) > 0
    yield Proposal("base_spread_bps", share, f"{why}: fewer fills to requote after", WIDENING_COSTS, unsure=earned)
    if obs.blocked.get("min_interval", 0.0) > 0:
        yield Proposal("min_interval_ms", -share, f"{why}, requotes wait for min_interval", QUICKENING_COSTS)
    if obs.blocked.get("risk", 0.0) > 0:
        yield Proposal("max_position", share, f"{why}, sides pulled at the position limit", ROOM_COSTS)


def latency(obs: Observation) -> Iterator[Proposal]:
    """Slower quoting lowers the latency we cause, and costs presence and order age: tighten while
    it helps and the presence can pay, loosen when it did not help or is no longer needed."""
    check = obs.missing("p95_latency_ms")
    if check is not None:
        share, why = miss_share(check), describe(check)
        if (unhelped := _tightening_unhelped(obs)) is not None:
            yield from _quicken(share, f"{why}, {unhelped}")
            return
        if obs.missing("quote_presence") is not None:
            return  # slowing would cost the presence, which misses too
        yield Proposal("min_interval_ms", share, why, SLOWING_COSTS, unsure=True)
        yield Proposal("concurrency_limit", -share, why, SLOWING_COSTS, unsure=True)
    elif obs.comfortable("p95_latency_ms"):
        throttled = obs.blocked.get("min_interval", 0.0) + obs.blocked.get("concurrency", 0.0)
        if throttled > THROTTLED_SHARE:
            latency_ms = obs.kpis["p95_latency_ms"]
            why = f"p95_latency_ms {latency_ms:.3g} passes with room, {throttled:.0%} of actions throttled"
            yield from _quicken(TIGHTEN_SHARE, why)


def _tightening_unhelped(obs: Observation) -> str | None:
    """What shows that the slowing since the latency began to miss did not lower it, or None."""
    since = obs.latency_since
    if since is None or "p95_latency_ms" not in since.kpis:
        return None
    slowed = obs.params.min_interval_ms - since.params.min_interval_ms
    fell = since.kpis["p95_latency_ms"] - obs.kpis["p95_latency_ms"]
    if slowed < UNHELPED_STEPS * spec_of("min_interval_ms").max_step or fell >= KPIS["p95_latency_ms"].min_jump:
        return None
    return (
        f"not lowered by min_interval_ms {since.params.min_interval_ms} -> {obs.params.min_interval_ms} "
        f"(p95 {since.kpis['p95_latency_ms']:.0f} -> {obs.kpis['p95_latency_ms']:.0f}): the latency is the venue's"
    )


def _quicken(share: float, why: str) -> Iterator[Proposal]:
    yield Proposal("min_interval_ms", -share, why, QUICKENING_COSTS, unsure=True)
    yield Proposal("concurrency_limit", share, why, QUICKENING_COSTS, unsure=True)


def risk_high(obs: Observation) -> Iterator[Proposal]:
    check = obs.missing("risk_ratio")
    if check is not None:
        share, why = miss_share(check), describe(check)
        yield Proposal("inventory_skew_bps", share, why, SKEW_COSTS)


def edge_to_spare(obs: Observation) -> Iterator[Proposal]:
    """Width the edge no longer needs is volume given away: take it back, whatever else misses
    (no other rule moves the spread while the edge has room), unless what it costs (edge, risk,
    presence) has no room: comfortable and not at risk."""
    judged = obs.comfortable("net_bps") and obs.comfortable("risk_ratio")
    costs_room = all(obs.room(kpi) for kpi in ("net_bps", "risk_ratio", "quote_presence"))
    if judged and costs_room and not any(adverse_p95_high(obs)):
        why = f"net_bps {obs.kpis['net_bps']:.3g} and risk_ratio {obs.kpis['risk_ratio']:.3g} pass with room"
        yield Proposal("base_spread_bps", -TIGHTEN_SHARE, why, TIGHTENING_COSTS, unsure=True)


RULES: tuple[Callable[[Observation], Iterator[Proposal]], ...] = (
    maker_share_low,
    net_edge_low,
    adverse_p95_high,
    presence_low,
    latency,
    risk_high,
    edge_to_spare,
)


@dataclass(frozen=True)
class Proposed:
    deltas: dict[str, float]  # summed per parameter, in its units
    rationale: list[str]  # one line per proposal: what was seen, the delta, what it costs
    unsure: frozenset[str]  # parameters a rule moved as a trade-off rather than a fix


def propose(obs: Observation) -> Proposed:
    deltas: dict[str, float] = {}
    rationale: list[str] = []
    unsure: set[str] = set()
    for rule in RULES:
        for p in rule(obs):
            delta = round(p.share * spec_of(p.param).max_step, DELTA_DIGITS)
            deltas[p.param] = round(deltas.get(p.param, 0.0) + delta, DELTA_DIGITS)
            rationale.append(f"{p.why} -> {p.param} {delta:+g}" + (f" (costs {p.costs})" if p.costs else ""))
            if p.unsure:
                unsure.add(p.param)
    return Proposed(deltas, rationale, frozenset(unsure))
