"""End to end: `pathprobe check` with a direct probe whose system resolver lies and a DoH probe.

The system resolver's lie comes from the PATHPROBE_HOSTS hosts file (every name the check asks the
system for is in it, so nothing leaves loopback): poisoned.test -> 127.0.0.2, where an impostor presents
a certificate from a CA neither store trusts. The DoH resolver (dnsdist + unbound) answers 127.0.0.1,
the real origin. A second DoH resolver is unreachable (a closed port).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from doh_servers import CLOSED_PORT, DOH_PORT, SITE_PORT, Pki, https_site

SRC = Path(__file__).resolve().parents[2] / "src"

PLAN = f"""
[[probe]]
kind = "direct"
sites = ["poisoned.test:{SITE_PORT}"]
controls = ["good.test:{SITE_PORT}"]

[[probe]]
kind = "doh"
name = "local"
url = "https://doh.test:{DOH_PORT}/dns-query"
bootstrap = ["127.0.0.1"]
do53 = false

[[probe]]
kind = "doh"
name = "blocked"
url = "https://doh.test:{CLOSED_PORT}/dns-query"
bootstrap = ["127.0.0.1"]
do53 = false
"""


@pytest.fixture
def impostor(pki: Pki, stop_event: threading.Event) -> Any:
    cert, key = pki.write("impostor", pki.impostor)
    with https_site("127.0.0.2", SITE_PORT, cert, key) as srv:
        yield srv


def check(tmp_path: Path, pki: Pki, hosts: str) -> dict[str, Any]:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text(hosts)
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "PATHPROBE_HOSTS": str(hosts_file),
        "PATHPROBE_ACCEPT_RISK": "1",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pathprobe", "check", "--plan", str(plan), "--public-roots", str(pki.ca_file),
         "--device-roots", str(pki.ca_file), "--json", "--timeout", "3"],
        capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def paths(profile: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in profile["paths"]}


def target(path: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in path["targets"] if t["target"] == name)


def test_poisoned_system_resolver(tmp_path: Path, pki: Pki, dns_stack: object, site_server: object,
                                  impostor: object) -> None:
    profile = check(tmp_path, pki, "127.0.0.2 poisoned.test\n127.0.0.1 good.test\n")
    by_id = paths(profile)
    direct, doh, blocked = by_id["direct"], by_id["doh:local"], by_id["doh:blocked"]

    poisoned = target(direct, f"poisoned.test:{SITE_PORT}")
    assert "dns_tampering" in poisoned["signals"]
    assert poisoned["tls"] != "intact"
    assert "the hosts file answered 127.0.0.2" in poisoned["note"]
    assert "doh:local answered 127.0.0.1" in poisoned["note"]
    assert target(direct, f"good.test:{SITE_PORT}")["signals"] == []
    assert direct["tls"] == "intercepted"

    assert (doh["reachability"], doh["tls"]) == ("reachable", "intact")
    assert all(t["signals"] == [] for t in doh["targets"])
    assert target(doh, f"doh.test:{DOH_PORT}")["role"] == "resolver"

    assert blocked["reachability"] == "blocked" and "connection_refused" in blocked["reason"]

    assert profile["recommendation"]["path"] == "doh:local"
    findings = [f for f in profile["interception"] if f["host"] == "poisoned.test"]
    assert findings and findings[0]["paths"] == ["direct"] and "dns_tampering" in findings[0]["signals"]
    doh_obs = [o for o in profile["observations"] if o["step"] == "doh" and o["path"] == "doh:local"]
    assert {o["target"] for o in doh_obs} == {f"poisoned.test:{SITE_PORT}", f"good.test:{SITE_PORT}"}
    assert all(o["detail"]["answers"] == ["127.0.0.1"] for o in doh_obs)


def test_honest_system_resolver(tmp_path: Path, pki: Pki, dns_stack: object, site_server: object,
                                impostor: object) -> None:
    """Same network, same servers, but the system tells the truth: no DNS signal, direct intact."""
    profile = check(tmp_path, pki, "127.0.0.1 poisoned.test\n127.0.0.1 good.test\n")
    by_id = paths(profile)
    direct = by_id["direct"]
    assert (direct["reachability"], direct["tls"]) == ("reachable", "intact")
    assert all(t["signals"] == [] for t in direct["targets"])
    assert (by_id["doh:local"]["reachability"], by_id["doh:local"]["tls"]) == ("reachable", "intact")
    assert profile["interception"] == []
    assert profile["recommendation"]["path"] == "doh:local"
