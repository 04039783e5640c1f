"""``snifilter``: the censor's reassembling SNI filter (``python -m pathprobe.lab.servers.snifilter`` in
pp-censor, port 8443; issue 17).

The censor's ruleset redirects the client's port-443 connections to it; it reads each whole TLS
ClientHello (across TCP segments and TLS records) and resets or silences the flows that name a listed
site, relaying the others to their original destination. Splitting the hello does not get past it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pathprobe.lab import world as w
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service


class SniFilterService(Service):
    """The reassembling SNI filter on the router's port 8443."""

    kind = "snifilter"
    about = "the censor's reassembling SNI filter (pathprobe.lab.servers.snifilter)"

    def __init__(self, hosts: list[str], action: str, instance: str = "snifilter", netns: str = w.CENSOR_NS) -> None:
        super().__init__(instance, netns)
        self.hosts = list(hosts)
        self.action = action

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """The filter's command (no configuration file)."""
        argv = [sys.executable, "-m", "pathprobe.lab.servers.snifilter", "--listen", f"0.0.0.0:{w.SNIFILTER_PORT}",
                "--mode", "reassemble", "--action", self.action]
        for h in self.hosts:
            argv += ["--host", h]
        return Launch(argv)

    def listens(self) -> list[Listen]:
        """TCP port 8443 on every address of the router."""
        return [Listen("tcp", "0.0.0.0", w.SNIFILTER_PORT)]
