"""The summary format (``schema: "pathprobe.summary/1"``): vocabularies and one strict validator.

A summary is built only from vetted fields (see :mod:`pathprobe.summary.anonymise`); this module says
what "vetted" means. Every string in a valid summary is either from a fixed vocabulary defined here,
a host of the shipped catalogue (``data/canary_sites.tsv``), a hex hash, a date, or a certificate
name cleaned by :func:`clean_dn`. The collector runs the same :func:`validate_summary` on what it
receives, so a hand-made or tampered summary cannot smuggle free text into the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from importlib import resources
from typing import Any

from pathprobe.addresses import has_address
from pathprobe.errors import SummaryError
from pathprobe.i18n import _
from pathprobe.vocab import (
    BlockAction,
    BlockStage,
    BlockTrigger,
    Connectivity,
    Evasion,
    Failure,
    Reachability,
    Signal,
    TlsVerdict,
)

SCHEMA = "pathprobe.summary/1"

KINDS = ("direct", "doh", "tor", "vpn", "other")
TOR_TRANSPORTS = ("vanilla", "obfs4", "snowflake", "meek", "webtunnel")
VPN_PROTOCOLS = ("openvpn", "wireguard", "shadowsocks", "socks5", "http")
DOH_PROVIDERS = ("cloudflare", "google", "quad9", "adguard", "mullvad", "nextdns", "opendns", "cleanbrowsing")
"""Well-known public resolvers (the shipped plan's names and a few more). Any other name becomes ``doh``."""
SUBKINDS = {"tor": TOR_TRANSPORTS, "vpn": VPN_PROTOCOLS, "doh": DOH_PROVIDERS}
REACHABILITY = (Reachability.REACHABLE, Reachability.PARTIAL, Reachability.BLOCKED, Reachability.UNKNOWN)
"""In this order the collector's columns count them."""
TLS = (TlsVerdict.INTACT, TlsVerdict.INTERCEPTED, TlsVerdict.UNVERIFIED)
"""In this order the collector's columns count them."""
CONNECTIVITY = (Connectivity.ONLINE, Connectivity.PORTAL, Connectivity.OFFLINE)
SIGNALS = (
    Signal.DEVICE_TRUSTED_NOT_PUBLIC,
    Signal.KNOWN_INTERCEPTION_ROOT,
    Signal.UNTRUSTED_CHAIN,
    Signal.CROSS_PATH_MISMATCH,
    Signal.MISSING_SCT,
    Signal.DNS_TAMPERING,
    Signal.PORTAL_OFFERED_ROOT,
    Signal.LEGACY_PUBLIC_ROOT,
    Signal.DISTRUSTED_ROOT,
)
"""A summary's signals, in this order."""
FAILURES = (
    Failure.GENERIC_TIMEOUT_ERROR,
    Failure.CONNECTION_REFUSED,
    Failure.CONNECTION_RESET,
    Failure.EOF_ERROR,
    Failure.DNS_NXDOMAIN_ERROR,
    Failure.DNS_NO_ANSWER,
    Failure.DNS_SERVER_FAILURE,
    Failure.SSL_UNKNOWN_AUTHORITY,
    Failure.SSL_INVALID_HOSTNAME,
    Failure.SSL_INVALID_CERTIFICATE,
    Failure.SSL_FAILED_HANDSHAKE,
    Failure.SSL_CHAIN_TOO_LARGE,
    Failure.HOST_UNREACHABLE,
    Failure.NETWORK_UNREACHABLE,
    Failure.INTERNAL_ERROR,
)
"""The failures a summary keeps as they are: OONI's vocabulary (no fallback strings, no protocol-specific
words)."""
OTHER_FAILURE = "other"
"""Any failure string outside ``FAILURES`` (fallback strings may carry addresses)."""

MAX_PATHS = 64
MAX_SITES = 400
MAX_FINDINGS = 200
MAX_CERTS = 16
MAX_COUNT = 100_000
MAX_DN = 96
MAX_LATENCY_MS = 600_000

_HEX64 = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(r"[0-9a-f]{32}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_VERSION = re.compile(r"\d{1,4}\.\d{1,4}\.\d{1,4}(?:(?:a|b|rc|\.dev|\.post)\d{1,4})?")
_CC = re.compile(r"[A-Z]{2}")


# ---- vocabularies from shipped data ---------------------------------------------------------------


@functools.cache
def catalogue() -> frozenset[str]:
    """Hosts of the shipped canary catalogue (the only hosts a summary may name)."""
    text = (resources.files("pathprobe") / "data" / "canary_sites.tsv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    rows = csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t")
    return frozenset(r["domain"].strip().lower() for r in rows if (r.get("domain") or "").strip())


@functools.cache
def known_labels() -> frozenset[str]:
    """``known_as`` labels of the shipped interception-root list."""
    from pathprobe.trust import known_roots

    return frozenset(e.label for e in known_roots().entries)


def path_id(kind: str, sub: str | None, n: int) -> str:
    """A summary's path id: ``kind`` or ``kind:sub``, plus ``#n`` for the ``n``-th path with that id (``n``
    counts from 1; the first has no suffix).
    """
    base = f"{kind}:{sub}" if sub else kind
    return base if n == 1 else f"{base}#{n}"


def base_path(pid: str) -> str:
    """``vpn:openvpn#2`` -> ``vpn:openvpn`` (aggregates count paths of one kind and transport together)."""
    return pid.partition("#")[0]


_PATH_ID = re.compile(r"(?P<kind>[a-z]+)(?::(?P<sub>[a-z0-9]+))?(?:#(?P<n>[2-9]|[1-5][0-9]|6[0-4]))?")


def valid_path_id(pid: str) -> bool:
    """Whether ``pid`` is a path id a summary may carry: a kind from :data:`KINDS`, a ``:sub`` only from that
    kind's vocabulary (:data:`SUBKINDS`), and an optional ``#2`` to ``#64``.
    """
    m = _PATH_ID.fullmatch(pid)
    if not m or m["kind"] not in KINDS:
        return False
    sub = m["sub"]
    return sub is None or sub in SUBKINDS.get(m["kind"], ())


# ---- certificate names ------------------------------------------------------------------------------

_DN_KEEP = ("CN", "O", "OU", "C")
_SCRUB = re.compile(
    r"\d{1,3}(?:[.\-_]\d{1,3}){3}"  # IPv4, also 10-1-2-3 style
    r"|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,}"  # IPv6
    r"|[^\s@]+@[^\s@]+"  # e-mail addresses
    r"|[a-z][a-z0-9+.\-]*://"  # URLs (ss://, https://)
    r"|[A-Za-z0-9+/=_\-]{20,}"  # keys, certs, fingerprints, long tokens
    r"|[^\W_]\.[^\W_]"  # host names (proxy.hotel.kz): not in the catalogue
    r"|\d{5,}",  # long numbers (phone, room, account)
    re.IGNORECASE,
)
_DN_CHARS = re.compile(r"(?:[^\W_]|[ .,&()'\-])*")


def _split_dn(dn: str) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    for raw in re.split(r"(?<!\\),", dn):
        key, sep, value = raw.partition("=")
        if not sep:
            return []
        parts.append((key.strip().upper(), value.replace("\\", "").strip()))
    return parts


_WORDS = re.compile(r"[^\W_]+")


def words(text: str) -> frozenset[str]:
    """The words of ``text``, case-folded: each run of letters and digits (any script), of any length.
    ``"Café 5, B&B"`` has the words ``café``, ``5``, ``b`` (twice)."""
    return frozenset(w.casefold() for w in _WORDS.findall(text))


@functools.lru_cache(maxsize=8)
def _lowered(private: frozenset[str]) -> frozenset[str]:
    """``private`` lowercased, without what is too short to count (computed once per profile, not once
    per certificate name: a profile with tens of thousands of hosts made summaries quadratic)."""
    return frozenset(p.lower() for p in private if len(p) >= 4)


def _contains_any(low: str, lowered: frozenset[str]) -> bool:
    """Whether any of ``lowered`` occurs in ``low``: each substring of ``low`` (at most 64 characters)
    looked up in the set, so the cost does not grow with the number of private strings."""
    if len(lowered) <= 64:
        return any(p in low for p in lowered)
    n = len(low)
    return any(low[i:j] in lowered for i in range(n) for j in range(i + 4, n + 1))


def clean_dn(dn: Any, private: frozenset[str] = frozenset(), label: frozenset[str] = frozenset()) -> str | None:
    """Keep CN, O, OU and C of a certificate name; drop any value that could identify a person or place.

    A value is dropped (not edited) when it contains an address (in any form
    :func:`pathprobe.addresses.has_address` knows: hex, decimal, percent-encoded, IPv6, MAC), host name,
    e-mail, URL, long token or number, a character outside a plain set, any of ``private`` (the
    profile's own free text of 4 or more characters: label, names, hosts), or any word of ``label``
    (:func:`words` of the label: every word, one letter long included). What is left is capped at
    MAX_DN characters; None when nothing is left.
    """
    if not isinstance(dn, str) or len(dn) > 4096:
        return None
    kept: list[str] = []
    lowered = _lowered(private)
    for key, value in _split_dn(dn):
        if key not in _DN_KEEP or not value or len(value) > 64:
            continue
        if key == "C" and not _CC.fullmatch(value):
            continue
        if not _DN_CHARS.fullmatch(value) or _SCRUB.search(value) or has_address(value):
            continue
        if label and not label.isdisjoint(words(value)):
            continue
        if _contains_any(value.lower(), lowered):
            continue
        kept.append(f"{key}={value}")
    out = ",".join(kept)
    while len(out) > MAX_DN and kept:
        kept.pop()
        out = ",".join(kept)
    return out or None


# ---- validation -------------------------------------------------------------------------------------


def _obj(v: Any, where: str, keys: set[str], optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise SummaryError(_("{field}: must be an object", field=where))
    missing = sorted(keys - set(v))
    if missing:
        raise SummaryError(_("{field}: missing key '{key}'", field=where, key=missing[0]))
    extra = sorted(set(v) - keys - optional)
    if extra:
        raise SummaryError(_("{field}: unknown key '{key}'", field=where, key=extra[0][:40]))
    return v


def _list(v: Any, where: str, cap: int) -> list[Any]:
    if not isinstance(v, list):
        raise SummaryError(_("{field}: must be a list", field=where))
    if len(v) > cap:
        raise SummaryError(_("{field}: at most {n} entries", field=where, n=cap))
    return v


def _enum(v: Any, where: str, allowed: tuple[str, ...], nullable: bool = False) -> None:
    if v is None and nullable:
        return
    if not isinstance(v, str) or v not in allowed:
        choices = ", ".join(allowed)
        raise SummaryError(_("{field}: must be one of {choices} or null", field=where, choices=choices) if nullable
                           else _("{field}: must be one of {choices}", field=where, choices=choices))


def _count(v: Any, where: str) -> None:
    if type(v) is not int or not 0 <= v <= MAX_COUNT:
        raise SummaryError(_("{field}: must be an integer from 0 to {max}", field=where, max=MAX_COUNT))


def _hex64(v: Any, where: str, nullable: bool) -> None:
    if v is None and nullable:
        return
    if not isinstance(v, str) or not _HEX64.fullmatch(v):
        raise SummaryError(_("{field}: must be a lowercase hex SHA-256 or null", field=where) if nullable
                           else _("{field}: must be a lowercase hex SHA-256", field=where))


def _dn(v: Any, where: str) -> None:
    if v is None:
        return
    if not isinstance(v, str) or clean_dn(v) != v:
        raise SummaryError(_("{field}: must be a cleaned certificate name (CN/O/OU/C, no addresses) or null", field=where))


def _known(v: Any, where: str) -> None:
    if v is not None and (not isinstance(v, str) or v not in known_labels()):  # a list or object is unhashable
        raise SummaryError(_("{field}: must be a label of the shipped known-roots list or null", field=where))


def _hosts(v: Any, where: str) -> list[str]:
    hosts = _list(v, where, MAX_SITES)
    cat = catalogue()
    for i, h in enumerate(hosts):
        if not isinstance(h, str) or h not in cat:
            raise SummaryError(_("{field}: must be a host of the shipped catalogue", field=f"{where}[{i}]"))
    if len(set(hosts)) != len(hosts):
        raise SummaryError(_("{field}: hosts must not repeat", field=where))
    return hosts


def _signals(v: Any, where: str) -> None:
    for i, s in enumerate(_list(v, where, len(SIGNALS))):
        _enum(s, f"{where}[{i}]", SIGNALS)


# --- blocking diagnosis (issue 17) ---

SITE_OPTIONAL = frozenset({"blocking"}) | {Signal.THROTTLED.value}
"""Keys a site of a summary may carry (absent when there is nothing to say): ``blocking`` on a site
that was not reached, ``throttled: true`` on one that carries the ``throttled`` signal."""


def _blocking(v: Any, where: str) -> None:
    """A site's ``blocking``: ``stage``, ``action``, ``trigger`` (words or null) and ``evasion_reached``
    (the strategies that reached it with HTTPS intact); no names, no addresses."""
    _obj(v, where, {"stage", "action", "trigger", "evasion_reached"})
    _enum(v["stage"], f"{where}.stage", tuple(BlockStage), nullable=True)
    _enum(v["action"], f"{where}.action", tuple(BlockAction), nullable=True)
    _enum(v["trigger"], f"{where}.trigger", tuple(BlockTrigger), nullable=True)
    got = _list(v["evasion_reached"], f"{where}.evasion_reached", len(Evasion))
    for i, e in enumerate(got):
        _enum(e, f"{where}.evasion_reached[{i}]", tuple(Evasion))
    if len(set(got)) != len(got):
        raise SummaryError(_("{field}: strategies must not repeat", field=f"{where}.evasion_reached"))


def _path(p: Any, where: str) -> str:
    _obj(p, where, {"id", "kind", "reachability", "tls", "latency_ms", "sites", "other_sites"})
    pid = p["id"]
    if not isinstance(pid, str) or not valid_path_id(pid):
        raise SummaryError(
            _("{field}: must be a path id from the fixed vocabulary (e.g. tor:obfs4, vpn, doh#2)", field=f"{where}.id")
        )
    _enum(p["kind"], f"{where}.kind", KINDS)
    if pid.partition(":")[0].partition("#")[0] != p["kind"]:
        raise SummaryError(_("{field}: does not match the id '{id}'", field=f"{where}.kind", id=pid))
    _enum(p["reachability"], f"{where}.reachability", REACHABILITY)
    _enum(p["tls"], f"{where}.tls", TLS)
    lat = p["latency_ms"]
    if lat is not None and (type(lat) is not int or not 0 <= lat <= MAX_LATENCY_MS):
        raise SummaryError(_("{field}: must be an integer number of milliseconds or null", field=f"{where}.latency_ms"))
    seen: set[str] = set()
    for j, s in enumerate(_list(p["sites"], f"{where}.sites", MAX_SITES)):
        w = f"{where}.sites[{j}]"
        _obj(s, w, {"host", "reachability", "tls", "failure", "signals"}, optional=SITE_OPTIONAL)
        if "blocking" in s:
            _blocking(s["blocking"], f"{w}.blocking")
        if Signal.THROTTLED in s and not isinstance(s[Signal.THROTTLED], bool):  # 1 == True, yet not a boolean
            raise SummaryError(_("{field}: must be true or false (or absent)", field=f"{w}.throttled"))
        if not isinstance(s["host"], str) or s["host"] not in catalogue():
            raise SummaryError(_("{field}: must be a host of the shipped catalogue", field=f"{w}.host"))
        if s["host"] in seen:
            raise SummaryError(_("{field}: '{value}' is listed twice", field=f"{w}.host", value=s["host"]))
        seen.add(s["host"])
        _enum(s["reachability"], f"{w}.reachability", REACHABILITY)
        _enum(s["tls"], f"{w}.tls", TLS)
        _enum(s["failure"], f"{w}.failure", (*FAILURES, OTHER_FAILURE), nullable=True)
        _signals(s["signals"], f"{w}.signals")
    _count(p["other_sites"], f"{where}.other_sites")
    return pid


def validate_summary(data: Any, source: str = "summary") -> dict[str, Any]:
    """Check every field of a summary; raise :class:`SummaryError` naming the first problem."""
    try:
        return _validate(data)
    except SummaryError as exc:
        raise SummaryError(_("{source}: not a pathprobe summary: {reason}", source=source, reason=exc)) from None


def _validate(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SummaryError(_("the top level must be a JSON object"))
    if data.get("schema") != SCHEMA:
        found = data.get("schema")
        shown = repr(found)[:60] if isinstance(found, str | None) else "a non-string"
        raise SummaryError(_("'schema' must be \"{schema}\" (found {found})", schema=SCHEMA, found=shown))
    _obj(
        data,
        "summary",
        {
            "schema",
            "id",
            "day",
            "tool_version",
            "network",
            "paths",
            "interception",
            "trust_store",
            "recommendation",
        },
    )
    if not isinstance(data["id"], str) or not _ID.fullmatch(data["id"]):
        raise SummaryError(_("{field}: must be 32 lowercase hex digits", field="id"))
    day = data["day"]
    if not isinstance(day, str) or not _DAY.fullmatch(day):
        raise SummaryError(_("{field}: must be a date YYYY-MM-DD", field="day"))
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        raise SummaryError(_("{field}: not a real date", field="day")) from None
    tv = data["tool_version"]
    if tv is not None and (not isinstance(tv, str) or not _VERSION.fullmatch(tv)):
        raise SummaryError(_("{field}: must be a version like 0.1.0 or null", field="tool_version"))
    net = _obj(data["network"], "network", {"country", "asn", "connectivity", "portal"})
    cc = net["country"]
    if cc is not None and (not isinstance(cc, str) or not _CC.fullmatch(cc)):
        raise SummaryError(_("{field}: must be two capital letters (ISO 3166) or null", field="network.country"))
    asn = net["asn"]
    if asn is not None and (type(asn) is not int or not 1 <= asn <= 4_294_967_295):
        raise SummaryError(_("{field}: must be an AS number from 1 to 4294967295 or null", field="network.asn"))
    _enum(net["connectivity"], "network.connectivity", CONNECTIVITY, nullable=True)
    portal = net["portal"]
    if portal is not None:
        _obj(portal, "network.portal", {"detected", "offered_certificates"})
        if portal["detected"] is not None and not isinstance(portal["detected"], bool):  # 1 == True, yet not a boolean
            raise SummaryError(_("{field}: must be true, false or null", field="network.portal.detected"))
        for i, c in enumerate(
            _list(portal["offered_certificates"], "network.portal.offered_certificates", MAX_CERTS)
        ):
            w = f"network.portal.offered_certificates[{i}]"
            _obj(c, w, {"sha256", "spki_sha256", "subject", "known_as"})
            _hex64(c["sha256"], f"{w}.sha256", nullable=False)
            _hex64(c["spki_sha256"], f"{w}.spki_sha256", nullable=True)
            _dn(c["subject"], f"{w}.subject")
            _known(c["known_as"], f"{w}.known_as")
    ids: set[str] = set()
    for i, p in enumerate(_list(data["paths"], "paths", MAX_PATHS)):
        pid = _path(p, f"paths[{i}]")
        if pid in ids:
            raise SummaryError(_("{field}: '{value}' is listed twice", field=f"paths[{i}].id", value=pid))
        ids.add(pid)
    for i, f in enumerate(_list(data["interception"], "interception", MAX_FINDINGS)):
        w = f"interception[{i}]"
        _obj(f, w, {"issuer", "root_sha256", "known_as", "signals", "paths", "hosts", "other_hosts"})
        _dn(f["issuer"], f"{w}.issuer")
        _hex64(f["root_sha256"], f"{w}.root_sha256", nullable=True)
        _known(f["known_as"], f"{w}.known_as")
        _signals(f["signals"], f"{w}.signals")
        for j, pid in enumerate(_list(f["paths"], f"{w}.paths", MAX_PATHS)):
            if not isinstance(pid, str) or pid not in ids:
                raise SummaryError(_("{field}: must be the id of one of this summary's paths", field=f"{w}.paths[{j}]"))
        _hosts(f["hosts"], f"{w}.hosts")
        _count(f["other_hosts"], f"{w}.other_hosts")
    ts = _obj(data["trust_store"], "trust_store", {"known_interception_roots"})
    for i, r in enumerate(
        _list(ts["known_interception_roots"], "trust_store.known_interception_roots", MAX_CERTS)
    ):
        w = f"trust_store.known_interception_roots[{i}]"
        _obj(r, w, {"sha256", "known_as"})
        _hex64(r["sha256"], f"{w}.sha256", nullable=False)
        _known(r["known_as"], f"{w}.known_as")
    rec = data["recommendation"]
    if rec is not None and (not isinstance(rec, str) or rec not in ids):
        raise SummaryError(_("{field}: must be the id of one of this summary's paths or null", field="recommendation"))
    return data


def iso_week(day: str) -> str:
    """``2026-11-22`` -> ``2026-W47`` (ISO 8601 week)."""
    y, w, _day = dt.date.fromisoformat(day).isocalendar()
    return f"{y}-W{w:02d}"
