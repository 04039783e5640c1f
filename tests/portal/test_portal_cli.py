"""The portal through the command line: plan errors, the end-to-end KZ case, and offline vs. censored."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from portal_helpers import BLACKHOLE, CLOSED, DETECT, PORTAL, SITE_TLS, ServeFn, tls_context

from pathprobe.cli.main import main
from pathprobe.lab.servers.pki import CA
from pathprobe.lab.servers.portal import Route, Site, certificate_portal, honest_answer, qaznet_root_pem

SRC = Path(__file__).resolve().parents[2] / "src"
QAZNET_SHA = "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2"


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


PLAN_ERRORS = [
    ('url = "https://detect.test/success.txt"', "must be a plain http:// URL"),
    ('url = "ftp://detect.test/x"', "must be a plain http:// URL"),
    ('url = "detect.test/success.txt"', "must be a plain http:// URL"),
    ('url = "http://user:pw@detect.test/"', "is not a valid http:// URL"),
    ('url = "http://exa mple.test/"', "is not a valid http:// URL"),
    ('url = "http://detect.test:0/"', "is not a valid http:// URL"),
    ("url = 7", "must be a non-empty string"),
    ("", "is required"),
    ('url = "http://detect.test/"\nexpect_status = "200"', "must be a whole number from 100 to 599"),
    ('url = "http://detect.test/"\nexpect_status = 42', "must be a whole number from 100 to 599"),
    ('url = "http://detect.test/"\nexpect_status = 200.5', "must be a whole number from 100 to 599"),
    ('url = "http://detect.test/"\nexpect_status = true', "must be a whole number from 100 to 599"),
    ('url = "http://detect.test/"\nexpect_body = ""', "must be a non-empty string"),
    ('url = "http://detect.test/"\nexpect_body = ["a"]', "must be a non-empty string"),
    ('url = "http://detect.test/"\nexpected_body = "x"', "key 'expected_body': unknown key"),
    ('url = "http://detect.test/"\nname = "x"', "key 'name': unknown key"),
]


@pytest.mark.parametrize(("body", "message"), PLAN_ERRORS)
def test_plan_errors_exit_2_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(f'[[probe]]\nkind = "portal"\n{body}\n')
    code, out, err = run_main(["check", "--plan", str(plan), "--json"], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert message in lines[0] and str(plan) in lines[0] and 'kind "portal"' in lines[0]


def test_two_portal_probes_are_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[[probe]]\nkind = "portal"\nurl = "http://a.test/"\n'
        '[[probe]]\nkind = "portal"\nurl = "http://b.test/"\n'
    )
    code, _, err = run_main(["check", "--plan", str(plan), "--json"], capsys)
    assert code == 2 and "at most one portal probe" in err and len(err.strip().splitlines()) == 1


def check_json(
    tmp: Path, plan: str, *extra: str, timeout: float = 3.0, prefix: list[str] | None = None
) -> dict[str, Any]:
    """``python -m pathprobe check --json`` in a subprocess; every name comes from PATHPROBE_HOSTS."""
    (tmp / "plan.toml").write_text(plan)
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "PATHPROBE_ACCEPT_RISK": "1",
        "XDG_CONFIG_HOME": str(tmp / "cfg"),
    }
    cmd = [
        *(prefix or []),
        sys.executable,
        "-m",
        "pathprobe",
        "check",
        "--plan",
        str(tmp / "plan.toml"),
        "--json",
        "--timeout",
        str(timeout),
        *extra,
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def _roots(tmp: Path, public: CA) -> list[str]:
    (tmp / "public.pem").write_bytes(public.cert_pem())
    # The device trusts only the public root: it has not installed the portal's root (yet).
    return ["--public-roots", str(tmp / "public.pem"), "--device-roots", str(tmp / "public.pem")]


def test_end_to_end_kz_portal_and_interception(
    tmp_path: Path, serve: ServeFn, capture: Callable[[str], Site]
) -> None:
    public = CA("Lab Public Root")
    censor = CA("Lab Interception Root", "Censor", "KZ")
    forged = CA("Security Certificate", parent=censor).issue("site.test")
    serve(
        {"/": Route(body=b"hello")}, SITE_TLS, tls=tls_context(forged.chain_pem(), forged.key_pem(), tmp_path)
    )
    serve(certificate_portal([("qaznet", qaznet_root_pem()), ("lab", censor.cert_pem())]), PORTAL)
    capture(f"http://portal.test:{PORTAL}/")
    plan = (
        f'[[probe]]\nkind = "direct"\nsites = ["site.test:{SITE_TLS}"]\n'
        f'[[probe]]\nkind = "portal"\nurl = "http://detect.test:{DETECT}/success.txt"\n'
        'expect_status = 200\nexpect_body = "success"\n'
    )
    prof = check_json(tmp_path, plan, *_roots(tmp_path, public))
    net = prof["network"]
    assert net["connectivity"] == "portal"
    assert (net["portal"]["detected"], net["portal"]["host"], net["portal"]["failure"]) == (
        True,
        "portal.test",
        None,
    )
    offered = {o["sha256"]: o for o in net["portal"]["offered_certificates"]}
    assert len(offered) == 2
    qaz = offered[QAZNET_SHA]
    assert (qaz["known_as"], qaz["anchors_interception"], qaz["in_device_store"], qaz["over"]) == (
        "Qaznet Trust Network (KZ, 2019)",
        False,
        False,
        "http",
    )
    (lab,) = [o for sha, o in offered.items() if sha != QAZNET_SHA]
    assert (lab["known_as"], lab["anchors_interception"], lab["in_device_store"]) == (None, True, False)
    assert lab["subject"] == "CN=Lab Interception Root,O=Censor,C=KZ"
    (finding,) = prof["interception"]
    assert finding["host"] == "site.test" and "portal_offered_root" in finding["signals"]
    direct = prof["paths"][0]
    assert (direct["tls"], direct["targets"][0]["reachability"]) == ("intercepted", "reachable")


def test_end_to_end_clean_network(tmp_path: Path, serve: ServeFn) -> None:
    public = CA("Lab Public Root")
    origin = public.issue("site.test")
    serve(
        {"/": Route(body=b"hello")}, SITE_TLS, tls=tls_context(origin.chain_pem(), origin.key_pem(), tmp_path)
    )
    serve(honest_answer("/success.txt", "success"), DETECT)
    plan = (
        f'[[probe]]\nkind = "direct"\nsites = ["site.test:{SITE_TLS}"]\n'
        f'[[probe]]\nkind = "portal"\nurl = "http://detect.test:{DETECT}/success.txt"\n'
        'expect_body = "success"\n'
    )
    prof = check_json(tmp_path, plan, *_roots(tmp_path, public))
    assert prof["network"]["portal"] == {
        "detected": False,
        "host": None,
        "offered_certificates": [],
        "failure": None,
    }
    assert prof["network"]["connectivity"] == "online"
    assert prof["interception"] == [] and prof["recommendation"]["path"] == "direct"


def _plan_to(port: int) -> str:
    return (
        f'[[probe]]\nkind = "direct"\nsites = ["site.test:{port}"]\ncontrols = ["control.test:{port}"]\n'
        f'[[probe]]\nkind = "portal"\nurl = "http://detect.test:{port}/success.txt"\n'
    )


def test_nothing_answers_is_offline(tmp_path: Path, blackhole: int) -> None:
    """Every SYN dropped (a shut-down network): no answer at all -> offline, not censorship."""
    public = CA("Lab Public Root")
    prof = check_json(tmp_path, _plan_to(BLACKHOLE), *_roots(tmp_path, public), timeout=1.0)
    net = prof["network"]
    assert net["connectivity"] == "offline"
    assert net["portal"] == {
        "detected": None,
        "host": None,
        "offered_certificates": [],
        "failure": "generic_timeout_error",
    }
    assert {t["failure"] for t in prof["paths"][0]["targets"]} == {"generic_timeout_error"}
    assert "offline" in prof["recommendation"]["advice"]


def test_refusals_are_answers(tmp_path: Path) -> None:
    """Every connection refused: something on the network answered, so the device is not offline."""
    public = CA("Lab Public Root")
    prof = check_json(tmp_path, _plan_to(CLOSED), *_roots(tmp_path, public))
    assert prof["network"]["connectivity"] == "online"
    assert prof["network"]["portal"]["failure"] == "connection_refused"
    assert prof["network"]["portal"]["detected"] is None


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare")
def test_device_without_network_is_offline(tmp_path: Path) -> None:
    """A fresh network namespace (no interface up, not even loopback): the device is offline."""
    public = CA("Lab Public Root")
    prof = check_json(tmp_path, _plan_to(DETECT), *_roots(tmp_path, public), prefix=["unshare", "--net"])
    assert prof["network"]["connectivity"] == "offline"
    assert prof["network"]["portal"]["failure"] == "network_unreachable"
    assert prof["network"]["portal"]["detected"] is None


def test_valid_plan_is_read(tmp_path: Path) -> None:
    from pathprobe.plan import load_plans
    from pathprobe.probes.portal import PortalProbe

    plan = tmp_path / "plan.toml"
    plan.write_text('[[probe]]\nkind = "portal"\nurl = "http://[::1]:8080/gen_204"\nexpect_status = 204\n')
    (probe,) = load_plans([plan]).probes
    assert isinstance(probe, PortalProbe) and probe.path_ids() == []
    assert (str(probe.url), probe.expect_status, probe.expect_body) == (
        "http://[::1]:8080/gen_204",
        204,
        None,
    )
