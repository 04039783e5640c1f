"""``dns-lie``: the censor's lying resolver (unbound on the router at 10.77.1.1:53).

It answers every lab name as the honest resolver does, except the scenario's lies: a name mapped to
an address (``"blockpage"`` is the censor's own block-page server) or to ``"nxdomain"``. The
censor's ruleset hijacks the client's DNS to it (see :mod:`pathprobe.lab.censor`).
"""

from __future__ import annotations

from pathlib import Path

from pathprobe.lab import world as w
from pathprobe.lab.services import _unbound
from pathprobe.lab.services.base import LabContext, Launch, Listen, Service


class LyingDns(Service):
    kind = "dns-lie"
    about = "the censor's lying resolver (unbound with lying local data)"

    def __init__(self, lies: dict[str, str], instance: str = "dns-lie", netns: str = w.CENSOR_NS) -> None:
        super().__init__(instance, netns)
        self.lies = lies

    def records(self, many: int = 0) -> dict[str, str]:
        records = w.honest_records(many)
        for name, lie in self.lies.items():
            if lie == "nxdomain":
                records.pop(name, None)
            else:
                records[name] = w.BLOCKPAGE_ADDR if lie == "blockpage" else lie
        return records

    def prepare(self, ctx: LabContext, workdir: Path) -> Launch:
        conf = _unbound.write(workdir, _unbound.config(workdir, [w.CENSOR_CLIENT_ADDR], self.records(ctx.many)))
        return Launch(_unbound.argv(conf))

    def listens(self) -> list[Listen]:
        return [Listen("udp", w.CENSOR_CLIENT_ADDR, 53), Listen("tcp", w.CENSOR_CLIENT_ADDR, 53)]

    def programs(self) -> list[str]:
        return ["unbound"]
