"""Golden files: profile JSON in -> recommendation JSON out, one folder per case.

``tests/golden/recommend/<case>/profile.json`` is the input (a whole, valid profile);
``recommendation.json`` is what :func:`pathprobe.analysis.recommend.recommend` must return for it.
The profile's own ``recommendation`` is kept equal to it, so every input is also a consistent
profile for ``pathprobe profile show|render``.

To change the advice deliberately, regenerate and review the diff:

    PATHPROBE_UPDATE_GOLDEN=1 PYTHONPATH=src python -m pytest tests/report/test_report_golden.py
    git diff tests/golden/recommend
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pathprobe.analysis.recommend import recommend
from pathprobe.profile import Profile, load_profile

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "recommend"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "profile.json").is_file())
UPDATE = os.environ.get("PATHPROBE_UPDATE_GOLDEN") == "1"


def _expected(case: str) -> tuple[Profile, dict[str, Any]]:
    profile = load_profile(GOLDEN / case / "profile.json")
    got = recommend(profile).to_dict()
    out = GOLDEN / case / "recommendation.json"
    if UPDATE:
        out.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", "utf-8")
        profile = dataclasses.replace(profile, recommendation=recommend(profile))
        (GOLDEN / case / "profile.json").write_text(profile.to_json(), "utf-8")
    return profile, got


def test_there_are_cases() -> None:
    assert len(CASES) >= 12


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    profile, got = _expected(case)
    want = json.loads((GOLDEN / case / "recommendation.json").read_text("utf-8"))
    assert got == want, f"{case}: the recommendation changed; see this file's docstring to update it"
    assert profile.recommendation.to_dict() == want, f"{case}: profile.json's recommendation is stale"


# What each case must say, independently of the exact wording pinned above.
# (path, cases that must be present, phrases that must appear, phrases that must not appear)
RULES: dict[str, tuple[str | None, set[str], list[str], list[str]]] = {
    "clean": ("tor:vanilla", {"clean"}, ["No interception"], ["intercept HTTPS", "state"]),
    # A retired public root leaves the network clean: one sentence, never "remove", never interception.
    "retired-public-root-clean": (
        "direct", {"clean", "legacy_public_root"}, ["No interception", "not a sign of interception"],
        ["remove", "is intercepted"],
    ),
    # A root removed for cause: not verified, not interception; update or remove it.
    "distrusted-root": (
        "direct", {"distrusted_root"}, ["could not be verified", "not a sign of interception", "remove them"],
        ["is intercepted", "interception_"],
    ),
    "kz-2019-trusted-root": (
        "tor:obfs4",
        {"interception_known_root", "known_root_trusted", "interception_some_paths"},
        [
            "Qaznet Trust Network",
            "facebook.com",
            "this device trusts",
            "Remove it",
            "update-ca-certificates",
            "Tor with obfs4 bridges",
        ],
        [],
    ),
    "kz-2019-untrusted-root": (
        "tor:obfs4",
        {"interception_known_root", "interception_some_paths"},
        ["Qaznet Trust Network", "does not trust it", "do not install"],
        ["Remove it"],
    ),
    "unknown-issuer-device-trusted": (
        "vpn:office",
        {"interception_unknown_issuer", "interception_some_paths"},
        ["Avast Web/Mail Shield Root", "antivirus", "remove it"],
        ["state", "known"],
    ),
    "unknown-issuer-untrusted": (
        "tor:snowflake",
        {"interception_unknown_issuer", "interception_some_paths"},
        ["FortiGate CA", "company proxy"],
        ["state", "known"],
    ),
    "interception-on-every-path": (
        None,
        {"interception_all_paths", "nothing_works"},
        ["on this device itself", "certmgr.msc"],
        ["bridges.torproject.org", "state"],
    ),
    "dns-tampering": ("doh:quad9", {"dns_tampering"}, ["false answers for facebook.com"], []),
    "blocking-only": (
        "tor:obfs4",
        {"blocking"},
        ["does not reach facebook.com", "Tor is blocked"],
        ["intercept"],
    ),
    "nothing-works": (
        None,
        {"nothing_works", "blocking"},
        ["other Tor bridges", "another transport", "reached every site with HTTPS intact"],
        [],
    ),
    "dns-poison-doh-blocked": (
        None,
        {"blocking", "nothing_works"},
        ["encrypted DNS via lab is blocked", "does not reach news.freepress.test", "reached every site"],
        ["false answers", "intercept", "kept HTTPS intact"],  # no witness: no DNS lie is proven
    ),
    "nothing-tested": (None, {"nothing_works"}, ["could be tested", "tor program was not found"], []),
    "known-root-in-store-clean-network": (
        "doh:quad9",
        {"known_root_trusted"},
        ["Qaznet Trust Network", "not seen intercepting", "Keychain Access"],
        [],
    ),
    "portal-offers-certificates": (
        "tor:obfs4",
        {"portal_offers_certificate", "interception_some_paths"},
        [
            "Do not install",
            "Qaznet Trust Network",
            "Security Certificate",
            "plain HTTP",
            "can swap",
            "Tor with obfs4 bridges",
        ],
        ["qca.kz"],
    ),
    "portal-certificate-already-installed": (
        "tor:obfs4",
        {"portal_offers_certificate", "known_root_trusted"},
        ["already trusts", "remove it"],
        [],
    ),
    "captive-portal": (
        None,
        {"captive_portal"},
        ["log in", "say nothing about censorship"],
        ["blocked", "Try other", "login.airport.example"],
    ),
    "offline": (None, {"offline"}, ["offline", "shut down"], ["blocked", "intercept"]),
    "latency-tiebreak": ("vpn:fast", set(), [], []),
    "interception-through-tunnel-only": (
        "direct",
        {"interception_unknown_issuer", "interception_some_paths"},
        ["Through the VPN/proxy 'cafe'", "FreeVPN Inspection CA", "can read your traffic"],
        ["company proxy", "Your network intercepts"],
    ),
}


def test_every_case_has_rules() -> None:
    assert set(RULES) == set(CASES)


@pytest.mark.parametrize("case", sorted(RULES))
def test_rules(case: str) -> None:
    path, cases, must, must_not = RULES[case]
    got = recommend(load_profile(GOLDEN / case / "profile.json")).to_dict()
    assert got["path"] == path
    assert got["ranked"][:1] == ([path] if path else [])
    assert cases <= set(got["cases"]), got["cases"]
    for phrase in must:
        assert phrase in got["advice"], (case, phrase, got["advice"])
    for phrase in must_not:
        assert phrase not in got["advice"], (case, phrase, got["advice"])


def test_ranking_order() -> None:
    got = recommend(load_profile(GOLDEN / "latency-tiebreak" / "profile.json")).to_dict()
    # tor:meek is only partial; VPNs by latency (unknown last), then DoH, then direct.
    assert got["ranked"] == ["vpn:fast", "vpn:slow", "vpn:nolatency", "doh:quad9", "direct"]


@pytest.mark.parametrize("name", ["clean", "kz-2019"])
def test_real_fixtures_are_consistent(name: str) -> None:
    """tests/report/fixtures/*.json come from real loopback measurements (report_realnet.py); their
    stored recommendation must be what the code gives today (regenerate them if the advice changes)."""
    profile = load_profile(Path(__file__).resolve().parent / "fixtures" / f"{name}.json")
    assert recommend(profile) == profile.recommendation
