"""Snapshots of the monitor's screens at 80x24, 120x40 and 200x50: the README's scenes
(scripts/screenshots.py), pinned.

Real runs (simulator) with their start times and clocks fixed, no time in view and animations
off: the live scenes hold the run after iteration 17; the watch scene shows it finished beside a
stopped one. The scenes show the simulator's numbers, so a change to the simulator or the tuner
changes them too: review the new screens, then run
`pytest tests/tui/test_snapshots.py --snapshot-update` and `python scripts/screenshots.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.screenshots import SCENES, SIZES, ready, scene_app


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("scene", ["main", "detail", "help", "watch"])
def test_screen(scene: str, size: tuple[int, int], snap_compare, tmp_path: Path):
    chosen = SCENES[scene]
    app = scene_app(chosen, tmp_path)
    assert snap_compare(app, press=chosen.keys, terminal_size=size, run_before=ready(chosen))
