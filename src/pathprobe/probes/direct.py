"""``direct``: the network as it is — system DNS, TCP, one TLS handshake and an HTTP status per site."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from pathprobe.model import HostPort, PathMeasurement
from pathprobe.net.sitecheck import SystemDialer, check_site
from pathprobe.planfields import Entry
from pathprobe.probes.base import ProbeResult, RunContext
from pathprobe.vocab import Role


class DirectProbe:
    """Sites and controls over the plain network; path id ``direct``."""

    kind: ClassVar[str] = "direct"
    version: ClassVar[str] = "0.1.0"

    def __init__(self, sites: list[HostPort], controls: list[HostPort]) -> None:
        self.sites = sites
        self.controls = controls

    @classmethod
    def from_plan(cls, entry: Entry) -> DirectProbe:
        sites = entry.sites("sites") or []
        controls = entry.sites("controls") or []
        entry.finish()
        if not sites and not controls:
            raise entry.error("sites", "give at least one site or control")
        return cls(sites, controls)

    def path_ids(self) -> list[str]:
        return ["direct"]

    async def run(self, ctx: RunContext) -> ProbeResult:
        targets = [(s, Role.SITE) for s in self.sites] + [(c, Role.CONTROL) for c in self.controls]
        dialer = SystemDialer()
        done = 0

        async def one(hp: HostPort, role: str) -> object:
            nonlocal done
            res = await check_site(dialer, hp, role, "direct", ctx.t0, ctx.timeout)  # type: ignore[arg-type]
            done += 1
            ctx.progress("direct", done, len(targets))
            return res

        results = await asyncio.gather(*(one(hp, role) for hp, role in targets))
        return ProbeResult(paths=(PathMeasurement(id="direct", kind="direct", targets=tuple(results)),))  # type: ignore[arg-type]
