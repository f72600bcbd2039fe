"""An external driver that misbehaves on request, for the fault suite (tests/fault/test_drivers.py).

Usage: hostile_driver.py --overrides PATH --output PATH --iteration I --marks DIR [behaviours]

Before iteration --from it behaves (good metrics, exit 0). From it on, in this order: floods
stdout/stderr, ignores SIGTERM (noting each in DIR/term_<i>), forks a child that holds stderr
and never ends, writes DIR/started_<i> (its pid and the child's: the test's "armed" event),
hangs until killed (--hang) or writes the metrics (or the raw text of --metrics-file, or with
--attach BYTES of padding) and exits.
"""

import argparse
import json
import os
import signal
import sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--overrides", required=True)
parser.add_argument("--output", required=True)
parser.add_argument("--iteration", type=int, required=True)
parser.add_argument("--marks", type=Path, required=True)
parser.add_argument("--from", dest="start", type=int, default=1)
parser.add_argument("--flood", type=int, default=0, help="bytes to write to each of stdout and stderr")
parser.add_argument("--ignore-term", action="store_true")
parser.add_argument("--fork-child", action="store_true")
parser.add_argument("--hang", action="store_true")
parser.add_argument("--metrics-file", type=Path)
parser.add_argument("--attach", type=int, default=0, help="bytes of padding in an extra metrics key")
args = parser.parse_args()


def hang() -> None:
    while True:
        signal.pause()


def note(name: str, text: str) -> None:
    temp = args.marks / f".{name}.tmp"
    temp.write_text(text)
    os.replace(temp, args.marks / name)


def noted_term(signum: int, frame: object) -> None:
    note(f"term_{args.iteration}", str(os.getpid()))


metrics = {"maker_taker_ratio": 0.7, "net_bps": 1.5, "risk_ratio": 0.3, "p95_latency_ms": 120.0}
hostile = args.iteration >= args.start
child = 0
if hostile:
    for stream in (sys.stdout, sys.stderr):
        for _ in range(args.flood // 1024):
            stream.write("x" * 1023 + "\n")
        stream.flush()
    if args.ignore_term:
        signal.signal(signal.SIGTERM, noted_term)
    if args.fork_child:
        child = os.fork()
        if child == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            hang()
    note(f"started_{args.iteration}", f"{os.getpid()} {child}")
    if args.attach:
        metrics["padding"] = "p" * args.attach  # type: ignore[assignment]
if hostile and args.hang:
    hang()
with open(args.output, "w", encoding="utf-8") as out:
    if hostile and args.metrics_file:
        out.write(args.metrics_file.read_text(encoding="utf-8"))
    else:
        json.dump(metrics, out)
