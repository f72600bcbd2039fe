"""Headless Debian Chromium, driven over the Chrome DevTools protocol (through aiohttp's websocket
client, which textual-serve brings): tabs, what their pages receive over websockets, and
screenshots. Started and stopped by the test that needs it; it reaches loopback only."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.soak import PATIENCE_S

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Loopback only: the page's web font (fonts.googleapis.com) fails at once instead of waiting.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-port=0",
    "--window-size=1280,800",
)
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")


def terminal_text(data: str) -> str:
    """What a terminal stream says, its escape sequences (cursor moves, colours) dropped."""
    return ANSI.sub(" ", data)


class Tab:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session
        self.received: list[str] = []  # websocket frames the page received, as text

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        return await self.browser.send(method, session=self.session, **params)

    def text(self) -> str:
        return terminal_text("".join(self.received))

    async def wait_for_text(self, *texts: str) -> None:
        await self.browser.wait(lambda: all(text in self.text() for text in texts))

    async def evaluate(self, expression: str) -> Any:
        reply = await self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return reply["result"].get("value")

    async def screenshot(self, path: Path) -> Path:
        await self.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


class Browser:
    """`async with Browser(profile_dir) as browser:` a fresh Chromium, closed on the way out."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._tabs: dict[str, Tab] = {}
        self._changed = asyncio.Event()

    async def __aenter__(self) -> Browser:
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        port, path = await self._devtools_address()
        self.http = aiohttp.ClientSession()
        self.socket = await self.http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.send("Browser.close"), 5)
        self._reader.cancel()
        await self.socket.close()
        await self.http.close()
        try:
            self.process.wait(PATIENCE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    async def _devtools_address(self) -> tuple[str, str]:
        """Chromium writes its port and browser path to DevToolsActivePort once it listens."""
        active = self.profile / "DevToolsActivePort"
        written = lambda: active.is_file() and len(active.read_text().split()) == 2  # noqa: E731
        await self.wait(lambda: written() or self.process.poll() is not None)
        assert self.process.poll() is None, f"chromium exited with {self.process.returncode}"
        port, path = active.read_text().split()
        return port, path

    async def wait(self, condition: Callable[[], bool]) -> None:
        """Until `condition()` holds, checked whenever the browser says something (and every 50 ms)."""
        async with asyncio.timeout(PATIENCE_S):
            while not condition():
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.05)

    async def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        reply = self._replies[message_id] = asyncio.get_running_loop().create_future()
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        await self.socket.send_json(message)
        return await asyncio.wait_for(reply, PATIENCE_S)

    async def open(self, url: str) -> Tab:
        """A new tab that records its websocket frames from the start, then loads `url`."""
        target = await self.send("Target.createTarget", url="about:blank")
        attached = await self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        tab = self._tabs[attached["sessionId"]] = Tab(self, attached["sessionId"])
        await tab.send("Network.enable")
        await tab.send("Page.enable")
        await tab.send("Page.navigate", url=url)
        return tab

    async def _read(self) -> None:
        async for message in self.socket:
            data = message.json()
            if "id" in data and data["id"] in self._replies:
                reply = self._replies.pop(data["id"])
                if "error" in data:
                    reply.set_exception(AssertionError(f"devtools: {data['error']}"))
                else:
                    reply.set_result(data.get("result", {}))
            elif data.get("method") == "Network.webSocketFrameReceived" and data.get("sessionId") in self._tabs:
                frame = data["params"]["response"]
                payload = frame["payloadData"]
                text = base64.b64decode(payload).decode("utf-8", "replace") if frame["opcode"] == 2 else payload
                self._tabs[data["sessionId"]].received.append(text)
            self._changed.set()
