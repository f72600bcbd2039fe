"""Parameters: specs, validation messages and profiles (DESIGN.md section 3)."""

from __future__ import annotations

import pytest

from core.errors import ParamError
from core.params import PARAM_SPECS, TUNABLES, Params, available_profiles, load_profile, make_params


def test_every_tunable_has_a_default_inside_bounds_and_a_usable_step():
    assert set(TUNABLES) == set(Params.model_fields) - {"post_only"}
    for name, spec in PARAM_SPECS.items():
        assert spec.lower <= spec.default <= spec.upper, name
        assert 0 < spec.max_step < spec.upper - spec.lower, name
        assert getattr(Params(), name) == spec.default, name


@pytest.mark.parametrize("name", ["default", "steady_safe", "aggressive"])
def test_named_profiles_load_and_validate(name):
    assert name in available_profiles()
    params = make_params(load_profile(name))
    assert isinstance(params, Params)


def test_profiles_differ_in_the_expected_direction():
    safe = make_params(load_profile("steady_safe"))
    aggressive = make_params(load_profile("aggressive"))
    assert load_profile("default") == {}
    assert safe.base_spread_bps > Params().base_spread_bps > aggressive.base_spread_bps
    assert safe.min_interval_ms > Params().min_interval_ms > aggressive.min_interval_ms
    assert safe.post_only and not aggressive.post_only


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"base_spread_bps": 50.0}, "base_spread_bps=50.0: input should be less than or equal"),
        ({"max_position": 0}, "max_position=0: input should be greater than or equal to 1"),
        ({"base_spread_bps": "wide"}, "base_spread_bps='wide': input should be a valid number"),
        ({"min_interval_ms": 12.5}, "min_interval_ms=12.5: input should be a valid integer"),
        ({"concurrency_limit": True}, "concurrency_limit=True: value error, expected a number"),
        ({"post_only": "maybe"}, "post_only='maybe': input should be a valid boolean"),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(values, expected):
    with pytest.raises(ParamError) as err:
        make_params(values)
    message = str(err.value)
    assert message.startswith(expected)
    assert "\n" not in message
    key = next(iter(values))
    spec = PARAM_SPECS.get(key)
    if spec is not None:
        assert f"[{spec.lower:g}, {spec.upper:g}]" in message
    else:
        assert "allowed: true or false" in message


def test_unknown_key_lists_the_allowed_keys():
    with pytest.raises(ParamError, match=r"^spread=1: extra inputs .*allowed keys: base_spread"):
        make_params({"spread": 1})


def test_numbers_as_strings_are_accepted_for_environment_values():
    assert make_params({"min_interval_ms": "250"}).min_interval_ms == 250


def test_malformed_profile_names_the_file_and_the_position(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[params]\nbase_spread_bps = = 2\n", encoding="utf-8")
    with pytest.raises(ParamError, match=r"^malformed profile .*broken\.toml: .*line 2"):
        load_profile(str(path))


def test_profile_with_a_bad_value_names_the_key_and_the_file(tmp_path):
    path = tmp_path / "wide.toml"
    path.write_text("[params]\nbase_spread_bps = 99.0\n", encoding="utf-8")
    with pytest.raises(ParamError, match=r"^base_spread_bps=99\.0 \(from profile wide\.toml\)"):
        load_profile(str(path))


def test_unknown_profile_lists_the_available_ones():
    with pytest.raises(ParamError, match="unknown profile 'nope'; available: aggressive, default"):
        load_profile("nope")
