"""The runner isolates probes: a crash becomes an internal_error observation; the rest go on."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from pathprobe.model import PathMeasurement, TargetMeasurement
from pathprobe.probes.base import ProbeResult, RunContext
from pathprobe.runner import run_probes


class Crashing:
    kind: ClassVar[str] = "example"
    version: ClassVar[str] = "0"

    def path_ids(self) -> list[str]:
        return ["example:crash"]

    async def run(self, ctx: RunContext) -> ProbeResult:
        raise ZeroDivisionError("boom")


class Fine:
    kind: ClassVar[str] = "example"
    version: ClassVar[str] = "0"

    def path_ids(self) -> list[str]:
        return ["example:fine"]

    async def run(self, ctx: RunContext) -> ProbeResult:
        await asyncio.sleep(0)
        t = TargetMeasurement("x", "endpoint", (), reachability="reachable")
        return ProbeResult(paths=(PathMeasurement("example:fine", "example", (t,)),))


class Hanging(Fine):
    def path_ids(self) -> list[str]:
        return ["example:hang"]

    async def run(self, ctx: RunContext) -> ProbeResult:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


def test_crash_and_hang_are_isolated() -> None:
    ctx = RunContext(timeout=0.05)
    paths, portal = asyncio.run(run_probes([Crashing(), Fine(), Hanging()], ctx))  # type: ignore[list-item]
    by_id = {p.id: p for p in paths}
    assert portal is None
    assert by_id["example:fine"].targets[0].reachability == "reachable"
    crash = by_id["example:crash"]
    assert crash.untested_reason and crash.untested_reason.startswith("internal_error: ZeroDivisionError")
    assert crash.observations[0].failure == "internal_error"
    assert "time budget" in (by_id["example:hang"].untested_reason or "")
