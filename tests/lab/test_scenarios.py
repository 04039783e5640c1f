"""Every shipped scenario, end to end: ``pathprobe lab check`` must meet every expected verdict, and
the reference profiles in profiles/ must still be reproduced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pathprobe.lab.expect import verdict_differences
from pathprobe.lab.scenario import shipped
from pathprobe.profile import Profile, load_profile

from .conftest import REPO, LabRunner, assert_clean, need_kinds

pytestmark = pytest.mark.lab


@pytest.mark.parametrize("scenario", shipped())
def test_scenario_meets_expectations(lab: LabRunner, scenario: str) -> None:
    need_kinds(scenario)
    cli, profile = lab.check(scenario)
    assert cli.rc == 0, cli.text()
    assert "FAIL" not in cli.out, cli.text()
    assert "expectations met" in cli.out, cli.text()
    assert profile is not None and profile["schema"] == "pathprobe.profile/1"
    assert_clean()


@pytest.mark.parametrize("scenario", shipped())
def test_reference_profile_reproduced(lab: LabRunner, scenario: str) -> None:
    need_kinds(scenario)
    ref_path = REPO / "profiles" / f"{scenario}.json"
    assert ref_path.is_file(), (
        f"no reference profile for {scenario}: save one with "
        f"'pathprobe lab check {scenario} --out profiles/{scenario}.json'"
    )
    cli, profile = lab.check(scenario)
    assert profile is not None, cli.text()
    diffs = verdict_differences(load_profile(ref_path), Profile.from_json(profile, "the lab check"))
    assert diffs == [], "\n".join(diffs)


def test_demo_tells_the_whole_story(lab: LabRunner, tmp_path: Path) -> None:
    """``lab demo``: interception on the plain network AND the paths that keep HTTPS intact, the
    bridge recommended."""
    out = tmp_path / "demo.json"
    res = lab.run("demo", "--out", str(out))
    assert res.rc == 0, res.text()
    assert "Kazakhstan 2019" in res.out
    assert "intercepted" in res.out and "Security Certificate" in res.out
    assert "Recommended: Tor with obfs4 bridges (tor:obfs4)" in res.out
    assert "kz-2019-escape: " in res.out and "expectations met" in res.out
    profile = json.loads(out.read_text())
    assert profile["label"] == "pathprobe lab: kz-2019-escape"
    assert profile["recommendation"]["ranked"] == ["tor:obfs4", "vpn:ss"]
    assert {p["id"]: p["tls"] for p in profile["paths"]}["direct"] == "intercepted"
    assert_clean()


def test_a_wrong_expectation_fails_the_check(lab: LabRunner, tmp_path: Path) -> None:
    """The comparison can fail: the clean network checked against an expectation of interception."""
    from pathprobe.lab.scenario import shipped_dir

    text = (shipped_dir() / "clean.toml").read_text()
    wrong = tmp_path / "clean-but-wrong.toml"
    wrong.write_text(
        text.replace(
            'id = "direct"\nreachability = "reachable"\ntls = "intact"',
            'id = "direct"\nreachability = "reachable"\ntls = "intercepted"',
        )
    )
    res = lab.run("check", str(wrong))
    assert res.rc == 1, res.text()
    assert "FAIL  path direct tls: expected intercepted, got intact" in res.out
    assert "PASS  path direct reachability = reachable" in res.out
    assert_clean()
