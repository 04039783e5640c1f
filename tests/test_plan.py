"""Plan files: strict loading; every error names the file and the key; exit 2 without a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pathprobe.errors import BadInput
from pathprobe.plan import default_plan_path, load_plans, read_toml
from pathprobe.planfields import parse_hostport

BAD_PLANS = {
    "not toml": ("[[probe]\nkind=", "not valid TOML"),
    "no probes": ("", "has no [[probe]] tables"),
    "top-level key": ('name = "x"\n[[probe]]\nkind = "direct"\nsites = ["a.example"]\n', "unknown top-level key 'name'"),
    "unknown kind": ('[[probe]]\nkind = "carrier-pigeon"\n', "unknown probe kind 'carrier-pigeon'"),
    "missing kind": ('[[probe]]\nsites = ["a.example"]\n', "key 'kind': is required"),
    "unknown key": ('[[probe]]\nkind = "direct"\nsites = ["a.example"]\nsitez = []\n', "key 'sitez': unknown key"),
    "wrong type": ('[[probe]]\nkind = "direct"\nsites = "a.example"\n', "key 'sites': must be a list of strings"),
    "bad port": ('[[probe]]\nkind = "direct"\nsites = ["a.example:99999"]\n', "port must be a number from 1 to 65535"),
    "bad host": ('[[probe]]\nkind = "direct"\nsites = ["bad host!"]\n', "key 'sites'"),
    "empty": ('[[probe]]\nkind = "direct"\n', "give at least one site or control"),
    "duplicate path": ('[[probe]]\nkind = "direct"\nsites = ["a.example"]\n[[probe]]\nkind = "direct"\nsites = ["b.example"]\n',
                       "path id 'direct' is used twice"),
    "probe not a table": ("probe = [1]\n", "[[probe]] #1 must be a table"),
    "two portals": ('[[probe]]\nkind = "portal"\nurl = "http://a.example/"\n'
                    '[[probe]]\nkind = "portal"\nurl = "http://b.example/"\n', "at most one portal probe per check"),
}


@pytest.mark.parametrize("case", sorted(BAD_PLANS))
def test_bad_plans_name_file_and_key(tmp_path: Path, case: str) -> None:
    text, expected = BAD_PLANS[case]
    f = tmp_path / "p.toml"
    f.write_text(text)
    with pytest.raises(BadInput) as exc:
        load_plans([f])
    assert expected in str(exc.value)
    assert str(f) in str(exc.value)


@pytest.mark.parametrize("case", ["unknown key", "bad port", "not toml"])
def test_bad_plan_cli_exit_2_one_message(tmp_path: Path, case: str) -> None:
    f = tmp_path / "p.toml"
    f.write_text(BAD_PLANS[case][0])
    res = subprocess.run([sys.executable, "-m", "pathprobe", "check", "--plan", str(f)],
                         capture_output=True, text=True, check=False, env={"PATH": "/usr/bin"})
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.startswith("pathprobe: ") and BAD_PLANS[case][1] in res.stderr
    assert res.stdout == ""


def test_missing_plan_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such plan file"):
        load_plans([tmp_path / "nope.toml"])


def test_shipped_plans_parse_but_are_never_run() -> None:
    data = read_toml(default_plan_path())
    kinds = [p["kind"] for p in data["probe"]]
    assert kinds[0] == "direct" and {"doh", "tor", "portal"} <= set(kinds)
    direct = data["probe"][0]
    assert "www.facebook.com" in direct["sites"] and direct["controls"] == ["example.com", "example.org", "example.net"]
    plan = load_plans([default_plan_path()], only=["direct"])
    assert [p.kind for p in plan.probes] == ["direct"]


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [("a.example", "a.example", 443), ("A.Example.:8443", "a.example", 8443), ("10.0.0.1:80", "10.0.0.1", 80),
     ("[2001:db8::1]:853", "2001:db8::1", 853), ("2001:db8::1", "2001:db8::1", 443)],
)
def test_parse_hostport(text: str, host: str, port: int) -> None:
    hp = parse_hostport(text)
    assert (hp.host, hp.port) == (host, port)


@pytest.mark.parametrize("text", ["", " a.example", "a.example:0", "a.example:x", "[::1", "a..b", "-a.example", "1.2.3"])
def test_parse_hostport_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hostport(text)
