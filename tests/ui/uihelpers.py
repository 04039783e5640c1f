"""``pathprobe ui`` as a real process against real local TLS servers, for the page's tests.

The network: two real TLS servers on 127.0.0.1 (tests.servers.https_server) with certificates from a
lab public CA, a plan naming ``facebook.com`` (a site) and ``example.com`` (a control) on their ports,
and ``PATHPROBE_HOSTS`` mapping both names to 127.0.0.1. ``pathprobe ui --no-browser`` runs as a
subprocess with a fresh HOME, XDG_CONFIG_HOME (no stored consent) and XDG_DATA_HOME (no history),
and without PATHPROBE_ACCEPT_RISK, so the page asks for consent as it would the first time.

Ports: the page listens on 19300-19349, a range no other test uses.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pathprobe.lab.servers.pki import CA
from tests.servers import https_server

PORTS = range(19300, 19350)
URL_LINE = "pathprobe ui: http://127.0.0.1:"


@dataclass
class Net:
    """A local network for checks: plan and root files, and the environment naming the servers."""

    folder: Path
    plan: Path
    public: Path
    device: Path
    hosts: Path

    def check_args(self, timeout: str = "3") -> list[str]:
        return ["--plan", str(self.plan), "--public-roots", str(self.public), "--device-roots", str(self.device),
                "--timeout", timeout]


@contextlib.contextmanager
def local_net(folder: Path) -> Iterator[Net]:
    """Two real TLS servers (a site and a control) under a lab public CA, and a plan naming them."""
    root = CA("UI Test Public Root", "pathprobe tests")
    issuing = CA("UI Test Issuing CA", "pathprobe tests", parent=root)
    with https_server(issuing.issue("facebook.com"), folder) as site, \
            https_server(issuing.issue("example.com"), folder) as control:
        plan = folder / "plan.toml"
        plan.write_text(
            f'[[probe]]\nkind = "direct"\nsites = ["facebook.com:{site}"]\ncontrols = ["example.com:{control}"]\n',
            "utf-8",
        )
        public, device = folder / "public.pem", folder / "device.pem"
        public.write_bytes(root.cert_pem())
        device.write_bytes(root.cert_pem())
        hosts = folder / "hosts"
        hosts.write_text("127.0.0.1 facebook.com example.com\n", "utf-8")
        yield Net(folder, plan, public, device, hosts)


def ui_env(folder: Path, hosts: Path | None = None) -> dict[str, str]:
    """A fresh home for the page: no stored consent, no history; PATHPROBE_HOSTS names the servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHPROBE_", "XDG_", "LC_"))}
    home = folder / "home"
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               LANG="C.UTF-8", PYTHONUNBUFFERED="1")
    if hosts is not None:
        env["PATHPROBE_HOSTS"] = str(hosts)
    return env


@dataclass
class Ui:
    proc: subprocess.Popen[str]
    url: str
    port: int
    token: str
    env: dict[str, str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def read_url_line(proc: subprocess.Popen[str], within: float = 20) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], within)
    assert ready, "pathprobe ui printed no URL line"
    return proc.stdout.readline().rstrip("\n")


@contextlib.contextmanager
def run_ui(folder: Path, port: int, args: list[str], hosts: Path | None = None,
           env_extra: dict[str, str] | None = None) -> Iterator[Ui]:
    """``pathprobe ui --no-browser --port PORT ARGS`` until the block ends (then SIGTERM, as Ctrl-C)."""
    env = {**ui_env(folder, hosts), **(env_extra or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pathprobe", "ui", "--no-browser", "--port", str(port), *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = read_url_line(proc)
        assert line.startswith(URL_LINE), line
        url = line.removeprefix("pathprobe ui: ")
        token = url.split("?token=", 1)[1]
        yield Ui(proc, url, port, token, env)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        stderr = proc.stderr.read() if proc.stderr else ""
        assert "Traceback" not in stderr, stderr


def wait_for(predicate: object, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (the browser tests' module fixture)."""
    from playwright import sync_api

    from tests.chromium import HEADLESS, require_chromium

    exe = require_chromium()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=[a for a in HEADLESS if a != "--headless"])
        try:
            yield b
        finally:
            b.close()
