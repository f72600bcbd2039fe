import pytest

from tests.support.soak import run_soak


@pytest.fixture
def soak():
    return run_soak
