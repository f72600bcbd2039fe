"""Hostile artifact content in every field the monitor shows: shown literally, within the
terminal's width, and nothing crashes.

A run on disk whose RUN.json and ITER_SUMMARY files carry markup (styles, links, actions),
terminal escape sequences, every C0 control, bidi overrides, a 1 MB string and 500-deep nesting,
opened the two ways the monitor reads files: `soak replay` and `soak watch`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from core.runs.layout import RUN_FILE, RUNS_DIR, iter_file_name
from core.text import SHOWN_CHARS, escape_controls
from tests.support.screen import wait_for_screen, wait_until
from tests.support.soak import run_soak
from tests.support.waiting import AppMessages
from tui.factory import create_replay_app, create_watch_app
from tui.messages import RunEnded
from tui.screens.detail import RECORD_DEPTH, IterationDetailScreen, within_depth
from tui.screens.help import HelpScreen
from tui.widgets.columns import total_cells
from tui.widgets.iteration_table import IterationTable

pytestmark = pytest.mark.fault
SIZE = (120, 40)
MARKUP = "[red]x[/] [link=https://example.invalid]l[/link] [@click=app.quit]q[/]"
ESCAPES = "\x1b[2J\x1b[31mred\x1b]8;;https://example.invalid\x07o\x1b]8;;\x07"
CONTROLS = "".join(map(chr, range(0x20))) + "\x7f\x85\u202e\u2028\u2066"
HOSTILE = f"{MARKUP}|{ESCAPES}|{CONTROLS}|end"
HUGE = "W" * 2**20  # 1 MB


def nested(depth: int) -> Any:
    value: Any = HOSTILE
    for _ in range(depth):
        value = [value]
    return value


def hostile_record(i: int) -> dict[str, Any]:
    """Every field the monitor shows holds hostile text; the KPIs are text too (unusable)."""
    name = f"{HOSTILE}{i}"
    return {
        "iteration": i,
        "runtime": {HOSTILE: HUGE, "deep": nested(500)},
        "params": {name: HOSTILE, f"huge{i}": HUGE, "base_spread_bps": nested(500), HUGE: 1.0},
        "summary": {
            "maker_taker_ratio": HOSTILE,
            "net_bps": HUGE,
            "risk_ratio": nested(500),
            "fills": {HOSTILE: 1},
            "p95_latency_ms": 0.25,
        },
        "tuning": {
            "proposed_deltas": {name: 0.5, HUGE: 1.0, "base_spread_bps": HOSTILE},
            "applied_deltas": {name: 0.5},
            "applied": False,
            "skip_reason": {HOSTILE: True, "note": HUGE},
            "param_status": {name: HOSTILE, HUGE: HUGE},
            "rationale": [HOSTILE, HUGE, nested(500)],
        },
        "gate": {
            "verdict": HOSTILE if i != 2 else HUGE,
            "reasons": [HOSTILE, HUGE],
            "checks": [{"kpi": "p95_latency_ms", "op": HOSTILE, "fail": 1.0}],
        },
        HOSTILE: nested(500),
    }


def write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


def hostile_run(root: Path, iterations: int = 3) -> Path:
    run_dir = root / RUNS_DIR / "hostile"
    run_dir.mkdir(parents=True)
    write(
        run_dir / RUN_FILE,
        {
            "run_id": HOSTILE,
            "status": "completed",
            "driver": HOSTILE,
            "scenario": HUGE,
            "seed": nested(500),
            "profile": HOSTILE,
            "gate": HUGE,
            "iterations": iterations,
            "verdict": {"verdict": HOSTILE + HUGE, "reasons": [HOSTILE, HUGE]},
            "error": HUGE,
            "started_utc": HOSTILE,
            "heartbeat_utc": HOSTILE,
            "finished_utc": HUGE,
        },
    )
    for i in range(1, iterations + 1):
        write(run_dir / iter_file_name(i), hostile_record(i))
    (run_dir / iter_file_name(iterations + 1)).write_text(json.dumps(HOSTILE))  # not an object
    return run_dir


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def control_characters(text: str) -> list[str]:
    found = {ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch != "\n"}
    return sorted(hex(ord(ch)) for ch in found)


def assert_shown_safely(app) -> str:
    """The screen is the terminal's size, every line fits it, and no control character reaches
    the terminal; returns the screen's text."""
    lines = screen_lines(app)
    assert len(lines) == SIZE[1]
    assert all(cell_len(line) == SIZE[0] for line in lines)
    text = "\n".join(lines)
    assert not control_characters(text), "control characters reached the screen"
    return text


def make_app(kind: str, root: Path, run_dir: Path):
    if kind == "replay":
        app = create_replay_app(run_dir, 1000, clock=None)
    else:
        app = create_watch_app(root, clock=None)
    app.animation_level = "none"
    return app


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["replay", "watch"])
async def test_hostile_artifacts_are_shown_literally_and_bounded(tmp_path: Path, kind: str):
    run_dir = hostile_run(tmp_path)
    app, messages = make_app(kind, tmp_path, run_dir), AppMessages()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        await messages.wait_for(lambda m: isinstance(m, RunEnded))
        await wait_for_screen(pilot, "COMPLETED", *(["completed"] if kind == "watch" else []))
        table = app.query_one(IterationTable)
        assert table.order == [1, 2, 3]
        assert table.virtual_size.width == total_cells(table.columns)  # cells are cropped, not grown
        main = assert_shown_safely(app)
        assert "[red]x[/] [link=https://example.invalid]" in main  # the run id, before the gate
        assert re.search(r"p95 ms +\S+ +(gate )?\[red\]x\[/\]", main)  # a threshold's operator, from gate.checks
        assert "COMPLETED" in main  # the header's state is not pushed out by the run's names
        if kind == "watch":
            assert "completed" in main  # nor the run list's status column by the run id

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, IterationDetailScreen))
        detail = assert_shown_safely(app)
        for piece in (
            "[red]x[/]",
            "[link=https://example.invalid]l[/link]",
            "[@click=app.quit]q[/]",
            "\\x1b[2J\\x1b[31mred",
            "\\x00\\x01\\x02",
            "\\u202e",
        ):
            assert piece in detail
        await pilot.press("end")  # through the whole record: 1 MB strings, 500 levels deep
        await wait_for_screen(pilot, "[… 1 items]")
        assert_shown_safely(app)
        await pilot.press("escape", "question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape", "q")
    assert app.return_value is not None


def test_text_from_files_is_cut_and_escaped_before_any_widget_lays_it_out():
    shown = escape_controls(HUGE)
    assert shown.startswith("W" * SHOWN_CHARS) and shown.endswith(f"… ({len(HUGE):,} characters)")
    assert escape_controls("é 漢字 🙂\u00a0ok") == "é 漢字 🙂\u00a0ok"  # printable, left alone
    assert escape_controls("a\x1b[2J\x00\x7f\x85\u202e\u2028b") == "a\\x1b[2J\\x00\\x7f\\x85\\u202e\\u2028b"
    record = json.dumps(within_depth({"deep": nested(500)}), indent=2, ensure_ascii=False)
    assert record.count("\n") < 2 * RECORD_DEPTH + 2 and "[… 1 items]" in record


def test_soak_watch_without_a_ui_prints_hostile_text_literally(tmp_path: Path):
    result = run_soak("watch", "--no-ui", str(hostile_run(tmp_path)), "--timeout", "30")
    assert result.returncode == 2  # a verdict this tool does not know
    assert "Traceback" not in result.stderr
    for stream in (result.stdout, result.stderr):
        assert not control_characters(stream)
        # cut at SHOWN_CHARS, each kept character at most a 6-character escape (\\u202e)
        assert max(map(len, stream.splitlines()), default=0) <= 6 * SHOWN_CHARS + 40
    assert f"following run {MARKUP}|\\x1b[2J" in result.stdout
    assert "\\u202e" in result.stdout
