"""The lab's services measured with real clients from inside pp-client, independent of any probe kind:
the lying resolver and the block page, DoH, the SOCKS5 proxy, the packet filters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pathprobe.lab import world as w

from .conftest import LabRunner, assert_clean

pytestmark = pytest.mark.lab
PROBE = Path(__file__).with_name("client_probe.py")


def measure(lab: LabRunner, what: str, name: str) -> dict[str, Any]:
    state = lab.state_json()
    assert state is not None
    cp = subprocess.run(
        ["ip", "netns", "exec", w.CLIENT_NS, sys.executable, str(PROBE), state["run_dir"], what, name],
        capture_output=True,
        text=True,
        timeout=60,
        env=lab.env,
        check=False,
    )
    assert cp.returncode == 0, cp.stderr
    result: dict[str, Any] = json.loads(cp.stdout)
    return result


def test_dns_poison_services(clean_lab: LabRunner) -> None:
    lab = clean_lab
    up = lab.run("up", "dns-poison")
    assert up.rc == 0, up.text()
    # The client's resolver is hijacked to the lying one...
    assert measure(lab, "do53", "www.socialnet.test") == {"addresses": [w.BLOCKPAGE_ADDR]}
    assert measure(lab, "do53", "news.freepress.test") == {"failure": "dns_nxdomain_error"}
    assert measure(lab, "do53", "www.bank.test") == {"addresses": [w.SITE_BY_NAME["www.bank.test"].address]}
    # ...DoH (TLS verified against the lab public root) tells the truth...
    doh = measure(lab, "doh", "www.socialnet.test")
    assert doh["addresses"] == [w.SITE_BY_NAME["www.socialnet.test"].address]
    assert measure(lab, "doh", "news.freepress.test")["addresses"] == [
        w.SITE_BY_NAME["news.freepress.test"].address
    ]
    # ...and the lie leads to the censor's block page, with a certificate for its own name only.
    page = measure(lab, "direct", "www.socialnet.test")
    assert page["failure"] is None and page["http"] == 200
    assert page["chain"][0]["san"] == [w.BLOCKPAGE_NAME]
    assert "pathprobe lab Public Root" in page["chain"][0]["issuer"]
    assert lab.run("down").rc == 0
    assert_clean()


def test_blackhole_and_socks5_services(clean_lab: LabRunner) -> None:
    lab = clean_lab
    up = lab.run("up", "https-blackhole")
    assert up.rc == 0, up.text()
    # DNS is dropped at the router: the system resolver times out.
    assert measure(lab, "do53", "www.socialnet.test") == {"failure": "generic_timeout_error"}
    # Port 443 is dropped too, even with the right address.
    assert (
        measure(lab, "direct", w.SITE_BY_NAME["www.bank.test"].address)["failure"] == "generic_timeout_error"
    )
    # The SOCKS5 proxy resolves on the far side and reaches the real site.
    via = measure(lab, "socks", "www.socialnet.test")
    assert via["failure"] is None and via["http"] == 200
    assert via["chain"][0]["san"] == ["www.socialnet.test"]
    assert "pathprobe lab Public Root" in via["chain"][0]["issuer"]
    assert lab.run("down").rc == 0
    assert_clean()
