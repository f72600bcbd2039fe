"""Writing a report file: one place, so every output path fails the same way (one line)."""

from __future__ import annotations

from pathlib import Path

from core.errors import ReportError


def write_text_output(path: Path, text: str, append: bool = False) -> None:
    """Write (or append) a report file; an OSError becomes a one-line ReportError."""
    try:
        with open(path, "a" if append else "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as err:
        raise ReportError(f"cannot write {path}: {err.strerror or err}") from None
