"""``openvpn-udp``, ``openvpn-tcp``, ``openvpn-tlscrypt``: OpenVPN 2.6 servers in the "internet".

All three listen on 10.77.2.81 (:data:`~pathprobe.lab.world.OPENVPN_ADDR`): UDP and TCP on 1194, and
a server with ``tls-crypt`` on 1195/udp, which answers no one without its key (it stays silent, as
real tls-crypt servers do). The configuration is :func:`pathprobe.lab.servers.vpn.openvpn_server`'s
(TLS mode, a leaf from the lab public CA — no client ever finishes the handshake — ``dh none``, a
``server`` subnet of its own on a tun device that exists only in pp-inet). Ready when its own output
says ``Initialization Sequence Completed`` and its socket is open.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pathprobe.lab import world as w
from pathprobe.lab.servers import vpn as servers
from pathprobe.lab.services._spec import SpecReadiness
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service


class _OpenVpn(Service):
    proto: ClassVar[str]
    port: ClassVar[int]
    tls_crypt: ClassVar[bool] = False
    subnet: ClassVar[str]

    def __init__(self, instance: str | None = None, netns: str = w.INET_NS) -> None:
        super().__init__(instance or self.kind, netns)
        self._ready: SpecReadiness | None = None

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        spec = servers.openvpn_server(
            workdir,
            ctx.public,
            port=self.port,
            proto="udp" if self.proto == "udp" else "tcp",
            local=w.OPENVPN_ADDR,
            tls_crypt=self.tls_crypt,
            subnet=self.subnet,
            name="server",
        )
        self._ready = SpecReadiness(spec, self.netns, workdir / "log")
        return Launch(spec.argv)

    def listens(self) -> list[Listen]:
        return [Listen(self.proto, w.OPENVPN_ADDR, self.port)]

    def ready(self, pid: int) -> bool:
        return super().ready(pid) and self._ready is not None and self._ready.ready()

    def programs(self) -> list[str]:
        return ["openvpn"]


class OpenVpnUdp(_OpenVpn):
    """An OpenVPN server over UDP at 10.77.2.81:1194."""

    kind = "openvpn-udp"
    about = "an OpenVPN server over UDP (10.77.2.81:1194)"
    proto = "udp"
    port = w.OPENVPN_PORT
    subnet = "10.86.1.0"


class OpenVpnTcp(_OpenVpn):
    """An OpenVPN server over TCP at 10.77.2.81:1194."""

    kind = "openvpn-tcp"
    about = "an OpenVPN server over TCP (10.77.2.81:1194)"
    proto = "tcp"
    port = w.OPENVPN_PORT
    subnet = "10.86.2.0"


class OpenVpnTlsCrypt(_OpenVpn):
    """An OpenVPN server with ``tls-crypt`` over UDP at 10.77.2.81:1195: silent to anyone without its key."""

    kind = "openvpn-tlscrypt"
    about = "an OpenVPN server with tls-crypt over UDP (10.77.2.81:1195): silent to anyone without its key"
    proto = "udp"
    port = w.OPENVPN_TLSCRYPT_PORT
    tls_crypt = True
    subnet = "10.86.3.0"
