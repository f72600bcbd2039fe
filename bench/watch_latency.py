"""How fast `soak watch` shows what lands on disk (issue 5's speed figures; a benchmark, not a test).

    python bench/watch_latency.py [--landings 200] [--iterations 10000] [--runs 2000]
                                  [--only latency|ingest|runs]

1. watch_latency_ms_p50 / _p95: the monitor (headless, 120x40) watches a root with a running run;
   iterations land one by one, each written to a temporary file and fsynced first, then put in
   place with os.replace, a random 0-50 ms after the previous one was shown. Latency is from
   just before os.replace to the moment the app dispatches the IterationsArrived that carries that iteration to
   its handler (Textual's message hook). The table repaints with the app's own cadence after that.
2. ingest_10k_s / ingest_10k_rss_mb: a native run of --iterations iterations is built in a temp
   directory first; then a fresh process opens the monitor on that root: time from before the app
   is built until the message carrying the newest iteration has been handled and the screen drawn
   (checked: the table holds the newest iteration and its verdict tally counts every iteration).
   RSS is that process's peak (ru_maxrss).
3. watch_2000_runs_first_paint_s / watch_2000_runs_full_load_s: a root of --runs finished runs
   (RUNS_ITERATIONS iterations each) is built first; then a fresh process opens the monitor on it:
   time from before the app is built until the run list is on screen with its first rows (the
   first frame the app hands its driver in which the run list shows a run), and until the scan
   is done (the RunsChanged that says it is no longer scanning, with every run in it, handled and
   drawn). Not pilot.pause() for the first: while the scan goes on the process is never idle,
   and pause() then waits its full second. watch_2000_runs_max_stall_ms: between the two, the
   longest the event loop was kept from a 10 ms timer (what a key press would wait at most).
4. watch_2000_runs_headless_first_line_s / _landed_s: the same root with one running run more
   (the newest), watched by `soak watch ROOT --no-ui` in a fresh process: time from the start
   of the process to its first line (it follows the running run), and from the moment an
   iteration of that run is put in place, just after that line, until its line is printed
   (the rest of the scan comes first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.runs.jsonio import atomic_write_json
from core.runs.layout import RUN_FILE, RUNS_DIR, iter_file_name, utc_stamp

if TYPE_CHECKING:
    from tui.widgets.run_list import RunList

SIZE = (120, 40)
TICK_S = 0.01
RUNS_ITERATIONS = 5
TEMPLATE = ROOT / "tests" / "fixtures" / "native" / "ITER_SUMMARY_3.json"


def record(i: int, rng: random.Random) -> dict:
    data = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    data["iteration"] = i
    data["summary"].update(
        maker_taker_ratio=round(rng.uniform(0.7, 0.95), 4),
        net_bps=round(rng.gauss(2.5, 1.0), 4),
        risk_ratio=round(rng.uniform(0.2, 0.5), 4),
        p95_latency_ms=round(rng.uniform(150, 400), 1),
    )
    data["gate"]["verdict"] = rng.choice(["PASS", "PASS", "PASS", "WARN", "FAIL"])
    return data


def make_run(root: Path, run_id: str, iterations: int, status: str) -> Path:
    directory = root / RUNS_DIR / run_id
    directory.mkdir(parents=True)
    stamp = utc_stamp()
    atomic_write_json(
        directory / RUN_FILE,
        {
            "run_id": run_id,
            "status": status,
            "driver": "sim",
            "seed": 1,
            "profile": "default",
            "gate": "smoke",
            "iterations": iterations or None,
            "started_utc": stamp,
            "heartbeat_utc": stamp,
        },
    )
    rng = random.Random(1)
    for i in range(1, iterations + 1):  # plain writes: this is the setup, not what is measured
        (directory / iter_file_name(i)).write_text(json.dumps(record(i, rng)), encoding="utf-8")
    return directory


def land(directory: Path, i: int, rng: random.Random) -> float:
    """Write iteration i atomically; returns the time just before it is put in place."""
    path = directory / iter_file_name(i)
    temp = directory / f".{path.name}.tmp"
    with open(temp, "w", encoding="utf-8") as stream:
        json.dump(record(i, rng), stream)
        stream.flush()
        os.fsync(stream.fileno())
    started = time.perf_counter()
    os.replace(temp, path)
    return started


async def latencies(landings: int) -> list[float]:
    from tui.factory import create_watch_app
    from tui.messages import IterationsArrived, RunOpened

    arrived: dict[int, float] = {}
    shown, opened = asyncio.Event(), asyncio.Event()

    def hook(message: object) -> None:
        if isinstance(message, IterationsArrived):
            for view in message.views:
                arrived[view.iteration] = time.perf_counter()
            shown.set()
        elif isinstance(message, RunOpened):
            opened.set()

    rng = random.Random(7)
    result = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = make_run(Path(tmp), "latency", 0, "running")
        app = create_watch_app(tmp, clock=None)
        async with app.run_test(size=SIZE, message_hook=hook):
            await asyncio.wait_for(opened.wait(), 10)  # the scan found the run
            for i in range(1, landings + 1):
                await asyncio.sleep(rng.uniform(0, 0.05))
                shown.clear()
                started = land(directory, i, rng)
                async with asyncio.timeout(10):
                    while i not in arrived:
                        await shown.wait()
                        shown.clear()
                result.append((arrived[i] - started) * 1000)
    return result


async def ingest(root: str, iterations: int) -> float:
    from tui.factory import create_watch_app
    from tui.messages import IterationsArrived
    from tui.widgets.iteration_table import IterationTable

    newest_sent = asyncio.Event()

    def hook(message: object) -> None:
        if isinstance(message, IterationsArrived) and message.views[-1].iteration == iterations:
            newest_sent.set()

    started = time.perf_counter()
    app = create_watch_app(root, clock=None)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await asyncio.wait_for(newest_sent.wait(), 60)
        await pilot.pause()  # the handler has run and the screen is drawn
        elapsed = time.perf_counter() - started
        table = app.query_one(IterationTable)
        assert iterations in table.views and sum(table.verdicts.values()) == iterations
        return elapsed


async def open_root(root: str, runs: int) -> tuple[float, float, float]:
    from tui.factory import create_watch_app
    from tui.messages import RunsChanged
    from tui.widgets.run_list import RunList

    painted, loaded = asyncio.Event(), asyncio.Event()
    first_paint = 0.0

    def hook(message: object) -> None:
        if isinstance(message, RunsChanged) and not message.scanning and len(message.runs) == runs:
            loaded.set()

    started = time.perf_counter()
    app = create_watch_app(root, clock=None)
    display = app._display  # what a screen calls with each frame it has rendered

    def frame(screen: object, update: object) -> None:
        nonlocal first_paint
        display(screen, update)
        if not painted.is_set() and shows_a_run(app.query_one(RunList)):
            first_paint = time.perf_counter() - started
            painted.set()

    app._display = frame  # type: ignore[method-assign]
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await asyncio.wait_for(painted.wait(), 60)
        stall = asyncio.create_task(longest_stall(loaded))
        await asyncio.wait_for(loaded.wait(), 600)
        await pilot.pause()  # handled and drawn
        return first_paint, time.perf_counter() - started, await stall


async def longest_stall(until: asyncio.Event) -> float:
    longest = 0.0
    while not until.is_set():
        before = time.perf_counter()
        await asyncio.sleep(TICK_S)
        longest = max(longest, time.perf_counter() - before - TICK_S)
    return longest


def shows_a_run(run_list: RunList) -> bool:
    """The run list's region of the screen, as last drawn, holds a run's id."""
    region = run_list.region
    lines = [strip.text for strip in run_list.screen._compositor.render_strips()[region.y : region.bottom]]
    return any(run.info.run_id in line for line in lines for run in run_list.runs)


def in_child(*args: str) -> list[str]:
    """This script run again with `args` in a fresh process: its one line of output, split."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return done.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landings", type=int, default=200)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--only", choices=PARTS, help="measure this part alone")
    parser.add_argument("--ingest-root", help=argparse.SUPPRESS)  # the measuring child process
    parser.add_argument("--runs-root", help=argparse.SUPPRESS)  # the measuring child process
    args = parser.parse_args()
    if args.runs_root:
        first_paint, full_load, stall = asyncio.run(open_root(args.runs_root, args.runs))
        print(f"{first_paint:.3f} {full_load:.3f} {stall:.4f}")
        return
    if args.ingest_root:
        seconds = asyncio.run(ingest(args.ingest_root, args.iterations))
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{seconds:.3f} {rss_mb:.1f}")
        return

    for part in [args.only] if args.only else PARTS:
        PARTS[part](args)


def measure_latency(args: argparse.Namespace) -> None:
    values = asyncio.run(latencies(args.landings))
    print(f"watch_latency_ms_p50={statistics.median(values):.1f}")
    print(f"watch_latency_ms_p95={statistics.quantiles(values, n=20)[-1]:.1f}")


def measure_ingest(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        make_run(Path(tmp), "big", args.iterations, "completed")
        seconds, rss_mb = in_child("--ingest-root", tmp, "--iterations", str(args.iterations))
    label = "10k" if args.iterations == 10_000 else str(args.iterations)
    print(f"ingest_{label}_s={float(seconds):.2f}")
    print(f"ingest_{label}_rss_mb={float(rss_mb):.0f}")


def measure_runs(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        make_runs(Path(tmp), args.runs)
        first_paint, full_load, stall = in_child("--runs-root", tmp, "--runs", str(args.runs))
        going = make_run(Path(tmp), "20261128-000000-s1", RUNS_ITERATIONS, "running")
        first_line, landed = headless(Path(tmp), going)
    print(f"watch_{args.runs}_runs_first_paint_s={float(first_paint):.2f}")
    print(f"watch_{args.runs}_runs_full_load_s={float(full_load):.2f}")
    print(f"watch_{args.runs}_runs_max_stall_ms={float(stall) * 1000:.0f}")
    print(f"watch_{args.runs}_runs_headless_first_line_s={first_line:.2f}")
    print(f"watch_{args.runs}_runs_headless_landed_s={landed:.2f}")


def make_runs(root: Path, runs: int) -> None:
    for n in range(runs):
        make_run(root, f"20261127-{n:06d}-s1", RUNS_ITERATIONS, "completed")


def headless(root: Path, going: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "tui.cli", "watch", str(root), "--no-ui", "--timeout", "60"]
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT) as watch:
        assert watch.stdout is not None
        first_line = watch.stdout.readline()
        assert first_line.startswith(f"soak watch: following run {going.name}"), first_line
        first_line_s = time.perf_counter() - started
        landed = land(going, RUNS_ITERATIONS + 1, random.Random(1))
        for line in watch.stdout:
            if line.startswith("iter") and line.split()[1].startswith(f"{RUNS_ITERATIONS + 1}/"):
                break
        landed_s = time.perf_counter() - landed
        watch.terminate()
    return first_line_s, landed_s


PARTS = {"latency": measure_latency, "ingest": measure_ingest, "runs": measure_runs}


if __name__ == "__main__":
    main()
