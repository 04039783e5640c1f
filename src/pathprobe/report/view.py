"""What every report shares: verdict words and symbols, signal explanations, the sites x paths matrix.

The words and sentences here are msgids (:func:`pathprobe.i18n.N_`): the functions that return text a
person reads (:func:`verdict_word`, :func:`blocking_line`, :func:`blocking_badge`, :func:`throttle_badge`,
...) tell it in the current language (:func:`pathprobe.i18n.get_language`); the keys (verdict values,
:func:`cell_word`, :func:`blocking_kind`) stay English.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathprobe.analysis.advice import cn_of, path_msg, reason_msg
from pathprobe.i18n import N_, Msg, _, format_datetime, format_number, get_language, render_stored
from pathprobe.profile import Blocking, Path, Profile, Target
from pathprobe.vocab import (
    AdviceCase,
    BlockAction,
    BlockTrigger,
    Connectivity,
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

WORD: dict[str, str] = {
    Reachability.REACHABLE: N_("reachable"),
    Reachability.PARTIAL: N_("partial"),
    Reachability.BLOCKED: N_("blocked"),
    Reachability.UNKNOWN: N_("unknown"),
    TlsVerdict.INTACT: N_("intact"),
    TlsVerdict.INTERCEPTED: N_("intercepted"),
    TlsVerdict.UNVERIFIED: N_("unverified"),
    "reached": N_("reached"),
    "not tested": N_("not tested"),
    Connectivity.ONLINE: N_("online"),
    Connectivity.OFFLINE: N_("offline"),
    Connectivity.PORTAL: N_("portal"),
}
"""Verdict, cell and connectivity words as shown (msgids; the values themselves stay English in the JSON)."""


def verdict_word(value: object) -> str:
    """A verdict, cell or connectivity value in the current language's words (an unknown value as it is)."""
    w = str(value)
    return _(WORD[w]) if w in WORD else w


SIGNAL_TEXT: dict[str, str] = {
    Signal.DEVICE_TRUSTED_NOT_PUBLIC: N_("This device trusts the chain, but the public web PKI does not: a root was "
    "added to this device."),
    Signal.KNOWN_INTERCEPTION_ROOT: N_("The chain goes through a certificate on the list of known interception "
    "roots."),
    Signal.PORTAL_OFFERED_ROOT: N_("The chain is signed by a certificate that this network's web page offers for "
    "installation."),
    Signal.UNTRUSTED_CHAIN: N_("Neither the public roots nor this device trust the chain, while another path saw a "
    "publicly valid one for the same name."),
    Signal.CROSS_PATH_MISMATCH: N_("Another path saw the same name with a different key or issuer, validly."),
    Signal.DNS_TAMPERING: N_("The system resolver's answer led to a wrong server; another resolver gave the real "
    "one."),
    Signal.LEGACY_PUBLIC_ROOT: N_("The chain anchors at an old public root that Mozilla has retired and this device "
    "still trusts: not interception."),
    Signal.DISTRUSTED_ROOT: N_("The chain anchors at a root that Mozilla removed for cause (or distrusted for newer "
    "certificates); this device still trusts it, so the connection could not be verified."),
    Signal.MISSING_SCT: N_("The leaf has no Certificate Transparency proofs, which public CAs must add "
    "(supporting evidence only)."),
}

VERDICT_TEXT: dict[str, str] = {
    TlsVerdict.INTACT: N_("HTTPS checked and genuine (valid for the name against the public roots, no "
    "interception sign)"),
    TlsVerdict.INTERCEPTED: N_("someone in the middle presented their own certificate"),
    TlsVerdict.UNVERIFIED: N_("no HTTPS could be checked on this path"),
    Reachability.REACHABLE: N_("every site was reached"),
    Reachability.PARTIAL: N_("some sites were reached"),
    Reachability.BLOCKED: N_("no site was reached"),
    Reachability.UNKNOWN: N_("could not be tested (the reason is given)"),
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


def shown_time(when: str | None) -> str:
    """A profile's ``created`` time for a reader of the current language
    (:func:`~pathprobe.i18n.format_datetime`; the empty string for none)."""
    return format_datetime(when) if when else ""


def advice_text(profile: Profile, lang: str | None = None) -> str:
    """The profile's advice in ``lang`` (default: the run's language): told again from its stored messages,
    or its stored text when it has none (an older profile) or they cannot be read."""
    rec = profile.recommendation
    lang = lang or get_language()
    if lang != "en" or rec.advice is None:
        told = render_stored(rec.advice_messages, lang)
        if told is not None:
            return told
    return rec.advice or ""


def path_title(path: Path) -> str:
    """The path in words, for a column or a heading (:func:`~pathprobe.analysis.advice.describe_path` with its
    ``detail``), in the current language.
    """
    return path_msg(path.id, path.detail).render()


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
    ``an unnamed issuer`` (in the current language) for None or empty
    (:func:`~pathprobe.analysis.advice.cn_of`).
    """
    if not isinstance(dn, str) or not dn:
        return _("an unnamed issuer")
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
    (BlockAction.TIMEOUT, BlockTrigger.SNI): N_("silent drop after the TLS hello, by server name"),
    (BlockAction.RESET, BlockTrigger.SNI): N_("TCP reset after the TLS hello, by server name"),
    (BlockAction.TIMEOUT, BlockTrigger.ADDRESS): N_("silent drop after the TLS hello, by address (whatever the name)"),
    (BlockAction.RESET, BlockTrigger.ADDRESS): N_("TCP reset after the TLS hello, by address (whatever the name)"),
}


def blocking_kind(b: Blocking | None) -> str | None:
    """A blocking's kind in words a diff can compare: ``stage action[ trigger]`` (``tls timeout sni``)."""
    if b is None:
        return None
    return " ".join(x for x in (b.stage, b.action, b.trigger) if x)


def blocking_badge(b: Blocking) -> str:
    """A short badge for a site's cell: ``SNI drop``, ``SNI reset``, ``address``, ``DNS nxdomain``, ..."""
    if b.trigger == BlockTrigger.SNI:
        if b.action == BlockAction.TIMEOUT:
            return _("SNI drop")
        if b.action == BlockAction.RESET:
            return _("SNI reset")
        return f"SNI {b.action or ''}".strip()
    if b.trigger == BlockTrigger.ADDRESS:
        return _("address")
    return f"{(b.stage or '').upper()} {b.action or ''}".strip()


def blocking_line(b: Blocking) -> str:
    """How a site was blocked and what got through, in one line (terminal notes, Markdown, HTML card), in
    the current language."""
    how_id = HOW_TEXT.get((b.action or "", b.trigger))
    if how_id is not None:
        how = _(how_id)
    elif b.trigger:
        how = _("failed at the {stage} step ({action}), trigger {trigger}", stage=b.stage, action=b.action,
                trigger=b.trigger)
    else:
        how = _("failed at the {stage} step ({action})", stage=b.stage, action=b.action)
    if not b.evasion:
        return how
    intact = [e.strategy for e in b.evasion if e.outcome == EvasionOutcome.REACHED and e.tls == TlsVerdict.INTACT]
    other = [_("{strategy} ({verdict})", strategy=e.strategy, verdict=verdict_word(e.tls)) for e in b.evasion
             if e.outcome == EvasionOutcome.REACHED and e.tls != TlsVerdict.INTACT]
    if intact and other:
        return _("{how}; splitting the hello got through with HTTPS intact ({tools}); splitting reached it but "
                 "HTTPS was not intact ({others})", how=how, tools=", ".join(intact), others=", ".join(other))
    if intact:
        return _("{how}; splitting the hello got through with HTTPS intact ({tools})", how=how,
                 tools=", ".join(intact))
    if other:
        return _("{how}; splitting reached it but HTTPS was not intact ({others})", how=how, others=", ".join(other))
    return _("{how}; splitting the hello did not help", how=how)


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


STORE_NAMES = {"Windows certificate store": N_("Windows certificate store"), "macOS keychains": N_("macOS keychains")}
"""The trust store sources that are words, not file paths (pathprobe.trust writes them)."""


def store_text(source: str | None) -> str:
    """The trust store's ``source`` for a reader: a known store's name translated, a file path as it is,
    ``unknown`` (translated) for none."""
    if not source:
        return _("unknown")
    return _(STORE_NAMES[source]) if source in STORE_NAMES else source


def compared_text(compared_with: str | None) -> str:
    """A throttle's ``compared_with`` (stored as ``"host on path"``) in the current language."""
    text = compared_with or ""
    host, sep, path = text.partition(" on ")
    if not sep or get_language() == "en":
        return text
    return _("{target} on path {path}", target=host, path=path)


def throttle_badge(t: Target) -> str:
    """``throttled 29 kbit/s`` for a throttled target (in the current language), else ``""``."""
    if Signal.THROTTLED not in t.signals:
        return ""
    kbps = t.throttle.goodput_kbps if t.throttle is not None else None
    return _("throttled {kbps} kbit/s", kbps=format_number(kbps)) if kbps is not None else _("throttled")


# ---- why a path is unknown or blocked (its ``reason``), in the reader's language -----------------------


def reason_text(reason: str) -> str:
    """A path's ``reason`` (stored in English) in the current language: the matching message of
    :data:`~pathprobe.analysis.advice.REASONS` with its parameters, or the reason as it is (English, or one
    that table does not know yet)."""
    if get_language() == "en":
        return reason
    told = reason_msg(reason)
    return told.render() if isinstance(told, Msg) else reason
