"""Our simulated market as a recorded hftbacktest tape (npz, `data`: its event rows), for the
example replaying driver examples/hftbacktest_driver.py:

    python bench/export_tape.py --seed 1 --windows 4 --window 60 --out tape.npz

Window i of the tape is iteration i's market path of `--seed` on `--scenario` (one window per
soak iteration). Prints the tick size the driver needs. Needs only numpy (not hftbacktest).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.hftpath import recorded_tape
from core.errors import SoakError
from core.scenarios import regime_for
from core.sim import MIN_WINDOW_S
from core.sim.market import START_PRICE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", default="normal")
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--window", type=float, default=60.0, help="seconds per window")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.seed < 0 or args.windows < 1 or not MIN_WINDOW_S <= args.window < math.inf:
        parser.error(f"expected --seed >= 0, --windows >= 1, --window >= {MIN_WINDOW_S:g} s")
    try:
        ticks = {regime_for(args.scenario, i)[1].tick_bps for i in range(1, args.windows + 1)}
        rows = recorded_tape(args.scenario, args.seed, args.windows, args.window)
        with args.out.open("wb") as out:
            np.savez_compressed(out, data=rows)
    except (SoakError, OSError) as err:
        parser.exit(2, f"export_tape: {err}\n")
    tick_sizes = ", ".join(f"{START_PRICE * t * 1e-4:g}" for t in sorted(ticks))
    print(f"{args.out}: {len(rows)} rows, {args.windows} windows of {args.window:g} s, tick size {tick_sizes}")


if __name__ == "__main__":
    main()
