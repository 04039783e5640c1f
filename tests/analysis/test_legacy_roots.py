"""Formerly public roots are not interceptors (DESIGN "Precise rules"): real local handshakes with lab
roots playing a retired public root, a root removed for cause, a root with a distrust-after date and
an interception root the device trusts, all in one check; the CLI option; the cross-path rule."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from pathprobe.analysis.pipeline import analyse
from pathprobe.analysis.roots import (
    FOR_CAUSE,
    RETIRED,
    KnownRoot,
    KnownRoots,
    LegacyRoot,
    LegacyRoots,
    RootSet,
    cert_sha256,
    spki_sha256,
)
from pathprobe.analysis.verdicts import Roots
from pathprobe.errors import BadInput
from pathprobe.lab.servers.pki import CA
from pathprobe.model import PathMeasurement, TargetMeasurement
from pathprobe.net.tls import cert_info
from pathprobe.planfields import Entry, parse_hostport
from pathprobe.probes.base import RunContext
from pathprobe.probes.direct import DirectProbe
from pathprobe.trust import legacy_roots
from tests.servers import https_server, write_roots

PAST = dt.datetime(2019, 6, 1, tzinfo=dt.UTC)


def legacy_entry(ca: CA, reason: str, distrust_after: dt.date | None = None) -> LegacyRoot:
    return LegacyRoot(spki_sha256(ca.cert), cert_sha256(ca.cert), ca.cert.subject.rfc4514_string(), "2023-07-22",
                      reason, distrust_after, "test")


class Pki:
    """A public root, three formerly public roots and an interceptor, all trusted by the device."""

    def __init__(self) -> None:
        self.public = CA("Test Public Root", "Test Web PKI")
        self.retired = CA("Old Public Root CA", "Old Trust Inc", not_before=PAST, days=9000)
        self.for_cause = CA("Misissuing Root CA", "Bad Trust Ltd", not_before=PAST, days=9000)
        self.dated = CA("Distrusted Later Root", "Late Trust", not_before=PAST, days=9000)
        self.mitm = CA("Corporate Inspection Root", "Middlebox Inc")
        self.known = CA("Test Known Root", "Known Interceptors")

    def device(self) -> list[CA]:
        return [self.public, self.retired, self.for_cause, self.dated, self.mitm, self.known]


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture()
def sites(pki: Pki, tmp_path: Path) -> Iterator[dict[str, int]]:
    """One real HTTPS server per role, each with a name in a hosts file."""
    issued = {
        "intact.test": pki.public.issue("intact.test"),
        "old.test": pki.retired.issue("old.test"),
        "old-before.test": pki.dated.issue("old-before.test", not_before=PAST, days=9000),
        "late.test": pki.dated.issue("late.test"),  # issued now, after the distrust date
        "bad.test": pki.for_cause.issue("bad.test"),
        "mitm.test": pki.mitm.issue("mitm.test"),
        "known.test": pki.known.issue("known.test"),
    }
    with ExitStack() as stack:
        ports = {h: stack.enter_context(https_server(i, tmp_path)) for h, i in issued.items()}
        hosts = tmp_path / "hosts"
        hosts.write_text("".join(f"127.0.0.1 {h}\n" for h in ports))
        old = os.environ.get("PATHPROBE_HOSTS")
        os.environ["PATHPROBE_HOSTS"] = str(hosts)
        try:
            yield ports
        finally:
            if old is None:
                os.environ.pop("PATHPROBE_HOSTS", None)
            else:
                os.environ["PATHPROBE_HOSTS"] = old


def check(pki: Pki, ports: dict[str, int], legacy: LegacyRoots, known: KnownRoots | None = None) -> dict[str, Any]:
    """One real check of every site over the direct path, analysed with these root sets."""
    entry = Entry({"kind": "direct", "sites": [f"{h}:{p}" for h, p in ports.items()]}, "plan.toml", 1)
    probe = DirectProbe.from_plan(entry)
    ctx = RunContext(timeout=3, sites=[parse_hostport(f"{h}:{p}") for h, p in ports.items()], controls=[])
    result = asyncio.run(probe.run(ctx))
    roots = Roots(
        public=RootSet.of("public", [pki.public.cert], "test"),
        device=RootSet.of("device", [c.cert for c in pki.device()], "/etc/ssl/certs/ca-certificates.crt"),
        known=known or KnownRoots(()),
        legacy=legacy,
    )
    return analyse(result.paths, None, roots).to_dict()


def targets(profile: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["target"].split(":")[0]: t for t in profile["paths"][0]["targets"]}


def test_each_role_in_one_check(pki: Pki, sites: dict[str, int]) -> None:
    legacy = LegacyRoots.of([
        legacy_entry(pki.retired, RETIRED),
        legacy_entry(pki.for_cause, FOR_CAUSE),
        legacy_entry(pki.dated, RETIRED, dt.date(2020, 1, 1)),
    ])
    known = KnownRoots((KnownRoot("Test Known Root", "2026", "ZZ", cert_sha256(pki.known.cert),
                                  spki_sha256(pki.known.cert), ""),))
    prof = check(pki, sites, legacy, known)
    ts = targets(prof)
    verdict = {h: (t["reachability"], t["tls"], t["failure"], t["signals"]) for h, t in ts.items()}
    assert verdict["intact.test"] == ("reachable", "intact", None, [])
    # A retired public root: reached, intact, never interception.
    assert verdict["old.test"] == ("reachable", "intact", None, ["legacy_public_root"])
    assert verdict["old-before.test"] == ("reachable", "intact", None, ["legacy_public_root"])
    assert ts["old.test"]["legacy_root"]["subject"] == pki.retired.cert.subject.rfc4514_string()
    assert ts["old.test"]["legacy_root"]["reason"] == "retired"
    # Removed for cause, or a leaf issued after the distrust date: reached, not verified, not interception.
    assert verdict["bad.test"] == ("reachable", "unverified", None, ["distrusted_root"])
    assert verdict["late.test"] == ("reachable", "unverified", None, ["distrusted_root"])
    assert "removed for cause" in ts["bad.test"]["note"]
    assert ts["late.test"]["legacy_root"]["distrust_after"] == "2020-01-01"
    # An interception root the device trusts, and a known one, stay interception.
    assert verdict["mitm.test"] == ("reachable", "intercepted", None, ["device_trusted_not_public"])
    assert verdict["known.test"][:2] == ("reachable", "intercepted")
    assert "known_interception_root" in verdict["known.test"][3]
    assert sorted(f["host"] for f in prof["interception"]) == ["known.test", "mitm.test"]
    path = prof["paths"][0]
    assert (path["reachability"], path["tls"]) == ("reachable", "intercepted")
    rec = prof["recommendation"]
    assert {"legacy_public_root", "distrusted_root"} <= set(rec["cases"])
    advice = rec["advice"]
    assert "Old Public Root CA" in advice and "not a sign of interception" in advice
    assert "remove 'Old Public Root CA'" not in advice and "Misissuing Root CA" in advice


def test_without_the_legacy_set_a_retired_root_looks_like_interception(pki: Pki, sites: dict[str, int]) -> None:
    """The rule is what makes the difference: the same handshake without it is (wrongly) interception."""
    prof = check(pki, {"old.test": sites["old.test"]}, LegacyRoots())
    t = targets(prof)["old.test"]
    assert (t["tls"], t["signals"]) == ("intercepted", ["device_trusted_not_public"])


def test_a_known_interception_root_is_never_retired(pki: Pki, sites: dict[str, int]) -> None:
    legacy = LegacyRoots.of([legacy_entry(pki.known, RETIRED)])
    known = KnownRoots((KnownRoot("Test Known Root", "2026", "ZZ", cert_sha256(pki.known.cert),
                                  spki_sha256(pki.known.cert), ""),))
    t = targets(check(pki, {"known.test": sites["known.test"]}, legacy, known))["known.test"]
    assert t["tls"] == "intercepted"
    assert "legacy_public_root" not in t["signals"] and "known_interception_root" in t["signals"]


def test_only_retired_sites_leave_the_network_clean(pki: Pki, sites: dict[str, int]) -> None:
    legacy = LegacyRoots.of([legacy_entry(pki.retired, RETIRED)])
    prof = check(pki, {h: sites[h] for h in ("intact.test", "old.test")}, legacy)
    rec = prof["recommendation"]
    assert rec["path"] == "direct"
    assert rec["cases"] == ["clean", "legacy_public_root"]
    assert rec["advice"].startswith("No interception or blocking was seen")
    assert prof["interception"] == []


# --- the cross-path rule still judges a retired root --------------------------------------------


def test_a_contradicted_retired_root_is_still_judged_by_cross_path_mismatch(pki: Pki) -> None:
    """Same name, another key, publicly valid on another path: cross_path_mismatch, whatever the root."""
    from pathprobe.model import TlsEvidence

    def measured(path: str, ca: CA) -> PathMeasurement:
        issued = ca.issue("old.test")
        chain = (cert_info(issued.cert.public_bytes(Encoding.DER)),)
        tls = TlsEvidence("old.test", "TLSv1.3", "", None, chain)
        target = TargetMeasurement(target="old.test", role="site", observations=(), tls=tls, latency_ms=5.0)
        return PathMeasurement(id=path, kind=path.split(":")[0], targets=(target,))

    roots = Roots(
        public=RootSet.of("public", [pki.public.cert], "test"),
        device=RootSet.of("device", [pki.public.cert, pki.retired.cert], "test"),
        known=KnownRoots(()),
        legacy=LegacyRoots.of([legacy_entry(pki.retired, RETIRED)]),
    )
    prof = analyse([measured("direct", pki.retired), measured("vpn:far", pki.public)], None, roots).to_dict()
    direct = prof["paths"][0]["targets"][0]
    assert direct["tls"] == "intercepted"
    assert direct["signals"] == ["cross_path_mismatch", "legacy_public_root"]


# --- the CLI ---------------------------------------------------------------------------------------


def run_cli(tmp: Path, plan: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp / "plan.toml").write_text(plan)
    return subprocess.run(
        [sys.executable, "-m", "pathprobe", "check", "--plan", str(tmp / "plan.toml"), *args],
        capture_output=True, text=True, env=dict(os.environ), timeout=120, check=False,
    )


def test_cli_legacy_public_roots(pki: Pki, sites: dict[str, int], tmp_path: Path) -> None:
    plan = f'[[probe]]\nkind = "direct"\nsites = ["old.test:{sites["old.test"]}", "mitm.test:{sites["mitm.test"]}"]\n'
    write_roots(tmp_path / "public.pem", pki.public)
    write_roots(tmp_path / "device.pem", pki.public, pki.retired, pki.mitm)
    write_roots(tmp_path / "legacy.pem", pki.retired)
    base = ["--json", "--accept-risk", "--public-roots", str(tmp_path / "public.pem"), "--device-roots",
            str(tmp_path / "device.pem"), "--timeout", "3"]
    with_rule = run_cli(tmp_path, plan, *base, "--legacy-public-roots", str(tmp_path / "legacy.pem"))
    assert with_rule.returncode == 0, with_rule.stderr
    ts = targets(json.loads(with_rule.stdout))
    assert (ts["old.test"]["tls"], ts["old.test"]["signals"]) == ("intact", ["legacy_public_root"])
    assert (ts["mitm.test"]["tls"], ts["mitm.test"]["signals"]) == ("intercepted", ["device_trusted_not_public"])
    without = run_cli(tmp_path, plan, *base)
    assert targets(json.loads(without.stdout))["old.test"]["tls"] == "intercepted"


def test_cli_legacy_public_roots_bad_file(tmp_path: Path) -> None:
    (tmp_path / "bad.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    plan = '[[probe]]\nkind = "direct"\nsites = ["a.test"]\n'
    for arg in (str(tmp_path / "bad.pem"), str(tmp_path / "missing.pem")):
        r = run_cli(tmp_path, plan, "--accept-risk", "--legacy-public-roots", arg)
        assert r.returncode == 2
        assert "--legacy-public-roots" in r.stderr and "Traceback" not in r.stderr


def test_trust_audit_counts_retired_roots(pki: Pki, tmp_path: Path) -> None:
    """``trust audit --legacy-public-roots``: a lab root passed as retired is counted, not listed."""
    write_roots(tmp_path / "device.pem", pki.public, pki.retired, pki.known)
    write_roots(tmp_path / "legacy.pem", pki.retired)
    r = subprocess.run(
        [sys.executable, "-m", "pathprobe", "trust", "audit", "--json", "--device-roots",
         str(tmp_path / "device.pem"), "--legacy-public-roots", str(tmp_path / "legacy.pem")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["retired_public_roots"] == 1 and out["removed_for_cause"] == []


def test_trust_audit_lists_roots_removed_for_cause() -> None:
    """Removed-for-cause roots the device trusts are listed; retired ones only counted."""
    from pathprobe.analysis.roots import audit_legacy

    bad, old = CA("Misissuing Root CA"), CA("Old Public Root CA")
    device = RootSet.of("device", [bad.cert, old.cert], "test")
    legacy = LegacyRoots.of([legacy_entry(bad, FOR_CAUSE), legacy_entry(old, RETIRED)])
    listed, retired = audit_legacy(device, legacy, KnownRoots(()))
    assert [x["subject"] for x in listed] == [bad.cert.subject.rfc4514_string()] and retired == 1


# --- pure pieces -----------------------------------------------------------------------------------


def test_distrust_rules() -> None:
    retired = LegacyRoot("a" * 64, "b" * 64, "CN=x", "2020-01-01", RETIRED, None, "t")
    dated = LegacyRoot("a" * 64, "b" * 64, "CN=x", "", RETIRED, dt.date(2024, 11, 30), "t")
    cause = LegacyRoot("a" * 64, "b" * 64, "CN=x", "", FOR_CAUSE, None, "t")
    assert not retired.distrusts("2025-01-01T00:00:00+00:00")
    assert not dated.distrusts("2024-11-30T12:00:00+00:00")
    assert dated.distrusts("2024-12-01T00:00:00+00:00")
    assert dated.distrusts("")  # an unreadable issue date cannot be shown to come first
    assert cause.distrusts("2001-01-01T00:00:00+00:00")


def test_legacy_file_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathprobe.analysis import roots

    bad_rows = [
        "spki_sha256\tsha256\tsubject\tleft\treason\tdistrust_after\tsource\n" + "a" * 64 + "\t" + "b" * 64
        + "\tCN=x\t\tmaybe\t\tt\n",
        "spki_sha256\tsha256\tsubject\tleft\treason\tdistrust_after\tsource\n" + "a" * 64 + "\t" + "b" * 64
        + "\tCN=x\t\tretired\tsoon\tt\n",
        "spki_sha256\tsubject\n" + "a" * 64 + "\tCN=x\n",
    ]
    for text in bad_rows:
        with pytest.raises(BadInput):
            roots.parse_legacy(text, "x.tsv")



def test_shipped_file_loads_through_the_loader() -> None:
    shipped = legacy_roots()
    assert any(e.for_cause for e in shipped.entries) and any(not e.for_cause for e in shipped.entries)
    some = shipped.entries[0]
    assert shipped.match(some.sha256, "") is some and shipped.match("0" * 64, some.spki_sha256) is some
