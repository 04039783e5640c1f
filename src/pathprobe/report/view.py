"""What every report shares: verdict words and symbols, signal explanations, the sites x paths matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pathprobe.analysis.advice import cn_of, describe_path
from pathprobe.vocab import AdviceCase, Reachability, Role, Severity, Signal, TlsVerdict

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


def cell_word(reach: str, tls: str) -> str:
    return CELL_WORD.get((reach, tls), tls if tls != TlsVerdict.UNVERIFIED else reach)


def cell_class(reach: str, tls: str) -> str:
    """One class per cell colour: intercepted (red), intact (green), blocked, partial, unknown, reached."""
    if tls == TlsVerdict.INTERCEPTED:
        return TlsVerdict.INTERCEPTED
    if tls == TlsVerdict.INTACT and reach == Reachability.REACHABLE:
        return TlsVerdict.INTACT
    if reach in (Reachability.BLOCKED, Reachability.PARTIAL, Reachability.UNKNOWN):
        return reach
    return "reached"


@dataclass(frozen=True)
class Row:
    target: str
    role: str
    cells: tuple[dict[str, Any] | None, ...]


def matrix(profile: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Row]]:
    """Paths (columns) and one row per site/control (sites first, in the order first seen)."""
    paths = [p for p in profile.get("paths") or [] if isinstance(p, dict)]
    order: dict[str, str] = {}
    for p in paths:
        for t in p.get("targets") or []:
            if isinstance(t, dict) and isinstance(t.get("target"), str):
                order.setdefault(t["target"], str(t.get("role") or Role.SITE))
    names = (
        [n for n, r in order.items() if r not in (Role.CONTROL, Role.ENDPOINT, Role.RESOLVER)]
        + [n for n, r in order.items() if r == Role.CONTROL]
        + [n for n, r in order.items() if r in (Role.ENDPOINT, Role.RESOLVER)]
    )
    rows = []
    for n in names:
        cells = []
        for p in paths:
            hit = next(
                (t for t in p.get("targets") or [] if isinstance(t, dict) and t.get("target") == n), None
            )
            cells.append(hit)
        rows.append(Row(n, order[n], tuple(cells)))
    return paths, rows


def path_title(path: dict[str, Any]) -> str:
    return describe_path(
        str(path.get("id")), path.get("detail") if isinstance(path.get("detail"), dict) else None
    )


def severity(profile: dict[str, Any]) -> Severity:
    """``bad`` (interception, roots to remove), ``warn`` (blocking, portals, offline), ``good``."""
    cases = set((profile.get("recommendation") or {}).get("cases") or [])
    bad = {
        AdviceCase.INTERCEPTION_KNOWN_ROOT,
        AdviceCase.INTERCEPTION_UNKNOWN_ISSUER,
        AdviceCase.KNOWN_ROOT_TRUSTED,
        AdviceCase.PORTAL_OFFERS_CERTIFICATE,
        AdviceCase.INTERCEPTION_ALL_PATHS,
    }
    if cases & bad or profile.get("interception"):
        return Severity.BAD
    rec = profile.get("recommendation") or {}
    if cases - {AdviceCase.CLEAN} or not rec.get("path"):
        return Severity.WARN
    return Severity.GOOD


def short_hash(h: Any) -> str:
    return f"{h[:16]}…" if isinstance(h, str) and len(h) > 16 else str(h or "—")


def issuer_name(dn: Any) -> str:
    return cn_of(dn if isinstance(dn, str) else None)


@dataclass
class Interceptor:
    """Interception findings that share an issuer and anchoring root: one line or card in a report."""

    issuer: str
    root_sha256: str
    known_as: str
    hosts: list[str]
    paths: list[str]
    signals: list[str]


def interceptors(profile: dict[str, Any]) -> list[Interceptor]:
    groups: dict[tuple[str, str, str], Interceptor] = {}
    for f in profile.get("interception") or []:
        if not isinstance(f, dict):
            continue
        key = (str(f.get("issuer") or ""), str(f.get("root_sha256") or ""), str(f.get("known_as") or ""))
        g = groups.setdefault(key, Interceptor(*key, [], [], []))
        for target, values in (
            (g.hosts, [f.get("host")]),
            (g.paths, f.get("paths") or []),
            (g.signals, f.get("signals") or []),
        ):
            for x in values:
                if str(x) not in target:
                    target.append(str(x))
    return list(groups.values())
