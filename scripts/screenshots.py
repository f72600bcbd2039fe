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
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from core.config import build_config
from core.runner import SoakRun
from tui.app import SoakApp
from tui.factory import create_run_app
from tui.format import PAUSED

SIZE = (120, 40)
STARTED = datetime(2026, 11, 27, 14, 12, 3, tzinfo=UTC)
RUN = {"iterations": 24, "seed": 42, "gate": "nightly", "scenario": "normal"}
HOLD_AT = 17
# name -> (keys pressed once the run is held, theme)
SCENES: dict[str, tuple[tuple[str, ...], str]] = {
    "main": ((), "textual-dark"),
    "main-light": ((), "textual-light"),
    "detail": (("enter",), "textual-dark"),
    "help": (("question_mark",), "textual-dark"),
}


def demo_app(out: Path, theme: str = "textual-dark") -> SoakApp:
    """The monitor of the demo run, writing into `out`: started at STARTED, every clock reading
    50 ms after the last, so its run id and its records' timings are always the same."""
    config = build_config({**RUN, "pace": "fast", "out": str(out)}, {})
    ticks = itertools.count()
    soak = SoakRun(config, env={}, clock=lambda: next(ticks) * 0.05, utc_now=lambda: STARTED)
    app = create_run_app(soak, clock=None, hold_at=HOLD_AT)  # clock=None: no time in view
    app.animation_level = "none"
    app.theme = theme
    return app


async def until_held(pilot: Pilot) -> None:
    """Wait until the demo run is held after HOLD_AT (the loop has confirmed the pause)."""
    async with asyncio.timeout(60):
        while pilot.app.status != PAUSED:
            await pilot.pause(0.02)
    await pilot.pause()


async def shoot(name: str, out_dir: Path) -> Path:
    keys, theme = SCENES[name]
    with tempfile.TemporaryDirectory() as runs:
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
