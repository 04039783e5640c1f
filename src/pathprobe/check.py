"""One check, as a library call: plan -> probes -> observations -> analysis -> profile.

``pathprobe check`` is a thin command around this module, and so is ``lab check`` (it runs the same
command in the lab's client namespace)::

    from pathprobe.check import CheckOptions, run_check
    profile = run_check(CheckOptions(plans=(Path("my.toml"),), timeout=4))

:func:`prepare` reads and checks everything a check needs (plans, bridge lines, root files) before
any packet is sent, raising :class:`~pathprobe.errors.BadInput`; :meth:`Prepared.run` then does the
network I/O and hands the measurements to the one pure analysis,
:func:`pathprobe.analysis.pipeline.analyse`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from pathprobe.analysis.pipeline import analyse
from pathprobe.analysis.verdicts import Roots
from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.plan import Plan, default_plan_path, load_plans
from pathprobe.probes.base import ProbeOptions, ProgressFn, RunContext
from pathprobe.profile import Profile
from pathprobe.runner import run_probes


@dataclass(frozen=True)
class CheckOptions:
    """What ``pathprobe check`` takes on its command line (every field has the CLI's default)."""

    plans: tuple[Path, ...] = ()
    """Plan files; none: the shipped default plan."""
    only: tuple[str, ...] | None = None
    """Run only these probe kinds."""
    public_roots: Path | None = None
    """PEM bundle for the public roots (default: certifi, and CT is then required)."""
    device_roots: Path | None = None
    """PEM bundle for this device's roots (default: the OS store)."""
    known_roots: Path | None = None
    """Extra known interception roots (TSV like the shipped list)."""
    legacy_public_roots: Path | None = None
    """Extra PEM roots to treat as retired public roots."""
    timeout: float = 8.0
    """Seconds allowed for each network step."""
    full: bool = False
    """Deep checks too (bootstrap Tor)."""
    probe_options: ProbeOptions = field(default_factory=dict)
    """Values of the options probe kinds declare (:attr:`~pathprobe.probes.base.Probe.cli_options`),
    by name: ``{"bridge": (line, ...)}`` for ``--bridge`` (bridge lines are secret: never logged)."""
    label: str | None = None
    """A label for this network, kept in the profile only."""


def load_roots(options: CheckOptions) -> Roots:
    """The four root sets, read from their files, certifi and the OS store (I/O, before the analysis)."""
    from pathprobe import trust

    return Roots(
        public=trust.public_roots(str(options.public_roots) if options.public_roots else None),
        device=trust.device_roots(str(options.device_roots) if options.device_roots else None),
        known=trust.known_roots(str(options.known_roots) if options.known_roots else None),
        require_sct=options.public_roots is None,
        legacy=trust.legacy_roots(str(options.legacy_public_roots) if options.legacy_public_roots else None),
    )


@dataclass
class Prepared:
    """A check whose inputs were all read and found good: nothing has been sent yet."""

    options: CheckOptions
    plan: Plan
    roots: Roots
    progress: ProgressFn | None = field(default=None)

    def context(self) -> RunContext:
        """A fresh :class:`~pathprobe.probes.base.RunContext` for running the plan: the options' timeout,
        ``full`` and probe options, the plan's default sites and controls, ``t0`` taken now, and
        :attr:`progress` when one is set.
        """
        ctx = RunContext(timeout=self.options.timeout, full=self.options.full, sites=self.plan.sites,
                         controls=self.plan.controls, t0=time.monotonic(), probe_options=self.options.probe_options)
        if self.progress is not None:
            ctx.progress = self.progress
        return ctx

    def run(self, *, now: dt.datetime | None = None, loops: set[asyncio.AbstractEventLoop] | None = None) -> Profile:
        """Run every probe (network I/O), then the analysis; the profile. ``loops``, when given, holds
        the probes' event loop while they run, so another thread can cancel its tasks (the local page
        does, when its server stops)."""
        with asyncio.Runner() as runner:
            loop = runner.get_loop()
            if loops is not None:
                loops.add(loop)
            try:
                paths, portal = runner.run(run_probes(self.plan.probes, self.context()))
            finally:
                if loops is not None:
                    loops.discard(loop)
        return analyse(paths, portal, self.roots, label=self.options.label, now=now)


def prepare(options: CheckOptions) -> Prepared:
    """Read and check the plans, the probe kinds' options and root files; :class:`BadInput` on any problem."""
    if not 0 < options.timeout <= 600:
        raise BadInput(_("--timeout must be a number of seconds from 0 to 600"))
    kinds = list(options.only) if options.only else None
    plan = load_plans(list(options.plans) if options.plans else [default_plan_path()], kinds)
    check_probe_options(options.probe_options, plan)
    return Prepared(options, plan, load_roots(options))


def check_probe_options(values: ProbeOptions, plan: Plan) -> None:
    """Each kind whose options were given checks their values against its probes in the plan."""
    given = {name: tuple(v) for name, v in values.items() if v}
    if not given:
        return
    from pathprobe.probes import registry

    declared = registry.cli_options()
    for name in given:
        if name not in declared:
            known = ", ".join(sorted(opt.flag for _kind, opt in declared.values())) or _("none")
            raise BadInput(_("unknown probe option '{name}'; options probe kinds declare: {known}", name=name,
                             known=known))
    owners = list(dict.fromkeys(declared[name][0] for name in given))
    for cls in owners:
        mine = {opt.name: given[opt.name] for opt in cls.cli_options if opt.name in given}
        cls.check_cli_options(mine, [p for p in plan.probes if isinstance(p, cls)])


def run_check(options: CheckOptions, *, progress: ProgressFn | None = None) -> Profile:
    """Prepare and run one check: the profile (the network I/O happens here)."""
    prepared = prepare(options)
    prepared.progress = progress
    return prepared.run()
