"""Real measurements on loopback (a TLS origin, a Kazakhstan-2019-style ISP box, microsocks as a tunnel),
then the real profile, recommendation, advice and diff — the done-criterion of the report issue, live."""

from __future__ import annotations

import pytest
import report_realnet as rn  # type: ignore[import-not-found]
from pytest_socket import socket_allow_hosts

from pathprobe.profile import Profile
from pathprobe.report.diff import diff_profiles

pytestmark = pytest.mark.skipif(rn.usable() is not None, reason=str(rn.usable()))


@pytest.fixture(autouse=True)
def _lab_addresses() -> None:
    """The lab uses three more loopback addresses (127.77.7.0/24) besides 127.0.0.1."""
    socket_allow_hosts(["127.0.0.1", "::1", "localhost", *rn.ADDRESSES], allow_unix_socket=True)


@pytest.fixture(scope="module")
def measured() -> dict[str, Profile]:
    pki = rn.Pki()
    port = rn._free_port()
    return {name: rn.build(name, pki, port=port) for name in ("clean", "kz-2019")}


def test_clean(measured: dict[str, Profile]) -> None:
    p = measured["clean"].to_dict()
    assert [(x["id"], x["reachability"], x["tls"]) for x in p["paths"]] == [
        ("direct", "reachable", "intact"),
        ("vpn:lab-socks", "reachable", "intact"),
    ]
    assert p["interception"] == [] and p["trust_store"]["known_interception_roots"] == []
    rec = p["recommendation"]
    assert rec["path"] == "vpn:lab-socks" and rec["ranked"] == ["vpn:lab-socks", "direct"]
    assert rec["cases"] == ["clean"]


def test_kz_2019(measured: dict[str, Profile]) -> None:
    p = measured["kz-2019"].to_dict()
    direct = p["paths"][0]
    assert (direct["id"], direct["reachability"], direct["tls"]) == ("direct", "reachable", "intercepted")
    by_target = {t["target"].split(":")[0]: t for t in direct["targets"]}
    for host in rn.TARGETED:
        assert by_target[host]["tls"] == "intercepted"
        assert {"device_trusted_not_public", "known_interception_root"} <= set(by_target[host]["signals"])
    assert by_target["www.google.com"]["tls"] == "intact" and by_target["example.com"]["tls"] == "intact"
    assert [(f["host"], f["paths"], f["known_as"]) for f in p["interception"]] == [
        (h, ["direct"], "Qaznet Trust Network (lab copy) (KZ, 2019)") for h in sorted(rn.TARGETED)
    ]
    assert [r["known_as"] for r in p["trust_store"]["known_interception_roots"]] == [
        "Qaznet Trust Network (lab copy) (KZ, 2019)"
    ]
    rec = p["recommendation"]
    assert rec["path"] == "vpn:lab-socks"
    assert {"interception_known_root", "known_root_trusted", "interception_some_paths"} <= set(rec["cases"])
    assert (
        "'Qaznet Trust Network (lab copy) (KZ, 2019)', a known state interception root that this device "
        "trusts. Remove it" in rec["advice"]
    )


def test_diff_is_exactly_the_interception(measured: dict[str, Profile]) -> None:
    changes = diff_profiles(measured["clean"], measured["kz-2019"])["changes"]
    kinds = sorted(
        (c["what"], c.get("field") or c.get("change"), c.get("target") or c.get("host") or c.get("path"))
        for c in changes
    )
    targets = sorted(f"{h}" for h in rn.TARGETED)
    port = measured["clean"].paths[0].targets[0].target.split(":")[1]
    assert kinds == sorted(
        [
            ("path_verdict", "tls", "direct"),
            ("trust_root", "added", None),
            ("recommendation", "ranked", None),
            ("recommendation", "advice", None),
        ]
        + [("interception", "added", h) for h in targets]
        + [("target_verdict", f, f"{h}:{port}") for h in targets for f in ("tls", "signals")]
    )
