"""The strict summary validator (shared by `submit` and the collector): precise messages, closed words."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import pytest

from pathprobe.collector.synthetic import summary as synth
from pathprobe.errors import SummaryError
from pathprobe.summary.schema import base_path, iso_week, valid_path_id, validate_summary


def good() -> dict[str, Any]:
    s = synth(random.Random(7), country="KZ", asn=9198)
    s["paths"][0]["sites"] = [
        {
            "host": "facebook.com",
            "reachability": "blocked",
            "tls": "unverified",
            "failure": "connection_reset",
            "signals": [],
        }
    ]
    return s


def test_synthetic_summary_is_valid() -> None:
    assert validate_summary(good())["network"]["country"] == "KZ"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(s: dict[str, Any]) -> None:
        *head, last = path.split(".")
        node: Any = s
        for part in head:
            node = node[int(part)] if part.isdigit() else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _del(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda s: s.pop(key)


@pytest.mark.parametrize(
    "mutate,message",
    [
        (_set("schema", "pathprobe.profile/1"), "'schema' must be \"pathprobe.summary/1\""),
        (_del("day"), "missing key 'day'"),
        (_set("label", "Hotel"), "unknown key 'label'"),
        (_set("id", "not-hex"), "id: must be 32 lowercase hex digits"),
        (_set("day", "2026-02-30"), "day: not a real date"),
        (_set("day", "2026-11-22T10:00:00Z"), "day: must be a date"),
        (_set("tool_version", "0.1.0; rm -rf"), "tool_version"),
        (_set("network.country", "Kazakhstan"), "network.country"),
        (_set("network.asn", "9198"), "network.asn"),
        (_set("network.asn", True), "network.asn"),
        (
            _set("network.portal", {"detected": True, "offered_certificates": [], "host": "wifi.hotel.kz"}),
            "network.portal: unknown key 'host'",
        ),
        (_set("paths.0.id", "vpn:office"), "paths[0].id: must be a path id"),
        (_set("paths.0.kind", "tor"), "paths[0].kind"),
        (_set("paths.0.tls", "ok"), "paths[0].tls: must be one of intact, intercepted, unverified"),
        (_set("paths.0.latency_ms", 1.5), "paths[0].latency_ms"),
        (
            _set("paths.0.sites.0.host", "intranet.hotel.kz"),
            "paths[0].sites[0].host: must be a host of the shipped",
        ),
        (_set("paths.0.sites.0.failure", "connect to 10.0.0.1 failed"), "paths[0].sites[0].failure"),
        (_set("paths.0.other_sites", -1), "paths[0].other_sites"),
        (
            _set(
                "interception",
                [
                    {
                        "issuer": "CN=proxy 10.1.2.3",
                        "root_sha256": None,
                        "known_as": None,
                        "signals": [],
                        "paths": [],
                        "hosts": [],
                        "other_hosts": 0,
                    }
                ],
            ),
            "interception[0].issuer: must be a cleaned certificate name",
        ),
        (
            _set(
                "interception",
                [
                    {
                        "issuer": None,
                        "root_sha256": None,
                        "known_as": "My Hotel CA",
                        "signals": [],
                        "paths": [],
                        "hosts": [],
                        "other_hosts": 0,
                    }
                ],
            ),
            "interception[0].known_as",
        ),
        (
            _set(
                "interception",
                [
                    {
                        "issuer": None,
                        "root_sha256": "AB",
                        "known_as": None,
                        "signals": [],
                        "paths": [],
                        "hosts": [],
                        "other_hosts": 0,
                    }
                ],
            ),
            "interception[0].root_sha256",
        ),
        (_set("recommendation", "vpn:wireguard#9"), "recommendation"),
        (_set("paths", [{}] * 65), "paths: at most 64 entries"),
    ],
)
def test_validator_names_the_problem(mutate: Callable[[dict[str, Any]], None], message: str) -> None:
    s = copy.deepcopy(good())
    mutate(s)
    with pytest.raises(SummaryError) as e:
        validate_summary(s, "x.json")
    assert message in str(e.value)
    assert str(e.value).startswith("x.json: not a pathprobe summary: ")


def test_duplicate_path_ids_rejected() -> None:
    s = good()
    s["paths"].append(copy.deepcopy(s["paths"][0]))
    with pytest.raises(SummaryError, match="listed twice"):
        validate_summary(s)


@pytest.mark.parametrize(
    "pid,ok",
    [
        ("direct", True),
        ("tor:obfs4", True),
        ("vpn#2", True),
        ("doh:quad9#3", True),
        ("other", True),
        ("tor:office", False),
        ("vpn:office", False),
        ("direct#1", False),
        ("tor:obfs4#65", False),
        ("lab", False),
        ("TOR:obfs4", False),
        ("doh:quad9 ", False),
    ],
)
def test_path_ids(pid: str, ok: bool) -> None:
    assert valid_path_id(pid) is ok


def test_week_and_base_path() -> None:
    assert iso_week("2026-11-22") == "2026-W47"
    assert iso_week("2027-01-01") == "2026-W53"
    assert base_path("vpn:wireguard#2") == "vpn:wireguard"


def test_synthetic_summaries_carry_blocking_and_throttling() -> None:
    """Demo data shows issue 17's dashboard section: some direct sites blocked the country's way (with
    the evasions that reached them), some throttled; every summary valid."""
    import random

    rng = random.Random(7)
    sites = [s for _ in range(400) for p in validate_summary(synth(rng))["paths"] for s in p["sites"]]
    blocked = [s for s in sites if "blocking" in s]
    assert blocked and all(s["reachability"] == "blocked" for s in blocked)
    assert {s["blocking"]["trigger"] for s in blocked} == {"sni", "address"}
    assert any(s["blocking"]["evasion_reached"] for s in blocked)
    assert any(s.get("throttled") is True for s in sites)
