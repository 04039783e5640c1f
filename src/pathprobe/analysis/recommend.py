"""The ranked recommendation and the plain-language advice, computed from the profile dict alone (pure).

Golden files pin this: ``tests/golden/recommend/*.json``.
"""

from __future__ import annotations

from typing import Any

PRIVACY_ORDER = ("tor", "vpn", "doh", "direct")
"""More privacy first: Tor, then a VPN or proxy, then DNS-over-HTTPS, then the plain network."""


def _class(path: dict[str, Any]) -> int:
    kind = str(path.get("kind", ""))
    return PRIVACY_ORDER.index(kind) if kind in PRIVACY_ORDER else len(PRIVACY_ORDER)


def ranked_paths(profile: dict[str, Any]) -> list[str]:
    good = [
        p for p in profile.get("paths", [])
        if p.get("reachability") == "reachable" and p.get("tls") == "intact"
    ]
    good.sort(key=lambda p: (_class(p), p.get("latency_ms") if p.get("latency_ms") is not None else 1e12, p["id"]))
    return [p["id"] for p in good]


def recommend(profile: dict[str, Any]) -> dict[str, Any]:
    from pathprobe.analysis.advice import advice

    ranked = ranked_paths(profile)
    return {"path": ranked[0] if ranked else None, "ranked": ranked, "advice": advice(profile, ranked)}
