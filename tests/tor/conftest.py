"""Fixtures for the tor tests: one private Tor network per session (real tor and obfs4proxy on
127.0.0.1, ports 18500-18511), a DNS responder for its exit, and HTTPS origins under pki.CA roots.

Ports used by these tests (this module's range is 18500-18599): test network 18500-18511, HTTPS
origins 18543 (genuine on 127.0.0.2, interceptor on 127.0.0.1), DNS 18553, silent and closed ports
18560-18589.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pathprobe.lab.servers.pki import CA
from pathprobe.lab.servers.tor import TestnetConfig, TestNetwork
from pathprobe.tor import launch

from .servers import DnsStub, HttpsOrigin

SITE = "site.pp.test"
SITE_PORT = 18543
DNS_PORT = 18553


@dataclass
class World:
    net: TestNetwork
    public_ca: CA
    interception_ca: CA
    genuine: HttpsOrigin
    interceptor: HttpsOrigin
    dns: DnsStub
    dir: Path

    def torrc(self) -> dict[str, object]:
        return self.net.client_torrc()


def have_tor() -> bool:
    return (
        launch.find_tor() is not None
        and shutil.which("tor-gencert") is not None
        and launch.find_transport("obfs4") is not None
    )


@pytest.fixture(autouse=True)
def _private_tor_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No tor started by a test may reach beyond its own test network; temp dirs per test."""
    monkeypatch.setenv(launch.PRIVATE_ONLY_ENV, "1")
    tordir = tmp_path / "tortmp"
    tordir.mkdir()
    monkeypatch.setenv(launch.TMP_ENV, str(tordir))


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if not have_tor():
        pytest.skip("tor, tor-gencert and obfs4proxy are needed (scripts/setup.sh installs them)")
    base = tmp_path_factory.mktemp("tornet")
    public_ca = CA("PP Test Public Root", "pathprobe tests")
    interception_ca = CA("PP Test Interception Root", "censor")
    dns = DnsStub("127.0.0.1", DNS_PORT, {SITE: "127.0.0.2"})
    (base / "genuine").mkdir()
    (base / "mitm").mkdir()
    genuine = HttpsOrigin("127.0.0.2", SITE_PORT, public_ca, [SITE], base / "genuine")
    interceptor = HttpsOrigin("127.0.0.1", SITE_PORT, interception_ca, [SITE], base / "mitm")
    net = TestNetwork(TestnetConfig(nameserver=f"127.0.0.1:{DNS_PORT}"))
    try:
        net.start(base / "net")
        net.wait_ready(120)
        yield World(net, public_ca, interception_ca, genuine, interceptor, dns, base)
    finally:
        net.stop()
        genuine.close()
        interceptor.close()
        dns.close()
