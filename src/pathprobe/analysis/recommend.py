"""The ranked recommendation, computed from the profile alone (pure).

``recommend(profile)`` returns the profile's ``recommendation`` (:class:`~pathprobe.profile.Recommendation`)::

    {"path": "tor:obfs4" | null,     # ranked[0], or null when no path is reachable with tls intact
     "ranked": ["tor:obfs4", ...],   # reachable + intact paths: tor, vpn, doh, direct, then latency
     "advice": "...",                # one or two plain sentences (pathprobe.analysis.advice)
     "cases": ["known_root_trusted", ...]}   # stable ids of what the advice covers (added field)

Golden files pin this: ``tests/golden/recommend/<case>/`` (see tests/report/test_golden.py).
"""

from __future__ import annotations

import math

from pathprobe.analysis.advice import advise
from pathprobe.analysis.paths import PRIVACY_ORDER, path_kind
from pathprobe.profile import Path, Profile, Recommendation
from pathprobe.vocab import Reachability, TlsVerdict


def _privacy_class(path: Path) -> int:
    kind = path_kind(path.id, path.kind)
    return PRIVACY_ORDER.index(kind) if kind in PRIVACY_ORDER else len(PRIVACY_ORDER)


PLAIN_PROXIES = ("socks5", "http")
"""Proxies whose requests cross the local network in clear (the CONNECT line, the SOCKS request name
the site): within ``vpn:*`` they come after encrypted tunnels (Shadowsocks, OpenVPN, WireGuard)."""


def _tunnel_rank(path: Path) -> int:
    protocol = path.detail.get("protocol")
    return 1 if path_kind(path.id, path.kind) == "vpn" and protocol in PLAIN_PROXIES else 0


def _latency(path: Path) -> float:
    lat = path.latency_ms
    if lat is None or math.isnan(lat):
        return math.inf  # unknown latency sorts last within its class
    return float(lat)


def usable(path: Path) -> bool:
    """A path that can be recommended: every target reached, and HTTPS checked and intact."""
    return path.reachability == Reachability.REACHABLE and path.tls == TlsVerdict.INTACT


def ranked_paths(profile: Profile) -> list[str]:
    """Ids of the usable paths, most private first, then fastest (median latency), then by id.

    Within ``vpn:*``, encrypted tunnels come before plain SOCKS5/HTTP proxies (more privacy)."""
    good = [p for p in profile.paths if usable(p)]
    good.sort(key=lambda p: (_privacy_class(p), _tunnel_rank(p), _latency(p), p.id))
    return [p.id for p in good]


def recommend(profile: Profile) -> Recommendation:
    """The ``recommendation`` of DESIGN.md for a profile (its other sections filled in; its own
    ``recommendation`` is not read)."""
    ranked = ranked_paths(profile)
    found = advise(profile, ranked)
    return Recommendation(
        path=ranked[0] if ranked else None,
        ranked=tuple(ranked),
        advice=found.text,
        cases=tuple(found.cases),
        advice_messages=tuple(m.to_json() for m in found.messages),
    )
