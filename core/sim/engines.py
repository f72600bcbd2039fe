"""Which engine runs the simulator: the pure-Python reference or the numba one, its event loop,
its market generation and its ledger's count of quoted cells (DESIGN.md section 2, Engines).
Nothing here imports numba: only core.sim.engine_numba, market_numba and ledger_numba do, and
only once that engine is chosen.

`auto` picks numba when it is installed and the run is long enough to pay for its start-up.
Measured on 2026-12-02 (2-core AMD VM, load about 1, commit da4bd1e): a process that runs one
window takes 0.56 s on numba with a warm cache, about 0.35 s more than on Python; a 600 s window
takes 2.7 ms on numba against 17 ms on Python. Whole soaks with the control arm: 12 iterations
untuned (24 windows) take 0.59 s on Python against 0.94 s on numba, 24 iterations with the rules
tuner (48 windows) 1.45 s against 1.05 s. AUTO_NUMBA_MIN_SIM_S, 20 iterations of 600 s, lies
between, and keeps the smoke soak (3 iterations) off numba.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np

from core.params import Params
from core.scenarios import MarketRegime
from core.sim.ledger import QuotedCells
from core.sim.market import MarketPath
from core.sim.tape import Tape

Engine = Literal["python", "numba"]
WindowRunner = Callable[[Params, MarketRegime, MarketPath, np.random.Generator], Tape]
MarketGenerator = Callable[[MarketRegime, np.random.Generator, float], MarketPath]
AUTO_NUMBA_MIN_SIM_S = 12_000.0
NUMBA_MISSING = "engine=numba needs numba, the extra `fast`: pip install 'mm-soak[fast]'"


class EngineUnavailable(RuntimeError):
    """The numba engine was asked for where numba is not installed; the message is one line."""


def numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def choose_engine(choice: str, sim_seconds: float) -> Engine:
    """The engine `choice` (auto, python or numba) means for a run of `sim_seconds` of market."""
    if choice == "python":
        return "python"
    if choice == "numba":
        return "numba"
    return "numba" if sim_seconds >= AUTO_NUMBA_MIN_SIM_S and numba_installed() else "python"


def cache_dir() -> Path:
    """Where numba keeps what it compiled: per user, outside the package (XDG's cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mm-soak" / "numba"


def use_numba_cache() -> None:
    """Points numba's on-disk cache at cache_dir(), unless NUMBA_CACHE_DIR already names one;
    before numba is imported, which reads it once."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir()))


def start_numba(say: Callable[[str], None]) -> None:
    """Imports the numba engine and loads its compiled loop, or compiles it (the first run on a
    machine, or after an upgrade), saying so in one line first."""
    _require_numba()
    from core.sim import engine_numba

    if not engine_numba.compiled():
        say(f"compiling the numba engine, once for this machine (cache: {os.environ['NUMBA_CACHE_DIR']})")
    engine_numba.warm_up()


class SimulatorParts(NamedTuple):
    """What an engine brings to a window: its market generator, its loop and its count of the
    cells quoted (the ledger's costliest step)."""

    generate_market: MarketGenerator
    run_window: WindowRunner
    count_quoted: QuotedCells


def simulator_parts(engine: Engine) -> SimulatorParts:
    """How `engine` generates a window's market, runs its loop and counts its quoted cells:
    numpy's generator, the Python loop and numpy's count, or their compiled twins (the same
    market, the same tape and the same count)."""
    if engine == "python":
        from core.sim.engine import run_window
        from core.sim.ledger import quoted_cells
        from core.sim.market import generate_market

        return SimulatorParts(generate_market, run_window, quoted_cells)
    _require_numba()
    from core.sim.engine_numba import run_window as run_compiled
    from core.sim.ledger_numba import quoted_cells as count_compiled
    from core.sim.market_numba import generate_market as generate_compiled

    return SimulatorParts(generate_compiled, run_compiled, count_compiled)


def _require_numba() -> None:
    if not numba_installed():
        raise EngineUnavailable(NUMBA_MISSING)
