"""``example``: the smallest complete probe kind — copy this file to start a new one.

It checks the TCP reachability of a list of ``host:port`` endpoints (no TLS), so its path's
``tls`` verdict is always ``unverified``. Plan::

    [[probe]]
    kind = "example"
    name = "ports"              # path id example:ports
    endpoints = ["127.0.0.1:8080"]

The class shows the whole contract (:mod:`pathprobe.probes.base`): the five things a kind must give,
then every declaration with its default. Keep a declaration only if your kind needs another value;
the defaults are inherited from :class:`~pathprobe.probes.base.Probe`.

To ship a third-party kind, expose the class under the entry-point group ``pathprobe.probes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pathprobe.errors import NetFailure
from pathprobe.i18n import _
from pathprobe.model import HostPort, PathMeasurement, TargetMeasurement
from pathprobe.net.sitecheck import Recorder, connect_any, resolve_step
from pathprobe.planfields import Entry
from pathprobe.probes.base import (
    CliOption,
    Probe,
    ProbeOptions,
    ProbeResult,
    RunContext,
    Targets,
    gather_counted,
)
from pathprobe.vocab import Reachability, Role


class ExampleProbe(Probe):
    """TCP reachability of a few endpoints; path id ``example:<name>``."""

    # ---- what every kind must give ------------------------------------------------------------------
    kind: ClassVar[str] = "example"
    version: ClassVar[str] = "0.1.0"

    def __init__(self, name: str, endpoints: list[HostPort]) -> None:
        self.name = name
        self.endpoints = endpoints

    @classmethod
    def from_plan(cls, entry: Entry) -> ExampleProbe:
        """Every key read and checked here, before any I/O; ``entry.finish()`` rejects unknown keys."""
        name = entry.str("name", "example") or "example"
        endpoints = entry.sites("endpoints")
        entry.finish()
        if not endpoints:
            raise entry.error("endpoints", _("give at least one host:port"))
        return cls(name, endpoints)

    def path_ids(self) -> list[str]:
        """``["example:<name>"]``: one path for all the endpoints."""
        return [f"example:{self.name}"]

    async def run(self, ctx: RunContext) -> ProbeResult:
        """A failure is data (``failure`` on the target), never an exception."""
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

        # All endpoints at once, progress as each ends. A kind checking HTTPS sites over a dialer
        # uses ``check_sites(dialer, targets, path, ctx)`` instead (direct, doh, tor, vpn do).
        targets = await gather_counted(path, ctx, [one(hp) for hp in self.endpoints])
        return ProbeResult(paths=(PathMeasurement(id=path, kind=self.kind, targets=tuple(targets)),))

    # ---- declarations: the defaults, shown (delete what your kind does not change) ---------------------
    max_instances: ClassVar[int | None] = None
    """Any number of example probes per check (the portal kind allows 1)."""
    fills_portal: ClassVar[bool] = False
    """It reports paths, not ``network.portal`` (only the portal kind does)."""
    cli_options: ClassVar[tuple[CliOption, ...]] = ()
    """No ``check`` options of its own. The tor kind declares one, ``--bridge``:
    ``(CliOption("bridge", "A Tor bridge line to test; repeatable (kept secret).", metavar="LINE"),)``;
    ``check`` then offers ``--bridge LINE`` and its probes read ``ctx.probe_options.get("bridge", ())``."""

    @classmethod
    def check_cli_options(cls, values: ProbeOptions, mine: Sequence[Probe]) -> None:
        """With ``cli_options``: check ``values`` (by option name) against ``mine``, this kind's probes in
        the plan, before anything is sent; raise ``BadInput`` naming the option."""
        return None

    def budget_extra(self, ctx: RunContext) -> float:
        """Its connections run at once, each within the step timeout: the runner's budget is enough.
        A kind whose steps come one after another (a resolver, then the sites) asks for more."""
        return 0.0

    def default_targets(self) -> Targets | None:
        """It lends no sites to other kinds (the direct kind lends its sites and controls)."""
        return None
