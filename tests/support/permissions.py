"""File permissions that hold for root too: CI runs the suite as root, whose capabilities
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH read any file and list any directory whatever its mode.
`as_permissions_say()` takes those two out of the calling thread's effective set (threads it
starts inherit that), and puts them back after; a program it starts gets them back, so
`permissions_say(argv)` starts one through util-linux's setpriv without them. For any other user
both leave things as they are."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager

CAPABILITY_VERSION_3 = 0x20080522  # _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set
BYPASS = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH (both in the first word)
BYPASS_NAMES = "-dac_override,-dac_read_search"


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Sets(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def permissions_say(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["setpriv", f"--inh-caps={BYPASS_NAMES}", f"--bounding-set={BYPASS_NAMES}", *argv]


@contextmanager
def as_permissions_say() -> Iterator[None]:
    if os.geteuid() != 0:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    header, sets = _Header(CAPABILITY_VERSION_3, 0), (_Sets * 2)()
    _call(libc.capget, header, sets)
    before = sets[0].effective
    sets[0].effective = before & ~BYPASS
    _call(libc.capset, header, sets)
    try:
        yield
    finally:
        sets[0].effective = before
        _call(libc.capset, header, sets)


def _call(function: ctypes._CFuncPtr, header: _Header, sets: ctypes.Array[_Sets]) -> None:
    if function(ctypes.byref(header), sets) != 0:
        raise OSError(ctypes.get_errno(), f"{function.__name__}: {os.strerror(ctypes.get_errno())}")
