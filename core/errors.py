"""The errors that mean "the user's input cannot be used": one line on stderr, exit code 2."""
from __future__ import annotations

from core.artifacts import ArtifactError
from core.config import ConfigError
from core.drivers import DriverError
from core.gates import GateError
from core.params import ParamError
from core.readers import ReadError
from core.report import ReportError
from core.scenarios import ScenarioError

USER_ERRORS: tuple[type[Exception], ...] = (
    ArtifactError, ConfigError, DriverError, GateError, ParamError, ReadError, ReportError, ScenarioError,
)
