"""Shared helpers for the portal tests (ports, names, TLS contexts, running the probe)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from pathlib import Path

from pathprobe.lab.servers.pki import CA
from pathprobe.lab.servers.portal import Site
from pathprobe.model import PortalMeasurement
from pathprobe.net.portalfetch import parse_url
from pathprobe.probes.base import RunContext
from pathprobe.probes.portal import PortalProbe

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


ServeFn = Callable[..., Site]


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
