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

**Partial results.** The runner bounds each probe by a time budget and cancels it when the budget
ends. What the probe measured until then is kept, through one mechanism: :class:`SoFar`
(``RunContext.so_far``). :func:`check_sites` and :func:`gather_targets` record each target as it
starts and ends; a kind records the rest itself (:meth:`SoFar.expect` for targets it will measure
later, :meth:`SoFar.observe` / :meth:`SoFar.describe` for its path's own steps and detail). When the
budget ends, :meth:`SoFar.result` gives the paths: finished targets as they were measured, the others
``unknown`` with the reason (:data:`NOT_MEASURED`), never a verdict the probe did not reach.

**Concurrency.** Site checks run at once, but at most :data:`SITE_CHECKS_AT_ONCE` of them in a whole
check (``RunContext.site_checks_at_once``): a plan of thousands of sites must not exhaust the file
descriptors (``EMFILE`` is a local fault, not a blocked site) or the memory.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from pathprobe.i18n import _
from pathprobe.model import HostPort, Observation, PathMeasurement, PortalMeasurement, TargetMeasurement
from pathprobe.net.sitecheck import DOWNLOAD_BYTES, Dialer, Recorder, check_site
from pathprobe.planfields import Entry
from pathprobe.vocab import Reachability, Role, Step

T = TypeVar("T")
ProgressFn = Callable[[str, int, int], None]
"""``progress(path_id, done, total)``."""
ProbeOptions = Mapping[str, tuple[str, ...]]
"""Values of the ``check`` options kinds declare, by :attr:`CliOption.name` (``{"bridge": (line, ...)}``)."""
Targets = tuple[list[HostPort], list[HostPort]]
"""Sites and controls."""


def _no_progress(path: str, done: int, total: int) -> None:
    return None


def _site_checks_at_once() -> int:
    """At most 512 site checks at once, fewer when the open-file limit is low: each holds a socket,
    and the other probes (DNS, tor, tunnels) need some too."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):  # pragma: no cover - every POSIX system has it
        soft = 1024
    if soft == resource.RLIM_INFINITY:
        return 512
    return max(16, min(512, soft // 2 - 64))


SITE_CHECKS_AT_ONCE = _site_checks_at_once()
"""How many site checks one check runs at once (all probes together)."""
NOT_MEASURED = "not measured: the probe's time budget ran out"
"""The note of a target the probe had not finished when its budget ended (the budget in seconds follows)."""


@dataclass
class _Slot:
    """One target of a path, in the order it was announced: its measurement once finished, and until
    then the recorder of its steps (when it has started)."""

    target: str
    role: Role
    result: TargetMeasurement | None = None
    rec: Recorder | None = None
    https: bool = False
    """A site check: a completed TLS handshake already reached it (the HTTP step is extra)."""

    def measurement(self, note: str) -> TargetMeasurement:
        """What is known of this target: its result, else what its steps showed before they stopped."""
        if self.result is not None:
            return self.result
        seen = tuple(self.rec.observations) if self.rec is not None else ()
        if self.https:
            done = next((o for o in seen if o.step == Step.TLS and o.failure is None and o.tls is not None), None)
            if done is not None and done.tls is not None:
                return TargetMeasurement(target=self.target, role=self.role, observations=seen, tls=done.tls,
                                         latency_ms=done.duration_ms)
        return TargetMeasurement(target=self.target, role=self.role, observations=seen,
                                 reachability=Reachability.UNKNOWN, note=note)


@dataclass
class _PathSoFar:
    slots: list[_Slot] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


class SoFar:
    """What one probe's paths have measured so far, kept by the runner when the probe's time budget
    ends (see the module's "Partial results"). A probe need not use it: :func:`check_sites` and
    :func:`gather_targets` record their targets; a kind records what else its paths hold."""

    def __init__(self) -> None:
        self._paths: dict[str, _PathSoFar] = {}

    def _path(self, path: str) -> _PathSoFar:
        return self._paths.setdefault(path, _PathSoFar())

    def slot(self, path: str, target: str, role: Role, *, https: bool = False) -> _Slot:
        """The target's slot on ``path``: the first announced one with this name and role that has
        no result yet, else a new one at the end."""
        p = self._path(path)
        for s in p.slots:
            if s.target == target and s.role == role and s.result is None and s.rec is None:
                s.https = s.https or https
                return s
        s = _Slot(target, role, https=https)
        p.slots.append(s)
        return s

    def expect(self, path: str, targets: Sequence[tuple[str, Role]]) -> None:
        """Announce targets ``path`` will measure later (in this order): unmeasured, they are ``unknown``."""
        p = self._path(path)
        have = {(s.target, s.role) for s in p.slots}
        p.slots.extend(_Slot(t, r) for t, r in targets if (t, r) not in have)

    def done(self, path: str, tm: TargetMeasurement) -> None:
        """Record a finished target (its slot, or a new one)."""
        s = self.slot(path, tm.target, tm.role)
        s.result = tm

    def forget_targets(self, path: str) -> None:
        """Drop the targets recorded so far on ``path`` (they became path observations, say)."""
        self._path(path).slots.clear()

    def observe(self, path: str, *observations: Observation) -> None:
        """Record path-level steps (a bootstrap, first hops)."""
        self._path(path).observations.extend(observations)

    def describe(self, path: str, detail: Mapping[str, Any]) -> None:
        """Record (update) the path's ``detail``."""
        self._path(path).detail.update(detail)

    def has(self, path: str) -> bool:
        """Whether anything was recorded for ``path``."""
        p = self._paths.get(path)
        return p is not None and bool(p.slots or p.observations)

    def path(self, path: str, kind: str, reason: str) -> PathMeasurement:
        """``path`` as far as it was measured: finished targets kept, the others ``unknown`` with
        ``reason`` as their note (and the path's ``untested_reason``, used when no target was tested)."""
        p = self._path(path)
        return PathMeasurement(id=path, kind=kind, targets=tuple(s.measurement(reason) for s in p.slots),
                               untested_reason=reason, observations=tuple(p.observations), detail=dict(p.detail))


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
    so_far: SoFar = field(default_factory=SoFar)
    """What this probe has measured so far (the runner gives each probe its own)."""
    site_checks_at_once: int = SITE_CHECKS_AT_ONCE
    """At most this many site checks at once, for all the probes that share this context's gate."""
    download_bytes: int = DOWNLOAD_BYTES
    """How much of each reached site's page to read for throughput (0: none); the runner sets the
    probe's own (plan key ``download_bytes``, :attr:`Probe.download_bytes`)."""
    gate: list[tuple[asyncio.AbstractEventLoop, asyncio.Semaphore]] = field(default_factory=list)
    """The semaphore behind :meth:`site_gate` (one per event loop; shared by the probes' copies)."""

    def site_gate(self) -> asyncio.Semaphore:
        """The semaphore that bounds how many site checks run at once (see :attr:`site_checks_at_once`)."""
        loop = asyncio.get_running_loop()
        if not self.gate or self.gate[0][0] is not loop:
            self.gate[:] = [(loop, asyncio.Semaphore(self.site_checks_at_once))]
        return self.gate[0][1]


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
    download_bytes: int = DOWNLOAD_BYTES
    """How much of each reached site's page this probe reads for throughput (0: none). Set from the plan
    key ``download_bytes``, which every ``[[probe]]`` table that checks sites may give
    (:func:`pathprobe.plan.parse_plan_data` reads it, not the kind)."""

    @classmethod
    def check_cli_options(cls, values: ProbeOptions, mine: Sequence[Probe]) -> None:
        """Check the values given to this kind's :attr:`cli_options` (a name absent: not given) against
        the plan's probes of this kind, ``mine``; raise :class:`~pathprobe.errors.BadInput` naming the
        option. Called before any I/O, only when one of them was given. Default: any value is fine."""
        return None

    def budget_extra(self, ctx: RunContext) -> float:
        """Seconds this probe may take beyond the runner's budget (4 step timeouts + 2 s), for steps
        that come one after another (a resolver before the sites, tor's bootstrap). Default: none.
        (The runner adds the body read of site checks, ``min(timeout, 2 s)``, itself.)"""
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


async def gather_targets(
    path: str,
    ctx: RunContext,
    jobs: Sequence[tuple[str, Role, Awaitable[TargetMeasurement]]],
    *,
    done: int = 0,
    total: int | None = None,
) -> list[TargetMeasurement]:
    """:func:`gather_counted` for jobs that each measure one target (its name and role given): each is
    recorded in ``ctx.so_far`` as it ends, so it survives the end of the probe's budget."""
    for name, role, _job in jobs:
        ctx.so_far.slot(path, name, role)

    async def keep(job: Awaitable[TargetMeasurement]) -> TargetMeasurement:
        tm = await job
        ctx.so_far.done(path, tm)
        return tm

    return await gather_counted(path, ctx, [keep(j) for _, _, j in jobs], done=done, total=total)


async def check_sites(
    dialer: Dialer,
    targets: Sequence[tuple[HostPort, Role]],
    path: str,
    ctx: RunContext,
    *,
    done: int = 0,
    total: int | None = None,
    diagnose: Sequence[str] | None = None,
) -> list[TargetMeasurement]:
    """Check these sites over this dialer: the one HTTPS site check
    (:func:`~pathprobe.net.sitecheck.check_site`) for each target at once (at most
    ``ctx.site_checks_at_once`` in the whole check), within ``ctx``'s step deadline, with progress as
    each ends (``done`` / ``total`` as in :func:`gather_counted`). Each target is recorded in
    ``ctx.so_far`` as it starts and ends. Every kind whose path carries HTTPS (direct, doh, tor, vpn
    tunnels) checks its sites with this.

    ``diagnose`` (direct and doh paths: the control names, the plan's ``diagnosis_name`` first): a
    target whose TLS step failed after TCP connected then gets the blocking diagnosis
    (:func:`pathprobe.net.diagnose.diagnose`: a control name and two evasions at the same address,
    concurrently, one more step timeout). Its undiagnosed result is kept first, so a budget that ends
    during the diagnosis loses only the diagnosis."""
    gate = ctx.site_gate()
    slots = [ctx.so_far.slot(path, str(hp), role, https=True) for hp, role in targets]

    async def one(hp: HostPort, role: Role, slot: _Slot) -> TargetMeasurement:
        async with gate:
            slot.rec = Recorder(path, str(hp), ctx.t0, ctx.timeout)
            slot.result = await check_site(dialer, hp, role, path, ctx.t0, ctx.timeout, rec=slot.rec,
                                           download_bytes=ctx.download_bytes)
            # --- blocking diagnosis (issue 17) ---
            if diagnose is not None and slot.result.failure is not None:
                from pathprobe.net.diagnose import diagnose as diagnose_target

                slot.result = await diagnose_target(slot.result, hp, diagnose, slot.rec.now_ms, ctx.timeout)
            return slot.result

    jobs = [one(hp, role, slot) for (hp, role), slot in zip(targets, slots, strict=True)]
    return await gather_counted(path, ctx, jobs, done=done, total=total)


# --- blocking diagnosis (issue 17) ---


def diagnosis_name(entry: Entry) -> str | None:
    """Take the plan key ``diagnosis_name``: a host name (no address, no port) the blocking diagnosis
    sends as the control server name to an unreached site's address; :class:`BadInput` naming the file
    and key when it is not one. Absent: None (the control sites' names are used)."""
    from pathprobe.planfields import parse_hostport

    text = entry.str("diagnosis_name")
    if text is None:
        return None
    try:
        hp = parse_hostport(text)
    except ValueError as exc:
        raise entry.error("diagnosis_name", str(exc)) from None
    if hp.port != 443 or text.rstrip(".").lower() != hp.host or hp.host.replace(".", "").isdigit() or ":" in hp.host:
        raise entry.error("diagnosis_name", _("'{name}' is not a host name (no address, no port)", name=text))
    if "." not in hp.host:
        raise entry.error("diagnosis_name", _("'{name}' is not a full host name (it has no dot)", name=text))
    return hp.host


def control_names(name: str | None, controls: Sequence[HostPort]) -> list[str]:
    """The names the diagnosis may send as a control: the plan's ``diagnosis_name``, then the control
    sites' host names (addresses left out: a server name is never an address)."""
    import ipaddress

    out = [name] if name else []
    for c in controls:
        try:
            ipaddress.ip_address(c.host)
        except ValueError:
            out.append(c.host)
    return list(dict.fromkeys(out))
