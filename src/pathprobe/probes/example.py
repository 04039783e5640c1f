"""``example``: the smallest complete probe kind — copy this file to start a new one.

It checks the TCP reachability of a list of ``host:port`` endpoints (no TLS), so its path's
``tls`` verdict is always ``unverified``. Plan::

    [[probe]]
    kind = "example"
    name = "ports"              # path id example:ports
    endpoints = ["127.0.0.1:8080"]

To ship a third-party kind, expose the class under the entry-point group ``pathprobe.probes``.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from pathprobe.errors import NetFailure
from pathprobe.model import HostPort, PathMeasurement, TargetMeasurement
from pathprobe.net.sitecheck import Recorder, connect_any, resolve_step
from pathprobe.planfields import Entry
from pathprobe.probes.base import ProbeResult, RunContext
from pathprobe.vocab import Reachability, Role


class ExampleProbe:
    kind: ClassVar[str] = "example"
    version: ClassVar[str] = "0.1.0"

    def __init__(self, name: str, endpoints: list[HostPort]) -> None:
        self.name = name
        self.endpoints = endpoints

    @classmethod
    def from_plan(cls, entry: Entry) -> ExampleProbe:
        name = entry.str("name", "example") or "example"
        endpoints = entry.sites("endpoints")
        entry.finish()
        if not endpoints:
            raise entry.error("endpoints", "give at least one host:port")
        return cls(name, endpoints)

    def path_ids(self) -> list[str]:
        return [f"example:{self.name}"]

    async def run(self, ctx: RunContext) -> ProbeResult:
        path = self.path_ids()[0]

        async def one(hp: HostPort) -> TargetMeasurement:
            rec = Recorder(path, str(hp), ctx.t0, ctx.timeout)
            try:
                stream = await connect_any(await resolve_step(hp.host, rec), hp.port, rec)
                stream.close()
            except NetFailure as exc:
                return TargetMeasurement(str(hp), Role.ENDPOINT, tuple(rec.observations), failure=exc.failure,
                                         reachability=Reachability.BLOCKED)
            return TargetMeasurement(str(hp), Role.ENDPOINT, tuple(rec.observations), reachability=Reachability.REACHABLE,
                                     latency_ms=rec.observations[-1].duration_ms)

        targets = await asyncio.gather(*(one(hp) for hp in self.endpoints))
        return ProbeResult(paths=(PathMeasurement(id=path, kind=self.kind, targets=tuple(targets)),))
