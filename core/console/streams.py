"""stdout and stderr as the command line writes to them: any encoding, any path, any failure.

`prepare_streams()` (first thing `soak` does) makes every text encodable on both streams: a
path that is not UTF-8 goes out as the bytes it is on disk, a character the stream's encoding
lacks (an em dash on cp1251, a sparkline on ascii) as a \\u escape; so nothing a run's files or
names hold can make printing fail.

`Log` is the headless printers' stdout. A soak must not die because its log cannot be written
(the CI log's disk is full, stdout is closed): a write error drops the log, the run goes on and
writes its artifacts, and `lost` says why, for the one line and the exit code (2) at the end. A
broken pipe is not a loss: the reader went away on purpose (`| head`).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
from typing import TextIO

ERRORS = "soak-text"  # the codec error handler both streams use


def _encodable(error: UnicodeError) -> tuple[str | bytes, int]:
    """Surrogates that stand for undecodable bytes (a path that is not UTF-8) as those bytes;
    anything else the encoding lacks as a backslash escape."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start : error.end]
    if all(0xDC80 <= ord(char) <= 0xDCFF for char in chunk):
        return bytes(ord(char) - 0xDC00 for char in chunk), error.end
    return codecs.backslashreplace_errors(error)


codecs.register_error(ERRORS, _encodable)


def prepare_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors=ERRORS)
    if sys.stdout is None:  # closed (`>&-`): fd 1 must not become the first file the soak opens
        with contextlib.suppress(OSError):
            _park_on_devnull(1)


class Log:
    """Lines to a stream that may fail; once it has, they are dropped."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.lost: str | None = None if stream is not None else "stdout is closed"

    def isatty(self) -> bool:
        return self.stream is not None and self.stream.isatty()

    def line(self, text: str) -> None:
        if self.stream is None:
            return
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except BrokenPipeError:
            self._drop()
        except OSError as err:
            self.lost = err.strerror or str(err)
            self._drop()

    def _drop(self) -> None:
        """No more lines; and what is still buffered must not fail again at exit (a second error
        then would change the exit code to 120): the stream's descriptor now leads nowhere."""
        stream, self.stream = self.stream, None
        with contextlib.suppress(OSError, ValueError, AttributeError):
            _park_on_devnull(stream.fileno())  # type: ignore[union-attr]

    def lost_line(self, went_on: str) -> str | None:
        """The one line to say at the end, when the log was lost; `went_on` says what did not stop."""
        if self.lost is None:
            return None
        return f"soak: error: the log on stdout was lost ({self.lost}); {went_on}"


def _park_on_devnull(fd: int) -> None:
    null = os.open(os.devnull, os.O_WRONLY)
    if null != fd:
        os.dup2(null, fd)
        os.close(null)


def say(text: str) -> None:
    """One line on stderr, when there is a stderr to say it on."""
    if sys.stderr is not None:
        with contextlib.suppress(OSError):
            print(text, file=sys.stderr, flush=True)
