"""What was found and what to do, in plain sentences a non-expert can act on (pure; golden-tested).

:func:`advise` reads only the profile dict (``network``, ``paths``, ``interception``, ``trust_store``)
and the ranked path ids, and returns the advice text with the stable ids of the cases it covers:

=============================  ===============================================================
``offline``                    nothing answered: the device is offline or the network is shut down
``captive_portal``             a login page captured plain HTTP and offers no certificate
``portal_offers_certificate``  the network's page offers certificate files to install
``known_root_trusted``         this device trusts a known interception root
``interception_known_root``    HTTPS intercepted with a known (state) interception root
``interception_unknown_issuer`` HTTPS intercepted by an issuer not on the known list
``interception_some_paths``    interception on some paths, while others kept HTTPS intact
``interception_all_paths``     interception on every path tested, tunnels included
``dns_tampering``              the system resolver lies about some names
``distrusted_root``             a site's chain anchors at a root Mozilla removed for cause (not interception)
``blocking``                   some paths or sites are blocked (no interception seen)
``nothing_works``              no path is reachable with HTTPS intact
``clean``                      nothing wrong was seen
``legacy_public_root``         a site still uses an old public root that Mozilla retired (told last;
                               supporting evidence, never interception, never "remove it")
=============================  ===============================================================

Wording rules: name the issuer; say "state" only for a certificate on the known list (``known_as``),
because antivirus software and company proxies look exactly the same on the wire; an offline network
or a captive portal is never called censored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pathprobe.analysis.paths import path_kind
from pathprobe.analysis.signals import host_of
from pathprobe.vocab import AdviceCase, Connectivity, Reachability, Role, Signal, TlsVerdict

INFORMATIONAL = frozenset({AdviceCase.LEGACY_PUBLIC_ROOT})
"""Cases that add a sentence but leave a network "clean"."""

TOR_TRANSPORTS = {
    "vanilla": "Tor",
    "obfs4": "Tor with obfs4 bridges",
    "webtunnel": "Tor with WebTunnel bridges",
    "snowflake": "Tor with Snowflake",
    "meek": "Tor with meek",
    "meek_lite": "Tor with meek",
}
PROXY_NAMES = {
    "socks5": "SOCKS proxy",
    "http": "HTTP proxy",
    "shadowsocks": "Shadowsocks proxy",
    "openvpn": "OpenVPN server",
    "wireguard": "WireGuard server",
}

REMOVAL = {
    "windows": "on Windows: run certmgr.msc, open Trusted Root Certification Authorities › Certificates, "
    "delete it",
    "macos": "on macOS: open Keychain Access › System › Certificates, delete it",
    "linux": "on Linux: delete its file from /usr/local/share/ca-certificates or "
    "/etc/pki/ca-trust/source/anchors, then run update-ca-certificates or update-ca-trust",
    "any": "Windows: certmgr.msc › Trusted Root Certification Authorities; macOS: Keychain Access › System; "
    "Android: Settings › Security › Encryption & credentials › User credentials; iOS: Settings › "
    "General › VPN & Device Management; Firefox: Settings › Privacy & Security › View Certificates",
}
LINUX_BUNDLES = ("/etc/ssl/certs/", "/etc/pki/", "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem")

OFFLINE_TEXT = (
    "Nothing on this network answered at all: this device seems to be offline, or the network has been "
    "shut down (as Kazakhstan's was during the January 2022 unrest). That is not the same as censorship "
    "of particular sites: check that you are connected, then run the check again."
)


@dataclass(frozen=True)
class Advice:
    text: str
    cases: tuple[str, ...]


@dataclass
class _Group:
    """Interception findings that share one interceptor (same known root, or same anchor/issuer)."""

    known_as: str | None
    issuer: str
    root_sha256: str | None
    root_subject: str | None = None
    hosts: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    signals: set[str] = field(default_factory=set)


# ---------------------------------------------------------------------------------------------- words


def cn_of(dn: Any) -> str:
    """The common name of an RFC 4514 name (``CN=Security Certificate,O=X`` -> ``Security Certificate``)."""
    if not isinstance(dn, str) or not dn:
        return "an unnamed issuer"
    parts = re.split(r"(?<!\\),", dn)
    for part in parts:
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN" and value.strip():
            return value.strip().replace("\\,", ",")
    for part in parts:
        key, _, value = part.partition("=")
        if key.strip().upper() in ("O", "OU") and value.strip():
            return value.strip().replace("\\,", ",")
    return dn


def join_words(items: Sequence[str]) -> str:
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def list_hosts(hosts: Iterable[str], limit: int = 3) -> str:
    hs = sorted(set(hosts))
    if len(hs) <= limit:
        return join_words(hs)
    more = len(hs) - limit
    return ", ".join(hs[:limit]) + f" and {more} more site{'s' if more > 1 else ''}"


def describe_path(path_id: str, detail: dict[str, Any] | None = None) -> str:
    """A path in words: ``tor:obfs4`` -> "Tor with obfs4 bridges", ``direct`` -> "the plain network"."""
    kind, _, name = path_id.partition(":")
    detail = detail or {}
    if kind == "tor":
        transport = str(detail.get("transport") or name or "vanilla")
        words = TOR_TRANSPORTS.get(transport, f"Tor ({transport})")
        if name and name != transport:
            words += f" ('{name}')"
        return words
    if kind == "vpn":
        proto = PROXY_NAMES.get(str(detail.get("protocol", "")))
        return f"the {proto} '{name}'" if proto else f"the VPN/proxy '{name}'"
    if kind == "doh":
        return f"encrypted DNS via {name}"
    if path_id == "direct":
        return "the plain network"
    return f"the path '{path_id}'"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def removal_hint(source: str | None) -> str:
    """Short removal pointers for the OS whose store was checked (all common ones when unknown)."""
    src = source or ""
    if src.startswith("Windows"):
        return REMOVAL["windows"]
    if src.startswith("macOS"):
        return REMOVAL["macos"]
    if src.startswith(LINUX_BUNDLES):
        return REMOVAL["linux"]
    return REMOVAL["any"]


# --------------------------------------------------------------------------------------- evidence


def _paths(profile: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in profile.get("paths") or [] if isinstance(p, dict) and isinstance(p.get("id"), str)]


def _groups(profile: dict[str, Any]) -> list[_Group]:
    groups: dict[tuple[str, str], _Group] = {}
    for f in profile.get("interception") or []:
        if not isinstance(f, dict):
            continue
        known = f.get("known_as") or None
        key = ("known", known) if known else ("anchor", f.get("root_sha256") or f.get("issuer") or "?")
        root_subject = f.get("root_subject") if isinstance(f.get("root_subject"), str) else None
        g = groups.setdefault(key, _Group(known, str(f.get("issuer") or ""), f.get("root_sha256"), root_subject))
        if f.get("host") and f["host"] not in g.hosts:
            g.hosts.append(str(f["host"]))
        for p in f.get("paths") or []:
            if p not in g.paths:
                g.paths.append(str(p))
        g.signals |= set(f.get("signals") or [])
    return sorted(groups.values(), key=lambda g: (-len(g.hosts), g.known_as is None, sorted(g.hosts)))


def _target_hosts(path: dict[str, Any], pred: Any) -> list[str]:
    targets = [t for t in path.get("targets") or [] if isinstance(t, dict)]
    return [host_of(str(t.get("target"))) for t in targets if pred(t)]


def _dns_tampered_hosts(paths: list[dict[str, Any]]) -> list[str]:
    out: set[str] = set()
    for p in paths:
        out.update(_target_hosts(p, lambda t: Signal.DNS_TAMPERING in (t.get("signals") or [])))
    return sorted(out)


def _cert_name(c: dict[str, Any], *, explain: bool = True) -> str:
    known = c.get("known_as")
    if known:
        return f"'{known}' (a known state interception root)" if explain else f"'{known}'"
    return f"'{cn_of(c.get('subject'))}'"


# ------------------------------------------------------------------------------------------ advice


def advise(profile: dict[str, Any], ranked: Sequence[str]) -> Advice:
    """The advice for a profile whose ``paths``, ``interception`` and ``trust_store`` are filled in."""
    network = profile.get("network") or {}
    if network.get("connectivity") == Connectivity.OFFLINE:
        return Advice(OFFLINE_TEXT, (AdviceCase.OFFLINE,))

    paths = _paths(profile)
    by_id = {p["id"]: p for p in paths}
    trust = profile.get("trust_store") or {}
    hint = removal_hint(trust.get("source"))
    trusted_known = [t for t in trust.get("known_interception_roots") or [] if isinstance(t, dict)]
    portal = network.get("portal") or {}
    offered = (
        [c for c in portal.get("offered_certificates") or [] if isinstance(c, dict)]
        if portal.get("detected")
        else []
    )
    captive = bool(portal.get("detected")) and not offered
    all_groups = _groups(profile)
    # Findings that DNS lies explain (a block page or an impostor for the name, trusted by nobody) are
    # told as DNS tampering, not as a certificate authority intercepting HTTPS.
    dns_groups = [
        g for g in all_groups
        if Signal.DNS_TAMPERING in g.signals and not g.known_as and Signal.DEVICE_TRUSTED_NOT_PUBLIC not in g.signals
        and Signal.PORTAL_OFFERED_ROOT not in g.signals
    ]
    groups = [g for g in all_groups if g not in dns_groups]
    dns_hosts = _dns_tampered_hosts(paths)
    best = ranked[0] if ranked else None

    def words(pid: str) -> str:
        return describe_path(pid, (by_id.get(pid) or {}).get("detail"))

    def use(pid: str) -> str:
        if pid.startswith("doh:"):
            return f"turn on encrypted DNS (DNS over HTTPS) with {pid[4:]} in your browser or system settings"
        if pid.startswith("tor"):
            return "use it (Tor Browser)"
        return "use it"

    cases: list[str] = []
    said: list[str] = []
    covered_roots: set[str] = set()  # trusted known roots already named

    # 1. A page that offers certificates to install (Kazakhstan 2019, Tele2).
    if offered:
        cases.append(AdviceCase.PORTAL_OFFERS_CERTIFICATE)
        several = len(offered) > 1
        names = join_words([_cert_name(c) for c in offered])
        it, these = ("them", "these files") if several else ("it", "this file")
        plain_http = any(c.get("over") == "http" for c in offered)
        why = f", and {these} came over plain HTTP, which anyone on the path can swap" if plain_http else ""
        said.append(
            f"This network's web page offers {'certificates' if several else 'a certificate'} to install: "
            f"{names}. Do not install {it}: a root certificate lets whoever holds its key read and change "
            f"everything you send over HTTPS{why}."
        )
        in_store = [c for c in offered if c.get("in_device_store")]
        if in_store:
            cases.append(AdviceCase.KNOWN_ROOT_TRUSTED)
            said.append(
                f"This device already trusts "
                f"{join_words([_cert_name(c, explain=False) for c in in_store])}: "
                f"remove {'them' if len(in_store) > 1 else 'it'} ({hint})."
            )
            covered_roots.update(str(c.get("sha256")) for c in in_store)
            covered_roots.update(str(c.get("known_as")) for c in in_store if c.get("known_as"))

    # 2. Interception findings, the largest interceptor first.
    for i, g in enumerate(groups[:2]):
        hosts = list_hosts(g.hosts)
        trusted = Signal.DEVICE_TRUSTED_NOT_PUBLIC in g.signals or any(
            t.get("sha256") == g.root_sha256 or (g.known_as and t.get("known_as") == g.known_as)
            for t in trusted_known
        )
        already = g.root_sha256 in covered_roots or (g.known_as or "") in covered_roots
        tunnels_only = bool(g.paths) and all(
            path_kind(by_id.get(p, {"id": p})) in ("tor", "vpn") for p in g.paths
        )
        if tunnels_only and not trusted:
            # Seen only through a tunnel: the tunnel (or the network behind it) intercepts, not this network.
            cases.append(AdviceCase.INTERCEPTION_KNOWN_ROOT if g.known_as else AdviceCase.INTERCEPTION_UNKNOWN_ISSUER)
            who = f"'{g.known_as}'" if g.known_as else f"'{cn_of(g.issuer)}'"
            said.append(
                f"Through {join_words([words(p) for p in g.paths])}, HTTPS to {hosts} is intercepted with a "
                f"certificate from {who}: that tunnel, or the network behind it, can read your traffic. "
                "Do not rely on it."
            )
            continue
        if Signal.PORTAL_OFFERED_ROOT in g.signals and offered:
            cases.append(AdviceCase.INTERCEPTION_KNOWN_ROOT if g.known_as else AdviceCase.INTERCEPTION_UNKNOWN_ISSUER)
            anchors = [c for c in offered if c.get("anchors_interception")] or offered
            which = join_words([_cert_name(c, explain=False) for c in anchors]) if several else "it"
            said.append(f"The network already uses {which} to intercept HTTPS to {hosts}.")
        elif g.known_as:
            cases.append(AdviceCase.INTERCEPTION_KNOWN_ROOT)
            if trusted and not already:
                cases.append(AdviceCase.KNOWN_ROOT_TRUSTED)
                said.append(
                    f"Your network intercepts HTTPS to {hosts} with a certificate from '{g.known_as}', a "
                    f"known state interception root that this device trusts. Remove it ({hint})."
                )
            elif trusted:
                said.append(f"Your network intercepts HTTPS to {hosts} with it.")
            else:
                said.append(
                    f"Your network intercepts HTTPS to {hosts} with a certificate from '{g.known_as}', a "
                    "known state interception root; this device does not trust it, so browsers warn there: "
                    "do not click past the warning, and do not install that certificate."
                )
            covered_roots.add(g.known_as)
            if g.root_sha256:
                covered_roots.add(g.root_sha256)
        else:
            cases.append(AdviceCase.INTERCEPTION_UNKNOWN_ISSUER)
            issuer = cn_of(g.issuer)
            if i > 0:
                said.append(f"HTTPS to {hosts} is also intercepted, by '{issuer}'.")
            elif trusted:
                root = cn_of(g.root_subject) if g.root_subject else ""
                under = f" under the root '{root}'" if root and root != issuer else ""
                what = f"'{root}'" if under else "it"
                said.append(
                    f"HTTPS to {hosts} is intercepted with a certificate from '{issuer}'{under}, which this "
                    "device trusts but the public web does not: antivirus software, an employer or the "
                    f"network may have installed it. If you did not choose it, remove "
                    f"{what} ({hint})."
                )
            else:
                said.append(
                    f"HTTPS to {hosts} is intercepted: the certificate comes from '{issuer}', not from the "
                    "sites' real certificate authorities (a network, a company proxy or antivirus software "
                    "can do this). Do not click past browser warnings."
                )
    if len(groups) > 2:
        said.append(f"{len(groups) - 2} more interceptors were seen (see the full report).")

    # 3. Known interception roots this device trusts that no finding or portal named.
    left = [
        t
        for t in trusted_known
        if t.get("sha256") not in covered_roots and t.get("known_as") not in covered_roots
    ]
    if left:
        cases.append(AdviceCase.KNOWN_ROOT_TRUSTED)
        names = join_words(sorted({f"'{t.get('known_as') or cn_of(t.get('subject'))}'" for t in left}))
        several = len({t.get("known_as") for t in left}) > 1
        what, keys, it = (
            ("known state interception roots", "their keys", "them")
            if several
            else ("a known state interception root", "its key", "it")
        )
        said.append(
            f"This device trusts {names}, {what}"
            f"{'' if groups else ', though it was not seen intercepting here'}: "
            f"whoever holds {keys} can read your HTTPS. Remove {it} ({hint})."
        )

    # 4. Where the interception happens.
    dns_paths = {p for g in dns_groups for p in g.paths}
    intercepted = sorted(
        {p for g in groups for p in g.paths}
        | {p["id"] for p in paths if p.get("tls") == TlsVerdict.INTERCEPTED and (groups or p["id"] not in dns_paths)}
    )
    intact = [p["id"] for p in paths if p.get("tls") == TlsVerdict.INTACT]
    best_said = False
    if intercepted and intact:
        cases.append(AdviceCase.INTERCEPTION_SOME_PATHS)
        where = f"Interception was seen on {join_words([words(p) for p in intercepted])} only"
        if best:
            said.append(f"{where}; {words(best)} reached the real sites with HTTPS intact: {use(best)}.")
            best_said = True
        else:
            said.append(where + ".")
    elif intercepted:
        tunnels = [p for p in intercepted if path_kind(by_id.get(p, {"id": p})) in ("tor", "vpn")]
        if tunnels:
            cases.append(AdviceCase.INTERCEPTION_ALL_PATHS)
            said.append(
                f"It was seen on every path tested, {join_words([words(p) for p in tunnels])} included, "
                "so it probably happens on this device itself (security or company software), "
                "not on the network."
            )

    # 5. DNS tampering.
    if dns_hosts:
        cases.append(AdviceCase.DNS_TAMPERING)
        also = " also" if groups or offered else ""
        said.append(f"This network's DNS{also} gives false answers for {list_hosts(dns_hosts)}.")
        if dns_groups:
            redirected = sorted({h for g in dns_groups for h in g.hosts})
            said.append(
                f"For {list_hosts(redirected)} it sends the browser to another server whose certificate is "
                "not valid for those names (a block page or an impostor): do not click past the warning."
            )

    # 6. A captive portal without certificates: log in first; never call it censorship.
    if captive:
        cases.append(AdviceCase.CAPTIVE_PORTAL)
        said.append(
            "This network first shows a login page (a captive portal): log in or accept its terms, then run "
            "the check again. Until then, failures say nothing about censorship."
        )

    # 6b. Sites whose chain anchors at a root removed for cause: not interception, not verified either.
    distrusted = _legacy_roots(paths, Signal.DISTRUSTED_ROOT)
    if distrusted:
        cases.append(AdviceCase.DISTRUSTED_ROOT)
        roots = join_words([f"'{cn_of(r)}'" for r in sorted(distrusted)])
        bad_hosts = {h for hs in distrusted.values() for h in hs}
        it = "them" if len(distrusted) > 1 else "it"
        said.append(
            f"HTTPS to {list_hosts(bad_hosts)} could not be verified: {'their' if len(bad_hosts) > 1 else 'its'} "
            f"certificates come from {roots}, which Mozilla no longer trusts (removed for cause, or distrusted "
            f"for certificates issued after a set date). This device still trusts {it}; that is not a sign of "
            f"interception by the network, but an up-to-date system has dropped {it}: update this system, or "
            f"remove {it} ({hint})."
        )

    # 7. Blocking, when nothing worse was found.
    if not groups and not captive and not offered:
        blocked_paths = [p["id"] for p in paths if p.get("reachability") == Reachability.BLOCKED]
        direct = by_id.get("direct")
        blocked_sites = (
            _target_hosts(direct, lambda t: t.get("reachability") == Reachability.BLOCKED and t.get("role") != Role.CONTROL)
            if direct and direct.get("reachability") == Reachability.PARTIAL
            else []
        )
        blocked_sites = [h for h in blocked_sites if h not in dns_hosts]
        parts = []
        if blocked_sites:
            parts.append(f"the plain network does not reach {list_hosts(blocked_sites)}")
        if blocked_paths:
            verb = "is" if len(blocked_paths) == 1 else "are"
            parts.append(f"{join_words([words(p) for p in blocked_paths])} {verb} blocked")
        if parts:
            cases.append(AdviceCase.BLOCKING)
            said.append(_cap("; ".join(parts)) + ".")

    # 8. The way forward.
    if best and not best_said:
        if not [c for c in cases if c not in INFORMATIONAL]:
            cases.append(AdviceCase.CLEAN)
            if best == "direct":
                said.append("No interception or blocking was seen: the plain network kept HTTPS intact.")
            else:
                said.append(
                    f"No interception or blocking was seen; {words(best)} kept HTTPS intact and is "
                    "the most private choice."
                )
        else:
            said.append(f"{_cap(words(best))} reached the real sites with HTTPS intact: {use(best)}.")
    elif not best and not captive:
        cases.append(AdviceCase.NOTHING_WORKS)
        if AdviceCase.INTERCEPTION_ALL_PATHS in cases and any(Signal.DEVICE_TRUSTED_NOT_PUBLIC in g.signals for g in groups):
            said.append("Until that certificate is gone, no path keeps HTTPS intact on this device.")
        elif AdviceCase.INTERCEPTION_ALL_PATHS in cases:
            said.append("No path tested kept HTTPS intact: do not click past certificate warnings.")
        else:
            said.append(_nothing_works(paths))

    # 9. Sites on an old public root: a fact worth knowing, never interception and never "remove it".
    legacy = _legacy_roots(paths, Signal.LEGACY_PUBLIC_ROOT)
    if legacy:
        cases.append(AdviceCase.LEGACY_PUBLIC_ROOT)
        roots = join_words([f"'{cn_of(r)}'" for r in sorted(legacy)])
        old_hosts = {h for hs in legacy.values() for h in hs}
        said.append(
            f"The certificates of {list_hosts(old_hosts)} come from {roots}: "
            f"{'old public roots' if len(legacy) > 1 else 'an old public root'} that Mozilla has retired and "
            "this device still trusts. That is normal and not a sign of interception, though some browsers "
            "may warn there."
        )
    return Advice(" ".join(said), tuple(dict.fromkeys(cases)))


def _legacy_roots(paths: list[dict[str, Any]], signal: str) -> dict[str, set[str]]:
    """Per formerly public root (its subject), the hosts whose chain carried ``signal`` and anchors there."""
    out: dict[str, set[str]] = {}
    for p in paths:
        for t in p.get("targets") or []:
            if not isinstance(t, dict) or signal not in (t.get("signals") or []):
                continue
            root = t.get("legacy_root")
            subject = root.get("subject") if isinstance(root, dict) else None
            out.setdefault(str(subject or "an old root"), set()).add(host_of(str(t.get("target"))))
    return out


def _nothing_works(paths: list[dict[str, Any]]) -> str:
    tested = [p for p in paths if p.get("reachability") != Reachability.UNKNOWN]
    if not tested:
        reasons = [str(p.get("reason")) for p in paths if p.get("reason")]
        why = f": {reasons[0]}" if reasons else ""
        head = f"No path could be tested here{why}."
    elif any(p.get("tls") == TlsVerdict.INTACT for p in tested):
        # A partial path kept HTTPS intact where it got through: it just does not reach every site.
        head = "No path tested reached every site with HTTPS intact here."
    else:
        head = "No path tested kept HTTPS intact here."
    kinds = {path_kind(p) for p in paths}
    if "tor" in kinds:
        tor = (
            "other Tor bridges (bridges.torproject.org, or email bridges@torproject.org) or another "
            "transport (snowflake, meek, webtunnel)"
        )
    else:
        tor = "Tor with bridges (bridges.torproject.org)"
    vpn = ", or a VPN on another port or protocol" if "vpn" in kinds else ", or a VPN you trust"
    return (
        f"{head} Try {tor}{vpn}, and test them with `pathprobe check --bridge '...'` or a plan that "
        "lists them."
    )


def advice(profile: dict[str, Any], ranked: list[str]) -> str:
    """The advice text alone (kept for callers of the first version)."""
    return advise(profile, ranked).text
