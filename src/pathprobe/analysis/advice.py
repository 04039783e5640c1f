"""What was found and what to do, in plain sentences a non-expert can act on (pure; golden-tested).

:func:`advise` reads only the profile (``network``, ``paths``, ``interception``, ``trust_store``)
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
``sni_filtering``              sites blocked by their server name in the TLS hello, and whether
                               tools that split the hello got through (issue 17)
``address_blocking``           sites whose address is blocked whatever the name (issue 17)
``throttling``                 some sites come at under a tenth of a comparable's speed on some paths
                               (named with the paths that were not throttled)
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pathprobe.analysis.paths import path_kind
from pathprobe.analysis.signals import host_of
from pathprobe.profile import InterceptionRoot, OfferedCertificate, Path, Profile, Target
from pathprobe.vocab import (
    AdviceCase,
    BlockAction,
    BlockTrigger,
    Connectivity,
    EvasionOutcome,
    Reachability,
    Role,
    Signal,
    TlsVerdict,
)

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
    """What :func:`advise` returns: the advice ``text`` (its sentences joined by spaces) and ``cases``, the
    stable ids of the cases it covers (:class:`~pathprobe.vocab.AdviceCase` words), each once, in the order
    told.
    """

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


def cn_of(dn: str | None) -> str:
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
    """The items in their given order as English: ``a``, ``a and b``, ``a, b and c``; the empty string for
    none.
    """
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def list_hosts(hosts: Iterable[str], limit: int = 3) -> str:
    """The distinct hosts, sorted, as English; beyond ``limit`` the rest are only counted
    (``a, b, c and 2 more sites``).
    """
    hs = sorted(set(hosts))
    if len(hs) <= limit:
        return join_words(hs)
    more = len(hs) - limit
    return ", ".join(hs[:limit]) + f" and {more} more site{'s' if more > 1 else ''}"


def describe_path(path_id: str, detail: Mapping[str, Any] | None = None) -> str:
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


def _groups(profile: Profile) -> list[_Group]:
    groups: dict[tuple[str, str], _Group] = {}
    for f in profile.interception:
        known = f.known_as or None
        key = ("known", known) if known else ("anchor", f.root_sha256 or f.issuer or "?")
        g = groups.setdefault(key, _Group(known, f.issuer or "", f.root_sha256, f.root_subject))
        if f.host and f.host not in g.hosts:
            g.hosts.append(f.host)
        for p in f.paths:
            if p not in g.paths:
                g.paths.append(p)
        g.signals |= set(f.signals)
    return sorted(groups.values(), key=lambda g: (-len(g.hosts), g.known_as is None, sorted(g.hosts)))


def _target_hosts(path: Path, pred: Callable[[Target], bool]) -> list[str]:
    return [host_of(t.target) for t in path.targets if pred(t)]


def _dns_tampered_hosts(paths: Sequence[Path]) -> list[str]:
    out: set[str] = set()
    for p in paths:
        out.update(_target_hosts(p, lambda t: Signal.DNS_TAMPERING in t.signals))
    return sorted(out)


def _cert_name(c: OfferedCertificate | InterceptionRoot, *, explain: bool = True) -> str:
    known = c.known_as
    if known:
        return f"'{known}' (a known state interception root)" if explain else f"'{known}'"
    return f"'{cn_of(c.subject)}'"


# ------------------------------------------------------------------------------------------ advice


@dataclass
class _Facts:
    """What the advice is made from, read once from the profile."""

    paths: tuple[Path, ...]
    by_id: dict[str, Path]
    hint: str
    """How to remove a root on the system whose store was checked."""
    trusted_known: tuple[InterceptionRoot, ...]
    offered: tuple[OfferedCertificate, ...]
    """Certificates a detected portal offers to install."""
    captive: bool
    groups: list[_Group]
    """Interceptors, largest first (DNS-explained ones excluded)."""
    dns_groups: list[_Group]
    """Findings that DNS lies explain: told as DNS tampering, not as a CA intercepting HTTPS."""
    dns_hosts: list[str]
    best: str | None

    def words(self, pid: str) -> str:
        p = self.by_id.get(pid)
        return describe_path(pid, p.detail if p is not None else None)

    def is_tunnel(self, pid: str) -> bool:
        p = self.by_id.get(pid)
        return path_kind(pid, p.kind if p is not None else None) in ("tor", "vpn")


@dataclass
class _Said:
    """The advice being written: case ids and sentences, in order."""

    cases: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    covered_roots: set[str] = field(default_factory=set)
    """Trusted known roots (by hash or name) already named."""
    best_said: bool = False

    def add(self, case: str | None, *sentences: str) -> None:
        if case is not None:
            self.cases.append(case)
        self.sentences.extend(sentences)


def _facts(profile: Profile, ranked: Sequence[str]) -> _Facts:
    paths = profile.paths
    trust = profile.trust_store
    portal = profile.network.portal
    detected = portal is not None and bool(portal.detected)
    offered = portal.offered_certificates if portal is not None and detected else ()
    all_groups = _groups(profile)
    dns_groups = [
        g for g in all_groups
        if Signal.DNS_TAMPERING in g.signals and not g.known_as and Signal.DEVICE_TRUSTED_NOT_PUBLIC not in g.signals
        and Signal.PORTAL_OFFERED_ROOT not in g.signals
    ]
    return _Facts(
        paths=paths,
        by_id={p.id: p for p in paths},
        hint=removal_hint(trust.source),
        trusted_known=trust.known_interception_roots,
        offered=offered,
        captive=detected and not offered,
        groups=[g for g in all_groups if g not in dns_groups],
        dns_groups=dns_groups,
        dns_hosts=_dns_tampered_hosts(paths),
        best=ranked[0] if ranked else None,
    )


def advise(profile: Profile, ranked: Sequence[str]) -> Advice:
    """The advice for a profile whose ``paths``, ``interception`` and ``trust_store`` are filled in.

    Each case below adds its sentences in turn; the order is the order a person should read them in.
    """
    if profile.network.connectivity == Connectivity.OFFLINE:
        return Advice(OFFLINE_TEXT, (AdviceCase.OFFLINE,))
    f = _facts(profile, ranked)
    out = _Said()
    for case in (_portal_offers_certificates, _interception, _trusted_known_roots, _where_interception_happens,
                 _dns_tampering, _captive_portal, _distrusted_roots, _blocking, _sni_filtering, _address_blocking,
                 _throttling,
                 _way_forward, _legacy_roots_seen):
        case(f, out)
    return Advice(" ".join(out.sentences), tuple(dict.fromkeys(out.cases)))


def _use(pid: str) -> str:
    if pid.startswith("doh:"):
        return f"turn on encrypted DNS (DNS over HTTPS) with {pid[4:]} in your browser or system settings"
    if pid.startswith("tor"):
        return "use it (Tor Browser)"
    return "use it"


def _portal_offers_certificates(f: _Facts, out: _Said) -> None:
    """A page that offers certificates to install (Kazakhstan 2019, Tele2)."""
    if not f.offered:
        return
    several = len(f.offered) > 1
    names = join_words([_cert_name(c) for c in f.offered])
    it, these = ("them", "these files") if several else ("it", "this file")
    plain_http = any(c.over == "http" for c in f.offered)
    why = f", and {these} came over plain HTTP, which anyone on the path can swap" if plain_http else ""
    out.add(
        AdviceCase.PORTAL_OFFERS_CERTIFICATE,
        f"This network's web page offers {'certificates' if several else 'a certificate'} to install: "
        f"{names}. Do not install {it}: a root certificate lets whoever holds its key read and change "
        f"everything you send over HTTPS{why}.",
    )
    in_store = [c for c in f.offered if c.in_device_store]
    if in_store:
        out.add(
            AdviceCase.KNOWN_ROOT_TRUSTED,
            f"This device already trusts "
            f"{join_words([_cert_name(c, explain=False) for c in in_store])}: "
            f"remove {'them' if len(in_store) > 1 else 'it'} ({f.hint}).",
        )
        out.covered_roots.update(str(c.sha256) for c in in_store)
        out.covered_roots.update(c.known_as for c in in_store if c.known_as)


def _interception(f: _Facts, out: _Said) -> None:
    """Interception findings, the two largest interceptors first."""
    for i, g in enumerate(f.groups[:2]):
        trusted = Signal.DEVICE_TRUSTED_NOT_PUBLIC in g.signals or any(
            t.sha256 == g.root_sha256 or (g.known_as and t.known_as == g.known_as)
            for t in f.trusted_known
        )
        if bool(g.paths) and all(f.is_tunnel(p) for p in g.paths) and not trusted:
            _interception_in_tunnel(f, g, out)
        elif Signal.PORTAL_OFFERED_ROOT in g.signals and f.offered:
            _interception_by_offered_root(f, g, out)
        elif g.known_as:
            _interception_known_root(f, g, trusted, out)
        else:
            _interception_unknown_issuer(f, g, trusted, first=i == 0, out=out)
    if len(f.groups) > 2:
        out.add(None, f"{len(f.groups) - 2} more interceptors were seen (see the full report).")


def _interception_case(g: _Group) -> str:
    return AdviceCase.INTERCEPTION_KNOWN_ROOT if g.known_as else AdviceCase.INTERCEPTION_UNKNOWN_ISSUER


def _interception_in_tunnel(f: _Facts, g: _Group, out: _Said) -> None:
    """Seen only through a tunnel: the tunnel (or the network behind it) intercepts, not this network."""
    who = f"'{g.known_as}'" if g.known_as else f"'{cn_of(g.issuer)}'"
    out.add(
        _interception_case(g),
        f"Through {join_words([f.words(p) for p in g.paths])}, HTTPS to {list_hosts(g.hosts)} is intercepted "
        f"with a certificate from {who}: that tunnel, or the network behind it, can read your traffic. "
        "Do not rely on it.",
    )


def _interception_by_offered_root(f: _Facts, g: _Group, out: _Said) -> None:
    anchors = [c for c in f.offered if c.anchors_interception] or f.offered
    which = join_words([_cert_name(c, explain=False) for c in anchors]) if len(f.offered) > 1 else "it"
    out.add(_interception_case(g), f"The network already uses {which} to intercept HTTPS to {list_hosts(g.hosts)}.")


def _interception_known_root(f: _Facts, g: _Group, trusted: bool, out: _Said) -> None:
    assert g.known_as is not None
    hosts = list_hosts(g.hosts)
    already = g.root_sha256 in out.covered_roots or g.known_as in out.covered_roots
    out.add(AdviceCase.INTERCEPTION_KNOWN_ROOT)
    if trusted and not already:
        out.add(
            AdviceCase.KNOWN_ROOT_TRUSTED,
            f"Your network intercepts HTTPS to {hosts} with a certificate from '{g.known_as}', a "
            f"known state interception root that this device trusts. Remove it ({f.hint}).",
        )
    elif trusted:
        out.add(None, f"Your network intercepts HTTPS to {hosts} with it.")
    else:
        out.add(
            None,
            f"Your network intercepts HTTPS to {hosts} with a certificate from '{g.known_as}', a "
            "known state interception root; this device does not trust it, so browsers warn there: "
            "do not click past the warning, and do not install that certificate.",
        )
    out.covered_roots.add(g.known_as)
    if g.root_sha256:
        out.covered_roots.add(g.root_sha256)


def _interception_unknown_issuer(f: _Facts, g: _Group, trusted: bool, *, first: bool, out: _Said) -> None:
    hosts, issuer = list_hosts(g.hosts), cn_of(g.issuer)
    if not first:
        text = f"HTTPS to {hosts} is also intercepted, by '{issuer}'."
    elif trusted:
        root = cn_of(g.root_subject) if g.root_subject else ""
        under = f" under the root '{root}'" if root and root != issuer else ""
        what = f"'{root}'" if under else "it"
        text = (
            f"HTTPS to {hosts} is intercepted with a certificate from '{issuer}'{under}, which this "
            "device trusts but the public web does not: antivirus software, an employer or the "
            f"network may have installed it. If you did not choose it, remove {what} ({f.hint})."
        )
    else:
        text = (
            f"HTTPS to {hosts} is intercepted: the certificate comes from '{issuer}', not from the "
            "sites' real certificate authorities (a network, a company proxy or antivirus software "
            "can do this). Do not click past browser warnings."
        )
    out.add(AdviceCase.INTERCEPTION_UNKNOWN_ISSUER, text)


def _trusted_known_roots(f: _Facts, out: _Said) -> None:
    """Known interception roots this device trusts that no finding or portal named."""
    left = [
        t for t in f.trusted_known
        if t.sha256 not in out.covered_roots and t.known_as not in out.covered_roots
    ]
    if not left:
        return
    names = join_words(sorted({f"'{t.known_as or cn_of(t.subject)}'" for t in left}))
    several = len({t.known_as for t in left}) > 1
    what, keys, it = (
        ("known state interception roots", "their keys", "them")
        if several
        else ("a known state interception root", "its key", "it")
    )
    out.add(
        AdviceCase.KNOWN_ROOT_TRUSTED,
        f"This device trusts {names}, {what}"
        f"{'' if f.groups else ', though it was not seen intercepting here'}: "
        f"whoever holds {keys} can read your HTTPS. Remove {it} ({f.hint}).",
    )


def _where_interception_happens(f: _Facts, out: _Said) -> None:
    """On some paths only (then the way forward), or on every path, tunnels included (this device)."""
    dns_paths = {p for g in f.dns_groups for p in g.paths}
    intercepted = sorted(
        {p for g in f.groups for p in g.paths}
        | {p.id for p in f.paths if p.tls == TlsVerdict.INTERCEPTED and (f.groups or p.id not in dns_paths)}
    )
    intact = [p.id for p in f.paths if p.tls == TlsVerdict.INTACT]
    if intercepted and intact:
        where = f"Interception was seen on {join_words([f.words(p) for p in intercepted])} only"
        if f.best:
            out.add(AdviceCase.INTERCEPTION_SOME_PATHS,
                    f"{where}; {f.words(f.best)} reached the real sites with HTTPS intact: {_use(f.best)}.")
            out.best_said = True
        else:
            out.add(AdviceCase.INTERCEPTION_SOME_PATHS, where + ".")
    elif intercepted:
        tunnels = [p for p in intercepted if f.is_tunnel(p)]
        if tunnels:
            out.add(
                AdviceCase.INTERCEPTION_ALL_PATHS,
                f"It was seen on every path tested, {join_words([f.words(p) for p in tunnels])} included, "
                "so it probably happens on this device itself (security or company software), "
                "not on the network.",
            )


def _dns_tampering(f: _Facts, out: _Said) -> None:
    if not f.dns_hosts:
        return
    also = " also" if f.groups or f.offered else ""
    out.add(AdviceCase.DNS_TAMPERING, f"This network's DNS{also} gives false answers for {list_hosts(f.dns_hosts)}.")
    if f.dns_groups:
        redirected = sorted({h for g in f.dns_groups for h in g.hosts})
        out.add(
            None,
            f"For {list_hosts(redirected)} it sends the browser to another server whose certificate is "
            "not valid for those names (a block page or an impostor): do not click past the warning.",
        )


def _captive_portal(f: _Facts, out: _Said) -> None:
    """A captive portal without certificates: log in first; never call it censorship."""
    if f.captive:
        out.add(
            AdviceCase.CAPTIVE_PORTAL,
            "This network first shows a login page (a captive portal): log in or accept its terms, then run "
            "the check again. Until then, failures say nothing about censorship.",
        )


def _distrusted_roots(f: _Facts, out: _Said) -> None:
    """Sites whose chain anchors at a root removed for cause: not interception, not verified either."""
    seen = _legacy_roots(f.paths, Signal.DISTRUSTED_ROOT)
    if seen is None:
        return
    roots, bad_hosts, several = seen
    it = "them" if several else "it"
    out.add(
        AdviceCase.DISTRUSTED_ROOT,
        f"HTTPS to {list_hosts(bad_hosts)} could not be verified: {'their' if len(bad_hosts) > 1 else 'its'} "
        f"certificates come from {roots}, which Mozilla no longer trusts (removed for cause, or distrusted "
        f"for certificates issued after a set date). This device still trusts {it}; that is not a sign of "
        f"interception by the network, but an up-to-date system has dropped {it}: update this system, or "
        f"remove {it} ({f.hint}).",
    )


def _blocking(f: _Facts, out: _Said) -> None:
    """Blocking, when nothing worse was found."""
    if f.groups or f.captive or f.offered:
        return
    blocked_paths = [p.id for p in f.paths if p.reachability == Reachability.BLOCKED]
    direct = f.by_id.get("direct")
    blocked_sites = (
        _target_hosts(direct, lambda t: t.reachability == Reachability.BLOCKED and t.role != Role.CONTROL)
        if direct is not None and direct.reachability == Reachability.PARTIAL
        else []
    )
    blocked_sites = [h for h in blocked_sites if h not in f.dns_hosts]
    parts = []
    if blocked_sites:
        parts.append(f"the plain network does not reach {list_hosts(blocked_sites)}")
    if blocked_paths:
        verb = "is" if len(blocked_paths) == 1 else "are"
        parts.append(f"{join_words([f.words(p) for p in blocked_paths])} {verb} blocked")
    if parts:
        out.add(AdviceCase.BLOCKING, _cap("; ".join(parts)) + ".")


# --- blocking diagnosis (issue 17): how the network blocks, and what gets through ---

SNI_FILTER_TEXT = {
    BlockAction.TIMEOUT: ("This network filters by server name (a silent drop after the TLS hello) for {sites}; "
                          "a tunnel (a VPN or Tor) avoids it."),
    BlockAction.RESET: ("This network filters by server name (a TCP reset after the TLS hello) for {sites}; a "
                        "tunnel (a VPN or Tor) avoids it."),
    BlockAction.OTHER: ("This network filters by server name (the connection fails after the TLS hello) for "
                        "{sites}; a tunnel (a VPN or Tor) avoids it."),
}
SPLIT_INTACT_TEXT = ("Tools that split the TLS hello (GoodbyeDPI, byedpi, zapret, Outline's smart dialer "
                     "tlsfrag) reached {sites} with HTTPS intact here.")
SPLIT_NOT_INTACT_TEXT = ("Splitting the TLS hello reached {sites}, but not with HTTPS intact: do not rely on it "
                         "there.")
SPLIT_FAILED_TEXT = ("Splitting the TLS hello did not help for {sites}: this network's filter reads the whole "
                     "hello, so tools such as GoodbyeDPI or zapret will not get through.")
ADDRESS_TEXT = ("The address of {sites} is blocked, whatever the name: tools that split the TLS hello cannot "
                "help there, but a tunnel (a VPN or Tor) can.")


def _diagnosed(f: _Facts) -> list[Target]:
    """The unreached targets of the diagnosed paths (direct, doh) that carry a ``blocking``."""
    return [t for p in f.paths if path_kind(p.id, p.kind) in ("direct", "doh") for t in p.targets
            if t.blocking is not None and t.role != Role.RESOLVER]


def _hosts_of(targets: Iterable[Target]) -> list[str]:
    return list(dict.fromkeys(host_of(t.target) for t in targets))


def _sni_filtering(f: _Facts, out: _Said) -> None:
    """Sites blocked by server name: how (drop or reset), and whether splitting the hello helped."""
    sni = [t for t in _diagnosed(f) if t.blocking is not None and t.blocking.trigger == BlockTrigger.SNI]
    if not sni:
        return
    for action in (BlockAction.TIMEOUT, BlockAction.RESET, BlockAction.OTHER):
        group = [t for t in sni if t.blocking is not None and (
            t.blocking.action == action
            or (action == BlockAction.OTHER and t.blocking.action not in (BlockAction.TIMEOUT, BlockAction.RESET)))]
        if group:
            out.add(AdviceCase.SNI_FILTERING, SNI_FILTER_TEXT[action].format(sites=list_hosts(_hosts_of(group))))

    def reached(t: Target, intact: bool) -> bool:
        return t.blocking is not None and any(
            e.outcome == EvasionOutcome.REACHED and (e.tls == TlsVerdict.INTACT) == intact for e in t.blocking.evasion)

    tried = [t for t in sni if t.blocking is not None and t.blocking.evasion]
    intact = [t for t in tried if reached(t, True)]
    not_intact = [t for t in tried if not reached(t, True) and reached(t, False)]
    failed = [t for t in tried if t not in intact and t not in not_intact]
    if intact:
        out.add(None, SPLIT_INTACT_TEXT.format(sites=list_hosts(_hosts_of(intact))))
    if not_intact:
        out.add(None, SPLIT_NOT_INTACT_TEXT.format(sites=list_hosts(_hosts_of(not_intact))))
    if failed:
        out.add(None, SPLIT_FAILED_TEXT.format(sites=list_hosts(_hosts_of(failed))))


def _address_blocking(f: _Facts, out: _Said) -> None:
    """Sites whose address is blocked whatever the server name."""
    hosts = _hosts_of(t for t in _diagnosed(f) if t.blocking is not None and t.blocking.trigger == BlockTrigger.ADDRESS)
    if hosts:
        out.add(AdviceCase.ADDRESS_BLOCKING, ADDRESS_TEXT.format(sites=list_hosts(hosts)))
# ---- throttling (issue 17) -------------------------------------------------------------------------
# Whole sentences with named placeholders (the next issue translates them): {site}/{sites} the hosts,
# {kbps} the highest goodput seen among them on the throttled paths, {slow} those paths, {fast} the
# paths that reached the same sites without throttling.
THROTTLED_ONE = "{site} is throttled to about {kbps} kbit/s on {slow} but not through {fast}."
THROTTLED_MANY = "{sites} are throttled to about {kbps} kbit/s on {slow} but not through {fast}."
THROTTLED_ONE_EVERYWHERE = ("{site} is throttled to about {kbps} kbit/s on {slow}, where other sites came "
                            "at least ten times faster; no path tested avoided it.")
THROTTLED_MANY_EVERYWHERE = ("{sites} are throttled to about {kbps} kbit/s on {slow}, where other sites came "
                             "at least ten times faster; no path tested avoided it.")


def _throttling(f: _Facts, out: _Said) -> None:
    """Sites throttled on some paths, with the paths that reached them without throttling."""
    slow: dict[str, dict[str, float]] = {}  # host -> throttled path -> goodput
    fine: dict[str, set[str]] = {}  # host -> paths that reached it unthrottled
    for p in f.paths:
        for t in p.targets:
            if t.reachability != Reachability.REACHABLE or t.role not in (Role.SITE, Role.CONTROL):
                continue
            host = host_of(t.target)
            if Signal.THROTTLED in t.signals:
                kbps = t.throttle.goodput_kbps if t.throttle is not None else None
                slow.setdefault(host, {})[p.id] = float(kbps or 0.0)
            else:
                fine.setdefault(host, set()).add(p.id)
    if not slow:
        return
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for host, on in slow.items():
        key = (tuple(sorted(on)), tuple(sorted(fine.get(host, set()) - set(on))))
        groups.setdefault(key, []).append(host)
    sentences = []
    for (slow_paths, fast_paths), hosts in sorted(groups.items(), key=lambda kv: (kv[0], sorted(kv[1]))):
        kbps = max(slow[h][p] for h in hosts for p in slow_paths)
        values = {
            "site": list_hosts(hosts),
            "sites": list_hosts(hosts),
            "kbps": f"{kbps:.0f}",
            "slow": join_words([f.words(p) for p in slow_paths]),
            "fast": join_words([f.words(p) for p in fast_paths]),
        }
        many = len(hosts) > 1
        if fast_paths:
            template = THROTTLED_MANY if many else THROTTLED_ONE
        else:
            template = THROTTLED_MANY_EVERYWHERE if many else THROTTLED_ONE_EVERYWHERE
        sentences.append(template.format(**values))  # starts with a host name: never capitalised
    out.add(AdviceCase.THROTTLING, *sentences)


# ---- end of throttling ----------------------------------------------------------------------------


def _way_forward(f: _Facts, out: _Said) -> None:
    """The path to use (or that nothing clean was seen), or what to try when nothing works."""
    if f.best and not out.best_said:
        if not [c for c in out.cases if c not in INFORMATIONAL]:
            if f.best == "direct":
                text = "No interception or blocking was seen: the plain network kept HTTPS intact."
            else:
                text = (f"No interception or blocking was seen; {f.words(f.best)} kept HTTPS intact and is "
                        "the most private choice.")
            out.add(AdviceCase.CLEAN, text)
        else:
            out.add(None, f"{_cap(f.words(f.best))} reached the real sites with HTTPS intact: {_use(f.best)}.")
    elif not f.best and not f.captive:
        everywhere = AdviceCase.INTERCEPTION_ALL_PATHS in out.cases
        if everywhere and any(Signal.DEVICE_TRUSTED_NOT_PUBLIC in g.signals for g in f.groups):
            text = "Until that certificate is gone, no path keeps HTTPS intact on this device."
        elif everywhere:
            text = "No path tested kept HTTPS intact: do not click past certificate warnings."
        else:
            text = _nothing_works(f.paths)
        out.add(AdviceCase.NOTHING_WORKS, text)


def _legacy_roots_seen(f: _Facts, out: _Said) -> None:
    """Sites on an old public root: a fact worth knowing, never interception and never "remove it"."""
    seen = _legacy_roots(f.paths, Signal.LEGACY_PUBLIC_ROOT)
    if seen is None:
        return
    roots, old_hosts, several = seen
    out.add(
        AdviceCase.LEGACY_PUBLIC_ROOT,
        f"The certificates of {list_hosts(old_hosts)} come from {roots}: "
        f"{'old public roots' if several else 'an old public root'} that Mozilla has retired and "
        "this device still trusts. That is normal and not a sign of interception, though some browsers "
        "may warn there.",
    )


def _legacy_roots(paths: Sequence[Path], signal: str) -> tuple[str, set[str], bool] | None:
    """The formerly public roots (named, in words) of the targets that carry ``signal``, their hosts,
    and whether there are several roots; ``None`` when no target carries it."""
    by_root: dict[str, set[str]] = {}
    for p in paths:
        for t in p.targets:
            if signal not in t.signals:
                continue
            subject = t.legacy_root.subject if t.legacy_root is not None else None
            by_root.setdefault(subject or "an old root", set()).add(host_of(t.target))
    if not by_root:
        return None
    hosts = {h for hs in by_root.values() for h in hs}
    return join_words([f"'{cn_of(r)}'" for r in sorted(by_root)]), hosts, len(by_root) > 1


def _nothing_works(paths: Sequence[Path]) -> str:
    tested = [p for p in paths if p.reachability != Reachability.UNKNOWN]
    if not tested:
        reasons = [p.reason for p in paths if p.reason]
        why = f": {reasons[0]}" if reasons else ""
        head = f"No path could be tested here{why}."
    elif any(p.tls == TlsVerdict.INTACT for p in tested):
        # A partial path kept HTTPS intact where it got through: it just does not reach every site.
        head = "No path tested reached every site with HTTPS intact here."
    else:
        head = "No path tested kept HTTPS intact here."
    kinds = {path_kind(p.id, p.kind) for p in paths}
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


def advice(profile: Profile, ranked: list[str]) -> str:
    """The advice text alone (kept for callers of the first version)."""
    return advise(profile, ranked).text
