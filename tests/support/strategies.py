"""Hypothesis strategies the property tests share: any JSON value, records shaped like
ITER_SUMMARY files (mostly the keys the reader looks for), and gates with a stricter twin."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from core.gates import GateProfile, GateRule
from core.kpi import MONITORED

huge_integers = st.integers(10**308, 10**400)  # too large for a float
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | huge_integers | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
SECTION_KEYS = {
    "summary": [*MONITORED, "fills", "total", "count", "maker", "taker", "maker_count", "taker_count"],
    "tuning": [
        "proposed_deltas",
        "applied_deltas",
        "applied",
        "skip_reason",
        "param_status",
        "rationale",
        "note",
        "oscillation",
    ],
    "gate": ["verdict", "reasons", "checks", "kpi", "op", "fail"],
}


def shaped(keys: list[str]) -> st.SearchStrategy[dict[str, object]]:
    """Objects whose keys are mostly the ones the reader looks for, so its branches are hit."""
    leaf = st.recursive(
        json_values,
        lambda inner: (
            st.dictionaries(st.sampled_from(keys) | st.text(max_size=4), inner, max_size=5)
            | st.lists(inner, max_size=3)
        ),
        max_leaves=12,
    )
    return st.dictionaries(st.sampled_from(keys), leaf, max_size=len(keys))


records = st.fixed_dictionaries(
    {},
    optional={
        "iteration": st.integers(-2, 10**30) | json_values,
        "params": json_values,
        **{section: shaped(keys) | json_values for section, keys in SECTION_KEYS.items()},
    },
)

GATE_KPIS = ("maker_taker_ratio", "net_bps", "risk_ratio", "p95_latency_ms")
finite = st.floats(-1e6, 1e6, allow_nan=False)
kpi_value = st.one_of(st.none(), st.just(math.nan), finite)


@st.composite
def gate_and_tightening(draw: st.DrawFn) -> tuple[GateProfile, GateProfile]:
    rules, stricter = [], []
    for kpi in GATE_KPIS:
        op = draw(st.sampled_from([">=", ">", "<=", "<"]))
        sign = 1 if op in (">=", ">") else -1  # which way is stricter
        fail = draw(finite)
        warn = draw(st.one_of(st.none(), finite.map(lambda w, f=fail, s=sign: f + s * abs(w))))
        tighten_fail, tighten_warn = draw(st.floats(0, 1e6)), draw(st.floats(0, 1e6))
        rules.append(GateRule(kpi, op, fail, warn))
        stricter.append(
            GateRule(kpi, op, fail + sign * tighten_fail, None if warn is None else warn + sign * tighten_warn)
        )
    return GateProfile("random", tuple(rules)), GateProfile("stricter", tuple(stricter))
