"""Fixtures for the portal tests: real HTTP(S) servers on loopback (ports 18800-18899) and names for them."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pathprobe.model import PortalMeasurement
from pathprobe.pki import CA
from pathprobe.portal_server import PortalServer, Route, Site
from pathprobe.probes.base import RunContext
from pathprobe.probes.portal import PortalProbe, parse_url

DETECT = 18800
PORTAL = 18801
PORTAL_TLS = 18802
SITE_TLS = 18803
EXTRA = 18804
CLOSED = 18898
"""Never bound by these tests: connecting gets a refusal (an answer)."""
BLACKHOLE = 18899
"""A listener whose accept queue is kept full: the kernel drops new SYNs, connecting gets silence."""
NAMES = ("detect.test", "portal.test", "other.test", "site.test", "control.test", "dead.test")


@pytest.fixture(autouse=True)
def hosts_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every name the tests use resolves to loopback through PATHPROBE_HOSTS (never the real DNS)."""
    path = tmp_path / "hosts"
    path.write_text("127.0.0.1 " + " ".join(NAMES) + "\n")
    monkeypatch.setenv("PATHPROBE_HOSTS", str(path))
    return path


ServeFn = Callable[..., Site]


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


def tls_context(cert_pem: bytes, key_pem: bytes, tmp: Path) -> ssl.SSLContext:
    (tmp / "chain.pem").write_bytes(cert_pem)
    (tmp / "key.pem").write_bytes(key_pem)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(tmp / "chain.pem"), str(tmp / "key.pem"))
    return ctx


def self_signed(name: str, tmp: Path) -> tuple[ssl.SSLContext, bytes]:
    """A TLS context presenting one self-signed certificate (issuer = subject, own key), and its DER."""
    from cryptography.hazmat.primitives.serialization import Encoding

    ca = CA(name)
    return tls_context(ca.cert_pem(), ca.key_pem(), tmp), ca.cert.public_bytes(Encoding.DER)


def run_probe(
    url: str, *, expect_status: int = 200, expect_body: str | None = "success", timeout: float = 3.0
) -> PortalMeasurement:
    parsed = parse_url(url)
    assert parsed is not None
    result = asyncio.run(PortalProbe(parsed, expect_status, expect_body).run(RunContext(timeout=timeout)))
    assert result.portal is not None and result.paths == ()
    return result.portal


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
