"""Packet loss and scale in the lab: the censor's random loss (``[censor] loss``), the origins'
generated sites (``[options.origins] many``), and a check over each (bench/lab_bench.py measures
their speed; nothing here asserts a time)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pathprobe.errors import BadInput
from pathprobe.lab import world as w
from pathprobe.lab.censor import ruleset
from pathprobe.lab.scenario import load, parse
from pathprobe.lab.services import internet_service

from .conftest import LabRunner, assert_clean

LOSS_PROBE = Path(__file__).with_name("loss_probe.py")

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


def test_lossy_scenario_is_loss_and_nothing_else() -> None:
    scn = load("lossy")
    assert scn.censor.loss == 15
    assert scn.censor.blocks == () and scn.censor.lies is None and scn.censor.intercept is None
    assert scn.expect.interception_hosts == ()
    assert {p.reachability for p in scn.expect.paths} == {"reachable"}
    rules = ruleset(scn.censor)
    assert 'numgen random mod 100 < 15 drop comment "random loss 15%"' in rules
    # both directions: the loss rule names no interface
    loss_line = next(line for line in rules.splitlines() if "numgen" in line)
    assert "iifname" not in loss_line and "oifname" not in loss_line


def test_no_loss_no_rule() -> None:
    assert "numgen" not in ruleset(load("clean").censor)


@pytest.mark.parametrize("value", ["-1", "51", "0.5", '"lots"', "true"])
def test_loss_out_of_range_is_one_clear_error(value: str) -> None:
    with pytest.raises(BadInput, match=re.escape("t.toml: key 'censor.loss': must be a whole number from 0 to 50")):
        parse(MINIMAL.replace("[expect]", f"[censor]\nloss = {value}\n[expect]"), "t", "t.toml")


def test_generated_sites_option() -> None:
    scn = parse(MINIMAL.replace("[expect]", "[options.origins]\nmany = 3\n[expect]"), "t", "t.toml")
    assert scn.options == {"origins": {"many": 3}}
    origins = internet_service("origins", scn.options["origins"])
    assert set(w.many_sites(3)) <= set(origins.sites)  # type: ignore[attr-defined]
    assert w.many_sites(3) == {
        "site-0001.many.test": w.MANY_ADDR,
        "site-0002.many.test": w.MANY_ADDR,
        "site-0003.many.test": w.MANY_ADDR,
    }
    assert w.MANY_ADDR in w.inet_addresses()
    records = w.honest_records(3)
    assert records["site-0003.many.test"] == w.MANY_ADDR and "www.bank.test" in records
    assert "site-0001.many.test" not in w.honest_records()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("many = -1", "'many' must be a whole number from 0 to 1000"),
        ("many = 1001", "'many' must be a whole number from 0 to 1000"),
        ('many = "20"', "'many' must be a whole number from 0 to 1000"),
        ("speed = 1", "'speed': unknown option (the origins service takes 'many', 'retired', 'large')"),
        ('retired = ["www.nowhere.test"]', "'retired' must list lab sites"),
        ('retired = "www.bank.test"', "'retired' must list lab sites"),
    ],
)
def test_generated_sites_option_is_checked(option: str, message: str) -> None:
    with pytest.raises(BadInput, match=re.escape(f"key 'options.origins': {message}")):
        parse(MINIMAL.replace("[expect]", f"[options.origins]\n{option}\n[expect]"), "t", "t.toml")


# --------------------------------------------------------------------------- in the lab (root)


@pytest.mark.lab
def test_the_lossy_censor_really_loses_packets(clean_lab: LabRunner) -> None:
    """Without this, `lossy` meeting its expectations could mean the loss never happened."""
    lab = clean_lab
    up = lab.run("up", "lossy")
    assert up.rc == 0, up.text()
    cp = subprocess.run(
        ["ip", "netns", "exec", w.CLIENT_NS, sys.executable, str(LOSS_PROBE), "200"],
        capture_output=True, text=True, timeout=120, env=lab.env, check=False,
    )
    assert cp.returncode == 0, cp.stderr
    got = json.loads(cp.stdout)
    # 15 % each way: about 72 % of single queries are answered (200 queries: sd about 3 %)
    assert 0.45 <= got["answered"] / got["sent"] <= 0.93, got
    assert lab.run("down").rc == 0
    assert_clean()


@pytest.mark.lab
def test_many_generated_sites_are_all_reached(clean_lab: LabRunner, tmp_path: Path) -> None:
    lab = clean_lab
    names = list(w.many_sites(12))
    listed = ", ".join(f'"{n}"' for n in names)
    f = tmp_path / "scale-12.toml"
    f.write_text(
        f'title = "scale"\nplan = \'\'\'\n[[probe]]\nkind = "direct"\nsites = [{listed}]\n\'\'\'\n'
        "[options.origins]\nmany = 12\n"
        '[expect]\nrecommendation = "direct"\ninterception_hosts = []\n'
        '[[expect.path]]\nid = "direct"\nreachability = "reachable"\ntls = "intact"\n'
        f'[[expect.target]]\npath = "direct"\ntargets = [{listed}]\nreachability = "reachable"\n'
        'tls = "intact"\nfailure = "none"\n'
    )
    out = tmp_path / "profile.json"
    cli = lab.run("check", str(f), "--out", str(out))
    assert cli.rc == 0, cli.text()
    profile = json.loads(out.read_text())
    assert sorted(t["target"] for t in profile["paths"][0]["targets"]) == names
    assert_clean()
