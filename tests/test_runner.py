"""The runner isolates probes: a crash becomes an internal_error observation; the rest go on."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from pathprobe.model import PathMeasurement, TargetMeasurement
from pathprobe.probes.base import Probe, ProbeResult, RunContext
from pathprobe.runner import run_probes


class Crashing(Probe):
    kind: ClassVar[str] = "example"
    version: ClassVar[str] = "0"

    def path_ids(self) -> list[str]:
        return ["example:crash"]

    async def run(self, ctx: RunContext) -> ProbeResult:
        raise ZeroDivisionError("boom")


class Fine(Probe):
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
    paths, portal = asyncio.run(run_probes([Crashing(), Fine(), Hanging()], ctx))
    by_id = {p.id: p for p in paths}
    assert portal is None
    assert by_id["example:fine"].targets[0].reachability == "reachable"
    crash = by_id["example:crash"]
    assert crash.untested_reason and crash.untested_reason.startswith("internal_error: ZeroDivisionError")
    assert crash.observations[0].failure == "internal_error"
    assert "time budget" in (by_id["example:hang"].untested_reason or "")


class PortalLike(Probe):
    """A kind that declares it fills ``network.portal`` (and so has no path of its own)."""

    kind: ClassVar[str] = "watcher"
    version: ClassVar[str] = "0"
    fills_portal: ClassVar[bool] = True

    def path_ids(self) -> list[str]:
        return []

    async def run(self, ctx: RunContext) -> ProbeResult:
        raise RuntimeError("boom")


class PortalLikeHanging(PortalLike):
    async def run(self, ctx: RunContext) -> ProbeResult:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


def test_a_kind_that_fills_the_portal_gets_an_internal_error_portal_from_the_declaration() -> None:
    ctx = RunContext(timeout=0.05)
    for probe in (PortalLike(), PortalLikeHanging()):
        paths, portal = asyncio.run(run_probes([probe, Fine()], ctx))
        assert [p.id for p in paths] == ["example:fine"]
        assert portal is not None and portal.failure == "internal_error" and portal.detected is None
    paths, portal = asyncio.run(run_probes([Crashing()], ctx))
    assert portal is None and paths[0].untested_reason


class BadBudget(Fine):
    def budget_extra(self, ctx: RunContext) -> float:
        raise ValueError("a kind's own code")


def test_a_crashing_budget_declaration_is_isolated_too() -> None:
    paths, _ = asyncio.run(run_probes([BadBudget(), Fine()], RunContext(timeout=0.05)))
    assert paths[0].untested_reason and paths[0].untested_reason.startswith("internal_error: ValueError")
    assert paths[1].targets[0].reachability == "reachable"
