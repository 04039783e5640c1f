"""A private Tor network from the real ``tor`` and ``obfs4proxy``: for the tests and the lab.

Three directory authorities, relays (the first one an exit), and an obfs4 bridge, all with
``TestingTorNetwork 1``, fast voting, ``UseDefaultFallbackDirs 0`` and only this network's own
``DirAuthority`` lines, so no node ever learns of, or contacts, the public Tor network. Keys (relay
identities, authority certificates, the bridge's obfs4 state) are made once and cached under
``~/.cache/pathprobe/tor-testnet`` (``$XDG_CACHE_HOME`` is honoured): key generation is the slow part.
Every run gets fresh data directories with the cached keys copied in.

Addresses are configurable so that the same builder runs on loopback (tests: ``127.0.0.1`` with
``OutboundBindAddress 127.0.0.1``) or inside the lab's "internet" namespace (``command_prefix`` =
``["ip", "netns", "exec", NS]``, one address per node if the censor must tell them apart)::

    net = TestNetwork(TestnetConfig(address="127.0.0.1", base_port=18500))
    net.start(workdir)                      # processes run in the background
    net.wait_ready(60)                      # a consensus lists every relay, with an exit
    torrc = net.client_torrc()              # the plan's [probe.torrc] table for clients
    line = net.obfs4_bridge_line()          # the bridge's line, for a tor:obfs4 plan
    net.stop()                              # by PID; also on interpreter exit

Ports: node ``i`` (authorities first, then relays, then the bridge) uses ``base_port + 2*i`` for its
ORPort and ``base_port + 2*i + 1`` for its DirPort (authorities) or obfs4 listener (the bridge).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FAST_VOTING: dict[str, str] = {
    "TestingV3AuthInitialVotingInterval": "5",
    "TestingV3AuthInitialVoteDelay": "2",
    "TestingV3AuthInitialDistDelay": "2",
    "V3AuthVotingInterval": "10",
    "V3AuthVoteDelay": "2",
    "V3AuthDistDelay": "2",
}
"""Votes every 10 s (tor aligns them to the wall clock): the network is usable in 8-22 s."""

COMMON: dict[str, str] = {
    "TestingTorNetwork": "1",
    "UseDefaultFallbackDirs": "0",
    "AssumeReachable": "1",
    "TestingDirAuthVoteExit": "*",
    "TestingDirAuthVoteGuard": "*",
    "TestingDirAuthVoteHSDir": "*",
    "TestingMinExitFlagThreshold": "0",
    "PathsNeededToBuildCircuits": "0.67",
    "ClientUseIPv6": "0",
}
"""Options every node and every client of the test network needs (LAB-NOTES.md)."""


@dataclass(frozen=True)
class TestnetConfig:
    """Where and how the test network runs."""

    __test__ = False  # not a pytest test class

    address: str = "127.0.0.1"
    """The address every node binds and advertises unless ``addresses`` names another."""
    base_port: int = 18500
    relays: int = 2
    """Relays besides the authorities; the first is an exit (the authorities also relay)."""
    bridge: bool = True
    """Run an obfs4 bridge (needs ``obfs4proxy`` or ``lyrebird``)."""
    addresses: dict[str, str] = field(default_factory=dict)
    """Per-node addresses by nickname (``auth0``.., ``relay0``.., ``bridge``)."""
    outbound_bind: str | None = "127.0.0.1"
    """``OutboundBindAddress`` for every node (loopback: nothing can leave). ``None`` to omit."""
    nameserver: str | None = None
    """``IP`` or ``IP:PORT`` of the resolver the relays use for exit lookups (written to the
    ``ServerDNSResolvConfFile``); ``None``: 127.0.0.1, where nothing answers unless the caller runs one."""
    tor: str = "tor"
    tor_gencert: str = "tor-gencert"
    obfs4proxy: str | None = None
    """The obfs4 binary; ``None``: ``lyrebird`` or ``obfs4proxy`` from ``PATH``."""
    cache_dir: Path | None = None
    command_prefix: tuple[str, ...] = ()
    """Prepended to every node's command (e.g. ``ip netns exec pp-internet``)."""


@dataclass(frozen=True)
class NodeSpec:
    """One node of the test network: its name, role, address and ports."""

    name: str
    role: str
    """``authority``, ``relay``, ``exit`` or ``bridge``."""
    address: str
    or_port: int
    second_port: int | None
    """DirPort for authorities, the obfs4 listener for the bridge."""


_LIVE: dict[int, subprocess.Popen[bytes]] = {}


def _stop_all() -> None:
    for proc in list(_LIVE.values()):
        _terminate(proc)


atexit.register(_stop_all)


def _terminate(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(5)
    _LIVE.pop(proc.pid, None)


def default_cache_dir() -> Path:
    """Where the network's keys are cached: ``$XDG_CACHE_HOME/pathprobe/tor-testnet`` (default
    ``~/.cache/pathprobe/tor-testnet``).
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pathprobe" / "tor-testnet"


def find_obfs4_binary() -> str | None:
    """``lyrebird`` or ``obfs4proxy`` from ``PATH``, or None."""
    for name in ("lyrebird", "obfs4proxy"):
        path = shutil.which(name)
        if path:
            return path
    return None


def torrc_text(options: list[tuple[str, str]]) -> str:
    """The torrc file for ``options``: one ``Key value`` line each, in order."""
    return "".join(f"{k} {v}".rstrip() + "\n" for k, v in options)


class TestNetwork:
    """Builds, starts and stops one private Tor network."""

    __test__ = False

    def __init__(self, config: TestnetConfig | None = None) -> None:
        self.config = config or TestnetConfig()
        c = self.config
        self.cache = c.cache_dir or default_cache_dir()
        nodes: list[NodeSpec] = []
        names = [(f"auth{i}", "authority") for i in range(3)]
        names += [(f"relay{i}", "exit" if i == 0 else "relay") for i in range(c.relays)]
        if c.bridge:
            names.append(("bridge", "bridge"))
        for i, (name, role) in enumerate(names):
            second = c.base_port + 2 * i + 1 if role in ("authority", "bridge") else None
            nodes.append(NodeSpec(name, role, c.addresses.get(name, c.address), c.base_port + 2 * i, second))
        self.nodes = nodes
        self.fingerprints: dict[str, str] = {}
        self.v3idents: dict[str, str] = {}
        self.obfs4_cert: str | None = None
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.workdir: Path | None = None

    # ---- keys (cached) -------------------------------------------------------------------------

    def prepare(self) -> None:
        """Make (or load from the cache) every node's keys; fill fingerprints and the bridge cert."""
        self.cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.cache / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for node in self.nodes:
                keys = self.cache / node.name / "keys"
                if not (keys / "secret_id_key").exists() or not (keys / "fingerprint").exists():
                    self._make_relay_keys(node)
                self.fingerprints[node.name] = (keys / "fingerprint").read_text().split()[-1]
                if node.role == "authority":
                    if not _cert_fresh(keys / "authority_certificate"):
                        self._make_authority_keys(keys)
                    m = re.search(
                        r"^fingerprint ([0-9A-F]{40})$", (keys / "authority_certificate").read_text(), re.M
                    )
                    if not m:
                        raise RuntimeError(f"{node.name}: no fingerprint in the authority certificate")
                    self.v3idents[node.name] = m.group(1)
                if node.role == "bridge":
                    state = self.cache / node.name / "obfs4_state.json"
                    if not state.exists():
                        _write_obfs4_state(state)
                    self.obfs4_cert = _obfs4_cert(state)

    def _make_relay_keys(self, node: NodeSpec) -> None:
        tmp = self.cache / node.name / "gen"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True, mode=0o700)
        torrc = tmp / "torrc"
        torrc.write_text(
            f"DataDirectory {tmp}\nORPort 127.0.0.1:1\nNickname {node.name}\nDisableNetwork 1\n"
            "UseDefaultFallbackDirs 0\nTestingTorNetwork 1\n"
            f"DirAuthority none orport=1 no-v2 127.0.0.1:1 {'0' * 40}\n"
        )
        subprocess.run(
            [
                self.config.tor,
                "--list-fingerprint",
                "-f",
                str(torrc),
                "--defaults-torrc",
                os.devnull,
                "--quiet",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        keys = self.cache / node.name / "keys"
        shutil.rmtree(keys, ignore_errors=True)
        shutil.copytree(tmp / "keys", keys)
        shutil.copy(tmp / "fingerprint", keys / "fingerprint")
        shutil.rmtree(tmp, ignore_errors=True)

    def _make_authority_keys(self, keys: Path) -> None:
        for f in ("authority_identity_key", "authority_signing_key", "authority_certificate"):
            (keys / f).unlink(missing_ok=True)
        subprocess.run(
            [
                self.config.tor_gencert,
                "--create-identity-key",
                "-m",
                "12",
                "-i",
                str(keys / "authority_identity_key"),
                "-s",
                str(keys / "authority_signing_key"),
                "-c",
                str(keys / "authority_certificate"),
                "--passphrase-fd",
                "0",
            ],
            input=b"\n",
            check=True,
            capture_output=True,
            timeout=120,
        )

    # ---- configuration -------------------------------------------------------------------------

    def dir_authority_lines(self) -> list[str]:
        """This network's ``DirAuthority`` lines (``prepare`` first)."""
        out = []
        for n in self.nodes:
            if n.role == "authority":
                out.append(
                    f"{n.name} orport={n.or_port} no-v2 v3ident={self.v3idents[n.name]} "
                    f"{n.address}:{n.second_port} {self.fingerprints[n.name]}"
                )
        return out

    def client_torrc(self, *, outbound_bind: str | None = None) -> dict[str, str | int | list[str]]:
        """What a client of this network needs: the plan's ``[probe.torrc]`` table."""
        out: dict[str, str | int | list[str]] = {k: (int(v) if v.isdigit() else v) for k, v in COMMON.items()}
        out["DirAuthority"] = self.dir_authority_lines()
        bind = outbound_bind if outbound_bind is not None else self.config.outbound_bind
        if bind:
            out["OutboundBindAddress"] = bind
        return out

    def obfs4_bridge_line(self) -> str:
        """The bridge's line, ``obfs4 IP:PORT FINGERPRINT cert=... iat-mode=0``."""
        b = self.node("bridge")
        if self.obfs4_cert is None:
            raise RuntimeError("the test network has no obfs4 bridge (or prepare() was not called)")
        fp = self.fingerprints["bridge"]
        return f"obfs4 {b.address}:{b.second_port} {fp} cert={self.obfs4_cert} iat-mode=0"

    def node(self, name: str) -> NodeSpec:
        """The node named ``name``; raises KeyError when there is none."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def _resolv_conf(self, work: Path) -> Path:
        path = work / "resolv.conf"
        ns = self.config.nameserver or "127.0.0.1"
        path.write_text(f"nameserver {ns}\n")
        return path

    def node_torrc(self, node: NodeSpec, data: Path, resolv: Path) -> list[tuple[str, str]]:
        """The torrc lines of ``node`` with data directory ``data`` and resolver file ``resolv``;
        raises RuntimeError for the bridge when no obfs4 binary is found.
        """
        c = self.config
        opts: list[tuple[str, str]] = [
            ("DataDirectory", str(data)),
            ("Nickname", node.name),
            ("ContactInfo", "pathprobe-testnet"),
            ("Log", f"notice file {data / 'notice.log'}"),
            ("SafeLogging", "0"),
            ("RunAsDaemon", "0"),
            ("SocksPort", "0"),
            ("Address", node.address),
            ("ORPort", f"{node.address}:{node.or_port}"),
            *COMMON.items(),
            *FAST_VOTING.items(),
            *(("DirAuthority", line) for line in self.dir_authority_lines()),
            ("ServerDNSDetectHijacking", "0"),
            ("ServerDNSTestAddresses", ""),
            ("ServerDNSAllowBrokenConfig", "1"),
            ("ServerDNSResolvConfFile", str(resolv)),
            ("ExitPolicyRejectPrivate", "0"),
        ]
        if c.outbound_bind:
            opts.append(("OutboundBindAddress", c.outbound_bind))
        if node.role == "authority":
            opts += [
                ("AuthoritativeDirectory", "1"),
                ("V3AuthoritativeDirectory", "1"),
                ("DirPort", f"{node.address}:{node.second_port}"),
                ("ExitPolicy", "reject *:*"),
            ]
        elif node.role == "exit":
            opts += [("ExitRelay", "1"), ("ExitPolicy", "accept *:*")]
        elif node.role == "relay":
            opts += [("ExitPolicy", "reject *:*")]
        else:
            obfs4 = c.obfs4proxy or find_obfs4_binary()
            if obfs4 is None:
                raise RuntimeError("the obfs4 bridge needs obfs4proxy or lyrebird (apt install obfs4proxy)")
            opts += [
                ("BridgeRelay", "1"),
                ("PublishServerDescriptor", "0"),
                ("BridgeDistribution", "none"),
                ("ExitPolicy", "reject *:*"),
                ("ServerTransportPlugin", f"obfs4 exec {obfs4}"),
                ("ServerTransportListenAddr", f"obfs4 {node.address}:{node.second_port}"),
                ("ExtORPort", "auto"),
            ]
        return opts

    # ---- processes -----------------------------------------------------------------------------

    def start(self, workdir: Path) -> None:
        """Fresh data directories under ``workdir`` (cached keys copied in); start every node."""
        if not self.fingerprints:
            self.prepare()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        resolv = self._resolv_conf(workdir)
        empty = workdir / "torrc-defaults"
        empty.write_text("")
        try:
            for node in self.nodes:
                data = workdir / node.name
                shutil.rmtree(data, ignore_errors=True)
                data.mkdir(mode=0o700)
                shutil.copytree(self.cache / node.name / "keys", data / "keys")
                (data / "keys").chmod(0o700)
                if node.role == "bridge":
                    (data / "pt_state").mkdir(mode=0o700)
                    shutil.copy(
                        self.cache / node.name / "obfs4_state.json", data / "pt_state" / "obfs4_state.json"
                    )
                torrc = data / "torrc"
                torrc.write_text(torrc_text(self.node_torrc(node, data, resolv)))
                cmd = [
                    *self.config.command_prefix,
                    self.config.tor,
                    "-f",
                    str(torrc),
                    "--defaults-torrc",
                    str(empty),
                ]
                with open(data / "stdout.log", "wb") as out:
                    proc = subprocess.Popen(
                        cmd,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                self.procs[node.name] = proc
                _LIVE[proc.pid] = proc
        except BaseException:
            self.stop()
            raise

    def pids(self) -> list[int]:
        """PIDs of the nodes still running."""
        return [p.pid for p in self.procs.values() if p.poll() is None]

    def dead_nodes(self) -> list[str]:
        """Names of the started nodes that have exited."""
        return [name for name, p in self.procs.items() if p.poll() is not None]

    def consensus(self, timeout: float = 3.0) -> str | None:
        """The current consensus from the first authority's DirPort, or ``None``."""
        a = self.nodes[0]
        assert a.second_port is not None
        try:
            with socket.create_connection((a.address, a.second_port), timeout=timeout) as s:
                s.sendall(b"GET /tor/status-vote/current/consensus HTTP/1.0\r\nHost: x\r\n\r\n")
                chunks = []
                total = 0
                while total < 4 * 1024 * 1024:
                    b = s.recv(65536)
                    if not b:
                        break
                    chunks.append(b)
                    total += len(b)
        except OSError:
            return None
        raw = b"".join(chunks)
        head, _, body = raw.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.0 200"):
            return None
        return body.decode("utf-8", "replace")

    def _bridge_ready(self, want: set[str]) -> bool:
        """Whether the bridge (which bridge clients bootstrap through) caches a usable consensus."""
        if not self.config.bridge or self.workdir is None:
            return True
        try:
            text = (self.workdir / "bridge" / "cached-microdesc-consensus").read_text("utf-8", "replace")
        except OSError:
            return False
        return _usable(text, want)

    def wait_ready(self, timeout: float = 90.0) -> float:
        """Wait until a consensus lists every relay as Running, with an Exit, at the authorities and
        at the bridge; return the seconds waited."""
        start = time.monotonic()
        want = {self.fingerprints[n.name] for n in self.nodes if n.role != "bridge"}
        while True:
            dead = self.dead_nodes()
            if dead:
                raise RuntimeError(
                    f"test network: {', '.join(dead)} exited; see {self.workdir}/<node>/notice.log"
                )
            text = self.consensus()
            if text is not None and _usable(text, want) and self._bridge_ready(want):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"the test network had no usable consensus within {timeout:.0f} s")
            time.sleep(1.0)

    def stop(self) -> None:
        """Stop every node by PID (SIGTERM, then SIGKILL after a grace period)."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            _terminate(proc)
        self.procs.clear()

    def __enter__(self) -> TestNetwork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _usable(consensus: str, want: set[str]) -> bool:
    """Every relay in ``want`` (fingerprints) is Running, and at least one has the Exit flag."""
    running: set[str] = set()
    exits = 0
    fp = None
    for line in consensus.splitlines():
        if line.startswith("r "):
            parts = line.split()
            ident = parts[2] if len(parts) > 2 else ""
            fp = base64.b64decode(ident + "=" * (-len(ident) % 4)).hex().upper()
        elif line.startswith("s ") and fp:
            flags = line.split()[1:]
            if "Running" in flags:
                running.add(fp)
            if "Exit" in flags:
                exits += 1
    return want <= running and exits > 0


def _cert_fresh(path: Path, margin_days: int = 14) -> bool:
    if not path.exists():
        return False
    m = re.search(r"^dir-key-expires (\S+ \S+)$", path.read_text(), re.M)
    if not m:
        return False
    expires = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) - time.timezone
    return expires - time.time() > margin_days * 86400


def _write_obfs4_state(path: Path) -> None:
    key = X25519PrivateKey.generate()
    priv = key.private_bytes_raw()
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    state = {
        "node-id": secrets.token_bytes(20).hex(),
        "private-key": priv.hex(),
        "public-key": pub.hex(),
        "drbg-seed": secrets.token_bytes(24).hex(),
        "iat-mode": 0,
    }
    path.write_text(json.dumps(state))
    path.chmod(0o600)


def _obfs4_cert(path: Path) -> str:
    state = json.loads(path.read_text())
    raw = bytes.fromhex(state["node-id"]) + bytes.fromhex(state["public-key"])
    return base64.b64encode(raw).decode().rstrip("=")
