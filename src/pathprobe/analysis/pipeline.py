"""The one analysis pipeline: recorded measurements and loaded root sets in, the profile out (pure).

Every caller goes through :func:`analyse`: ``pathprobe check`` and ``lab check`` (via
:func:`pathprobe.check.run_check`), the benchmarks and the golden tests, so no analysis can be left
out of one of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from pathprobe.analysis.blocking import blocking_of, evasion_summary
from pathprobe.analysis.dns import dns_tampering_hook as dns_tampering
from pathprobe.analysis.portal import analyse_portal
from pathprobe.analysis.recommend import recommend
from pathprobe.analysis.roots import audit_known
from pathprobe.analysis.signals import TargetEvidence
from pathprobe.analysis.throttle import apply_throttling
from pathprobe.analysis.verdicts import Roots, evaluate, interception_findings, path_verdict, target_verdict
from pathprobe.model import Observation, PathMeasurement, PortalMeasurement
from pathprobe.profile import Network, Portal, Profile, Target, TrustStore
from pathprobe.version import __version__
from pathprobe.vocab import Connectivity, Failure, Reachability, Step

ANSWER_STEPS = frozenset(
    {Step.TCP, Step.TLS, Step.HTTP, Step.HANDSHAKE, Step.PROXY, Step.DOH, Step.PORTAL, Step.BOOTSTRAP}
)


_REFUSALS = (Failure.CONNECTION_REFUSED, Failure.CONNECTION_RESET)


def connectivity(observations: Sequence[Observation], portal: Portal | None) -> Connectivity:
    """``portal`` when a portal captured plain HTTP; ``online`` when anything answered; else ``offline``."""
    if portal is not None and portal.detected:
        return Connectivity.PORTAL
    for o in observations:
        if o.failure is None and o.step in ANSWER_STEPS:
            return Connectivity.ONLINE
        if o.failure is None and o.step == Step.DNS and o.detail.get("resolver") not in ("hosts", "literal"):
            return Connectivity.ONLINE
        if o.failure in _REFUSALS and o.step in (Step.TCP, Step.TLS, Step.HANDSHAKE):
            return Connectivity.ONLINE  # something on the network answered, if only to refuse
    if portal is not None and portal.detected is False:
        return Connectivity.ONLINE
    return Connectivity.OFFLINE


def with_blocking(ev: TargetEvidence, tv: Target, roots: Roots, items: Sequence[TargetEvidence],
                  now: dt.datetime | None) -> Target:
    """``tv`` with its ``blocking`` (:mod:`pathprobe.analysis.blocking`) when it has one."""
    blocking = blocking_of(ev, tv, roots, items, now)
    return tv if blocking is None else dataclasses.replace(tv, blocking=blocking)


def analyse(
    paths: Sequence[PathMeasurement],
    portal: PortalMeasurement | None,
    roots: Roots,
    *,
    label: str | None = None,
    now: dt.datetime | None = None,
) -> Profile:
    """Measurements + root sets -> the profile of DESIGN.md. Pure: the root sets were loaded before.

    Every analysis runs, always in this order: both validations and the chain signals of each target,
    the cross-path signals, DNS tampering, the portal (it may add ``portal_offered_root``, so before
    the verdicts), then verdicts, throttling (:mod:`~pathprobe.analysis.throttle`, from the verdicts and
    the body reads), findings, the trust-store audit and the recommendation.
    """
    created = now or dt.datetime.now(dt.UTC)
    items: list[TargetEvidence] = evaluate(paths, roots, now=now)
    dns_tampering(items)
    network_portal = analyse_portal(portal, items, roots) if portal is not None else None
    by_path: dict[str, list[TargetEvidence]] = {}
    for ev in items:
        by_path.setdefault(ev.path.id, []).append(ev)
    verdicts = []
    for p in paths:
        evs = by_path.get(p.id, [])
        targets = [target_verdict(ev) for ev in evs]
        # --- blocking diagnosis (issue 17) ---
        targets = [with_blocking(ev, tv, roots, items, now) for ev, tv in zip(evs, targets, strict=True)]
        lat = [
            ev.target.latency_ms
            for ev, tv in zip(evs, targets, strict=True)
            if tv.reachability == Reachability.REACHABLE and ev.target.latency_ms is not None
        ]
        pv = path_verdict(p, targets, lat)
        summary = evasion_summary(pv.targets)  # --- blocking diagnosis (issue 17) ---
        if summary is not None:
            pv = dataclasses.replace(pv, detail={**pv.detail, "evasion": summary})
        verdicts.append(pv)
    verdicts = list(apply_throttling(paths, verdicts))  # reached targets far slower than a comparable
    observations: list[Observation] = []
    for p in paths:
        observations.extend(p.all_observations())
    if portal is not None:
        observations.extend(portal.observations)
    observations.sort(key=lambda o: o.started_ms)
    profile = Profile(
        label=label,
        created=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
        network=Network(connectivity=connectivity(observations, network_portal), portal=network_portal),
        paths=tuple(verdicts),
        interception=interception_findings(items, roots.device),
        trust_store=TrustStore(
            source=roots.device.source,
            known_interception_roots=audit_known(roots.device, roots.known),
        ),
        observations=tuple(observations),
    )
    return dataclasses.replace(profile, recommendation=recommend(profile))
