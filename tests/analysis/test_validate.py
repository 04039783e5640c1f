"""Certificate parsing never raises out of a probe (DESIGN "Precise rules"): a certificate that cannot
be parsed keeps the raw chain as evidence and fails validation with ``ssl_invalid_certificate``."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL

from pathprobe.analysis.pipeline import analyse
from pathprobe.analysis.roots import KnownRoots, RootSet
from pathprobe.analysis.validate import validate
from pathprobe.analysis.verdicts import Roots
from pathprobe.lab.servers.pki import CA, Issued
from pathprobe.model import TlsEvidence
from pathprobe.net.tls import cert_info
from pathprobe.planfields import Entry, parse_hostport
from pathprobe.probes.base import RunContext
from pathprobe.probes.direct import DirectProbe

ROOT = CA("Parsing Test Root")
ISSUED = ROOT.issue("odd.test")
GOOD = ISSUED.cert.public_bytes(Encoding.DER)

KEY_USAGE_OID = bytes.fromhex("0603551d0f")  # 2.5.29.15
SKI_OID = bytes.fromhex("0603551d0e")  # 2.5.29.14
SAN_DNS = b"\x82\x08odd.test"


def duplicate_extension(der: bytes) -> bytes:
    """The key-usage extension relabelled as a second subject key identifier."""
    assert der.count(KEY_USAGE_OID) == 1
    return der.replace(KEY_USAGE_OID, SKI_OID, 1)


def bad_san(der: bytes) -> bytes:
    """A dNSName that is not IA5 (bytes above 0x7f)."""
    assert der.count(SAN_DNS) == 1
    return der.replace(SAN_DNS, b"\x82\x08odd\xff\xfeest", 1)


def bad_utf8_subject(der: bytes) -> bytes:
    """The subject's UTF8String CN made invalid UTF-8."""
    cn = b"\x0c\x08odd.test"
    i = der.rfind(cn, 0, der.find(b"\x30\x59"))  # the subject's CN, before the public key
    assert i > 0
    return der[:i] + b"\x0c\x08odd\xff\xfeest" + der[i + len(cn):]


MALFORMED: dict[str, Callable[[bytes], bytes]] = {
    "duplicate_extension": duplicate_extension,
    "bad_san": bad_san,
    "bad_utf8_subject": bad_utf8_subject,
    "truncated": lambda der: der[: len(der) // 2],
    "garbage": lambda der: b"\x30\x03\x02\x01\x00" + os.urandom(40),
    "empty": lambda der: b"",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_cert_info_and_validation_never_raise(name: str) -> None:
    der = MALFORMED[name](GOOD)
    info = cert_info(der)
    assert info.der == der  # the raw certificate stays as evidence
    evidence = TlsEvidence("odd.test", "TLSv1.3", "", None, (info,))
    roots = RootSet.of("public", [ROOT.cert], "test")
    v = validate(evidence, "odd.test", roots)
    assert not v.valid
    assert v.failure == "ssl_invalid_certificate", v.failure


def test_malformed_intermediate_fails_validation_cleanly() -> None:
    inter = CA("Odd Intermediate", parent=ROOT)
    leaf = inter.issue("odd.test").cert.public_bytes(Encoding.DER)
    broken = duplicate_extension(inter.cert.public_bytes(Encoding.DER))
    evidence = TlsEvidence("odd.test", "TLSv1.3", "", None, (cert_info(leaf), cert_info(broken)))
    v = validate(evidence, "odd.test", RootSet.of("public", [ROOT.cert], "test"))
    assert (v.valid, v.failure) == (False, "ssl_invalid_certificate")


@contextmanager
def raw_tls_server(cert_der: bytes, issued: Issued) -> Iterator[int]:
    """A real TLS server (pyOpenSSL) presenting a certificate Python's ssl module would refuse to load."""
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate(x509.load_der_x509_certificate(cert_der))
    ctx.use_privatekey(issued.key)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            conn.setblocking(True)  # pyOpenSSL needs a blocking socket; the client's deadline ends it
            tls = SSL.Connection(ctx, conn)
            tls.set_accept_state()
            try:
                tls.do_handshake()
                tls.recv(4096)
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except (SSL.Error, OSError):
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        sock.close()


def test_real_handshake_with_duplicate_extensions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cryptography's DuplicateExtension is not a ValueError: the probe must still record the chain and
    fail validation with ssl_invalid_certificate, not unknown_failure."""
    broken = duplicate_extension(GOOD)
    with raw_tls_server(broken, ISSUED) as port:
        hosts = tmp_path / "hosts"
        hosts.write_text("127.0.0.1 odd.test\n")
        monkeypatch.setenv("PATHPROBE_HOSTS", str(hosts))
        site = f"odd.test:{port}"
        probe = DirectProbe.from_plan(Entry({"kind": "direct", "sites": [site]}, "plan.toml", 1))
        ctx = RunContext(timeout=3, sites=[parse_hostport(site)], controls=[])
        result = asyncio.run(probe.run(ctx))
    roots = RootSet.of("r", [ROOT.cert], "test")
    prof = analyse(result.paths, None, Roots(public=roots, device=roots, known=KnownRoots(()))).to_dict()
    target = prof["paths"][0]["targets"][0]
    assert (target["reachability"], target["tls"], target["failure"]) == (
        "blocked", "unverified", "ssl_invalid_certificate")
    tls_obs = [o for o in prof["observations"] if o["step"] == "tls"]
    assert tls_obs and tls_obs[0]["failure"] is None
    chain = tls_obs[0]["tls"]["chain"]
    assert len(chain) == 1 and chain[0]["sha256"] == cert_info(broken).sha256
