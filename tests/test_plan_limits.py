"""Big plans are refused with a clear limit, before anything is sent (issue 16, part 3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pathprobe.errors import BadInput
from pathprobe.plan import MAX_PROBES, MAX_SITE_CHECKS, MAX_SITES_PER_PROBE, load_plans


def sites(n: int, prefix: str = "s") -> str:
    return "[" + ", ".join(f'"{prefix}{i}.example"' for i in range(n)) + "]"


def direct(n_sites: int, n_controls: int = 0) -> str:
    text = f'[[probe]]\nkind = "direct"\nsites = {sites(n_sites)}\n'
    if n_controls:
        text += f"controls = {sites(n_controls, 'c')}\n"
    return text


def doh(i: int) -> str:
    return f'[[probe]]\nkind = "doh"\nname = "r{i}"\nurl = "https://192.0.2.{i + 1}/dns-query"\n'


def check(plan: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pathprobe", "check", "--plan", str(plan)],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PATHPROBE_ACCEPT_RISK": "1"})


def test_a_probe_at_the_limit_loads_and_one_more_site_is_refused(tmp_path: Path) -> None:
    ok = tmp_path / "ok.toml"
    ok.write_text(direct(MAX_SITES_PER_PROBE - 10, 10))
    assert len(load_plans([ok]).sites) == MAX_SITES_PER_PROBE - 10
    big = tmp_path / "big.toml"
    big.write_text(direct(MAX_SITES_PER_PROBE - 10, 11))
    with pytest.raises(BadInput) as err:
        load_plans([big])
    assert str(big) in str(err.value) and str(MAX_SITES_PER_PROBE) in str(err.value)
    res = check(big)
    assert res.returncode == 2, res.stderr
    assert str(big) in res.stderr and f"at most {MAX_SITES_PER_PROBE}" in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""


def test_site_checks_over_the_whole_plan_are_counted_with_the_borrowed_defaults(tmp_path: Path) -> None:
    """Each doh probe without sites of its own checks the direct probe's: they count too."""
    n = MAX_SITES_PER_PROBE
    per = MAX_SITE_CHECKS // n - 1  # doh probes that fit beside the direct probe
    ok = tmp_path / "ok.toml"
    ok.write_text(direct(n) + "".join(doh(i) for i in range(per)) +
                  '[[probe]]\nkind = "portal"\nurl = "http://192.0.2.9/"\n')
    assert len(load_plans([ok]).probes) == per + 2, "a portal checks no sites"
    big = tmp_path / "big.toml"
    big.write_text(direct(n) + "".join(doh(i) for i in range(per + 1)))
    res = check(big)
    assert res.returncode == 2, res.stderr
    assert f"{n * (per + 2)} site checks" in res.stderr and f"at most {MAX_SITE_CHECKS}" in res.stderr
    assert "Traceback" not in res.stderr


def test_too_many_probe_tables_are_refused(tmp_path: Path) -> None:
    plan = tmp_path / "many.toml"
    plan.write_text("".join(f'[[probe]]\nkind = "vpn"\nname = "v{i}"\nprotocol = "openvpn"\n'
                            f'endpoint = "192.0.2.1:{1000 + i}"\n' for i in range(MAX_PROBES + 1)))
    with pytest.raises(BadInput) as err:
        load_plans([plan])
    assert f"at most {MAX_PROBES}" in str(err.value) and str(plan) in str(err.value)
