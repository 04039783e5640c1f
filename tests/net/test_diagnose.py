"""Blocking diagnosis (issue 17): ClientHello splitting and re-framing, and the whole diagnosis against
a real TLS server behind a real local censor (a transparent proxy on loopback that drops or resets
by server name, per segment or reassembling the hello)."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from OpenSSL import SSL

from pathprobe.lab.servers.snifilter import SniFilter, hello_name, running
from pathprobe.net.diagnose import find_sni, reframe_records, split_segments
from pathprobe.net.tls import TlsStream
from tests.probes.test_direct import World, run_check
from tests.servers import hostile_server


def client_hello(name: str) -> bytes:
    """The exact first flight pathprobe's TLS client sends for ``name``."""
    t = TlsStream(None, name, [b"http/1.1"])  # type: ignore[arg-type]
    with pytest.raises(SSL.WantReadError):
        t.conn.do_handshake()
    out: bytes = t.conn.bio_read(65536)
    return out


def records(data: bytes) -> list[tuple[int, bytes]]:
    """Parse TLS records back: (type, body) each; every byte accounted for."""
    out, i = [], 0
    while i < len(data):
        n = int.from_bytes(data[i + 3 : i + 5], "big")
        out.append((data[i], data[i + 5 : i + 5 + n]))
        i += 5 + n
    assert i == len(data)
    return out


NAMES = ["www.socialnet.test", "a.b", "xn--80ak6aa92e.example", "x" * 60 + ".example.org"]


@pytest.mark.parametrize("name", NAMES)
def test_find_sni_in_a_real_hello(name: str) -> None:
    hello = client_hello(name)
    place = find_sni(hello)
    assert place is not None
    assert hello[place.offset : place.offset + place.length] == name.encode()


@pytest.mark.parametrize("name", NAMES)
def test_segments_cut_inside_the_name(name: str) -> None:
    hello = client_hello(name)
    place = find_sni(hello)
    assert place is not None
    pieces = split_segments(hello)
    assert b"".join(pieces) == hello and len(pieces) >= 2
    cuts, pos = [], 0
    for p in pieces[:-1]:
        pos += len(p)
        cuts.append(pos)
    assert any(place.offset < c < place.offset + place.length for c in cuts), "no cut inside the name"
    assert not any(name.encode() in p for p in pieces), "one segment still carries the whole name"


@pytest.mark.parametrize("name", NAMES)
def test_records_cut_inside_the_name(name: str) -> None:
    hello = client_hello(name)
    (orig,) = records(hello)
    out = reframe_records(hello)
    recs = records(out)
    assert [t for t, _ in recs] == [0x16, 0x16]
    assert recs[0][1] + recs[1][1] == orig[1], "the handshake message is unchanged, only re-framed"
    first = recs[0][1]
    place = find_sni(hello)
    assert place is not None
    assert place.offset - 5 < len(first) < place.offset - 5 + place.length, "the record boundary is inside the name"
    assert name.encode() not in out
    # a reassembling censor still reads the name, from the records, however the bytes arrive
    assert hello_name(out) == (True, name)
    assert hello_name(out[: len(out) - 1]) == (False, None)


def test_no_name_no_cut() -> None:
    assert split_segments(b"\x17\x03\x03\x00\x01x") == [b"\x17\x03\x03\x00\x01x"]
    assert reframe_records(b"garbage") == b"garbage"
    assert find_sni(b"") is None and find_sni(b"\x16\x03\x01\x00\x05\x01\x00") is None


# ------------------------------------------------------------------ against a real censor


def check_behind(tmp: Path, flt: SniFilter | None, *, silent: bool = False,
                 diagnosis_name: str | None = None) -> tuple[dict[str, Any], float, SniFilter | None]:
    """``blocked.test`` (an intact public chain) behind ``flt`` (or a silent server), the control
    ``control.test`` not; one ``pathprobe check`` with --timeout 2."""
    with ExitStack() as stack:
        w = World(tmp, stack)
        if silent:
            w.hosts["blocked.test"] = stack.enter_context(hostile_server("silent"))
        else:
            w.serve("origin.test", w.public_inter.issue("blocked.test"))
            assert flt is not None
            flt.upstream = ("127.0.0.1", w.hosts.pop("origin.test"))
            w.hosts["blocked.test"] = stack.enter_context(running(flt))
        w.serve("control.test", w.public_inter.issue("control.test"))
        env = w.write()
        extra = f'diagnosis_name = "{diagnosis_name}"\n' if diagnosis_name else ""
        plan = (f'[[probe]]\nkind = "direct"\nsites = ["{w.site("blocked.test")}"]\n'
                f'controls = ["{w.site("control.test")}"]\n{extra}')
        start = time.monotonic()
        res = run_check(tmp, plan, *w.args(), env=env)
        took = time.monotonic() - start
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout), took, flt


def site(profile: dict[str, Any]) -> dict[str, Any]:
    (path,) = profile["paths"]
    (t,) = [t for t in path["targets"] if t["target"].startswith("blocked.test")]
    return t


def test_sni_drop_per_segment_splitting_gets_through(tmp_path: Path) -> None:
    prof, took, flt = check_behind(tmp_path, SniFilter(["blocked.test"], mode="packet", action="drop"))
    t = site(prof)
    assert (t["reachability"], t["failure"]) == ("blocked", "generic_timeout_error")  # its own verdict stays
    b = t["blocking"]
    assert (b["stage"], b["action"], b["trigger"]) == ("tls", "timeout", "sni")
    assert b["evidence"] == ["same address, control SNI control.test: handshake completed"]
    assert b["evasion"] == [
        {"strategy": "tcp_segments", "outcome": "reached", "tls": "intact", "failure": None},
        {"strategy": "tls_records", "outcome": "reached", "tls": "intact", "failure": None},
    ]
    (path,) = prof["paths"]
    assert path["detail"]["evasion"]["tcp_segments"]["reached_intact"] == [t["target"]]
    # The diagnosis runs after the target's own timeout, its attempts at once: within 2 x timeout + 1 s
    # (plus the interpreter's start).
    assert took < 2 * 2 + 1 + 3
    # the control reached with the other name, and no diagnosis step named anything but the two names
    diag = [o for o in prof["observations"] if o["step"] == "diagnosis"]
    assert sorted(o["detail"]["diagnosis"] for o in diag) == ["control_sni", "tcp_segments", "tls_records"]
    assert {o["detail"]["sni"] for o in diag} == {"control.test", "blocked.test"}
    # controls are reached and carry no blocking
    assert all("blocking" not in x for x in path["targets"] if x["reachability"] == "reachable")
    assert flt is not None and (None, True) in flt.verdicts
    rec = prof["recommendation"]
    assert "sni_filtering" in rec["cases"]
    assert ("This network filters by server name (a silent drop after the TLS hello) for blocked.test; a tunnel "
            "(a VPN or Tor) avoids it.") in rec["advice"]
    assert ("Tools that split the TLS hello (GoodbyeDPI, byedpi, zapret, Outline's smart dialer tlsfrag) "
            "reached blocked.test with HTTPS intact here.") in rec["advice"]


def test_sni_reset_reassembling_censor_splitting_does_not_help(tmp_path: Path) -> None:
    prof, _, flt = check_behind(tmp_path, SniFilter(["blocked.test"], mode="reassemble", action="reset"))
    t = site(prof)
    b = t["blocking"]
    assert (b["stage"], b["action"], b["trigger"]) == ("tls", "reset", "sni")
    assert [(e["strategy"], e["outcome"]) for e in b["evasion"]] == [("tcp_segments", "blocked"),
                                                                     ("tls_records", "blocked")]
    assert all(e["failure"] == "connection_reset" for e in b["evasion"])
    # the censor read the name every time: the hello, both evasions; and passed the control
    assert flt is not None
    assert sorted(flt.verdicts) == sorted([("blocked.test", True)] * 3 + [("control.test", False)])
    advice = prof["recommendation"]["advice"]
    assert "(a TCP reset after the TLS hello) for blocked.test" in advice
    assert "Splitting the TLS hello did not help for blocked.test" in advice
    assert "GoodbyeDPI, byedpi" not in advice


def test_silent_address_is_address_no_evasion_claimed(tmp_path: Path) -> None:
    prof, took, _ = check_behind(tmp_path, None, silent=True, diagnosis_name="neutral.example.org")
    b = site(prof)["blocking"]
    assert (b["stage"], b["action"], b["trigger"]) == ("tls", "timeout", "address")
    assert b["evidence"] == ["same address, control SNI neutral.example.org: generic_timeout_error too"]
    assert b["evasion"] == []
    assert "evasion" not in prof["paths"][0].get("detail", {})
    rec = prof["recommendation"]
    assert "address_blocking" in rec["cases"] and "sni_filtering" not in rec["cases"]
    assert "The address of blocked.test is blocked, whatever the name" in rec["advice"]
    assert took < 2 * 2 + 1 + 3


def test_refused_is_tcp_stage_without_diagnosis(tmp_path: Path) -> None:
    from tests.servers import closed_port

    with ExitStack() as stack:
        w = World(tmp_path, stack)
        w.hosts["gone.test"] = closed_port()
        w.serve("control.test", w.public_inter.issue("control.test"))
        env = w.write()
        plan = (f'[[probe]]\nkind = "direct"\nsites = ["{w.site("gone.test")}"]\n'
                f'controls = ["{w.site("control.test")}"]\n')
        res = run_check(tmp_path, plan, *w.args(), env=env)
    prof = json.loads(res.stdout)
    b = site_named(prof, "gone.test")["blocking"]
    assert b == {"stage": "tcp", "action": "refused", "trigger": None, "evidence": [], "evasion": []}
    assert not [o for o in prof["observations"] if o["step"] == "diagnosis"]


def site_named(profile: dict[str, Any], name: str) -> dict[str, Any]:
    (t,) = [t for t in profile["paths"][0]["targets"] if t["target"].startswith(name)]
    return t


@pytest.mark.parametrize("bad", ["1.2.3.4", "host:443", "x..example", "https://x.example", "nodot", ""])
def test_bad_diagnosis_name_is_bad_input(tmp_path: Path, bad: str) -> None:
    plan = f'[[probe]]\nkind = "direct"\nsites = ["a.test"]\ndiagnosis_name = "{bad}"\n'
    res = run_check(tmp_path, plan, "--accept-risk")
    assert res.returncode == 2, res.stderr
    assert "diagnosis_name" in res.stderr and "plan.toml" in res.stderr
    assert "Traceback" not in res.stderr


