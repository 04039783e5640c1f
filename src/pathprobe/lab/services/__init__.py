"""Lab services: one module per program, all of the shape in :mod:`pathprobe.lab.services.base`.

``INTERNET`` lists the services a scenario may name in ``services = [...]`` (they run in pp-inet);
the censor's services (``dns-lie``, ``interceptor``, ``blockpage``, ``portal``) follow from its ``[censor]``
table. Adding a service (Tor network, OpenVPN, WireGuard, Shadowsocks...) = one module with a
:class:`~pathprobe.lab.services.base.Service` subclass + one line here; see docs/lab.md.
"""

from __future__ import annotations

import importlib
from typing import Any

from pathprobe.lab.services.base import Service

INTERNET: dict[str, str] = {
    "origins": "pathprobe.lab.services.origins:Origins",
    "dns": "pathprobe.lab.services.dns:HonestDns",
    "doh": "pathprobe.lab.services.doh:DohServer",
    "socks5": "pathprobe.lab.services.socks5:Socks5Proxy",
    "openvpn-udp": "pathprobe.lab.services.openvpn:OpenVpnUdp",
    "openvpn-tcp": "pathprobe.lab.services.openvpn:OpenVpnTcp",
    "openvpn-tlscrypt": "pathprobe.lab.services.openvpn:OpenVpnTlsCrypt",
    "wireguard": "pathprobe.lab.services.wireguard:WireGuard",
    "shadowsocks": "pathprobe.lab.services.shadowsocks:Shadowsocks",
    "http-proxy": "pathprobe.lab.services.httpproxy:HttpProxy",
    "detect": "pathprobe.lab.services.detect:DetectServer",
    "tornet": "pathprobe.lab.services.tornet:TorNetwork",
}


def service_class(kind: str) -> type[Service]:
    """The :class:`Service` subclass of an internet service kind (imported on first use); raises
    KeyError for a kind not in :data:`INTERNET`.
    """
    mod, _, cls = INTERNET[kind].partition(":")
    klass: type[Service] = getattr(importlib.import_module(mod), cls)
    return klass


def internet_service(kind: str, options: dict[str, Any] | None = None, where: str = "") -> Service:
    """An instance of an internet service by kind, with the scenario's ``[options.<kind>]`` table."""
    return service_class(kind).from_options(dict(options or {}), where or f"options.{kind}")


__all__ = ["INTERNET", "Service", "internet_service", "service_class"]
