"""Runs every probe concurrently and isolates them: a crashing probe becomes an ``internal_error``.

A probe that overruns its time budget is cancelled, and what it measured until then is kept
(:class:`~pathprobe.probes.base.SoFar`): its finished targets as measured, the rest ``unknown`` with
the reason. A path of which nothing was recorded is ``unknown`` as a whole.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import traceback

from pathprobe.model import Observation, PathMeasurement, PortalMeasurement
from pathprobe.net import pace
from pathprobe.net.sitecheck import download_seconds
from pathprobe.probes.base import NOT_MEASURED, Probe, ProbeResult, RunContext, SoFar
from pathprobe.vocab import Failure, Step


def _failed(probe: Probe, reason: str, ctx: RunContext, failure: Failure = Failure.INTERNAL_ERROR) -> ProbeResult:
    """Every path of ``probe`` (and its portal, if it fills one) as not measured, with ``failure``:
    ``internal_error`` for a crash, ``generic_timeout_error`` for a budget that ran out (the network
    was slow, the tool did not fail)."""
    ids = probe.path_ids()
    now = (time.monotonic() - ctx.t0) * 1000
    paths = tuple(
        PathMeasurement(
            id=pid,
            kind=probe.kind,
            targets=(),
            untested_reason=reason,
            observations=(Observation(pid, "", Step.HANDSHAKE, now, 0.0, failure, detail={"error": reason}),),
        )
        for pid in ids
    )
    portal = None
    if probe.fills_portal:
        portal = PortalMeasurement(detected=None, host=None, offered=(), failure=failure)
    return ProbeResult(paths=paths, portal=portal)


def _cut_short(probe: Probe, mine: RunContext, budget: float) -> ProbeResult:
    """The result of a probe whose budget ended: what it recorded so far, for each of its paths."""
    reason = f"{NOT_MEASURED} ({budget:.0f} s)"
    failed = _failed(probe, f"the probe did not finish within its time budget ({budget:.0f} s)", mine,
                     Failure.GENERIC_TIMEOUT_ERROR)
    paths = tuple(
        mine.so_far.path(p.id, probe.kind, reason) if mine.so_far.has(p.id) else p for p in failed.paths
    )
    return ProbeResult(paths=paths, portal=failed.portal)


async def _safe(probe: Probe, ctx: RunContext) -> ProbeResult:
    budget = 0.0
    # Its own record (the site gate stays shared) and its own throughput read (plan: download_bytes).
    mine = dataclasses.replace(ctx, so_far=SoFar(), download_bytes=probe_download_bytes(probe, ctx))
    try:
        budget = probe_budget(probe, mine)  # a kind's own code, isolated like its run
        async with asyncio.timeout(budget):
            return await probe.run(mine)
    except TimeoutError:
        return _cut_short(probe, mine, budget)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno}" if last else ""
        return _failed(probe, f"{Failure.INTERNAL_ERROR}: {type(exc).__name__}{where}", ctx)


def probe_download_bytes(probe: Probe, ctx: RunContext) -> int:
    """How much of each page ``probe`` reads for throughput: its own ``download_bytes`` (a kind written
    without the base class has the context's)."""
    value = getattr(probe, "download_bytes", ctx.download_bytes)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else ctx.download_bytes


def probe_budget(probe: Probe, ctx: RunContext) -> float:
    """The most one probe may take: its steps run concurrently, each bounded by the step timeout, plus
    the body read of its site checks (``min(timeout, 2 s)`` when it reads bodies), plus what the probe
    declares for steps that come one after another (:meth:`Probe.budget_extra`)."""
    body = download_seconds(ctx.timeout) if probe_download_bytes(probe, ctx) > 0 and not probe.fills_portal else 0.0
    return 4 * ctx.timeout + 2.0 + body + float(probe.budget_extra(ctx))


async def run_probes(probes: list[Probe], ctx: RunContext) -> tuple[list[PathMeasurement], PortalMeasurement | None]:
    """Run every probe at once, each within its :func:`probe_budget` and isolated (a crash or an
    overrun becomes an ``internal_error`` path, or portal); returns the paths in probe order
    and the portal, if a probe filled it. Starts the check's round-trip paces afresh.
    """
    pace.begin()  # round trips seen by any probe pace the retries and give-ups of all (net/pace.py)
    ctx.site_gate()  # one gate for this loop, shared by every probe's copy of the context
    results = await asyncio.gather(*(_safe(p, ctx) for p in probes))
    paths: list[PathMeasurement] = []
    portal: PortalMeasurement | None = None
    for r in results:
        paths.extend(r.paths)
        if r.portal is not None:
            portal = r.portal
    return paths, portal
