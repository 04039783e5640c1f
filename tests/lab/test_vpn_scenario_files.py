"""The vpn-endpoints scenario and the lab's VPN services without root: the scenario loads, every
placeholder of its plan is published by its services once prepared (fresh keys each time, never in
a repr), the filled plan passes the real plan checks, and the expectation keys it needs
(``ranked_any_order``, a glob ``recommendation``, ``note_contains``) pass and fail as they should."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from pathprobe.errors import BadInput
from pathprobe.lab import world as w
from pathprobe.lab.expect import Expectations, TargetExp, compare, verdict_differences
from pathprobe.lab.scenario import fill_plan, load, parse, placeholders
from pathprobe.lab.servers import pki
from pathprobe.lab.services import INTERNET, internet_service
from pathprobe.lab.services.base import LabContext
from pathprobe.plan import parse_plan_data
from pathprobe.profile import SCHEMA, Profile

SCENARIO = "vpn-endpoints"
MINIMAL = '''
title = "t"
plan = """
[[probe]]
kind = "direct"
sites = ["www.socialnet.test"]
"""
[expect]
recommendation = "direct"
'''


def _prepare_all(tmp: Path) -> tuple[dict[str, str], list[Any]]:
    scn = load(SCENARIO)
    ca = pki.CA("test public root")
    pem = tmp / "public.pem"
    pem.write_bytes(ca.cert_pem())
    ctx = LabContext(run_dir=tmp, public=ca, public_pem=pem, scenario=scn)
    values: dict[str, str] = {}
    launched = []
    for kind in scn.services:
        svc = internet_service(kind, scn.options.get(kind))
        workdir = tmp / svc.instance
        workdir.mkdir()
        launched.append(svc.prepare(ctx, workdir))
        values.update({f"{svc.instance}.{k}": v for k, v in svc.plan_values().items()})
    return values, launched


def test_scenario_loads_with_every_vpn_service() -> None:
    scn = load(SCENARIO)
    for kind in (
        "openvpn-udp",
        "openvpn-tcp",
        "openvpn-tlscrypt",
        "wireguard",
        "shadowsocks",
        "socks5",
        "http-proxy",
    ):
        assert kind in scn.services and kind in INTERNET
    assert scn.censor.blocks[0].proto == "tcp" and scn.censor.blocks[0].port == 1194
    assert [b for b in scn.censor.blocks if b.proto == "udp"] == []
    assert scn.expect.ranked_any_order and scn.expect.recommendation == "vpn:ss"
    assert {p.id for p in scn.expect.paths} == {
        "direct",
        "vpn:ovpn-udp",
        "vpn:ovpn-tcp",
        "vpn:ovpn-tlscrypt",
        "vpn:wg",
        "vpn:wg-wrong-key",
        "vpn:ss",
        "vpn:socks",
        "vpn:http",
    }
    assert set(placeholders(scn.plan)) == {
        "wireguard.public_key",
        "wireguard.private_key",
        "wireguard.wrong_private_key",
        "shadowsocks.url",
    }


def test_services_publish_fresh_keys_that_make_a_valid_plan(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    values, launched = _prepare_all(tmp_path / "a")
    again, _ = _prepare_all(tmp_path / "b")
    scn = load(SCENARIO)
    text = fill_plan(scn.plan, values, scn.source)
    probes = parse_plan_data(tomllib.loads(text), "filled plan")  # real key and URL checks
    assert len(probes) == 9
    for key in values:
        assert values[key] != again[key], f"{key} is not made anew"
    assert values["wireguard.private_key"] != values["wireguard.wrong_private_key"]
    assert (
        values["shadowsocks.url"].startswith("ss://")
        and f"@{w.SHADOWSOCKS_ADDR}:" in values["shadowsocks.url"]
    )
    # No secret in any command line (they are visible in ps and written to the service logs).
    argv = " ".join(" ".join(launch.argv) for launch in launched)
    password = json.loads((tmp_path / "a" / "shadowsocks" / "ss-server" / "config.json").read_text())[
        "password"
    ]
    for secret in (values["wireguard.private_key"], values["wireguard.wrong_private_key"], password):
        assert secret not in argv
    for svc_kind in ("wireguard", "shadowsocks"):
        assert "private" not in repr(internet_service(svc_kind)).lower()
    # Config files holding secrets are the owner's only.
    for f in (tmp_path / "a").rglob("*"):
        if f.name in ("wg.conf", "config.json", "server.key", "tls-crypt.key"):
            assert f.stat().st_mode & 0o077 == 0, f


def test_wireguard_interface_follows_the_lab_prefix() -> None:
    name = w.wg_ifname()
    assert name.startswith(w.PREFIX) and len(name) <= 15
    assert len("pp-abcdef-wg") <= 15  # the longest prefix the lab accepts still fits


def test_shadowsocks_options() -> None:
    ok = parse(
        MINIMAL.replace(
            "[expect]",
            'services = ["origins", "dns", "shadowsocks"]\n'
            '[options.shadowsocks]\nmethod = "aes-256-gcm"\n[expect]',
        ),
        "t",
        "t.toml",
    )
    assert ok.options["shadowsocks"] == {"method": "aes-256-gcm"}
    with pytest.raises(
        BadInput, match=re.escape("key 'options.shadowsocks': 'method': 'rc4-md5' is not one of")
    ):
        parse(
            MINIMAL.replace(
                "[expect]", 'services = ["shadowsocks"]\n[options.shadowsocks]\nmethod = "rc4-md5"\n[expect]'
            ),
            "t",
            "t.toml",
        )
    with pytest.raises(BadInput, match="'port': unknown option"):
        parse(
            MINIMAL.replace(
                "[expect]", 'services = ["shadowsocks"]\n[options.shadowsocks]\nport = 1\n[expect]'
            ),
            "t",
            "t.toml",
        )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("ranked_any_order = 1\n", "key 'expect.ranked_any_order': must be true or false"),
        ("ranked_any_order = true\n", "key 'expect.ranked_any_order': needs 'ranked'"),
    ],
)
def test_bad_expectation_keys(extra: str, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace(".", r"\.")):
        parse(MINIMAL + extra, "t", "t.toml")
    with pytest.raises(BadInput, match="note_contains': must be a list of strings"):
        parse(
            MINIMAL + '[[expect.target]]\npath = "direct"\ntarget = "a"\nnote_contains = "x"\n', "t", "t.toml"
        )


def _profile(ranked: list[str], note: str | None = "silence: tls-crypt or a filter") -> Profile:
    return _typed({
        "recommendation": {"path": ranked[0] if ranked else None, "ranked": ranked},
        "paths": [
            {
                "id": "vpn:a",
                "kind": "vpn",
                "reachability": "unknown",
                "tls": "unverified",
                "targets": [{"target": "e", "reachability": "unknown", "note": note}],
            },
        ],
    })


def test_any_order_glob_recommendation_and_note_contains() -> None:
    exp = Expectations(
        recommendation="vpn:*",
        ranked=("vpn:ss", "vpn:socks"),
        ranked_any_order=True,
        targets=(TargetExp("vpn:a", ("e",), note_contains=("tls-crypt", "filter")),),
    )
    for ranked in (["vpn:ss", "vpn:socks"], ["vpn:socks", "vpn:ss"]):
        assert [o.line() for o in compare(exp, _profile(ranked)) if not o.ok] == []
    bad = [o.line() for o in compare(exp, _profile(["vpn:ss"], note="no answer")) if not o.ok]
    assert "FAIL  recommendation.ranked (any order): expected [vpn:socks, vpn:ss], got [vpn:ss]" in bad
    assert "FAIL  vpn:a / e note contains: expected tls-crypt, got no answer" in bad
    assert len(bad) == 3
    assert [o.ok for o in compare(exp, _profile(["direct", "vpn:ss"])) if "path" in o.what] == [False]
    assert not all(o.ok for o in compare(exp, _profile(["vpn:ss", "vpn:ss"])))  # a set, but not fewer
    missing_note = compare(exp, _profile(["vpn:ss", "vpn:socks"], note=None))
    assert [o.ok for o in missing_note if "note" in o.what] == [False, False]
    exact = Expectations(recommendation="vpn:ss", ranked=("vpn:ss", "vpn:socks"))
    assert not all(o.ok for o in compare(exact, _profile(["vpn:socks", "vpn:ss"])))


def test_reference_comparison_ignores_latency_order_inside_a_privacy_class() -> None:
    a = _profile(["tor:x", "vpn:ss", "vpn:socks", "direct"])
    b = _profile(["tor:x", "vpn:socks", "vpn:ss", "direct"])
    assert verdict_differences(a, b) == []
    c = _profile(["vpn:ss", "vpn:socks"])
    d = _profile(["vpn:socks", "vpn:ss"])
    assert verdict_differences(c, d) == []
    # Across classes, or a path more or less, still differs.
    assert verdict_differences(a, _profile(["vpn:ss", "vpn:socks", "tor:x", "direct"])) != []
    assert verdict_differences(c, _profile(["vpn:ss"])) != []
    assert verdict_differences(_profile(["vpn:ss"]), _profile(["vpn:socks"])) != []


def _typed(data: dict[str, Any]) -> Profile:
    """A hand-made profile dict as the typed profile (the parts a test leaves out filled in)."""
    return Profile.from_json({"schema": SCHEMA, "network": {}, "interception": [], **data}, "test")
