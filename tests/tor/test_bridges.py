"""Bridge lines: parsing, validation, secrecy; the tor plan table; the default plan."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pathprobe.errors import BadInput
from pathprobe.plan import default_plan_path, parse_plan_data, read_toml
from pathprobe.probes.base import RunContext
from pathprobe.probes.tor import TorProbe, default_authorities, parse_dirauthority
from pathprobe.tor.bridges import parse_bridge

OBFS4 = (
    "obfs4 192.0.2.7:443 D9A82D2F9C2F65A18407B1D2B764F130847F8B5D "
    "cert=bjRaMrr1BRiAW8IE9U5z27fQaYgOhX1UCmOpg2pFpoMvo6ZgQMzLsaTzzQNTlm7hNcb+Sg iat-mode=0"
)
MEEK = "meek_lite 192.0.2.20:80 url=https://meek.example.net front=www.example.com utls=HelloRandomizedALPN"
SNOWFLAKE = (
    "snowflake 192.0.2.3:80 2B280B23E1107BB62ABFC40DDCC8824814F80A72 "
    "fingerprint=2B280B23E1107BB62ABFC40DDCC8824814F80A72 url=https://broker.example.net/ "
    "fronts=a.example.com,b.example.com ice=stun:stun.example.org:3478"
)
WEBTUNNEL = (
    "webtunnel [2001:db8::1]:443 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "
    "url=https://wt.example.org/secretpath ver=0.0.1"
)


def test_obfs4_line_parses() -> None:
    b = parse_bridge("Bridge " + OBFS4, "t")
    assert b.transport == "obfs4"
    assert (b.address.host, b.address.port) == ("192.0.2.7", 443)
    assert b.fingerprint == "D9A82D2F9C2F65A18407B1D2B764F130847F8B5D"
    assert b.args == {
        "cert": "bjRaMrr1BRiAW8IE9U5z27fQaYgOhX1UCmOpg2pFpoMvo6ZgQMzLsaTzzQNTlm7hNcb+Sg",
        "iat-mode": "0",
    }
    assert b.line == OBFS4
    assert (
        b.pt_args()
        == "cert=bjRaMrr1BRiAW8IE9U5z27fQaYgOhX1UCmOpg2pFpoMvo6ZgQMzLsaTzzQNTlm7hNcb+Sg;iat-mode=0"
    )
    assert "192.0.2.7" not in repr(b) and "192.0.2.7" not in b.label
    assert b.id == parse_bridge(OBFS4, "t").id and b.id.startswith("bridge-")


def test_fronted_transports() -> None:
    meek = parse_bridge(MEEK, "t")
    assert meek.transport == "meek" and meek.tor_transport == "meek_lite"
    assert [str(h) for h in meek.fronts()] == ["www.example.com"]
    sf = parse_bridge(SNOWFLAKE, "t")
    assert sf.transport == "snowflake"
    assert [str(h) for h in sf.fronts()] == ["a.example.com", "b.example.com"]
    wt = parse_bridge(WEBTUNNEL, "t")
    assert wt.transport == "webtunnel" and wt.address.host == "2001:db8::1"
    assert [str(h) for h in wt.fronts()] == ["wt.example.org"]
    plain = parse_bridge("192.0.2.9:9001 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "t")
    assert plain.transport == "vanilla" and plain.tor_transport is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "it is empty"),
        ("obfs4", "address (IP:PORT) is missing"),
        ("obfs4 bridge.example.org:443 cert=x", "IPv4:PORT or [IPv6]:PORT"),
        ("obfs4 192.0.2.7:99999 cert=x", "port must be from 1 to 65535"),
        ("obfs4 300.1.2.3:443 cert=x", "not a valid IP address"),
        ("obfs4 192.0.2.7:443 D9A82D2F cert=x", "fingerprint must be 40 hex digits"),
        ("obfs4 192.0.2.7:443 D9A82D2F9C2F65A18407B1D2B764F130847F8B5D iat-mode=0", "needs 'cert='"),
        (
            "obfs4 192.0.2.7:443 D9A82D2F9C2F65A18407B1D2B764F130847F8B5D cert=abcd iat-mode=0",
            "base64 of 52 bytes",
        ),
        (OBFS4.replace("iat-mode=0", "iat-mode=7"), "'iat-mode=' must be 0, 1 or 2"),
        (OBFS4 + " junk", "only KEY=VALUE arguments"),
        (OBFS4 + " iat-mode=1", "given twice"),
        ("obfs3 192.0.2.7:443", "transport 'obfs3' is not supported"),
        ("carrierpigeon 192.0.2.7:443", "neither a transport nor an IP:PORT"),
        ("meek_lite 192.0.2.20:80 front=www.example.com", "needs 'url='"),
        ("meek_lite 192.0.2.20:80 url=ftp://x", "must be an http(s) URL"),
        ("snowflake 192.0.2.3:80 fronts=a.example.com", "needs 'url='"),
        ("webtunnel 192.0.2.3:443 ver=0.0.1", "needs 'url='"),
        ("webtunnel 192.0.2.3:443 url=https://x.example ver=abc", "'ver=' must be a version"),
        ("192.0.2.9:9001 cert=abc", "plain bridge (no transport) takes no KEY=VALUE"),
        (OBFS4 + "\n" + OBFS4, "one bridge per line"),
    ],
)
def test_bad_lines_are_bad_input_without_the_secret(line: str, message: str) -> None:
    with pytest.raises(BadInput) as exc:
        parse_bridge(line, "--bridge #1")
    text = str(exc.value)
    assert text.startswith("--bridge #1: bad bridge line: ")
    assert message in text
    for secret in ("192.0.2.7", "bjRaMrr1", "D9A82D2F9C2F", "300.1.2.3", "bridge.example.org", "x.example"):
        assert secret not in text


def test_cli_bad_bridge_exits_2_with_one_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[[probe]]\nkind = "tor"\ntransport = "obfs4"\n')
    bad = OBFS4.replace("iat-mode=0", "iat-mode=9")
    r = subprocess.run(
        [sys.executable, "-m", "pathprobe", "check", "--plan", str(plan), "--bridge", bad],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.strip().count("\n") == 0
    assert "--bridge: bad bridge line: 'iat-mode=' must be 0, 1 or 2" in r.stderr
    assert "Traceback" not in r.stderr and "bjRaMrr1" not in r.stderr and "192.0.2.7" not in r.stderr


def test_cli_bridge_without_a_probe_of_its_transport_exits_2(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[[probe]]\nkind = "tor"\ntransport = "vanilla"\n')
    r = subprocess.run(
        [sys.executable, "-m", "pathprobe", "check", "--plan", str(plan), "--bridge", OBFS4],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "no tor probe in the plan uses the 'obfs4' transport" in r.stderr
    assert "192.0.2.7" not in r.stderr


def _plan(table: str) -> list[object]:
    import tomllib

    return parse_plan_data(tomllib.loads(table), "p.toml")  # type: ignore[return-value]


def test_plan_table() -> None:
    (p,) = _plan(f'''
[[probe]]
kind = "tor"
name = "mine"
transport = "obfs4"
bridges = ["{OBFS4}"]
bootstrap = true
bootstrap_timeout = 30
sites = ["a.example:8443"]
[probe.torrc]
TestingTorNetwork = 1
UseDefaultFallbackDirs = false
DirAuthority = ["a0 orport=18500 no-v2 v3ident={"A" * 40} 127.0.0.1:18501 {"B" * 40}"]
''')
    assert isinstance(p, TorProbe)
    assert p.path_ids() == ["tor:mine"] and p.transport == "obfs4" and p.bootstrap
    assert p.bootstrap_timeout == 30 and [str(s) for s in p.sites or []] == ["a.example:8443"]
    assert ("TestingTorNetwork", "1") in p.torrc and ("UseDefaultFallbackDirs", "0") in p.torrc
    assert [(a.name, str(a.address), a.fingerprint) for a in p.authorities] == [
        ("a0", "127.0.0.1:18500", "B" * 40)
    ]
    assert p.budget_extra(RunContext(timeout=5)) == 62.0  # bootstrap 30 + sites 4 x 5 + start/stop 12
    (q,) = _plan('[[probe]]\nkind = "tor"\n')
    assert q.path_ids() == ["tor:vanilla"]  # type: ignore[attr-defined]
    assert q.budget_extra(RunContext(timeout=5)) == 0.0  # type: ignore[attr-defined]
    assert q.budget_extra(RunContext(timeout=5, full=True)) == 60 + 20 + 12  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'transport = "obfs5"',
            "'obfs5' is not supported; supported: vanilla, obfs4, snowflake, meek, webtunnel",
        ),
        (
            f'transport = "snowflake"\nbridges = ["{OBFS4}"]',
            "bridge #1 is a obfs4 bridge, but this probe's transport",
        ),
        ('transport = "obfs4"\nbridges = ["obfs4 1.2.3.4:5"]', "key 'bridges', bridge #1: bad bridge line"),
        ("bootstrap_timeout = 0", "'bootstrap_timeout': must be a number"),
        ('colour = "red"', "key 'colour': unknown key"),
        ("torrc = {SocksPort = 9050}", "'SocksPort' is set by pathprobe itself"),
        ('torrc = {Bridge = "x"}', "'Bridge' is set by pathprobe itself"),
        ('torrc = {Log = "x\\ny"}', "is set by pathprobe"),
        ('torrc = {Nickname = "x\\ny"}', "may not contain a line break"),
        ('torrc = {DirAuthority = "nonsense"}', "a DirAuthority line needs"),
        ('name = "a b"', "key 'name'"),
    ],
)
def test_plan_errors(table: str, message: str) -> None:
    with pytest.raises(BadInput) as exc:
        _plan(f'[[probe]]\nkind = "tor"\n{table}\n')
    assert "p.toml" in str(exc.value)
    assert message in str(exc.value)


def _default_tor_probes() -> list[object]:
    """The default plan's tor tables, parsed (the other kinds are other modules' business)."""
    data = read_toml(default_plan_path())
    return parse_plan_data({"probe": [t for t in data["probe"] if t["kind"] == "tor"]}, "default.toml")


def test_default_plan_parses_and_is_never_run() -> None:
    probes = {p.path_ids()[0]: p for p in _default_tor_probes()}  # type: ignore[attr-defined]
    assert set(probes) == {"tor:vanilla", "tor:obfs4", "tor:snowflake", "tor:meek"}
    assert all(isinstance(p, TorProbe) for p in probes.values())
    assert probes["tor:meek"].transport == "meek"  # type: ignore[attr-defined]
    assert {b.transport for b in probes["tor:meek"].bridges} == {"meek"}  # type: ignore[attr-defined]
    assert len(probes["tor:obfs4"].bridges) >= 1  # type: ignore[attr-defined]
    assert probes["tor:vanilla"].authorities == []  # type: ignore[attr-defined]
    auths = default_authorities()
    assert len(auths) == 10 and {a.name for a in auths} >= {"moria1", "tor26", "faravahar"}
    assert all(a.address.port > 0 for a in auths)


def test_extra_bridges_replace_those_of_their_transport() -> None:
    tor_probes = _default_tor_probes()
    probes = {p.path_ids()[0]: p for p in tor_probes}  # type: ignore[attr-defined]
    ctx = RunContext(probe_options={"bridge": (OBFS4,)})
    assert [b.line for b in probes["tor:obfs4"].bridges_for(ctx)] == [OBFS4]  # type: ignore[attr-defined]
    meek = probes["tor:meek"]
    assert meek.bridges_for(ctx) == meek.bridges  # type: ignore[attr-defined]
    assert [o.flag for o in TorProbe.cli_options] == ["--bridge"]
    TorProbe.check_cli_options({"bridge": (OBFS4, MEEK)}, tor_probes)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="'webtunnel' transport"):
        TorProbe.check_cli_options({"bridge": (WEBTUNNEL,)}, tor_probes)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match=r"^--bridge: bad bridge line"):
        TorProbe.check_cli_options({"bridge": (OBFS4.replace("iat-mode=0", "iat-mode=9"),)}, tor_probes)  # type: ignore[arg-type]


def test_dirauthority_lines() -> None:
    a = parse_dirauthority(
        "moria1 orport=9201 no-v2 v3ident=F533C81CEF0BC0267857C99B2F471ADF249FA232 "
        "128.31.0.39:9231 1A25 C635 8DB9 1342 AA51 7203 A503 8B72 7427 3249"
    )
    assert (a.name, a.address.host, a.address.port) == ("moria1", "128.31.0.39", 9201)
    assert a.fingerprint == "1A25C6358DB91342AA517203A5038B7274273249"
    with pytest.raises(ValueError):
        parse_dirauthority("moria1 128.31.0.39:9231")
