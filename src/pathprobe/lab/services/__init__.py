"""Lab services: one module per program, all of the shape in :mod:`pathprobe.lab.services.base`.

``INTERNET`` lists the services a scenario may name in ``services = [...]`` (they run in pp-inet);
the censor's services (``dns-lie``, ``interceptor``, ``blockpage``) follow from its ``[censor]``
table. Adding a service (Tor network, OpenVPN, WireGuard, Shadowsocks...) = one module with a
:class:`~pathprobe.lab.services.base.Service` subclass + one line here; see docs/lab.md.
"""

from __future__ import annotations

import importlib

from pathprobe.lab.services.base import Service

INTERNET: dict[str, str] = {
    "origins": "pathprobe.lab.services.origins:Origins",
    "dns": "pathprobe.lab.services.dns:HonestDns",
    "doh": "pathprobe.lab.services.doh:DohServer",
    "socks5": "pathprobe.lab.services.socks5:Socks5Proxy",
}


def internet_service(kind: str) -> Service:
    """An instance of an internet service by kind (the scenario loader checked the name)."""
    mod, _, cls = INTERNET[kind].partition(":")
    svc: Service = getattr(importlib.import_module(mod), cls)()
    return svc


__all__ = ["INTERNET", "Service", "internet_service"]
