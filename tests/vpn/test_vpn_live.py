"""The vpn probe against real servers (see conftest.py), through the real CLI, in our own namespace."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from vpnnet import PORT, VpnNet

from pathprobe.lab.servers import vpn as servers

pytestmark = pytest.mark.lab

ORIGIN = f"origin.vpn.test:{PORT['origin']}"
MITM = f"mitm.vpn.test:{PORT['mitm']}"


def _entry(name: str, protocol: str, **keys: Any) -> str:
    lines = ["[[probe]]", 'kind = "vpn"', f'name = "{name}"', f'protocol = "{protocol}"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n\n"


def plan_text(net: VpnNet) -> str:
    s = net.secrets
    ss = lambda port, method, pw, **kw: servers.ss_url("127.0.0.1", port, method, pw, **kw)  # noqa: E731
    lo = "127.0.0.1"
    return "".join(
        [
            _entry(
                "ss-chacha",
                "shadowsocks",
                sites=[ORIGIN],
                url=ss(
                    PORT["ss_chacha"],
                    "chacha20-ietf-poly1305",
                    s["ss_password"],
                    tag="Outline key",
                    outline=True,
                ),
            ),
            _entry(
                "ss-aes",
                "shadowsocks",
                sites=[ORIGIN, MITM],
                url=ss(PORT["ss_aes"], "aes-256-gcm", s["ss_password"]),
            ),
            _entry(
                "ss-wrong-password",
                "shadowsocks",
                sites=[ORIGIN],
                url=ss(PORT["ss_chacha"], "chacha20-ietf-poly1305", "not-the-password"),
            ),
            _entry("socks", "socks5", sites=[ORIGIN, MITM], url=f"socks5://{lo}:{PORT['socks']}"),
            _entry(
                "socks-auth",
                "socks5",
                sites=[ORIGIN],
                url=f"socks5h://alice:{s['socks_password']}@{lo}:{PORT['socks_auth']}",
            ),
            _entry(
                "socks-bad-auth",
                "socks5",
                sites=[ORIGIN],
                url=f"socks5://alice:nope@{lo}:{PORT['socks_auth']}",
            ),
            _entry("socks-down", "socks5", sites=[ORIGIN], url=f"socks5://{lo}:{PORT['socks_closed']}"),
            _entry("http", "http", sites=[ORIGIN, MITM], url=f"http://{lo}:{PORT['http']}"),
            _entry(
                "http-auth",
                "http",
                sites=[ORIGIN],
                url=f"http://bob:{s['http_password']}@{lo}:{PORT['http_auth']}",
            ),
            _entry("http-bad-auth", "http", sites=[ORIGIN], url=f"http://bob:nope@{lo}:{PORT['http_auth']}"),
            _entry("ovpn-udp", "openvpn", endpoint=f"{lo}:{PORT['ovpn_udp']}", transport="udp"),
            _entry("ovpn-tcp", "openvpn", endpoint=f"{lo}:{PORT['ovpn_tcp']}", transport="tcp"),
            _entry("ovpn-tlscrypt-udp", "openvpn", endpoint=f"{lo}:{PORT['ovpn_tc_udp']}", transport="udp"),
            _entry("ovpn-tlscrypt-tcp", "openvpn", endpoint=f"{lo}:{PORT['ovpn_tc_tcp']}", transport="tcp"),
            _entry("ovpn-closed-udp", "openvpn", endpoint=f"{lo}:{PORT['closed']}", transport="udp"),
            _entry("ovpn-closed-tcp", "openvpn", endpoint=f"{lo}:{PORT['closed']}", transport="tcp"),
            _entry(
                "wg",
                "wireguard",
                endpoint=f"{lo}:{PORT['wg']}",
                public_key=s["wg_server_public"],
                private_key=s["wg_peer_private"],
            ),
            _entry(
                "wg-wrong-key",
                "wireguard",
                endpoint=f"{lo}:{PORT['wg']}",
                public_key=s["wg_server_public"],
                private_key=s["wg_wrong_private"],
            ),
            _entry(
                "wg-public-key-only",
                "wireguard",
                endpoint=f"{lo}:{PORT['wg']}",
                public_key=s["wg_server_public"],
            ),
            _entry("wg-no-key", "wireguard", endpoint=f"{lo}:{PORT['wg']}"),
            _entry(
                "wg-psk",
                "wireguard",
                endpoint=f"{lo}:{PORT['wg']}",
                public_key=s["wg_server_public"],
                private_key=s["wg_psk_private"],
                preshared_key=s["wg_psk"],
            ),
            _entry(
                "wg-psk-missing",
                "wireguard",
                endpoint=f"{lo}:{PORT['wg']}",
                public_key=s["wg_server_public"],
                private_key=s["wg_psk_private"],
            ),
            _entry("censored-udp", "openvpn", endpoint=f"{lo}:{PORT['censored']}", transport="udp"),
            _entry("censored-tcp", "openvpn", endpoint=f"{lo}:{PORT['censored']}", transport="tcp"),
            _entry("udp-dropped", "openvpn", endpoint=f"{lo}:{PORT['udp_dropped']}", transport="udp"),
            _entry(
                "wg-closed", "wireguard", endpoint=f"{lo}:{PORT['closed']}", public_key=s["wg_server_public"]
            ),
        ]
    )


@pytest.fixture(scope="module")
def run(vpn_net: VpnNet) -> dict[str, Any]:
    plan = vpn_net.dir / "plan.toml"
    plan.write_text(plan_text(vpn_net))
    res = vpn_net.client(
        [
            sys.executable,
            "-m",
            "pathprobe",
            "check",
            "--plan",
            str(plan),
            "--json",
            "--public-roots",
            str(vpn_net.public_roots),
            "--device-roots",
            str(vpn_net.device_roots),
            "--timeout",
            "3",
            "--out",
            str(vpn_net.dir / "profile.json"),
        ]
    )
    assert res.returncode == 0, res.stderr
    return {
        "profile": json.loads(res.stdout),
        "stdout": res.stdout,
        "stderr": res.stderr,
        "plan": plan.read_text(),
    }


def path(run: dict[str, Any], pid: str) -> dict[str, Any]:
    return next(p for p in run["profile"]["paths"] if p["id"] == f"vpn:{pid}")


def target(p: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in p["targets"] if t["target"] == name)


@pytest.mark.parametrize("pid", ["ss-chacha", "socks-auth", "http-auth"])
def test_tunnel_to_a_public_origin_is_intact(run: dict[str, Any], pid: str) -> None:
    p = path(run, pid)
    assert (p["reachability"], p["tls"]) == ("reachable", "intact"), p
    assert target(p, ORIGIN)["signals"] == []


@pytest.mark.parametrize("pid", ["ss-aes", "socks", "http"])
def test_https_through_the_tunnel_is_checked_for_interception(run: dict[str, Any], pid: str) -> None:
    p = path(run, pid)
    assert (p["reachability"], p["tls"]) == ("reachable", "intercepted"), p
    assert target(p, ORIGIN)["tls"] == "intact"
    mitm = target(p, MITM)
    assert mitm["tls"] == "intercepted" and "device_trusted_not_public" in mitm["signals"]
    (finding,) = [f for f in run["profile"]["interception"] if f"vpn:{pid}" in f["paths"]]
    assert finding["host"] == "mitm.vpn.test"
    assert "CN=Device-only Inspection Root" in finding["issuer"] and finding["known_as"] is None


def test_names_are_resolved_by_the_far_side(run: dict[str, Any], vpn_net: VpnNet) -> None:
    # The client cannot resolve the origins' names at all ...
    res = vpn_net.python("import socket; socket.getaddrinfo('origin.vpn.test', 443)")
    assert res.returncode != 0
    # ... yet every tunnel reached them, and never asked a resolver for them.
    for o in run["profile"]["observations"]:
        if o["path"].startswith("vpn:") and o["target"] in (ORIGIN, MITM):
            assert o["step"] != "dns", o
    tls = [o for o in run["profile"]["observations"] if o["path"] == "vpn:ss-chacha" and o["step"] == "tls"]
    assert tls and tls[0]["failure"] is None and tls[0]["tls"]["sni"] == "origin.vpn.test"


def test_wrong_shadowsocks_password_is_unknown_not_blocked(run: dict[str, Any]) -> None:
    p = path(run, "ss-wrong-password")
    assert (p["reachability"], p["tls"]) == ("unknown", "unverified"), p
    assert "wrong password" in p["reason"]


@pytest.mark.parametrize("pid", ["socks-bad-auth", "http-bad-auth"])
def test_refused_proxy_credentials_are_unknown(run: dict[str, Any], pid: str) -> None:
    p = path(run, pid)
    assert p["reachability"] == "unknown" and "credentials" in p["reason"], p


def test_proxy_that_does_not_answer_is_blocked(run: dict[str, Any]) -> None:
    p = path(run, "socks-down")
    assert (p["reachability"], p["tls"]) == ("blocked", "unverified")
    assert target(p, ORIGIN)["failure"] == "connection_refused"


@pytest.mark.parametrize("pid", ["ovpn-udp", "ovpn-tcp"])
def test_openvpn_answers(run: dict[str, Any], pid: str) -> None:
    p = path(run, pid)
    assert (p["reachability"], p["tls"]) == ("reachable", "unverified"), p
    (t,) = p["targets"]
    assert t["role"] == "endpoint" and t["target"].endswith("/" + pid.split("-")[1])
    hs = [o for o in run["profile"]["observations"] if o["path"] == f"vpn:{pid}" and o["step"] == "handshake"]
    assert hs[-1]["detail"]["reply"] == "P_CONTROL_HARD_RESET_SERVER_V2"


@pytest.mark.parametrize("pid", ["ovpn-tlscrypt-udp", "ovpn-tlscrypt-tcp"])
def test_openvpn_with_tls_crypt_is_unknown_and_says_why(run: dict[str, Any], pid: str) -> None:
    p = path(run, pid)
    assert (p["reachability"], p["tls"]) == ("unknown", "unverified"), p
    assert "tls-crypt" in p["reason"] and "tls-auth" in p["reason"]
    assert p["targets"][0]["failure"] == ("generic_timeout_error" if pid.endswith("udp") else "eof_error")


@pytest.mark.parametrize("pid", ["ovpn-closed-udp", "ovpn-closed-tcp", "wg-closed"])
def test_closed_ports_are_blocked(run: dict[str, Any], pid: str) -> None:
    p = path(run, pid)
    assert p["reachability"] == "blocked" and p["targets"][0]["failure"] == "connection_refused", p
    assert "nothing listens there" in p["reason"]


def test_wireguard_with_a_peer_key_is_reachable(run: dict[str, Any]) -> None:
    p = path(run, "wg")
    assert (p["reachability"], p["tls"]) == ("reachable", "unverified"), p
    hs = [o for o in run["profile"]["observations"] if o["path"] == "vpn:wg" and o["step"] == "handshake"]
    assert hs[-1]["detail"]["reply"] == "response" and hs[-1]["detail"]["keys"] == "peer_key"


@pytest.mark.parametrize(
    ("pid", "words"),
    [
        ("wg-wrong-key", "does not know this device's key"),
        ("wg-public-key-only", "throwaway key"),
        ("wg-no-key", "without the server's public key"),
    ],
)
def test_wireguard_silence_is_unknown_and_says_why(run: dict[str, Any], pid: str, words: str) -> None:
    p = path(run, pid)
    assert (p["reachability"], p["tls"]) == ("unknown", "unverified"), p
    assert words in p["reason"]


def test_recommendation_prefers_an_intact_tunnel(run: dict[str, Any]) -> None:
    rec = run["profile"]["recommendation"]
    assert set(rec["ranked"]) == {"vpn:ss-chacha", "vpn:socks-auth", "vpn:http-auth"}


def test_no_secret_leaves_the_check(run: dict[str, Any], vpn_net: VpnNet) -> None:
    s = vpn_net.secrets
    secrets = [
        s["wg_psk"],
        s["wg_psk_private"],
        s["ss_password"],
        s["socks_password"],
        s["http_password"],
        s["wg_peer_private"],
        s["wg_wrong_private"],
        "not-the-password",
    ]
    # the ss:// user info as written in the plan (base64 of method:password)
    secrets += [
        line.split("ss://", 1)[1].split("@", 1)[0] for line in run["plan"].splitlines() if "ss://" in line
    ]
    assert len(secrets) == 11
    for secret in secrets:
        assert secret not in run["stdout"] and secret not in run["stderr"], secret


def test_shadowsocks_stream_carries_large_data_both_ciphers(vpn_net: VpnNet) -> None:
    """Chunking (0x3FFF), nonce counters and the reply direction, through the real ss-server."""
    code = f"""
import asyncio, os, time
from pathprobe.model import HostPort
from pathprobe.net.sitecheck import Recorder
from pathprobe.lab.servers import vpn as servers
from pathprobe.vpn import shadowsocks
async def one(port, method):
    url = servers.ss_url("127.0.0.1", port, method, {vpn_net.secrets["ss_password"]!r})
    cfg = shadowsocks.parse_ss_url(url)
    rec = Recorder("t", "echo", time.monotonic(), 5)
    s = await shadowsocks.ShadowsocksDialer(cfg).dial(HostPort("echo.vpn.test", {PORT["echo"]}), rec)
    data = os.urandom(300_000)
    got = bytearray()
    async def reader():
        while len(got) < len(data):
            chunk = await s.recv(65536)
            assert chunk
            got.extend(chunk)
    r = asyncio.create_task(reader())
    for i in range(0, len(data), 50_000):
        await s.send(data[i:i + 50_000])
    await asyncio.wait_for(r, 10)
    s.close()
    assert bytes(got) == data
    print(method, "ok", s.enc.counter, s.dec.counter)
async def main():
    await one({PORT["ss_chacha"]}, "chacha20-ietf-poly1305")
    await one({PORT["ss_aes"]}, "aes-256-gcm")
asyncio.run(main())
"""
    res = vpn_net.python(code)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split("\n")
    assert lines[0].startswith("chacha20-ietf-poly1305 ok") and lines[1].startswith("aes-256-gcm ok")
    enc = int(lines[0].split()[2])
    assert enc >= 2 * (300_000 // 0x3FFF)  # two nonces (length, payload) per chunk


def test_censor_resetting_tcp_but_passing_udp(run: dict[str, Any]) -> None:
    """The lab scenario in miniature: TCP to the OpenVPN port is reset, UDP to the same port passes."""
    tcp, udp = path(run, "censored-tcp"), path(run, "censored-udp")
    assert (udp["reachability"], udp["tls"]) == ("reachable", "unverified")
    assert tcp["reachability"] == "blocked" and tcp["targets"][0]["failure"] == "connection_refused"


def test_dropped_udp_is_honestly_unknown(run: dict[str, Any]) -> None:
    """A filtered UDP port looks like a tls-crypt server: the check says so instead of guessing."""
    p = path(run, "udp-dropped")
    assert p["reachability"] == "unknown" and "filtered port looks the same" in p["reason"]


def test_wireguard_with_a_preshared_key(run: dict[str, Any]) -> None:
    p = path(run, "wg-psk")
    assert p["reachability"] == "reachable"
    hs = [o for o in run["profile"]["observations"] if o["path"] == "vpn:wg-psk" and o["step"] == "handshake"]
    assert hs[-1]["detail"]["reply"] == "response"
    # Without the preshared key the server still answers this device's key, but cannot be authenticated.
    p = path(run, "wg-psk-missing")
    assert p["reachability"] == "reachable" and "preshared" in p["targets"][0]["note"]
    hs = [
        o
        for o in run["profile"]["observations"]
        if o["path"] == "vpn:wg-psk-missing" and o["step"] == "handshake"
    ]
    assert hs[-1]["detail"]["reply"] == "response_unauthenticated"
