"""A tiny Chrome DevTools Protocol client: headless Chromium driven over one websocket.

No browser-automation package: Debian's ``chromium`` plus the ``websockets`` sync client that the
venv already has. ``with Chromium() as browser:`` starts a throw-away browser (fresh profile in a
temp dir), opens one page and always kills the browser and deletes the profile on exit.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium phones home, and the closed network refuses (and delays) it.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,900",
    "--remote-debugging-port=0",
]


class CDPError(RuntimeError):
    pass


class Chromium:
    def __init__(self, timeout: float = 30.0):
        if not CHROMIUM.exists():
            raise CDPError(
                f"{CHROMIUM} is missing: install Debian's browser with "
                "`apt-get install -y --no-install-recommends chromium` (.ci/run does this)"
            )
        self.timeout = timeout
        self.events: list[dict] = []  # every event received so far, in order
        self.scripts_disabled = False
        self._ids = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> Chromium:
        self._stack = contextlib.ExitStack()
        self._root = Path(tempfile.mkdtemp(prefix="flopcast-chromium-"))
        self._stack.callback(shutil.rmtree, self._root, ignore_errors=True)
        profile = self._root / "profile"
        self._log = self._stack.enter_context((self._root / "chromium.log").open("wb"))
        self.proc = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # own process group: killed as one below
        self._stack.callback(self._kill)
        try:
            port, path = self._devtools_address(profile / "DevToolsActivePort")
            # proxy=None: never route the loopback connection through an *_PROXY from the environment.
            self.ws = self._stack.enter_context(
                connect(f"ws://127.0.0.1:{port}{path}", proxy=None, max_size=None, open_timeout=self.timeout)
            )
            target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
            self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log"):
                self.send(f"{domain}.enable")
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()  # closes the websocket, kills the browser, deletes the profile

    def _kill(self) -> None:
        try:  # the browser and its renderer/zygote/gpu helpers share the group of the process we started
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def _devtools_address(self, port_file: Path) -> tuple[str, str]:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            lines = port_file.read_text().split("\n") if port_file.exists() else []
            if len(lines) >= 2 and lines[0].strip() and lines[1].strip():
                return lines[0].strip(), lines[1].strip()
            time.sleep(0.05)
        self._log.flush()
        tail = (self._root / "chromium.log").read_text(errors="replace")[-2000:]
        raise CDPError(f"Chromium did not open its DevTools port (exit code {self.proc.poll()}):\n{tail}")

    # -- protocol ----------------------------------------------------------------------------------
    def _next(self, deadline: float) -> dict:
        """One message from the browser (raises TimeoutError after ``deadline``); events are buffered."""
        message = json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.001)))
        if "method" in message:
            self.events.append(message)
        return message

    def send(
        self, method: str, params: dict | None = None, *, session: bool = True, timeout: float | None = None
    ) -> dict:
        """Send one command and wait for its reply, buffering the events that arrive meanwhile."""
        message = {"id": next(self._ids), "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            while (reply := self._next(deadline)).get("id") != message["id"]:
                pass
        except TimeoutError:
            raise CDPError(f"no reply to {method} within {timeout or self.timeout}s") from None
        if "error" in reply:
            raise CDPError(f"{method} failed: {reply['error']}")
        return reply.get("result", {})

    def wait_for(self, method: str, since: int = 0, timeout: float | None = None) -> dict:
        """The first ``method`` event at or after index ``since`` of ``self.events``."""
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            while not any(event["method"] == method for event in self.events[since:]):
                self._next(deadline)
        except TimeoutError:
            raise CDPError(f"no {method} event within {timeout or self.timeout}s") from None
        return next(event for event in self.events[since:] if event["method"] == method)

    def drain(self, seconds: float = 0.3) -> None:
        """Collect the events that arrive within ``seconds`` (late console messages, for instance)."""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError):
            while True:
                self._next(deadline)

    # -- page helpers ------------------------------------------------------------------------------
    def load(self, url: str) -> None:
        """Navigate and wait for the load event plus two animation frames (layout and paint done).
        With the page's scripts disabled no animation frame callback runs: then wait a moment instead."""
        since = len(self.events)
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CDPError(f"cannot load {url}: {result['errorText']}")
        self.wait_for("Page.loadEventFired", since)
        if self.scripts_disabled:
            self.drain(0.5)
            return
        self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        self.drain()

    def evaluate(self, expression: str):
        """The JSON value of ``expression`` (promises are awaited); page exceptions raise CDPError."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise CDPError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def go_offline(self) -> None:
        """Record every request from now on (``requests()``) and emulate a browser with no network."""
        self.send("Network.enable")
        self.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )

    def requests(self) -> list[str]:
        """The URL of every request the page started (needs ``go_offline`` or ``Network.enable`` first)."""
        return [
            event["params"]["request"]["url"] for event in self.events if event["method"] == "Network.requestWillBeSent"
        ]

    def disable_javascript(self) -> None:
        self.send("Emulation.setScriptExecutionDisabled", {"value": True})
        self.scripts_disabled = True

    def move_mouse(self, x: float, y: float) -> None:
        """A real mouse move to viewport coordinates (CSS pixels), as a reader's pointer makes."""
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y, "button": "none"})

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page, beyond the viewport."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})[
            "data"
        ]
        path.write_bytes(base64.b64decode(data))
        return path

    def errors(self) -> list[str]:
        """console.error calls, uncaught exceptions and error log entries (e.g. "Failed to load resource")."""
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                found.append(f"console.error: {args}")
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".rstrip())
        return found
