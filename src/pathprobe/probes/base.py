"""The probe contract: every kind (built-in or third-party) has this shape.

A kind is a class with ``kind`` and ``version``, a ``from_plan`` that validates its plan table
before any I/O (raising :class:`~pathprobe.errors.BadInput`), ``path_ids`` and an async ``run``.
A network failure is data, never an exception: ``run`` records it in the measurements.
Copy :mod:`pathprobe.probes.example` to start a new kind.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, TypeVar

from pathprobe.model import HostPort, PathMeasurement, PortalMeasurement, TargetMeasurement
from pathprobe.net.sitecheck import Dialer, check_site
from pathprobe.planfields import Entry
from pathprobe.vocab import Role

T = TypeVar("T")
ProgressFn = Callable[[str, int, int], None]
"""``progress(path_id, done, total)``."""


def _no_progress(path: str, done: int, total: int) -> None:
    return None


@dataclass
class RunContext:
    """What a probe gets when it runs: deadlines, shared defaults, the clock, progress reporting."""

    timeout: float = 8.0
    """Bound for each network step, in seconds."""
    full: bool = False
    """``check --full``: bootstrap Tor and other slow, deep checks."""
    sites: list[HostPort] = field(default_factory=list)
    """The direct probe's sites (the default for other kinds)."""
    controls: list[HostPort] = field(default_factory=list)
    t0: float = field(default_factory=time.monotonic)
    progress: ProgressFn = _no_progress
    extra_bridges: list[str] = field(default_factory=list)
    """``--bridge`` lines from the command line."""


@dataclass(frozen=True)
class ProbeResult:
    paths: tuple[PathMeasurement, ...] = ()
    portal: PortalMeasurement | None = None


class Probe(Protocol):
    kind: ClassVar[str]
    version: ClassVar[str]

    @classmethod
    def from_plan(cls, entry: Entry) -> Probe:
        """Read and validate the plan table (call ``entry.finish()``); no I/O."""
        ...

    def path_ids(self) -> list[str]:
        """The path ids this instance will report (empty for the portal kind)."""
        ...

    async def run(self, ctx: RunContext) -> ProbeResult: ...


def targets_or_default(
    own: list[HostPort] | None, ctx: RunContext
) -> list[tuple[HostPort, Role]]:
    """A probe's own sites, else the direct probe's sites and controls, with their roles."""
    if own is not None:
        return [(s, Role.SITE) for s in own]
    return [(s, Role.SITE) for s in ctx.sites] + [(c, Role.CONTROL) for c in ctx.controls]


async def gather_counted(
    path: str, ctx: RunContext, jobs: Sequence[Awaitable[T]], *, done: int = 0, total: int | None = None
) -> list[T]:
    """Await ``jobs`` all at once and report ``ctx.progress(path, done, total)`` as each one ends.

    ``done`` counts steps the path finished before these (a resolver), ``total`` all of its steps
    (default: ``done`` plus the jobs). The results come in the order of ``jobs``.
    """
    count = done
    of = done + len(jobs) if total is None else total

    async def one(job: Awaitable[T]) -> T:
        nonlocal count
        result = await job
        count += 1
        ctx.progress(path, count, of)
        return result

    return list(await asyncio.gather(*(one(j) for j in jobs)))


async def check_sites(
    dialer: Dialer,
    targets: Sequence[tuple[HostPort, Role]],
    path: str,
    ctx: RunContext,
    *,
    done: int = 0,
    total: int | None = None,
) -> list[TargetMeasurement]:
    """Check these sites over this dialer: the one HTTPS site check
    (:func:`~pathprobe.net.sitecheck.check_site`) for each target at once, within ``ctx``'s step
    deadline, with progress as each ends (``done`` / ``total`` as in :func:`gather_counted`).
    Every kind whose path carries HTTPS (direct, doh, tor, vpn tunnels) checks its sites with this."""
    jobs = [check_site(dialer, hp, role, path, ctx.t0, ctx.timeout) for hp, role in targets]
    return await gather_counted(path, ctx, jobs, done=done, total=total)
