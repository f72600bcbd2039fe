"""What `soak` says when it is given something it cannot use: one line that names the real
problem, exit 2, before any work is done."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.config import build_config
from core.errors import ArtifactError, ConfigError, ParamError
from core.runs.jsonio import _too_large
from core.runs.writer import RunDirectory
from tests.support.permissions import permissions_say
from tests.support.soak import ROOT, SMOKE, run_soak, soak_command, soak_env
from tui.messages import RunIdentity
from tui.widgets.run_header import RunHeader

pytestmark = pytest.mark.fault


def one_error_line(done) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("soak: error: ")]
    return line


@pytest.mark.parametrize("flag", ["--junit", "--summary-md", "--export-json"])
def test_an_output_path_that_cannot_be_written_is_refused_before_the_soak(tmp_path: Path, flag: str):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = tmp_path / "out"
    line = one_error_line(run_soak(*SMOKE, "--out", str(out), flag, str(blocker / "dir" / "x.xml")))
    assert str(blocker / "dir" / "x.xml") in line
    assert not (out / "runs").exists()  # no soak ran


def test_an_output_path_in_a_missing_directory_gets_its_directory(tmp_path: Path):
    junit = tmp_path / "missing" / "dir" / "x.xml"
    done = run_soak(*SMOKE, "--out", str(tmp_path / "out"), "--junit", str(junit))
    assert done.returncode == 0, done.stderr
    assert junit.read_text().startswith("<?xml")


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--no-ui", "--mock", "--iterations", "1", "--profile", "{below}/p.toml"),
        ("run", "--no-ui", "--mock", "--iterations", "1", "--gate", "{below}/g.toml"),
        ("run", "--no-ui", "--mock", "--iterations", "1", "--control", "{below}/c.toml"),
        ("run", "--no-ui", "--mock", "--iterations", "1", "--junit", "{locked}/x.xml"),
        ("sweep", "--seeds", "1", "--iterations", "1", "--workers", "1", "--md", "{locked}/x.md"),
        ("report", "{below}"),
        ("report", "{locked}"),
        ("replay", "{below}"),
        ("replay", "{locked}"),
        ("watch", "--no-ui", "{below}"),
        ("serve", "{below}"),
    ],
    ids=[
        "run --profile",
        "run --gate",
        "run --control",
        "run --junit",
        "sweep --md",
        "report below",
        "report it",
        "replay below",
        "replay it",
        "watch",
        "serve",
    ],
)
def test_a_directory_it_may_not_read_or_a_path_below_it_is_one_line(tmp_path: Path, args: tuple[str, ...]):
    locked = tmp_path / "locked"
    (locked / "below").mkdir(parents=True)
    locked.chmod(0)
    argv = [a.format(locked=locked, below=locked / "below") for a in args]
    if argv[0] in ("run", "sweep"):
        argv += ["--out", str(tmp_path / "out")]
    try:
        done = subprocess.run(
            permissions_say(soak_command(*argv)), capture_output=True, text=True, timeout=60, cwd=ROOT, env=soak_env()
        )
    finally:
        locked.chmod(0o700)
    assert "permission denied" in one_error_line(done).lower()


def config_error(cli: dict | None = None, env: dict | None = None) -> str:
    with pytest.raises((ConfigError, ParamError)) as raised:
        build_config(cli or {}, env or {})
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_iterations_on_the_command_line_override_hours_from_the_environment():
    config = build_config({"iterations": "3"}, {"SOAK_HOURS": "24"})
    assert config.total_iterations == 3 and config.settings.hours is None
    assert "both set" in config_error({"iterations": "3", "hours": "1"})


@pytest.mark.parametrize("where", ["cli", "env"])
def test_an_empty_out_is_refused(where: str):
    message = config_error({"out": ""} if where == "cli" else None, {"SOAK_OUT": ""} if where == "env" else None)
    assert message.startswith("out=''") and "empty" in message


@pytest.mark.parametrize(
    "value, says",
    [("-1", "greater than or equal to 0"), ("two", "valid integer"), ("1" * 30, "less than or equal to 64")],
)
def test_replay_workers_that_cannot_be_started_say_so(value: str, says: str):
    message = config_error({"replay_workers": value})
    assert message.startswith(f"replay_workers={value!r}") and says in message


def test_a_window_that_is_not_a_number_says_so():
    message = config_error(env={"SOAK_WINDOW_S": "nan"})
    assert "nan" in message and "finite" in message


def test_profile_files_that_cannot_be_used_say_why(tmp_path: Path):
    missing = tmp_path / "nowhere.toml"
    assert "no such file" in config_error({"profile": str(missing)}) and str(missing) in config_error(
        {"profile": str(missing)}
    )
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf[params]\nbase_spread_bps = 2.0\n")
    assert build_config({"profile": str(bom)}).params.base_spread_bps == 2.0
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert "nested too deeply" in config_error({"profile": str(deep)})


def test_a_huge_unknown_value_gives_a_short_line():
    message = config_error(env={"SOAK_PACE": "x" * 5_000_000})
    assert len(message) < 500


def test_an_out_that_is_a_dangling_link_or_a_runs_file_says_what_is_in_the_way(tmp_path: Path):
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "gone")
    with pytest.raises(ArtifactError, match="a link to a path that does not exist"):
        RunDirectory.create(dangling, seed=1)
    root = tmp_path / "root"
    root.mkdir()
    (root / "runs").write_text("")
    with pytest.raises(ArtifactError, match="not a directory"):
        RunDirectory.create(root, seed=1)


def test_the_size_limit_is_said_in_the_unit_it_is_set_in():
    assert _too_large(22_020_096) == "too large (21.0 MiB > 20 MiB limit), not read"


def test_the_header_names_a_command_driver_without_a_scenario():
    header = RunHeader(clock=None)
    header.show_run(RunIdentity("r1", "cmd/python", "normal", "42", "default", "smoke"))
    shown = header.line(120).plain
    assert "cmd/python" in shown and "cmd/python/normal" not in shown
    header.show_run(RunIdentity("r1", "sim", "normal", "42", "default", "smoke"))
    assert "sim/normal" in header.line(120).plain
