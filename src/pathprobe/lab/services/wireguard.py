"""``wireguard``: a WireGuard server in the "internet" (wireguard-go, userspace), port 51820/udp.

Keys are made at prepare time, each run anew: the server's pair, one peer the server knows, and a
second client key it does NOT know. The plan gets them as ``{{wireguard.public_key}}`` (the
server's public key), ``{{wireguard.private_key}}`` (the known peer's private key) and
``{{wireguard.wrong_private_key}}`` (the unknown one). They are written only to the run directory
(owner-only files) and the filled plan, never to a log.

The interface is named after the lab's namespace prefix (:func:`~pathprobe.lab.world.wg_ifname`):
wireguard-go's control socket lives in ``/var/run/wireguard``, which every namespace shares.
wireguard-go opens its port on every address of pp-inet; plans use 10.77.2.82. The configuration is
:func:`pathprobe.lab.servers.vpn.wireguard_server`'s: ``wg setconf`` from a file, an address, link up
(run inside pp-inet once wireguard-go has made the interface); ready when ``wg show IFNAME
listen-port`` answers and the UDP port is bound.
"""

from __future__ import annotations

from pathlib import Path

from pathprobe.lab import world as w
from pathprobe.lab.servers import vpn as servers
from pathprobe.lab.services._spec import SpecReadiness
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service


class WireGuard(Service):
    """A WireGuard server (wireguard-go, userspace) on UDP port 51820, fresh keys each run."""

    kind = "wireguard"
    about = "a WireGuard server (wireguard-go, userspace)"

    def __init__(self, instance: str | None = None, netns: str | None = None) -> None:
        super().__init__(instance, netns)
        self.ifname = w.wg_ifname()
        self._ready: SpecReadiness | None = None
        self._values: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"WireGuard(instance={self.instance!r}, ifname={self.ifname!r})"

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """Make the server's keys, a known peer's and a stranger's, write the configuration and return
        wireguard-go's foreground command.
        """
        server, peer, stranger = servers.wg_keypair(), servers.wg_keypair(), servers.wg_keypair()
        spec = servers.wireguard_server(
            workdir, self.ifname, server, [peer.public], port=w.WIREGUARD_PORT, address="10.87.0.1/24"
        )
        self._ready = SpecReadiness(spec, self.netns, workdir / "log")
        self._values = {
            "public_key": server.public,
            "private_key": peer.private,
            "wrong_private_key": stranger.private,
        }
        return Launch(spec.argv)  # wireguard-go -f: stays in the foreground, its PID is the service

    def plan_values(self) -> dict[str, str]:
        """``public_key`` (the server's), ``private_key`` (the known peer's) and ``wrong_private_key``
        (a key the server does not know); secrets, empty until prepared.
        """
        return dict(self._values)

    def listens(self) -> list[Listen]:
        """UDP port 51820 on every address."""
        return [Listen("udp", "0.0.0.0", w.WIREGUARD_PORT)]

    def ready(self, pid: int) -> bool:
        """True once the interface is configured and up (the follow-up commands succeeded) and the port
        is bound.
        """
        # The port opens only once the interface is configured and up: the follow-ups come first.
        return self._ready is not None and self._ready.ready() and super().ready(pid)

    def programs(self) -> list[str]:
        """``wireguard-go`` and ``wg``."""
        return ["wireguard-go", "wg"]
