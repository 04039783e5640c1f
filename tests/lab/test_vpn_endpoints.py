"""The vpn-endpoints scenario end to end (root): real OpenVPN, wireguard-go, ss-server, microsocks and
tinyproxy in pp-inet, a censor that resets TCP 1194 and intercepts HTTPS to two sites.

``lab check vpn-endpoints`` must meet every expectation (written in the scenario from DESIGN.md and
docs/vpn.md), and no secret the lab made for the plan (WireGuard keys, the Shadowsocks key) may show
up in what the lab prints, the profile, or any log. A second test brings the lab up and measures the
ground truth the expectations rest on, without pathprobe's probes: the censor (not the server) is
what refuses TCP 1194, the tls-crypt server is running, and the WireGuard server knows the plan's
good key and not the wrong one.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pathprobe.lab import world as w

from .conftest import LabRunner, assert_clean, need_kinds, pid_alive

pytestmark = pytest.mark.lab

SCENARIO = "vpn-endpoints"
HOLD_SECRETS = {"plan.toml", "config.json", "wg.conf"}
"""The run directory's files that must hold secrets (owner-only, never printed)."""


def _public_of(private_b64: str) -> str:
    key = X25519PrivateKey.from_private_bytes(base64.b64decode(private_b64))
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def _plan_secrets(plan: dict[str, Any]) -> dict[str, str]:
    """Every secret the lab put in the plan (and the server's public key, which is not printed either)."""
    by_name = {p.get("name"): p for p in plan["probe"] if p["kind"] == "vpn"}
    out = {
        "wg private key": by_name["wg"]["private_key"],
        "wrong wg private key": by_name["wg-wrong-key"]["private_key"],
        "wg server public key": by_name["wg"]["public_key"],
        "ss:// URL": by_name["ss"]["url"],
    }
    url = out["ss:// URL"]
    userinfo = url[len("ss://") : url.index("@")]
    out["ss:// user info"] = userinfo
    out["ss password"] = (
        base64.urlsafe_b64decode(userinfo + "=" * (-len(userinfo) % 4)).decode().split(":", 1)[1]
    )
    return out


def _run_dir(out: str) -> Path:
    m = re.search(r"profile in (\S+)/profile\.json\)", out)
    assert m, out
    return Path(m.group(1))


def test_vpn_endpoints_verdicts_and_no_secret_anywhere(lab: LabRunner) -> None:
    need_kinds(SCENARIO)
    cli, profile = lab.check(SCENARIO)
    assert cli.rc == 0, cli.text()
    assert "FAIL" not in cli.out and "expectations met" in cli.out, cli.text()
    assert profile is not None
    assert_clean()

    run = _run_dir(cli.out)
    secrets = _plan_secrets(tomllib.loads((run / "plan.toml").read_text()))
    assert all(len(v) >= 16 for v in secrets.values())
    assert secrets["wg private key"] != secrets["wrong wg private key"]
    texts = {"lab check stdout": cli.out, "lab check stderr": cli.err, "profile": json.dumps(profile)}
    for f in sorted(run.rglob("*")):
        if f.is_file() and f.name not in HOLD_SECRETS and not f.name.endswith((".key", ".key.pem")):
            texts[str(f.relative_to(run))] = f.read_text("utf-8", errors="replace")
    assert "wireguard/log" in texts and "shadowsocks/log" in texts and "check.log" in texts
    leaks = [
        f"{what} in {where}" for where, text in texts.items() for what, s in secrets.items() if s in text
    ]
    assert leaks == []
    for name in HOLD_SECRETS:
        for f in run.rglob(name):
            assert f.stat().st_mode & 0o077 == 0, f"{f} is readable by others"
    assert run.stat().st_mode & 0o077 == 0, "the run directory (plan with keys) is the owner's only"

    # The honest explanations reach the path's reason too (what `profile show` prints).
    paths = {p["id"]: p for p in profile["paths"]}
    assert "tls-crypt" in paths["vpn:ovpn-tlscrypt"]["reason"]
    assert "does not know this device's key" in paths["vpn:wg-wrong-key"]["reason"]


def _in_ns(ns: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", code], capture_output=True, text=True, timeout=30
    )


CONNECT = """
import socket, sys
s = socket.socket(); s.settimeout(3)
try:
    s.connect(({addr!r}, {port}))
    print("connected")
except OSError as exc:
    print(type(exc).__name__)
"""


def test_ground_truth_behind_the_verdicts(clean_lab: LabRunner) -> None:
    need_kinds(SCENARIO)
    up = clean_lab.run("up", SCENARIO)
    assert up.rc == 0, up.text()
    state = clean_lab.state_json()
    assert state is not None
    run = Path(state["run_dir"])
    services = {s["instance"]: s for s in state["services"]}
    for kind in (
        "openvpn-udp",
        "openvpn-tcp",
        "openvpn-tlscrypt",
        "wireguard",
        "shadowsocks",
        "socks5",
        "http-proxy",
    ):
        assert kind in services and pid_alive(services[kind]["pid"]), kind

    # TCP 1194: refused from the client (the censor's reset), accepted inside the internet.
    probe = CONNECT.format(addr=w.OPENVPN_ADDR, port=w.OPENVPN_PORT)
    assert _in_ns(w.CLIENT_NS, probe).stdout.strip() == "ConnectionRefusedError"
    assert _in_ns(w.INET_NS, probe).stdout.strip() == "connected"
    # The silent OpenVPN server runs with tls-crypt (its silence is the server's, not a filter's).
    conf = (run / "openvpn-tlscrypt" / "server" / "server.conf").read_text()
    assert re.search(r"^tls-crypt ", conf, re.M) and f"port {w.OPENVPN_TLSCRYPT_PORT}" in conf
    assert "tls-crypt" not in (run / "openvpn-udp" / "server" / "server.conf").read_text()

    # WireGuard knows exactly one peer: the plan's good key, not the wrong one.
    plan = tomllib.loads((run / "plan.toml").read_text())
    secrets = _plan_secrets(plan)
    peers = subprocess.run(
        ["ip", "netns", "exec", w.INET_NS, "wg", "show", w.wg_ifname(), "peers"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout.split()
    assert peers == [_public_of(secrets["wg private key"])]
    assert _public_of(secrets["wrong wg private key"]) not in peers
    server_pub = subprocess.run(
        ["ip", "netns", "exec", w.INET_NS, "wg", "show", w.wg_ifname(), "public-key"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout.strip()
    assert server_pub == secrets["wg server public key"]

    # The Shadowsocks key in the plan is the server's.
    ss_conf = json.loads((run / "shadowsocks" / "ss-server" / "config.json").read_text())
    assert ss_conf["password"] == secrets["ss password"]
    assert f"@{w.SHADOWSOCKS_ADDR}:{ss_conf['server_port']}" in secrets["ss:// URL"]

    down = clean_lab.run("down")
    assert down.rc == 0, down.text()
    assert_clean()
    assert not Path("/var/run/wireguard", f"{w.wg_ifname()}.sock").exists(), "wireguard-go's socket is left"
