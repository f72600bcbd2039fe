"""The errors a user can cause, each one line on stderr and an exit code.

    SoakError                 exit code 2 unless a subclass says otherwise
    ├── ConfigError           a setting (flag, SOAK_* variable) cannot be used
    ├── ParamError            a strategy parameter or profile cannot be used
    ├── ScenarioError         an unknown market scenario
    ├── GateError             a gate profile cannot be used
    ├── DriverError           the system under soak failed an iteration
    ├── ArtifactError         an artifact could not be written (names the path)
    ├── ReadError             an artifact could not be read (names the path, says what kind)
    └── ReportError           a report cannot be made or written

Every message is one line. Modules raise these; only the command line turns them into output.
"""

from __future__ import annotations

from pathlib import Path

from core.records import ExitCode


class SoakError(Exception):
    exit_code: ExitCode = ExitCode.ERROR


class ConfigError(SoakError, ValueError):
    pass


class ParamError(SoakError, ValueError):
    pass


class ScenarioError(SoakError, ValueError):
    pass


class GateError(SoakError, ValueError):
    pass


class DriverError(SoakError, RuntimeError):
    pass


class ReportError(SoakError, ValueError):
    pass


class ArtifactError(SoakError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}")


# What a ReadError's `kind` may be.
READ_ERROR_KINDS: tuple[str, ...] = (
    "missing",
    "unreadable",
    "too_large",
    "not_text",
    "invalid_json",
    "non_finite",
    "wrong_shape",
    "is_directory",
    "not_a_file",
    "symlink_loop",
    "wrong_name",  # named like an artifact, but not its canonical name
)


class ReadError(SoakError):
    """A file that cannot be used. `kind` is one of READ_ERROR_KINDS."""

    def __init__(self, path: Path | None, kind: str, message: str) -> None:
        self.path = path
        self.kind = kind
        self.message = " ".join(message.split())  # always one line
        super().__init__(f"{path}: {self.message}" if path else self.message)
