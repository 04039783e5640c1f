"""The portal and offline scenarios in the real lab (root): the censor's capture, the portal's page and
certificate files and the honest detection URL measured with plain clients from inside the client
namespace; then, from the very profiles ``lab check`` produced, what issue 11 and issue 4 call done
(the portal, both offered certificates, the interception finding, the advice; connectivity offline;
a blocked DoH path without invented DNS tampering)."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pathprobe.lab import world as w
from pathprobe.lab.servers.portal import QAZNET_SHA256, qaznet_root_pem

from .conftest import LabRunner, assert_clean, need_kinds

pytestmark = pytest.mark.lab
PROBE = Path(__file__).with_name("client_probe.py")


def client(lab: LabRunner, *pairs: tuple[str, str]) -> list[dict[str, Any]]:
    """Measure ``(what, arg)`` pairs from inside the client namespace (one process, concurrently)."""
    state = lab.state_json()
    assert state is not None
    argv = [a for pair in pairs for a in pair]
    cp = subprocess.run(
        ["ip", "netns", "exec", w.CLIENT_NS, sys.executable, str(PROBE), state["run_dir"], *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=lab.env,
        check=False,
    )
    assert cp.returncode == 0, cp.stderr
    result = json.loads(cp.stdout)
    return [result] if len(pairs) == 1 else list(result)


def body(r: dict[str, Any]) -> bytes:
    return base64.b64decode(r["body"])


# ------------------------------------------------------------------------------ services


def test_portal_captures_plain_http_and_offers_both_roots(clean_lab: LabRunner) -> None:
    lab = clean_lab
    up = lab.run("up", "kz-2019-portal")
    assert up.rc == 0, up.text()
    state = lab.state_json()
    assert state is not None
    portal = f"http://{w.PORTAL_NAME}"
    captured = (
        "http://www.socialnet.test/",
        "http://detectportal.test/success.txt",
        f"http://{w.DNS_ADDR}/x",
    )
    *redirects, page, qaz, lab_file, forged, real = client(
        lab,
        *(("http", url) for url in captured),
        ("http", f"{portal}/"),
        ("http", f"{portal}/certs/qaznet.cer"),
        ("http", f"{portal}/certs/lab_root.pem"),
        ("direct", "www.socialnet.test"),
        ("direct", "www.tube.test"),
    )
    # Every plain-HTTP request, whatever its destination, is sent to the portal page...
    for url, r in zip(captured, redirects, strict=True):
        assert r["failure"] is None and r["status"] == 302, (url, r)
        assert r["location"] == f"{portal}/", (url, r)
    # ...which links every offered root as .cer, .pem and .p7b, over plain HTTP.
    assert page["status"] == 200
    html = body(page).decode()
    for name in ("qaznet", "lab_root"):
        for ext in ("cer", "pem", "p7b"):
            assert f'href="/certs/{name}.{ext}"' in html
    assert "Qaznet Trust Network" in html and "Lab National Security Root" in html
    # The Qaznet file is the real, public 2019 root that pathprobe ships...
    assert qaz["type"] == "application/x-x509-ca-cert"
    assert hashlib.sha256(body(qaz)).hexdigest() == QAZNET_SHA256
    assert body(qaz) == x509.load_pem_x509_certificate(qaznet_root_pem()).public_bytes(Encoding.DER)
    # ...and the lab root is exactly the scenario's interception root (the certificate, no key).
    lab_pem = body(lab_file)
    assert b"PRIVATE KEY" not in lab_pem
    root = x509.load_pem_x509_certificate((Path(state["run_dir"]) / "interceptor-root.pem").read_bytes())
    assert x509.load_pem_x509_certificate(lab_pem) == root
    assert hashlib.sha256(root.public_bytes(Encoding.DER)).hexdigest() == state["interceptor_root"]
    # HTTPS to the listed sites is intercepted under that root (captured, not verified here); the
    # others are not touched.
    assert [c["subject"] for c in forged["chain"][1:]] == [
        "CN=Security Certificate,C=KZ",
        "CN=Lab National Security Root,C=KZ",
    ], forged
    assert forged["chain"][0]["issuer"] == "CN=Security Certificate,C=KZ"
    assert real["failure"] is None and "pathprobe lab Public Root" in real["chain"][0]["issuer"]
    assert lab.run("down").rc == 0
    assert_clean()


def test_honest_detection_url_and_login_portal(clean_lab: LabRunner) -> None:
    lab = clean_lab
    detect = f"http://{w.DETECT_NAME}{w.DETECT_PATH}"
    assert lab.run("up", "clean-portal").rc == 0
    honest, no_portal = client(lab, ("http", detect), ("http", f"http://{w.PORTAL_NAME}/"))
    assert honest["status"] == 200 and body(honest) == f"{w.DETECT_TEXT}\n".encode(), honest
    assert no_portal["failure"] == "connection_refused"  # nothing captures port 80 here
    assert lab.run("down").rc == 0

    assert lab.run("up", "captive-wifi").rc == 0
    r, page, https = client(
        lab, ("http", detect), ("http", f"http://{w.PORTAL_NAME}/"), ("direct", "www.bank.test")
    )
    assert r["status"] == 302 and r["location"] == f"http://{w.PORTAL_NAME}/"
    html = body(page).decode()
    assert "<form" in html and "/certs/" not in html
    assert https["failure"] == "connection_refused"  # until the guest logs in
    assert lab.run("down").rc == 0
    assert_clean()


def test_shutdown_and_doh_blocked_services(clean_lab: LabRunner) -> None:
    lab = clean_lab
    assert lab.run("up", "shutdown").rc == 0
    dns, http, https = client(
        lab,
        ("do53", "www.bank.test"),
        ("http", f"http://{w.DETECT_ADDR}{w.DETECT_PATH}"),
        ("direct", w.SITE_BY_NAME["www.bank.test"].address),
    )
    assert dns == {"failure": "generic_timeout_error"}
    assert http == {"failure": "generic_timeout_error"}
    assert https["failure"] == "generic_timeout_error"
    assert lab.run("down").rc == 0

    assert lab.run("up", "doh-blocked").rc == 0
    lie, nx, doh, bank = client(
        lab,
        ("do53", "www.socialnet.test"),
        ("do53", "news.freepress.test"),
        ("direct", w.DOH_ADDR),
        ("direct", "www.bank.test"),
    )
    assert lie == {"addresses": [w.BLOCKPAGE_ADDR]}  # the resolver still lies
    assert nx == {"failure": "dns_nxdomain_error"}
    assert doh["failure"] == "generic_timeout_error"  # DoH's address is dropped
    assert bank["failure"] is None
    assert lab.run("down").rc == 0
    assert_clean()


# ------------------------------------------------------------------------------ profiles


def _check(lab: LabRunner, scenario: str) -> dict[str, Any]:
    need_kinds(scenario)
    cli, profile = lab.check(scenario)
    assert profile is not None, cli.text()
    return profile


def _path(profile: dict[str, Any], pid: str) -> dict[str, Any]:
    return next(p for p in profile["paths"] if p["id"] == pid)


def test_kz_2019_portal_profile(lab: LabRunner) -> None:
    p = _check(lab, "kz-2019-portal")
    assert p["network"]["connectivity"] == "portal"
    portal = p["network"]["portal"]
    assert portal["detected"] is True and portal["host"] == w.PORTAL_NAME
    offered = {c["sha256"]: c for c in portal["offered_certificates"]}
    assert len(offered) == 2
    qaz = offered.pop(QAZNET_SHA256)
    assert qaz["known_as"] == "Qaznet Trust Network (KZ, 2019)" and not qaz["anchors_interception"]
    (lab_root,) = offered.values()
    assert lab_root["anchors_interception"] is True and lab_root["known_as"] is None
    assert all(c["over"] == "http" and c["in_device_store"] is False for c in portal["offered_certificates"])
    findings = {f["host"]: f for f in p["interception"]}
    assert set(findings) == {"www.socialnet.test", "news.freepress.test"}
    for f in findings.values():
        assert "portal_offered_root" in f["signals"] and f["root_sha256"] == lab_root["sha256"]
    assert p["recommendation"]["path"] == "vpn:proxy"
    advice = p["recommendation"]["advice"]
    assert "Do not install them" in advice and "Qaznet Trust Network (KZ, 2019)" in advice
    assert "plain HTTP" in advice and "the SOCKS proxy 'proxy'" in advice


def test_clean_portal_profile(lab: LabRunner) -> None:
    p = _check(lab, "clean-portal")
    assert p["network"]["connectivity"] == "online"
    assert p["network"]["portal"] == {
        "detected": False,
        "host": None,
        "offered_certificates": [],
        "failure": None,
    }
    assert p["interception"] == [] and p["recommendation"]["ranked"] == ["vpn:proxy", "direct"]


def test_captive_wifi_profile(lab: LabRunner) -> None:
    p = _check(lab, "captive-wifi")
    assert p["network"]["connectivity"] == "portal"
    assert p["network"]["portal"]["detected"] is True and p["network"]["portal"]["offered_certificates"] == []
    assert p["interception"] == []
    advice = p["recommendation"]["advice"]
    assert "log in" in advice and "censored" not in advice and "blocked" not in advice
    assert p["recommendation"]["cases"] == ["captive_portal"]


def test_shutdown_profile(lab: LabRunner) -> None:
    p = _check(lab, "shutdown")
    assert p["network"]["connectivity"] == "offline"
    assert p["network"]["portal"]["detected"] is None and p["network"]["portal"]["failure"]
    assert {q["reachability"] for q in p["paths"]} == {"blocked"}
    assert p["recommendation"]["path"] is None
    assert p["recommendation"]["cases"] == ["offline"] and "offline" in p["recommendation"]["advice"]


def test_doh_blocked_profile(lab: LabRunner) -> None:
    p = _check(lab, "doh-blocked")
    doh = _path(p, "doh:lab")
    assert doh["reachability"] == "blocked" and doh["tls"] == "unverified"
    assert doh["reason"] == "the DoH resolver could not be reached (generic_timeout_error)"
    # No DoH witness, but the hijack answers plain DNS sent to the dropped DoH address (case kept):
    # dns_tampering from the Do53 evidence alone, on the lied-about sites only.
    do53 = [o for o in p["observations"] if o["step"] == "dns" and o["path"] == "doh:lab"]
    assert do53 and all(o["failure"] is None and o["detail"]["case_kept"] is True for o in do53)
    tampered = {t["target"] for q in p["paths"] for t in q["targets"] if "dns_tampering" in t["signals"]}
    assert tampered == {"www.socialnet.test", "www.tube.test", "news.freepress.test"}
    assert all("DoH connection to that address failed" in t["note"]
               for t in _path(p, "direct")["targets"] if t["target"] in tampered)
    assert {f["host"] for f in p["interception"]} == {"www.socialnet.test", "www.tube.test"}
    assert p["recommendation"]["path"] is None
