"""The tuning panel's decision column, from a view alone (no app)."""

from __future__ import annotations

from core.runs.views import IterationView
from tui.widgets.tuning_panel import decision

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
