"""Fixtures for the DoH tests: a test PKI, unbound + dnsdist, HTTPS sites (all on loopback, ports 184xx)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from doh_servers import SITE_PORT, DnsStack, Pki, ThreadedServer, https_site, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("doh-pki"))


@pytest.fixture(scope="session")
def dns_stack(pki: Pki) -> Iterator[DnsStack]:
    """unbound + dnsdist, started once for the DoH tests and stopped by PID."""
    if not DnsStack.available():
        if os.environ.get("CI") == "true" or os.environ.get("PATHPROBE_CI") == "1":
            pytest.fail("unbound and dnsdist are required (scripts/setup.sh installs them)")
        pytest.skip("unbound or dnsdist is not installed")
    stack = DnsStack(pki)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def site_server(pki: Pki) -> Iterator[ThreadedServer]:
    """The real origin for every test site: 127.0.0.1:18440, a certificate from the test CA."""
    cert, key = pki.write("site", pki.site)
    with https_site("127.0.0.1", SITE_PORT, cert, key) as srv:
        yield srv


@pytest.fixture
def stop_event() -> Iterator[threading.Event]:
    ev = threading.Event()
    yield ev
    ev.set()
