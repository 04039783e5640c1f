"""``tornet``: a private Tor network in the "internet" (:mod:`pathprobe.lab.servers.tor`, real tor and obfs4proxy).

Three directory authorities, two relays (``relay0`` is the exit) and an obfs4 bridge, each on its own
address of pp-inet (:data:`~pathprobe.lab.world.TOR_ADDRS`): the authorities and relays inside
:data:`~pathprobe.lab.world.TOR_RELAYS_NET`, which a censor can drop as a whole, the bridge outside it.
Every node runs with ``TestingTorNetwork 1``, fast voting, ``UseDefaultFallbackDirs 0`` and only this
network's own ``DirAuthority`` lines, from a torrc the lab writes (``--defaults-torrc`` an empty file):
nothing in it knows of the public Tor network, and pp-inet has no route out anyway. The exit resolves
names with the lab's honest resolver (:data:`~pathprobe.lab.world.DNS_ADDR`).

Keys (relay identities, authority certificates, the bridge's obfs4 state) are made once and cached in
``~/.cache/pathprobe/lab/tor-testnet``; every run gets fresh data directories under
``runs/<run>/tornet/nodes/``. :meth:`TorNetwork.prepare` loads (or makes) the keys in the lab process,
so the values a plan needs are known before anything starts (``{{tornet.key}}``):

- ``dirauth0``, ``dirauth1``, ``dirauth2``: the ``DirAuthority`` lines for a client's torrc;
- ``obfs4_bridge``: the bridge's line (``obfs4 IP:PORT FINGERPRINT cert=... iat-mode=0``).

The lab starts one process for the service, a small supervisor (``python -m
pathprobe.lab.services.tornet WORKDIR``) that runs inside pp-inet, starts the six tor processes (the
bridge's tor starts obfs4proxy), waits until the network can bootstrap a client, and then watches them:

- **ready** when a consensus lists every relay as Running with an exit, both at the authorities and in
  the bridge's cache (bridge clients bootstrap only through the bridge), and every ORPort, DirPort and
  the obfs4 port listens;
- a node that exits makes the supervisor stop the others and exit 1, so ``lab status`` shows the
  service dead; its log names the node and quotes the end of that node's ``notice.log``;
- on SIGTERM (``lab down``) it stops every node by PID (SIGTERM, then SIGKILL). The lab's teardown
  also counts the nodes as part of this service (they are its descendants), so they are ended even if
  the supervisor itself is killed.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from pathprobe.lab import world as w
from pathprobe.lab.certs import cache_dir as lab_cache_dir
from pathprobe.lab.servers.tor import TestnetConfig, TestNetwork, find_obfs4_binary
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service, is_listening

CONFIG_FILE = "tornet.json"
READY_FILE = "ready"
NODES_DIR = "nodes"
READY_WITHIN = 90.0
"""Seconds the supervisor waits for a usable consensus (LAB-NOTES: 8-22 s with fast voting)."""


def cache_dir() -> Path:
    """Where the lab's Tor keys are kept between runs."""
    return lab_cache_dir() / "tor-testnet"


def _tor() -> str:
    from pathprobe.tor.launch import find_tor

    return find_tor() or "tor"


def _gencert() -> str:
    import shutil

    tor = _tor()
    beside = Path(tor).with_name("tor-gencert")
    return shutil.which("tor-gencert") or (str(beside) if beside.is_file() else "tor-gencert")


def testnet_config() -> TestnetConfig:
    """The lab's network: one address per node, lab ports, no outbound bind (the namespace is closed),
    the honest resolver for the exit, and the lab's key cache."""
    return TestnetConfig(
        address=w.TOR_ADDRS["auth0"],
        addresses=dict(w.TOR_ADDRS),
        base_port=w.TOR_BASE_PORT,
        relays=2,
        bridge=True,
        outbound_bind=None,
        nameserver=w.DNS_ADDR,
        tor=_tor(),
        tor_gencert=_gencert(),
        obfs4proxy=find_obfs4_binary(),
        cache_dir=cache_dir(),
    )


def _config_json(c: TestnetConfig) -> dict[str, Any]:
    return {
        "address": c.address,
        "addresses": dict(c.addresses),
        "base_port": c.base_port,
        "relays": c.relays,
        "bridge": c.bridge,
        "outbound_bind": c.outbound_bind,
        "nameserver": c.nameserver,
        "tor": c.tor,
        "tor_gencert": c.tor_gencert,
        "obfs4proxy": c.obfs4proxy,
        "cache_dir": str(c.cache_dir) if c.cache_dir else None,
    }


def _config_from_json(d: dict[str, Any]) -> TestnetConfig:
    return TestnetConfig(
        address=d["address"],
        addresses=dict(d["addresses"]),
        base_port=int(d["base_port"]),
        relays=int(d["relays"]),
        bridge=bool(d["bridge"]),
        outbound_bind=d["outbound_bind"],
        nameserver=d["nameserver"],
        tor=d["tor"],
        tor_gencert=d["tor_gencert"],
        obfs4proxy=d["obfs4proxy"],
        cache_dir=Path(d["cache_dir"]) if d["cache_dir"] else None,
    )


class TorNetwork(Service):
    """A private Tor network (3 directory authorities, 2 relays with an exit, an obfs4 bridge) run by
    one supervisor process.
    """

    kind = "tornet"
    about = "a private Tor network (tor: 3 directory authorities, 2 relays with an exit, an obfs4 bridge)"
    ready_timeout = READY_WITHIN + 10.0

    def __init__(self, instance: str | None = None, netns: str | None = None) -> None:
        super().__init__(instance, netns)
        self.net = TestNetwork(testnet_config())
        self.workdir: Path | None = None

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """Load or make the network's keys (cached between runs; the slow part), write the
        supervisor's configuration and return its command.
        """
        self.net.prepare()  # keys: made once, then from the cache (the slow part)
        self.workdir = workdir
        spec = {"network": _config_json(self.net.config), "ready_within": READY_WITHIN}
        (workdir / CONFIG_FILE).write_text(json.dumps(spec, indent=2), "utf-8")
        return Launch([sys.executable, "-m", "pathprobe.lab.services.tornet", str(workdir)])

    def listens(self) -> list[Listen]:
        """Every node's ORPort and its second port (DirPort, or the bridge's obfs4 port)."""
        out = []
        for n in self.net.nodes:
            out.append(Listen("tcp", n.address, n.or_port))
            if n.second_port is not None:
                out.append(Listen("tcp", n.address, n.second_port))
        return out

    def ready(self, pid: int) -> bool:
        """True once the supervisor has written its ready file (a client could bootstrap) and every
        port of :meth:`listens` is open.
        """
        if self.workdir is None or not (self.workdir / READY_FILE).exists():
            return False
        return all(is_listening(pid, lst) for lst in self.listens())

    def programs(self) -> list[str]:
        """``tor``, ``tor-gencert`` and ``obfs4proxy`` (as configured)."""
        c = self.net.config
        return [c.tor, c.tor_gencert, c.obfs4proxy or "obfs4proxy"]

    def plan_values(self) -> dict[str, str]:
        """``dirauth0``... (``DirAuthority`` lines for a client) and ``obfs4_bridge`` (the bridge's line)."""
        lines = self.net.dir_authority_lines()
        out = {f"dirauth{i}": line for i, line in enumerate(lines)}
        out["obfs4_bridge"] = self.net.obfs4_bridge_line()
        return out


# --------------------------------------------------------------------------- the supervisor


def _tails(net: TestNetwork, names: list[str], lines: int = 3) -> str:
    out = []
    for name in names:
        if net.workdir is None:
            break
        try:
            text = (net.workdir / name / "notice.log").read_text("utf-8", "replace")
        except OSError:
            continue
        tail = [ln for ln in text.splitlines() if ln.strip()][-lines:]
        out += [f"  {name}: {ln}" for ln in tail]
    return "\n".join(out)


def _say(text: str) -> None:
    print(f"tornet: {text}", flush=True)


def supervise(workdir: Path) -> int:
    """Start the network in this namespace, mark it ready, watch it; stop it on SIGTERM / SIGINT.

    On a failure the last lines of the log (what the lab quotes) say what happened: the nodes' own
    log lines first, then the one-line reason.
    """
    spec = json.loads((workdir / CONFIG_FILE).read_text("utf-8"))
    net = TestNetwork(_config_from_json(spec["network"]))

    def stop_now(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop_now)
    signal.signal(signal.SIGINT, stop_now)
    failure: str | None = None
    try:
        net.start(workdir / NODES_DIR)
        _say("started " + ", ".join(f"{name} (pid {p.pid})" for name, p in net.procs.items()))
        took = net.wait_ready(float(spec["ready_within"]))
        (workdir / READY_FILE).write_text(f"{took:.1f}\n", "utf-8")
        _say(f"ready in {took:.1f} s: every relay is Running with an exit, at the authorities and the bridge")
        while not failure:
            dead = net.dead_nodes()
            if dead:
                failure = f"{', '.join(dead)} exited; the network is stopped"
                print(_tails(net, dead), flush=True)
            time.sleep(0.5)
    except (RuntimeError, TimeoutError, OSError) as exc:
        dead = net.dead_nodes() or ["auth0", "bridge"]
        print(_tails(net, dead), flush=True)
        failure = str(exc)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        net.stop()
        _say("stopped")
    _say(failure)
    return 1


def main(argv: list[str]) -> int:
    """``python -m pathprobe.lab.services.tornet WORKDIR``: :func:`supervise`; 2 on a bad command line."""
    if len(argv) != 2:
        print("usage: python -m pathprobe.lab.services.tornet WORKDIR (run by the lab)", file=sys.stderr)
        return 2
    return supervise(Path(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
