"""Quick depth against real listeners and the private Tor network on loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest

from pathprobe.net.sitecheck import download_seconds
from pathprobe.probes.base import RunContext
from pathprobe.probes.tor import TorProbe
from pathprobe.runner import probe_budget, run_probes
from pathprobe.tor import launch
from pathprobe.tor.bridges import parse_bridge
from pathprobe.tor.launch import torrc_lines

from .conftest import World

V3 = "A" * 40


class SilentListener:
    """Accepts TCP connections and never says a word; counts how many are open at once."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.open: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.open.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        for c in self.open:
            c.close()
        self.sock.close()


class Gauge:
    """How many connections to a set of silent listeners were open at the same time, at most."""

    def __init__(self, listeners: list[SilentListener]) -> None:
        self.listeners = listeners
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            n = 0
            for lst in self.listeners:
                for c in list(lst.open):
                    try:  # a connection the client closed reads as EOF
                        c.setblocking(False)
                        if c.recv(1, socket.MSG_PEEK) == b"":
                            continue
                    except BlockingIOError:
                        pass
                    except OSError:
                        continue
                    n += 1
            self.peak = max(self.peak, n)
            self.stop.wait(0.02)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)


def dirauths(ports: range) -> list[str]:
    return [
        f"auth{i} orport={p} no-v2 v3ident={V3} 127.0.0.1:{p + 1000} {'B' * 40}" for i, p in enumerate(ports)
    ]


@pytest.fixture
def silent() -> Iterator[list[SilentListener]]:
    listeners = [SilentListener(p) for p in range(18560, 18570)]
    yield listeners
    for lst in listeners:
        lst.close()


def test_ten_silent_authorities_are_tried_at_once(silent: list[SilentListener]) -> None:
    probe = TorProbe(
        "vanilla", "vanilla", [], torrc=[("DirAuthority", d) for d in dirauths(range(18560, 18570))]
    )
    ctx = RunContext(timeout=1.0)
    gauge = Gauge(silent)
    try:
        paths, _ = asyncio.run(run_probes([probe], ctx))
    finally:
        gauge.close()
    (path,) = paths
    assert path.untested_reason is None  # not cut off by the runner's budget
    assert len(path.targets) == 10
    assert all(t.reachability == "blocked" and t.failure == "generic_timeout_error" for t in path.targets)
    assert all([o.step for o in t.observations] == ["tcp", "tls"] for t in path.targets)
    # Structure, not a stopwatch: all ten handshakes were in flight together, so the quick check
    # costs one step timeout, not ten.
    assert gauge.peak == 10
    assert probe_budget(probe, ctx) == 4 * 1.0 + 2 + download_seconds(1.0)  # (+ the page reads of site checks)


def test_closed_authority_ports_are_refused() -> None:
    probe = TorProbe(
        "vanilla", "vanilla", [], torrc=[("DirAuthority", d) for d in dirauths(range(18570, 18580))]
    )
    res = asyncio.run(probe.run(RunContext(timeout=2.0)))
    (path,) = res.paths
    assert {t.failure for t in path.targets} == {"connection_refused"}
    assert path.targets[0].observations[0].address == "127.0.0.1:18570"
    assert path.detail == {"transport": "vanilla", "depth": "quick"}


def test_testnet_authorities_complete_tls(world: World) -> None:
    torrc = torrc_lines(world.torrc(), "t")
    res = asyncio.run(TorProbe("vanilla", "vanilla", [], torrc=torrc).run(RunContext(timeout=5.0)))
    (path,) = res.paths
    assert [t.reachability for t in path.targets] == ["reachable"] * 3
    tls = [o for t in path.targets for o in t.observations if o.step == "tls"]
    assert len(tls) == 3 and all(o.failure is None and o.detail["certificate_check"] == "none" for o in tls)
    assert all(t.tls is None for t in path.targets)  # no web-PKI verdict from a relay's random certificate


def test_obfs4_quick_does_a_real_handshake(world: World) -> None:
    line = world.net.obfs4_bridge_line()
    bridge = parse_bridge(line, "t")
    res = asyncio.run(TorProbe("obfs4", "obfs4", [bridge]).run(RunContext(timeout=5.0)))
    (path,) = res.paths
    (t,) = path.targets
    assert t.target == f"obfs4 {bridge.id}" and t.reachability == "reachable", t
    steps = [(o.step, o.failure) for o in t.observations]
    assert steps == [("tcp", None), ("handshake", None), ("tls", None)]
    hs = t.observations[1]
    assert hs.detail["transport"] == "obfs4" and hs.address == "[scrubbed]"
    assert t.observations[2].detail["inside"] == "obfs4"
    assert all(o.address in (None, "[scrubbed]") for o in t.observations)
    assert str(world.net.node("bridge").second_port) not in repr(res)
    assert launch.running_pids() == []  # the local obfs4 client was stopped


def test_obfs4_wrong_cert_fails_the_handshake_but_not_tcp(world: World) -> None:
    good = parse_bridge(world.net.obfs4_bridge_line(), "t")
    wrong_cert = "AAAA" + good.args["cert"][4:]
    bad = parse_bridge(world.net.obfs4_bridge_line().replace(good.args["cert"], wrong_cert), "t")
    res = asyncio.run(TorProbe("obfs4", "obfs4", [bad]).run(RunContext(timeout=3.0)))
    (t,) = res.paths[0].targets
    assert t.observations[0].step == "tcp" and t.observations[0].failure is None
    assert t.observations[1].step == "handshake" and t.observations[1].failure is not None
    assert t.reachability == "blocked"


def test_obfs4_without_the_binary_is_tcp_only(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHPROBE_PT_OBFS4", "/nonexistent/obfs4proxy")
    bridge = parse_bridge(world.net.obfs4_bridge_line(), "t")
    res = asyncio.run(TorProbe("obfs4", "obfs4", [bridge]).run(RunContext(timeout=3.0)))
    (t,) = res.paths[0].targets
    assert [o.step for o in t.observations] == ["tcp"]
    assert t.reachability == "reachable"
    assert t.note and "obfs4 handshake not tried" in t.note and "apt install obfs4proxy" in t.note


def test_transport_without_bridges_is_unknown() -> None:
    res = asyncio.run(TorProbe("obfs4", "obfs4", []).run(RunContext(timeout=1.0)))
    (path,) = res.paths
    assert path.targets == () and path.untested_reason and "--bridge" in path.untested_reason
