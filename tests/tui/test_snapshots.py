"""Snapshots of the monitor's screens: the README's scenes (scripts/screenshots.py), pinned.

A real run (simulator, seed 42) with its start time and clock fixed, held after iteration 17, at
120x40 with no time in view and animations off. The scenes show the simulator's numbers, so a
change to the simulator or the tuner changes them too: review the new screens, then run
`pytest tests/tui/test_snapshots.py --snapshot-update` and `python scripts/screenshots.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.screenshots import SCENES, SIZE, demo_app, until_held


@pytest.mark.parametrize("scene", ["main", "detail", "help"])
def test_screen(scene: str, snap_compare, tmp_path: Path):
    keys, theme = SCENES[scene]
    assert snap_compare(demo_app(tmp_path, theme), press=keys, terminal_size=SIZE, run_before=until_held)
