"""Pure logic of the VPN modules: URL parsing, packet layouts, the Noise handshake's checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pathprobe.errors import BadKey, BadSsUrl
from pathprobe.lab.servers import vpn as servers
from pathprobe.model import HostPort
from pathprobe.vpn import openvpn, proxyurl, shadowsocks, wireguard

# --- Shadowsocks URLs ---


def test_sip002_url_with_outline_query_and_tag() -> None:
    url = servers.ss_url(
        "192.0.2.7", 443, "chacha20-ietf-poly1305", "pa:ss@w/rd", tag="Office key", outline=True
    )
    assert "?outline=1" in url and "#Office%20key" in url
    cfg = shadowsocks.parse_ss_url(url)
    assert (cfg.server, cfg.method, cfg.password) == (
        HostPort("192.0.2.7", 443),
        "chacha20-ietf-poly1305",
        "pa:ss@w/rd",
    )
    assert "pa:ss" not in repr(cfg)


def test_outline_access_key_as_written_by_outline_manager() -> None:
    # Outline access keys: base64url user info without padding, a trailing "/?outline=1".
    userinfo = base64.urlsafe_b64encode(b"chacha20-ietf-poly1305:Zm9vYmFy1234").decode().rstrip("=")
    cfg = shadowsocks.parse_ss_url(f"ss://{userinfo}@[2001:db8::5]:8443/?outline=1")
    assert cfg.server == HostPort("2001:db8::5", 8443)
    assert cfg.password == "Zm9vYmFy1234"


def test_percent_encoded_plain_userinfo_and_legacy_form() -> None:
    cfg = shadowsocks.parse_ss_url("ss://aes-256-gcm:p%40ss@ss.example.org:8388#x")
    assert (cfg.method, cfg.password, cfg.server.host) == ("aes-256-gcm", "p@ss", "ss.example.org")
    legacy = base64.b64encode(b"aes-128-gcm:secret@198.51.100.1:8388").decode()
    cfg = shadowsocks.parse_ss_url(f"ss://{legacy}#tag")
    assert (cfg.method, cfg.password, cfg.server) == ("aes-128-gcm", "secret", HostPort("198.51.100.1", 8388))


@pytest.mark.parametrize(
    "url",
    [
        "ss://",
        "ss://@1.2.3.4:1",
        "ss://bm9jb2xvbg@1.2.3.4:1",
        "ss://YWVzLTI1Ni1nY206cHc@1.2.3.4",
        "ss://YWVzLTI1Ni1nY206cHc@1.2.3.4:0",
        "ss://YWVzLTI1Ni1nY206cHc@1.2.3.4:1/path",
        "ss://bm90IGEgdXJs",
        "tcp://x",
    ],
)
def test_bad_ss_urls(url: str) -> None:
    with pytest.raises(BadSsUrl) as exc:
        shadowsocks.parse_ss_url(url)
    assert "pw" not in str(exc.value)


def test_evp_bytes_to_key_and_subkey_lengths() -> None:
    # EVP_BytesToKey(MD5): the first 16 bytes are MD5(password), the next MD5(first || password).
    k = shadowsocks.master_key("foobar", 32)
    first = hashlib.md5(b"foobar").digest()
    assert k == first + hashlib.md5(first + b"foobar").digest()
    assert len(shadowsocks.subkey(k, b"\x00" * 32)) == 32
    assert len(shadowsocks.master_key("x", 16)) == 16


def test_address_header_keeps_names_unresolved() -> None:
    assert shadowsocks.address_header(HostPort("example.org", 443)) == b"\x03\x0bexample.org\x01\xbb"
    assert shadowsocks.address_header(HostPort("192.0.2.1", 80)) == b"\x01\xc0\x00\x02\x01\x00\x50"


def test_proxy_urls() -> None:
    p = proxyurl.parse_proxy_url("socks5h://me:p%3Ass@proxy.example:1080", "socks5")
    assert (p.proxy, p.username, p.password) == (HostPort("proxy.example", 1080), "me", "p:ss")
    assert "p:ss" not in repr(p)
    p = proxyurl.parse_proxy_url("http://[::1]:3128/", "http")
    assert p.proxy == HostPort("::1", 3128) and p.username is None


# --- OpenVPN packets ---


def test_client_reset_matches_nmap_udp_probe() -> None:
    # nmap-service-probes "Probe UDP OpenVPN": 38 64c17801b89bcb8f 00 00000000
    assert openvpn.client_reset(bytes.fromhex("64c17801b89bcb8f")).hex() == "3864c17801b89bcb8f0000000000"


def test_parse_reply_from_a_real_openvpn_26() -> None:
    sid = bytes.fromhex("64c17801b89bcb8f")
    # Captured from OpenVPN 2.6.14 (UDP, server mode) answering the reset above.
    reset = bytes.fromhex("40dbed6c41bb1f1d96010000000064c17801b89bcb8f00000000")
    assert openvpn.parse_reply(reset, sid) == "P_CONTROL_HARD_RESET_SERVER_V2"
    assert openvpn.parse_reply(reset, bytes(8)) is None  # not our session
    assert openvpn.parse_reply(reset[:-4], sid) is None  # no packet-id
    wrong_ack = reset[:10] + b"\x00\x00\x00\x01" + reset[14:]
    assert openvpn.parse_reply(wrong_ack, sid) is None  # acks another packet
    ack = bytes.fromhex("28f2cd9fa339cad8150100000000a8b3dcbca61b95be")  # p2p server, busy: P_ACK_V1
    assert openvpn.parse_reply(ack, bytes.fromhex("a8b3dcbca61b95be")) == "P_ACK_V1"
    assert openvpn.parse_reply(b"HTTP/1.1 400 Bad Request\r\n\r\n", sid) is None


# --- WireGuard ---


def test_hchacha20_test_vector() -> None:
    # draft-irtf-cfrg-xchacha-03 §2.2.1
    out = wireguard.hchacha20(bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927"))
    assert out.hex() == "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"


def test_tai64n_is_monotonic_big_endian() -> None:
    a, b = wireguard.tai64n(1000.5), wireguard.tai64n(1000.75)
    assert struct.unpack(">Q", a[:8])[0] == 2**62 + 1000 and a < b


def _raw(k: X25519PrivateKey) -> bytes:
    return k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _respond(init: bytes, server: X25519PrivateKey, peer_pub: bytes, psk: bytes = bytes(32)) -> bytes:
    """An independent responder (whitepaper §5.4.2-5.4.3) to cross-check the initiator's crypto."""
    h_ = lambda *p: hashlib.blake2s(b"".join(p)).digest()  # noqa: E731
    mac = lambda k, d: hashlib.blake2s(d, digest_size=16, key=k).digest()  # noqa: E731

    def kdf(c: bytes, x: bytes, n: int) -> list[bytes]:
        t0 = hmac.new(c, x, hashlib.blake2s).digest()
        out, prev = [], b""
        for i in range(1, n + 1):
            prev = hmac.new(t0, prev + bytes([i]), hashlib.blake2s).digest()
            out.append(prev)
        return out

    spub = _raw(server)
    assert mac(h_(b"mac1----", spub), init[:116]) == init[116:132]
    c = h_(wireguard.CONSTRUCTION)
    h = h_(h_(c, wireguard.IDENTIFIER), spub)
    e_i = init[8:40]
    (c,) = kdf(c, e_i, 1)
    h = h_(h, e_i)
    c, k = kdf(c, server.exchange(X25519PublicKey.from_public_bytes(e_i)), 2)
    nonce0 = bytes(12)
    s_i = ChaCha20Poly1305(k).decrypt(nonce0, init[40:88], h)
    assert s_i == peer_pub
    h = h_(h, init[40:88])
    c, k = kdf(c, server.exchange(X25519PublicKey.from_public_bytes(s_i)), 2)
    ts = ChaCha20Poly1305(k).decrypt(nonce0, init[88:116], h)
    assert len(ts) == 12
    h = h_(h, init[88:116])
    eph = X25519PrivateKey.generate()
    e_r = _raw(eph)
    (c,) = kdf(c, e_r, 1)
    h = h_(h, e_r)
    (c,) = kdf(c, eph.exchange(X25519PublicKey.from_public_bytes(e_i)), 1)
    (c,) = kdf(c, eph.exchange(X25519PublicKey.from_public_bytes(s_i)), 1)
    c, tau, k = kdf(c, psk, 3)
    h = h_(h, tau)
    empty = ChaCha20Poly1305(k).encrypt(nonce0, b"", h)
    body = struct.pack("<B3xII", 2, 77, struct.unpack_from("<I", init, 4)[0]) + e_r + empty
    return body + mac(h_(b"mac1----", s_i), body) + bytes(16)


def test_initiation_is_accepted_by_a_responder_and_its_response_authenticated() -> None:
    server, peer = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    init = wireguard.initiation(_raw(server), peer.private_bytes_raw())
    assert len(init.packet) == 148 and init.packet[:4] == b"\x01\x00\x00\x00"
    resp = _respond(init.packet, server, _raw(peer))
    assert wireguard.check_answer(init, resp, _raw(server), peer.private_bytes_raw()) == "response"
    # Any flipped byte (index, ephemeral, sealed empty payload, mac1) is refused.
    for i in (8, 20, 50, 65):
        bad = bytearray(resp)
        bad[i] ^= 1
        assert wireguard.check_answer(init, bytes(bad), _raw(server), peer.private_bytes_raw()) is None
    # With a preshared key at the server: recognised (mac1 is keyed to our key) but unauthenticated,
    # unless we hold the same preshared key.
    psk = bytes(range(32))
    resp = _respond(init.packet, server, _raw(peer), psk)
    assert (
        wireguard.check_answer(init, resp, _raw(server), peer.private_bytes_raw())
        == "response_unauthenticated"
    )
    assert wireguard.check_answer(init, resp, _raw(server), peer.private_bytes_raw(), psk) == "response"
    # A response to another initiation (another ephemeral) does not authenticate.
    other = wireguard.initiation(_raw(server), peer.private_bytes_raw())
    other.sender = init.sender
    assert wireguard.check_answer(other, resp, _raw(server), peer.private_bytes_raw(), psk) == (
        "response_unauthenticated"
    )


def test_decode_key() -> None:
    keys = servers.wg_keypair()
    assert wireguard.public_of(wireguard.decode_key(keys.private)) == wireguard.decode_key(keys.public)
    for bad in ("", "abc", base64.b64encode(bytes(31)).decode(), "é" * 44):
        with pytest.raises(BadKey):
            wireguard.decode_key(bad)
    with pytest.raises(BadKey):
        wireguard.check_public_key(bytes(32))  # a low-order point
