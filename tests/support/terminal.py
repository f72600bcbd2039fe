"""A pseudo-terminal for `soak` to run in, as a user's terminal would be: 120x40, TERM=xterm, and
everything the program sends to it read (a full terminal buffer would block the program)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import struct
import termios
import threading
from collections.abc import Callable

from tests.support.soak import PATIENCE_S

ALT_SCREEN_ON, ALT_SCREEN_OFF = b"\x1b[?1049h", b"\x1b[?1049l"
CURSOR_HIDDEN, CURSOR_SHOWN = b"\x1b[?25l", b"\x1b[?25h"
MOUSE_ON, MOUSE_OFF = b"\x1b[?1000h", b"\x1b[?1000l"


class Terminal:
    def __init__(self, columns: int = 120, lines: int = 40) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self._received = bytearray()
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: every process holding the other end has closed it
                data = b""
            with self._arrived:
                self._received += data
                self._arrived.notify_all()
            if not data:
                return

    @property
    def received(self) -> bytes:
        with self._arrived:
            return bytes(self._received)

    def wait_for(self, predicate: Callable[[bytes], bool]) -> None:
        with self._arrived:
            assert self._arrived.wait_for(lambda: predicate(bytes(self._received)), PATIENCE_S), self._received[-400:]

    def close_slave(self) -> None:
        """Once the program has the terminal: the test keeps no end of it open but the master."""
        with contextlib.suppress(OSError):
            os.close(self.slave)

    def close(self) -> None:
        self.close_slave()
        self._reader.join(PATIENCE_S)
        with contextlib.suppress(OSError):
            os.close(self.master)


def restored(output: bytes) -> bool:
    """Whether the terminal was left as it was found: off the alternate screen, cursor shown,
    mouse reporting off (each undone after it was last done)."""
    pairs = ((ALT_SCREEN_ON, ALT_SCREEN_OFF), (CURSOR_HIDDEN, CURSOR_SHOWN), (MOUSE_ON, MOUSE_OFF))
    return all(output.rfind(on) < output.rfind(off) for on, off in pairs)
