"""Golden cases for the pure DNS tampering analysis (tests/doh/golden/dns_tampering.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pathprobe.analysis.dns import address_ip, dns_tampering_hook, is_bogon
from pathprobe.analysis.signals import TargetEvidence
from pathprobe.analysis.validate import Validation
from pathprobe.model import CertInfo, Observation, PathMeasurement, TargetMeasurement, TlsEvidence

GOLDEN = Path(__file__).parent / "golden" / "dns_tampering.json"
CASES = json.loads(GOLDEN.read_text("utf-8"))["cases"]
HOST = "site.example"

_CERT = CertInfo(b"x", "00", "11", f"CN={HOST}", "CN=CA", "", "", (HOST,), False)


def _tls(host: str) -> TlsEvidence:
    return TlsEvidence(sni=host, version="TLSv1.3", cipher="", alpn=None, chain=(_CERT,))


def _validations(kind: str | None) -> tuple[Validation | None, Validation | None]:
    if kind is None:
        return None, None
    if kind == "valid":
        return Validation(True, None, "aa"), Validation(True, None, "aa")
    if kind == "device":
        return Validation(False, "ssl_unknown_authority"), Validation(True, None, "bb")
    return Validation(False, "ssl_unknown_authority"), Validation(False, "ssl_unknown_authority")


def _obs(path: str, step: str, failure: str | None = None, address: str | None = None,
         detail: dict[str, Any] | None = None) -> Observation:
    return Observation(path, HOST, step, 0.0, 1.0, failure, address, detail or {})  # type: ignore[arg-type]


def _direct(spec: dict[str, Any]) -> TargetEvidence:
    obs: list[Observation] = []
    dns = spec.get("dns")
    if dns is not None:
        detail: dict[str, Any] = {"resolver": dns.get("resolver", "system")}
        if "answers" in dns:
            detail["answers"] = dns["answers"]
        obs.append(_obs("direct", "dns", dns.get("failure"), detail=detail))
    if spec.get("connected"):
        a = spec["connected"]
        obs.append(_obs("direct", "tcp", address=f"[{a}]:443" if ":" in a else f"{a}:443"))
    elif dns is not None and "answers" in dns:
        obs.append(_obs("direct", "tcp", spec.get("failure"), address=",".join(dns["answers"]) + ":443"))
    host = HOST if dns is not None else (spec.get("connected") or HOST)
    tls = _tls(host) if spec.get("chain") else None
    tm = TargetMeasurement(host, "site", tuple(obs), tls=tls, failure=None if tls else spec.get("failure") or
                           (dns or {}).get("failure"))
    pub, dev = _validations(spec.get("chain"))
    path = PathMeasurement("direct", "direct", (tm,))
    return TargetEvidence(path, tm, pub, dev, set(spec.get("signals", [])))


def _resolver_obs(pid: str, spec: dict[str, Any]) -> list[Observation]:
    """The resolver target's TCP attempts (``tcp``) and plain-DNS answers (``do53``), when given."""
    obs = [Observation(pid, f"{t['address']}:443", "tcp", 0.0, 1.0, t.get("failure"), f"{t['address']}:443", {})
           for t in spec.get("tcp", [])]
    for d in spec.get("do53", []):
        detail: dict[str, Any] = {"resolver": f"do53:{d['server']}", "protocol": "udp"}
        if d.get("failure") is None:
            detail.update(query=d.get("sent", "SiTe.example"), echoed=d.get("echoed", d.get("sent", "SiTe.example")),
                          case_kept=d.get("case_kept", True), rcode=d.get("rcode", "NOERROR"),
                          answers=d.get("answers", []))
        obs.append(Observation(pid, d.get("host", HOST), "dns", 0.0, 1.0, d.get("failure"), f"{d['server']}:53",
                               detail))
    return obs


def _doh(i: int, spec: dict[str, Any]) -> list[TargetEvidence]:
    pid = f"doh:r{i}"
    res_obs = tuple(_resolver_obs(pid, spec))
    if spec["resolver"] == "blocked":  # the DoH connection failed: no chain, its sites untested
        res_tm = TargetMeasurement(f"r{i}.example", "resolver", res_obs, failure="generic_timeout_error")
        site = TargetMeasurement(HOST, "site", (), reachability="unknown")
        path = PathMeasurement(pid, "doh", (res_tm, site))
        return [TargetEvidence(path, res_tm, None, None), TargetEvidence(path, site, None, None)]
    res_pub, res_dev = _validations(spec["resolver"])
    res_tm = TargetMeasurement(f"r{i}.example", "resolver", res_obs, tls=_tls(f"r{i}.example"))
    rcode = "NOERROR" if spec["answers"] else None
    detail = {"resolver": f"r{i}", "answers": spec["answers"], "rcode": rcode}
    obs = [_obs(pid, "doh", spec.get("failure"), address="127.0.0.1:443", detail=detail)]
    tls = _tls(HOST) if spec.get("chain") else None
    site_tm = TargetMeasurement(HOST, "site", tuple(obs), tls=tls)
    path = PathMeasurement(pid, "doh", (res_tm, site_tm))
    pub, dev = _validations(spec.get("chain"))
    return [TargetEvidence(path, res_tm, res_pub, res_dev), TargetEvidence(path, site_tm, pub, dev)]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden(case: dict[str, Any]) -> None:
    direct = _direct(case["direct"])
    items = [direct]
    for i, spec in enumerate(case["doh"]):
        items.extend(_doh(i, spec))
    before = [set(ev.signals) for ev in items]
    dns_tampering_hook(items)
    assert sorted(direct.signals) == sorted(case["expect"]["signals"])
    note = direct.target.note or ""
    for words in case["expect"].get("note", []):
        assert words in note
    if "dns_tampering" not in direct.signals:
        assert note == ""
    for ev, was in zip(items[1:], before[1:], strict=True):
        assert ev.signals == was, "the hook only marks the direct path's targets"


def test_hook_is_idempotent_and_keeps_existing_note() -> None:
    case = next(c for c in CASES if c["name"] == "poisoned_to_impostor_with_invalid_chain")
    direct = _direct(case["direct"])
    direct.target = TargetMeasurement(**{**direct.target.__dict__, "note": "earlier note"})
    items = [direct, *_doh(0, case["doh"][0])]
    dns_tampering_hook(items)
    assert direct.target.note is not None
    assert direct.target.note.startswith("earlier note; dns_tampering: ")


@pytest.mark.parametrize(
    ("addr", "bogon"),
    [("10.1.2.3", True), ("172.31.0.1", True), ("192.168.0.1", True), ("127.0.0.2", True), ("0.0.0.0", True),
     ("169.254.1.1", True), ("100.64.0.1", True), ("::1", True), ("::", True), ("fd00::1", True),
     ("fe80::1", True), ("::ffff:10.0.0.1", True), ("8.8.8.8", False), ("172.32.0.1", False),
     ("198.51.100.1", False), ("203.0.113.9", False), ("2001:db8::1", False), ("2606:4700::1111", False),
     ("not-an-address", False)],
)
def test_bogons(addr: str, bogon: bool) -> None:
    assert is_bogon(addr) is bogon


def test_address_ip() -> None:
    assert address_ip("1.2.3.4:443") == "1.2.3.4"
    assert address_ip("[::1]:8443") == "::1"
    assert address_ip(None) is None
