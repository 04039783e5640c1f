"""Profile -> anonymised summary, by allow-list: every field is built from a vetted value, never copied.

What a summary keeps (see :mod:`pathprobe.summary.schema` for the exact format):
- per path: its kind and a transport-level id from a fixed vocabulary (``tor:obfs4``, ``vpn:wireguard``,
  ``doh:quad9``; a user-chosen name outside the vocabulary becomes the bare kind, numbered when it
  repeats: ``vpn``, ``vpn#2``), its two verdicts, its median latency, and per-site verdicts for hosts
  of the shipped catalogue only (other hosts are counted), each with how it was blocked when it was not
  reached (``blocking``: words only) and ``throttled: true`` when it was throttled;
- per interception finding: issuer name (cleaned: see :func:`~pathprobe.summary.schema.clean_dn`; no word
  of the label and no address in any encoding survives in it), anchoring root fingerprint, ``known_as`` from the
  shipped list, signals, affected paths and catalogue hosts (others counted);
- the portal: detected, and each offered certificate's hashes, cleaned subject and ``known_as``
  (never the portal's host or URL);
- the day, the tool version, and country / ASN only when the person gives them.

Nothing else: no label, no addresses, no bridge lines, endpoints, keys, advice or observations.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.profile import Blocking, Path, Profile
from pathprobe.summary.schema import (
    _VERSION,
    CONNECTIVITY,
    DOH_PROVIDERS,
    FAILURES,
    KINDS,
    MAX_CERTS,
    MAX_FINDINGS,
    MAX_LATENCY_MS,
    MAX_PATHS,
    OTHER_FAILURE,
    REACHABILITY,
    SCHEMA,
    SIGNALS,
    TLS,
    TOR_TRANSPORTS,
    VPN_PROTOCOLS,
    catalogue,
    clean_dn,
    known_labels,
    path_id,
    validate_summary,
    words,
)
from pathprobe.vocab import (
    BlockAction,
    BlockStage,
    BlockTrigger,
    Evasion,
    EvasionOutcome,
    Reachability,
    Signal,
    TlsVerdict,
)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_CREATED = re.compile(r"(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_WORD = re.compile(r"[^\W_]{5,}", re.UNICODE)
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def parse_country(value: str | None) -> str | None:
    """Two letters (ISO 3166-1 alpha-2), upper-cased; BadInput otherwise."""
    if value is None:
        return None
    cc = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", cc):
        raise BadInput(_("--country must be a two-letter country code such as KZ (got {value})", value=repr(value[:20])))
    return cc


def parse_asn(value: str | int | None) -> int | None:
    """``12345`` or ``AS12345``; BadInput otherwise."""
    if value is None:
        return None
    text = str(value).strip()
    m = re.fullmatch(r"(?:AS)?(\d{1,10})", text, re.IGNORECASE)
    if not m or not 1 <= int(m[1]) <= 4_294_967_295:
        raise BadInput(_("--asn must be an AS number such as 9198 or AS9198 (got {value})", value=repr(text[:20])))
    return int(m[1])


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _strings(v: Any, depth: int = 0) -> Iterator[str]:
    if depth > 20:
        return
    if isinstance(v, str):
        yield v
    elif isinstance(v, Mapping):
        for k, x in v.items():
            if isinstance(k, str):
                yield k
            yield from _strings(x, depth + 1)
    elif isinstance(v, list | tuple):
        for x in v:
            yield from _strings(x, depth + 1)


def private_strings(profile: Profile) -> frozenset[str]:
    """The profile's own free text (label, names, hosts, details, notes, advice, observation targets).

    Used only as a second guard over certificate names, which come from the network: a portal or
    proxy named after the place (``CN=Hotel Astana Proxy`` on a network labelled "Hotel Astana") must
    not carry the place into the summary. The label's and portal host's words count on their own (and
    every word of the label, however short, also by :func:`label_words`).
    """
    out: set[str] = set()
    label = profile.label
    if label:
        out.add(label)
        out.update(_WORDS.findall(label))
    for p in profile.paths:
        if p.id:
            out.update((p.id, p.id.partition(":")[2]))
        out.update(_strings(p.reason))
        out.update(_strings(p.detail))
        for t in p.targets:
            out.update(_strings(t.target))
            out.update(_strings(t.note))
    for f in profile.interception:
        out.update(_strings(f.host))
    portal = profile.network.portal
    host = portal.host if portal is not None else None
    if host:
        out.add(host)
        out.update(_WORD.findall(host))
    out.update(_strings(profile.recommendation.advice))
    for o in profile.observations:
        out.update(_strings(o.target))
        out.update(_strings(o.detail))
    vocab = {*KINDS, *TOR_TRANSPORTS, *VPN_PROTOCOLS, *DOH_PROVIDERS, *catalogue()}
    return frozenset(s for s in out if len(s) >= 4 and s.lower() not in vocab)


def label_words(profile: Profile) -> frozenset[str]:
    """Every word of the label (:func:`~pathprobe.summary.schema.words`: runs of letters and digits, any
    length, case-folded). A certificate-name value holding one of them is dropped from the summary."""
    return words(profile.label) if isinstance(profile.label, str) else frozenset()


def _day(profile: Profile) -> str:
    created = profile.created
    m = _CREATED.fullmatch(created or "")
    if m:
        try:
            return dt.date.fromisoformat(m[1]).isoformat()
        except ValueError:
            pass
    raise BadInput(_("the profile's 'created' is not a timestamp like 2026-11-22T10:00:00Z"))


def _catalogue_host(target: Any) -> str | None:
    """The catalogue host a target names (``host`` or ``host:443``), or None."""
    if not isinstance(target, str) or len(target) > 300:
        return None
    host = target.strip().lower().rstrip(".")
    if host.endswith(":443"):
        host = host[:-4]
    return host if host in catalogue() else None


def _kind_and_sub(p: Path) -> tuple[str, str | None]:
    prefix, _sep, name = p.id.partition(":")
    kind = p.kind
    if kind not in KINDS or kind == "other":
        kind = prefix if prefix in KINDS else "other"
    detail = p.detail
    sub: str | None = None
    if kind == "tor":
        transport = _s(detail.get("transport"))
        sub = name if name in TOR_TRANSPORTS else (transport if transport in TOR_TRANSPORTS else None)
    elif kind == "vpn":
        proto = _s(detail.get("protocol"))
        sub = proto if proto in VPN_PROTOCOLS else (name if name in VPN_PROTOCOLS else None)
    elif kind == "doh":
        sub = name if name in DOH_PROVIDERS else None
    return kind, sub


def _enum(v: Any, allowed: tuple[str, ...], default: str) -> str:
    return v if isinstance(v, str) and v in allowed else default


def _signals(v: Sequence[str]) -> list[str]:
    present = set(v)
    return [s for s in SIGNALS if s in present]


def _latency(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
        return None
    return round(v) if 0 <= v <= MAX_LATENCY_MS else None


def _hex(v: Any) -> str | None:
    if isinstance(v, str) and _HEX64.fullmatch(v.lower()):
        return v.lower()
    return None


def _known(v: Any) -> str | None:
    return v if isinstance(v, str) and v in known_labels() else None


def _blocking(b: Blocking) -> dict[str, Any]:
    """A site's ``blocking`` in a summary: the words only (no evidence text: it names the control, no
    failures of evasions), and which strategies reached the site with HTTPS intact."""
    def word(v: str | None, allowed: tuple[str, ...]) -> str | None:
        return v if v in allowed else None

    reached = [e.strategy for e in b.evasion if e.outcome == EvasionOutcome.REACHED and e.tls == TlsVerdict.INTACT]
    return {
        "stage": word(b.stage, tuple(BlockStage)),
        "action": word(b.action, tuple(BlockAction)),
        "trigger": word(b.trigger, tuple(BlockTrigger)),
        "evasion_reached": [s for s in dict.fromkeys(reached) if s in tuple(Evasion)],
    }


def summarise(
    profile: Profile,
    *,
    country: str | None = None,
    asn: int | None = None,
    summary_id: str | None = None,
) -> dict[str, Any]:
    """Build the summary of a (loaded) profile. Pure apart from the random id."""
    private = private_strings(profile)
    lwords = label_words(profile)
    dn_cache: dict[Any, str | None] = {}

    def dn(value: Any) -> str | None:
        """:func:`clean_dn` once per distinct name (a big profile repeats its interceptor's issuer)."""
        key = value if isinstance(value, str) else None
        if key not in dn_cache:
            dn_cache[key] = clean_dn(key, private, lwords)
        return dn_cache[key]

    day = _day(profile)
    version = profile.tool_version

    paths: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    used: dict[str, int] = {}
    for p in profile.paths[:MAX_PATHS]:
        kind, sub = _kind_and_sub(p)
        base = path_id(kind, sub, 1)
        used[base] = used.get(base, 0) + 1
        sid = path_id(kind, sub, used[base])
        if p.id not in ids:
            ids[p.id] = sid
        sites: list[dict[str, Any]] = []
        seen: set[str] = set()
        other = 0
        for t in p.targets:
            host = _catalogue_host(t.target)
            if host is None or host in seen:
                other += 1
                continue
            seen.add(host)
            site: dict[str, Any] = {
                "host": host,
                "reachability": _enum(t.reachability, REACHABILITY, Reachability.UNKNOWN),
                "tls": _enum(t.tls, TLS, TlsVerdict.UNVERIFIED),
                "failure": None if t.failure is None else _enum(t.failure, FAILURES, OTHER_FAILURE),
                "signals": _signals(t.signals),
            }
            if t.blocking is not None:  # --- blocking diagnosis (issue 17) ---
                site["blocking"] = _blocking(t.blocking)
            if Signal.THROTTLED in t.signals:  # only the word: no goodput, no comparable named
                site[Signal.THROTTLED.value] = True
            sites.append(site)
        paths.append(
            {
                "id": sid,
                "kind": kind,
                "reachability": _enum(p.reachability, REACHABILITY, Reachability.UNKNOWN),
                "tls": _enum(p.tls, TLS, TlsVerdict.UNVERIFIED),
                "latency_ms": _latency(p.latency_ms),
                "sites": sites,
                "other_sites": other,
            }
        )

    findings: dict[tuple[str | None, str | None, str | None], dict[str, Any]] = {}
    other_hosts: dict[tuple[str | None, str | None, str | None], set[str]] = {}
    for f in profile.interception:
        key = (dn(f.issuer), _hex(f.root_sha256), _known(f.known_as))
        if key not in findings and len(findings) >= MAX_FINDINGS:
            continue
        g = findings.setdefault(
            key,
            {
                "issuer": key[0],
                "root_sha256": key[1],
                "known_as": key[2],
                "signals": [],
                "paths": [],
                "hosts": [],
                "other_hosts": 0,
            },
        )
        g["signals"] = _signals([*g["signals"], *f.signals])
        for orig in f.paths:
            mapped = ids.get(orig)
            if mapped and mapped not in g["paths"]:
                g["paths"].append(mapped)
        host = _catalogue_host(f.host)
        if host is not None:
            if host not in g["hosts"]:
                g["hosts"].append(host)
        else:
            other_hosts.setdefault(key, set()).add(f.host)
    for key, g in findings.items():
        g["hosts"].sort()
        g["other_hosts"] = len(other_hosts.get(key, ()))

    network = profile.network
    portal: dict[str, Any] | None = None
    if network.portal is not None:
        certs: list[dict[str, Any]] = []
        for c in network.portal.offered_certificates:
            sha = _hex(c.sha256)
            if sha is None or any(x["sha256"] == sha for x in certs) or len(certs) >= MAX_CERTS:
                continue
            certs.append(
                {
                    "sha256": sha,
                    "spki_sha256": _hex(c.spki_sha256),
                    "subject": dn(c.subject),
                    "known_as": _known(c.known_as),
                }
            )
        portal = {"detected": network.portal.detected, "offered_certificates": certs}

    roots: list[dict[str, Any]] = []
    for r in profile.trust_store.known_interception_roots:
        sha = _hex(r.sha256)
        if sha is not None and not any(x["sha256"] == sha for x in roots) and len(roots) < MAX_CERTS:
            roots.append({"sha256": sha, "known_as": _known(r.known_as)})

    rec = profile.recommendation.path
    summary = {
        "schema": SCHEMA,
        "id": summary_id or secrets.token_hex(16),
        "day": day,
        "tool_version": version if version and _VERSION.fullmatch(version) else None,
        "network": {
            "country": country,
            "asn": asn,
            "connectivity": _enum(network.connectivity, CONNECTIVITY, "") or None,
            "portal": portal,
        },
        "paths": paths,
        "interception": list(findings.values()),
        "trust_store": {"known_interception_roots": roots},
        "recommendation": ids.get(rec) if rec is not None else None,
    }
    return validate_summary(summary, "the summary just built")
