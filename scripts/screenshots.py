"""Regenerate screenshots/*.svg: the monitor on one fixed run, for the README.

    python scripts/screenshots.py [--out screenshots]

The run is real (the simulator, seed 42, nightly gate, 24 iterations) and held after
iteration 17, so the scenes show a soak mid-run whatever the machine's speed. Its start time
and clock readings are fixed, so the run id and the records' timings, and with them the SVGs,
only change when the monitor or the simulation does. The snapshot tests pin the same scenes.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from unittest.mock import patch

import core.loop
from core.artifacts import RunDirectory, utc_stamp
from core.config import build_config
from core.loop import SoakLoop
from textual.pilot import Pilot
from tui.app import SoakApp
from tui.sources.live import LiveLoopSource

SIZE = (120, 40)
STARTED = datetime(2026, 11, 27, 14, 12, 3, tzinfo=timezone.utc)
RUN = {"iterations": 24, "seed": 42, "gate": "nightly", "scenario": "normal"}
HOLD_AT = 17
# name -> (keys pressed once the run is held, theme)
SCENES: dict[str, tuple[tuple[str, ...], str]] = {
    "main": ((), "textual-dark"),
    "main-light": ((), "textual-light"),
    "detail": (("enter",), "textual-dark"),
    "help": (("question_mark",), "textual-dark"),
}


@contextmanager
def fixed_time() -> Iterator[None]:
    """Runs started inside start at STARTED: their run id and timestamps are always the same."""
    create = RunDirectory.create.__func__  # type: ignore[attr-defined]
    with (
        patch.object(RunDirectory, "create", classmethod(lambda cls, root, seed, now=None: create(cls, root, seed, STARTED))),
        patch.object(core.loop, "utc_stamp", lambda now=None: utc_stamp(STARTED)),
    ):
        yield


def demo_app(out: Path, theme: str = "textual-dark") -> SoakApp:
    """The monitor of the demo run, writing into `out`. Use inside `fixed_time()`."""
    config = build_config({**RUN, "pace": "fast", "out": str(out)}, {})
    ticks = itertools.count()
    loop = SoakLoop(config, clock=lambda: next(ticks) * 0.05)  # every reading 50 ms on
    app = SoakApp(LiveLoopSource(loop, hold_at=HOLD_AT), clock=None)  # clock=None: no time in view
    app.animation_level = "none"
    app.theme = theme
    return app


async def until_held(pilot: Pilot) -> None:
    """Wait until the demo run is held after HOLD_AT (the loop has confirmed the pause)."""
    async with asyncio.timeout(60):
        while pilot.app.status != "paused":
            await pilot.pause(0.02)
    await pilot.pause()


async def shoot(name: str, out_dir: Path) -> Path:
    keys, theme = SCENES[name]
    with tempfile.TemporaryDirectory() as runs, fixed_time():
        app = demo_app(Path(runs), theme)
        async with app.run_test(size=SIZE) as pilot:
            await until_held(pilot)
            await pilot.press(*keys)
            await pilot.pause()
            svg = app.export_screenshot(title=f"mm-soak: {name}")
            await pilot.press("q")
    path = out_dir / f"{name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in SCENES:
        print(asyncio.run(shoot(name, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
