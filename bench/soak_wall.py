"""Whole-process wall time of headless soaks (issue 3's speed figures).

Prints `smoke_wall_s=<n>` (soak run --no-ui --iterations 3 --mock), `nightly24_wall_s=<n>`
(--iterations 24 --gate nightly --tuner rules, with the control arm), `whatif24_wall_s=<n>` (the
same with --tuner whatif: its candidates replayed on the last 3 windows) and `untuned24_wall_s=<n>`
(--no-auto-tune: the control arm alone), on the engine `auto` picks (numba where installed); then
`python_whatif24_wall_s=<n>`, the what-if soak on the Python engine with its replay workers (auto:
one per core), `python_whatif24_cpu_s=<n>`, the CPU time that soak and its workers used (on C cores
no sharing of the work can bring its wall time under cpu_s / C), and `python_whatif24_alone_wall_s=<n>`,
the same with --replay-workers 0: each the median of several runs, as its last lines.
"""

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 3


def wall(args: list[str]) -> float:
    return timed(args)[0]


def timed(args: list[str]) -> tuple[float, float]:
    """The median wall time of the soak's process, and the median CPU time of it and its children."""
    times, cpu = [], []
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory() as out:
            start, used = time.perf_counter(), _children_cpu()
            subprocess.run(
                [sys.executable, "-m", "tui.cli", "run", "--no-ui", *args, "--out", out],
                cwd=ROOT,
                check=False,
                stdout=subprocess.DEVNULL,
            )
            times.append(time.perf_counter() - start)
            cpu.append(_children_cpu() - used)
    return statistics.median(times), statistics.median(cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    smoke = wall(["--iterations", "3", "--mock"])
    nightly = ["--iterations", "24", "--mock", "--gate", "nightly"]
    rules, whatif, untuned = (
        wall([*nightly, *arm]) for arm in (["--tuner", "rules"], ["--tuner", "whatif"], ["--no-auto-tune"])
    )
    print(f"smoke_wall_s={smoke:.3f}")
    print(f"nightly24_wall_s={rules:.3f}")
    print(f"whatif24_wall_s={whatif:.3f}")
    print(f"untuned24_wall_s={untuned:.3f}")
    python_whatif = [*nightly, "--tuner", "whatif", "--engine", "python"]
    (shared, cpu), alone = timed(python_whatif), wall([*python_whatif, "--replay-workers", "0"])
    print(f"python_whatif24_wall_s={shared:.3f}")
    print(f"python_whatif24_cpu_s={cpu:.3f}")
    print(f"python_whatif24_alone_wall_s={alone:.3f}")


if __name__ == "__main__":
    main()
