"""A watcher facing 1000 iteration files landing at once reports every one exactly once, and the
monitor shows every one once."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from core.runs.layout import iter_file_name
from core.runs.watch_events import FileUnreadable, IterationAdded, RunClosed
from core.runs.watcher import RunWatcher
from tests.support.runs import finish, native_run, record
from tests.support.waiting import AppMessages, Recorder
from tui.factory import create_watch_app
from tui.messages import IterationsArrived, RunEnded, RunOpened
from tui.widgets.iteration_table import IterationTable

pytestmark = [pytest.mark.fault, pytest.mark.asyncio]
BURST = 1000


def land_all(run_dir: Path, count: int) -> None:
    """Each file as the writer puts it in place (hidden temp file, then os.replace), as fast as
    one thread can: without fsync, which orders the bytes on disk, not what a watcher sees."""
    encoded = [json.dumps(record(i)) for i in range(1, count + 1)]
    for i, text in enumerate(encoded, start=1):
        temp = run_dir / f".{iter_file_name(i)}.tmp"
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, run_dir / iter_file_name(i))


async def test_a_thousand_iterations_landing_at_once_are_each_reported_once(tmp_path: Path):
    run_dir = native_run(tmp_path, "20261127-120000-s1")
    async with Recorder(RunWatcher(tmp_path)) as recorder:
        land_all(run_dir, BURST)
        finish(run_dir)  # RunClosed comes after every iteration the run left on disk
        await recorder.wait_for(lambda event: isinstance(event, RunClosed))

    counts = Counter(event.view.iteration for event in recorder.of(IterationAdded))
    assert sorted(counts) == list(range(1, BURST + 1))
    assert set(counts.values()) == {1}
    assert not any(event.revised for event in recorder.of(IterationAdded))
    assert not recorder.of(FileUnreadable)
    for event in recorder.of(IterationAdded)[:: BURST // 10]:
        assert event.view.kpi("net_bps") == record(event.view.iteration)["summary"]["net_bps"]


async def test_the_monitor_shows_each_of_a_thousand_iterations_once(tmp_path: Path):
    run_dir = native_run(tmp_path, "20261127-120000-s1")
    app, messages = create_watch_app(tmp_path, clock=None), AppMessages()
    app.animation_level = "none"
    async with app.run_test(size=(120, 40), message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, RunOpened))
        land_all(run_dir, BURST)
        finish(run_dir)
        await messages.wait_for(lambda m: isinstance(m, RunEnded))
        await pilot.pause()
        table = app.query_one(IterationTable)
        assert sum(table.verdicts.values()) == BURST  # each counted once
        assert table.order[-1] == BURST and table.selected_view().iteration == BURST
        await pilot.press("q")

    sent = Counter(view.iteration for message in messages.seen for view in _views(message))
    assert sorted(sent) == list(range(1, BURST + 1)) and set(sent.values()) == {1}


def _views(message: object) -> list:
    return message.views if isinstance(message, IterationsArrived) else []
