"""Synthetic, valid summaries for benchmarks, tests and workshop demos (never real measurements)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from pathprobe.summary.schema import SCHEMA, TOR_TRANSPORTS
from pathprobe.version import __version__
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

COUNTRIES = (
    ("KZ", (9198, 21299, 206026)),
    ("RU", (12389, 8359)),
    ("IR", (58224, 197207)),
    ("TR", (9121,)),
    ("BY", (6697,)),
)
PATHS = (
    "direct",
    "doh:cloudflare",
    "doh:quad9",
    *(f"tor:{t}" for t in TOR_TRANSPORTS[:4]),
    "vpn:wireguard",
    "vpn:openvpn",
)
# Chance that a path works, by country: a crude picture of 2019-2024 reports, for demos only.
WORKS = {
    "KZ": {"direct": 0.35, "tor:vanilla": 0.2, "tor:obfs4": 0.7, "vpn:wireguard": 0.3},
    "RU": {"direct": 0.6, "tor:vanilla": 0.1, "tor:obfs4": 0.45, "vpn:openvpn": 0.2, "vpn:wireguard": 0.25},
    "IR": {"direct": 0.3, "doh:cloudflare": 0.2, "tor:vanilla": 0.05, "tor:obfs4": 0.3, "vpn:openvpn": 0.1},
}
QAZNET = "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2"
BLOCKED_SITES = ("twitter.com", "instagram.com")
"""Catalogue hosts the synthetic blocking and throttling name (issue 17's dashboard section)."""
HOW_BLOCKED = {  # stage, action, trigger, failure: a crude picture per country, for demos only
    "KZ": (BlockStage.TLS, BlockAction.TIMEOUT, BlockTrigger.SNI, Failure.GENERIC_TIMEOUT_ERROR),
    "RU": (BlockStage.TLS, BlockAction.RESET, BlockTrigger.SNI, Failure.CONNECTION_RESET),
    "IR": (BlockStage.TLS, BlockAction.TIMEOUT, BlockTrigger.ADDRESS, Failure.GENERIC_TIMEOUT_ERROR),
}
THROTTLES = {"RU": 0.5, "KZ": 0.2}
"""Chance that a reached direct path has a throttled site, by country."""


def _direct_sites(rng: random.Random, country: str | None, reach: str) -> list[dict[str, Any]]:
    """The direct path's sites: on a partial path one blocked the country's way (with the evasion
    strategies that reached it, for a server-name filter), on a reached one perhaps one throttled."""
    host = rng.choice(BLOCKED_SITES)
    if reach == Reachability.PARTIAL and country in HOW_BLOCKED:
        stage, action, trigger, failure = HOW_BLOCKED[country]
        evaded = [e.value for e in Evasion if rng.random() < 0.6] if trigger == BlockTrigger.SNI else []
        return [{"host": host, "reachability": Reachability.BLOCKED, "tls": TlsVerdict.UNVERIFIED,
                 "failure": failure, "signals": [],
                 "blocking": {"stage": stage, "action": action, "trigger": trigger, "evasion_reached": evaded}}]
    if reach == Reachability.REACHABLE and rng.random() < THROTTLES.get(country or "", 0.0):
        return [{"host": host, "reachability": Reachability.REACHABLE, "tls": TlsVerdict.INTACT, "failure": None,
                 "signals": [], Signal.THROTTLED.value: True}]
    return []


def summary(
    rng: random.Random,
    *,
    day: dt.date | None = None,
    country: str | None = None,
    asn: int | None = None,
    n_paths: int = 5,
) -> dict[str, Any]:
    """One valid summary with random verdicts (reproducible from ``rng``)."""
    if country is None:
        country, asns = rng.choice(COUNTRIES)
        asn = asn or rng.choice(asns)
    day = day or dt.date(2026, 9, 1) + dt.timedelta(days=rng.randrange(84))
    paths: list[dict[str, Any]] = []
    intercepted = False
    for pid in rng.sample(PATHS, n_paths):
        works = rng.random() < WORKS.get(country or "", {}).get(pid, 0.8)
        if works:
            reach, tls = Reachability.REACHABLE, TlsVerdict.INTACT
        elif pid == "direct" and country == "KZ" and rng.random() < 0.7:
            reach, tls, intercepted = Reachability.REACHABLE, TlsVerdict.INTERCEPTED, True
        else:
            reach, tls = rng.choice(
                (
                    (Reachability.BLOCKED, TlsVerdict.UNVERIFIED),
                    (Reachability.PARTIAL, TlsVerdict.INTACT),
                    (Reachability.UNKNOWN, TlsVerdict.UNVERIFIED),
                )
            )
        paths.append(
            {
                "id": pid,
                "kind": pid.partition(":")[0],
                "reachability": reach,
                "tls": tls,
                "latency_ms": rng.randrange(20, 900) if reach != Reachability.BLOCKED else None,
                "sites": _direct_sites(rng, country, reach) if pid == "direct" and tls == TlsVerdict.INTACT else [],
                "other_sites": rng.randrange(0, 5),
            }
        )
    findings = []
    if intercepted:
        findings.append(
            {
                "issuer": "CN=Security Certificate",
                "root_sha256": QAZNET,
                "known_as": "Qaznet Trust Network (KZ, 2019)",
                "signals": [Signal.DEVICE_TRUSTED_NOT_PUBLIC, Signal.KNOWN_INTERCEPTION_ROOT],
                "paths": ["direct"],
                "hosts": ["facebook.com"],
                "other_hosts": 0,
            }
        )
    best = [
        p["id"] for p in paths if p["reachability"] == Reachability.REACHABLE and p["tls"] == TlsVerdict.INTACT
    ]
    return {
        "schema": SCHEMA,
        "id": f"{rng.getrandbits(128):032x}",
        "day": day.isoformat(),
        "tool_version": __version__,
        "network": {"country": country, "asn": asn, "connectivity": Connectivity.ONLINE, "portal": None},
        "paths": paths,
        "interception": findings,
        "trust_store": {"known_interception_roots": []},
        "recommendation": best[0] if best else None,
    }
