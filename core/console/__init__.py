"""The headless printers: `soak run --no-ui` (run.py) and `soak watch --no-ui` (watch.py), with
the lines they share (lines.py). Nothing here imports the engine."""
