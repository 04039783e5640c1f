"""``http-proxy``: an HTTP CONNECT proxy in the "internet" (tinyproxy), 10.77.2.84:3128, no credentials.

The configuration is :func:`pathprobe.lab.servers.vpn.tinyproxy`'s (foreground, logs to its output,
runs as ``nobody``), admitting only the lab's client network. tinyproxy resolves the sites' names
itself with pp-inet's (honest) resolver.
"""

from __future__ import annotations

from pathlib import Path

from pathprobe.lab import world as w
from pathprobe.lab.servers import vpn as servers
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service


class HttpProxy(Service):
    """An HTTP CONNECT proxy (tinyproxy) at 10.77.2.84:3128, open to the lab's client network only."""

    kind = "http-proxy"
    about = "an HTTP CONNECT proxy (tinyproxy)"

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """Write tinyproxy's configuration and return its foreground command."""
        spec = servers.tinyproxy(
            workdir, port=w.HTTP_PROXY_PORT, host=w.HTTP_PROXY_ADDR, allow=(w.CLIENT_NET,), name="tinyproxy"
        )
        return Launch(spec.argv)

    def listens(self) -> list[Listen]:
        """TCP 10.77.2.84:3128."""
        return [Listen("tcp", w.HTTP_PROXY_ADDR, w.HTTP_PROXY_PORT)]

    def programs(self) -> list[str]:
        """``tinyproxy``."""
        return ["tinyproxy"]
