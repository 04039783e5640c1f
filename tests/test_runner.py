"""The runner isolates probes: a crash becomes an internal_error observation; the rest go on."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import pytest

from pathprobe.analysis.pipeline import analyse
from pathprobe.analysis.roots import RootSet
from pathprobe.analysis.verdicts import Roots
from pathprobe.lab.servers.pki import CA
from pathprobe.model import HostPort, PathMeasurement, TargetMeasurement
from pathprobe.probes.base import Probe, ProbeResult, RunContext
from pathprobe.probes.direct import DirectProbe
from pathprobe.runner import probe_budget, run_probes
from pathprobe.trust import known_roots
from tests.servers import https_server


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
    assert by_id["example:hang"].observations[0].failure == "generic_timeout_error", "a slow network is no crash"
    from pathprobe.analysis.advice import reason_msg

    told = reason_msg(by_id["example:hang"].untested_reason or "")
    assert not isinstance(told, str) and "с)" in told.render("ru"), "the reason is told in every language"


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


def test_a_kind_that_fills_the_portal_gets_an_unknown_portal_from_the_declaration() -> None:
    """A crash is an ``internal_error`` portal; a budget that ran out a timeout (the network was slow);
    either way the portal is unknown (``detected`` null)."""
    ctx = RunContext(timeout=0.05)
    for probe, failure in ((PortalLike(), "internal_error"), (PortalLikeHanging(), "generic_timeout_error")):
        paths, portal = asyncio.run(run_probes([probe, Fine()], ctx))
        assert [p.id for p in paths] == ["example:fine"]
        assert portal is not None and portal.failure == failure and portal.detected is None
    paths, portal = asyncio.run(run_probes([Crashing()], ctx))
    assert portal is None and paths[0].untested_reason


class BadBudget(Fine):
    def budget_extra(self, ctx: RunContext) -> float:
        raise ValueError("a kind's own code")


def test_a_crashing_budget_declaration_is_isolated_too() -> None:
    paths, _ = asyncio.run(run_probes([BadBudget(), Fine()], RunContext(timeout=0.05)))
    assert paths[0].untested_reason and paths[0].untested_reason.startswith("internal_error: ValueError")
    assert paths[1].targets[0].reachability == "reachable"


# --- a budget that ends mid-way keeps what was measured (issue 16, part 3) ----------------------------


@contextmanager
def silent_ports(n: int) -> Iterator[list[int]]:
    """``n`` listening sockets that never accept: TCP connects (the kernel answers), TLS hears nothing."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(8)
            socks.append(s)
        yield [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def test_a_probe_whose_budget_ends_keeps_its_finished_targets(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Many silent sites, one site check at a time: the budget (4 x 0.25 + 2 s) ends mid-way. The site
    checked first (a real TLS server) stays reached, the silent ones checked stay blocked, the rest are
    unknown with the reason, and the network is not called offline."""
    ca = CA("Budget Test Root", "pathprobe tests")
    (tmp_path / "hosts").write_text("127.0.0.1 good.test\n")
    monkeypatch.setenv("PATHPROBE_HOSTS", str(tmp_path / "hosts"))
    with https_server(ca.issue("good.test"), tmp_path) as good, silent_ports(30) as quiet:
        sites = [HostPort("good.test", good), *(HostPort("127.0.0.1", p) for p in quiet)]
        probe = DirectProbe(sites, [])
        ctx = RunContext(timeout=0.25, site_checks_at_once=1)
        budget = probe_budget(probe, ctx)
        start = time.monotonic()
        paths, _ = asyncio.run(run_probes([probe], ctx))
        took = time.monotonic() - start
    assert took < budget + 1.0, "the budget bounds the probe"
    roots = Roots(public=RootSet.of("public", [ca.cert], "test"), device=RootSet.of("device", [ca.cert], "test"),
                  known=known_roots(None))
    prof = analyse(paths, None, roots).to_dict()
    (path,) = prof["paths"]
    targets = {t["target"]: t for t in path["targets"]}
    assert len(targets) == len(sites), "every site is listed, measured or not"
    first = targets[f"good.test:{good}"]
    assert (first["reachability"], first["tls"], first["failure"]) == ("reachable", "intact", None)
    words = [t["reachability"] for t in path["targets"][1:]]
    assert "blocked" in words, "silent sites checked before the budget ended keep their verdict"
    unknown = [t for t in path["targets"] if t["reachability"] == "unknown"]
    assert unknown, "sites the budget left unchecked are unknown"
    for t in unknown:
        assert t["failure"] is None and "not measured: the probe's time budget ran out" in t["note"]
    assert path["reachability"] == "partial" and path["tls"] == "intact"
    assert prof["network"]["connectivity"] == "online"


class Hurried(DirectProbe):
    """A direct probe whose budget is shorter than one step (through the existing declaration)."""

    def budget_extra(self, ctx: RunContext) -> float:
        return -(4 * ctx.timeout + 2.0) + 0.3


def test_a_budget_ending_mid_step_keeps_the_steps_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget ends while a silent site's TLS step waits: its TCP step is kept and it is unknown,
    never blocked (the step had not failed yet)."""
    with silent_ports(1) as (port,):
        paths, _ = asyncio.run(run_probes([Hurried([HostPort("127.0.0.1", port)], [])], RunContext(timeout=3)))
    (pm,) = paths
    (t,) = pm.targets
    assert t.reachability == "unknown" and t.note and "time budget ran out" in t.note
    assert [(o.step, o.failure) for o in t.observations] == [("tcp", None)]
    prof = analyse(paths, None, Roots(public=RootSet.of("public", [], "t"), device=RootSet.of("device", [], "t"),
                                       known=known_roots(None))).to_dict()
    assert prof["paths"][0]["reachability"] == "unknown"
    assert prof["network"]["connectivity"] == "online", "the TCP handshake was an answer"
