"""Any KPI's per-iteration values, by name: the monitored ones from the iteration views, any other
(`pnl`, `pnl_per_hour`, `uplift.pnl`, `control.net_bps`, ...) from the records as read.

A dotted name is looked up in `summary` as written (`summary["uplift.pnl"]`), then as a path
(`summary.uplift.pnl`), then as a path from the top of the record (`uplift.pnl`). A value that
is absent or not a finite number is None: a KPI an older run did not record shows as missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.reporting.stats import Stats, stats
from core.runs.jsonio import finite_number
from core.runs.views import IterationView

Points = list[tuple[int, float | None]]


def kpi_value(view: IterationView, name: str) -> float | None:
    if name in view.kpis:
        return view.kpis[name]
    summary = view.raw.get("summary")
    summary = summary if isinstance(summary, Mapping) else {}
    for found in (summary.get(name), _path(summary, name), _path(view.raw, name)):
        if found is not None:
            return finite_number(found)
    return None


def _path(data: Mapping[str, Any], name: str) -> Any:
    value: Any = data
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def kpi_points(views: Sequence[IterationView], name: str) -> Points:
    return [(view.iteration, kpi_value(view, name)) for view in views]


def window_stats(views: Sequence[IterationView], name: str, window: int) -> Stats:
    """The KPI's statistics over the last `window` iterations (the run verdict's window)."""
    return stats(kpi_points(views, name)[-window:])


def recorded(views: Sequence[IterationView], name: str) -> bool:
    """Whether any iteration has a value for the KPI."""
    return any(kpi_value(view, name) is not None for view in views)
