"""What every report shares: verdict words and symbols, signal explanations, the sites x paths matrix."""

from __future__ import annotations

from dataclasses import dataclass

from pathprobe.analysis.advice import cn_of, describe_path
from pathprobe.profile import Blocking, Path, Profile, Target
from pathprobe.vocab import (
    AdviceCase,
    BlockAction,
    BlockTrigger,
    EvasionOutcome,
    Reachability,
    Role,
    Severity,
    Signal,
    TlsVerdict,
)

SYMBOL: dict[str, str] = {
    TlsVerdict.INTACT: "✓",
    TlsVerdict.INTERCEPTED: "⚠",
    TlsVerdict.UNVERIFIED: "?",
    Reachability.REACHABLE: "✓",
    Reachability.PARTIAL: "◐",
    Reachability.BLOCKED: "✗",
    Reachability.UNKNOWN: "–",
}

CELL_WORD: dict[tuple[str, str], str] = {
    (Reachability.REACHABLE, TlsVerdict.INTACT): TlsVerdict.INTACT,
    (Reachability.REACHABLE, TlsVerdict.INTERCEPTED): TlsVerdict.INTERCEPTED,
    (Reachability.REACHABLE, TlsVerdict.UNVERIFIED): "reached",
    (Reachability.BLOCKED, TlsVerdict.UNVERIFIED): Reachability.BLOCKED,
    (Reachability.BLOCKED, TlsVerdict.INTERCEPTED): TlsVerdict.INTERCEPTED,
    (Reachability.UNKNOWN, TlsVerdict.UNVERIFIED): "not tested",
    (Reachability.PARTIAL, TlsVerdict.UNVERIFIED): Reachability.PARTIAL,
}

SIGNAL_TEXT: dict[str, str] = {
    Signal.DEVICE_TRUSTED_NOT_PUBLIC: "This device trusts the chain, but the public web PKI does not: a root was "
    "added to this device.",
    Signal.KNOWN_INTERCEPTION_ROOT: "The chain goes through a certificate on the list of known interception "
    "roots.",
    Signal.PORTAL_OFFERED_ROOT: "The chain is signed by a certificate that this network's web page offers for "
    "installation.",
    Signal.UNTRUSTED_CHAIN: "Neither the public roots nor this device trust the chain, while another path saw a "
    "publicly valid one for the same name.",
    Signal.CROSS_PATH_MISMATCH: "Another path saw the same name with a different key or issuer, validly.",
    Signal.DNS_TAMPERING: "The system resolver's answer led to a wrong server; another resolver gave the real "
    "one.",
    Signal.LEGACY_PUBLIC_ROOT: "The chain anchors at an old public root that Mozilla has retired and this device "
    "still trusts: not interception.",
    Signal.DISTRUSTED_ROOT: "The chain anchors at a root that Mozilla removed for cause (or distrusted for newer "
    "certificates); this device still trusts it, so the connection could not be verified.",
    Signal.MISSING_SCT: "The leaf has no Certificate Transparency proofs, which public CAs must add "
    "(supporting evidence only).",
}

VERDICT_TEXT: dict[str, str] = {
    TlsVerdict.INTACT: "HTTPS checked and genuine (valid for the name against the public roots, no "
    "interception sign)",
    TlsVerdict.INTERCEPTED: "someone in the middle presented their own certificate",
    TlsVerdict.UNVERIFIED: "no HTTPS could be checked on this path",
    Reachability.REACHABLE: "every site was reached",
    Reachability.PARTIAL: "some sites were reached",
    Reachability.BLOCKED: "no site was reached",
    Reachability.UNKNOWN: "could not be tested (the reason is given)",
}


def cell_word(reach: str | None, tls: str | None) -> str:
    """The word for one target's cell of the sites × paths matrix (``intact``, ``intercepted``, ``reached``,
    ``blocked``, ``not tested``, ...): a pair of verdicts not in :data:`CELL_WORD` shows its TLS verdict, or
    its reachability when TLS is ``unverified``.
    """
    return CELL_WORD.get((str(reach), str(tls)), str(tls) if tls != TlsVerdict.UNVERIFIED else str(reach))


def cell_class(reach: str | None, tls: str | None) -> str:
    """One class per cell colour: intercepted (red), intact (green), blocked, partial, unknown, reached."""
    if tls == TlsVerdict.INTERCEPTED:
        return TlsVerdict.INTERCEPTED
    if tls == TlsVerdict.INTACT and reach == Reachability.REACHABLE:
        return TlsVerdict.INTACT
    if reach in (Reachability.BLOCKED, Reachability.PARTIAL, Reachability.UNKNOWN):
        return str(reach)
    return "reached"


@dataclass(frozen=True)
class Row:
    """One row of the sites × paths matrix: a target, its role (the first one seen; ``site`` when none was
    recorded) and one cell per path.
    """

    target: str
    role: str
    cells: tuple[Target | None, ...]
    """The target as tested on each path (a column), or None where it was not."""


def matrix(profile: Profile) -> tuple[tuple[Path, ...], list[Row]]:
    """Paths (columns) and one row per site/control (sites first, in the order first seen)."""
    paths = profile.paths
    order: dict[str, str] = {}
    for p in paths:
        for t in p.targets:
            order.setdefault(t.target, str(t.role or Role.SITE))
    names = (
        [n for n, r in order.items() if r not in (Role.CONTROL, Role.ENDPOINT, Role.RESOLVER)]
        + [n for n, r in order.items() if r == Role.CONTROL]
        + [n for n, r in order.items() if r in (Role.ENDPOINT, Role.RESOLVER)]
    )
    # One lookup table per path (the first entry of a target wins, as a scan would find it): a row costs
    # one dict lookup per path, not a scan of every target (tens of thousands of targets took seconds).
    by_path: list[dict[str, Target]] = []
    for p in paths:
        table: dict[str, Target] = {}
        for t in p.targets:
            table.setdefault(t.target, t)
        by_path.append(table)
    rows = [Row(n, order[n], tuple(table.get(n) for table in by_path)) for n in names]
    return paths, rows


def path_title(path: Path) -> str:
    """The path in words, for a column or a heading (:func:`~pathprobe.analysis.advice.describe_path` with its
    ``detail``).
    """
    return describe_path(path.id, path.detail)


def best_path(profile: Profile) -> Path | None:
    """The recommended path, when there is one."""
    best = profile.recommendation.path
    return profile.path(best) if best else None


def severity(profile: Profile) -> Severity:
    """``bad`` (interception, roots to remove), ``warn`` (blocking, portals, offline), ``good``."""
    cases = set(profile.recommendation.cases)
    bad = {
        AdviceCase.INTERCEPTION_KNOWN_ROOT,
        AdviceCase.INTERCEPTION_UNKNOWN_ISSUER,
        AdviceCase.KNOWN_ROOT_TRUSTED,
        AdviceCase.PORTAL_OFFERS_CERTIFICATE,
        AdviceCase.INTERCEPTION_ALL_PATHS,
    }
    if cases & bad or profile.interception:
        return Severity.BAD
    if cases - {AdviceCase.CLEAN} or not profile.recommendation.path:
        return Severity.WARN
    return Severity.GOOD


def short_hash(h: str | None) -> str:
    """The first 16 characters of a hash followed by ``…``; a hash of 16 or fewer as it is; ``—`` for None or
    empty.
    """
    return f"{h[:16]}…" if h and len(h) > 16 else str(h or "—")


def issuer_name(dn: str | None) -> str:
    """The readable name in a certificate name (RFC 4514): its CN, else its O or OU, else the whole name;
    ``an unnamed issuer`` for None or empty (:func:`~pathprobe.analysis.advice.cn_of`).
    """
    return cn_of(dn)


@dataclass
class Interceptor:
    """Interception findings that share an issuer and anchoring root: one line or card in a report."""

    issuer: str
    root_sha256: str
    known_as: str
    hosts: list[str]
    paths: list[str]
    signals: list[str]


def interceptors(profile: Profile) -> list[Interceptor]:
    """The profile's interception findings grouped by (issuer, anchoring root, ``known_as``) in the order
    first seen, a missing value being ``""``; each group's hosts, paths and signals without duplicates.
    """
    groups: dict[tuple[str, str, str], Interceptor] = {}
    for f in profile.interception:
        key = (f.issuer or "", f.root_sha256 or "", f.known_as or "")
        g = groups.setdefault(key, Interceptor(*key, [], [], []))
        for target, values in ((g.hosts, (f.host,)), (g.paths, f.paths), (g.signals, f.signals)):
            for x in values:
                if x not in target:
                    target.append(x)
    return list(groups.values())


# --- blocking diagnosis (issue 17) ---

HOW_TEXT: dict[tuple[str, str | None], str] = {
    (BlockAction.TIMEOUT, BlockTrigger.SNI): "silent drop after the TLS hello, by server name",
    (BlockAction.RESET, BlockTrigger.SNI): "TCP reset after the TLS hello, by server name",
    (BlockAction.TIMEOUT, BlockTrigger.ADDRESS): "silent drop after the TLS hello, by address (whatever the name)",
    (BlockAction.RESET, BlockTrigger.ADDRESS): "TCP reset after the TLS hello, by address (whatever the name)",
}


def blocking_kind(b: Blocking | None) -> str | None:
    """A blocking's kind in words a diff can compare: ``stage action[ trigger]`` (``tls timeout sni``)."""
    if b is None:
        return None
    return " ".join(x for x in (b.stage, b.action, b.trigger) if x)


def blocking_badge(b: Blocking) -> str:
    """A short badge for a site's cell: ``SNI drop``, ``SNI reset``, ``address``, ``DNS nxdomain``, ..."""
    if b.trigger == BlockTrigger.SNI:
        word = "drop" if b.action == BlockAction.TIMEOUT else (b.action or "")
        return f"SNI {word}".strip()
    if b.trigger == BlockTrigger.ADDRESS:
        return "address"
    return f"{(b.stage or '').upper()} {b.action or ''}".strip()


def blocking_line(b: Blocking) -> str:
    """How a site was blocked and what got through, in one line (terminal notes, Markdown, HTML card)."""
    how = HOW_TEXT.get((b.action or "", b.trigger))
    if how is None:
        how = f"failed at the {b.stage} step ({b.action})" + (f", trigger {b.trigger}" if b.trigger else "")
    if not b.evasion:
        return how
    intact = [e.strategy for e in b.evasion if e.outcome == EvasionOutcome.REACHED and e.tls == TlsVerdict.INTACT]
    other = [f"{e.strategy} ({e.tls})" for e in b.evasion if e.outcome == EvasionOutcome.REACHED
             and e.tls != TlsVerdict.INTACT]
    if intact:
        how += f"; splitting the hello got through with HTTPS intact ({', '.join(intact)})"
    if other:
        how += f"; splitting reached it but HTTPS was not intact ({', '.join(other)})"
    if not intact and not other:
        how += "; splitting the hello did not help"
    return how


def blocked_sites(profile: Profile) -> list[tuple[str, str, Blocking]]:
    """``(path id, target, blocking)`` for every diagnosed unreached target, in profile order."""
    return [(p.id, t.target, t.blocking) for p in profile.paths for t in p.targets if t.blocking is not None]


# ---- throttling (issue 17) -------------------------------------------------------------------------
@dataclass(frozen=True)
class ThrottledSite:
    """A target that carries ``throttled`` on a path, with its goodput and what it was compared with."""

    target: str
    path: str
    goodput_kbps: float | None
    compared_with: str | None
    comparable_kbps: float | None


def throttled_sites(profile: Profile) -> list[ThrottledSite]:
    """Every throttled target of the profile, path by path."""
    out = []
    for p in profile.paths:
        for t in p.targets:
            if Signal.THROTTLED in t.signals:
                th = t.throttle
                out.append(ThrottledSite(t.target, p.id, th.goodput_kbps if th else None,
                                         th.compared_with if th else None, th.comparable_kbps if th else None))
    return out


def throttle_badge(t: Target) -> str:
    """``throttled 29 kbit/s`` for a throttled target, else ``""``."""
    if Signal.THROTTLED not in t.signals:
        return ""
    kbps = t.throttle.goodput_kbps if t.throttle is not None else None
    return f"{Signal.THROTTLED} {kbps:.0f} kbit/s" if kbps is not None else str(Signal.THROTTLED)
