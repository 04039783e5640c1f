"""``dns``: the honest resolver in the "internet" (unbound, local data only) at 10.77.2.53."""

from __future__ import annotations

from pathlib import Path

from pathprobe.lab import world as w
from pathprobe.lab.services import _unbound
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service


class HonestDns(Service):
    kind = "dns"
    about = "the honest resolver (unbound, local data only, no forwarders)"

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        conf = _unbound.write(workdir, _unbound.config(workdir, [w.DNS_ADDR], w.honest_records(ctx.many)))
        return Launch(_unbound.argv(conf))

    def listens(self) -> list[Listen]:
        return [Listen("udp", w.DNS_ADDR, 53), Listen("tcp", w.DNS_ADDR, 53)]

    def programs(self) -> list[str]:
        return ["unbound"]
