"""``socks5``: a SOCKS5 proxy in the "internet" (microsocks at 10.77.2.80:1080, no authentication).

The simplest tunnel path: names are resolved by the proxy (socks5h), with pp-inet's resolv.conf
pointing at the honest resolver, so a censor's DNS lies and port-443 filters do not reach through it.
"""

from __future__ import annotations

from pathlib import Path

from pathprobe.lab import world as w
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service


class Socks5Proxy(Service):
    """A SOCKS5 proxy (microsocks) at 10.77.2.80:1080, no authentication."""

    kind = "socks5"
    about = "a SOCKS5 proxy (microsocks)"

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """microsocks' command line (it needs no configuration file)."""
        return Launch(["microsocks", "-i", w.SOCKS_ADDR, "-p", str(w.SOCKS_PORT)])

    def listens(self) -> list[Listen]:
        """TCP 10.77.2.80:1080."""
        return [Listen("tcp", w.SOCKS_ADDR, w.SOCKS_PORT)]

    def programs(self) -> list[str]:
        """``microsocks``."""
        return ["microsocks"]
