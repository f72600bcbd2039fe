import os

import pytest

from core.sim import engines
from tests.support.soak import TEST_ENGINE, run_soak


@pytest.fixture
def soak():
    return run_soak


@pytest.fixture(autouse=True)
def every_soak_on_the_engine_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """MM_SOAK_TEST_ENGINE=numba: the soaks run in this process take numba for any length of
    run too (auto's threshold at 0); those run as subprocesses get SOAK_ENGINE (tests/support/soak.py)."""
    if os.environ.get(TEST_ENGINE) == "numba":
        monkeypatch.setattr(engines, "AUTO_NUMBA_MIN_SIM_S", 0.0)
