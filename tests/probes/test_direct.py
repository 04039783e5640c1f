"""The direct probe end to end: `pathprobe check --json` against real local TLS servers."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from pathprobe.analysis.roots import cert_sha256, spki_sha256
from pathprobe.lab.servers.pki import CA
from tests.servers import closed_port, hostile_server, https_server, write_roots


def run_check(tmp: Path, plan: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    plan_file = tmp / "plan.toml"
    plan_file.write_text(plan)
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pathprobe", "check", "--plan", str(plan_file), *args],
        capture_output=True, text=True, env=full_env, timeout=120, check=False,
    )


class World:
    """CAs, servers and files for one scenario on loopback."""

    def __init__(self, tmp: Path, stack: ExitStack) -> None:
        self.tmp = tmp
        self.public = CA("Test Public Root", "Test Web PKI")
        self.public_inter = CA("Test Public Issuing CA", "Test Web PKI", parent=self.public)
        self.mitm = CA("Corporate Inspection Root", "Middlebox Inc")
        self.known = CA("Test Known Root", "Known Interceptors")
        self.untrusted = CA("Untrusted Interceptor Root")
        self.hosts: dict[str, int] = {}
        self.stack = stack

    def serve(self, name: str, issued: Any, extra: list[bytes] | None = None) -> None:
        self.hosts[name] = self.stack.enter_context(https_server(issued, self.tmp, extra))

    def write(self) -> dict[str, str]:
        hosts = self.tmp / "hosts"
        hosts.write_text("".join(f"127.0.0.1 {h}\n" for h in self.hosts))
        write_roots(self.tmp / "public.pem", self.public)
        write_roots(self.tmp / "device.pem", self.public, self.mitm, self.known)
        known = self.tmp / "known.tsv"
        known.write_text(
            "name\tyear\tsubject_cn\tcountry\tsha256\tspki_sha256\tnote\n"
            f"Test Known Root\t2026\tTest Known Root\tZZ\t{cert_sha256(self.known.cert)}\t"
            f"{spki_sha256(self.known.cert)}\ttest entry\n"
        )
        return {"PATHPROBE_HOSTS": str(hosts)}

    def site(self, name: str) -> str:
        return f"{name}:{self.hosts[name]}"

    def args(self) -> list[str]:
        return ["--json", "--accept-risk", "--public-roots", str(self.tmp / "public.pem"), "--device-roots",
                str(self.tmp / "device.pem"), "--known-roots", str(self.tmp / "known.tsv"), "--timeout", "2"]


def long_chain(root: CA, n: int) -> tuple[CA, list[bytes]]:
    ca = root
    pems = []
    for i in range(n):
        ca = CA(f"Chain Link {i}", parent=ca)
    link: CA | None = ca
    while link is not None and link.parent is not None:
        pems.append(link.cert_pem())
        link = link.parent
    return ca, pems


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], World]]:
    tmp = tmp_path_factory.mktemp("direct")
    with ExitStack() as stack:
        w = World(tmp, stack)
        w.serve("intact.test", w.public_inter.issue("intact.test"))
        w.serve("dtnp.test", w.mitm.issue("dtnp.test"))
        w.serve("known.test", w.known.issue("known.test"))
        w.serve("untrusted.test", w.untrusted.issue("untrusted.test"))
        past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        w.serve("expired.test", w.public_inter.issue("expired.test", not_before=past, days=30))
        w.serve("wronghost.test", w.public_inter.issue("other.test"))
        last, pems = long_chain(w.public, 49)
        leaf = last.issue("longchain.test")
        leaf.chain = []
        w.serve("longchain.test", leaf, pems)
        w.hosts["refused.test"] = closed_port()
        w.hosts["silent.test"] = stack.enter_context(hostile_server("silent"))
        w.hosts["garbage.test"] = stack.enter_context(hostile_server("garbage"))
        env = w.write()
        sites = [w.site(h) for h in w.hosts if h != "intact.test"]
        plan = f'[[probe]]\nkind = "direct"\nsites = {json.dumps(sites)}\ncontrols = ["{w.site("intact.test")}"]\n'
        res = run_check(tmp, plan, *w.args(), env=env)
        assert res.returncode == 0, res.stderr
        yield json.loads(res.stdout), w


def target(profile: dict[str, Any], name: str) -> dict[str, Any]:
    (path,) = [p for p in profile["paths"] if p["id"] == "direct"]
    (t,) = [t for t in path["targets"] if t["target"].split(":")[0] == name]
    return t


EXPECT = {
    # name: (reachability, tls, failure, signals)
    "intact.test": ("reachable", "intact", None, []),
    "dtnp.test": ("reachable", "intercepted", None, ["device_trusted_not_public"]),
    "known.test": ("reachable", "intercepted", None, ["device_trusted_not_public", "known_interception_root"]),
    "untrusted.test": ("blocked", "unverified", "ssl_unknown_authority", []),
    "expired.test": ("blocked", "unverified", "ssl_invalid_certificate", []),
    "wronghost.test": ("blocked", "unverified", "ssl_invalid_hostname", []),
    "refused.test": ("blocked", "unverified", "connection_refused", []),
    "silent.test": ("blocked", "unverified", "generic_timeout_error", []),
    "garbage.test": ("blocked", "unverified", "ssl_failed_handshake", []),
    "longchain.test": ("blocked", "unverified", "ssl_unknown_authority", []),
}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_target_verdicts(profile: tuple[dict[str, Any], World], name: str) -> None:
    prof, _ = profile
    t = target(prof, name)
    reach, tls, failure, signals = EXPECT[name]
    assert (t["reachability"], t["tls"], t["failure"], t["signals"]) == (reach, tls, failure, signals)


def test_path_verdict_and_findings(profile: tuple[dict[str, Any], World]) -> None:
    prof, w = profile
    (path,) = prof["paths"]
    assert path["reachability"] == "partial"
    assert path["tls"] == "intercepted"
    assert {t["role"] for t in path["targets"]} == {"site", "control"}
    findings = {f["host"]: f for f in prof["interception"]}
    assert set(findings) == {"dtnp.test", "known.test"}
    assert findings["dtnp.test"]["root_sha256"] == cert_sha256(w.mitm.cert)
    assert findings["dtnp.test"]["known_as"] is None
    assert findings["known.test"]["known_as"] == "Test Known Root (ZZ, 2026)"
    assert findings["known.test"]["root_sha256"] == cert_sha256(w.known.cert)
    assert findings["known.test"]["paths"] == ["direct"]
    assert "CN=Test Known Root" in findings["known.test"]["issuer"]
    assert (prof["recommendation"]["path"], prof["recommendation"]["ranked"]) == (None, [])
    assert prof["trust_store"]["known_interception_roots"][0]["known_as"] == "Test Known Root (ZZ, 2026)"


def test_whole_chain_is_kept(profile: tuple[dict[str, Any], World]) -> None:
    prof, w = profile
    tls_obs = [o for o in prof["observations"] if o["step"] == "tls" and o.get("tls")]
    by_target = {o["target"].split(":")[0]: o["tls"] for o in tls_obs}
    intact = by_target["intact.test"]
    assert [c["sha256"] for c in intact["chain"]][1] == cert_sha256(w.public_inter.cert)
    assert all(len(c["spki_sha256"]) == 64 for c in intact["chain"])
    assert intact["sni"] == "intact.test"
    assert len(by_target["longchain.test"]["chain"]) == 50
    http = [o for o in prof["observations"] if o["step"] == "http" and o["target"].startswith("intact.test")]
    assert http and http[0]["detail"]["status"] == 200


def test_intact_only_recommends_direct(tmp_path: Path) -> None:
    with ExitStack() as stack:
        w = World(tmp_path, stack)
        w.serve("a.test", w.public_inter.issue("a.test"))
        w.serve("b.test", w.public.issue("b.test"))
        env = w.write()
        plan = f'[[probe]]\nkind = "direct"\nsites = ["{w.site("a.test")}"]\ncontrols = ["{w.site("b.test")}"]\n'
        res = run_check(tmp_path, plan, *w.args(), env=env)
    assert res.returncode == 0, res.stderr
    prof = json.loads(res.stdout)
    (path,) = prof["paths"]
    assert (path["reachability"], path["tls"]) == ("reachable", "intact")
    assert prof["interception"] == []
    assert prof["recommendation"]["path"] == "direct"
    assert prof["recommendation"]["ranked"] == ["direct"]
    assert prof["network"]["connectivity"] == "online"


def test_real_qaznet_root_in_device_store_is_audited(tmp_path: Path) -> None:
    from importlib import resources

    qaznet = (resources.files("pathprobe") / "data" / "interception_roots" /
              "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2.pem").read_bytes()
    public = CA("Some Root")
    bundle = tmp_path / "device.pem"
    bundle.write_bytes(public.cert_pem() + qaznet)
    res = subprocess.run([sys.executable, "-m", "pathprobe", "trust", "audit", "--device-roots", str(bundle),
                          "--json"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["roots"] == 2
    assert [r["known_as"] for r in out["known_interception_roots"]] == ["Qaznet Trust Network (KZ, 2019)"]
