"""The monitor driving a real soak loop in its worker: what it shows equals what the run wrote,
and pause, resume, stop and quit act on the loop."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from core.config import build_config
from core.kpi import BY_PRIORITY
from core.runs.jsonio import read_json
from core.runs.views import read_iteration
from tests.support.screen import table_rows
from tests.support.waiting import AppMessages
from tui import format as fmt
from tui.app import SoakApp
from tui.factory import create_run_app
from tui.messages import IterationsArrived, RunEnded, RunOpened, RunStateChanged
from tui.widgets.columns import row_cells
from tui.widgets.iteration_table import IterationTable
from tui.widgets.run_header import RunHeader
from tui.widgets.trends import Chart, TrendPanel
from tui.widgets.tuning_panel import DELTA_WIDTH, TuningPanel, held_step

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)
PATIENCE_S = 30  # a generous bound that only a hang reaches


def live_app(tmp_path: Path, **settings: Any) -> SoakApp:
    cli = {"iterations": 5, "seed": 7, "pace": "fast", "window_s": 60, "out": str(tmp_path), **settings}
    app = create_run_app(build_config(cli, {}), clock=None)
    app.animation_level = "none"
    return app


def run_dir(app: SoakApp) -> Path:
    info = app.query_one(RunHeader).info
    assert info is not None and info.run_dir is not None
    return info.run_dir


def iteration_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("ITER_SUMMARY_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))


async def test_a_fast_run_shows_what_it_wrote(tmp_path: Path):
    app, messages = live_app(tmp_path), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        ended = await messages.wait_for(lambda m: isinstance(m, RunEnded))
        await pilot.pause()
        directory = run_dir(app)
        on_disk = [read_iteration(path) for path in iteration_files(directory)]
        assert [view.iteration for view in on_disk] == [1, 2, 3, 4, 5]

        table = app.query_one(IterationTable)
        assert table.order == [1, 2, 3, 4, 5]
        rows = table_rows(app)
        for view in on_disk:
            assert row_cells(view, table.columns) in rows, view.iteration  # the columns that fit
            assert table.views[view.iteration].raw == read_json(directory / f"ITER_SUMMARY_{view.iteration}.json")

        trends = app.query_one(TrendPanel)
        shown = {chart.kpi.name: chart.points for chart in trends.query(Chart) if chart.display and chart.kpi}
        assert list(shown) == trends.charted and all(shown[kpi] == list(trends.history[kpi]) for kpi in shown)
        for kpi in BY_PRIORITY:
            assert [value for _, value in trends.history[kpi]] == [view.kpi(kpi) for view in on_disk]

        last = on_disk[-1]
        assert app.query_one(TuningPanel).border_title == f"tuning (iter {last.iteration})"
        held = {name: held_step(last, name) for name in last.proposed_deltas}  # integer ones in whole units
        for name, delta in {**held, **last.applied_deltas}.items():
            assert any(name in row and fmt.delta(delta, DELTA_WIDTH) in row for row in rows), name

        manifest = json.loads((directory / "RUN.json").read_text(encoding="utf-8"))
        assert app.status == "completed" == manifest["status"]
        assert "COMPLETED" in rows[0]
        await pilot.press("q")
    assert app.return_value == ended.exit_code == (1 if manifest["verdict"]["verdict"] == "FAIL" else 0)


async def test_pause_holds_the_loop_resume_continues_stop_keeps_artifacts(tmp_path: Path):
    # far more iterations than it can run before the stop lands, however fast the engine
    app, messages = live_app(tmp_path, iterations=100_000), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, IterationsArrived))
        await pilot.press("p")
        await messages.wait_for(lambda m: isinstance(m, RunStateChanged) and m.state == "paused")
        await pilot.pause()
        assert app.status == "paused"
        directory = run_dir(app)
        held = app.query_one(IterationTable).row_count
        await pilot.pause(0.3)  # nothing may arrive while paused
        assert app.query_one(IterationTable).row_count == held == len(iteration_files(directory))

        await pilot.press("p")
        await messages.wait_for(lambda m: isinstance(m, IterationsArrived) and m.views[-1].iteration > held)
        await pilot.press("s", "y")
        ended = await messages.wait_for(lambda m: isinstance(m, RunEnded))
        await pilot.pause()
        assert (ended.status, ended.exit_code, app.status) == ("aborted", 130, "aborted")
        done = len(messages.iterations())
        assert messages.iterations() == list(range(1, done + 1)) and held < done < 100_000
        assert [read_iteration(p).iteration for p in iteration_files(directory)] == list(range(1, done + 1))
        assert read_json(directory / "RUN.json")["status"] == "aborted"
        assert read_json(directory / "TUNING_REPORT.json")["summary"]["count"] == done
        await pilot.press("q")
    assert app.return_value == 130


async def test_quitting_mid_run_interrupts_the_pacing_wait(tmp_path: Path):
    app, messages = live_app(tmp_path, pace=3600), AppMessages()  # an hour between iterations
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, IterationsArrived))
        directory = run_dir(app)
        await pilot.press("q", "q")  # asked first: q again stops and quits
    assert app.return_value == 130
    assert await asyncio.to_thread(app.source.done.wait, PATIENCE_S)
    assert read_json(directory / "RUN.json")["status"] == "aborted"
    assert [p.name for p in iteration_files(directory)] == ["ITER_SUMMARY_1.json"]


async def test_the_header_names_the_run(tmp_path: Path):
    app, messages = live_app(tmp_path, iterations=1, gate="nightly", scenario="mixed"), AppMessages()
    async with app.run_test(size=(140, 40), message_hook=messages) as pilot:
        opened = await messages.wait_for(lambda m: isinstance(m, RunOpened))
        await messages.wait_for(lambda m: isinstance(m, RunEnded))
        await pilot.pause()
        top = app.screen._compositor.render_strips()[0].text
        words = top.split()
        # At 140 columns a finished run's header holds every field (the fee tier and the uplift
        # too); the labels a value speaks without (run, gate, iter) make way for the badges.
        assert words[:3] == [opened.identity.run_id, "sim/mixed", "nightly"]
        assert "seed 7" in top and "profile default" in top and " 1/1 " in top and "mkt 1m" in top
        assert "mm_program" in top and "uplift +0.0/h" in top  # one window: tuning has not acted yet
        assert words[-2:] == ["COMPLETED", "FAIL"]
