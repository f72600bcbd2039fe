"""Alerts that stay: a failed run, a gate that turns FAIL and the end of a run ring the bell
once and stay in the banner until dismissed; what a run already had when the monitor found it is
no news. After the monitor closes it prints the same closing lines as a headless run."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import build_config
from core.console.lines import closing_lines
from core.runs.jsonio import read_json
from core.runs.views import iteration_view
from tests.support.screen import screen_lines
from tests.support.scripted import ScriptedSource, make_app, quiet, shown_record
from tests.support.waiting import AppMessages
from tui.app import SoakApp
from tui.closing import after_exit
from tui.factory import create_run_app
from tui.messages import IterationsArrived, RunEnded, RunIdentity
from tui.widgets.alert_banner import AlertBanner

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)


def counting_bells(app: SoakApp) -> list[int]:
    rung: list[int] = []
    app.bell = lambda: rung.append(1)  # type: ignore[method-assign]
    return rung


def banner(app: SoakApp) -> str:
    alerts = app.query_one(AlertBanner)
    return "\n".join(screen_lines(app)[1 : 1 + len(alerts.alerts)]) if alerts.display else ""


async def test_a_failing_run_leaves_a_banner_until_it_is_dismissed(tmp_path: Path):
    info = RunIdentity("run-1", "sim", gate="smoke", total_iterations=3, run_dir=tmp_path / "run-1")
    end = RunEnded("failed", 2, error="driver exited with code 3: no market data")
    app = quiet(SoakApp(ScriptedSource([shown_record(1)], end=end, info=info), clock=None))
    rung = counting_bells(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        shown = banner(app)
        assert "run failed" in shown and "driver exited with code 3: no market data" in shown
        assert "x dismiss" in shown and rung == [1]
        assert not app._notifications  # a banner, not a toast that vanishes
        await pilot.pause(0.2)
        assert "run failed" in banner(app)  # still there
        await pilot.press("x")
        assert banner(app) == "" and not app.query_one(AlertBanner).display


async def test_a_gate_turning_fail_rings_once_per_turn_and_says_how_often():
    app = make_app([])
    rung = counting_bells(app)
    async with app.run_test(size=SIZE) as pilot:
        for batch in (["PASS", "FAIL", "FAIL"], ["PASS"], ["FAIL", "FAIL"], ["PASS", "FAIL"]):
            start = len(app.query_one("#iterations").order) + 1
            views = [iteration_view(shown_record(start + i, verdict)) for i, verdict in enumerate(batch)]
            app.post_message(IterationsArrived(views))
            await pilot.pause()
        assert rung == [1, 1, 1]  # FAIL at 2, 5 and 8: one ring per batch that turned
        text = banner(app)
        assert "gate FAIL  iteration 8: net_bps 6.75 < 2.7 (FAIL) (3 times: 8, 5, 2)" in text


async def test_what_a_found_run_already_had_is_no_news():
    app = make_app([])
    rung = counting_bells(app)
    async with app.run_test(size=SIZE) as pilot:
        views = [iteration_view(shown_record(i, "FAIL")) for i in (1, 2)]
        app.post_message(IterationsArrived(views, history=True))
        app.post_message(RunEnded("completed", 1, "FAIL", history=True))
        await pilot.pause()
        assert rung == [] and not app.query_one(AlertBanner).display
        assert app.status == "completed"


async def test_the_end_of_a_run_is_a_banner_with_its_verdict_and_directory(tmp_path: Path):
    app = create_run_app(build_config({"iterations": 3, "seed": 7, "window_s": 60, "out": str(tmp_path)}, {}))
    app.animation_level = "none"
    rung, messages = counting_bells(app), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        ended = await messages.wait_for(lambda m: isinstance(m, RunEnded))
        await pilot.pause()
        text = banner(app)
        assert f"run completed  3 iteration(s), verdict {ended.verdict}, exit {ended.exit_code}" in text
        assert str(app.run_dir)[:40] in text and rung
        await pilot.press("q")
    lines = after_exit(app, app.return_value)
    manifest = read_json(app.run_dir / "RUN.json")
    verdict = manifest["verdict"]
    assert lines == closing_lines(app.run_dir, "completed", 3, verdict["verdict"], verdict["reasons"], ended.exit_code)
    assert lines[0] == f"run dir {app.run_dir}" and lines[1].endswith(f"exit {ended.exit_code}")


async def test_a_run_quit_before_its_end_closes_with_what_its_run_json_says(tmp_path: Path):
    app = create_run_app(build_config({"iterations": 5, "pace": 3600, "window_s": 60, "out": str(tmp_path)}, {}))
    app.animation_level = "none"
    messages = AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, IterationsArrived))
        await pilot.press("q", "y")
    assert app.return_value == 130
    assert app.source.done.wait(30)
    lines = after_exit(app, 130)
    verdict = read_json(app.run_dir / "RUN.json")["verdict"]  # a stopped run's, as the loop recorded it
    assert lines == closing_lines(app.run_dir, "aborted", 1, verdict["verdict"], verdict["reasons"], 130)
    assert lines[1].startswith("run aborted: 1 iteration(s)")
