"""The tuning panel's decision column, from a view alone (no app)."""

from __future__ import annotations

from core.runs.views import IterationView
from tui.widgets.tuning_panel import DELTA_WIDTH, decision

HOSTILE = "[red]x[/]"


def test_a_held_proposal_shows_the_step_the_tuner_would_take():
    view = IterationView(
        iteration=5,
        params={"min_interval_ms": 120, "base_spread_bps": 2.0, HOSTILE: 1},
        proposed_deltas={"min_interval_ms": -12.4, "base_spread_bps": 0.06191, HOSTILE: 0.25},
        param_status=dict.fromkeys(("min_interval_ms", "base_spread_bps", HOSTILE), "freeze"),
    )
    shown = {name: decision(view, name)[0].plain for name in view.proposed_deltas}
    # whole units for an integer parameter; an unknown name as recorded
    assert shown == {"min_interval_ms": "-13", "base_spread_bps": "+0.0619", HOSTILE: "+0.25"}


def test_a_delta_fits_its_column_rounded_not_cut():
    view = IterationView(iteration=2, applied_deltas={"impact_cap_ratio": -0.005289, "base_spread_bps": 1.25e-05})
    shown = {name: decision(view, name)[0].plain for name in view.applied_deltas}
    assert shown == {"impact_cap_ratio": "-0.0053", "base_spread_bps": "+1e-05"}
    assert all(len(text) <= DELTA_WIDTH for text in shown.values())
