"""Regenerate screenshots/*.svg: the monitor on fixed runs, for the README.

    python scripts/screenshots.py [--out screenshots]

The runs are real (the simulator, nightly gate, 24 iterations). The live scenes hold the run
(seed 42) after iteration 17, so they show a soak mid-run whatever the machine's speed; the
watch scene watches that run finished, beside another (seed 7) stopped after iteration 5. Start
times and clock readings are fixed, so run ids and the records' timings, and with them the SVGs,
only change when the monitor or the simulation does. The snapshot tests pin the same scenes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot

from core.config import build_config
from core.events import IterationFinished
from core.records import RunStatus
from core.runner import SoakRun
from tui.app import SoakApp
from tui.factory import create_run_app, create_watch_app
from tui.format import PAUSED
from tui.widgets.iteration_table import IterationTable

SIZE = (120, 40)
SIZES = ((80, 24), (120, 40), (200, 50))
STARTED = datetime(2026, 11, 27, 14, 12, 3, tzinfo=UTC)
# The rules tuner: a what-if soak replays a dozen windows per iteration, several times slower on the
# pure-Python engine than these scenes' time bounds allow on a loaded machine (the control arm runs all the same).
# The reference engine: the screens must not depend on whether the extra `fast` is installed
# (auto would take numba for 24 windows, and the header would name it).
RUN = {"iterations": 24, "seed": 42, "gate": "nightly", "scenario": "normal", "tuner": "rules", "engine": "python"}
HOLD_AT = 17
STOPPED_AT = 5  # the watch scene's other run


@dataclass(frozen=True)
class Scene:
    keys: tuple[str, ...] = ()  # pressed once the scene is ready
    theme: str = "textual-dark"
    watch: bool = False  # `soak watch` of finished runs, else the live run held
    size: tuple[int, int] = SIZE


SCENES: dict[str, Scene] = {
    "main": Scene(),
    "main-light": Scene(theme="textual-light"),
    "main-80x24": Scene(size=(80, 24)),
    "detail": Scene(keys=("enter",)),
    "help": Scene(keys=("question_mark",)),
    "watch": Scene(watch=True),
}


def demo_soak(out: Path, seed: int = 42, started: datetime = STARTED) -> SoakRun:
    """The demo run writing into `out`: started at `started`, every clock reading 50 ms after the
    last, so its run id and its records' timings are always the same."""
    config = build_config({**RUN, "seed": seed, "pace": "fast", "out": str(out)}, {})
    ticks = itertools.count()
    return SoakRun(config, env={}, clock=lambda: next(ticks) * 0.05, utc_now=lambda: started)


def demo_app(out: Path, theme: str = "textual-dark") -> SoakApp:
    """The monitor of the demo run, held after HOLD_AT."""
    app = create_run_app(demo_soak(out), clock=None, hold_at=HOLD_AT)  # clock=None: no time in view
    return _styled(app, theme)


def demo_watch_app(out: Path, theme: str = "textual-dark") -> SoakApp:
    """`soak watch` of `out` after two demo runs: seed 42 finished, seed 7 stopped early."""
    for _ in demo_soak(out).events():
        pass
    stopped = demo_soak(out, seed=7, started=STARTED - timedelta(hours=1))
    for event in stopped.events():
        if isinstance(event, IterationFinished) and event.record.iteration == STOPPED_AT:
            stopped.loop.cancel()
    return _styled(create_watch_app(out, clock=None), theme)


def _styled(app: SoakApp, theme: str) -> SoakApp:
    app.animation_level = "none"
    app.theme = theme
    return app


def scene_app(scene: Scene, out: Path) -> SoakApp:
    return (demo_watch_app if scene.watch else demo_app)(out, scene.theme)


async def until_held(pilot: Pilot) -> None:
    """Wait until the demo run is held after HOLD_AT (the loop has confirmed the pause)."""
    async with asyncio.timeout(60):
        while pilot.app.status != PAUSED:
            await pilot.pause(0.02)
    await pilot.pause()


async def until_watched(pilot: Pilot) -> None:
    """Wait until the watch shows the finished demo run whole."""
    app = pilot.app
    async with asyncio.timeout(60):
        while app.status != RunStatus.COMPLETED or app.query_one(IterationTable).row_count < RUN["iterations"]:
            await pilot.pause(0.02)
    await pilot.pause()


def ready(scene: Scene) -> Callable[[Pilot], Awaitable[None]]:
    return until_watched if scene.watch else until_held


async def shoot(name: str, out_dir: Path) -> Path:
    scene = SCENES[name]
    with tempfile.TemporaryDirectory() as runs:
        app = scene_app(scene, Path(runs))
        async with app.run_test(size=scene.size) as pilot:
            await ready(scene)(pilot)
            await pilot.press(*scene.keys)
            await pilot.pause()
            svg = app.export_screenshot(title=f"mm-soak: {name}")
            app.exit(0)
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
