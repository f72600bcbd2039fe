"""A scripted run for the monitor's tests: hand-made records, shaped like native (and, where a
test changes them, legacy or hostile) ITER_SUMMARY files, posted by a stand-in source."""

from __future__ import annotations

from typing import Any

from textual.app import App

from core.runs.views import iteration_view
from tui.app import SoakApp
from tui.format import RUN
from tui.messages import IterationsArrived, RunEnded, RunIdentity, RunOpened


def shown_record(i: int, verdict: str = "PASS", **changes: Any) -> dict[str, Any]:
    """A native-shaped ITER_SUMMARY record; `changes` replace top-level sections."""
    data: dict[str, Any] = {
        "iteration": i,
        "runtime": {"wall_ms": 10.0},
        "params": {"base_spread_bps": 1.0 + i / 10, "min_interval_ms": 100, "post_only": False},
        "summary": {
            "fills": {"maker_count": 9, "taker_count": 1, "maker_volume": 9.0, "taker_volume": 1.0},
            "maker_taker_ratio": 0.9,
            "net_bps": -1.25 + i,
            "risk_ratio": 0.3,
            "adverse_bps_p95": 2.5,
            "slippage_bps_p95": 1.5,
            "p95_latency_ms": 200.0 + i,
            "cancel_ratio": 0.4,
            "order_age_p95_ms": 1800.0,
            "pnl": 2.0 * i,
        },
        "tuning": {
            "proposed_deltas": {"base_spread_bps": 0.1, "min_interval_ms": 20},
            "applied_deltas": {"base_spread_bps": 0.1},
            "applied": True,
            "skip_reason": None,
            "param_status": {"base_spread_bps": "applied", "min_interval_ms": "cooldown"},
            "guards_fired": ["cooldown"],
            "changed_keys": ["base_spread_bps"],
            "state_hash": "h",
            "rationale": [f"iteration {i}: adverse p95 high -> widen spread"],
        },
        "gate": {
            "verdict": verdict,
            "reasons": [] if verdict == "PASS" else [f"net_bps {i - 1.25:.2f} < 2.7 ({verdict})"],
            "checks": [
                {"kpi": "maker_taker_ratio", "op": ">=", "value": 0.9, "fail": 0.5, "warn": 0.6, "status": "PASS"},
                {"kpi": "net_bps", "op": ">", "value": 1.0, "fail": -10.0, "warn": 0.0, "status": "PASS"},
            ],
        },
    }
    data.update(changes)
    return data


class ScriptedSource:
    """Posts a fixed run: opened, the given records, then (optionally) ended."""

    controllable = True
    badge = None

    def __init__(
        self,
        records: list[dict[str, Any]],
        end: RunEnded | None = None,
        info: RunIdentity | None = None,
        mode: str = RUN,
    ) -> None:
        self.records = records
        self.end = end
        self.info = info or RunIdentity("run-1", "sim", "normal", "7", "default", "smoke", len(records) or None)
        self.mode = mode
        self.calls: list[str] = []

    def start(self, app: App) -> None:
        app.post_message(RunOpened(self.info))
        for data in self.records:
            app.post_message(IterationsArrived([iteration_view(data)]))
        if self.end is not None:
            app.post_message(self.end)

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")

    def stop(self) -> None:
        self.calls.append("stop")


def quiet(app: SoakApp) -> SoakApp:
    app.animation_level = "none"
    return app


def make_app(records: list[dict[str, Any]], **kwargs: Any) -> SoakApp:
    return quiet(SoakApp(ScriptedSource(records, **kwargs), clock=None))
