"""Tolerant readers of soak artifacts, native and legacy (DESIGN.md section 7).

The TUI, the watcher and the report read through this module only. Nothing here raises anything
but `ReadError`: a malformed file becomes one error, a malformed field becomes None (and a note
in `IterationView.problems`), and the rest of the run still loads.
"""
from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic_core import from_json

from core.artifacts import RUN_FILE, RUNS_DIR, TUNING_REPORT_FILE, is_stale

MAX_FILE_BYTES = 20 * 1024 * 1024
ITER_FILE_RE = re.compile(r"^ITER_SUMMARY_(\d+)\.json$")

# The KPIs every UI shows, read from `summary`. `fills` is special-cased (a count or an object).
KPI_FIELDS: tuple[str, ...] = (
    "maker_taker_ratio",
    "net_bps",
    "risk_ratio",
    "adverse_bps_p95",
    "slippage_bps_p95",
    "p95_latency_ms",
    "cancel_ratio",
    "order_age_p95_ms",
)


class ReadError(Exception):
    """A file that cannot be used. `kind` is one of the ERROR_KINDS; `message` is one line."""

    def __init__(self, path: Path | None, kind: str, message: str) -> None:
        self.path = path
        self.kind = kind
        self.message = " ".join(message.split())  # always one line
        super().__init__(f"{path}: {self.message}" if path else self.message)


ERROR_KINDS: tuple[str, ...] = (
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
)


# --------------------------------------------------------------------------------------------
# Files


def read_json(path: Path | str) -> Any:
    """The JSON value in `path`; ReadError for anything that is not a small, finite JSON file."""
    path = _as_path(path)
    raw = _read_capped(path)
    if b"\x00" in raw:
        raise ReadError(path, "not_text", "binary data (contains NUL bytes), not JSON text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ReadError(path, "not_text", f"not UTF-8 text (bad byte at offset {err.start})")
    return _parse_json(path, text, may_overflow=_may_overflow(raw))


def _read_capped(path: Path) -> bytes:
    try:
        # O_NONBLOCK: a FIFO planted under an artifact name must not hang the reader.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise _os_error(path, err) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ReadError(path, "is_directory", "is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise ReadError(path, "not_a_file", "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise ReadError(path, "too_large", _too_large(info.st_size))
        # One byte past the cap, in case the file grew after fstat.
        raw = _read_fd(fd, MAX_FILE_BYTES + 1, info.st_size + 1)
    except OSError as err:
        raise _os_error(path, err) from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise ReadError(path, "too_large", _too_large(len(raw)))
    return raw


def _read_fd(fd: int, limit: int, size_hint: int) -> bytes:
    """Up to `limit` bytes. os.read in chunks of about the file's size: a buffered read(limit)
    would allocate the whole 20 MB cap for every small file (5x slower over a big run)."""
    chunks: list[bytes] = []
    count = 0
    while count < limit and (chunk := os.read(fd, min(limit - count, max(size_hint, 65536)))):
        chunks.append(chunk)
        count += len(chunk)
    return b"".join(chunks)


def _too_large(size: int) -> str:
    return f"too large ({size / 1e6:.1f} MB > {MAX_FILE_BYTES / 1e6:.0f} MB limit), not read"


def _as_path(path: Path | str) -> Path:
    # Path(path) parses a Path's parts again: a cost that shows over a run of 10,000 files.
    return path if isinstance(path, Path) else Path(path)


def _os_error(path: Path, err: OSError) -> ReadError:
    if err.errno == errno.ENOENT:
        return ReadError(path, "missing", "no such file (missing or deleted)")
    if err.errno == errno.ELOOP:
        return ReadError(path, "symlink_loop", "symlink loop")
    if err.errno == errno.EISDIR:
        return ReadError(path, "is_directory", "is a directory, not a file")
    if err.errno in (errno.EACCES, errno.EPERM):
        return ReadError(path, "unreadable", "permission denied")
    return ReadError(path, "unreadable", f"cannot read: {err.strerror or err}")


def _reject_constant(name: str) -> Any:
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # e.g. 1e999
        raise _NonFinite(text)
    return value


class _NonFinite(ValueError):
    pass


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789E", b"000000000e")
_LONG_DIGITS = b"0" * 200


def _may_overflow(raw: bytes) -> bool:
    """Whether the JSON text may hold a number too large for a float (read as infinity): that
    takes an exponent of 100 or more, or 200 digits in a row (above 1e308 with an exponent
    below 100 takes 210). A match inside a string is a false alarm, which costs only time."""
    # Digits as 0 and no plus signs: "1E+308" reads "0e000". ASCII is the same in any UTF-8 text.
    shape = raw.translate(_DIGITS_AS_ZERO, b"+")
    return b"e000" in shape or _LONG_DIGITS in shape


def _parse_json(path: Path, text: str, may_overflow: bool) -> Any:
    if not may_overflow:
        # The Rust parser is 2.5x faster over a big run, but it reads 1e999 as infinity: it
        # parses only text that has no such number.
        try:
            return from_json(text, allow_inf_nan=False)
        except ValueError:
            pass  # the standard parser says what is wrong, in its words
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except _NonFinite as err:
        raise ReadError(path, "non_finite", f"JSON contains {err} (NaN/Infinity are not allowed)")
    except json.JSONDecodeError as err:
        raise ReadError(
            path, "invalid_json", f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}"
        )
    except RecursionError:
        raise ReadError(path, "invalid_json", "invalid JSON: nested too deeply")
    except ValueError as err:  # e.g. an integer literal beyond Python's digit limit
        raise ReadError(path, "invalid_json", f"invalid JSON: {err}")


def iteration_number(path: Path | str) -> int | None:
    """i for a file named ITER_SUMMARY_<i>.json, else None."""
    match = ITER_FILE_RE.match(_as_path(path).name)
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------------------------
# One iteration


@dataclass(frozen=True)
class IterationView:
    """One iteration as every UI shows it, from a native or a legacy ITER_SUMMARY record.

    KPI fields are None when absent or unusable; `problems` says which fields were unusable and
    why, so nothing is dropped silently. `raw` is the record as read, for a detail screen.
    """

    iteration: int
    maker_taker_ratio: float | None = None
    net_bps: float | None = None
    risk_ratio: float | None = None
    adverse_bps_p95: float | None = None
    slippage_bps_p95: float | None = None
    p95_latency_ms: float | None = None
    cancel_ratio: float | None = None
    order_age_p95_ms: float | None = None
    fills: float | None = None  # total fill count
    verdict: str | None = None
    gate_reasons: tuple[str, ...] = ()
    thresholds: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    proposed_deltas: dict[str, float] = field(default_factory=dict)
    applied_deltas: dict[str, float] = field(default_factory=dict)
    applied: bool | None = None
    skip_reason: str | None = None
    param_status: dict[str, str] = field(default_factory=dict)
    rationale: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def read_iteration(path: Path | str) -> IterationView:
    path = _as_path(path)
    data = read_json(path)
    try:
        return iteration_view(data, fallback_iteration=iteration_number(path))
    except ReadError as err:
        raise ReadError(path, err.kind, err.message) from None


def iteration_view(data: Any, fallback_iteration: int | None = None) -> IterationView:
    """Normalise one ITER_SUMMARY record (native or legacy). ReadError("wrong_shape") only when
    `data` is not an object or has no usable iteration number; any other bad field becomes None."""
    if not _is_object(data):
        raise ReadError(None, "wrong_shape", f"expected a JSON object, got {_json_type(data)}")
    notes = _Notes()
    iteration = _iteration(data, fallback_iteration, notes)
    summary = notes.mapping(data, "summary")
    tuning = notes.mapping(data, "tuning")
    gate = notes.mapping(data, "gate")
    kpis = {name: notes.number(summary, name, "summary") for name in KPI_FIELDS}
    return IterationView(
        iteration=iteration,
        **kpis,
        fills=_fill_count(summary.get("fills"), notes),
        verdict=notes.text(gate, "verdict", "gate"),
        gate_reasons=notes.lines(gate, "reasons", "gate"),
        thresholds=_thresholds(gate.get("checks"), notes),
        params=dict(notes.mapping(data, "params")),
        proposed_deltas=notes.deltas(tuning, "proposed_deltas"),
        applied_deltas=notes.deltas(tuning, "applied_deltas"),
        applied=notes.flag(tuning, "applied", "tuning"),
        skip_reason=_skip_reason(tuning.get("skip_reason"), notes),
        param_status=notes.text_map(tuning, "param_status"),
        rationale=notes.lines(tuning, "rationale", "tuning"),
        problems=tuple(notes),
        raw=dict(data),
    )


def _iteration(data: Mapping, fallback: int | None, notes: _Notes) -> int:
    value = data.get("iteration")
    if _is_count(value):
        number = int(value)
        if fallback is not None and number != fallback:
            notes.append(f"iteration: record says {number}, file name says {fallback}")
        return number
    if fallback is not None:
        if "iteration" in data:
            notes.append(f"iteration: unusable value {_show(value)}; using {fallback} from the file name")
        return fallback
    what = "no iteration number" if value is None else f"unusable iteration {_show(value)}"
    raise ReadError(None, "wrong_shape", f"record has {what}")


def _is_count(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, float) and value.is_integer() and value >= 0


def _fill_count(value: Any, notes: _Notes) -> float | None:
    """Legacy tools write a number; native writes {maker_count, taker_count, ...}."""
    if value is None:
        return None
    if not _is_object(value):
        return notes.number({"fills": value}, "fills", "summary")
    for key in ("total", "count"):
        if key in value:
            return notes.number(value, key, "summary.fills")
    for maker, taker in (("maker_count", "taker_count"), ("maker", "taker")):
        if maker in value or taker in value:
            parts = [notes.number(value, k, "summary.fills") for k in (maker, taker)]
            if None in parts:
                notes.append(f"summary.fills: no total, {maker} and {taker} needed in {_show(value)}")
                return None
            return sum(parts)  # type: ignore[arg-type]
    notes.append(f"summary.fills: no count in {_show(value)}")
    return None


def _thresholds(checks: Any, notes: _Notes) -> dict[str, tuple[str, float | None]]:
    if checks is None:
        return {}
    if not isinstance(checks, list):
        notes.append(f"gate.checks: expected a list, got {_json_type(checks)}")
        return {}
    found: dict[str, tuple[str, float | None]] = {}
    for index, check in enumerate(checks):
        within = f"gate.checks[{index}]"
        if not _is_object(check):
            notes.append(f"{within}: expected an object, got {_json_type(check)}")
            continue
        kpi, op = notes.text(check, "kpi", within), notes.text(check, "op", within)
        if kpi is not None and op is not None:
            found[kpi] = (op, notes.number(check, "fail", within))
    return found


def _skip_reason(value: Any, notes: _Notes) -> str | None:
    """A string, or (legacy) an object of guard flags with an optional `note`:
    {"oscillation": true, "cooldown": false, "note": "x"} -> "oscillation (x)"."""
    if value is None or isinstance(value, str):
        return value
    if not _is_object(value):
        notes.append(f"tuning.skip_reason: unusable value {_show(value)}")
        return _show(value)
    flags = [str(key) for key, on in value.items() if key != "note" and on is True]
    other = {k: v for k, v in value.items() if k != "note" and not isinstance(v, bool)}
    note = value.get("note")
    parts = [", ".join(flags)] if flags else []
    if other:
        parts.append(_show(other))
    if note is not None:
        text = note if isinstance(note, str) else _show(note)
        parts.append(f"({text})" if parts else text)
    return " ".join(parts) or None


class _Notes(list[str]):
    """Typed field access that records, instead of raising, every unusable field. `within` names
    the object `data` is (e.g. "summary"): a note names the field as "summary.net_bps"; the name
    is put together only for a note, as most records have none."""

    def mapping(self, data: Mapping, key: str) -> Mapping:
        value = data.get(key)
        if value is None:
            return {}
        if not _is_object(value):
            self.append(f"{key}: expected an object, got {_json_type(value)}")
            return {}
        return value

    def number(self, data: Mapping, key: str, within: str) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        number = _as_number(value)
        if number is None:
            self.append(f"{within}.{key}: expected a number, got {_show(value)}")
        return number

    def text(self, data: Mapping, key: str, within: str) -> str | None:
        value = data.get(key)
        if value is None or isinstance(value, str):
            return value
        self.append(f"{within}.{key}: expected text, got {_show(value)}")
        return None

    def flag(self, data: Mapping, key: str, within: str) -> bool | None:
        value = data.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.append(f"{within}.{key}: expected true or false, got {_show(value)}")
        return None

    def lines(self, data: Mapping, key: str, within: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            self.append(f"{within}.{key}: expected a list of text, got {_json_type(value)}")
            return ()
        return tuple(item if isinstance(item, str) else _show(item) for item in value)

    def deltas(self, tuning: Mapping, key: str) -> dict[str, float]:
        value = self.mapping(tuning, key)
        found: dict[str, float] = {}
        within = f"tuning.{key}"
        for name in value:
            number = self.number(value, name, within)
            if number is not None:
                found[str(name)] = number
        return found

    def text_map(self, tuning: Mapping, key: str) -> dict[str, str]:
        value = self.mapping(tuning, key)
        found: dict[str, str] = {}
        within = f"tuning.{key}"
        for name in value:
            text = self.text(value, name, within)
            if text is not None:
                found[str(name)] = text
        return found


def _is_object(value: Any) -> bool:
    """A JSON object: a dict as parsed, or any mapping given to iteration_view. (The dict check
    first: a Mapping check alone goes through the ABC machinery, at ten per record.)"""
    return isinstance(value, dict) or isinstance(value, Mapping)


def _as_number(value: Any) -> float | None:
    if type(value) is float:  # most values: a float as parsed
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) else None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


def _show(value: Any, limit: int = 60) -> str:
    """A short one-line rendering of a JSON value for messages."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):  # huge integers, deep nesting
        return f"<{_json_type(value)}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# Runs


class RunKind(StrEnum):
    NATIVE = "native"  # runs/<run_id>/ with RUN.json
    LEGACY = "legacy"  # an older tool's flat directory: ITER_SUMMARY_*.json, no RUN.json


@dataclass(frozen=True)
class RunInfo:
    path: Path
    kind: RunKind
    run_id: str  # from RUN.json; the directory name for a legacy run
    status: str  # running|completed|aborted|failed; "legacy"; "unknown" if RUN.json is unusable
    manifest: dict[str, Any] | None
    stale: bool  # status running, but the heartbeat is too old: the writer is presumed dead
    error: ReadError | None = None  # why RUN.json could not be used


@dataclass(frozen=True)
class RunSnapshot:
    info: RunInfo
    iterations: list[IterationView]  # sorted by iteration
    errors: list[ReadError]  # one per file that could not be used; the rest still loads
    tuning_report: dict[str, Any] | None


def detect_run(directory: Path | str, now: datetime | None = None) -> RunInfo | None:
    """What kind of run `directory` holds, or None when it is not a run (or not readable)."""
    directory = Path(directory)
    try:
        names = set(os.listdir(directory))
    except OSError:
        return None
    if RUN_FILE in names:
        return _native_info(directory, now)
    if TUNING_REPORT_FILE in names or any(ITER_FILE_RE.match(name) for name in names):
        return RunInfo(directory, RunKind.LEGACY, directory.name, "legacy", None, stale=False)
    return None


def _native_info(directory: Path, now: datetime | None) -> RunInfo:
    path = directory / RUN_FILE
    try:
        manifest = read_json(path)
        if not isinstance(manifest, dict):
            raise ReadError(path, "wrong_shape", f"expected a JSON object, got {_json_type(manifest)}")
    except ReadError as err:
        return RunInfo(directory, RunKind.NATIVE, directory.name, "unknown", None, False, err)
    run_id = manifest.get("run_id")
    status = manifest.get("status")
    return RunInfo(
        path=directory,
        kind=RunKind.NATIVE,
        run_id=run_id if isinstance(run_id, str) and run_id else directory.name,
        status=status if isinstance(status, str) else "unknown",
        manifest=manifest,
        stale=is_stale(manifest, now),
    )


def read_run(directory: Path | str, now: datetime | None = None) -> RunSnapshot:
    """Everything readable in one run. ReadError only when the directory itself is unusable."""
    directory = Path(directory)
    info = detect_run(directory, now)
    if info is None:
        if not directory.exists():
            raise ReadError(directory, "missing", "no such run directory (missing or deleted)")
        raise ReadError(directory, "wrong_shape", "not a run: no RUN.json, ITER_SUMMARY_*.json or "
                                                  "TUNING_REPORT.json (or not readable)")
    errors = [info.error] if info.error else []
    iterations = []
    for path in _iteration_files(directory):
        try:
            iterations.append(read_iteration(path))
        except ReadError as err:
            errors.append(err)
    report = _tuning_report(directory / TUNING_REPORT_FILE, errors)
    if not iterations and report is not None:
        iterations = _report_iterations(directory / TUNING_REPORT_FILE, report, errors)
    iterations.sort(key=lambda view: view.iteration)
    return RunSnapshot(info, iterations, errors, report)


def _iteration_files(directory: Path) -> list[Path]:
    try:
        names = os.listdir(directory)
    except OSError:  # deleted since detect_run: nothing left to read
        return []
    numbered = [(number, name) for name in names if (number := iteration_number(name)) is not None]
    return [directory / name for _, name in sorted(numbered)]


def _tuning_report(path: Path, errors: list[ReadError]) -> dict[str, Any] | None:
    try:
        report = read_json(path)
    except ReadError as err:
        if err.kind != "missing":
            errors.append(err)
        return None
    if not isinstance(report, dict):
        errors.append(ReadError(path, "wrong_shape", f"expected a JSON object, got {_json_type(report)}"))
        return None
    return report


def _report_iterations(path: Path, report: dict, errors: list[ReadError]) -> list[IterationView]:
    """A run with a TUNING_REPORT.json but no ITER_SUMMARY files: show the report's entries."""
    entries = report.get("iterations")
    if not isinstance(entries, list):
        return []
    views = []
    for index, entry in enumerate(entries):
        try:
            views.append(iteration_view(entry))
        except ReadError as err:
            errors.append(ReadError(path, err.kind, f"iterations[{index}]: {err.message}"))
    return views


def discover_runs(root: Path | str, now: datetime | None = None) -> list[RunInfo]:
    """Every run under `root`, each once, ordered by run_id.

    `root` may be an artifact root (runs/<id>/ and `latest`), a runs/ directory, a single run
    directory, or a legacy flat directory. A `latest` link does not add a second copy of the run
    it points to; a legacy flat `latest` directory is a run of its own.
    """
    root = Path(root)
    found: dict[str, RunInfo] = {}
    for candidate in _candidates(root):
        info = detect_run(candidate, now)
        if info is None:
            continue
        try:
            key = os.path.realpath(candidate, strict=True)
        except OSError:  # deleted or a broken link by now
            continue
        if key not in found or found[key].path.is_symlink():  # prefer runs/<id> to latest
            found[key] = info
    return sorted(found.values(), key=lambda info: (info.run_id, str(info.path)))


def _candidates(root: Path) -> list[Path]:
    return [root, *_subdirectories(root), *_subdirectories(root / RUNS_DIR)]


def _subdirectories(directory: Path) -> list[Path]:
    try:
        with os.scandir(directory) as entries:
            return sorted(Path(entry.path) for entry in entries if _is_dir(entry))
    except OSError:
        return []


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows `latest`; False for a loop or a dangling link
    except OSError:
        return False

