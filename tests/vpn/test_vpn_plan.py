"""Plan validation for the vpn kind, through the real CLI: one clear message, exit 2, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathprobe.cli.main import main
from pathprobe.lab.servers import vpn as servers

SECRET_PW = "s3cret-Passw0rd"
WG = servers.wg_keypair()
SERVER = servers.wg_keypair()


def run_check(tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    plan = tmp_path / "plan.toml"
    plan.write_text(body)
    with pytest.raises(SystemExit) as exc:
        main(["check", "--plan", str(plan), "--json"])
    out = capsys.readouterr()
    assert out.out == ""
    assert "Traceback" not in out.err
    return int(exc.value.code or 0), out.err


def vpn(**keys: str) -> str:
    lines = ["[[probe]]", 'kind = "vpn"'] + [f'{k} = "{v}"' for k, v in keys.items()]
    return "\n".join(lines) + "\n"


SS_OK = servers.ss_url("127.0.0.1", 18620, "chacha20-ietf-poly1305", SECRET_PW)

BAD = [
    (
        vpn(
            name="x",
            protocol="wireguard",
            endpoint="a.example:51820",
            public_key=SERVER.public,
            private_key=WG.private,
            preshared_key="c2hvcnQ=",
        ),
        "preshared_key",
        ["base64 of 32 bytes"],
    ),
    (
        vpn(
            name="x",
            protocol="wireguard",
            endpoint="a.example:51820",
            public_key=SERVER.public,
            preshared_key=SERVER.public,
        ),
        "preshared_key",
        ["private_key"],
    ),
    # (plan entry, key the message must name, words it must contain)
    (
        vpn(name="x", protocol="ipsec", endpoint="a.example:1"),
        "protocol",
        ["openvpn", "wireguard", "shadowsocks", "socks5", "http"],
    ),
    (
        vpn(name="x", protocol="openvpn", endpoint="a.example:1194", transport="sctp"),
        "transport",
        ["udp", "tcp"],
    ),
    (vpn(name="x", protocol="openvpn"), "endpoint", ["required"]),
    (vpn(name="x", protocol="openvpn", endpoint="no such host:1194"), "endpoint", ["host"]),
    (vpn(name="x", protocol="openvpn", endpoint="a.example:99999"), "endpoint", ["port"]),
    (vpn(name="x", protocol="openvpn", endpoint="[::1:1194"), "endpoint", ["["]),
    (vpn(name="x", protocol="wireguard", endpoint="a.example"), "endpoint", ["port"]),
    (
        vpn(name="x", protocol="wireguard", endpoint="a.example:51820", public_key="bm90IGEga2V5"),
        "public_key",
        ["base64 of 32 bytes"],
    ),
    (
        vpn(name="x", protocol="wireguard", endpoint="a.example:51820", public_key="!!!notbase64!!!"),
        "public_key",
        ["base64"],
    ),
    (
        vpn(name="x", protocol="wireguard", endpoint="a.example:51820", public_key="A" * 43 + "="),
        "public_key",
        ["X25519"],
    ),
    (
        vpn(
            name="x",
            protocol="wireguard",
            endpoint="a.example:51820",
            public_key=SERVER.public,
            private_key=SECRET_PW,
        ),
        "private_key",
        ["base64"],
    ),
    (
        vpn(name="x", protocol="wireguard", endpoint="a.example:51820", private_key=WG.private),
        "private_key",
        ["public_key"],
    ),
    (vpn(name="x", protocol="wireguard", endpoint="a.example:51820", transport="tcp"), "transport", ["udp"]),
    (
        vpn(name="x", protocol="openvpn", endpoint="a.example:1194", public_key=SERVER.public),
        "public_key",
        ["wireguard"],
    ),
    (vpn(name="x", protocol="openvpn", endpoint="a.example:1194", url=SS_OK), "url", ["tunnels"]),
    (vpn(name="x", protocol="shadowsocks", endpoint="a.example:1"), "endpoint", ["url"]),
    (vpn(name="x", protocol="shadowsocks"), "url", ["required"]),
    (vpn(name="x", protocol="shadowsocks", url="http://127.0.0.1:1"), "url", ["ss://"]),
    (vpn(name="x", protocol="shadowsocks", url="ss://" + "%%%" + "@127.0.0.1:8388"), "url", ["base64"]),
    (
        vpn(name="x", protocol="shadowsocks", url=servers.ss_url("127.0.0.1", 1, "rc4-md5", SECRET_PW)),
        "url",
        ["rc4-md5", "chacha20-ietf-poly1305", "aes-256-gcm"],
    ),
    (
        vpn(
            name="x",
            protocol="shadowsocks",
            url=servers.ss_url("127.0.0.1", 1, "2022-blake3-aes-256-gcm", SECRET_PW),
        ),
        "url",
        ["not supported", "aes-256-gcm"],
    ),
    (vpn(name="x", protocol="shadowsocks", url=SS_OK.replace(":18620", "")), "url", ["port"]),
    (vpn(name="x", protocol="shadowsocks", url=SS_OK.replace("127.0.0.1", "bad host")), "url", ["host:port"]),
    (
        vpn(name="x", protocol="shadowsocks", url=SS_OK + "/?plugin=obfs-local%3Bobfs%3Dhttp"),
        "url",
        ["plugins"],
    ),
    (vpn(name="x", protocol="shadowsocks", url="ssconf://keys.example/abc"), "url", ["ssconf"]),
    (
        vpn(name="x", protocol="shadowsocks", url="ss://Y2hhY2hhMjAtaWV0Zi1wb2x5MTMwNQ@127.0.0.1:1"),
        "url",
        ["method:password"],
    ),
    (vpn(name="x", protocol="socks5", url=f"socks4://u:{SECRET_PW}@127.0.0.1:1080"), "url", ["socks5://"]),
    (vpn(name="x", protocol="socks5", url=f"socks5://u:{SECRET_PW}@127.0.0.1"), "url", ["port"]),
    (vpn(name="x", protocol="http", url=f"https://u:{SECRET_PW}@127.0.0.1:3128"), "url", ["HTTPS proxies"]),
    (vpn(name="x", protocol="http", url="http://127.0.0.1:3128/path"), "url", ["no path"]),
    (
        vpn(name="x", protocol="http", url=f"http://u:{SECRET_PW}@127.0.0.1:3128", transport="tcp"),
        "transport",
        ["url"],
    ),
    (vpn(name="bad name!", protocol="openvpn", endpoint="a.example:1194"), "name", ["letters"]),
    (vpn(name="x", protocol="openvpn", endpoint="a.example:1194", sites="x"), "sites", []),
    (vpn(name="x", protocol="openvpn", endpoint="a.example:1194", secret="1"), "secret", ["unknown key"]),
]


@pytest.mark.parametrize(("body", "key", "words"), BAD)
def test_bad_plan_exits_2_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, key: str, words: list[str]
) -> None:
    code, err = run_check(tmp_path, body, capsys)
    assert code == 2
    assert err.count("\n") == 1, err
    assert "plan.toml" in err and f"key '{key}'" in err, err
    for w in words:
        assert w in err, (w, err)
    for secret in (SECRET_PW, WG.private, SS_OK.split("@")[0][5:]):
        assert secret not in err


def test_sites_list_on_handshake_protocols_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = vpn(name="x", protocol="wireguard", endpoint="a.example:51820") + 'sites = ["a.example"]\n'
    code, err = run_check(tmp_path, body, capsys)
    assert code == 2 and "key 'sites'" in err and "tunnels" in err


def test_same_name_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = vpn(name="a", protocol="openvpn", endpoint="a.example:1194") + vpn(
        name="a", protocol="socks5", url="socks5://127.0.0.1:1080"
    )
    code, err = run_check(tmp_path, body, capsys)
    assert code == 2 and "vpn:a" in err


def test_good_entries_load(tmp_path: Path) -> None:
    from pathprobe.plan import load_plans

    plan = tmp_path / "plan.toml"
    plan.write_text(
        vpn(protocol="openvpn", endpoint="vpn.example.org")
        + vpn(name="tcp", protocol="openvpn", endpoint="[2001:db8::1]:443", transport="tcp")
        + vpn(
            name="wg",
            protocol="wireguard",
            endpoint="192.0.2.1:51820",
            public_key=SERVER.public,
            private_key=WG.private,
        )
        + vpn(
            name="outline",
            protocol="shadowsocks",
            url=servers.ss_url("192.0.2.1", 443, "aes-256-gcm", SECRET_PW, tag="My key", outline=True),
        )
        + vpn(name="s5", protocol="socks5", url=f"socks5h://me:{SECRET_PW}@proxy.example:1080")
        + vpn(name="h", protocol="http", url="http://proxy.example:3128/")
    )
    loaded = load_plans([plan])
    ids = [pid for p in loaded.probes for pid in p.path_ids()]
    assert ids == ["vpn:openvpn", "vpn:tcp", "vpn:wg", "vpn:outline", "vpn:s5", "vpn:h"]
    first = loaded.probes[0]
    assert first.endpoint.port == 1194 and first.transport == "udp"  # type: ignore[attr-defined]
    for p in loaded.probes:
        assert SECRET_PW not in repr(p) and WG.private not in repr(p)
