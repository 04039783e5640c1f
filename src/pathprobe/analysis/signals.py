"""Interception signals for each HTTPS target, from its chain and what other paths saw (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pathprobe.analysis.roots import KnownRoot, KnownRoots, LegacyRoot, LegacyRoots
from pathprobe.analysis.validate import Validation
from pathprobe.model import PathMeasurement, TargetMeasurement
from pathprobe.vocab import Signal

SUPPORTING_ONLY = frozenset({Signal.MISSING_SCT, Signal.LEGACY_PUBLIC_ROOT, Signal.DISTRUSTED_ROOT, Signal.THROTTLED})
"""Signals that are evidence but never on their own a reason for ``intercepted`` (``throttled`` is no
interception evidence at all: :mod:`pathprobe.analysis.throttle` adds it after the verdicts)."""

SIGNAL_ORDER = (
    Signal.DEVICE_TRUSTED_NOT_PUBLIC,
    Signal.KNOWN_INTERCEPTION_ROOT,
    Signal.PORTAL_OFFERED_ROOT,
    Signal.UNTRUSTED_CHAIN,
    Signal.CROSS_PATH_MISMATCH,
    Signal.DNS_TAMPERING,
    Signal.MISSING_SCT,
    Signal.LEGACY_PUBLIC_ROOT,
    Signal.DISTRUSTED_ROOT,
    Signal.THROTTLED,
)


def host_of(target: str) -> str:
    """``host`` from ``host``, ``host:port`` or ``[v6]:port``."""
    if target.startswith("["):
        return target[1 : target.find("]")]
    if target.count(":") == 1:
        return target.split(":", 1)[0]
    return target


@dataclass
class TargetEvidence:
    """A target with its two validations (filled by the analysis)."""

    path: PathMeasurement
    target: TargetMeasurement
    public: Validation | None
    device: Validation | None
    signals: set[str] = field(default_factory=set)
    known: KnownRoot | None = None
    legacy: LegacyRoot | None = None
    """The formerly public root the device store anchored this chain at (public roots did not)."""

    @property
    def host(self) -> str:
        """The target's host, without its port or IPv6 brackets (:func:`host_of`)."""
        return host_of(self.target.target)

    @property
    def publicly_trusted(self) -> bool:
        """Valid for the name against the public roots, or anchored at a retired public root."""
        return self.public is not None and (self.public.valid or Signal.LEGACY_PUBLIC_ROOT in self.signals)


@dataclass(frozen=True)
class Witness:
    """A publicly valid leaf that one path saw for a host, as :func:`cross_path_signals` compares it: the path
    id, the leaf's subject, SAN names, SPKI hash and issuer.
    """

    path: str
    subject: str
    san: frozenset[str]
    spki: str
    issuer: str


def chain_signals(ev: TargetEvidence, known: KnownRoots, legacy: LegacyRoots, *, require_sct: bool) -> None:
    """Signals visible in one chain alone.

    A chain that only the device store accepts is interception (``device_trusted_not_public``) unless
    the root it anchors at is a formerly public one (DESIGN "Formerly public roots are not
    interceptors"): a retired root gives ``legacy_public_root``, a root removed for cause (or a leaf
    issued after the root's distrust-after date) gives ``distrusted_root``. A known interception root
    is never treated as formerly public.
    """
    tls = ev.target.tls
    if tls is None or ev.public is None or ev.device is None:
        return
    for c in tls.chain:
        hit = known.match(c.sha256, c.spki_sha256)
        if hit:
            ev.known = hit
            break
    anchor, anchor_spki = ev.device.anchor_sha256, ev.device.anchor_spki_sha256 or ""
    if ev.known is None and ev.device.valid and anchor:
        ev.known = known.match(anchor, anchor_spki)
    if ev.known is not None:
        ev.signals.add(Signal.KNOWN_INTERCEPTION_ROOT)
    if ev.device.valid and not ev.public.valid:
        ev.legacy = legacy.match(anchor, anchor_spki) if anchor and ev.known is None else None
        if ev.legacy is None:
            ev.signals.add(Signal.DEVICE_TRUSTED_NOT_PUBLIC)
        elif tls.chain and ev.legacy.distrusts(tls.chain[0].not_before):
            ev.signals.add(Signal.DISTRUSTED_ROOT)
        else:
            ev.signals.add(Signal.LEGACY_PUBLIC_ROOT)
    if require_sct and ev.public.valid and tls.chain and not tls.chain[0].has_sct:
        ev.signals.add(Signal.MISSING_SCT)


def cross_path_signals(items: Sequence[TargetEvidence]) -> None:
    """``untrusted_chain`` and ``cross_path_mismatch``: compare with publicly valid chains on other paths.

    Only a side that fails public validation gets a signal; two publicly valid but different leaves
    are normal (rotation, CDNs) and never a signal.
    """
    witnesses: dict[str, list[Witness]] = {}
    for ev in items:
        tls = ev.target.tls
        if tls is None or ev.public is None or not ev.public.valid or not tls.chain:
            continue
        leaf = tls.chain[0]
        witnesses.setdefault(ev.host, []).append(
            Witness(ev.path.id, leaf.subject, frozenset(leaf.san), leaf.spki_sha256, leaf.issuer)
        )
    for ev in items:
        tls = ev.target.tls
        if tls is None or ev.public is None or ev.device is None or ev.public.valid or not tls.chain:
            continue
        others = [w for w in witnesses.get(ev.host, []) if w.path != ev.path.id]
        if not others:
            continue
        if not ev.device.valid:
            ev.signals.add(Signal.UNTRUSTED_CHAIN)
        leaf = tls.chain[0]
        for w in others:
            same_name = leaf.subject == w.subject or bool(frozenset(leaf.san) & w.san)
            if same_name and (leaf.spki_sha256 != w.spki or leaf.issuer != w.issuer):
                ev.signals.add(Signal.CROSS_PATH_MISMATCH)
                break


def ordered(signals: set[str]) -> list[str]:
    """``signals`` in the fixed order of :data:`SIGNAL_ORDER` (the order of a profile's signals); any other
    word comes after those, alphabetically.
    """
    rank: dict[str, int] = {s: i for i, s in enumerate(SIGNAL_ORDER)}
    return sorted(signals, key=lambda s: (rank.get(s, 99), s))
