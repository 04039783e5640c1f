"""Summaries carry, per catalogue site and path, how it was blocked (issue 17): words only."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from pathprobe.errors import SummaryError
from pathprobe.profile import Profile, load_profile
from pathprobe.summary.anonymise import summarise
from pathprobe.summary.schema import validate_summary

PROFILES = Path(__file__).resolve().parents[2] / "profiles"
RENAME = {"www.socialnet.test": "allo.google.com", "news.freepress.test": "www.google.com"}


def with_catalogue_hosts(p: Profile) -> Profile:
    paths = tuple(dataclasses.replace(path, targets=tuple(
        dataclasses.replace(t, target=RENAME.get(t.target, t.target)) for t in path.targets)) for path in p.paths)
    return dataclasses.replace(p, paths=paths)


def sites(summary: dict[str, object]) -> dict[str, dict[str, object]]:
    return {s["host"]: s for p in summary["paths"] for s in p["sites"]}  # type: ignore[attr-defined,index]


@pytest.mark.parametrize(("scenario", "want"), [
    ("sni-drop", {"stage": "tls", "action": "timeout", "trigger": "sni",
                  "evasion_reached": ["tcp_segments", "tls_records"]}),
    ("sni-reassemble", {"stage": "tls", "action": "reset", "trigger": "sni", "evasion_reached": []}),
])
def test_blocking_words_in_the_summary(scenario: str, want: dict[str, object]) -> None:
    summary = summarise(with_catalogue_hosts(load_profile(PROFILES / f"{scenario}.json")))
    validate_summary(json.loads(json.dumps(summary)))
    got = sites(summary)
    assert got["allo.google.com"]["blocking"] == want
    assert "blocking" not in got["www.google.com"]  # reached: nothing to say
    text = json.dumps(summary)
    assert "www.bank.test" not in text and "control SNI" not in text and "10.77." not in text


def test_ip_drop_has_no_blocking_for_catalogue_sites_reached() -> None:
    summary = summarise(with_catalogue_hosts(load_profile(PROFILES / "ip-drop.json")))
    assert all("blocking" not in s for s in sites(summary).values())


@pytest.mark.parametrize(("bad", "message"), [
    ({"stage": "tls", "action": "timeout", "trigger": "sni", "evasion_reached": ["fake_packets"]}, "evasion_reached[0]"),
    ({"stage": "tls", "action": "timeout", "trigger": "gamma.example", "evasion_reached": []}, ".trigger"),
    ({"stage": "tls", "action": "timeout", "trigger": None}, "missing key 'evasion_reached'"),
    ({"stage": "tls", "action": "timeout", "trigger": None, "evasion_reached": [], "evidence": ["x"]}, "unknown key"),
])
def test_bad_blocking_is_rejected(bad: dict[str, object], message: str) -> None:
    summary = summarise(with_catalogue_hosts(load_profile(PROFILES / "sni-drop.json")))
    broken = copy.deepcopy(summary)
    for p in broken["paths"]:
        for s in p["sites"]:
            if "blocking" in s:
                s["blocking"] = bad
    with pytest.raises(SummaryError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_summary(broken)
