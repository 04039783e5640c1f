"""Firefox ESR (Debian's ``firefox-esr``) driven over WebDriver BiDi, for the page's Firefox tests.

Playwright drives only its own Firefox build, which this machine cannot download; Debian's Firefox ESR
speaks the W3C WebDriver BiDi protocol itself (``--remote-debugging-port``), over a WebSocket. This
module is a small client for it: the standard library's sockets and the WebSocket framing (RFC 6455,
text frames only), the BiDi commands the tests use (``session.new``, ``browsingContext.navigate`` /
``captureScreenshot`` / ``locateNodes``, ``script.evaluate``), nothing more. Firefox runs headless with
a fresh profile and its own network activity off (no update, telemetry or safe-browsing requests: this
machine has no internet, and the page is on 127.0.0.1).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")
PREFS = {
    "app.update.enabled": False,
    "app.update.auto": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "extensions.update.enabled": False,
    "browser.search.update": False,
    "services.settings.server": "http://127.0.0.1:9/",
    "remote.prefs.recommended": True,
}


def require_firefox() -> str:
    """Firefox's path; in CI a missing Firefox fails the test instead of skipping it."""
    if FIREFOX is None:
        if in_ci():
            pytest.fail("firefox-esr is not installed (scripts/setup.sh installs it)")
        pytest.skip("firefox-esr is not installed (scripts/setup.sh)")
    return FIREFOX


class BiDiError(AssertionError):
    """A BiDi command answered with an error."""


class BiDi:
    """One WebDriver BiDi session over a WebSocket to Firefox."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET /session HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("Firefox closed the WebSocket handshake")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.decode("latin-1"))
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        """Events received so far (``session.subscribe`` chooses which)."""

    # -- WebSocket framing -----------------------------------------------------------------------
    def _send(self, text: str) -> None:
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                  bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                                  bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("Firefox closed the WebSocket")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _recv(self) -> str:
        parts: list[bytes] = []
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 0x9:  # ping
                continue
            if op == 0x8:
                raise ConnectionError("Firefox closed the WebSocket")
            parts.append(payload)
            if b0 & 0x80:
                return b"".join(parts).decode()

    # -- BiDi ------------------------------------------------------------------------------------
    def command(self, method: str, **params: Any) -> Any:
        """Send one command and return its result (events arriving meanwhile go to :attr:`events`)."""
        self.next_id += 1
        me = self.next_id
        self._send(json.dumps({"id": me, "method": method, "params": params}))
        while True:
            msg = json.loads(self._recv())
            if msg.get("type") == "event":
                self.events.append(msg)
                continue
            if msg.get("id") != me:
                continue
            if msg.get("type") == "error" or "error" in msg:
                raise BiDiError(f"{method}: {msg.get('error')}: {msg.get('message')}")
            return msg["result"]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class Tab:
    """The browser's one top-level browsing context."""

    def __init__(self, bidi: BiDi) -> None:
        self.bidi = bidi
        self.context = bidi.command("browsingContext.getTree")["contexts"][0]["context"]

    def goto(self, url: str) -> None:
        self.bidi.command("browsingContext.navigate", context=self.context, url=url, wait="complete")

    def press(self, key: str) -> None:
        """Press and release ``key`` (a name of :data:`KEYS`) as a keyboard would, in the page."""
        code = KEYS[key]
        self.bidi.command("input.performActions", context=self.context, actions=[
            {"type": "key", "id": "keyboard", "actions": [{"type": "keyDown", "value": code},
                                                          {"type": "keyUp", "value": code}]}])

    def js(self, expression: str) -> Any:
        """Evaluate ``expression`` in the page (a privileged sandbox when the page's own JavaScript is off)."""
        r = self.bidi.command("script.evaluate", expression=expression, awaitPromise=True,
                              target={"context": self.context})
        if r.get("type") != "success":
            raise BiDiError(str(r.get("exceptionDetails")))
        return r["result"].get("value")

    def wait(self, expression: str, within: float = 30.0) -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + within
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"not true in {within} s: {expression}")
            time.sleep(0.2)

    def text(self, css: str) -> str:
        """The text of the first element matching ``css`` (read with the DOM: no page script needed)."""
        found = self.bidi.command("browsingContext.locateNodes", context=self.context,
                                  locator={"type": "css", "value": css}, maxNodeCount=1,
                                  serializationOptions={"maxDomDepth": 64})["nodes"]
        return _node_text(found[0]) if found else ""

    def count(self, css: str) -> int:
        return len(self.bidi.command("browsingContext.locateNodes", context=self.context,
                                     locator={"type": "css", "value": css})["nodes"])

    def screenshot(self) -> bytes:
        data = self.bidi.command("browsingContext.captureScreenshot", context=self.context, origin="document")
        return base64.b64decode(data["data"])


KEYS = {"Tab": "\ue004", "Enter": "\ue007"}
"""WebDriver's codes for the keys :meth:`Tab.press` knows."""


def _node_text(node: dict[str, Any]) -> str:
    value = node.get("value", {})
    if value.get("nodeType") == 3:
        return str(value.get("nodeValue", ""))
    return "".join(_node_text(c) for c in value.get("children") or [])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def firefox(folder: Path, *, javascript: bool = True, width: int = 1280, height: int = 900) -> Iterator[Tab]:
    """Headless Firefox ESR with a fresh profile in ``folder``, driven over BiDi; stopped afterwards."""
    exe = require_firefox()
    profile = folder / ("ff-profile" if javascript else "ff-profile-nojs")
    profile.mkdir(parents=True, exist_ok=True)
    prefs = {**PREFS, "javascript.enabled": javascript}
    (profile / "user.js").write_text(
        "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items()), "utf-8")
    port = _free_port()
    env = {**os.environ, "HOME": str(folder), "MOZ_CRASHREPORTER_DISABLE": "1"}
    proc = subprocess.Popen(
        [exe, "--headless", "--no-remote", "--profile", str(profile), f"--remote-debugging-port={port}",
         f"--width={width}", f"--height={height}", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    bidi = None
    try:
        deadline = time.monotonic() + 60
        while bidi is None:
            try:
                bidi = BiDi(port)
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("Firefox did not open its WebDriver BiDi port") from None
                time.sleep(0.2)
        bidi.command("session.new", capabilities={"alwaysMatch": {"acceptInsecureCerts": False}})
        yield Tab(bidi)
    finally:
        if bidi is not None:
            with contextlib.suppress(Exception):
                bidi.command("session.end")
            bidi.close()
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
