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

Every sentence is a whole gettext message with named placeholders (:class:`pathprobe.i18n.Msg`), never
put together from translated fragments; :class:`Advice` carries the messages beside the text, so a
profile can tell its advice again in another language (``recommendation.advice_messages``).

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
from pathprobe.i18n import N_, Listed, Msg, Param, get_language
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
    "vanilla": N_("Tor"),
    "obfs4": N_("Tor with obfs4 bridges"),
    "webtunnel": N_("Tor with WebTunnel bridges"),
    "snowflake": N_("Tor with Snowflake"),
    "meek": N_("Tor with meek"),
    "meek_lite": N_("Tor with meek"),
}
PROXY_NAMES = {
    "socks5": "SOCKS proxy",
    "http": "HTTP proxy",
    "shadowsocks": "Shadowsocks proxy",
    "openvpn": "OpenVPN server",
    "wireguard": "WireGuard server",
}
PROXY_PATHS = {
    "socks5": N_("the SOCKS proxy '{name}'"),
    "http": N_("the HTTP proxy '{name}'"),
    "shadowsocks": N_("the Shadowsocks proxy '{name}'"),
    "openvpn": N_("the OpenVPN server '{name}'"),
    "wireguard": N_("the WireGuard server '{name}'"),
}
"""A VPN/proxy path in words, by protocol (whole phrases: each language words them its own way)."""

REMOVAL = {
    "windows": N_("on Windows: run certmgr.msc, open Trusted Root Certification Authorities › Certificates, "
                  "delete it"),
    "macos": N_("on macOS: open Keychain Access › System › Certificates, delete it"),
    "linux": N_("on Linux: delete its file from /usr/local/share/ca-certificates or "
                "/etc/pki/ca-trust/source/anchors, then run update-ca-certificates or update-ca-trust"),
    "any": N_("Windows: certmgr.msc › Trusted Root Certification Authorities; macOS: Keychain Access › System; "
              "Android: Settings › Security › Encryption & credentials › User credentials; iOS: Settings › "
              "General › VPN & Device Management; Firefox: Settings › Privacy & Security › View Certificates"),
}
"""How to remove a root certificate, per system (the msgids; :func:`removal_msg`)."""
LINUX_BUNDLES = ("/etc/ssl/certs/", "/etc/pki/", "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem")

OFFLINE_TEXT = N_(
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
    messages: tuple[Msg, ...] = ()
    """The same sentences language-neutral (:class:`~pathprobe.i18n.Msg`), in order: what
    ``recommendation.advice_messages`` stores."""


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
    """A path in words (English): ``tor:obfs4`` -> "Tor with obfs4 bridges", ``direct`` -> "the plain
    network" (:func:`path_msg` in any language)."""
    return path_msg(path_id, detail).render("en")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def removal_hint(source: str | None) -> str:
    """Short removal pointers for the OS whose store was checked (all common ones when unknown)."""
    return removal_msg(source).render("en")


def removal_msg(source: str | None) -> Msg:
    """:func:`removal_hint` as a message (told in any language)."""
    src = source or ""
    if src.startswith("Windows"):
        return Msg(REMOVAL["windows"])
    if src.startswith("macOS"):
        return Msg(REMOVAL["macos"])
    if src.startswith(LINUX_BUNDLES):
        return Msg(REMOVAL["linux"])
    return Msg(REMOVAL["any"])


def issuer_param(dn: str | None) -> Param:
    """:func:`cn_of` as a parameter: the name as it is, or the message "an unnamed issuer"."""
    if not isinstance(dn, str) or not dn:
        return Msg(N_("an unnamed issuer"))
    return cn_of(dn)


def quoted(name: Param) -> Msg:
    """A name in the language's quotation marks (``'name'``)."""
    return Msg(N_("'{name}'"), {"name": name})


def words_list(items: Sequence[Param]) -> Listed:
    """:func:`join_words` as a parameter (``a, b and c`` in the language's words)."""
    return Listed(tuple(items))


def hosts_param(hosts: Iterable[str], limit: int = 3) -> Param:
    """:func:`list_hosts` as a parameter: the hosts, the rest counted (``a, b, c and 2 more sites``)."""
    hs = sorted(set(hosts))
    if len(hs) <= limit:
        return Listed(tuple(hs))
    more = len(hs) - limit
    return Msg(N_("{hosts} and {n} more site"), {"hosts": Listed(tuple(hs[:limit]), "comma")},
               plural=N_("{hosts} and {n} more sites"), n=more)


def path_msg(path_id: str, detail: Mapping[str, Any] | None = None, *, cap: bool = False) -> Msg:
    """:func:`describe_path` as a message (told in any language); ``cap`` to start a sentence with it."""
    kind, _, name = path_id.partition(":")
    detail = detail or {}
    if kind == "tor":
        transport = str(detail.get("transport") or name or "vanilla")
        known = TOR_TRANSPORTS.get(transport)
        words = Msg(known) if known else Msg(N_("Tor ({transport})"), {"transport": transport})
        if name and name != transport:
            return Msg(N_("{path} ('{name}')"), {"path": words, "name": name}, cap=cap)
        return Msg(words.msgid, words.params, cap=cap)
    if kind == "vpn":
        proto = PROXY_PATHS.get(str(detail.get("protocol", "")))
        return Msg(proto or N_("the VPN/proxy '{name}'"), {"name": name}, cap=cap)
    if kind == "doh":
        return Msg(N_("encrypted DNS via {name}"), {"name": name}, cap=cap)
    if path_id == "direct":
        return Msg(N_("the plain network"), cap=cap)
    return Msg(N_("the path '{path}'"), {"path": path_id}, cap=cap)


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


def _cert_name(c: OfferedCertificate | InterceptionRoot, *, explain: bool = True) -> Msg:
    known = c.known_as
    if known:
        return Msg(N_("'{name}' (a known state interception root)"), {"name": known}) if explain else quoted(known)
    return quoted(issuer_param(c.subject))


# ------------------------------------------------------------------------------------------ advice


@dataclass
class _Facts:
    """What the advice is made from, read once from the profile."""

    paths: tuple[Path, ...]
    by_id: dict[str, Path]
    hint: str
    """How to remove a root on the system whose store was checked (English; ``hint_msg`` in any language)."""
    hint_msg: Msg
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
        return self.path(pid).render("en")

    def path(self, pid: str, *, cap: bool = False) -> Msg:
        """The path in words, as a message."""
        p = self.by_id.get(pid)
        return path_msg(pid, p.detail if p is not None else None, cap=cap)

    def paths_param(self, pids: Sequence[str]) -> Listed:
        """Paths in words, as a list."""
        return words_list([self.path(p) for p in pids])

    def is_tunnel(self, pid: str) -> bool:
        p = self.by_id.get(pid)
        return path_kind(pid, p.kind if p is not None else None) in ("tor", "vpn")


@dataclass
class _Said:
    """The advice being written: case ids and sentences, in order."""

    cases: list[str] = field(default_factory=list)
    sentences: list[Msg | str] = field(default_factory=list)
    """Whole sentences: messages (translated when shown), or plain English text (shown as it is)."""
    covered_roots: set[str] = field(default_factory=set)
    """Trusted known roots (by hash or name) already named."""
    best_said: bool = False

    def add(self, case: str | None, *sentences: Msg | str) -> None:
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
        hint_msg=removal_msg(trust.source),
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
        offline = Msg(OFFLINE_TEXT)
        return Advice(offline.render(get_language()), (AdviceCase.OFFLINE,), (offline,))
    f = _facts(profile, ranked)
    out = _Said()
    for case in (_portal_offers_certificates, _interception, _trusted_known_roots, _where_interception_happens,
                 _dns_tampering, _captive_portal, _distrusted_roots, _blocking, _sni_filtering, _address_blocking,
                 _throttling,
                 _way_forward, _legacy_roots_seen):
        case(f, out)
    lang = get_language()
    text = " ".join(s.render(lang) if isinstance(s, Msg) else s for s in out.sentences)
    messages = tuple(s if isinstance(s, Msg) else Msg(s, raw=True) for s in out.sentences)
    return Advice(text, tuple(dict.fromkeys(out.cases)), messages)


# A way forward, per kind of path: whole sentences (an imperative is worded differently in each language).
BEST_ONLY = {
    "doh": N_("Interception was seen on {paths} only; {best} reached the real sites with HTTPS intact: turn on "
              "encrypted DNS (DNS over HTTPS) with {name} in your browser or system settings."),
    "tor": N_("Interception was seen on {paths} only; {best} reached the real sites with HTTPS intact: use it "
              "(Tor Browser)."),
    "other": N_("Interception was seen on {paths} only; {best} reached the real sites with HTTPS intact: use it."),
}
BEST = {
    "doh": N_("{best} reached the real sites with HTTPS intact: turn on encrypted DNS (DNS over HTTPS) with "
              "{name} in your browser or system settings."),
    "tor": N_("{best} reached the real sites with HTTPS intact: use it (Tor Browser)."),
    "other": N_("{best} reached the real sites with HTTPS intact: use it."),
}


def _use(pid: str) -> str:
    """Which way-forward sentence fits the path: ``doh``, ``tor`` or ``other``."""
    if pid.startswith("doh:"):
        return "doh"
    if pid.startswith("tor"):
        return "tor"
    return "other"


def _portal_offers_certificates(f: _Facts, out: _Said) -> None:
    """A page that offers certificates to install (Kazakhstan 2019, Tele2)."""
    if not f.offered:
        return
    several = len(f.offered) > 1
    names = words_list([_cert_name(c) for c in f.offered])
    plain_http = any(c.over == "http" for c in f.offered)
    if several and plain_http:
        text = N_("This network's web page offers certificates to install: {names}. Do not install them: a root "
                  "certificate lets whoever holds its key read and change everything you send over HTTPS, and "
                  "these files came over plain HTTP, which anyone on the path can swap.")
    elif several:
        text = N_("This network's web page offers certificates to install: {names}. Do not install them: a root "
                  "certificate lets whoever holds its key read and change everything you send over HTTPS.")
    elif plain_http:
        text = N_("This network's web page offers a certificate to install: {names}. Do not install it: a root "
                  "certificate lets whoever holds its key read and change everything you send over HTTPS, and "
                  "this file came over plain HTTP, which anyone on the path can swap.")
    else:
        text = N_("This network's web page offers a certificate to install: {names}. Do not install it: a root "
                  "certificate lets whoever holds its key read and change everything you send over HTTPS.")
    out.add(AdviceCase.PORTAL_OFFERS_CERTIFICATE, Msg(text, {"names": names}))
    in_store = [c for c in f.offered if c.in_device_store]
    if in_store:
        remove = (N_("This device already trusts {names}: remove them ({hint}).") if len(in_store) > 1
                  else N_("This device already trusts {names}: remove it ({hint})."))
        out.add(
            AdviceCase.KNOWN_ROOT_TRUSTED,
            Msg(remove, {"names": words_list([_cert_name(c, explain=False) for c in in_store]), "hint": f.hint_msg}),
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
        more = len(f.groups) - 2
        out.add(None, Msg(N_("{n} more interceptor was seen (see the full report)."),
                          plural=N_("{n} more interceptors were seen (see the full report)."), n=more))


def _interception_case(g: _Group) -> str:
    return AdviceCase.INTERCEPTION_KNOWN_ROOT if g.known_as else AdviceCase.INTERCEPTION_UNKNOWN_ISSUER


def _interception_in_tunnel(f: _Facts, g: _Group, out: _Said) -> None:
    """Seen only through a tunnel: the tunnel (or the network behind it) intercepts, not this network."""
    who: Param = g.known_as if g.known_as else issuer_param(g.issuer)
    out.add(
        _interception_case(g),
        Msg(N_("Through {paths}, HTTPS to {hosts} is intercepted with a certificate from '{issuer}': that tunnel, "
               "or the network behind it, can read your traffic. Do not rely on it."),
            {"paths": f.paths_param(g.paths), "hosts": hosts_param(g.hosts), "issuer": who}),
    )


def _interception_by_offered_root(f: _Facts, g: _Group, out: _Said) -> None:
    anchors = [c for c in f.offered if c.anchors_interception] or f.offered
    if len(f.offered) > 1:
        text = Msg(N_("The network already uses {names} to intercept HTTPS to {hosts}."),
                   {"names": words_list([_cert_name(c, explain=False) for c in anchors]),
                    "hosts": hosts_param(g.hosts)})
    else:
        text = Msg(N_("The network already uses it to intercept HTTPS to {hosts}."), {"hosts": hosts_param(g.hosts)})
    out.add(_interception_case(g), text)


def _interception_known_root(f: _Facts, g: _Group, trusted: bool, out: _Said) -> None:
    assert g.known_as is not None
    hosts = hosts_param(g.hosts)
    already = g.root_sha256 in out.covered_roots or g.known_as in out.covered_roots
    out.add(AdviceCase.INTERCEPTION_KNOWN_ROOT)
    if trusted and not already:
        out.add(
            AdviceCase.KNOWN_ROOT_TRUSTED,
            Msg(N_("Your network intercepts HTTPS to {hosts} with a certificate from '{name}', a known state "
                   "interception root that this device trusts. Remove it ({hint})."),
                {"hosts": hosts, "name": g.known_as, "hint": f.hint_msg}),
        )
    elif trusted:
        out.add(None, Msg(N_("Your network intercepts HTTPS to {hosts} with it."), {"hosts": hosts}))
    else:
        out.add(
            None,
            Msg(N_("Your network intercepts HTTPS to {hosts} with a certificate from '{name}', a known state "
                   "interception root; this device does not trust it, so browsers warn there: do not click past "
                   "the warning, and do not install that certificate."),
                {"hosts": hosts, "name": g.known_as}),
        )
    out.covered_roots.add(g.known_as)
    if g.root_sha256:
        out.covered_roots.add(g.root_sha256)


def _interception_unknown_issuer(f: _Facts, g: _Group, trusted: bool, *, first: bool, out: _Said) -> None:
    hosts, issuer = hosts_param(g.hosts), issuer_param(g.issuer)
    if not first:
        text = Msg(N_("HTTPS to {hosts} is also intercepted, by '{issuer}'."), {"hosts": hosts, "issuer": issuer})
    elif trusted:
        root = cn_of(g.root_subject) if g.root_subject else ""
        if root and root != cn_of(g.issuer):
            text = Msg(
                N_("HTTPS to {hosts} is intercepted with a certificate from '{issuer}' under the root '{root}', "
                   "which this device trusts but the public web does not: antivirus software, an employer or "
                   "the network may have installed it. If you did not choose it, remove '{root}' ({hint})."),
                {"hosts": hosts, "issuer": issuer, "root": root, "hint": f.hint_msg},
            )
        else:
            text = Msg(
                N_("HTTPS to {hosts} is intercepted with a certificate from '{issuer}', which this device trusts "
                   "but the public web does not: antivirus software, an employer or the network may have "
                   "installed it. If you did not choose it, remove it ({hint})."),
                {"hosts": hosts, "issuer": issuer, "hint": f.hint_msg},
            )
    else:
        text = Msg(
            N_("HTTPS to {hosts} is intercepted: the certificate comes from '{issuer}', not from the sites' real "
               "certificate authorities (a network, a company proxy or antivirus software can do this). Do not "
               "click past browser warnings."),
            {"hosts": hosts, "issuer": issuer},
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
    names = words_list([quoted(n) for n in sorted({t.known_as or cn_of(t.subject) for t in left})])
    several = len({t.known_as for t in left}) > 1
    if several and f.groups:
        text = N_("This device trusts {names}, known state interception roots: whoever holds their keys can "
                  "read your HTTPS. Remove them ({hint}).")
    elif several:
        text = N_("This device trusts {names}, known state interception roots, though they were not seen "
                  "intercepting here: whoever holds their keys can read your HTTPS. Remove them ({hint}).")
    elif f.groups:
        text = N_("This device trusts {names}, a known state interception root: whoever holds its key can read "
                  "your HTTPS. Remove it ({hint}).")
    else:
        text = N_("This device trusts {names}, a known state interception root, though it was not seen "
                  "intercepting here: whoever holds its key can read your HTTPS. Remove it ({hint}).")
    out.add(AdviceCase.KNOWN_ROOT_TRUSTED, Msg(text, {"names": names, "hint": f.hint_msg}))


def _where_interception_happens(f: _Facts, out: _Said) -> None:
    """On some paths only (then the way forward), or on every path, tunnels included (this device)."""
    dns_paths = {p for g in f.dns_groups for p in g.paths}
    intercepted = sorted(
        {p for g in f.groups for p in g.paths}
        | {p.id for p in f.paths if p.tls == TlsVerdict.INTERCEPTED and (f.groups or p.id not in dns_paths)}
    )
    intact = [p.id for p in f.paths if p.tls == TlsVerdict.INTACT]
    if intercepted and intact:
        where = f.paths_param(intercepted)
        if f.best:
            out.add(AdviceCase.INTERCEPTION_SOME_PATHS,
                    Msg(BEST_ONLY[_use(f.best)], {"paths": where, "best": f.path(f.best), "name": f.best[4:]}
                        if _use(f.best) == "doh" else {"paths": where, "best": f.path(f.best)}))
            out.best_said = True
        else:
            out.add(AdviceCase.INTERCEPTION_SOME_PATHS,
                    Msg(N_("Interception was seen on {paths} only."), {"paths": where}))
    elif intercepted:
        tunnels = [p for p in intercepted if f.is_tunnel(p)]
        if tunnels:
            out.add(
                AdviceCase.INTERCEPTION_ALL_PATHS,
                Msg(N_("It was seen on every path tested, {tunnels} included, so it probably happens on this device "
                       "itself (security or company software), not on the network."),
                    {"tunnels": f.paths_param(tunnels)}),
            )


def _dns_tampering(f: _Facts, out: _Said) -> None:
    if not f.dns_hosts:
        return
    text = (N_("This network's DNS also gives false answers for {hosts}.") if f.groups or f.offered
            else N_("This network's DNS gives false answers for {hosts}."))
    out.add(AdviceCase.DNS_TAMPERING, Msg(text, {"hosts": hosts_param(f.dns_hosts)}))
    if f.dns_groups:
        redirected = sorted({h for g in f.dns_groups for h in g.hosts})
        out.add(
            None,
            Msg(N_("For {hosts} it sends the browser to another server whose certificate is not valid for those "
                   "names (a block page or an impostor): do not click past the warning."),
                {"hosts": hosts_param(redirected)}),
        )


def _captive_portal(f: _Facts, out: _Said) -> None:
    """A captive portal without certificates: log in first; never call it censorship."""
    if f.captive:
        out.add(
            AdviceCase.CAPTIVE_PORTAL,
            Msg(N_("This network first shows a login page (a captive portal): log in or accept its terms, then run "
                   "the check again. Until then, failures say nothing about censorship.")),
        )


DISTRUSTED = {
    (False, False): N_(
        "HTTPS to {hosts} could not be verified: its certificates come from {roots}, which Mozilla no longer "
        "trusts (removed for cause, or distrusted for certificates issued after a set date). This device still "
        "trusts it; that is not a sign of interception by the network, but an up-to-date system has dropped it: "
        "update this system, or remove it ({hint})."),
    (True, False): N_(
        "HTTPS to {hosts} could not be verified: their certificates come from {roots}, which Mozilla no longer "
        "trusts (removed for cause, or distrusted for certificates issued after a set date). This device still "
        "trusts it; that is not a sign of interception by the network, but an up-to-date system has dropped it: "
        "update this system, or remove it ({hint})."),
    (False, True): N_(
        "HTTPS to {hosts} could not be verified: its certificates come from {roots}, which Mozilla no longer "
        "trusts (removed for cause, or distrusted for certificates issued after a set date). This device still "
        "trusts them; that is not a sign of interception by the network, but an up-to-date system has dropped "
        "them: update this system, or remove them ({hint})."),
    (True, True): N_(
        "HTTPS to {hosts} could not be verified: their certificates come from {roots}, which Mozilla no longer "
        "trusts (removed for cause, or distrusted for certificates issued after a set date). This device still "
        "trusts them; that is not a sign of interception by the network, but an up-to-date system has dropped "
        "them: update this system, or remove them ({hint})."),
}
"""The distrusted-root sentence by (several sites, several roots)."""


def _distrusted_roots(f: _Facts, out: _Said) -> None:
    """Sites whose chain anchors at a root removed for cause: not interception, not verified either."""
    seen = _legacy_roots(f.paths, Signal.DISTRUSTED_ROOT)
    if seen is None:
        return
    roots, bad_hosts, several = seen
    out.add(
        AdviceCase.DISTRUSTED_ROOT,
        Msg(DISTRUSTED[(len(bad_hosts) > 1, several)],
            {"hosts": hosts_param(bad_hosts), "roots": roots, "hint": f.hint_msg}),
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
    several = len(blocked_paths) > 1
    if blocked_sites and blocked_paths:
        text = (N_("The plain network does not reach {hosts}; {paths} are blocked.") if several
                else N_("The plain network does not reach {hosts}; {paths} is blocked."))
    elif blocked_sites:
        text = N_("The plain network does not reach {hosts}.")
    elif blocked_paths:
        text = N_("{paths} are blocked.") if several else N_("{paths} is blocked.")
    else:
        return
    params: dict[str, Param] = {}
    if blocked_sites:
        params["hosts"] = hosts_param(blocked_sites)
    if blocked_paths:
        params["paths"] = f.paths_param(blocked_paths)
    out.add(AdviceCase.BLOCKING, Msg(text, params, cap=True))  # the sentence starts with a capital letter


# --- blocking diagnosis (issue 17): how the network blocks, and what gets through ---

SNI_FILTER_TEXT = {
    BlockAction.TIMEOUT: N_("This network filters by server name (a silent drop after the TLS hello) for {sites}; "
                            "a tunnel (a VPN or Tor) avoids it."),
    BlockAction.RESET: N_("This network filters by server name (a TCP reset after the TLS hello) for {sites}; a "
                          "tunnel (a VPN or Tor) avoids it."),
    BlockAction.OTHER: N_("This network filters by server name (the connection fails after the TLS hello) for "
                          "{sites}; a tunnel (a VPN or Tor) avoids it."),
}
SPLIT_INTACT_TEXT = N_("Tools that split the TLS hello (GoodbyeDPI, byedpi, zapret, Outline's smart dialer "
                       "tlsfrag) reached {sites} with HTTPS intact here.")
SPLIT_NOT_INTACT_TEXT = N_("Splitting the TLS hello reached {sites}, but not with HTTPS intact: do not rely on it "
                           "there.")
SPLIT_FAILED_TEXT = N_("Splitting the TLS hello did not help for {sites}: this network's filter reads the whole "
                       "hello, so tools such as GoodbyeDPI or zapret will not get through.")
ADDRESS_TEXT = N_("The address of {sites} is blocked, whatever the name: tools that split the TLS hello cannot "
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
            out.add(AdviceCase.SNI_FILTERING, Msg(SNI_FILTER_TEXT[action], {"sites": hosts_param(_hosts_of(group))}))

    def reached(t: Target, intact: bool) -> bool:
        return t.blocking is not None and any(
            e.outcome == EvasionOutcome.REACHED and (e.tls == TlsVerdict.INTACT) == intact for e in t.blocking.evasion)

    tried = [t for t in sni if t.blocking is not None and t.blocking.evasion]
    intact = [t for t in tried if reached(t, True)]
    not_intact = [t for t in tried if not reached(t, True) and reached(t, False)]
    failed = [t for t in tried if t not in intact and t not in not_intact]
    if intact:
        out.add(None, Msg(SPLIT_INTACT_TEXT, {"sites": hosts_param(_hosts_of(intact))}))
    if not_intact:
        out.add(None, Msg(SPLIT_NOT_INTACT_TEXT, {"sites": hosts_param(_hosts_of(not_intact))}))
    if failed:
        out.add(None, Msg(SPLIT_FAILED_TEXT, {"sites": hosts_param(_hosts_of(failed))}))


def _address_blocking(f: _Facts, out: _Said) -> None:
    """Sites whose address is blocked whatever the server name."""
    hosts = _hosts_of(t for t in _diagnosed(f) if t.blocking is not None and t.blocking.trigger == BlockTrigger.ADDRESS)
    if hosts:
        out.add(AdviceCase.ADDRESS_BLOCKING, Msg(ADDRESS_TEXT, {"sites": hosts_param(hosts)}))
# ---- throttling (issue 17) -------------------------------------------------------------------------
# Whole sentences with named placeholders: {site}/{sites} the hosts, {kbps} the highest goodput seen
# among them on the throttled paths, {slow} those paths, {fast} the paths that reached the same sites
# without throttling.
THROTTLED_ONE = N_("{site} is throttled to about {kbps} kbit/s on {slow} but not through {fast}.")
THROTTLED_MANY = N_("{sites} are throttled to about {kbps} kbit/s on {slow} but not through {fast}.")
THROTTLED_ONE_EVERYWHERE = N_("{site} is throttled to about {kbps} kbit/s on {slow}, where other sites came "
                              "at least ten times faster; no path tested avoided it.")
THROTTLED_MANY_EVERYWHERE = N_("{sites} are throttled to about {kbps} kbit/s on {slow}, where other sites came "
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
    sentences: list[Msg | str] = []
    for (slow_paths, fast_paths), hosts in sorted(groups.items(), key=lambda kv: (kv[0], sorted(kv[1]))):
        kbps = max(slow[h][p] for h in hosts for p in slow_paths)
        many = len(hosts) > 1
        values: dict[str, Param] = {
            "sites" if many else "site": hosts_param(hosts),
            "kbps": f"{kbps:.0f}",
            "slow": f.paths_param(slow_paths),
        }
        if fast_paths:
            template = THROTTLED_MANY if many else THROTTLED_ONE
            values["fast"] = f.paths_param(fast_paths)
        else:
            template = THROTTLED_MANY_EVERYWHERE if many else THROTTLED_ONE_EVERYWHERE
        sentences.append(Msg(template, values))  # starts with a host name: never capitalised
    out.add(AdviceCase.THROTTLING, *sentences)


# ---- end of throttling ----------------------------------------------------------------------------


def _way_forward(f: _Facts, out: _Said) -> None:
    """The path to use (or that nothing clean was seen), or what to try when nothing works."""
    if f.best and not out.best_said:
        if not [c for c in out.cases if c not in INFORMATIONAL]:
            if f.best == "direct":
                text = Msg(N_("No interception or blocking was seen: the plain network kept HTTPS intact."))
            else:
                text = Msg(N_("No interception or blocking was seen; {best} kept HTTPS intact and is the most "
                              "private choice."), {"best": f.path(f.best)})
            out.add(AdviceCase.CLEAN, text)
        else:
            use = _use(f.best)
            params: dict[str, Param] = {"best": f.path(f.best)}
            if use == "doh":
                params["name"] = f.best[4:]
            out.add(None, Msg(BEST[use], params, cap=True))  # the sentence starts with a capital letter
    elif not f.best and not f.captive:
        everywhere = AdviceCase.INTERCEPTION_ALL_PATHS in out.cases
        if everywhere and any(Signal.DEVICE_TRUSTED_NOT_PUBLIC in g.signals for g in f.groups):
            out.add(AdviceCase.NOTHING_WORKS,
                    Msg(N_("Until that certificate is gone, no path keeps HTTPS intact on this device.")))
        elif everywhere:
            out.add(AdviceCase.NOTHING_WORKS,
                    Msg(N_("No path tested kept HTTPS intact: do not click past certificate warnings.")))
        else:
            out.add(AdviceCase.NOTHING_WORKS, *_nothing_works(f.paths))


def _legacy_roots_seen(f: _Facts, out: _Said) -> None:
    """Sites on an old public root: a fact worth knowing, never interception and never "remove it"."""
    seen = _legacy_roots(f.paths, Signal.LEGACY_PUBLIC_ROOT)
    if seen is None:
        return
    roots, old_hosts, several = seen
    text = (
        N_("The certificates of {hosts} come from {roots}: old public roots that Mozilla has retired and this "
           "device still trusts. That is normal and not a sign of interception, though some browsers may warn "
           "there.") if several else
        N_("The certificates of {hosts} come from {roots}: an old public root that Mozilla has retired and this "
           "device still trusts. That is normal and not a sign of interception, though some browsers may warn "
           "there.")
    )
    out.add(AdviceCase.LEGACY_PUBLIC_ROOT, Msg(text, {"hosts": hosts_param(old_hosts), "roots": roots}))


def _legacy_roots(paths: Sequence[Path], signal: str) -> tuple[Listed, set[str], bool] | None:
    """The formerly public roots (named, as a list) of the targets that carry ``signal``, their hosts,
    and whether there are several roots; ``None`` when no target carries it."""
    by_root: dict[str, set[str]] = {}
    for p in paths:
        for t in p.targets:
            if signal not in t.signals:
                continue
            subject = t.legacy_root.subject if t.legacy_root is not None else None
            by_root.setdefault(subject or "", set()).add(host_of(t.target))
    if not by_root:
        return None
    hosts = {h for hs in by_root.values() for h in hs}
    names = [quoted(cn_of(r) if r else Msg(N_("an old root"))) for r in sorted(by_root, key=lambda r: r or "an old root")]
    return words_list(names), hosts, len(by_root) > 1


TRY = {
    (True, True): N_(
        "Try other Tor bridges (bridges.torproject.org, or email bridges@torproject.org) or another transport "
        "(snowflake, meek, webtunnel), or a VPN on another port or protocol, and test them with "
        "`pathprobe check --bridge '...'` or a plan that lists them."),
    (True, False): N_(
        "Try other Tor bridges (bridges.torproject.org, or email bridges@torproject.org) or another transport "
        "(snowflake, meek, webtunnel), or a VPN you trust, and test them with `pathprobe check --bridge '...'` "
        "or a plan that lists them."),
    (False, True): N_(
        "Try Tor with bridges (bridges.torproject.org), or a VPN on another port or protocol, and test them with "
        "`pathprobe check --bridge '...'` or a plan that lists them."),
    (False, False): N_(
        "Try Tor with bridges (bridges.torproject.org), or a VPN you trust, and test them with "
        "`pathprobe check --bridge '...'` or a plan that lists them."),
}
"""What to try when nothing works, by (Tor was tested, a VPN was tested)."""


# ---- why a path is unknown or blocked (its ``reason``), told in any language ----------------------------
REASONS: tuple[tuple[str, Callable[..., Msg]], ...] = (
    (r"none of the (?P<n>\d+) bridges answered",
     lambda n, **p: Msg(N_("none of the {n} bridge answered"), p, plural=N_("none of the {n} bridges answered"), n=int(n))),
    (r"none of the (?P<n>\d+) directory authorities answered a handshake",
     lambda n, **p: Msg(N_("none of the {n} directory authority answered a handshake"), p, plural=N_("none of the {n} directory authorities answered a handshake"), n=int(n))),
    (r"none of the (?P<n>\d+) bridges answered \((?P<failures>[^()]*)\); tor was not started",
     lambda n, **p: Msg(N_("none of the {n} bridge answered ({failures}); tor was not started"), p, plural=N_("none of the {n} bridges answered ({failures}); tor was not started"), n=int(n))),
    (r"none of the (?P<n>\d+) directory authorities answered \((?P<failures>[^()]*)\); tor was not started",
     lambda n, **p: Msg(N_("none of the {n} directory authority answered ({failures}); tor was not started"), p, plural=N_("none of the {n} directory authorities answered ({failures}); tor was not started"), n=int(n))),
    (r"the DoH resolver could not be reached \((?P<failure>[^()]*)\)",
     lambda **p: Msg(N_("the DoH resolver could not be reached ({failure})"), p)),
    (r"the (?P<protocol>[\w-]+) server itself could not be reached \((?P<failure>[^()]*)\)",
     lambda **p: Msg(N_("the {protocol} server itself could not be reached ({failure})"), p)),
    (r"the handshake with the endpoint failed \((?P<failure>[^()]*)\)",
     lambda **p: Msg(N_("the handshake with the endpoint failed ({failure})"), p)),
    (r"the tor program was not found \(install tor\)", lambda **p: Msg(N_("the tor program was not found (install tor)"), p)),
    (r"no answer to the OpenVPN handshake", lambda **p: Msg(N_("no answer to the OpenVPN handshake"), p)),
    (r"tor bootstrapped but reported no SOCKS port", lambda **p: Msg(N_("tor bootstrapped but reported no SOCKS port"), p)),
    (r"tor bootstrapped, but there are no sites to check through it",
     lambda **p: Msg(N_("tor bootstrapped, but there are no sites to check through it"), p)),
    (r"no sites to check through the tunnel: give 'sites' or a direct probe",
     lambda **p: Msg(N_("no sites to check through the tunnel: give 'sites' or a direct probe"), p)),
    (r"no sites to resolve: give the doh probe 'sites', or add a direct probe to the plan",
     lambda **p: Msg(N_("no sites to resolve: give the doh probe 'sites', or add a direct probe to the plan"), p)),
    (r"not measured: the probe's time budget ran out \((?P<seconds>\d+) s\)",
     lambda **p: Msg(N_("not measured: the probe's time budget ran out ({seconds} s)"), p)),
    (r"the probe did not finish within its time budget \((?P<seconds>\d+) s\)",
     lambda **p: Msg(N_("the probe did not finish within its time budget ({seconds} s)"), p)),
    (r"No answer over UDP\. An OpenVPN server with tls-auth or tls-crypt stays silent to anyone without its key, "
     r"so silence does not show that the endpoint is blocked; a filtered port looks the same and nothing measured "
     r"here tells them apart\.",
     lambda **p: Msg(N_("No answer over UDP. An OpenVPN server with tls-auth or tls-crypt stays silent to anyone without its key, "
        "so silence does not show that the endpoint is blocked; a filtered port looks the same and nothing "
        "measured here tells them apart."), p)),
    (r"No answer to a valid handshake initiation\. Either the port is filtered on the way, or the server does not "
     r"know this device's key \(WireGuard drops initiations from unknown peers in silence\); nothing measured here "
     r"tells them apart\.",
     lambda **p: Msg(N_("No answer to a valid handshake initiation. Either the port is filtered on the way, or the server does not "
        "know this device's key (WireGuard drops initiations from unknown peers in silence); nothing measured "
        "here tells them apart."), p)),
    (r"The endpoint refused the connection: nothing listens there, or something on the way rejects it\.",
     lambda **p: Msg(N_("The endpoint refused the connection: nothing listens there, or something on the way rejects it."), p)),
)
"""The reasons the probes write (English, stored in profiles), as patterns with the message that tells
each in another language: named groups are the parameters (``n`` a count for the plural)."""
_REASONS = tuple((re.compile(pattern), tell) for pattern, tell in REASONS)




def reason_msg(reason: str) -> Param:
    """A path's ``reason`` (the probes write it in English) as a message when :data:`REASONS` knows it (then
    it can be told in any language), else the text as it is."""
    for pattern, tell in _REASONS:
        m = pattern.fullmatch(reason.strip())
        if m is not None:
            return tell(**m.groupdict())
    return reason


def _nothing_works(paths: Sequence[Path]) -> tuple[Msg, Msg]:
    tested = [p for p in paths if p.reachability != Reachability.UNKNOWN]
    if not tested:
        reasons = [p.reason for p in paths if p.reason]
        head = (Msg(N_("No path could be tested here: {reason}."), {"reason": reason_msg(reasons[0])}) if reasons
                else Msg(N_("No path could be tested here.")))
    elif any(p.tls == TlsVerdict.INTACT for p in tested):
        # A partial path kept HTTPS intact where it got through: it just does not reach every site.
        head = Msg(N_("No path tested reached every site with HTTPS intact here."))
    else:
        head = Msg(N_("No path tested kept HTTPS intact here."))
    kinds = {path_kind(p.id, p.kind) for p in paths}
    return head, Msg(TRY[("tor" in kinds, "vpn" in kinds)])


def advice(profile: Profile, ranked: list[str]) -> str:
    """The advice text alone (kept for callers of the first version)."""
    return advise(profile, ranked).text
