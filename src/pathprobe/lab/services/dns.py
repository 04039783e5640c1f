"""``dns``: the honest resolver in the "internet" (unbound, local data only) at 10.77.2.53."""

from __future__ import annotations

from pathlib import Path

from pathprobe.lab import world as w
from pathprobe.lab.services import _unbound
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service


class HonestDns(Service):
    """The honest resolver: unbound with the lab's names as local data, no forwarders."""

    kind = "dns"
    about = "the honest resolver (unbound, local data only, no forwarders)"
    address: str = w.DNS_ADDR
    """Where it answers (port 53, UDP and TCP)."""

    def records(self, many: int = 0) -> dict[str, str]:
        """The names it answers and their addresses."""
        return w.honest_records(many)

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        """Write unbound's configuration (every lab name, and the generated ones) and return its command."""
        conf = _unbound.write(workdir, _unbound.config(workdir, [self.address], self.records(ctx.many)))
        return Launch(_unbound.argv(conf))

    def listens(self) -> list[Listen]:
        """Port 53 at :attr:`address`, UDP and TCP."""
        return [Listen("udp", self.address, 53), Listen("tcp", self.address, 53)]

    def programs(self) -> list[str]:
        """``unbound``."""
        return ["unbound"]
