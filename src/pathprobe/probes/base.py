"""The probe contract: every kind (built-in or third-party) has this shape.

A kind is a class with ``kind`` and ``version``, a ``from_plan`` that validates its plan table
before any I/O (raising :class:`~pathprobe.errors.BadInput`), ``path_ids`` and an async ``run``.
A network failure is data, never an exception: ``run`` records it in the measurements.
Copy :mod:`pathprobe.probes.example` to start a new kind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from pathprobe.model import HostPort, PathMeasurement, PortalMeasurement
from pathprobe.planfields import Entry
from pathprobe.vocab import Role

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
