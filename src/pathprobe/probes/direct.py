"""``direct``: the network as it is — system DNS, TCP, one TLS handshake and an HTTP status per site."""

from __future__ import annotations

from typing import ClassVar

from pathprobe.i18n import _
from pathprobe.model import HostPort, PathMeasurement
from pathprobe.net.sitecheck import SystemDialer
from pathprobe.planfields import Entry
from pathprobe.probes.base import (
    Probe,
    ProbeResult,
    RunContext,
    Targets,
    check_sites,
    control_names,
    diagnosis_name,
)
from pathprobe.vocab import Role


class DirectProbe(Probe):
    """Sites and controls over the plain network; path id ``direct``."""

    kind: ClassVar[str] = "direct"
    version: ClassVar[str] = "0.1.0"

    def __init__(self, sites: list[HostPort], controls: list[HostPort], diagnosis_name: str | None = None) -> None:
        self.sites = sites
        self.controls = controls
        self.diagnosis_name = diagnosis_name

    @classmethod
    def from_plan(cls, entry: Entry) -> DirectProbe:
        """Read ``sites`` and ``controls`` (``host[:port]`` lists; at least one of them is required) and
        the optional ``diagnosis_name`` (a host name, :func:`diagnosis_name`)."""
        sites = entry.sites("sites") or []
        controls = entry.sites("controls") or []
        name = diagnosis_name(entry)
        entry.finish()
        if not sites and not controls:
            raise entry.error("sites", _("give at least one site or control"))
        return cls(sites, controls, name)

    def path_ids(self) -> list[str]:
        """Always ``["direct"]``."""
        return ["direct"]

    def default_targets(self) -> Targets:
        """The plan's sites and controls: the other kinds check these when they give none of their own."""
        return list(self.sites), list(self.controls)

    async def run(self, ctx: RunContext) -> ProbeResult:
        """Check every site and control over the system resolver and TCP, all at once."""
        targets = [(s, Role.SITE) for s in self.sites] + [(c, Role.CONTROL) for c in self.controls]
        names = control_names(self.diagnosis_name, self.controls)
        results = await check_sites(SystemDialer(), targets, "direct", ctx, diagnose=names)
        return ProbeResult(paths=(PathMeasurement(id="direct", kind="direct", targets=tuple(results)),))
