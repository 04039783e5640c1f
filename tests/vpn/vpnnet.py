"""Real VPN servers and proxies in a network namespace of our own (pp-vpn-*), for the live tests.

Everything listens on the namespace's own loopback: ss-server (two ciphers), microsocks (with and
without credentials), tinyproxy (with and without credentials), OpenVPN 2.6 (UDP, TCP, and both with
tls-crypt), wireguard-go, and HTTPS origins with certificates from :class:`pathprobe.lab.servers.pki.CA`. The
origins' names exist only in the namespace's hosts file, which the servers see (``ip netns exec``
bind-mounts it) but the client does not (it enters only the network namespace with ``nsenter``):
so a site reached through a tunnel proves the far side resolved its name.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pathprobe.lab.servers import pki
from pathprobe.lab.servers import vpn as servers

SRC = Path(__file__).resolve().parents[2] / "src"
HERE = Path(__file__).resolve().parent
BINARIES = ("ip", "nsenter", "ss-server", "microsocks", "tinyproxy", "openvpn", "wireguard-go", "wg")

PORT = {
    "ovpn_udp": 18601,
    "ovpn_tcp": 18602,
    "ovpn_tc_udp": 18603,
    "ovpn_tc_tcp": 18604,
    "censored": 18605,
    "udp_dropped": 18606,
    "closed": 18609,
    "origin": 18610,
    "mitm": 18611,
    "echo": 18612,
    "ss_chacha": 18620,
    "ss_aes": 18621,
    "socks": 18630,
    "socks_auth": 18631,
    "socks_closed": 18639,
    "http": 18640,
    "http_auth": 18641,
    "wg": 18650,
}
NAMES = ("origin.vpn.test", "mitm.vpn.test", "echo.vpn.test")


@dataclass
class VpnNet:
    ns: str
    dir: Path
    public_roots: Path
    device_roots: Path
    secrets: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def client(self, argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a command as a client in the namespace (network only: the host's /etc/hosts)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(SRC),
            "PATHPROBE_ACCEPT_RISK": "1",
            "XDG_CONFIG_HOME": str(self.dir / "config"),
            "HOME": str(self.dir),
        }
        return subprocess.run(
            ["nsenter", f"--net=/run/netns/{self.ns}", *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        return self.client([sys.executable, "-c", code])


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        return f"missing: {', '.join(missing)} (scripts/setup.sh installs them)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun (OpenVPN and wireguard-go need it)"
    return None


@pytest.fixture(scope="session")
def vpn_net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VpnNet]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    ns = f"pp-vpn-t{os.getpid()}"
    d = tmp_path_factory.mktemp("vpnnet")
    etc = Path("/etc/netns") / ns
    public_ca = pki.CA("pathprobe VPN test public root", "pathprobe tests")
    device_ca = pki.CA("Device-only Inspection Root", "Some Middlebox")
    net = VpnNet(ns, d, d / "public.pem", d / "device.pem")
    net.public_roots.write_bytes(public_ca.cert_pem())
    net.device_roots.write_bytes(public_ca.cert_pem() + device_ca.cert_pem())
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "hosts").write_text("127.0.0.1 localhost " + " ".join(NAMES) + "\n::1 localhost\n")
        _start_all(net, public_ca, device_ca)
        yield net
    finally:
        for p in net.procs:
            p.terminate()
        for p in net.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        subprocess.run(["ip", "netns", "del", ns], check=False)
        shutil.rmtree(etc, ignore_errors=True)


def _start(net: VpnNet, spec: servers.ServerSpec) -> None:
    proc = servers.start(spec, net.ns)
    net.procs.append(proc)
    servers.wait_ready(spec, proc, net.ns)


def _start_all(net: VpnNet, public_ca: pki.CA, device_ca: pki.CA) -> None:
    d = net.dir
    origin = public_ca.issue("origin.vpn.test")
    mitm = device_ca.issue("mitm.vpn.test")
    files = {}
    for name, issued in (("origin", origin), ("mitm", mitm)):
        files[name] = (d / f"{name}.crt", d / f"{name}.key")
        files[name][0].write_bytes(issued.chain_pem())
        files[name][1].write_bytes(issued.key_pem())
    conf = {
        "tls": [{"port": PORT[n], "cert": str(files[n][0]), "key": str(files[n][1])} for n in files],
        "echo": [PORT["echo"]],
    }
    (d / "origin.json").write_text(json.dumps(conf))
    proc = subprocess.Popen(
        ["ip", "netns", "exec", net.ns, sys.executable, str(HERE / "vpn_origin.py"), str(d / "origin.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    net.procs.append(proc)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == b"ready", line

    s = net.secrets
    s["ss_password"] = "ss-" + os.urandom(9).hex()
    s["socks_password"] = "so-" + os.urandom(9).hex()
    s["http_password"] = "hp-" + os.urandom(9).hex()
    _start(net, servers.ss_server(d, port=PORT["ss_chacha"], password=s["ss_password"], name="ss-chacha"))
    _start(
        net,
        servers.ss_server(
            d, port=PORT["ss_aes"], password=s["ss_password"], method="aes-256-gcm", name="ss-aes"
        ),
    )
    _start(net, servers.microsocks(d, port=PORT["socks"]))
    _start(
        net,
        servers.microsocks(
            d, port=PORT["socks_auth"], user="alice", password=s["socks_password"], name="microsocks-auth"
        ),
    )
    _start(net, servers.tinyproxy(d, port=PORT["http"]))
    _start(
        net,
        servers.tinyproxy(
            d, port=PORT["http_auth"], user="bob", password=s["http_password"], name="tinyproxy-auth"
        ),
    )
    ca = pki.CA("pathprobe OpenVPN test CA")
    for key, proto, tc, subnet in (
        ("ovpn_udp", "udp", False, "10.86.1.0"),
        ("ovpn_tcp", "tcp", False, "10.86.2.0"),
        ("ovpn_tc_udp", "udp", True, "10.86.3.0"),
        ("ovpn_tc_tcp", "tcp", True, "10.86.4.0"),
    ):
        _start(
            net,
            servers.openvpn_server(
                d,
                ca,
                port=PORT[key],
                proto=proto,
                tls_crypt=tc,
                subnet=subnet,  # type: ignore[arg-type]
                name=key,
            ),
        )
    # The lab's scenario in miniature: a censor resets TCP to the OpenVPN port and passes UDP
    # (same port, both protocols served); and a normal server whose UDP port is silently dropped.
    _start(
        net,
        servers.openvpn_server(
            d, ca, port=PORT["censored"], proto="udp", subnet="10.86.5.0", name="censored_udp"
        ),
    )
    _start(
        net,
        servers.openvpn_server(
            d, ca, port=PORT["censored"], proto="tcp", subnet="10.86.6.0", name="censored_tcp"
        ),
    )
    _start(
        net,
        servers.openvpn_server(
            d, ca, port=PORT["udp_dropped"], proto="udp", subnet="10.86.7.0", name="udp_dropped"
        ),
    )
    for rule in (
        ["-p", "tcp", "--dport", str(PORT["censored"]), "-j", "REJECT", "--reject-with", "tcp-reset"],
        ["-p", "udp", "--dport", str(PORT["udp_dropped"]), "-j", "DROP"],
    ):
        subprocess.run(["ip", "netns", "exec", net.ns, "iptables", "-A", "INPUT", *rule], check=True)
    wg_server, wg_peer, wg_wrong = servers.wg_keypair(), servers.wg_keypair(), servers.wg_keypair()
    s["wg_server_public"] = wg_server.public
    s["wg_peer_private"] = wg_peer.private
    s["wg_wrong_private"] = wg_wrong.private
    s["wg_server_private"] = wg_server.private
    wg_psk_peer = servers.wg_keypair()
    s["wg_psk_private"] = wg_psk_peer.private
    s["wg_psk"] = base64.b64encode(os.urandom(32)).decode()
    _start(
        net,
        servers.wireguard_server(
            d,
            f"ppvpn{os.getpid() % 100000}",
            wg_server,
            [wg_peer.public, wg_psk_peer.public],
            port=PORT["wg"],
            preshared={wg_psk_peer.public: s["wg_psk"]},
        ),
    )
