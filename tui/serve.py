"""`soak serve [ROOT]`: the monitor in a browser. textual-serve runs `soak watch --read-only ROOT`
once per browser tab (each tab its own monitor process, ended when the tab closes) and relays
its screen over a websocket. It listens on 127.0.0.1 unless told otherwise; the monitor it
serves offers no key that changes anything, and nothing here starts a soak.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from core.errors import ConfigError
from core.runs.jsonio import check_directory

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def watch_command(root: Path) -> str:
    """The shell command textual-serve runs per tab (it runs it through a shell: quoted)."""
    return shlex.join([sys.executable, "-m", "tui.cli", "watch", "--read-only", str(root)])


def serve(root: Path, host: str, port: int) -> int:
    """Serves until interrupted (SIGINT or SIGTERM); 0 then. ReadError when ROOT is not a
    directory, ConfigError when the address cannot be listened on: one line each."""
    check_directory(root)
    from textual_serve.server import Server

    if host not in LOOPBACK:
        print(f"soak serve: listening on {host}: anyone who can reach it sees these runs", file=sys.stderr)
    server = Server(watch_command(root.resolve()), host=host, port=port, title=f"mm-soak: {root}")
    try:
        server.serve()
    except OSError as err:
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    return 0
