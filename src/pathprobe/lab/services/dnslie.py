"""``dns-lie``: the censor's lying resolver (unbound on the router at 10.77.1.1:53).

It answers every lab name as the honest resolver does, except the scenario's lies: a name mapped to
an address (``"blockpage"`` is the censor's own block-page server) or to ``"nxdomain"``. The
censor's ruleset hijacks the client's DNS to it (see :mod:`pathprobe.lab.censor`).
"""

from __future__ import annotations

from pathprobe.lab import world as w
from pathprobe.lab.services.dns import HonestDns


class LyingDns(HonestDns):
    """The censor's lying resolver (unbound on the router): the honest answers but for ``lies``,
    which map a name to an address, to ``"blockpage"`` (the block-page server) or to ``"nxdomain"``.
    """

    kind = "dns-lie"
    about = "the censor's lying resolver (unbound with lying local data)"
    address = w.CENSOR_CLIENT_ADDR

    def __init__(self, lies: dict[str, str], instance: str = "dns-lie", netns: str = w.CENSOR_NS) -> None:
        super().__init__(instance, netns)
        self.lies = lies

    def records(self, many: int = 0) -> dict[str, str]:
        """The honest records with the lies applied: a ``nxdomain`` name removed, the others re-pointed."""
        records = w.honest_records(many)
        for name, lie in self.lies.items():
            if lie == "nxdomain":
                records.pop(name, None)
            else:
                records[name] = w.BLOCKPAGE_ADDR if lie == "blockpage" else lie
        return records
