"""Snapshots of the monitor's screens: the README's scenes (scripts/screenshots.py), pinned.

A real run (simulator, seed 42) with its start time and clock fixed, held after iteration 17, at
120x40 with no time in view and animations off. The scenes show the simulator's numbers, so a
change to the simulator or the tuner changes them too: review the new screens, then run
`pytest tests/test_tui_snapshots.py --snapshot-update` and `python scripts/screenshots.py`.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "screenshots.py"
_spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
assert _spec and _spec.loader
scenes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scenes)


@pytest.mark.parametrize("scene", ["main", "detail", "help"])
def test_screen(scene: str, snap_compare, tmp_path: Path):
    keys, theme = scenes.SCENES[scene]
    with scenes.fixed_time():
        app = scenes.demo_app(tmp_path, theme)
        assert snap_compare(app, press=keys, terminal_size=scenes.SIZE, run_before=scenes.until_held)
