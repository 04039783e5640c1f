"""One TLS handshake over any :class:`ByteStream`, capturing the whole presented chain.

Python 3.11's :mod:`ssl` does not expose the peer's chain, so the handshake runs in pyOpenSSL over a
memory BIO: we shuttle bytes between OpenSSL and the stream ourselves. That keeps everything async
(the caller's deadline cancels it at any point), caps how much a hostile server can make us read, and
works the same over TCP, SOCKS, Shadowsocks or Tor. Nothing is verified during the handshake; the
chain is checked afterwards, offline, against each root set (:mod:`pathprobe.analysis.validate`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID
from OpenSSL import SSL, crypto

from pathprobe.errors import NetFailure
from pathprobe.model import CertInfo, TlsEvidence
from pathprobe.net.stream import ByteStream
from pathprobe.vocab import Failure

MAX_HANDSHAKE_BYTES = 256 * 1024
"""A server that needs more than this to finish its handshake is hostile (huge chain or cert)."""
MAX_CHAIN_CERTS = 64
_READ_CHUNK = 16384
T = TypeVar("T")


def _make_context(alpn: list[bytes] | None) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE)
    ctx.set_min_proto_version(SSL.TLS1_VERSION)
    ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)  # never resume: a resumed session shows no chain
    if alpn:
        ctx.set_alpn_protos(alpn)
    return ctx


_CONTEXTS: dict[tuple[bytes, ...], SSL.Context] = {}


def _context(alpn: list[bytes] | None) -> SSL.Context:
    """One context per ALPN list, shared by every connection: making one costs as much as a third of
    a handshake, and nothing in it is per connection (no verification, no session reuse)."""
    key = tuple(alpn or ())
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        ctx = _CONTEXTS[key] = _make_context(list(key) or None)
    return ctx


_UNPARSEABLE = "(unparseable)"


def _safe(read: Callable[[], T], default: T) -> T:
    """One field of a certificate from the network. cryptography parses lazily and reports malformed
    parts with its own exception classes (``DuplicateExtension``, ``UnsupportedGeneralNameType``, ...),
    not only ``ValueError``: a certificate that cannot be described is still evidence, never a crash."""
    try:
        return read()
    except Exception:
        return default


def cert_info(der: bytes) -> CertInfo:
    """Describe one DER certificate; never raises on odd certificates (the DER is always kept)."""
    sha = hashlib.sha256(der).hexdigest()
    cert = _safe(lambda: x509.load_der_x509_certificate(der), None)
    if cert is None:
        return CertInfo(der, sha, "", _UNPARSEABLE, _UNPARSEABLE, "", "", (), False)

    def spki() -> str:
        key = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(key).hexdigest()

    def san() -> tuple[str, ...]:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return tuple(str(n) for n in ext.value.get_values_for_type(x509.DNSName))[:100]

    def has_sct() -> bool:
        cert.extensions.get_extension_for_oid(ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS)
        return True

    return CertInfo(
        der=der,
        sha256=sha,
        spki_sha256=_safe(spki, ""),
        subject=_safe(lambda: cert.subject.rfc4514_string(), _UNPARSEABLE)[:512],
        issuer=_safe(lambda: cert.issuer.rfc4514_string(), _UNPARSEABLE)[:512],
        not_before=_safe(lambda: cert.not_valid_before_utc.isoformat(), ""),
        not_after=_safe(lambda: cert.not_valid_after_utc.isoformat(), ""),
        san=_safe(san, ()),
        has_sct=_safe(has_sct, False),
    )


class TlsStream:
    """A client TLS session over a :class:`ByteStream`; itself a :class:`ByteStream`."""

    def __init__(self, inner: ByteStream, sni: str, alpn: list[bytes] | None = None) -> None:
        self.inner = inner
        self.sni = sni
        self.conn = SSL.Connection(_context(alpn), None)
        try:
            self.conn.set_tlsext_host_name(sni.encode("idna"))
        except UnicodeError:
            self.conn.set_tlsext_host_name(sni.encode("ascii", "replace"))
        self.conn.set_connect_state()
        self.received = 0

    async def _flush(self) -> None:
        while True:
            try:
                out = self.conn.bio_read(_READ_CHUNK)
            except SSL.WantReadError:
                return
            if not out:
                return
            await self.inner.send(out)

    async def _pull(self, cap: int | None) -> None:
        data = await self.inner.recv(_READ_CHUNK)
        if not data:
            raise NetFailure(Failure.EOF_ERROR, "the server closed the connection")
        self.received += len(data)
        if cap is not None and self.received > cap:
            raise NetFailure(Failure.SSL_CHAIN_TOO_LARGE, "handshake larger than the cap")
        self.conn.bio_write(data)

    async def handshake(self) -> TlsEvidence:
        """Complete the handshake (no verification) and return what was presented."""
        while True:
            try:
                self.conn.do_handshake()
                break
            except SSL.WantReadError:
                await self._flush()
                await self._pull(MAX_HANDSHAKE_BYTES)
        await self._flush()
        return self.evidence()

    def evidence(self) -> TlsEvidence:
        """What the server presented: SNI, version, cipher, ALPN and the chain as sent (at most
        :data:`MAX_CHAIN_CERTS` certificates); call after :meth:`handshake`.
        """
        chain_x509 = self.conn.get_peer_cert_chain() or []
        if not chain_x509:
            leaf = self.conn.get_peer_certificate()
            chain_x509 = [leaf] if leaf is not None else []
        chain = tuple(
            cert_info(crypto.dump_certificate(crypto.FILETYPE_ASN1, c)) for c in chain_x509[:MAX_CHAIN_CERTS]
        )
        alpn = self.conn.get_alpn_proto_negotiated()
        return TlsEvidence(
            sni=self.sni,
            version=self.conn.get_protocol_version_name(),
            cipher=self.conn.get_cipher_name() or "",
            alpn=alpn.decode("ascii", "replace") if alpn else None,
            chain=chain,
        )

    async def send(self, data: bytes) -> None:
        """Encrypt ``data`` and write it to the inner stream."""
        self.conn.sendall(data)
        await self._flush()

    async def recv(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` of decrypted data; ``b""`` when the session or the inner stream ends
        (a failed read counts as the end).
        """
        while True:
            try:
                data = self.conn.recv(max_bytes)
            except SSL.WantReadError:
                await self._flush()
                try:
                    await self._pull(None)
                except NetFailure:
                    return b""
            except (SSL.ZeroReturnError, SSL.SysCallError):
                return b""
            else:
                return self._more(data, max_bytes)

    def _more(self, data: bytes, max_bytes: int) -> bytes:
        """``data`` and every further record already received (up to ``max_bytes`` in all): one read of
        the network gives one piece, however many TLS records it held, so a reader timing the pieces
        (the body's throughput, :func:`pathprobe.net.http1.measure_body`) sees arrivals, not records."""
        parts = [data]
        n = len(data)
        while data and n < max_bytes:
            try:
                data = self.conn.recv(max_bytes - n)
            except (SSL.WantReadError, SSL.ZeroReturnError, SSL.SysCallError):
                break
            parts.append(data)
            n += len(data)
        return b"".join(parts)

    def close(self) -> None:
        """Close the inner stream (no TLS close_notify is sent)."""
        self.inner.close()


async def http_status(stream: ByteStream, host: str, path: str = "/", max_header_bytes: int = 32768) -> int:
    """Send ``GET path`` and return the status code; reads headers only (capped), keeps no body."""
    req = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: pathprobe\r\nAccept: */*\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii", "replace")
    await stream.send(req)
    buf = b""
    while b"\r\n\r\n" not in buf and b"\n\n" not in buf:
        chunk = await stream.recv(4096)
        if not chunk:
            if buf:
                break
            raise NetFailure(Failure.EOF_ERROR, "no HTTP response")
        buf += chunk
        if len(buf) > max_header_bytes:
            raise NetFailure(Failure.HTTP_RESPONSE_TOO_LARGE, "HTTP headers larger than the cap")
    line = buf.split(b"\r\n", 1)[0].split(b"\n", 1)[0]
    parts = line.split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise NetFailure(Failure.HTTP_INVALID_RESPONSE, "not an HTTP response")
    return int(parts[1])
