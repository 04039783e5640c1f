"""Fixtures for the portal tests: real HTTP(S) servers on loopback (ports 18800-18899) and names for them."""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from portal_helpers import BLACKHOLE, DETECT, NAMES, ServeFn

from pathprobe.lab.servers.portal import PortalServer, Route, Site


@pytest.fixture(autouse=True)
def hosts_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every name the tests use resolves to loopback through PATHPROBE_HOSTS (never the real DNS)."""
    path = tmp_path / "hosts"
    path.write_text("127.0.0.1 " + " ".join(NAMES) + "\n")
    monkeypatch.setenv("PATHPROBE_HOSTS", str(path))
    return path


@pytest.fixture
def serve() -> Iterator[ServeFn]:
    """``serve(routes, port, names=..., redirect_to=..., tls=...)`` starts a real server for the test."""
    servers: list[PortalServer] = []

    def start(
        routes: dict[str, Route],
        port: int,
        *,
        names: tuple[str, ...] = (),
        redirect_to: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> Site:
        site = Site(routes=routes, names=frozenset(names), redirect_to=redirect_to)
        servers.append(PortalServer(site, "127.0.0.1", port, tls=tls).start_in_thread())
        return site

    yield start
    for s in servers:
        s.stop_thread()


@pytest.fixture
def capture(serve: ServeFn) -> Callable[[str], Site]:
    """The censor: the detection host answers every request with a 302 to ``target``."""

    def start(target: str) -> Site:
        return serve({}, DETECT, names=("portal.test",), redirect_to=target)

    return start


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A port on 127.0.0.1 that never answers: its accept queue is full, so new SYNs are dropped."""
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", BLACKHOLE))
    lst.listen(0)
    fillers = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            c.connect(("127.0.0.1", BLACKHOLE))
        fillers.append(c)
    probe = socket.socket()
    probe.settimeout(0.5)
    try:
        probe.connect(("127.0.0.1", BLACKHOLE))
        silent = False
    except (TimeoutError, OSError):
        silent = True
    finally:
        probe.close()
    if not silent:
        for c in fillers:
            c.close()
        lst.close()
        pytest.skip("this kernel accepted a connection beyond a full accept queue; no loopback blackhole")
    yield BLACKHOLE
    for c in fillers:
        c.close()
    lst.close()
