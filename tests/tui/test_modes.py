"""What the monitor offers depends on what it shows: the help lists the keys that act now (a
live run's, a finished run's, a watch's, a replay's), the header says WATCH or REPLAY, and
screenshots go to the run's directory unless told another, never the working directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.records import Guard
from tests.support.runs import native_run, recorded_run
from tests.support.screen import screen_text, wait_for_screen, wait_until
from tests.support.scripted import ScriptedSource, make_app, quiet, shown_record
from tests.support.waiting import AppMessages
from tui.app import SoakApp
from tui.factory import create_replay_app, create_watch_app
from tui.messages import RunEnded, RunIdentity, RunOpened
from tui.screens.help import HelpScreen

pytestmark = pytest.mark.asyncio
SIZE = (120, 90)  # tall: the whole help in view


async def help_text(app, pilot) -> str:
    await pilot.press("question_mark")
    await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
    text = screen_text(app)
    await pilot.press("escape")
    return text


async def test_the_help_of_a_live_run_and_then_of_the_finished_one():
    app = make_app([shown_record(1)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        live = await help_text(app, pilot)
        assert "help: run" in live and "Pause the loop" in live and "Stop the run (asks first)" in live
        for guard in Guard:  # each guard explained, with the README's section
            assert guard.value in live
        assert "README.md#guards" in live and "passing iterations in a row" in live
        app.post_message(RunEnded("completed", 0, "PASS"))
        await wait_until(pilot, lambda: app.status == "completed")
        finished = await help_text(app, pilot)
        assert "help: run (finished)" in finished
        assert "Pause the loop" not in finished and "Stop the run" not in finished
        assert "Show only the iterations that did not pass" in finished


async def test_the_help_of_a_watch_names_the_run_list_and_no_pause(tmp_path: Path):
    native_run(tmp_path, "r1", written=1)
    app, messages = create_watch_app(tmp_path, clock=None), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, RunOpened))
        assert " WATCH " in screen_text(app).split("\n")[0]
        text = await help_text(app, pilot)
        assert "help: watch" in text and "Follow the selected run" in text and "Show or hide the run list" in text
        assert "Pause the loop" not in text and "Stop the run" not in text


async def test_the_help_of_a_replay_names_its_keys(tmp_path: Path):
    app = create_replay_app(recorded_run(tmp_path, iterations=3), 1000, clock=None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "REPLAY ×1000")
        text = await help_text(app, pilot)
        assert "help: replay" in text and "twice as fast" in text and "iterations back" in text


async def test_screenshots_go_to_the_run_directory_by_default(tmp_path: Path):
    run_dir = tmp_path / "runs" / "run-1"
    run_dir.mkdir(parents=True)
    info = RunIdentity("run-1", run_dir=run_dir)
    app = quiet(SoakApp(ScriptedSource([shown_record(1)], info=info), clock=None))
    before = set(os.listdir(Path.cwd()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any(run_dir.glob("*.svg")))
    assert set(os.listdir(Path.cwd())) == before  # nothing in the working directory (the repository)
    chosen = tmp_path / "shots"
    app = quiet(SoakApp(ScriptedSource([shown_record(1)], info=info), clock=None, screenshot_dir=chosen))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any(chosen.glob("*.svg")))
