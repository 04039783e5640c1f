"""Synthetic, valid summaries for benchmarks, tests and workshop demos (never real measurements)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from pathprobe.summary.schema import SCHEMA, TOR_TRANSPORTS
from pathprobe.version import __version__
from pathprobe.vocab import Connectivity, Reachability, Signal, TlsVerdict

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
                "sites": [],
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
