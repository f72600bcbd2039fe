import fcntl

import pytest

from core.sim.engines import cache_dir, numba_installed, start_numba, use_numba_cache


@pytest.fixture(scope="session")
def numba_engine() -> None:
    """The numba engine compiled or loaded once per test process; with several workers the first
    compiles into the on-disk cache while the others wait on a lock and then load from it."""
    if not numba_installed():
        pytest.skip("numba is not installed (the extra `fast`)")
    use_numba_cache()
    lock = cache_dir().parent / "numba-compile.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        start_numba(lambda line: None)
