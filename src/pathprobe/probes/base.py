"""The probe contract: every kind (built-in or third-party) is a :class:`Probe`.

Like httpx's ``BaseTransport``, the plug-in point is one small base class. A kind **must** give
``kind`` and ``version``, :meth:`~Probe.from_plan` (validates its plan table before any I/O, raising
:class:`~pathprobe.errors.BadInput`), :meth:`~Probe.path_ids` and an async :meth:`~Probe.run`. A
network failure is data, never an exception: ``run`` records it in the measurements.

Everything else the rest of pathprobe needs to know about a kind is **declared** here, with its
default, so that the plan reader, the runner and the ``check`` command never ask which kind they hold:

===================================  ===============  ============================================
declaration                          default          declared by (built-in kinds)
===================================  ===============  ============================================
``max_instances``                    ``None`` (any)   portal: 1
``fills_portal``                     ``False``        portal: it reports ``network.portal`` and
                                                      has no path of its own
``cli_options``                      ``()``           tor: ``--bridge``
``check_cli_options(values, mine)``  accepts all      tor: each line valid and used by a tor probe
``budget_extra(ctx)``                ``0.0``          doh, tor, vpn
``default_targets()``                ``None``         direct: its sites and controls are the
                                                      default targets of the other kinds
===================================  ===============  ============================================

A third-party kind (entry-point group ``pathprobe.probes``) should subclass :class:`Probe` too; one
written to the required part alone (no subclass) is given every default by the registry.
Copy :mod:`pathprobe.probes.example` to start a new kind: it shows the whole contract.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from pathprobe.model import HostPort, PathMeasurement, PortalMeasurement, TargetMeasurement
from pathprobe.net.sitecheck import Dialer, check_site
from pathprobe.planfields import Entry
from pathprobe.vocab import Role

T = TypeVar("T")
ProgressFn = Callable[[str, int, int], None]
"""``progress(path_id, done, total)``."""
ProbeOptions = Mapping[str, tuple[str, ...]]
"""Values of the ``check`` options kinds declare, by :attr:`CliOption.name` (``{"bridge": (line, ...)}``)."""
Targets = tuple[list[HostPort], list[HostPort]]
"""Sites and controls."""


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
    """The plan's default sites (:meth:`Probe.default_targets`: the direct probe's), for other kinds."""
    controls: list[HostPort] = field(default_factory=list)
    t0: float = field(default_factory=time.monotonic)
    progress: ProgressFn = _no_progress
    probe_options: ProbeOptions = field(default_factory=dict)
    """The values given to the options kinds declare (:attr:`Probe.cli_options`), already checked by
    their :meth:`Probe.check_cli_options`; an option not given is absent."""


@dataclass(frozen=True)
class ProbeResult:
    """What one probe's :meth:`Probe.run` returns: its paths' measurements, and the portal
    for a kind that declares :attr:`Probe.fills_portal`.
    """

    paths: tuple[PathMeasurement, ...] = ()
    portal: PortalMeasurement | None = None
    """Only from a kind that declares :attr:`Probe.fills_portal`."""


@dataclass(frozen=True)
class CliOption:
    """An option of ``pathprobe check`` that a kind declares, as a mitmproxy addon declares its own.

    It is repeatable and its values are strings. ``check`` offers it as ``--<name>`` (``_`` written
    ``-``) and lists it in ``--help``; the kind checks the values given before anything is sent
    (:meth:`Probe.check_cli_options`) and its probes read them in ``RunContext.probe_options[name]``.
    """

    name: str
    """Lower-case letters, digits and ``_``; unique among all kinds (and ``check``'s own options)."""
    help: str
    metavar: str = "TEXT"

    @property
    def flag(self) -> str:
        """The option as typed on the command line: ``--`` and the name with ``_`` written ``-``."""
        return "--" + self.name.replace("_", "-")


class Probe:
    """One probe instance of a kind (one plan table); subclass it to write a kind."""

    # ---- required -------------------------------------------------------------------------------
    kind: ClassVar[str]
    """The ``kind`` plan tables name; also the ``<kind>`` of its path ids."""
    version: ClassVar[str]

    @classmethod
    def from_plan(cls, entry: Entry) -> Probe:
        """Read and validate the plan table (call ``entry.finish()``); no I/O. Return ``cls(...)``."""
        raise NotImplementedError

    def path_ids(self) -> list[str]:
        """The path ids this instance will report (none for a kind that :attr:`fills_portal`)."""
        raise NotImplementedError

    async def run(self, ctx: RunContext) -> ProbeResult:
        """Measure; record every network failure in the result (an exception is a crash)."""
        raise NotImplementedError

    # ---- declared, with defaults --------------------------------------------------------------------
    max_instances: ClassVar[int | None] = None
    """How many probes of this kind one check may run (``None``: any number)."""
    fills_portal: ClassVar[bool] = False
    """This kind reports the network's portal (``ProbeResult.portal``, the profile's ``network.portal``)
    instead of paths. When it crashes or overruns its budget, the runner reports an ``internal_error``
    portal for it."""
    cli_options: ClassVar[tuple[CliOption, ...]] = ()
    """Options this kind adds to ``pathprobe check``."""

    @classmethod
    def check_cli_options(cls, values: ProbeOptions, mine: Sequence[Probe]) -> None:
        """Check the values given to this kind's :attr:`cli_options` (a name absent: not given) against
        the plan's probes of this kind, ``mine``; raise :class:`~pathprobe.errors.BadInput` naming the
        option. Called before any I/O, only when one of them was given. Default: any value is fine."""
        return None

    def budget_extra(self, ctx: RunContext) -> float:
        """Seconds this probe may take beyond the runner's budget (4 step timeouts + 2 s), for steps
        that come one after another (a resolver before the sites, tor's bootstrap). Default: none."""
        return 0.0

    def default_targets(self) -> Targets | None:
        """The sites and controls this probe lends to the kinds that give none of their own
        (``RunContext.sites`` / ``controls``; the first probe in the plan that lends them wins).
        Default: ``None``, it lends none."""
        return None


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
