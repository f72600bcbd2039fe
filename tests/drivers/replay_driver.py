"""A tiny replayable external driver for tests: one "market" per (seed, iteration), whatever the
parameters, met by the spread in the overrides file. Every call appends its iteration and spread
to the --log file, so a test can count the runs and see what each ran with.

Usage: replay_driver.py --overrides PATH --output PATH --seed S --iteration I --log PATH
"""

import argparse
import json
import random

parser = argparse.ArgumentParser()
for flag in ("--overrides", "--output", "--seed", "--iteration", "--log"):
    parser.add_argument(flag, required=True)
args = parser.parse_args()

with open(args.overrides) as f:
    spread = json.load(f)["base_spread_bps"]
flow = random.Random(f"{args.seed}/{args.iteration}").uniform(0.5, 1.5)  # the market: not the parameters
volume = 1000.0 * flow / spread
net_bps = 1.5 * spread - 1.0
pnl = volume * net_bps / 10_000
metrics = {
    "maker_taker_ratio": 0.9,
    "net_bps": net_bps,
    "risk_ratio": 0.3,
    "p95_latency_ms": 120.0,
    "pnl": pnl,
    "pnl_per_hour": pnl * 3600 / 60,
}
with open(args.output, "w") as f:
    json.dump(metrics, f)
with open(args.log, "a") as f:
    f.write(f"{args.iteration} {spread}\n")
