"""Configurations for the real servers that the tests and the lab run behind VPN paths.

Each builder writes its files (keys, certificates, configuration) into a directory it is given and
returns a :class:`ServerSpec`: the command line, how to tell it is ready, and the follow-up commands
it needs. Nothing here starts a server with a default configuration: every server gets an explicit
configuration file, listens only where it is told, and (OpenVPN, WireGuard) creates its interface in
the network namespace it is started in. :func:`start` and :func:`wait_ready` run a spec, optionally
inside a namespace (``ip netns exec``).

The client side of each server (plan entries, keys, ``ss://`` URLs) comes from the same objects, so
a test or a lab scenario cannot disagree with its servers.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pathprobe.lab.servers import pki


@dataclass
class ServerSpec:
    """How to run one server."""

    name: str
    argv: list[str]
    ready_log: str | None = None
    """A line in its output that says it is ready."""
    ready_tcp: tuple[str, int] | None = None
    """An address that accepts TCP connections once it is ready."""
    then: list[list[str]] = field(default_factory=list)
    """Commands to run (in the same namespace) once it has started, before it is ready."""
    ready_cmd: list[str] | None = None
    """A command that succeeds once it is ready (after ``then``)."""
    log: Path | None = None


def _write(path: Path, data: str | bytes, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


# --- OpenVPN ---

def openvpn_static_key() -> str:
    """A 2048-bit OpenVPN static key (the format of ``openvpn --genkey``), for tls-crypt or tls-auth."""
    hexkey = os.urandom(256).hex()
    lines = [hexkey[i : i + 32] for i in range(0, len(hexkey), 32)]
    body = "\n".join(lines)
    return f"-----BEGIN OpenVPN Static key V1-----\n{body}\n-----END OpenVPN Static key V1-----\n"


def openvpn_server(
    directory: Path,
    ca: pki.CA,
    *,
    port: int,
    proto: Literal["udp", "tcp"] = "udp",
    local: str = "127.0.0.1",
    tls_crypt: bool = False,
    dev: Literal["tun", "null"] = "tun",
    subnet: str = "10.86.0.0",
    name: str = "openvpn",
) -> ServerSpec:
    """An OpenVPN 2.6 server in TLS mode with a certificate from ``ca``.

    ``dev="tun"`` runs a multi-client server (``server`` directive); it creates a tun device, so
    start it inside a network namespace. ``dev="null"`` is a point-to-point TLS server without any
    device, usable on the host's loopback: it answers the first peer's reset with
    P_CONTROL_HARD_RESET_SERVER_V2 and later peers with P_ACK_V1 while that session lasts.
    ``tls_crypt`` adds a fresh tls-crypt key: the server then answers no one without it.
    """
    d = directory / name
    d.mkdir(parents=True, exist_ok=True)
    leaf = ca.issue(f"{name}.vpn.test")
    _write(d / "ca.crt", ca.cert_pem())
    _write(d / "server.crt", leaf.chain_pem())
    _write(d / "server.key", leaf.key_pem())
    lines = [
        f"local {local}",
        f"port {port}",
        "proto " + ("udp" if proto == "udp" else "tcp-server"),
        f"ca {d / 'ca.crt'}",
        f"cert {d / 'server.crt'}",
        f"key {d / 'server.key'}",
        "dh none",
        "verb 3",
        "data-ciphers AES-256-GCM:CHACHA20-POLY1305",
    ]
    if dev == "tun":
        lines += ["dev tun", "topology subnet", f"server {subnet} 255.255.255.0"]
    else:
        lines += ["dev null", "tls-server"]
    if tls_crypt:
        _write(d / "tls-crypt.key", openvpn_static_key())
        lines.append(f"tls-crypt {d / 'tls-crypt.key'}")
    conf = _write(d / "server.conf", "\n".join(lines) + "\n")
    return ServerSpec(name=name, argv=["openvpn", "--config", str(conf)],
                      ready_log="Initialization Sequence Completed" if dev == "tun" else "link local",
                      log=d / "server.log")


# --- WireGuard ---

@dataclass(frozen=True)
class WgKeys:
    """A WireGuard key pair, base64 as ``wg genkey`` / ``wg pubkey`` print it."""

    private: str
    public: str

    def __repr__(self) -> str:
        return f"WgKeys(public={self.public!r}, private=***)"


def wg_keypair() -> WgKeys:
    """A fresh WireGuard key pair."""
    k = X25519PrivateKey.generate()
    pub = k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return WgKeys(base64.b64encode(k.private_bytes_raw()).decode(), base64.b64encode(pub).decode())


def wireguard_server(
    directory: Path,
    ifname: str,
    server: WgKeys,
    peers: list[str],
    *,
    port: int,
    address: str = "10.87.0.1/24",
    preshared: dict[str, str] | None = None,
) -> ServerSpec:
    """wireguard-go (userspace) on interface ``ifname``, knowing ``peers`` (public keys).

    ``preshared`` maps a peer's public key to its preshared key (``wg genpsk``: base64 of 32 random
    bytes, e.g. ``base64.b64encode(os.urandom(32))``).

    Needs ``/dev/net/tun`` and runs in the namespace it is started in; its control socket lives in
    the shared ``/var/run/wireguard``, so ``ifname`` (at most 15 characters) must be unique on the
    machine. wireguard-go opens its UDP port when the interface comes up (on all addresses of the
    namespace).
    """
    if not 1 <= len(ifname) <= 15:
        raise ValueError("interface names have 1 to 15 characters")
    d = directory / ifname
    d.mkdir(parents=True, exist_ok=True)
    lines = ["[Interface]", f"PrivateKey = {server.private}", f"ListenPort = {port}", ""]
    for i, peer in enumerate(peers, start=2):
        lines += ["[Peer]", f"PublicKey = {peer}", f"AllowedIPs = 10.87.{i // 250}.{i % 250}/32"]
        if preshared and peer in preshared:
            lines.append(f"PresharedKey = {preshared[peer]}")
        lines.append("")
    conf = _write(d / "wg.conf", "\n".join(lines))
    return ServerSpec(
        name=ifname,
        argv=["wireguard-go", "-f", ifname],
        then=[["wg", "setconf", ifname, str(conf)], ["ip", "address", "add", address, "dev", ifname],
              ["ip", "link", "set", ifname, "up"]],
        ready_cmd=["wg", "show", ifname, "listen-port"],
        log=d / "wireguard-go.log",
    )


# --- Shadowsocks ---

def ss_url(
    host: str, port: int, method: str, password: str, *, tag: str | None = None, outline: bool = False
) -> str:
    """A SIP002 ``ss://`` URL (user info base64url without padding, as Outline access keys write it)."""
    userinfo = base64.urlsafe_b64encode(f"{method}:{password}".encode()).decode().rstrip("=")
    h = f"[{host}]" if ":" in host else host
    url = f"ss://{userinfo}@{h}:{port}"
    if outline:
        url += "/?outline=1"
    if tag:
        url += "#" + urllib.parse.quote(tag)
    return url


def ss_server(directory: Path, *, port: int, password: str, method: str = "chacha20-ietf-poly1305",
              host: str = "127.0.0.1", name: str = "ss-server") -> ServerSpec:
    """shadowsocks-libev's ss-server (TCP only) with an explicit JSON configuration."""
    conf = {"server": host, "server_port": port, "password": password, "method": method,
            "timeout": 30, "mode": "tcp_only"}
    path = _write(directory / name / "config.json", json.dumps(conf))
    return ServerSpec(name=name, argv=["ss-server", "-c", str(path), "-v"], ready_tcp=(host, port),
                      log=directory / name / "ss-server.log")


# --- SOCKS5 and HTTP CONNECT proxies ---

def microsocks(directory: Path, *, port: int, host: str = "127.0.0.1", user: str | None = None,
               password: str | None = None, name: str = "microsocks") -> ServerSpec:
    """microsocks as a SOCKS5 proxy on ``host:port`` (with a user and password when both are given)."""
    argv = ["microsocks", "-i", host, "-p", str(port)]
    if user is not None and password is not None:
        argv += ["-u", user, "-P", password]
    (directory / name).mkdir(parents=True, exist_ok=True)
    return ServerSpec(name=name, argv=argv, ready_tcp=(host, port), log=directory / name / "microsocks.log")


def tinyproxy(directory: Path, *, port: int, host: str = "127.0.0.1", allow: tuple[str, ...] = ("127.0.0.1",),
              user: str | None = None, password: str | None = None, name: str = "tinyproxy") -> ServerSpec:
    """Debian's tinyproxy as an HTTP CONNECT proxy (foreground, explicit configuration, any port)."""
    d = directory / name
    lines = [
        "User nobody",
        "Group nogroup",
        f"Port {port}",
        f"Listen {host}",
        "Timeout 30",
        "MaxClients 50",
        "LogLevel Info",  # no LogFile: in the foreground (-d) it logs to its output
        "DisableViaHeader Yes",
        *[f"Allow {a}" for a in allow],
    ]
    if user is not None and password is not None:
        lines.append(f"BasicAuth {user} {password}")
    conf = _write(d / "tinyproxy.conf", "\n".join(lines) + "\n")
    return ServerSpec(name=name, argv=["tinyproxy", "-d", "-c", str(conf)], ready_tcp=(host, port),
                      log=d / "stdout.log")


# --- running a spec ---

def _in_ns(argv: list[str], netns: str | None) -> list[str]:
    return ["ip", "netns", "exec", netns, *argv] if netns else argv


def start(spec: ServerSpec, netns: str | None = None) -> subprocess.Popen[bytes]:
    """Start the server (its output goes to ``spec.log``); call :func:`wait_ready` next."""
    out = open(spec.log, "ab") if spec.log else subprocess.DEVNULL  # noqa: SIM115 - the child keeps it
    try:
        return subprocess.Popen(_in_ns(spec.argv, netns), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    finally:
        if spec.log:
            out.close()  # type: ignore[union-attr]


def _tcp_ready(addr: tuple[str, int], netns: str | None) -> bool:
    if netns is None:
        try:
            socket.create_connection(addr, timeout=0.5).close()
        except OSError:
            return False
        return True
    probe = f"import socket; socket.create_connection(({addr[0]!r}, {addr[1]}), timeout=0.5).close()"
    return subprocess.run(_in_ns(["python3", "-c", probe], netns), capture_output=True).returncode == 0


def wait_ready(
    spec: ServerSpec, proc: subprocess.Popen[bytes], netns: str | None = None, timeout: float = 10.0
) -> None:
    """Run the follow-up commands and wait until the server is ready; raise RuntimeError if it is not."""
    deadline = time.monotonic() + timeout
    pending = list(spec.then)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{spec.name} exited with {proc.returncode}; see {spec.log}")
        if pending:
            r = subprocess.run(_in_ns(pending[0], netns), capture_output=True)
            if r.returncode == 0:
                pending.pop(0)
                continue
        else:
            ok = True
            if spec.ready_log and spec.log:
                ok = spec.ready_log in spec.log.read_text(errors="replace")
            if ok and spec.ready_tcp:
                ok = _tcp_ready(spec.ready_tcp, netns)
            if ok and spec.ready_cmd:
                ok = subprocess.run(_in_ns(spec.ready_cmd, netns), capture_output=True).returncode == 0
            if ok:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{spec.name} was not ready within {timeout:.0f} s; see {spec.log}")
