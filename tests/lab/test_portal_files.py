"""The lab's portal parts without root: ``[censor.portal]`` and its capture rule, the portal and
detection services' configuration, ``[expect.portal]`` / ``[expect.advice]`` / a path's ``reason``
(parsing, passes and failures), and the portal in reference-profile verdicts."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest

from pathprobe.errors import BadInput
from pathprobe.lab import certs as labcerts
from pathprobe.lab import world as w
from pathprobe.lab.censor import ruleset
from pathprobe.lab.expect import compare, verdict_differences, verdicts
from pathprobe.lab.lifecycle import services_for
from pathprobe.lab.scenario import load, parse
from pathprobe.lab.servers.pki import CA
from pathprobe.lab.servers.portal import QAZNET_SHA256, qaznet_root_pem
from pathprobe.lab.services.base import LabContext
from pathprobe.lab.services.detect import DetectServer
from pathprobe.lab.services.portal import Portal
from pathprobe.profile import SCHEMA, Profile

MINIMAL = '''
title = "t"
plan = """
[[probe]]
kind = "direct"
sites = ["www.socialnet.test"]
"""
[expect]
recommendation = "vpn:proxy"
'''
LAB_ROOT = "ab" * 32


def _with(censor: str = "", expect: str = "") -> str:
    return MINIMAL.replace("[expect]", censor + "\n[expect]") + expect


def test_shipped_portal_scenarios() -> None:
    kz = load("kz-2019-portal")
    assert kz.censor.portal is not None and kz.censor.portal.offer == ("qaznet", "interceptor")
    assert kz.censor.intercept is not None and kz.trusts == ("public",)  # offered, not yet installed
    assert kz.expect.portal is not None and kz.expect.portal.offered_exact
    assert [o.sha256 for o in kz.expect.portal.offered] == [QAZNET_SHA256, None]
    # The Qaznet certificate the scenario names is the one pathprobe ships (and the portal serves).
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    der = x509.load_pem_x509_certificate(qaznet_root_pem()).public_bytes(Encoding.DER)
    assert hashlib.sha256(der).hexdigest() == QAZNET_SHA256
    wifi = load("captive-wifi")
    assert wifi.censor.portal is not None and wifi.censor.portal.offer == ()
    assert load("clean-portal").censor.portal is None
    assert {b.action for b in load("shutdown").censor.blocks} == {"drop"}
    assert {b.proto for b in load("shutdown").censor.blocks} == {"tcp", "udp"}
    doh = load("doh-blocked")
    assert [b.to for b in doh.censor.blocks] == [w.DOH_ADDR] and doh.censor.lies
    for name in ("kz-2019-portal", "clean-portal", "captive-wifi", "shutdown"):
        assert "portal" in load(name).kinds and "detect" in load(name).services


def test_portal_capture_rule_and_services() -> None:
    scn = parse(_with('[censor.portal]\noffer = ["qaznet"]'), "t", "t.toml")
    text = ruleset(scn.censor)
    assert f'iifname "r0" tcp dport 80 redirect to :{w.PORTAL_PORT} comment "portal capture"' in text
    assert "dport 443" not in text
    portal = [s for s in services_for(scn) if isinstance(s, Portal)]
    assert len(portal) == 1 and portal[0].offers == ["qaznet"] and portal[0].netns == w.CENSOR_NS
    plain = parse(MINIMAL, "t", "t.toml")
    assert "dport 80" not in ruleset(plain.censor)
    assert not any(isinstance(s, Portal) for s in services_for(plain))
    # The honest names and addresses the portal scenarios rely on.
    records = w.honest_records()
    assert records[w.DETECT_NAME] == w.DETECT_ADDR and records[w.PORTAL_NAME] == w.BLOCKPAGE_ADDR
    assert w.DETECT_ADDR in w.inet_addresses()


def _ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_interceptor: bool) -> LabContext:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    public = CA("pathprobe test public root")
    pem = tmp_path / "public.pem"
    pem.write_bytes(public.cert_pem())
    inter = (
        labcerts.interceptor(labcerts.RootSpec("Lab National Security Root", country="KZ"), None, tmp_path)
        if with_interceptor
        else None
    )
    return LabContext(tmp_path, public, pem, parse(MINIMAL, "t", "t.toml"), inter)


def test_portal_service_offers_the_root_certificate_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _ctx(tmp_path, monkeypatch, with_interceptor=True)
    work = tmp_path / "portal"
    work.mkdir()
    argv = Portal(["qaznet", "interceptor"]).prepare(ctx, work).argv
    assert argv[1:3] == ["-m", "pathprobe.lab.servers.portal"]
    assert argv[argv.index("--listen") + 1] == f"0.0.0.0:{w.PORTAL_PORT}"
    assert argv[argv.index("--name") + 1] == w.PORTAL_NAME
    assert argv[argv.index("--redirect-others") + 1] == f"http://{w.PORTAL_NAME}/"
    assert "--offer-qaznet" in argv and "--login" not in argv
    name, _, file = argv[argv.index("--offer") + 1].partition("=")
    assert name == "lab_root"
    offered = Path(file).read_bytes()
    assert ctx.interceptor is not None and offered == ctx.interceptor.root.cert_pem()
    assert b"PRIVATE KEY" not in offered
    login = Portal([]).prepare(ctx, work).argv
    assert "--login" in login and "--offer" not in login and "--offer-qaznet" not in login
    detect = DetectServer().prepare(ctx, work).argv
    assert detect[detect.index("--listen") + 1] == f"{w.DETECT_ADDR}:80"
    assert detect[detect.index("--answer") + 1] == f"{w.DETECT_PATH}={w.DETECT_TEXT}"
    with pytest.raises(ValueError, match="unknown portal offer 'gov'"):
        Portal(["gov"])


@pytest.mark.parametrize(
    ("censor", "expect", "message"),
    [
        ("[censor.portal]\n", "", "key 'censor.portal.offer': is required"),
        (
            '[censor.portal]\noffer = ["gov"]\n',
            "",
            "key 'censor.portal.offer': 'gov' is not one of qaznet, interceptor",
        ),
        ("[censor.portal]\noffer = []\nlogin = true\n", "", "key 'censor.portal.login': unknown key"),
        ('[censor.portal]\noffer = ["interceptor"]\n', "", "'interceptor' needs a [censor.intercept] table"),
        ("", "[expect.portal]\ndetected = 1\n", "key 'expect.portal.detected': must be true or false"),
        ("", '[expect.portal]\nhost = ""\n', "key 'expect.portal.host': must be a non-empty string"),
        ("", "[expect.portal]\nabsent = true\ndetected = false\n", "'absent = true' takes no other key"),
        (
            "",
            '[[expect.portal.offered]]\nsha256 = "XYZ"\n',
            "key 'expect.portal.offered[1].sha256': must be 64",
        ),
        (
            "",
            f'[[expect.portal.offered]]\nsha256 = "{LAB_ROOT}"\nroot = "interceptor"\n',
            "give at most one of 'sha256' or 'root'",
        ),
        (
            "",
            '[[expect.portal.offered]]\nroot = "interceptor"\n',
            "'interceptor' needs a [censor.intercept] table",
        ),
        ("", '[[expect.portal.offered]]\nover = "ftp"\n', "'ftp' is not one of http, https"),
        ("", '[[expect.portal.offered]]\nanchors_interception = "yes"\n', "must be true or false"),
        ("", '[expect.advice]\nsay = ["x"]\n', "key 'expect.advice.say': unknown key"),
        ("", '[expect.advice]\nsays = "x"\n', "key 'expect.advice.says': must be a list of strings"),
    ],
)
def test_bad_portal_tables_are_one_clear_error(censor: str, expect: str, message: str) -> None:
    with pytest.raises(BadInput) as exc:
        parse(_with(censor, expect), "bad", "bad.toml")
    assert message in str(exc.value)
    assert str(exc.value).startswith("bad.toml: ")


def _profile() -> dict[str, Any]:
    return {
        "network": {
            "connectivity": "portal",
            "portal": {
                "detected": True,
                "host": "portal.censor.test",
                "failure": None,
                "offered_certificates": [
                    {
                        "sha256": QAZNET_SHA256,
                        "spki_sha256": "0" * 64,
                        "subject": "CN=Qaznet Trust Network,C=KZ",
                        "known_as": "Qaznet Trust Network (KZ, 2019)",
                        "in_device_store": False,
                        "anchors_interception": False,
                        "over": "http",
                    },
                    {
                        "sha256": LAB_ROOT,
                        "spki_sha256": "1" * 64,
                        "subject": "CN=Lab National Security Root,C=KZ",
                        "known_as": None,
                        "in_device_store": False,
                        "anchors_interception": True,
                        "over": "http",
                    },
                ],
            },
        },
        "recommendation": {
            "path": "vpn:proxy",
            "ranked": ["vpn:proxy"],
            "advice": "Do not install them. Use the SOCKS proxy 'proxy'.",
            "cases": ["portal_offers_certificate", "interception_some_paths"],
        },
        "paths": [
            {
                "id": "doh:lab",
                "kind": "doh",
                "reachability": "blocked",
                "tls": "unverified",
                "reason": "the DoH resolver could not be reached (generic_timeout_error)",
                "targets": [],
            }
        ],
        "interception": [],
    }


KZ_EXPECT = """
[[expect.path]]
id = "doh:lab"
reason = "*could not be reached (generic_timeout_error)"
[expect.portal]
detected = true
host = "portal.censor.test"
failure = "none"
[[expect.portal.offered]]
sha256 = "QAZNET"
known_as = "Qaznet Trust Network (KZ, 2019)"
anchors_interception = false
in_device_store = false
over = "http"
subject_contains = "Qaznet"
[[expect.portal.offered]]
root = "interceptor"
known_as = "none"
anchors_interception = true
[expect.advice]
cases_include = ["portal_offers_certificate"]
cases_exclude = ["captive_portal"]
says = ["do not install", "SOCKS proxy 'proxy'"]
never_says = ["log in"]
""".replace("QAZNET", QAZNET_SHA256)


def _kz_expect() -> Any:
    return parse(_with('[censor.intercept]\nroot = { cn = "X" }\n', KZ_EXPECT), "t", "t.toml").expect


def test_portal_and_advice_expectations_pass() -> None:
    out = compare(_kz_expect(), _typed(_profile()), interceptor_root=LAB_ROOT)
    assert len(out) == 18 and all(o.ok for o in out), [o.line() for o in out if not o.ok]
    # Without the interception root's hash (a reference profile from another machine): by position.
    out = compare(_kz_expect(), _typed(_profile()), interceptor_root=None)
    assert all(o.ok for o in out) and any("offered certificate #2 (interceptor)" in o.what for o in out)


def test_portal_and_advice_expectations_fail() -> None:
    p = _profile()
    portal = p["network"]["portal"]
    portal["detected"] = None
    portal["host"] = None
    portal["failure"] = "generic_timeout_error"
    portal["offered_certificates"][0]["known_as"] = None
    portal["offered_certificates"][1]["anchors_interception"] = False
    p["recommendation"]["advice"] = "Log in first."
    p["recommendation"]["cases"] = ["captive_portal"]
    p["paths"][0]["reason"] = None
    lines = [o.line() for o in compare(_kz_expect(), _typed(p), interceptor_root=LAB_ROOT)]
    failed = [line for line in lines if line.startswith("FAIL")]
    assert (
        "FAIL  path doh:lab reason: expected *could not be reached (generic_timeout_error), got none" in lines
    )
    assert "FAIL  network.portal.detected: expected True, got none" in lines
    assert "FAIL  network.portal.host: expected portal.censor.test, got none" in lines
    assert "FAIL  network.portal.failure: expected none, got generic_timeout_error" in lines
    assert any(line.startswith(f"FAIL  offered certificate {QAZNET_SHA256[:16]} known_as") for line in lines)
    assert "FAIL  offered certificate interceptor anchors_interception: expected True, got False" in lines
    assert "FAIL  advice cases include: expected portal_offers_certificate, got [captive_portal]" in lines
    assert "FAIL  advice cases exclude: expected captive_portal, got [captive_portal]" in lines
    assert sum(line.startswith("FAIL  advice says") for line in lines) == 2
    assert any(line.startswith("FAIL  advice never says") for line in lines)
    assert len(failed) == 11, failed
    # Another interception root than the offered one: "not offered".
    lines = [o.line() for o in compare(_kz_expect(), _typed(_profile()), interceptor_root="cd" * 32)]
    assert "FAIL  offered certificate interceptor: expected offered, got not offered" in lines


def _failed(exp: Any, profile: dict[str, Any]) -> list[str]:
    return [o.line() for o in compare(exp, _typed(profile)) if not o.ok]


def test_offered_count_absent_and_missing_portal() -> None:
    none_offered = parse(
        _with(expect="[expect.portal]\ndetected = false\noffered = []\n"), "t", "t.toml"
    ).expect
    p = _profile()
    lines = [o.line() for o in compare(none_offered, _typed(p))]
    assert "FAIL  network.portal.offered_certificates (count): expected 0, got 2" in lines
    p["network"]["portal"].update(detected=False, offered_certificates=[])
    assert all(o.ok for o in compare(none_offered, _typed(p)))
    unknown = parse(_with(expect='[expect.portal]\ndetected = "none"\n'), "t", "t.toml").expect
    assert _failed(unknown, p) == ["FAIL  network.portal.detected: expected none, got False"]
    p["network"]["portal"]["detected"] = None
    assert all(o.ok for o in compare(unknown, _typed(p)))
    absent = parse(_with(expect="[expect.portal]\nabsent = true\n"), "t", "t.toml").expect
    assert _failed(absent, p) == ["FAIL  network.portal: expected none, got present"]
    p["network"]["portal"] = None
    assert all(o.ok for o in compare(absent, _typed(p)))
    assert _failed(unknown, p) == ["FAIL  network.portal: expected present, got none"]


def test_reference_verdicts_include_the_portal_but_not_its_host_or_hashes() -> None:
    a = _profile()
    v = verdicts(_typed(a))["portal"]
    assert v == {
        "detected": True,
        "failure": None,
        "offered": [("-", False, True, "http"), ("Qaznet Trust Network (KZ, 2019)", False, False, "http")],
    }
    b = copy.deepcopy(a)
    b["network"]["portal"]["host"] = "another.portal.test"
    b["network"]["portal"]["offered_certificates"][1]["sha256"] = "ef" * 32  # another machine's lab root
    assert verdict_differences(_typed(a), _typed(b)) == []
    b["network"]["portal"]["offered_certificates"][1]["anchors_interception"] = False
    diffs = verdict_differences(_typed(a), _typed(b))
    assert len(diffs) == 1 and diffs[0].startswith("portal: reference")
    c = copy.deepcopy(a)
    c["network"]["portal"] = None
    assert verdict_differences(_typed(a), _typed(c))[0].startswith("portal: reference")


def _typed(data: dict[str, Any]) -> Profile:
    """A hand-made profile dict as the typed profile (the parts a test leaves out filled in)."""
    return Profile.from_json({"schema": SCHEMA, "network": {}, "interception": [], **data}, "test")
