"""What is printed once the monitor has closed: the same closing lines as a headless run (its
directory, status, verdict, exit code; core/console/lines.py), so the shell keeps a record."""

from __future__ import annotations

from core.console.lines import closing_lines
from core.runs.discovery import read_manifest
from core.text import escape_controls
from tui.app import SoakApp


def after_exit(app: SoakApp, exit_code: int) -> list[str]:
    """The lines for the run the monitor showed last (none when it showed none). A run quit
    before it ended says how its RUN.json left it."""
    if app.run_dir is None:
        return []
    ended = app.ended
    if ended is not None:
        status, verdict, reasons = ended.status, ended.verdict, ended.reasons
    else:
        info = read_manifest(app.run_dir)
        verdict_record = info.recorded_verdict() or {}
        status = info.status
        named = verdict_record.get("verdict")
        verdict, reasons = (str(named) if named else None), tuple(verdict_record.get("reasons") or ())
    lines = closing_lines(app.run_dir, status, app.iterations_seen, verdict, reasons, exit_code)
    return [escape_controls(line) for line in lines]  # a status or reason read from a file
