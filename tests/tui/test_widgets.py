"""The monitor's widgets and screens, fed hand-made records through a scripted source.

These records are shaped like native and legacy ITER_SUMMARY files, including hostile ones, so
the tests cover what `soak watch` and `soak replay` will also feed the same widgets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import ColorType

from core.runs.views import iteration_view
from tests.support.screen import screen_lines, screen_text, table_rows
from tests.support.scripted import ScriptedSource, make_app, quiet, shown_record
from tui.app import SoakApp
from tui.messages import IterationsArrived, RunEnded, RunIdentity, RunOpened, RunStateChanged, RunSwitched
from tui.screens.confirm import ConfirmStop
from tui.screens.detail import IterationDetailScreen
from tui.screens.help import HelpScreen
from tui.widgets.iteration_table import IterationTable
from tui.widgets.trends import TrendPanel
from tui.widgets.tuning_panel import TuningPanel

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)
HOSTILE = "[red]x[/]"
ESCAPE = "\x1b[31mred\x1b[0m"


async def test_text_from_artifacts_is_shown_literally():
    hostile = shown_record(
        1,
        verdict=HOSTILE,
        params={HOSTILE: 1.0, ESCAPE: 2.0},
        tuning={
            **shown_record(1)["tuning"],
            "rationale": [f"because {HOSTILE} {ESCAPE}"],
            "proposed_deltas": {HOSTILE: 0.5},
            "applied_deltas": {},
            "applied": False,
            "param_status": {HOSTILE: ESCAPE},
            "skip_reason": HOSTILE,
        },
    )
    info = RunIdentity(HOSTILE, driver=ESCAPE, profile=HOSTILE)
    app = quiet(SoakApp(ScriptedSource([hostile], info=info, end=RunEnded("[b]", 0, "[/x]")), clock=None))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "\x1b" not in text
        header = text.split("\n")[0]
        assert " [B] " in header and " [/x] " in header  # a status and a verdict read from a file
        assert text.count(HOSTILE) >= 5  # run id, profile, param name, skip reason, rationale
        assert "\\x1b[31mred\\x1b[0m" in text  # the parameter name and the guard, escaped
        assert f"because {HOSTILE} \\x1b[31mred\\x1b[0m" in text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, IterationDetailScreen)
        detail = screen_text(app)
        assert "\x1b" not in detail
        assert f'"{HOSTILE}": 1.0' in detail  # the JSON record, as JSON
        assert "\\u001b[31mred\\u001b[0m" in detail


async def test_rows_match_the_records_and_missing_values_show_a_dash():
    legacy = {
        "iteration": 2,
        "summary": {"maker_taker_ratio": 0.42, "net_bps": None},
        "tuning": {"applied": False, "skip_reason": {"oscillation": True}},
    }
    app = make_app([shown_record(1), legacy])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = table_rows(app)
        # the record holds no PnL/h, volume/h or presence: those cells say so
        assert ["1", "0.900", "-0.25", "—", "—", "0.30", "—", "2.5", "201", "1800", "0.40", "PASS"] in rows
        assert ["2", "0.420", *["—"] * 10] in rows
        assert "skipped: oscillation" in screen_text(app)


async def test_table_is_bounded_and_updated_by_difference():
    app = make_app([])
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(IterationTable)
        table.max_rows = 5
        for i in range(1, 9):
            app.post_message(IterationsArrived([iteration_view(shown_record(i, "PASS" if i != 3 else "WARN"))]))
        await pilot.pause()
        assert table.order == [4, 5, 6, 7, 8]
        assert table.selected_view().iteration == 8  # following the newest row
        assert table.verdicts == {"PASS": 7, "WARN": 1}
        kept = {i: table.views[i] for i in table.order}
        app.post_message(IterationsArrived([iteration_view(shown_record(8, "FAIL"))]))  # a rewritten file
        await pilot.pause()
        assert table.order == [4, 5, 6, 7, 8] and table.views[8].verdict == "FAIL"
        assert all(table.views[i] is kept[i] for i in (4, 5, 6, 7))  # only the changed row changed
        assert table.verdicts == {"PASS": 6, "WARN": 1, "FAIL": 1}
        assert table.border_subtitle == "PASS ×6  WARN ×1  FAIL ×1"
        lines = screen_lines(app)
        assert "3 older iteration(s) (1–3) dropped from view" in lines[3]  # said under the header
        assert table_rows(app)[4][0] == "4"  # then the oldest row kept


async def test_cursor_stays_on_an_older_row_the_user_selected():
    app = make_app([shown_record(i) for i in range(1, 6)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(IterationTable)
        await pilot.press("up", "up")
        assert table.selected_view().iteration == 3
        app.post_message(IterationsArrived([iteration_view(shown_record(6))]))
        await pilot.pause()
        assert table.selected_view().iteration == 3
        await pilot.press("end")
        app.post_message(IterationsArrived([iteration_view(shown_record(7))]))
        await pilot.pause()
        assert table.selected_view().iteration == 7


async def test_trends_and_tuning_show_the_latest_iteration():
    app = make_app([shown_record(i) for i in range(1, 4)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        trends = app.query_one(TrendPanel)
        assert [value for _, value in trends.history["net_bps"]] == [-0.25, 0.75, 1.75]
        assert trends.charted[:2] == ["maker_taker_ratio", "net_bps"]  # the gate's KPIs first
        assert "net bps  +1.75  gate > -10" in screen_text(app)
        assert app.query_one(TuningPanel).border_title == "tuning (iter 3)"
        lines = screen_lines(app)
        assert any(
            "base_spread_bps" in line and "1.3" in line and "+0.1" in line and "applied" in line for line in lines
        )
        assert any("min_interval_ms" in line and "+20" in line and "cooldown" in line for line in lines)


async def test_help_and_detail_screens_open_and_close():
    app = make_app([shown_record(1), shown_record(2)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "Stop the run" in screen_text(app)
        await pilot.press("escape", "up", "enter")
        assert isinstance(app.screen, IterationDetailScreen) and app.screen.view.iteration == 1
        assert "iteration 1: adverse p95 high" in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, IterationDetailScreen)


async def test_keys_drive_the_source_and_follow_its_state():
    source = ScriptedSource([shown_record(1)])
    app = quiet(SoakApp(source, clock=None))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("p")
        assert app.status == "pausing" and source.calls == ["pause"]
        app.post_message(RunStateChanged("paused"))
        await pilot.pause()
        assert app.status == "paused"
        await pilot.press("p")
        assert app.status == "running" and source.calls == ["pause", "resume"]
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmStop) and app.status == "running"
        await pilot.press("y")
        assert app.status == "stopping"
        app.post_message(RunEnded("aborted", 130, "PASS"))
        await pilot.pause()
        assert app.status == "aborted"
        assert " ABORTED " in screen_text(app) and " PASS " in screen_text(app)
        await pilot.press("p", "s")  # nothing left to pause or stop
        assert source.calls == ["pause", "resume", "stop"]
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Pause" not in titles and "Stop" not in titles
        await pilot.press("q")
    assert app.return_value == 130


async def test_quitting_after_the_run_returns_its_exit_code():
    app = make_app([shown_record(1)], end=RunEnded("completed", 1, "FAIL", ("net_bps below",)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.status == "completed"
        await pilot.press("q")
    assert app.return_value == 1


async def test_palette_offers_the_same_commands_and_themes():
    app = make_app([shown_record(1)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        assert {
            "Pause",
            "Stop",
            "Help",
            "Screenshot",
            "Details",
            "Quit",
            "Dark theme",
            "Light theme",
            "Theme",
        } <= set(commands)
        commands["Light theme"].callback()
        assert app.theme == "textual-light"
        commands["Details"].callback()
        await pilot.pause()
        assert isinstance(app.screen, IterationDetailScreen)


async def test_ctrl_s_saves_a_screenshot(tmp_path: Path):
    app = quiet(SoakApp(ScriptedSource([shown_record(1)]), clock=None, screenshot_dir=tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        saved = list(tmp_path.glob("*.svg"))
        assert len(saved) == 1 and "<svg" in saved[0].read_text(encoding="utf-8")


async def test_no_color_leaves_the_verdict_words_and_no_colour(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app([shown_record(1, "FAIL"), shown_record(2, "PASS"), shown_record(3, "PASS")])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        row = next(strip for strip in strips if "FAIL" in strip.text and "1800" in strip.text)
        colours = [seg.style.color for seg in row if seg.style and seg.style.color]
        assert colours and all(_grey(colour) for colour in colours)
        # Readable without colour: a FAIL row is as bright as a PASS row (red turned grey was
        # 237 on 234), and bold.
        passed = next(strip for strip in strips if "PASS" in strip.text and strip.text.split()[1:2] == ["2"])
        cell = lambda strip, text: next(seg for seg in strip if seg.text.strip() == text)  # noqa: E731
        fail_cell, pass_cell = cell(row, "0.900"), cell(passed, "0.900")
        assert fail_cell.style.color == pass_cell.style.color and fail_cell.style.bold and not pass_cell.style.bold


def _grey(colour) -> bool:
    if colour.type == ColorType.DEFAULT:
        return True
    red, green, blue = colour.get_truecolor()
    return red == green == blue


async def test_a_click_selects_a_row_and_a_second_click_opens_it():
    app = make_app([shown_record(i) for i in range(1, 4)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(IterationTable)
        row_2 = (10, 1 + 1 + 1)  # border, header, then iteration 1's row
        await pilot.click(IterationTable, offset=row_2)
        assert table.selected_view().iteration == 2 and not isinstance(app.screen, IterationDetailScreen)
        await pilot.click(IterationTable, offset=row_2)
        assert isinstance(app.screen, IterationDetailScreen) and app.screen.view.iteration == 2


async def test_switching_runs_starts_afresh():
    app = make_app([shown_record(i) for i in range(1, 4)], end=RunEnded("completed", 0, "PASS"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.post_message(RunSwitched())
        app.post_message(RunOpened(RunIdentity("run-2", total_iterations=9)))
        app.post_message(IterationsArrived([iteration_view(shown_record(7, "WARN")), iteration_view(shown_record(8))]))
        await pilot.pause()
        table = app.query_one(IterationTable)
        assert table.order == [7, 8] and table.verdicts == {"WARN": 1, "PASS": 1}
        assert [value for _, value in app.query_one(TrendPanel).history["net_bps"]] == [5.75, 6.75]
        assert app.status == "running" and app.exit_code is None
        top = screen_lines(app)[0]
        assert "run run-2" in top and "iter 8/9" in top and "COMPLETED" not in top
