"""Interception signals for each HTTPS target, from its chain and what other paths saw (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pathprobe.analysis.roots import KnownRoot, KnownRoots, RootSet
from pathprobe.analysis.validate import Validation
from pathprobe.model import PathMeasurement, TargetMeasurement

DEVICE_TRUSTED_NOT_PUBLIC = "device_trusted_not_public"
KNOWN_INTERCEPTION_ROOT = "known_interception_root"
UNTRUSTED_CHAIN = "untrusted_chain"
CROSS_PATH_MISMATCH = "cross_path_mismatch"
MISSING_SCT = "missing_sct"
DNS_TAMPERING = "dns_tampering"
PORTAL_OFFERED_ROOT = "portal_offered_root"

SUPPORTING_ONLY = frozenset({MISSING_SCT})
"""Signals that are evidence but never on their own a reason for ``intercepted``."""

SIGNAL_ORDER = (
    DEVICE_TRUSTED_NOT_PUBLIC,
    KNOWN_INTERCEPTION_ROOT,
    PORTAL_OFFERED_ROOT,
    UNTRUSTED_CHAIN,
    CROSS_PATH_MISMATCH,
    DNS_TAMPERING,
    MISSING_SCT,
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

    @property
    def host(self) -> str:
        return host_of(self.target.target)


@dataclass(frozen=True)
class Witness:
    path: str
    subject: str
    san: frozenset[str]
    spki: str
    issuer: str


CrossPathHook = Callable[[Sequence[TargetEvidence]], None]
"""Extra cross-path analyses (DNS tampering, portal roots) add signals in place."""


def chain_signals(
    ev: TargetEvidence, device: RootSet, known: KnownRoots, *, require_sct: bool
) -> None:
    """Signals visible in one chain alone."""
    tls = ev.target.tls
    if tls is None or ev.public is None or ev.device is None:
        return
    if ev.device.valid and not ev.public.valid:
        ev.signals.add(DEVICE_TRUSTED_NOT_PUBLIC)
    for c in tls.chain:
        hit = known.match(c.sha256, c.spki_sha256)
        if hit:
            ev.known = hit
            break
    if ev.known is None and ev.device.valid and ev.device.anchor_sha256:
        anchor = ev.device.anchor_sha256
        for cert_sha, cert_spki in _device_hashes(device):
            if cert_sha == anchor:
                ev.known = known.match(cert_sha, cert_spki)
                break
    if ev.known is not None:
        ev.signals.add(KNOWN_INTERCEPTION_ROOT)
    if require_sct and ev.public.valid and tls.chain and not tls.chain[0].has_sct:
        ev.signals.add(MISSING_SCT)


_DEVICE_CACHE: dict[int, list[tuple[str, str]]] = {}


def _device_hashes(device: RootSet) -> list[tuple[str, str]]:
    key = id(device)
    if key not in _DEVICE_CACHE:
        from pathprobe.analysis.roots import cert_sha256, spki_sha256

        _DEVICE_CACHE[key] = [(cert_sha256(c), spki_sha256(c)) for c in device.certs]
    return _DEVICE_CACHE[key]


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
            ev.signals.add(UNTRUSTED_CHAIN)
        leaf = tls.chain[0]
        for w in others:
            same_name = leaf.subject == w.subject or bool(frozenset(leaf.san) & w.san)
            if same_name and (leaf.spki_sha256 != w.spki or leaf.issuer != w.issuer):
                ev.signals.add(CROSS_PATH_MISMATCH)
                break


def ordered(signals: set[str]) -> list[str]:
    rank = {s: i for i, s in enumerate(SIGNAL_ORDER)}
    return sorted(signals, key=lambda s: (rank.get(s, 99), s))
