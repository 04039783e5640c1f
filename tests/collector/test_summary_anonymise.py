"""Profile -> summary: what is kept, what never survives (hypothesis plants hostile values everywhere)."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from collector_helpers import SAMPLE_PROFILE, cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.test_addresses import ipv4_forms, ipv6_forms, mac_forms

from pathprobe.errors import BadInput, SummaryError
from pathprobe.profile import Profile, load_profile
from pathprobe.summary.anonymise import parse_asn, parse_country, summarise
from pathprobe.summary.schema import (
    CONNECTIVITY,
    DOH_PROVIDERS,
    FAILURES,
    REACHABILITY,
    SIGNALS,
    TLS,
    TOR_TRANSPORTS,
    VPN_PROTOCOLS,
    catalogue,
    clean_dn,
    known_labels,
    validate_summary,
)

FIXED_ID = "f" * 32
QAZNET = "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2"
QAZNET_LABEL = "Qaznet Trust Network (KZ, 2019)"
IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")


def sample() -> Profile:
    return load_profile(SAMPLE_PROFILE)


def test_sample_profile_summary_keeps_vetted_fields_only() -> None:
    s = summarise(sample(), country="KZ", asn=9198, summary_id=FIXED_ID)
    assert s["schema"] == "pathprobe.summary/1"
    assert s["id"] == FIXED_ID and s["day"] == "2026-11-22" and s["tool_version"] == "0.1.0"
    assert s["network"] == {
        "country": "KZ",
        "asn": 9198,
        "connectivity": "portal",
        "portal": {
            "detected": True,
            "offered_certificates": [
                {
                    "sha256": QAZNET,
                    "spki_sha256": "b5ba8dd7f89564c2889d3d6453c84998c77824919b64ea0835aa62986591be50",
                    "subject": "CN=Qaznet Trust Network",
                    "known_as": QAZNET_LABEL,
                },
                # The hotel's own CA: its hash stays, its name (the hotel's) does not.
                {
                    "sha256": "aa309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2",
                    "spki_sha256": None,
                    "subject": None,
                    "known_as": None,
                },
            ],
        },
    }
    ids = [p["id"] for p in s["paths"]]
    # user-chosen names (myresolver, mybridge, office, home) become vocabulary ids
    assert ids == [
        "direct",
        "doh:quad9",
        "doh",
        "tor:obfs4",
        "tor:webtunnel",
        "vpn:wireguard",
        "vpn:wireguard#2",
    ]
    direct = s["paths"][0]
    assert [x["host"] for x in direct["sites"]] == ["facebook.com", "example.com"]
    assert direct["other_sites"] == 1  # intranet.hotelastana.kz: counted, never named
    assert direct["latency_ms"] == 41
    assert s["paths"][1]["sites"][0]["failure"] == "other"  # free-text failure with an address
    assert s["interception"] == [
        {
            "issuer": "CN=Security Certificate",
            "root_sha256": QAZNET,
            "known_as": QAZNET_LABEL,
            "signals": ["device_trusted_not_public", "known_interception_root"],
            "paths": ["direct"],
            "hosts": ["facebook.com"],
            "other_hosts": 1,
        }
    ]
    assert s["recommendation"] == "tor:obfs4"
    text = json.dumps(s)
    for secret in (
        "Hotel",
        "Astana",
        "hotelastana",
        "203.0.113.9",
        "9.9.9.9",
        "10.0.0.1",
        "192.168.1.20",
        "myresolver",
        "mybridge",
        "office",
        "vpn.office.example",
        "yAnz5TF",
        "D9A82D2F",
        "cert=",
        "example-private",
        "Use Tor",
        "label",
        "observations",
        "created",
    ):
        assert secret.lower() not in text.lower(), secret


def test_country_and_asn_only_when_given() -> None:
    p = sample()
    p = dataclasses.replace(p, network=dataclasses.replace(p.network, country="KZ", asn=9198))
    s = summarise(p)  # what the profile says is not used
    assert s["network"]["country"] is None and s["network"]["asn"] is None
    assert re.fullmatch(r"[0-9a-f]{32}", s["id"]) and summarise(p)["id"] != s["id"]


@pytest.mark.parametrize("value,expected", [("kz", "KZ"), (" RU ", "RU"), (None, None)])
def test_parse_country(value: str | None, expected: str | None) -> None:
    assert parse_country(value) == expected


@pytest.mark.parametrize("value", ["KAZ", "K", "1Z", "Kazakhstan", ""])
def test_parse_country_rejects(value: str) -> None:
    with pytest.raises(BadInput, match="--country"):
        parse_country(value)


@pytest.mark.parametrize(
    "value,expected", [("9198", 9198), ("AS9198", 9198), ("as65000", 65000), (None, None)]
)
def test_parse_asn(value: str | None, expected: int | None) -> None:
    assert parse_asn(value) == expected


@pytest.mark.parametrize("value", ["0", "-5", "AS", "4294967296", "12a", "1.2", "as 1"])
def test_parse_asn_rejects(value: str) -> None:
    with pytest.raises(BadInput, match="--asn"):
        parse_asn(value)


@pytest.mark.parametrize(
    "dn,expected",
    [
        ("CN=Security Certificate", "CN=Security Certificate"),
        ("CN=mitmproxy,O=mitmproxy", "CN=mitmproxy,O=mitmproxy"),
        ("CN=proxy 10.1.2.3,O=Acme", "O=Acme"),
        ("CN=gw-192-168-0-1,O=Acme,L=Almaty,emailAddress=admin@acme.kz", "O=Acme"),
        ("CN=Hotel Astana Guest CA,C=KZ", "C=KZ"),
        ("CN=ss://YWVzOnB3@h:1,O=x", "O=x"),
        ("CN=yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", None),
        ("CN=Room 123456", None),
        ("not a dn", None),
        ("CN=Минцифры России", "CN=Минцифры России"),
    ],
)
def test_clean_dn(dn: str, expected: str | None) -> None:
    assert clean_dn(dn, frozenset({"Hotel Astana", "Hotel", "Astana"})) == expected


def test_cli_summary_stdout_and_out(tmp_path: Path) -> None:
    r = cli("summary", str(SAMPLE_PROFILE), "--country", "kz", "--asn", "AS9198")
    assert r.returncode == 0, r.stderr
    s = validate_summary(json.loads(r.stdout))
    assert s["network"]["country"] == "KZ" and s["network"]["asn"] == 9198
    out = tmp_path / "s.json"
    r = cli("summary", str(SAMPLE_PROFILE), "--out", str(out))
    assert r.returncode == 0 and r.stdout == ""
    assert validate_summary(json.loads(out.read_text()))["network"]["country"] is None


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "no such profile file"),
        ("{", "not valid JSON"),
        ('{"schema": "pathprobe.summary/1"}', "not a pathprobe profile"),
        ("[]", "not a pathprobe profile"),
    ],
)
def test_cli_summary_bad_profile_exits_2(tmp_path: Path, content: str | None, message: str) -> None:
    f = tmp_path / "p.json"
    if content is not None:
        f.write_text(content)
    r = cli("summary", str(f))
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_cli_summary_bad_created_and_options_exit_2(tmp_path: Path) -> None:
    p = json.loads(SAMPLE_PROFILE.read_text())
    p["created"] = "yesterday at the hotel"
    f = tmp_path / "p.json"
    f.write_text(json.dumps(p))
    r = cli("summary", str(f))
    assert r.returncode == 2 and "created" in r.stderr
    r = cli("summary", str(SAMPLE_PROFILE), "--country", "Kazakhstan")
    assert r.returncode == 2 and "--country" in r.stderr
    r = cli("summary", str(SAMPLE_PROFILE), "--asn", "x")
    assert r.returncode == 2 and "--asn" in r.stderr


# ---- property tests: hostile profiles ----------------------------------------------------------------

VOCAB = [
    *DOH_PROVIDERS,
    *TOR_TRANSPORTS,
    *VPN_PROTOCOLS,
    *FAILURES,
    *SIGNALS,
    *REACHABILITY,
    *TLS,
    *CONNECTIVITY,
    "direct",
    "doh",
    "tor",
    "vpn",
]
BENIGN_DN = ["CN=Security Certificate", "CN=mitmproxy,O=mitmproxy", "CN=Qaznet Trust Network", "O=Acme,C=KZ"]
CATALOGUE = sorted(catalogue())
KNOWN = sorted(known_labels())

ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str).filter(lambda s: len(s) >= 6)
b64key = st.binary(min_size=32, max_size=32).map(lambda b: base64.b64encode(b).decode())
hexfp = st.binary(min_size=20, max_size=20).map(lambda b: b.hex().upper())
port = st.integers(1, 65535)
odd_host = st.from_regex(
    r"[a-z][a-z0-9]{3,11}\.(?:[a-z]{2,8}\.)?(?:com|net|kz|ru|org|lan)", fullmatch=True
).filter(lambda h: h not in catalogue())
label = st.text(min_size=6, max_size=30).filter(lambda s: s.strip() and "\x00" not in s)


@st.composite
def bridge_line(draw: st.DrawFn) -> str:
    t = draw(st.sampled_from(["obfs4", "webtunnel", "meek_lite", "snowflake"]))
    cert = base64.b64encode(draw(st.binary(min_size=52, max_size=52))).decode().rstrip("=")
    return f"{t} {draw(ipv4)}:{draw(port)} {draw(hexfp)} cert={cert} iat-mode=0"


@st.composite
def hostile(draw: st.DrawFn) -> tuple[dict[str, Any], list[str], list[str]]:
    """A profile with secrets planted in every field; returns it, the secrets and the legitimate strings."""
    secrets: list[str] = []

    def s(strategy: st.SearchStrategy[str]) -> str:
        v = draw(strategy)
        secrets.append(v)
        return v

    def pick(*options: Any) -> Any:
        """One of the options; callables are drawn only when chosen (so only planted secrets count)."""
        o = options[draw(st.integers(0, len(options) - 1))]
        return o() if callable(o) else o

    def one(values: list[Any]) -> Any:
        return draw(st.sampled_from(values))

    def anything() -> Any:
        return pick(
            lambda: s(ipv4),
            lambda: s(ipv6),
            lambda: s(label),
            lambda: s(bridge_line()),
            lambda: s(b64key),
            lambda: s(odd_host),
            lambda: "ss://" + s(b64key) + "@" + s(odd_host) + ":8388",
            lambda: f"{s(odd_host)}:{draw(port)}",
        )

    def shaped() -> str:
        """A fresh value whose shape gives it away (address, host, key, bridge line, URL)."""
        return pick(
            lambda: s(ipv4),
            lambda: s(ipv6),
            lambda: s(bridge_line()),
            lambda: s(b64key),
            lambda: s(odd_host),
            lambda: "ss://" + s(b64key) + "@" + s(odd_host) + ":8388",
            lambda: f"{s(odd_host)}:{draw(port)}",
        )

    homes: list[str] = []

    def dn() -> str:
        """Certificate names come from the network: benign ones, shaped values, or copies of the
        profile's own free text (its label, path names) -- a portal named like the place."""
        return pick(
            lambda: one(BENIGN_DN),
            lambda: f"CN={shaped()}",
            lambda: f"CN=proxy {s(ipv4)},O=Acme",
            lambda: f"O={one(homes)}",
            lambda: f"CN={one(homes)} Guest CA,C=KZ",
            lambda: f"CN={s(b64key)},C=KZ",
        )

    lab = s(label)
    homes.append(lab)
    hashes = [draw(st.binary(min_size=32, max_size=32)).hex() for _ in range(3)]
    paths = []
    for i in range(draw(st.integers(1, 5))):
        kind = pick("direct", "doh", "tor", "vpn", lambda: s(label))
        name = pick(lambda: one(VOCAB), lambda: s(label), lambda: s(odd_host), lambda: s(ipv4))
        if i and name not in VOCAB:
            homes.append(name)  # the first path is "direct": its drawn name is not used
        targets = []
        for _ in range(draw(st.integers(0, 3))):
            targets.append(
                {
                    "target": pick(
                        lambda: one(CATALOGUE),
                        lambda: s(odd_host),
                        lambda: s(ipv4),
                        lambda: f"{s(odd_host)}:{draw(port)}",
                        lambda: f"[{s(ipv6)}]:443",
                    ),
                    "role": pick("site", "control", lambda: s(label)),
                    "reachability": pick("reachable", "blocked", None),  # verdicts are typed: no free text
                    "tls": pick("intact", "intercepted", "unverified", None),
                    "failure": pick(
                        None, lambda: one(list(FAILURES)), lambda: f"connect to {s(ipv4)} failed", anything
                    ),
                    "signals": [pick(lambda: one(list(SIGNALS)), anything)],
                    "note": anything(),
                }
            )
        paths.append(
            {
                "id": f"{kind}:{name}" if i else "direct",
                "kind": kind,
                "reachability": one(["reachable", "partial", "blocked", "unknown"]),
                "tls": one(["intact", "intercepted", "unverified"]),
                "latency_ms": pick(None, 12.5, -3, 1e12, 80),
                "reason": anything(),
                "targets": targets,
                "detail": {
                    "bridges": [s(bridge_line())],
                    "endpoint": f"{s(odd_host)}:{draw(port)}",
                    "public_key": s(b64key),
                    "private_key": s(b64key),
                    "url": "ss://" + s(b64key) + "@x:1",
                    "protocol": pick(lambda: one(list(VPN_PROTOCOLS)), lambda: s(label)),
                    "transport": pick(lambda: one(list(TOR_TRANSPORTS)), lambda: s(label)),
                    anything(): anything(),
                },
            }
        )
    pids = [p["id"] for p in paths]
    interception = [
        {
            "host": pick(lambda: one(CATALOGUE), lambda: s(odd_host), lambda: s(ipv4)),
            "paths": [one(pids), anything()],
            "issuer": dn(),
            "root_sha256": pick(lambda: one(hashes), lambda: s(hexfp), anything, None),
            "known_as": pick(lambda: one(KNOWN), lambda: s(label), None),
            "signals": [pick(lambda: one(list(SIGNALS)), anything)],
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    profile: dict[str, Any] = {
        "schema": "pathprobe.profile/1",
        "label": lab,
        "created": one(["2026-11-22T10:00:00Z", "2026-01-05T23:59:59+05:00"]),
        "tool_version": pick("0.1.0", anything),
        "network": {
            "asn": pick(None, 9198),
            "country": anything(),
            "connectivity": pick("online", "portal", "offline", None),
            "portal": {
                "detected": pick(True, False, None),
                "host": s(odd_host),
                "url": f"http://{s(odd_host)}/{s(label)}",
                "failure": anything(),
                "offered_certificates": [
                    {
                        "sha256": pick(lambda: one(hashes), anything),
                        "spki_sha256": anything(),
                        "subject": dn(),
                        "known_as": pick(lambda: one(KNOWN), anything),
                        "over": anything(),
                        "url": f"http://{s(odd_host)}/ca.crt",
                    }
                ],
            },
        },
        "paths": paths,
        "interception": interception,
        "trust_store": {
            "source": anything(),
            "known_interception_roots": [
                {"sha256": pick(lambda: one(hashes), anything), "subject": dn(), "known_as": anything()}
            ],
        },
        "recommendation": {
            "path": pick(lambda: one(pids), anything, None),
            "ranked": [anything()],
            "advice": anything(),
        },
        "observations": [
            {
                "step": "tcp",
                "path": anything(),
                "target": anything(),
                "detail": {"address": s(ipv4), "peer": s(ipv6), anything(): anything()},
            }
        ],
        "x_" + anything(): anything(),  # a field this version does not know (never a known key)
    }
    legit = [
        *VOCAB,
        *BENIGN_DN,
        *CATALOGUE,
        *KNOWN,
        *hashes,
        FIXED_ID,
        "2026-11-22",
        "2026-01-05",
        "0.1.0",
        "pathprobe.summary/1",
        "other",
    ]
    return profile, secrets, legit


def keys(v: Any) -> list[str]:
    """The schema's own key names (a label such as "country" may legitimately appear as a key)."""
    if isinstance(v, dict):
        return [*v, *(k for x in v.values() for k in keys(x))]
    if isinstance(v, list):
        return [k for x in v for k in keys(x)]
    return []


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(hostile())
def test_no_planted_value_survives(case: tuple[dict[str, Any], list[str], list[str]]) -> None:
    data, secrets, legit = case
    before = copy.deepcopy(data)
    summary = summarise(Profile.from_json(data, "hostile"), summary_id=FIXED_ID)  # loads: only text is hostile
    assert data == before  # reading and summarising do not modify the input
    validate_summary(summary)  # schema-valid whatever came in
    text = json.dumps(summary, ensure_ascii=False).lower()
    corpus = "\n".join([*legit, *keys(summary)]).lower()
    assert not IPV4.search(text)
    for secret in secrets:
        low = secret.lower()
        if low in corpus:  # e.g. a generated label that happens to be a vocabulary word
            continue
        assert low not in text, f"{secret!r} survived into the summary"
    # Only catalogue hosts, vocabulary ids and vetted hashes: the id set is closed.
    for p in summary["paths"]:
        assert all(site["host"] in catalogue() for site in p["sites"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile())
def test_hostile_profile_through_the_cli_loader(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[dict[str, Any], list[str], list[str]]
) -> None:
    """Through load_profile: either a clean summary or BadInput (exit 2), never another exception."""
    profile, _, _ = case
    f = tmp_path_factory.mktemp("hostile") / "p.json"
    f.write_text(json.dumps(profile, default=str))
    try:
        loaded = load_profile(f)
    except BadInput:
        return
    validate_summary(summarise(loaded))


# ---- issue 16, part 8: every word of the label, encoded addresses and MAC addresses ----------------------


@pytest.mark.parametrize(
    "value",
    [
        "c0a80001",
        "0xC0A80001",
        "3232235521",
        "aa-bb-cc-dd-ee-ff",
        "AABB.CCDD.EEFF",
        "aabbccddeeff",
        "gw 192-168-0-1",
        "0300.0250.0.1",
    ],
)
def test_clean_dn_drops_encoded_addresses_and_macs(value: str) -> None:
    assert clean_dn(f"CN=Proxy {value},O=Acme") == "O=Acme"
    with pytest.raises(SummaryError):  # the collector's validator refuses a summary carrying one
        _validated_with_issuer(f"CN=Proxy {value}")


def _validated_with_issuer(issuer: str) -> dict[str, Any]:
    s = summarise(sample(), summary_id=FIXED_ID)
    s["interception"][0]["issuer"] = issuer
    return validate_summary(s)


def test_fingerprint_like_names_and_fingerprints_are_kept() -> None:
    s = summarise(sample(), summary_id=FIXED_ID)
    assert s["interception"][0]["root_sha256"] == QAZNET  # hex, but no address
    assert clean_dn("CN=Security Certificate,O=mitmproxy") == "CN=Security Certificate,O=mitmproxy"


def with_label_and_names(label: str, issuer: str, subject: str) -> Profile:
    data = json.loads(SAMPLE_PROFILE.read_text("utf-8"))
    data["label"] = label
    for f in data["interception"]:
        f["issuer"] = issuer
    data["network"]["portal"]["offered_certificates"][0]["subject"] = subject
    return Profile.from_json(data, "test")


@pytest.mark.parametrize(
    "label,dn,kept",
    [
        ("Cafe Ab 5", "CN=Ab Networks", None),  # a two-letter word
        ("Cafe Ab 5", "CN=Proxy 5,O=Acme", "O=Acme"),  # a one-digit word
        ("Cafe Ab 5", "O=CAFE", None),  # a four-letter word, any case
        ("Кафе Ақ", "CN=Ақ Желі", None),  # any script
        ("B&B Almaty", "CN=B Gateway,O=Acme", "O=Acme"),  # "B&B": the word "b"
        ("Cafe Ab 5", "CN=Security Certificate", "CN=Security Certificate"),  # no word shared: kept
    ],
)
def test_every_word_of_the_label_is_dropped_from_certificate_names(
    label: str, dn: str, kept: str | None
) -> None:
    s = summarise(with_label_and_names(label, dn, dn), summary_id=FIXED_ID)
    assert s["interception"][0]["issuer"] == kept
    assert s["network"]["portal"]["offered_certificates"][0]["subject"] == kept


def free_text(summary: dict[str, Any]) -> list[str]:
    """The values of every certificate name a summary keeps (its only text not from a fixed list)."""
    names = [f["issuer"] for f in summary["interception"]]
    portal = summary["network"]["portal"]
    names += [c["subject"] for c in (portal["offered_certificates"] if portal else [])]
    return [v.partition("=")[2] for n in names if n for v in n.split(",")]


word = st.one_of(
    st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True),
    st.text(alphabet=st.characters(categories=["Lu", "Ll", "Nd"]), min_size=1, max_size=6),
)


@st.composite
def planted_names(draw: st.DrawFn) -> tuple[str, list[str], list[str], list[str]]:
    """A label of short and long words, and certificate names holding its words and encoded addresses."""
    words_ = draw(st.lists(word, min_size=1, max_size=4))
    label = draw(st.sampled_from([" ", "-", ", ", "&", "/"])).join(words_)
    planted: list[str] = []

    def address() -> str:
        kind = draw(st.sampled_from(["v4", "v6", "mac"]))
        if kind == "v4":
            forms = ipv4_forms(draw(st.ip_addresses(v=4)))  # type: ignore[arg-type]
        elif kind == "v6":
            forms = ipv6_forms(draw(st.ip_addresses(v=6)), "eth0")  # type: ignore[arg-type]
        else:
            forms = mac_forms(draw(st.binary(min_size=6, max_size=6)))
        f = draw(st.sampled_from(forms))
        planted.append(f)
        return f

    def value() -> str:
        return draw(
            st.sampled_from(
                [
                    lambda: f"{draw(st.sampled_from(words_))} Gateway",
                    lambda: f"Proxy {draw(st.sampled_from(words_)).upper()} CA",
                    lambda: f"Proxy {address()}",
                    lambda: address(),
                    lambda: "Security Certificate",
                ]
            )
        )()

    def name() -> str:
        return ",".join(f"{k}={value()}" for k in draw(st.lists(st.sampled_from(["CN", "O", "OU"]), min_size=1,
                                                                 max_size=3, unique=True)))

    return label, [name() for _ in range(2)], planted, words_


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_names())
def test_no_label_word_or_encoded_address_survives_in_names(
    case: tuple[str, list[str], list[str], list[str]],
) -> None:
    label, (issuer, subject), planted, _ = case
    s = summarise(with_label_and_names(label, issuer, subject), summary_id=FIXED_ID)
    validate_summary(s)
    lwords = {w.casefold() for w in re.findall(r"[^\W_]+", label)}
    for v in free_text(s):
        assert lwords.isdisjoint(w.casefold() for w in re.findall(r"[^\W_]+", v)), (label, v)
    text = re.sub(r"[0-9a-f]{32,64}", "", json.dumps(s, ensure_ascii=False).lower())  # ids and hashes
    names = "\n".join(free_text(s)).lower()
    for f in planted:
        assert f.lower() not in names, f"{f!r} survived"
        if len(f) >= 8:
            assert f.lower() not in text, f"{f!r} survived"
    if "Security Certificate" in issuer and not lwords & {"security", "certificate"}:
        assert any(v == "Security Certificate" for v in free_text(s))  # a clean value still kept
