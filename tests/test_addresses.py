"""Addresses in free text (issue 16, part 8): every form a portal or an error message writes an IPv4,
IPv6 or MAC address in is scrubbed, fingerprints and ordinary text are not, and scrubbing stays linear
in the text's length on hostile input."""

from __future__ import annotations

import ipaddress
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathprobe.addresses import SCRUBBED, has_address, scrub_addresses
from pathprobe.net.failures import scrub

SHA = "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2"


@pytest.mark.parametrize(
    "text",
    [
        "192.168.0.1",
        "gw-192-168-0-1",
        "10_1_2_3",
        "192%2E168%2E0%2E1",
        "192%2e168%2e0%2e1",
        "0300.0250.0.1",
        "0xc0.0xa8.0x0.0x1",
        "c0a80001",
        "C0A80001",
        "0xc0a80001",
        "3232235521",
        "::1",
        "fe80::1",
        "FE80::1%eth0",
        "fe80::1%25wlan0",
        "2001:0db8:0000:0000:0000:ff00:0042:8329",
        "2001:db8::ff00:42:8329",
        "::ffff:192.168.0.1",
        "[::ffff:192.168.0.1]",
        "::ffff:c0a8:1",
        "fe80%3A%3A1",
        "::ffff:192%2E168%2E0%2E1",
        "aa:bb:cc:dd:ee:ff",
        "AA-BB-CC-DD-EE-FF",
        "aabb.ccdd.eeff",
        "aabbccddeeff",
        "aa%3Abb%3Acc%3Add%3Aee%3Aff",
    ],
)
def test_each_form_is_scrubbed_in_context(text: str) -> None:
    for shown in (text, f"/login/{text}/welcome", f"connect to {text} failed", f"mac={text}&x=1"):
        out = scrub_addresses(shown)
        assert text.lower() not in out.lower(), (shown, out)
        assert SCRUBBED in out and has_address(shown)
        assert scrub(shown) == out  # observations use the same scrubber


@pytest.mark.parametrize(
    "text",
    [
        SHA,  # certificate and SPKI fingerprints are hex, not addresses
        SHA.upper(),
        ":".join(SHA[i : i + 2] for i in range(0, 64, 2)).upper(),  # the colon-separated form
        "-".join(SHA[i : i + 2] for i in range(0, 40, 2)),
        "A" * 40,  # a tor relay fingerprint
        "unknown_failure: [Errno 2] No such file or directory",
        "ssl_invalid_hostname",
        "www.facebook.com:443",
        "tor:obfs4",
        "2026-11-22T10:00:00Z",
        "at 10:00:00",
        "version 1.2.3",
        "Qaznet Trust Network (KZ, 2019)",
        "4294967296",  # past 255.255.255.255
        "1234567",
    ],
)
def test_fingerprints_and_ordinary_text_stay(text: str) -> None:
    assert scrub_addresses(text) == text
    assert not has_address(text)


# ---- property: every encoding of a random address, planted in random text ----------------------------


def ipv4_forms(a: ipaddress.IPv4Address) -> list[str]:
    b = a.packed
    n = int(a)
    return [
        str(a),
        "-".join(str(x) for x in b),
        "_".join(str(x) for x in b),
        "%2E".join(str(x) for x in b),
        "%2e".join(str(x) for x in b),
        ".".join(f"0{x:o}" if x > 7 else str(x) for x in b),
        ".".join(hex(x) for x in b),
        b.hex(),
        b.hex().upper(),
        "0x" + b.hex(),
        *([str(n)] if n >= 16_777_216 else []),
    ]


def ipv6_forms(a: ipaddress.IPv6Address, zone: str) -> list[str]:
    c, e = a.compressed, a.exploded
    return [c, e, e.upper(), f"[{c}]", f"{c}%{zone}", f"{c}%25{zone}", c.replace(":", "%3A")]


def mac_forms(b: bytes) -> list[str]:
    h = b.hex()
    pairs = [h[i : i + 2] for i in range(0, 12, 2)]
    return [":".join(pairs), "-".join(pairs).upper(), f"{h[:4]}.{h[4:8]}.{h[8:]}", h, "%3A".join(pairs)]


SEPS = st.sampled_from([" ", "/", "=", "&", "?", ", ", " (", "[", "]", ";", "\t", "\n"])
FILLER = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@st.composite
def planted(draw: st.DrawFn) -> tuple[str, list[str]]:
    forms: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["v4", "v6", "mapped", "mac"]))
        if kind == "v4":
            forms.append(draw(st.sampled_from(ipv4_forms(draw(st.ip_addresses(v=4)))))) # type: ignore[arg-type]
        elif kind == "v6":
            zone = draw(st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True))
            forms.append(draw(st.sampled_from(ipv6_forms(draw(st.ip_addresses(v=6)), zone))))  # type: ignore[arg-type]
        elif kind == "mapped":
            v4 = draw(st.ip_addresses(v=4))
            forms.append(draw(st.sampled_from([f"::ffff:{v4}", f"[::ffff:{v4}]", f"::FFFF:{v4}"])))
        else:
            forms.append(draw(st.sampled_from(mac_forms(draw(st.binary(min_size=6, max_size=6))))))
    parts: list[str] = []
    for f in forms:
        parts += [draw(FILLER), draw(SEPS), f, draw(SEPS)]
    parts.append(draw(FILLER))
    return "".join(parts), forms


@settings(max_examples=400, deadline=None)
@given(planted())
def test_no_planted_address_survives(case: tuple[str, list[str]]) -> None:
    text, forms = case
    out = scrub_addresses(text).lower()
    for f in forms:
        if len(f) >= 4:  # "::1"-like short forms are checked by the unit cases above
            assert f.lower() not in out, f"{f!r} survived in {out!r}"


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=32, max_size=32), FILLER)
def test_fingerprints_survive_among_text(digest: bytes, filler: str) -> None:
    text = f"{filler} sha256 {digest.hex()} {filler}"
    assert digest.hex() in scrub_addresses(text)


# ---- linear time ---------------------------------------------------------------------------------------

HOSTILE_RUNS = [
    "1." * 3,
    "1:" * 3,
    "::f",
    "%3a",
    "0x",
    "aa-",
    "ab:",
    "a",
    "9",
    "1.1.1.",
    "fe80::1%",
    "aabb.",
]


def _seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        scrub_addresses(text)
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.parametrize("unit", HOSTILE_RUNS)
def test_scrubbing_is_linear_on_hostile_text(unit: str) -> None:
    """Four times the text takes about four times as long (a quadratic scrubber: sixteen)."""
    n = 20_000
    small = (unit * (n // len(unit) + 1))[:n]
    big = (unit * (4 * n // len(unit) + 1))[: 4 * n]
    t_small, t_big = _seconds(small), _seconds(big)
    assert t_big < 8 * max(t_small, 1e-4), (unit, t_small, t_big)
    assert t_big < 2.0
