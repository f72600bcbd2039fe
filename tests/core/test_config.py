"""Configuration layers: defaults < profile < SOAK_* environment < CLI, with sources."""

import pytest

from core.config import build_config
from core.errors import ConfigError, ParamError


def test_hours_cover_the_market_time_in_whole_windows():
    assert build_config({"hours": 0.1, "window_s": 120}).total_iterations == 3
    assert build_config({"hours": 1}).total_iterations == 6
    assert build_config({}).total_iterations == 10


def test_iterations_and_hours_together_are_refused():
    with pytest.raises(ConfigError, match="give one of them"):
        build_config({"iterations": 3, "hours": 1})


@pytest.mark.parametrize("pace, expected", [("fast", "fast"), ("realtime", "realtime"), ("0.5", 0.5)])
def test_pace_accepts_fast_realtime_and_seconds(pace, expected):
    assert build_config({"pace": pace}).settings.pace == expected


def test_each_layer_overrides_the_one_below_and_is_recorded():
    config = build_config(
        {"seed": 5},
        {
            "SOAK_SEED": "9",
            "SOAK_GATE": "nightly",
            "SOAK_AUTO_TUNE": "false",
            "SOAK_PROFILE": "steady_safe",
            "SOAK_BASE_SPREAD_BPS": "3.5",
        },
        {"concurrency_limit": "2"},
    )
    assert (config.settings.seed, config.sources["seed"]) == (5, "cli")
    assert (config.settings.gate, config.sources["gate"]) == ("nightly", "env:SOAK_GATE")
    assert config.settings.auto_tune is False
    assert (config.params.base_spread_bps, config.sources["base_spread_bps"]) == (3.5, "env:SOAK_BASE_SPREAD_BPS")
    assert (config.params.post_only, config.sources["post_only"]) == (True, "profile:steady_safe")
    assert (config.params.concurrency_limit, config.sources["concurrency_limit"]) == (2, "cli")
    assert config.sources["tail_age_ms"] == "default"


def test_a_bad_environment_value_names_its_variable():
    with pytest.raises(ParamError, match=r"max_position='-1' \(from env:SOAK_MAX_POSITION\)"):
        build_config({}, {"SOAK_MAX_POSITION": "-1"})


def test_driver_command_is_split_into_arguments_without_a_shell():
    config = build_config({"driver": "python 'my driver.py' --venue paper; rm -rf /"})
    assert config.driver_argv == ["python", "my driver.py", "--venue", "paper;", "rm", "-rf", "/"]
    assert build_config({"driver": "sim"}).driver_argv is None
