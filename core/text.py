"""Text from a run's files as it may reach a terminal: control characters shown as visible
escapes, and cut after SHOWN_CHARS. The monitor (tui/format.py) and `soak watch --no-ui` both
show such text through `escape_controls`, so a file cannot restyle, clear or scramble a terminal,
and a megabyte in a file is not laid out to show a few lines of it (the file keeps it all)."""

from __future__ import annotations

import re
import unicodedata

SHOWN_CHARS = 2000  # of one text from a file

_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]+")


def escape_controls(text: str) -> str:
    if len(text) > SHOWN_CHARS:
        text = f"{text[:SHOWN_CHARS]}… ({len(text):,} characters)"
    # Only runs of characters outside printable ASCII are looked at one by one: the rest, most of
    # any text, passes at C speed.
    return _NOT_PRINTABLE_ASCII.sub(lambda run: "".join(map(_visible, run.group())), text)


def _visible(ch: str) -> str:
    if not unicodedata.category(ch).startswith(("C", "Zl", "Zp")):
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
