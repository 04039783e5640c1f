"""The ranked recommendation, computed from the profile dict alone (pure).

``recommend(profile)`` returns the profile's ``recommendation`` object::

    {"path": "tor:obfs4" | null,     # ranked[0], or null when no path is reachable with tls intact
     "ranked": ["tor:obfs4", ...],   # reachable + intact paths: tor, vpn, doh, direct, then latency
     "advice": "...",                # one or two plain sentences (pathprobe.analysis.advice)
     "cases": ["known_root_trusted", ...]}   # stable ids of what the advice covers (added field)

Golden files pin this: ``tests/golden/recommend/<case>/`` (see tests/report/test_golden.py).
"""

from __future__ import annotations

import math
from typing import Any

from pathprobe.analysis.advice import advise
from pathprobe.analysis.paths import PRIVACY_ORDER, path_kind
from pathprobe.vocab import Reachability, TlsVerdict


def _privacy_class(path: dict[str, Any]) -> int:
    kind = path_kind(path)
    return PRIVACY_ORDER.index(kind) if kind in PRIVACY_ORDER else len(PRIVACY_ORDER)


PLAIN_PROXIES = ("socks5", "http")
"""Proxies whose requests cross the local network in clear (the CONNECT line, the SOCKS request name
the site): within ``vpn:*`` they come after encrypted tunnels (Shadowsocks, OpenVPN, WireGuard)."""


def _tunnel_rank(path: dict[str, Any]) -> int:
    detail = path.get("detail")
    protocol = detail.get("protocol") if isinstance(detail, dict) else None
    return 1 if path_kind(path) == "vpn" and protocol in PLAIN_PROXIES else 0


def _latency(path: dict[str, Any]) -> float:
    lat = path.get("latency_ms")
    if isinstance(lat, bool) or not isinstance(lat, int | float) or math.isnan(lat):
        return math.inf  # unknown latency sorts last within its class
    return float(lat)


def usable(path: dict[str, Any]) -> bool:
    """A path that can be recommended: every target reached, and HTTPS checked and intact."""
    return path.get("reachability") == Reachability.REACHABLE and path.get("tls") == TlsVerdict.INTACT


def ranked_paths(profile: dict[str, Any]) -> list[str]:
    """Ids of the usable paths, most private first, then fastest (median latency), then by id.

    Within ``vpn:*``, encrypted tunnels come before plain SOCKS5/HTTP proxies (more privacy)."""
    good = [p for p in profile.get("paths") or [] if isinstance(p, dict) and usable(p)]
    good.sort(key=lambda p: (_privacy_class(p), _tunnel_rank(p), _latency(p), str(p.get("id"))))
    return [str(p["id"]) for p in good]


def recommend(profile: dict[str, Any]) -> dict[str, Any]:
    """The ``recommendation`` object of DESIGN.md for a profile (its other sections filled in)."""
    ranked = ranked_paths(profile)
    found = advise(profile, ranked)
    return {
        "path": ranked[0] if ranked else None,
        "ranked": ranked,
        "advice": found.text,
        "cases": list(found.cases),
    }
