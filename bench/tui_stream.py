"""How the monitor keeps up with a fast soak (issue 4's speed figures; a benchmark, not a test).

    python bench/tui_stream.py [--iterations 1000] [--window 600] [--idle 10]

1. The same run headless (`soak run --no-ui`: the loop and the CI printer, output discarded):
   headless_iterations_per_second.
2. The run in the monitor, headless at 120x40, --pace fast: iterations_per_second from the run
   opening to the run ending, and ratio_to_headless.
3. While it streams (charts on, as the monitor always has them), keys go in through the driver
   like keystrokes: every 0.5 s a move in the table (up, then end back to the newest row), every
   2.5 s the charts turned to the next KPIs (t) and every 5 s a pause and a resume (p, p).
   max_key_latency_ms (and the median) is the time from a key entering the app until the action
   its binding names has run (App.run_action returned, its effect checked). Every key sent is
   counted: one whose action has not run within KEY_TIMEOUT_S is counted as lost, not waited for
   (the state a key sets cannot tell: the cursor is on the newest row before `end` too).
4. After the run ends, the app sits idle: idle_cpu_percent is the process's CPU time over
   --idle seconds of wall time, as a percentage of one core.
5. A run paced an hour per iteration, quit (q, and q again to confirm) while it waits after its
   first iteration: quit_ms is the time from the confirming key until the app has exited and the
   loop's thread has recorded the run as aborted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from textual import events

from core.config import build_config
from core.console.run import run_headless
from core.runner import SoakRun
from tui.app import SoakApp
from tui.factory import create_run_app
from tui.messages import RunEnded, RunOpened
from tui.screens.confirm import ConfirmStop
from tui.widgets.iteration_table import IterationTable
from tui.widgets.trends import TrendPanel

SIZE = (120, 40)
KEY_EVERY_S = 0.5
KEY_TIMEOUT_S = 5.0
PAUSE_EVERY = 10  # key rounds: a pause and a resume every 5 s
CHARTS_EVERY = 5  # key rounds: the next charts every 2.5 s


def settings(args: argparse.Namespace, out: str) -> dict:
    return {"iterations": args.iterations, "window_s": args.window, "seed": 42, "pace": "fast", "out": out}


def headless_rate(args: argparse.Namespace) -> float:
    with tempfile.TemporaryDirectory() as out:
        soak = SoakRun(build_config(settings(args, out), {}))
        start = time.perf_counter()
        run_headless(soak.events(), json_events=False, out=io.StringIO())
        return args.iterations / (time.perf_counter() - start)


class Stopwatch:
    """A message hook: when the run opened and ended."""

    def __init__(self) -> None:
        self.opened: float | None = None
        self.ended: float | None = None

    def __call__(self, message: object) -> None:
        if isinstance(message, RunOpened):
            self.opened = time.perf_counter()
        elif isinstance(message, RunEnded):
            self.ended = time.perf_counter()


class KeyProbe:
    """Keys sent as a terminal sends them, each timed until the app has run its binding's action."""

    def __init__(self, app: SoakApp) -> None:
        self.app = app
        self.sent = 0
        self.lost: list[str] = []  # keys whose action did not run in time
        self.idle: list[str] = []  # keys whose action ran and changed nothing
        self._ran: list[tuple[str, float]] = []  # (action, when it returned)
        self._arrived = asyncio.Event()
        run_action = app.run_action

        async def timed(action: Any, *args: Any, **kwargs: Any) -> bool:
            result = await run_action(action, *args, **kwargs)
            self._ran.append((str(action), time.perf_counter()))
            self._arrived.set()
            return result

        app.run_action = timed  # type: ignore[method-assign]  # the bindings call it on the app

    async def press(self, key: str, action: str, effect: Callable[[], bool]) -> float | None:
        """Seconds from `key` entering the app until `action` has run (and `effect` is seen, else
        the key is counted idle); None when it did not run within KEY_TIMEOUT_S (lost)."""
        self._ran.clear()
        self.sent += 1
        start = time.perf_counter()
        self.app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
        try:
            async with asyncio.timeout(KEY_TIMEOUT_S):
                while not (done := [when for ran, when in self._ran if ran == action]):
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            self.lost.append(key)
            return None
        if not effect():
            self.idle.append(key)
        return done[0] - start


async def stream(args: argparse.Namespace, out: str) -> dict[str, float]:
    app = create_run_app(build_config(settings(args, out), {}))
    watch = Stopwatch()
    latencies: dict[str, list[float]] = {"move": [], "pause": [], "charts": []}
    async with app.run_test(size=SIZE, message_hook=watch) as pilot:
        probe = KeyProbe(app)
        table = app.query_one(IterationTable)
        trends = app.query_one(TrendPanel)
        moves = (
            ("up", "move(-1)", lambda: table.cursor_row < table.row_count - 1),
            ("end", "move_to(-1)", lambda: table.cursor_row == table.row_count - 1),
        )
        pauses = (
            ("p", "toggle_pause", lambda: app.status in ("pausing", "paused")),
            ("p", "toggle_pause", lambda: app.status == "running"),
        )
        rounds = 0
        while watch.ended is None:
            await asyncio.sleep(KEY_EVERY_S)
            if watch.opened is None or watch.ended is not None:
                continue
            rounds += 1
            kind = "pause" if rounds % PAUSE_EVERY == 0 else "charts" if rounds % CHARTS_EVERY == 0 else "move"
            charts = (("t", "charts", lambda was=trends.first: trends.first != was),)
            for key, action, effect in {"pause": pauses, "move": moves, "charts": charts}[kind]:
                if (latency := await probe.press(key, action, effect)) is not None:
                    latencies[kind].append(latency)
        await pilot.pause()
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        await asyncio.sleep(args.idle)
        idle_cpu = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
        await pilot.press("q")
    assert watch.opened is not None and watch.ended is not None
    every = latencies["move"] + latencies["pause"] + latencies["charts"]
    return {
        "iterations_per_second": args.iterations / (watch.ended - watch.opened),
        "max_key_latency_ms": max(every, default=float("nan")) * 1000,
        "median_key_latency_ms": statistics.median(every) * 1000 if every else float("nan"),
        "max_move_ms": max(latencies["move"], default=float("nan")) * 1000,
        "max_pause_ms": max(latencies["pause"], default=float("nan")) * 1000,
        "max_charts_ms": max(latencies["charts"], default=float("nan")) * 1000,
        "key_presses": len(every),
        "keys_sent": probe.sent,
        "keys_lost": len(probe.lost),
        "keys_idle": len(probe.idle),
        "idle_cpu_percent": idle_cpu * 100,
    }


async def quit_latency(args: argparse.Namespace, out: str) -> float:
    app = create_run_app(build_config({**settings(args, out), "pace": 3600}, {}))
    async with app.run_test(size=SIZE) as pilot:
        while app.query_one(IterationTable).row_count == 0:
            await asyncio.sleep(0.01)
        await pilot.press("q")
        while not isinstance(app.screen, ConfirmStop):
            await asyncio.sleep(0.01)
        start = time.perf_counter()
        await pilot.press("q")
    await asyncio.to_thread(app.source.done.wait)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--window", type=float, default=600.0, help="market seconds per iteration")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle measured after the run")
    args = parser.parse_args(argv)
    headless = headless_rate(args)
    with tempfile.TemporaryDirectory() as out:
        figures = asyncio.run(stream(args, out))
    with tempfile.TemporaryDirectory() as out:
        quit_s = asyncio.run(quit_latency(args, out))
    print(f"iterations={args.iterations} window_s={args.window:g}")
    print(f"headless_iterations_per_second={headless:.1f}")
    print(f"iterations_per_second={figures['iterations_per_second']:.1f}")
    print(f"ratio_to_headless={figures['iterations_per_second'] / headless:.2f}")
    print(f"max_key_latency_ms={figures['max_key_latency_ms']:.1f}")
    print(
        f"median_key_latency_ms={figures['median_key_latency_ms']:.1f} (over {figures['key_presses']} presses; "
        f"worst move {figures['max_move_ms']:.1f}, worst pause/resume {figures['max_pause_ms']:.1f}, "
        f"worst next charts {figures['max_charts_ms']:.1f})"
    )
    print(f"keys_sent={figures['keys_sent']} keys_lost={figures['keys_lost']} keys_idle={figures['keys_idle']}")
    print(f"idle_cpu_percent={figures['idle_cpu_percent']:.2f}")
    print(f"quit_ms={quit_s * 1000:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
