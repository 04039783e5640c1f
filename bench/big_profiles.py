"""Large profiles made programmatically, for the rendering/summary benchmark and its test.

:func:`big_profile` takes a shipped reference profile (``profiles/kz-2019.json``: an interception with
a known chain) and scales it to ``n`` targets spread over several paths, every target with its four
observations (dns, tcp, tls with the chain, http), and one interception finding per intercepted host.
Nothing here touches the network.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "profiles" / "kz-2019.json"
PATHS = (("direct", "direct"), ("doh:quad9", "doh"), ("vpn:office", "vpn"), ("tor:obfs4", "tor"))


def big_profile(n: int, *, seed_variant: int = 0) -> dict[str, Any]:
    """A profile dict with ``n`` targets (a tenth of them intercepted) over four paths.

    ``seed_variant`` changes the verdicts of some targets, so two profiles differ for ``profile diff``.
    """
    sample = json.loads(SAMPLE.read_text("utf-8"))
    by_step = {o["step"]: o for o in sample["observations"] if o["target"] == "news.freepress.test"}
    finding0 = sample["interception"][0]
    paths: dict[str, dict[str, Any]] = {
        pid: {"id": pid, "kind": kind, "reachability": "reachable", "tls": "intact", "latency_ms": 40.0, "targets": []}
        for pid, kind in PATHS
    }
    observations: list[dict[str, Any]] = []
    interception: list[dict[str, Any]] = []
    for i in range(n):
        pid = PATHS[i % len(PATHS)][0]
        host = f"s{i}.example{i % 97}.test"
        intercepted = i % 10 == 3
        blocked = (i + seed_variant) % 13 == 0
        t = {
            "target": host,
            "role": "control" if i % 50 == 0 else "site",
            "reachability": "blocked" if blocked else "reachable",
            "tls": "intercepted" if intercepted else ("unverified" if blocked else "intact"),
            "failure": "generic_timeout_error" if blocked else None,
            "signals": ["device_trusted_not_public"] if intercepted else [],
        }
        paths[pid]["targets"].append(t)
        t0 = float(i)
        for step in ("dns", "tcp", "tls", "http"):
            o = copy.deepcopy(by_step[step])
            o.update(path=pid, target=host, started_ms=t0)
            observations.append(o)
        if intercepted:
            interception.append({**finding0, "host": host, "paths": [pid]})
    for p in paths.values():
        ts = p["targets"]
        if any(t["tls"] == "intercepted" for t in ts):
            p["tls"] = "intercepted"
        if any(t["reachability"] == "blocked" for t in ts):
            p["reachability"] = "partial"
    out = dict(sample)
    out.update(paths=list(paths.values()), observations=observations, interception=interception)
    out["recommendation"] = {"path": None, "ranked": [], "advice": sample["recommendation"].get("advice"),
                             "cases": sample["recommendation"].get("cases", [])}
    return out
