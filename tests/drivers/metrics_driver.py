"""A tiny external driver for tests: reads the overrides, writes metrics that follow the spread.

Usage: metrics_driver.py --overrides PATH --output PATH [--mode ok|fail|garbage|array]
"""

import argparse
import json
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--overrides", required=True)
parser.add_argument("--output", required=True)
parser.add_argument("--mode", default="ok")
args = parser.parse_args()

if args.mode == "fail":
    print("driver: venue connection refused", file=sys.stderr)
    sys.exit(3)
with open(args.overrides) as f:
    params = json.load(f)
spread = params["base_spread_bps"]
metrics = {
    "maker_taker_ratio": min(1.0, 0.4 + 0.2 * spread),
    "net_bps": 2.0 * spread - 1.0,
    "risk_ratio": 0.3,
    "p95_latency_ms": 120.0,
    "spread_seen": spread,
}
with open(args.output, "w") as f:
    if args.mode == "garbage":
        f.write("{not json")
    elif args.mode == "array":
        json.dump([1, 2, 3], f)
    else:
        json.dump(metrics, f)
