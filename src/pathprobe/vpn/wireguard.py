"""WireGuard: a real Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake initiation (whitepaper §5.4).

With the server's public key and a private key the server knows as a peer, the server answers a
type-2 handshake response, which we authenticate (mac1, then the AEAD of its empty payload under
the keys only the real server can derive): ``reachable``. A cookie reply (type 3, the server is
under load) decrypts only with the server's public key and our mac1: also an answer.

WireGuard never answers anything else: initiations whose mac1 is not keyed to the server's public
key, and initiations from keys that are not its peers, are dropped in silence (wireguard-go
``RoutineHandshake``). So silence is ``unknown`` (a filtered port looks the same) and only an ICMP
port-unreachable (``connection_refused``) is evidence of blocking. Keys are never written anywhere.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import struct
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pathprobe.errors import BadKey, NetFailure
from pathprobe.i18n import _, ngettext
from pathprobe.model import HostPort, TargetMeasurement
from pathprobe.net import udp
from pathprobe.net.failures import classify
from pathprobe.net.sitecheck import Recorder
from pathprobe.vocab import Failure, Reachability, Step
from pathprobe.vpn import endpoint

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"
LABEL_COOKIE = b"cookie--"
INITIATION_LEN = 148
RESPONSE_LEN = 92
COOKIE_REPLY_LEN = 64

NOTE_NO_KEY = (
    "No answer, as expected: without the server's public key no WireGuard server answers anything "
    "(it drops packets whose mac1 is not keyed to its public key), so silence says nothing about "
    "blocking. Give public_key, and a private_key the server knows as a peer, to test the endpoint."
)
NOTE_NO_PEER_KEY = (
    "No answer, as expected: the server answers only peers it knows, and this check used a throwaway "
    "key (no private_key in the plan). Silence says nothing about blocking; a filtered port looks the "
    "same. Give a private_key the server knows as a peer to test the endpoint."
)
NOTE_SILENT = (
    "No answer to a valid handshake initiation. Either the port is filtered on the way, or the server "
    "does not know this device's key (WireGuard drops initiations from unknown peers in silence); "
    "nothing measured here tells them apart."
)
NOTE_REFUSED = (
    "The endpoint's port is closed (ICMP port unreachable): nothing listens there, or a firewall rejects it."
)
NOTE_PSK = (
    "The server answered this device's key, but its response did not authenticate: the peer probably "
    "has a preshared key (give preshared_key) other than the one used here."
)
NOTE_COOKIE = (
    "The server answered with a cookie reply (it is under load); the handshake itself was not completed."
)


def decode_key(text: str) -> bytes:
    """Base64 of exactly 32 bytes (as ``wg genkey`` / ``wg pubkey`` print it); never echoes the key."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadKey(_("must be base64 of 32 bytes (as `wg genkey` / `wg pubkey` print it)")) from None
    if len(raw) != 32:
        raise BadKey(ngettext("must be base64 of 32 bytes (as `wg pubkey` prints it), not of {n} byte",
                              "must be base64 of 32 bytes (as `wg pubkey` prints it), not of {n} bytes", len(raw)))
    return raw


def check_public_key(raw: bytes) -> None:
    """Reject a low-order point (no Diffie-Hellman with it is possible)."""
    try:
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
    except ValueError:
        raise BadKey(_("is not a usable X25519 public key")) from None


def public_of(private: bytes) -> bytes:
    """The raw 32-byte X25519 public key of a raw private key."""
    key = X25519PrivateKey.from_private_bytes(private)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- Noise primitives (whitepaper §5.4) ---

def _hash(*parts: bytes) -> bytes:
    h = hashlib.blake2s()
    for p in parts:
        h.update(p)
    return h.digest()


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.blake2s).digest()


def _kdf(chaining: bytes, data: bytes, n: int) -> list[bytes]:
    t0 = _hmac(chaining, data)
    out: list[bytes] = []
    prev = b""
    for i in range(1, n + 1):
        prev = _hmac(t0, prev + bytes([i]))
        out.append(prev)
    return out


def _mac(key: bytes, data: bytes) -> bytes:
    return hashlib.blake2s(data, digest_size=16, key=key).digest()


def _aead_nonce(counter: int) -> bytes:
    return b"\x00" * 4 + struct.pack("<Q", counter)


def _dh(private: X25519PrivateKey, public: bytes) -> bytes:
    return private.exchange(X25519PublicKey.from_public_bytes(public))


def tai64n(now: float | None = None) -> bytes:
    """The 12-byte TAI64N timestamp of ``now`` (seconds since the epoch; default: the current time)."""
    t = time.time() if now is None else now
    sec = int(t)
    return struct.pack(">QI", 2**62 + sec, int((t - sec) * 1e9))


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    """HChaCha20 from the ChaCha20 keystream: the permuted state is the block minus the input."""
    block = Cipher(algorithms.ChaCha20(key, nonce16), mode=None).encryptor().update(b"\x00" * 64)
    words = struct.unpack("<16I", block)
    init = struct.unpack("<4I", b"expand 32-byte k") + struct.unpack("<8I", key)
    init += struct.unpack("<4I", nonce16)
    state = [(w - i) & 0xFFFFFFFF for w, i in zip(words, init, strict=True)]
    return struct.pack("<8I", *(state[0:4] + state[12:16]))


def xchacha20poly1305_decrypt(key: bytes, nonce24: bytes, data: bytes, ad: bytes) -> bytes:
    """Decrypt and authenticate ``data`` (a WireGuard cookie reply); raises
    ``cryptography.exceptions.InvalidTag`` when it does not authenticate.
    """
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).decrypt(b"\x00" * 4 + nonce24[16:], data, ad)


@dataclass
class Initiation:
    """One handshake initiation and the state needed to check its answer."""

    packet: bytes
    sender: int
    chaining: bytes
    hash: bytes
    ephemeral: X25519PrivateKey
    mac1: bytes


def initiation(server_public: bytes, static_private: bytes, *, now: float | None = None) -> Initiation:
    """Build a handshake initiation (message type 1, 148 bytes, mac2 zero: we hold no cookie)."""
    static = X25519PrivateKey.from_private_bytes(static_private)
    static_pub = static.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    c = _hash(CONSTRUCTION)
    h = _hash(c, IDENTIFIER)
    h = _hash(h, server_public)
    eph = X25519PrivateKey.generate()
    eph_pub = eph.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    (c,) = _kdf(c, eph_pub, 1)
    h = _hash(h, eph_pub)
    c, k = _kdf(c, _dh(eph, server_public), 2)
    enc_static = ChaCha20Poly1305(k).encrypt(_aead_nonce(0), static_pub, h)
    h = _hash(h, enc_static)
    c, k = _kdf(c, _dh(static, server_public), 2)
    enc_time = ChaCha20Poly1305(k).encrypt(_aead_nonce(0), tai64n(now), h)
    h = _hash(h, enc_time)
    sender = struct.unpack("<I", os.urandom(4))[0]
    body = struct.pack("<B3xI", 1, sender) + eph_pub + enc_static + enc_time
    mac1 = _mac(_hash(LABEL_MAC1, server_public), body)
    packet = body + mac1 + b"\x00" * 16
    assert len(packet) == INITIATION_LEN
    return Initiation(packet, sender, c, h, eph, mac1)


def check_answer(
    init: Initiation, data: bytes, server_public: bytes, static_private: bytes, psk: bytes | None = None
) -> str | None:
    """What ``data`` is, if it answers ``init``.

    ``"response"``: an authenticated type-2 response. ``"response_unauthenticated"``: a type-2
    response to our index whose mac1 is keyed to our public key (only a server that knows this
    device as a peer can compute it) but whose sealed payload does not open: a different preshared
    key. ``"cookie"``: a cookie reply that decrypts under the server's key. Otherwise None.
    """
    if len(data) == COOKIE_REPLY_LEN and data[:4] == b"\x03\x00\x00\x00":
        (receiver,) = struct.unpack_from("<I", data, 4)
        if receiver != init.sender:
            return None
        try:
            xchacha20poly1305_decrypt(_hash(LABEL_COOKIE, server_public), data[8:32], data[32:64], init.mac1)
        except InvalidTag:
            return None
        return "cookie"
    if len(data) != RESPONSE_LEN or data[:4] != b"\x02\x00\x00\x00":
        return None
    _sender_r, receiver = struct.unpack_from("<II", data, 4)
    if receiver != init.sender:
        return None
    static = X25519PrivateKey.from_private_bytes(static_private)
    static_pub = static.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if not hmac.compare_digest(data[60:76], _mac(_hash(LABEL_MAC1, static_pub), data[:60])):
        return None
    eph_r = data[12:44]
    c, = _kdf(init.chaining, eph_r, 1)
    h = _hash(init.hash, eph_r)
    try:
        c, = _kdf(c, _dh(init.ephemeral, eph_r), 1)
        c, = _kdf(c, _dh(static, eph_r), 1)
    except ValueError:
        return None
    c, tau, k = _kdf(c, psk or b"\x00" * 32, 3)
    h = _hash(h, tau)
    try:
        ChaCha20Poly1305(k).decrypt(_aead_nonce(0), data[44:60], h)
    except InvalidTag:
        return "response_unauthenticated"
    return "response"


async def check_wireguard(
    hp: HostPort,
    server_public: bytes | None,
    private: bytes | None,
    path: str,
    t0: float,
    timeout: float,
    psk: bytes | None = None,
) -> TargetMeasurement:
    """One endpoint: as much as can be known with the keys given (see the module docstring)."""
    target = endpoint.label(hp, "udp")
    rec = Recorder(path, target, t0, timeout)

    def result(reach: Reachability, failure: str | None, note: str | None, latency: float | None = None) -> TargetMeasurement:
        return endpoint.outcome(rec, reach, failure, note, latency)

    try:
        addrs = await endpoint.resolve(hp, rec, "endpoint")
    except NetFailure as exc:
        return result(Reachability.BLOCKED, exc.failure, None)
    inits: dict[int, Initiation] = {}
    keyed = server_public is not None
    static = private if private is not None else X25519PrivateKey.generate().private_bytes_raw()

    def request() -> bytes:
        if server_public is None:
            # Well-formed length and type, random content: no server can answer it (mac1 is wrong).
            return b"\x01\x00\x00\x00" + os.urandom(INITIATION_LEN - 4)
        init = initiation(server_public, static)
        inits[init.sender] = init
        return init.packet

    def accept(data: bytes) -> str | None:
        if server_public is None or len(data) < 8:
            return None
        init = inits.get(struct.unpack_from("<I", data, 4 if data[0] == 3 else 8)[0])
        return check_answer(init, data, server_public, static, psk) if init else None

    mode = "peer_key" if private is not None else ("public_key_only" if keyed else "no_key")
    detail: dict[str, object] = {"protocol": "wireguard", "transport": "udp", "keys": mode}
    stats = udp.ExchangeStats()
    addr = endpoint.address(addrs[0], hp.port)
    start = rec.now_ms()
    try:
        async with asyncio.timeout(timeout):
            answer = await udp.exchange(addrs[0], hp.port, request, accept, stats)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        failure = classify(exc)
        rec.add(Step.HANDSHAKE, start, failure, address=addr,
                detail={**detail, "datagrams_sent": stats.sent, "datagrams_ignored": stats.ignored})
        if failure == Failure.CONNECTION_REFUSED:
            return result(Reachability.BLOCKED, failure, NOTE_REFUSED)
        if failure == Failure.GENERIC_TIMEOUT_ERROR:
            silent = NOTE_SILENT if private is not None else (NOTE_NO_PEER_KEY if keyed else NOTE_NO_KEY)
            return result(Reachability.UNKNOWN, failure, silent)
        return result(Reachability.BLOCKED, failure, None)
    obs = rec.add(Step.HANDSHAKE, start, None, address=addr,
                  detail={**detail, "reply": answer, "datagrams_sent": stats.sent})
    note = {"cookie": NOTE_COOKIE, "response_unauthenticated": NOTE_PSK}.get(answer)
    return result(Reachability.REACHABLE, None, note, obs.duration_ms)
