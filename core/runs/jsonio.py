"""JSON files in both directions: written atomically, read within bounds.

A writer's file is UTF-8 JSON with sorted keys and no NaN or Infinity, written to a temporary
file in the same directory, fsynced and renamed over the old one: a reader sees the old file or
the new one, never a part. A reader takes only small, finite JSON files, and anything else is a
ReadError naming the file and what is wrong with it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic_core import from_json

from core.errors import ArtifactError, ReadError

MIB = 1024 * 1024
MAX_FILE_BYTES = 20 * MIB


# --------------------------------------------------------------------------------------------
# Writing


def encode_json(path: Path, obj: Any, indent: int | None) -> bytes:
    """UTF-8 JSON with sorted keys; NaN/Infinity or a non-JSON value is a bug -> ArtifactError."""
    try:
        text = json.dumps(obj, allow_nan=False, sort_keys=True, indent=indent, ensure_ascii=False)
    except ValueError:
        where = _non_finite_at(obj) or "?"
        raise ArtifactError(path, f"NaN or Infinity at {where} (JSON allows neither)") from None
    except TypeError as err:
        raise ArtifactError(path, f"not JSON-serialisable: {err}") from None
    # A lone surrogate (a path that is not UTF-8, as Python decodes it) has no UTF-8: written as
    # the JSON escape \udcff, it reads back as the same text.
    return (text + "\n").encode("utf-8", "backslashreplace")


def _non_finite_at(obj: Any, where: str = "$") -> str | None:
    if isinstance(obj, float) and not math.isfinite(obj):
        return where
    if isinstance(obj, Mapping):
        items = ((f"{where}.{key}", value) for key, value in obj.items())
    elif isinstance(obj, list | tuple):
        items = ((f"{where}[{index}]", value) for index, value in enumerate(obj))
    else:
        return None
    for child_where, value in items:
        found = _non_finite_at(value, child_where)
        if found:
            return found
    return None


def atomic_write_json(path: Path | str, obj: Any, indent: int | None = 2) -> None:
    """Write `obj` to `path` so that a reader sees the old file or the new one, never a part.

    On failure the temporary file is removed and an OSError becomes ArtifactError. indent=None
    writes compact JSON (several times faster to encode: for files rewritten often).
    """
    path = Path(path)
    atomic_write_bytes(path, encode_json(path, obj, indent))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Temporary file in the same directory, fsync, os.replace, fsync of the directory."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        _write_synced(temp, data)
        os.replace(temp, path)
    except BaseException as err:
        remove_quietly(temp)
        if isinstance(err, OSError):
            raise ArtifactError(path, err.strerror or str(err)) from err
        raise
    try:
        _fsync_dir(path.parent)
    except OSError as err:
        raise ArtifactError(path, f"fsync of directory failed: {err.strerror or err}") from err


def atomic_write_at(dir_fd: int, name: str, data: bytes, durable: bool = True) -> None:
    """atomic_write_bytes into the directory open as `dir_fd` (it stays the same directory even
    if it is renamed). Not `durable`: no fsync, for a copy of a file that is durable elsewhere (a
    reader still never sees half of it). OSError as it comes: the caller knows what a missing
    directory means."""
    temp = f".{name}.{secrets.token_hex(4)}.tmp"
    try:
        _write_synced(temp, data, dir_fd, durable)
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise
    if durable:
        _fsync_fd(dir_fd)


def append_durably(path: Path, data: bytes) -> None:
    """Append `data` to `path` (made when missing) and fsync it: a journal's lines, which its
    reader takes only when whole. O(len(data)), however long the file is."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as err:
        raise ArtifactError(path, err.strerror or str(err)) from err


def _write_synced(path: Path | str, data: bytes, dir_fd: int | None = None, durable: bool = True) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666, dir_fd=dir_fd)
    try:
        _write_all(fd, data)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        _fsync_fd(fd)
    finally:
        os.close(fd)


def _fsync_fd(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno != errno.EINVAL:  # some filesystems cannot fsync a directory
            raise


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# --------------------------------------------------------------------------------------------
# Reading


def read_json(path: Path | str) -> Any:
    """The JSON value in `path`; ReadError for anything that is not a small, finite JSON file."""
    path = as_path(path)
    raw = _read_capped(path)
    if b"\x00" in raw:
        raise ReadError(path, "not_text", "binary data (contains NUL bytes), not JSON text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ReadError(path, "not_text", f"not UTF-8 text (bad byte at offset {err.start})") from None
    return _parse_json(path, text, may_overflow=_may_overflow(raw))


def as_path(path: Path | str) -> Path:
    # Path(path) parses a Path's parts again: a cost that shows over a run of 10,000 files.
    return path if isinstance(path, Path) else Path(path)


def _read_capped(path: Path) -> bytes:
    try:
        # O_NONBLOCK: a FIFO planted under an artifact name must not hang the reader.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise os_read_error(path, err) from None
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
        raise os_read_error(path, err) from None
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
    return f"too large ({size / MIB:.1f} MiB > {MAX_FILE_BYTES / MIB:.0f} MiB limit), not read"


def may(path: Path, mode: int) -> bool:
    """os.access with the effective ids (and capabilities) the process's reads and writes will
    have: for root, os.access on the real ids passes whatever the file's mode."""
    return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)


def check_directory(path: Path, missing: str = "no such directory") -> None:
    """ReadError (one line) unless `path` is a directory this process may list and search, with
    the effective ids (and capabilities) its reads will have."""
    try:
        found = os.stat(path)
    except OSError as err:  # missing, or below a directory it may not search
        if err.errno == errno.ENOENT:
            raise ReadError(path, "missing", missing) from None
        raise os_read_error(path, err) from None
    if not stat.S_ISDIR(found.st_mode):
        raise ReadError(path, "wrong_shape", "not a directory")
    if not may(path, os.R_OK | os.X_OK):
        raise ReadError(path, "unreadable", "permission denied")


def os_read_error(path: Path, err: OSError) -> ReadError:
    if err.errno == errno.ENOENT:
        return ReadError(path, "missing", "no such file (missing or deleted)")
    if err.errno == errno.ELOOP:
        return ReadError(path, "symlink_loop", "symlink loop")
    if err.errno == errno.EISDIR:
        return ReadError(path, "is_directory", "is a directory, not a file")
    if err.errno in (errno.EACCES, errno.EPERM):
        return ReadError(path, "unreadable", "permission denied")
    return ReadError(path, "unreadable", f"cannot read: {err.strerror or err}")


class _NonFiniteError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonFiniteError(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # e.g. 1e999
        raise _NonFiniteError(text)
    return value


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
    except _NonFiniteError as err:
        raise ReadError(path, "non_finite", f"JSON contains {err} (NaN/Infinity are not allowed)") from None
    except json.JSONDecodeError as err:
        raise ReadError(
            path, "invalid_json", f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}"
        ) from None
    except RecursionError:
        raise ReadError(path, "invalid_json", "invalid JSON: nested too deeply") from None
    except ValueError as err:  # e.g. an integer literal beyond Python's digit limit
        raise ReadError(path, "invalid_json", f"invalid JSON: {err}") from None


def read_object(path: Path) -> dict[str, Any]:
    """read_json for a file that must hold a JSON object."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise ReadError(path, "wrong_shape", f"expected a JSON object, got {json_type(data)}")
    return data


def json_type(value: Any) -> str:
    """How a message names the type of a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


def show_json(value: Any, limit: int = 60) -> str:
    """A short one-line rendering of a JSON value for messages."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):  # huge integers, deep nesting
        return f"<{json_type(value)}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def finite_number(value: Any) -> float | None:
    """A JSON number as a finite float; None for anything else (booleans, text, overflow)."""
    if type(value) is float:  # most values: a float as parsed
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) else None
