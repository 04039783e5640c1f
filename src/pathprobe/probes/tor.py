"""``tor``: can this network reach Tor (vanilla or through a bridge), and is HTTPS intact through it?

Plan (DESIGN.md)::

    [[probe]]
    kind = "tor"
    name = "obfs4"                   # path id tor:obfs4 (default: the transport)
    transport = "obfs4"              # vanilla | obfs4 | snowflake | meek | webtunnel
    bridges = ["obfs4 192.0.2.1:443 FINGERPRINT cert=... iat-mode=0"]
    bootstrap = false                # true: full depth for this probe (as `check --full` does)
    bootstrap_timeout = 60           # seconds for tor's bootstrap
    # sites = [...]                  # default: the direct probe's sites and controls
    [probe.torrc]                    # extra torrc options (a private test network's settings)
    DirAuthority = ["..."]

Two depths:

- **quick** (default): the first hops' handshakes (:mod:`pathprobe.tor.quick`). The path's targets
  are those first hops (role ``endpoint``); its ``tls`` stays ``unverified``.
- **full** (``check --full`` or ``bootstrap = true``): the same handshakes first; a path none of whose
  first hops answered is ``blocked`` at once from that evidence. Otherwise tor is started
  (:mod:`pathprobe.tor.launch`) and bootstraps within ``bootstrap_timeout``; then every site is
  checked with :func:`~pathprobe.net.sitecheck.check_site` through tor's SOCKS port (names resolved
  by the exit: socks5h). The path's targets are then the sites, so it gets a real ``tls`` verdict and
  the cross-path comparison its witness; the first hops and the bootstrap are path observations and
  ``detail``.

``--bridge`` lines (an option this kind declares, :data:`BRIDGE`; ``RunContext.probe_options``)
**replace** the plan's bridges in the tor probes of the same transport, so a check answers whether
*those* bridges work here (built-in bridges would hide the answer). A plain line (no transport) goes to
``vanilla`` probes, which then use it as a bridge instead of the directory authorities.
:meth:`TorProbe.check_cli_options` rejects, before anything is sent, a line that is not a valid bridge
line or that no tor probe in the plan would use.
"""

from __future__ import annotations

import asyncio
import csv
import re
import time
from collections.abc import Awaitable, Sequence
from importlib import resources
from typing import Any, ClassVar

from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.model import HostPort, Observation, PathMeasurement, TargetMeasurement
from pathprobe.planfields import Entry
from pathprobe.probes.base import (
    CliOption,
    Probe,
    ProbeOptions,
    ProbeResult,
    RunContext,
    check_sites,
    gather_targets,
    targets_or_default,
)
from pathprobe.tor import launch, quick
from pathprobe.tor.bridges import TRANSPORTS, Bridge, parse_bridge
from pathprobe.tor.socks import TorDialer
from pathprobe.vocab import Failure, Reachability, Role, Step

DEFAULT_BOOTSTRAP_TIMEOUT = 60.0
_STOP_ALLOWANCE = 12.0
"""Seconds for starting tor, taking ownership and stopping it, on top of the bootstrap."""
_DIRAUTH_RE = re.compile(r"(?:^|\s)orport=(\d{1,5})(?:\s|$)")
_ADDR_RE = re.compile(r"(?:^|\s)((?:\d{1,3}\.){3}\d{1,3}):(\d{1,5})(?:\s|$)")


def default_authorities() -> list[quick.Authority]:
    """The public directory authorities shipped in ``data/tor_dirauths.tsv`` (IPv4 ORPorts)."""
    text = (resources.files("pathprobe") / "data" / "tor_dirauths.tsv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    out = []
    for row in csv.DictReader(lines, delimiter="\t"):
        out.append(
            quick.Authority(
                row["name"], HostPort(row["ipv4"], int(row["orport"])), row["fingerprint"] or None
            )
        )
    return out


def parse_dirauthority(value: str) -> quick.Authority:
    """``nick [flags] orport=N ... IP:DIRPORT FINGERPRINT`` -> the authority's ORPort; ValueError if bad."""
    words = value.split()
    port = _DIRAUTH_RE.search(value)
    addr = _ADDR_RE.search(value)
    if not words or not port or not addr:
        raise ValueError(_("a DirAuthority line needs a nickname, 'orport=PORT' and IP:DIRPORT"))
    orport = int(port.group(1))
    if not 1 <= orport <= 65535:
        raise ValueError(_("a DirAuthority 'orport=' must be from 1 to 65535"))
    tail = "".join(value[addr.end() :].split())
    fp = tail.upper() if re.fullmatch(r"[0-9A-Fa-f]{40}", tail) else None
    return quick.Authority(words[0], HostPort(addr.group(1), orport), fp)


BRIDGE = CliOption("bridge", "A Tor bridge line to test; repeatable (kept secret).", metavar="LINE")
"""``check --bridge LINE``: the lines replace the plan's bridges of their transport."""


class TorProbe(Probe):
    """One Tor path (``tor:<name>``): vanilla, or one pluggable transport with its bridges."""

    kind: ClassVar[str] = "tor"
    version: ClassVar[str] = "0.1.0"
    cli_options: ClassVar[tuple[CliOption, ...]] = (BRIDGE,)

    def __init__(
        self,
        name: str,
        transport: str,
        bridges: list[Bridge],
        *,
        bootstrap: bool = False,
        bootstrap_timeout: float = DEFAULT_BOOTSTRAP_TIMEOUT,
        sites: list[HostPort] | None = None,
        torrc: list[tuple[str, str]] | None = None,
    ) -> None:
        self.name = name
        self.transport = transport
        self.bridges = bridges
        self.bootstrap = bootstrap
        self.bootstrap_timeout = bootstrap_timeout
        self.sites = sites
        self.torrc = torrc or []
        self.authorities = [parse_dirauthority(v) for k, v in self.torrc if k.lower() == "dirauthority"]

    # ---- plan ----------------------------------------------------------------------------------

    @classmethod
    def from_plan(cls, entry: Entry) -> TorProbe:
        """Read ``transport``, ``name``, ``bridges`` (each of this transport), ``bootstrap``,
        ``bootstrap_timeout`` (1 to 3600 s), ``sites`` and the ``torrc`` table (no option
        pathprobe sets itself; every ``DirAuthority`` valid).
        """
        transport = entry.choice("transport", TRANSPORTS, "vanilla")
        name = entry.path_name(transport)
        lines = entry.str_list("bridges", []) or []
        bridges = []
        for i, line in enumerate(lines, start=1):
            b = parse_bridge(line, _("{where}, bridge #{index}", where=entry.where("bridges"), index=i))
            if b.transport != transport:
                raise entry.error(
                    "bridges",
                    _("bridge #{index} is a {bridge_transport} bridge, but this probe's transport is '{transport}'",
                      index=i, bridge_transport=b.transport, transport=transport),
                )
            bridges.append(b)
        bootstrap = entry.bool("bootstrap", False)
        timeout = entry.number("bootstrap_timeout", DEFAULT_BOOTSTRAP_TIMEOUT, low=1, high=3600)
        sites = entry.sites("sites")
        table = entry.table("torrc") or {}
        try:
            torrc = launch.torrc_lines(table, entry.where("torrc"))
            for k, v in torrc:
                if k.lower() == "dirauthority":
                    parse_dirauthority(v)
        except ValueError as exc:
            raise entry.error("torrc", str(exc)) from None
        entry.finish()
        return cls(
            name, transport, bridges, bootstrap=bootstrap, bootstrap_timeout=timeout, sites=sites, torrc=torrc
        )

    @classmethod
    def check_cli_options(cls, values: ProbeOptions, mine: Sequence[Probe]) -> None:
        """Every ``--bridge`` line is a valid bridge line, and a tor probe of its transport is in the plan."""
        lines = values.get(BRIDGE.name, ())
        for line in lines:
            parse_bridge(line, BRIDGE.flag)
        have = {p.transport for p in mine if isinstance(p, TorProbe)}
        for i, line in enumerate(lines, start=1):
            b = parse_bridge(line, f"--bridge #{i}")
            if b.transport not in have:
                raise BadInput(_(
                    "--bridge #{index}: no tor probe in the plan uses the '{transport}' transport; add one "
                    '([[probe]] kind = "tor", transport = "{transport}") or leave out --only',
                    index=i, transport=b.transport))

    def path_ids(self) -> list[str]:
        """One path: ``tor:<name>``."""
        return [f"tor:{self.name}"]

    def budget_extra(self, ctx: RunContext) -> float:
        """Full depth needs the bootstrap, the sites through Tor and tor's start and stop."""
        if not (ctx.full or self.bootstrap):
            return 0.0
        return self.bootstrap_timeout + 4 * ctx.timeout + _STOP_ALLOWANCE

    # ---- run -----------------------------------------------------------------------------------

    def bridges_for(self, ctx: RunContext) -> list[Bridge]:
        """The bridges this probe tests: the ``--bridge`` lines of its transport when any were
        given, else the plan's.
        """
        lines = ctx.probe_options.get(BRIDGE.name, ())
        extra = [parse_bridge(line, f"--bridge #{i}") for i, line in enumerate(lines, start=1)]
        mine = [b for b in extra if b.transport == self.transport]
        return mine if mine else list(self.bridges)

    async def run(self, ctx: RunContext) -> ProbeResult:
        """The first hops' handshakes; at full depth (``check --full`` or ``bootstrap = true``) also
        tor's bootstrap and the sites through it. A transport other than vanilla without
        bridges gives an untested path.
        """
        path = self.path_ids()[0]
        full = ctx.full or self.bootstrap
        bridges = self.bridges_for(ctx)
        detail: dict[str, Any] = {"transport": self.transport, "depth": "full" if full else "quick"}
        if bridges:
            detail["bridges"] = [b.id for b in bridges]
        if self.transport != "vanilla" and not bridges:
            return self._result(
                path,
                (),
                detail,
                untested=f"no {self.transport} bridge lines: give them in the plan's "
                "'bridges' or with --bridge",
            )
        hops = await self._first_hops(path, bridges, ctx)
        if not full:
            return self._result(path, tuple(hops), detail)
        return await self._full(path, bridges, hops, detail, ctx)

    async def _first_hops(self, path: str, bridges: list[Bridge], ctx: RunContext) -> list[TargetMeasurement]:
        t0, timeout = ctx.t0, ctx.timeout
        jobs: list[tuple[str, Role, Awaitable[TargetMeasurement]]] = []
        pt: quick.PtClient | None = None
        pt_task: asyncio.Task[quick.PtClient] | None = None
        pt_hint: str | None = None
        if self.transport == "vanilla" and not bridges:
            for a in self.authorities or default_authorities():
                jobs.append((a.label, Role.ENDPOINT, quick.orport_check(path, a.label, a.address, t0, timeout,
                                                                        secret=False)))
        elif self.transport == "vanilla":
            for b in bridges:
                jobs.append((b.label, Role.ENDPOINT, quick.orport_check(path, b.label, b.address, t0, timeout,
                                                                        secret=True)))
        elif self.transport == "obfs4":
            binary = launch.find_transport("obfs4")
            if binary is None:
                pt_hint = launch.PT_HINTS["obfs4"]
            else:
                pt = quick.PtClient(binary, ["obfs4"])

                async def start_pt() -> quick.PtClient:
                    assert pt is not None
                    await pt.start(timeout)
                    return pt

                pt_task = asyncio.create_task(start_pt())
            for b in bridges:
                jobs.append((b.label, Role.ENDPOINT, quick.obfs4_check(path, b, pt_task, pt_hint, t0, timeout)))
        else:
            seen: set[HostPort] = set()
            for b in bridges:
                for hp in b.fronts():
                    if hp in seen:
                        continue
                    seen.add(hp)
                    secret = self.transport == "webtunnel"
                    label = f"{b.label} server" if secret else f"{self.transport} front {hp}"
                    jobs.append((label, Role.ENDPOINT, quick.front_check(path, label, hp, t0, timeout,
                                                                         secret=secret)))
        try:
            return await gather_targets(path, ctx, jobs)
        finally:
            if pt_task is not None:
                pt_task.cancel()
            if pt is not None:
                await pt.stop()

    async def _full(
        self,
        path: str,
        bridges: list[Bridge],
        hops: list[TargetMeasurement],
        detail: dict[str, Any],
        ctx: RunContext,
    ) -> ProbeResult:
        detail["first_hops"] = [
            {"target": h.target, "reachability": h.reachability, "failure": h.failure} for h in hops
        ]
        hop_obs = tuple(o for h in hops for o in h.observations)
        # At full depth the first hops are the path's own steps; its targets are the sites (if its budget
        # ends before they are checked, they are unknown: SoFar).
        ctx.so_far.forget_targets(path)
        ctx.so_far.observe(path, *hop_obs)
        ctx.so_far.describe(path, detail)
        ctx.so_far.expect(path, [(str(hp), role) for hp, role in targets_or_default(self.sites, ctx)])
        reached = [h for h in hops if h.reachability == Reachability.REACHABLE]
        if hops and not reached:
            what = "directory authorities" if self.transport == "vanilla" and not bridges else "bridges"
            if self.transport in ("snowflake", "meek", "webtunnel"):
                what = "fronts" if self.transport != "webtunnel" else "webtunnel servers"
            failures = sorted({h.failure or "?" for h in hops})
            return self._result(
                path,
                (),
                detail,
                observations=hop_obs,
                blocked=f"none of the {len(hops)} {what} answered ({', '.join(failures)}); "
                "tor was not started",
            )
        tor = launch.find_tor()
        if tor is None:
            return self._result(
                path, (), detail, observations=hop_obs, untested=f"tor is not installed: {launch.TOR_HINT}"
            )
        options = list(self.torrc)
        if bridges:
            options.append(("UseBridges", "1"))
            names = {b.tor_transport for b in bridges if b.tor_transport}
            has_plugin = any(k.lower() == "clienttransportplugin" for k, _ in options)
            if names and not has_plugin:
                pt = launch.find_transport(self.transport)
                if pt is None:
                    return self._result(
                        path,
                        (),
                        detail,
                        observations=hop_obs,
                        untested=f"the {self.transport} transport is not installed: "
                        f"{launch.PT_HINTS[self.transport]} "
                        f"(or set PATHPROBE_PT_{self.transport.upper()})",
                    )
                options.append(("ClientTransportPlugin", f"{','.join(sorted(names))} exec {pt}"))
            options += [("Bridge", b.line) for b in bridges]
        return await self._bootstrap_and_check(path, options, hop_obs, detail, ctx)

    async def _bootstrap_and_check(
        self,
        path: str,
        options: list[tuple[str, str]],
        hop_obs: tuple[Observation, ...],
        detail: dict[str, Any],
        ctx: RunContext,
    ) -> ProbeResult:
        tor = launch.find_tor()
        assert tor is not None
        started_ms = _now_ms(ctx)
        launcher = launch.TorLauncher(tor, options)
        try:
            try:
                await launcher.start()
            except (OSError, RuntimeError) as exc:
                return self._result(
                    path,
                    (),
                    detail,
                    observations=hop_obs,
                    untested=f"tor could not be started: {launch.scrub_log(str(exc))}",
                )
            result = await launcher.bootstrap(self.bootstrap_timeout)
            boot = Observation(
                path,
                "bootstrap",
                Step.BOOTSTRAP,
                started_ms,
                _now_ms(ctx) - started_ms,
                result.failure,
                detail=result.to_detail(),
            )
            detail["bootstrap"] = result.to_detail()
            observations = (*hop_obs, boot)
            ctx.so_far.observe(path, boot)
            ctx.so_far.describe(path, detail)
            if result.failure is not None and result.error is not None:
                return self._result(path, (), detail, observations=observations, untested=result.error)
            if result.failure is not None:
                why = "did not finish" if result.failure == Failure.GENERIC_TIMEOUT_ERROR else "stopped"
                return self._result(
                    path,
                    (),
                    detail,
                    observations=observations,
                    blocked=f"tor's bootstrap {why} at {result.progress}% ({result.tag or 'starting'}: "
                    f"{result.summary or 'no progress'}) within {self.bootstrap_timeout:.0f} s",
                )
            port = await launcher.socks_port()
            if port is None:
                return self._result(
                    path,
                    (),
                    detail,
                    observations=observations,
                    untested="tor bootstrapped but reported no SOCKS port",
                )
            dialer = TorDialer(port)
            targets = targets_or_default(self.sites, ctx)
            results = await check_sites(dialer, targets, path, ctx)
            if not targets:
                return self._result(
                    path,
                    (),
                    detail,
                    observations=observations,
                    untested="tor bootstrapped, but there are no sites to check through it",
                )
            return self._result(path, tuple(results), detail, observations=observations)
        finally:
            await launcher.stop()

    def _result(
        self,
        path: str,
        targets: tuple[TargetMeasurement, ...],
        detail: dict[str, Any],
        *,
        observations: tuple[Observation, ...] = (),
        untested: str | None = None,
        blocked: str | None = None,
    ) -> ProbeResult:
        return ProbeResult(
            paths=(
                PathMeasurement(
                    id=path,
                    kind=self.kind,
                    targets=targets,
                    untested_reason=untested,
                    blocked_reason=blocked,
                    observations=observations,
                    detail=detail,
                ),
            )
        )


def _now_ms(ctx: RunContext) -> float:
    return (time.monotonic() - ctx.t0) * 1000.0


__all__ = ["TorProbe", "default_authorities", "parse_dirauthority"]
