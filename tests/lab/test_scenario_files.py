"""Scenario files, the censor's ruleset, expectation matching and the lab CLI's refusals (no root needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pathprobe.errors import BadInput
from pathprobe.lab import world as w
from pathprobe.lab.censor import ruleset
from pathprobe.lab.expect import Expectations, FindingExp, PathExp, TargetExp, compare, verdict_differences
from pathprobe.lab.scenario import load, parse, shipped
from pathprobe.profile import SCHEMA, Profile, load_profile

REPO = Path(__file__).resolve().parents[2]

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


def test_every_shipped_scenario_loads() -> None:
    names = shipped()
    for required in ("clean", "kz-2019", "dns-poison", "https-blackhole", "untrusted-interceptor"):
        assert required in names
    for name in names:
        scn = load(name)
        assert scn.title and scn.kinds and scn.expect.paths


def test_kz_2019_uses_a_look_alike_root_not_the_known_one() -> None:
    scn = load("kz-2019")
    assert scn.censor.intercept is not None
    assert scn.censor.intercept.root.cn == "Qaznet Trust Network"
    assert "interceptor" in scn.trusts
    assert all(f.known_as == "none" for f in scn.expect.interception)


@pytest.mark.parametrize("name", sorted(p.stem for p in (REPO / "profiles").glob("*.json")))
def test_reference_profile_meets_its_scenario(name: str) -> None:
    """The committed reference profiles agree with their scenarios' expectations (root hashes are
    machine-specific, since each machine makes its own lab CAs, so they are left out here)."""
    scn = load(name)
    profile = load_profile(REPO / "profiles" / f"{name}.json")
    failed = [o.line() for o in compare(scn.expect, profile) if not o.ok and "root_sha256" not in o.what]
    assert failed == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + "colour = 1\n", "key 'expect.colour': unknown key"),
        (MINIMAL.replace('title = "t"', ""), "key 'title': is required"),
        (
            MINIMAL + '[[censor.block]]\naction = "tarpit"\n',
            "key 'censor.block[1].action': 'tarpit' is not one of",
        ),
        (MINIMAL + '[[censor.block]]\naction = "drop"\nto = "nowhere.test"\n', "neither a lab site"),
        (MINIMAL + '[device]\ntrusts = ["interceptor"]\n', "'interceptor' needs a [censor.intercept] table"),
        (MINIMAL + '[censor.dns]\nlies = { "a.test" = "somewhere" }\n', "is not an IPv4 address"),
        (MINIMAL + '[censor.intercept]\nhosts = ["a.test"]\n', "key 'censor.intercept.root': is required"),
        (
            MINIMAL.replace('recommendation = "direct"', 'connectivity = "sideways"'),
            "'sideways' is not one of",
        ),
        (MINIMAL.replace('kind = "direct"', "speed = 1"), "every [[probe]] needs a 'kind'"),
        ('title = "t"\nplan = "x"\n', "key 'plan': not a valid plan"),
    ],
)
def test_bad_scenario_is_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=None) as exc:
        parse(text, "bad", "bad.toml")
    assert message in str(exc.value)
    assert str(exc.value).startswith("bad.toml: ")


def test_ruleset_filters_hijacks_and_redirects() -> None:
    scn = parse(
        MINIMAL
        + """
[[censor.block]]
action = "reject"
to = "www.socialnet.test"
port = 443
[[censor.block]]
action = "drop"
proto = "udp"
port = 53
[censor.dns]
lies = { "www.tube.test" = "blockpage" }
[censor.intercept]
root = { cn = "X" }
""",
        "t",
        "t.toml",
    )
    text = ruleset(scn.censor)
    social = w.SITE_BY_NAME["www.socialnet.test"].address
    assert f'iifname "r0" ip daddr {social} meta l4proto tcp tcp dport 443 reject with tcp reset' in text
    assert 'iifname "r0" meta l4proto udp udp dport 53 drop' in text
    assert f"udp dport 53 dnat to {w.CENSOR_CLIENT_ADDR}:53" in text
    assert f"tcp dport 443 redirect to :{w.INTERCEPT_PORT}" in text
    empty = ruleset(parse(MINIMAL, "t", "t.toml").censor)
    assert "reject" not in empty and "dnat" not in empty and "redirect" not in empty


def _profile() -> dict[str, Any]:
    return {
        "network": {"connectivity": "online"},
        "recommendation": {"path": None, "ranked": []},
        "trust_store": {"known_interception_roots": []},
        "paths": [
            {
                "id": "direct",
                "kind": "direct",
                "reachability": "reachable",
                "tls": "intercepted",
                "targets": [
                    {
                        "target": "a.test",
                        "reachability": "reachable",
                        "tls": "intercepted",
                        "failure": None,
                        "signals": ["device_trusted_not_public"],
                    },
                    {
                        "target": "b.test",
                        "reachability": "blocked",
                        "tls": "unverified",
                        "failure": "ssl_unknown_authority",
                        "signals": [],
                    },
                ],
            }
        ],
        "interception": [
            {
                "host": "a.test",
                "paths": ["direct"],
                "issuer": "CN=Security Certificate,C=KZ",
                "root_sha256": "ab" * 32,
                "known_as": None,
                "signals": ["device_trusted_not_public"],
            }
        ],
    }


def test_compare_passes_and_fails_per_expectation() -> None:
    good = Expectations(
        recommendation="none",
        connectivity="online",
        interception_hosts=("a.test",),
        device_known_roots=0,
        paths=(PathExp("direct", "reachable", "intercepted"),),
        targets=(
            TargetExp(
                "direct", ("a.test",), "reachable", "intercepted", "none", ("device_trusted_not_public",)
            ),
            TargetExp("direct", ("b.test",), failure="ssl_*", signals_exclude=("untrusted_chain",)),
        ),
        interception=(
            FindingExp(
                ("a.test",),
                ("direct",),
                "none",
                "interceptor",
                "Security Certificate",
                ("device_trusted_not_public",),
            ),
        ),
    )
    out = compare(good, _typed(_profile()), interceptor_root="ab" * 32)
    assert out and all(o.ok for o in out), [o.line() for o in out if not o.ok]

    bad = Expectations(
        recommendation="direct",
        paths=(PathExp("direct", tls="intact"), PathExp("tor:obfs4")),
        targets=(
            TargetExp("direct", ("b.test",), failure="none", signals_include=("untrusted_chain",)),
            TargetExp("direct", ("c.test",), tls="intact"),
        ),
        interception=(
            FindingExp(("a.test",), known_as="Qaznet Trust Network (KZ, 2019)", root="interceptor"),
            FindingExp(("b.test",)),
        ),
    )
    lines = [o.line() for o in compare(bad, _typed(_profile()), interceptor_root="cd" * 32)]
    assert all(line.startswith("FAIL") for line in lines), lines
    assert "FAIL  recommendation.path: expected direct, got none" in lines
    assert "FAIL  path tor:obfs4: expected present, got absent" in lines
    assert "FAIL  direct / b.test failure: expected none, got ssl_unknown_authority" in lines
    assert "FAIL  target direct / c.test: expected present, got absent" in lines
    assert any("known_as" in line for line in lines)
    assert any("root_sha256" in line for line in lines)
    assert "FAIL  interception b.test: expected a finding, got none" in lines


def test_verdict_differences() -> None:
    a = _profile()
    assert verdict_differences(_typed(a), _typed(json.loads(json.dumps(a)))) == []
    b = json.loads(json.dumps(a))
    b["paths"][0]["targets"][1]["reachability"] = "reachable"
    b["recommendation"]["path"] = "direct"
    b["created"] = "another time"  # not a verdict
    diffs = verdict_differences(_typed(a), _typed(b))
    assert len(diffs) == 2
    assert diffs[0].startswith("recommendation: reference none, now direct")
    assert "path direct / b.test" in diffs[1]


def _main(argv: list[str]) -> int:
    from pathprobe.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    return int(exc.value.code or 0)


def test_lab_needs_root(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    for cmd in (["up", "clean"], ["check", "clean"], ["down"], ["demo"], ["status"]):
        assert _main(["lab", *cmd]) == 2
        err = capsys.readouterr().err
        assert "pathprobe lab needs root" in err and "Traceback" not in err


def test_lab_needs_linux(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.platform", "darwin")
    assert _main(["lab", "up", "clean"]) == 2
    assert "pathprobe lab needs Linux" in capsys.readouterr().err


def test_unknown_scenario_and_missing_kind_are_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr("pathprobe.lab.topology.platform_problem", lambda: None)
    monkeypatch.setenv("PATHPROBE_LAB_STATE", str(tmp_path / "state"))
    assert _main(["lab", "up", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert "no lab scenario 'no-such-scenario'; shipped scenarios: " in err and " clean," in err
    f = tmp_path / "future.toml"
    f.write_text(MINIMAL.replace('kind = "direct"', 'kind = "teleport"'))
    assert _main(["lab", "check", str(f)]) == 2
    assert "needs probe kind(s) teleport, which this pathprobe cannot load" in capsys.readouterr().err
    assert not (tmp_path / "state" / "state.json").exists(), "nothing was brought up"


def test_lab_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(["lab", "list"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("clean ") for line in out.splitlines())
    assert "kz-2019" in out


def test_plan_placeholders_are_filled_from_service_values() -> None:
    from pathprobe.lab.scenario import fill_plan, placeholders

    plan = 'public_key = "{{wg.public_key}}"\nbridges = ["{{ tor.bridge }}"]\n'
    assert placeholders(plan) == ["wg.public_key", "tor.bridge"]
    filled = fill_plan(plan, {"wg.public_key": "abc=", "tor.bridge": 'obfs4 "x" \\y'}, "s.toml")
    assert filled == 'public_key = "abc="\nbridges = ["obfs4 \\"x\\" \\\\y"]\n'
    import tomllib

    assert tomllib.loads(filled)["bridges"] == ['obfs4 "x" \\y']
    with pytest.raises(BadInput, match=r"s.toml: key 'plan': no service publishes '\{\{wg.public_key\}\}'"):
        fill_plan(plan, {}, "s.toml")


def test_service_options_are_checked_by_the_service() -> None:
    with pytest.raises(
        BadInput, match=re.escape("key 'options.dns': 'speed': the dns service takes no options")
    ):
        parse(MINIMAL.replace("[expect]", "[options.dns]\nspeed = 1\n[expect]"), "t", "t.toml")
    with pytest.raises(BadInput, match=re.escape("key 'options.socks5': 'socks5' is not in 'services'")):
        parse(MINIMAL.replace("[expect]", "[options.socks5]\nx = 1\n[expect]"), "t", "t.toml")


def _typed(data: dict[str, Any]) -> Profile:
    """A hand-made profile dict as the typed profile (the parts a test leaves out filled in)."""
    return Profile.from_json({"schema": SCHEMA, "network": {}, "interception": [], **data}, "test")
