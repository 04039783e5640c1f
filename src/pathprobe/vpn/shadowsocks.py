"""Shadowsocks (AEAD) as a :class:`~pathprobe.net.stream.ByteStream` and a Dialer.

- URLs: SIP002 ``ss://BASE64URL(method:password)@host:port[/][?query][#tag]`` (Outline access keys
  are this form, with ``?outline=1``), SIP002 with percent-encoded ``method:password``, and the
  legacy ``ss://BASE64(method:password@host:port)#tag``. Plugins are refused (none is supported).
- Wire format (shadowsocks.org AEAD spec): the client sends a random salt, then chunks
  ``[encrypted 2-byte length][tag][encrypted payload][tag]`` (payload at most 0x3FFF bytes) under
  a subkey ``HKDF-SHA1(master key, salt, "ss-subkey")``; the master key comes from the password by
  OpenSSL's ``EVP_BytesToKey`` (MD5). Nonces are 12-byte little-endian counters, incremented after
  every encryption and decryption. The first payload starts with the target address in SOCKS5
  form, sent unresolved: the server resolves names (socks5h semantics).

A wrong password or cipher gets no answer at all from ss-server (the connection stays open and
silent), which :mod:`pathprobe.probes.vpn` reports honestly as ``unknown``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import os
import struct
import urllib.parse
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pathprobe.errors import BadSsUrl, NetFailure
from pathprobe.i18n import _
from pathprobe.model import HostPort
from pathprobe.net.sitecheck import Recorder, connect_any
from pathprobe.net.stream import ByteStream, recv_exactly
from pathprobe.vocab import Failure
from pathprobe.vpn import endpoint

CIPHERS: dict[str, int] = {
    # method -> key length (= salt length)
    "chacha20-ietf-poly1305": 32,
    "aes-256-gcm": 32,
    "aes-192-gcm": 24,
    "aes-128-gcm": 16,
}
MAX_PAYLOAD = 0x3FFF
TAG = 16


@dataclass(frozen=True)
class SsConfig:
    """A Shadowsocks server and its credentials (secret: never print this object's fields)."""

    server: HostPort
    method: str
    password: str

    def __repr__(self) -> str:
        return f"SsConfig(server={self.server!s}, method={self.method!r}, password=***)"


def _b64decode(text: str) -> bytes:
    s = text.strip().replace("-", "+").replace("_", "/")
    s += "=" * (-len(s) % 4)
    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise BadSsUrl(_("the user info is not valid base64 of method:password")) from None


def _split_userinfo(userinfo: str, encoded: bool) -> tuple[str, str]:
    if encoded:
        try:
            text = _b64decode(userinfo).decode("utf-8")
        except UnicodeDecodeError:
            raise BadSsUrl(_("the user info is not base64 of method:password")) from None
    else:
        text = urllib.parse.unquote(userinfo)
    method, sep, password = text.partition(":")
    if not sep or not method or not password:
        raise BadSsUrl(_("the user info must be method:password (base64), both non-empty"))
    return method.lower(), password


def _hostport(netloc: str) -> HostPort:
    from pathprobe.planfields import parse_hostport

    if not netloc:
        raise BadSsUrl(_("the server address is missing"))
    has_port = "]:" in netloc if netloc.startswith("[") else netloc.count(":") == 1
    if not has_port:
        raise BadSsUrl(_("the server address needs a port (host:port)"))
    try:
        return parse_hostport(netloc)
    except ValueError:
        raise BadSsUrl(_("the server address is not a valid host:port")) from None


def parse_ss_url(url: str) -> SsConfig:
    """Read an ``ss://`` URL; raises :class:`BadSsUrl` (message without secrets)."""
    if url.startswith("ssconf://"):
        raise BadSsUrl(_("ssconf:// (a dynamic Outline key) is a link to fetch the real ss:// key; "
                         "fetch it and give the ss:// key it holds"))
    if not url.startswith("ss://"):
        raise BadSsUrl(_("must start with ss://"))
    rest = url[len("ss://"):]
    rest, _sep, _tag = rest.partition("#")
    if "@" in rest:
        userinfo, _sep, hostpart = rest.rpartition("@")
        hostpart, _sep, query = hostpart.partition("?")
        hostpart = hostpart.rstrip("/")
        if "/" in hostpart:
            raise BadSsUrl(_("unexpected path after the server address"))
        params = urllib.parse.parse_qs(query, keep_blank_values=True)
        if params.get("plugin"):
            raise BadSsUrl(_("SIP003 plugins are not supported"))
        method, password = _split_userinfo(userinfo, encoded=":" not in urllib.parse.unquote(userinfo))
        server = _hostport(hostpart)
    else:
        # legacy: ss://BASE64(method:password@host:port)
        try:
            text = _b64decode(rest.split("?", 1)[0].rstrip("/")).decode("utf-8")
        except (BadSsUrl, UnicodeDecodeError):
            raise BadSsUrl(_("not a SIP002 URL (ss://userinfo@host:port) nor a legacy base64 one")) from None
        creds, sep, hostpart = text.rpartition("@")
        if not sep:
            raise BadSsUrl(_("not a SIP002 URL (ss://userinfo@host:port) nor a legacy base64 one"))
        method, password = _split_userinfo(creds, encoded=False)
        server = _hostport(hostpart)
    if method not in CIPHERS:
        raise BadSsUrl(_("cipher '{cipher}' is not supported; supported: {ciphers}", cipher=method,
                         ciphers=", ".join(CIPHERS)))
    return SsConfig(server=server, method=method, password=password)


def master_key(password: str, key_len: int) -> bytes:
    """OpenSSL's EVP_BytesToKey with MD5 and no salt (what every Shadowsocks client uses)."""
    pw = password.encode("utf-8")
    out = b""
    prev = b""
    while len(out) < key_len:
        prev = hashlib.md5(prev + pw).digest()
        out += prev
    return out[:key_len]


def subkey(key: bytes, salt: bytes) -> bytes:
    """The per-session key: HKDF-SHA1 of the master ``key`` with ``salt`` and info ``ss-subkey``."""
    return HKDF(algorithm=hashes.SHA1(), length=len(key), salt=salt, info=b"ss-subkey").derive(key)


class _Aead:
    """One direction's AEAD with its nonce counter."""

    def __init__(self, method: str, key: bytes) -> None:
        self.cipher = ChaCha20Poly1305(key) if method.startswith("chacha20") else AESGCM(key)
        self.counter = 0

    def _nonce(self) -> bytes:
        n = self.counter.to_bytes(12, "little")
        self.counter += 1
        return n

    def seal(self, data: bytes) -> bytes:
        return self.cipher.encrypt(self._nonce(), data, None)

    def open(self, data: bytes) -> bytes:
        try:
            return self.cipher.decrypt(self._nonce(), data, None)
        except InvalidTag:
            raise NetFailure(Failure.SHADOWSOCKS_INVALID_REPLY, "a chunk from the server did not authenticate") from None


def address_header(hp: HostPort) -> bytes:
    """The target in SOCKS5 address form; names stay names (the server resolves them)."""
    try:
        ip = ipaddress.ip_address(hp.host)
        addr = (b"\x01" if ip.version == 4 else b"\x04") + ip.packed
    except ValueError:
        name = hp.host.encode("idna")
        if len(name) > 255:
            raise NetFailure(Failure.SHADOWSOCKS_BAD_TARGET, "host name too long") from None
        addr = b"\x03" + bytes([len(name)]) + name
    return addr + struct.pack("!H", hp.port)


class ShadowsocksStream:
    """An AEAD Shadowsocks connection to ``target`` over ``inner`` (a TCP stream to the server)."""

    def __init__(self, inner: ByteStream, cfg: SsConfig, target: HostPort) -> None:
        self.inner = inner
        self.method = cfg.method
        self.key = master_key(cfg.password, CIPHERS[cfg.method])
        self.header = address_header(target)
        self.enc: _Aead | None = None
        self.dec: _Aead | None = None
        self.plain = b""
        self.eof = False
        self.bytes_received = 0

    def _chunks(self, data: bytes) -> bytes:
        assert self.enc is not None
        out = bytearray()
        for i in range(0, len(data), MAX_PAYLOAD):
            piece = data[i : i + MAX_PAYLOAD]
            out += self.enc.seal(struct.pack("!H", len(piece)))
            out += self.enc.seal(piece)
        return bytes(out)

    async def send(self, data: bytes) -> None:
        """Encrypt and send ``data`` in AEAD chunks; the first call also sends the salt and the
        target's address.
        """
        prefix = b""
        if self.enc is None:
            # The address goes with the first data, as real clients send it.
            salt = os.urandom(len(self.key))
            self.enc = _Aead(self.method, subkey(self.key, salt))
            prefix = salt
            data = self.header + data
        if data:
            await self.inner.send(prefix + self._chunks(data))

    async def _read(self, n: int) -> bytes:
        data = await recv_exactly(self.inner, n)
        self.bytes_received += n
        return data

    async def _next_chunk(self) -> bool:
        if self.dec is None:
            first = await self.inner.recv(len(self.key))
            if not first:
                return False
            self.bytes_received += len(first)
            missing = len(self.key) - len(first)
            salt = first + (await self._read(missing) if missing else b"")
            self.dec = _Aead(self.method, subkey(self.key, salt))
        head = await self.inner.recv(2 + TAG)
        if not head:
            return False
        self.bytes_received += len(head)
        if len(head) < 2 + TAG:
            head += await self._read(2 + TAG - len(head))
        (length,) = struct.unpack("!H", self.dec.open(head))
        if not 0 < length <= MAX_PAYLOAD:
            raise NetFailure(Failure.SHADOWSOCKS_INVALID_REPLY, "bad chunk length")
        self.plain += self.dec.open(await self._read(length + TAG))
        return True

    async def recv(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` of decrypted data; ``b""`` at end of stream. A chunk that does not
        authenticate or has a bad length raises ``shadowsocks_invalid_reply``; a stream cut inside
        a chunk raises ``eof_error``.
        """
        while not self.plain and not self.eof:
            try:
                more = await self._next_chunk()
            except NetFailure as exc:
                if exc.failure == Failure.EOF_ERROR:
                    raise NetFailure(Failure.EOF_ERROR, "the server closed the connection inside a chunk") from None
                raise
            if not more:
                self.eof = True
        out, self.plain = self.plain[:max_bytes], self.plain[max_bytes:]
        return out

    def close(self) -> None:
        """Close the TCP stream to the server."""
        self.inner.close()


class ShadowsocksDialer:
    """Reach sites through a Shadowsocks server (names resolved by the server, never locally)."""

    def __init__(self, cfg: SsConfig, *, label: str = "shadowsocks") -> None:
        self.cfg = cfg
        self.label = label
        self.streams: dict[str, ShadowsocksStream] = {}
        """The last stream dialled per target, so the probe can tell silence from an answer."""

    def __repr__(self) -> str:
        return f"ShadowsocksDialer({self.cfg!r})"

    async def dial(self, hp: HostPort, rec: Recorder) -> ByteStream:
        """TCP to the server (recorded); the target's address goes with the first data sent, so whether
        the server reaches it shows only when the stream is read.
        """
        addrs = await endpoint.resolve(self.cfg.server, rec, "proxy")
        tcp = await connect_any(addrs, self.cfg.server.port, rec)
        stream = ShadowsocksStream(tcp, self.cfg, hp)
        self.streams[str(hp)] = stream
        return stream
