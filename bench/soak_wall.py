"""Whole-process wall time of headless soaks (issue 3's speed figures).

Prints `smoke_wall_s=<n>` (soak run --no-ui --iterations 3 --mock) and `nightly24_wall_s=<n>`
(--iterations 24 --gate nightly), each the median of several runs, as its last lines.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5


def wall(args: list[str]) -> float:
    times = []
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "tui.cli", "run", "--no-ui", *args, "--out", out],
                cwd=ROOT,
                check=False,
                stdout=subprocess.DEVNULL,
            )
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    smoke = wall(["--iterations", "3", "--mock"])
    nightly = wall(["--iterations", "24", "--mock", "--gate", "nightly"])
    print(f"smoke_wall_s={smoke:.3f}")
    print(f"nightly24_wall_s={nightly:.3f}")


if __name__ == "__main__":
    main()
