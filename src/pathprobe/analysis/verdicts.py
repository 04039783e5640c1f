"""Verdicts per target and per path, and interception findings (pure; DESIGN.md "Precise rules").

They are built as the profile's own dataclasses (:class:`~pathprobe.profile.Target`,
:class:`~pathprobe.profile.Path`, :class:`~pathprobe.profile.Finding`)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pathprobe.analysis.roots import KnownRoots, LegacyRoot, LegacyRoots, RootSet
from pathprobe.analysis.signals import (
    SUPPORTING_ONLY,
    TargetEvidence,
    chain_signals,
    cross_path_signals,
    ordered,
)
from pathprobe.analysis.validate import validate
from pathprobe.model import PathMeasurement
from pathprobe.profile import Finding, FormerPublicRoot, Path, Target
from pathprobe.vocab import Reachability, Role, Signal, TlsVerdict, is_unknown_failure

LOCAL_FAULT_NOTE = ("not measured: the step failed on this device (no answer from the network), so this "
                    "says nothing about blocking")


@dataclass(frozen=True)
class Roots:
    """The root sets a check judges chains with, loaded before the analysis (:func:`pathprobe.check.load_roots`)."""

    public: RootSet
    """The public roots (certifi, or ``--public-roots``)."""
    device: RootSet
    """What this device trusts (the OS store, or ``--device-roots``)."""
    known: KnownRoots
    """Known interception roots (the shipped list, plus ``--known-roots``)."""
    require_sct: bool = False
    """CT is required only for the real web PKI (the default public roots)."""
    legacy: LegacyRoots = field(default_factory=LegacyRoots)
    """Roots earlier Mozilla lists trusted: anchoring at one is not interception."""


def evaluate(
    paths: Sequence[PathMeasurement],
    roots: Roots,
    *,
    now: dt.datetime | None = None,
) -> list[TargetEvidence]:
    """Validate every chain against both stores; the signals of each chain and across paths."""
    items: list[TargetEvidence] = []
    for p in paths:
        for t in p.targets:
            pub = dev = None
            if t.tls is not None:
                host = t.tls.sni
                pub = validate(t.tls, host, roots.public, now)
                dev = validate(t.tls, host, roots.device, now)
            ev = TargetEvidence(path=p, target=t, public=pub, device=dev, signals=set(t.extra_signals))
            chain_signals(ev, roots.known, roots.legacy, require_sct=roots.require_sct)
            items.append(ev)
    cross_path_signals(items)
    return items


def target_verdict(ev: TargetEvidence) -> Target:
    """A target's verdicts from its evidence. With a chain: ``intercepted`` (and reached) on any signal beyond
    the supporting ones, else ``intact`` when publicly valid or anchored at a retired public root, else
    reached but ``unverified`` when the root is distrusted, else ``blocked`` and ``unverified`` with the
    public validation's failure; a target with a chain *and* a failure (a later step it needs failed: a
    resolver that answered no DoH query) is ``blocked`` with that failure, its ``tls`` still judged from
    the chain. Without a chain: the recorded reachability (``blocked`` when none) and ``unverified``,
    but ``unknown`` for an ``unknown_failure`` (a fault of this device is no answer from the network).
    """
    t = ev.target
    strong = ev.signals - SUPPORTING_ONLY
    if t.tls is None:
        reach = t.reachability or Reachability.BLOCKED
        note = t.note
        if is_unknown_failure(t.failure) and reach == Reachability.BLOCKED:
            # A fault of this device (or an error nothing names) is no answer from the network.
            reach = Reachability.UNKNOWN
            note = note or LOCAL_FAULT_NOTE
        return Target(
            target=t.target,
            role=t.role,
            reachability=reach,
            tls=TlsVerdict.UNVERIFIED,
            failure=t.failure,
            signals=tuple(ordered(ev.signals)),
            note=note or None,
        )
    assert ev.public is not None
    if strong:
        reach, tls, failure = Reachability.REACHABLE, TlsVerdict.INTERCEPTED, None
    elif ev.public.valid or Signal.LEGACY_PUBLIC_ROOT in ev.signals:
        reach, tls, failure = Reachability.REACHABLE, TlsVerdict.INTACT, None
    elif Signal.DISTRUSTED_ROOT in ev.signals:
        # The device accepted the chain, so the site was reached; but its root is no longer to be trusted.
        reach, tls, failure = Reachability.REACHABLE, TlsVerdict.UNVERIFIED, None
    else:
        reach, tls, failure = Reachability.BLOCKED, TlsVerdict.UNVERIFIED, ev.public.failure
    if t.failure is not None and reach == Reachability.REACHABLE:
        # A handshake that completed but a later step the target needs failed: a DoH resolver that
        # answered no query with a DNS message is not reached; its chain is still judged.
        reach, failure = Reachability.BLOCKED, t.failure
    note = t.note or (distrusted_note(ev.legacy) if Signal.DISTRUSTED_ROOT in ev.signals and ev.legacy else None)
    return Target(
        target=t.target,
        role=t.role,
        reachability=reach,
        tls=tls,
        failure=failure,
        signals=tuple(ordered(ev.signals)),
        legacy_root=former_public_root(ev.legacy) if ev.legacy is not None else None,
        note=note or None,
    )


def former_public_root(root: LegacyRoot) -> FormerPublicRoot:
    """What a target's ``legacy_root`` says of the formerly public root its chain anchors at."""
    return FormerPublicRoot(
        subject=root.subject,
        sha256=root.sha256,
        reason=root.reason,
        left=root.left or None,
        distrust_after=root.distrust_after.isoformat() if root.distrust_after else None,
    )


def distrusted_note(root: LegacyRoot) -> str:
    """The target's note for a chain anchored at a distrusted ``root``: which root, why Mozilla no longer
    trusts it (removed for cause, or certificates issued after its distrust-after date), and that the
    connection is therefore not verified.
    """
    when = f" in {root.left[:4]}" if root.left else ""
    if root.for_cause:
        why = f"a root Mozilla removed for cause{when}"
    else:
        why = f"a root whose certificates issued after {root.distrust_after} Mozilla no longer trusts"
    return (f"the chain anchors at '{root.subject}', {why}; this device still trusts it, so the connection "
            "is not verified")


def path_verdict(p: PathMeasurement, targets: list[Target], latencies: list[float]) -> Path:
    """A path's verdicts from its targets' verdicts and the latencies of its reached targets (milliseconds;
    ``latency_ms`` is their median, rounded to 0.1, None when the list is empty). Resolver targets gate the
    path: if one was not reached the path is ``blocked``, otherwise only the other targets count for its
    reachability (a resolver that could not be tested makes the path ``unknown``). ``reason`` says why a
    path is ``unknown`` or ``blocked`` where its targets alone do not. TLS: ``intercepted`` if any target
    is, else ``intact`` if any counted target is (a resolver's chain alone does not count), else
    ``unverified``.
    """
    # A path that depends on a resolver (doh:*) is usable only when the resolver itself was reached with a
    # chain one can trust; then only its sites count, so a working resolver alone does not make it partial.
    gates = [t for t in targets if t.role == Role.RESOLVER]
    reason: str | None
    failed_gate = next((t for t in gates if t.reachability != Reachability.REACHABLE), None)
    counted = [t for t in targets if t.role != Role.RESOLVER] if gates else targets
    tested_words = (Reachability.REACHABLE, Reachability.BLOCKED, Reachability.PARTIAL)
    tested = [t for t in counted if t.reachability in tested_words]
    if failed_gate is not None and failed_gate.reachability == Reachability.UNKNOWN:
        # The resolver could not be tested (a local fault, the probe's budget): nor could the path.
        reach = Reachability.UNKNOWN
        why = failed_gate.note or failed_gate.failure or "not tested"
        reason = p.untested_reason or f"the resolver {failed_gate.target} could not be tested ({why})"
    elif failed_gate is not None:
        reach = Reachability.BLOCKED
        why = failed_gate.failure or "not reached"
        reason = p.blocked_reason or f"the resolver {failed_gate.target} could not be used ({why})"
    elif p.untested_reason and not tested:
        reach, reason = Reachability.UNKNOWN, p.untested_reason
    elif p.blocked_reason and not any(t.reachability == Reachability.REACHABLE for t in tested):
        reach, reason = Reachability.BLOCKED, p.blocked_reason
    elif not tested:
        notes = [t.note for t in targets if t.note]
        reach = Reachability.UNKNOWN
        reason = notes[0] if notes else (p.untested_reason or "no target could be tested on this path")
    else:
        reached = sum(1 for t in tested if t.reachability == Reachability.REACHABLE)
        if reached == len(tested):
            reach = Reachability.REACHABLE
        else:
            reach = Reachability.PARTIAL if reached else Reachability.BLOCKED
        reason = None
    tls_values = [t.tls for t in targets]
    if TlsVerdict.INTERCEPTED in tls_values:
        tls = TlsVerdict.INTERCEPTED
    elif TlsVerdict.INTACT in [t.tls for t in counted]:
        # A resolver's intact chain alone says nothing of the sites: a doh path none of whose sites'
        # TLS was checked is unverified (DESIGN "Precise rules").
        tls = TlsVerdict.INTACT
    else:
        tls = TlsVerdict.UNVERIFIED
    return Path(
        id=p.id,
        kind=p.kind,
        reachability=reach,
        tls=tls,
        latency_ms=round(statistics.median(latencies), 1) if latencies else None,
        reason=reason or None,
        targets=tuple(targets),
        detail=p.detail,
    )


def interception_findings(items: Sequence[TargetEvidence], device: RootSet | None = None) -> tuple[Finding, ...]:
    """One finding per (host, anchoring root, issuer), naming every path it was seen on.

    ``root_subject`` (an added field) names the certificate ``root_sha256`` points at, so people see
    which root to distrust, not only the intermediate that issued the leaf."""
    groups: dict[tuple[str, str | None, str], dict[str, Any]] = {}
    for ev in items:
        t = ev.target
        if t.tls is None or not (ev.signals - SUPPORTING_ONLY) or not t.tls.chain:
            continue
        chain = t.tls.chain
        root_subject: str | None = None
        if ev.device is not None and ev.device.valid and ev.device.anchor_sha256:
            root = ev.device.anchor_sha256
            root_subject = device.subject_of(root) if device is not None else None
        elif len(chain) > 1:
            root = chain[-1].sha256
            root_subject = chain[-1].subject
        else:
            root = None
        issuer = chain[0].issuer
        key = (ev.host, root, issuer)
        g = groups.setdefault(
            key,
            {"host": ev.host, "paths": [], "issuer": issuer, "root_sha256": root, "root_subject": root_subject,
             "known_as": None, "signals": set()},
        )
        if ev.path.id not in g["paths"]:
            g["paths"].append(ev.path.id)
        if ev.known is not None:
            g["known_as"] = ev.known.label
        g["signals"] |= ev.signals
    found = sorted(groups.values(), key=lambda g: (g["host"], g["paths"]))
    return tuple(
        Finding(
            host=g["host"],
            paths=tuple(g["paths"]),
            issuer=g["issuer"],
            root_sha256=g["root_sha256"],
            root_subject=g["root_subject"],
            known_as=g["known_as"],
            signals=tuple(ordered(g["signals"])),
        )
        for g in found
    )
