"""Writing a report file: one place, so every output path fails the same way (one line)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from core.errors import ReportError
from core.runs.jsonio import may


def write_text_output(path: Path, text: str, append: bool = False) -> None:
    """Write (or append) a report file; an OSError becomes a one-line ReportError."""
    try:
        # backslashreplace: a lone surrogate (a path that is not UTF-8) as its JSON escape.
        with open(path, "a" if append else "w", encoding="utf-8", errors="backslashreplace") as stream:
            stream.write(text)
    except OSError as err:
        raise ReportError(f"cannot write {path}: {err.strerror or err}") from None


def check_output_path(path: Path) -> None:
    """Before the work that fills it: create the parent directories of an output file and make
    sure it can be written there (a one-line ReportError when not)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReportError(f"cannot write {path}: {err.strerror or err}") from None
    if os.path.isdir(path):
        raise ReportError(f"cannot write {path}: is a directory")
    if not may(path.parent, os.W_OK | os.X_OK) or (os.path.exists(path) and not may(path, os.W_OK)):
        raise ReportError(f"cannot write {path}: permission denied")


def write_report_files(out: TextIO, *outputs: tuple[Path | None, str]) -> None:
    """Each (path, text) asked for (path not None), with a line on `out` naming the file."""
    for path, text in outputs:
        if path is not None:
            write_text_output(path, text)
            print(f"wrote {path}", file=out)
