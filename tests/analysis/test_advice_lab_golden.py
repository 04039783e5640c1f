"""Every lab scenario's reference profile gives the right top recommendation and advice (golden files).

The reference profiles in profiles/ are real lab runs; the recommendation and advice are recomputed
from them with the pure code and compared with tests/golden/lab-advice/<scenario>.json, and told again in
Russian and Kazakh from the stored messages (<scenario>.ru.json, <scenario>.kk.json). Rewrite the
goldens deliberately with ``PATHPROBE_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pathprobe.analysis.recommend import recommend
from pathprobe.i18n import render_stored
from pathprobe.lab.scenario import load, shipped
from pathprobe.profile import load_profile

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "lab-advice"


@pytest.mark.parametrize("scenario", shipped())
def test_reference_profile_recommendation(scenario: str) -> None:
    ref = REPO / "profiles" / f"{scenario}.json"
    assert ref.is_file(), f"no reference profile for {scenario}"
    profile = load_profile(ref)
    got = recommend(profile).to_dict()  # (recommend never reads the profile's own recommendation)
    expected_path = load(scenario).expect.recommendation
    if expected_path is not None:
        assert got["path"] == (None if expected_path == "none" else expected_path)
    # the stored profile was made by the same code: its recommendation is the recomputed one
    assert profile.recommendation.to_dict() == got
    messages = got.pop("advice_messages", None)
    assert messages, "the advice is stored language-neutrally too (recommendation.advice_messages)"
    assert render_stored(messages, "en") == got["advice"]  # told again in English: the same text
    # English: <scenario>.json; Russian and Kazakh, told from the stored messages: <scenario>.ru.json, .kk.json
    for lang in ("en", "ru", "kk"):
        shown = dict(got) if lang == "en" else {"cases": got["cases"], "advice": render_stored(messages, lang)}
        golden = GOLDEN / (f"{scenario}.json" if lang == "en" else f"{scenario}.{lang}.json")
        if os.environ.get("PATHPROBE_UPDATE_GOLDEN") == "1":
            golden.write_text(json.dumps(shown, indent=1, ensure_ascii=False) + "\n")
        assert golden.is_file(), f"{golden} missing: run with PATHPROBE_UPDATE_GOLDEN=1 and review it"
        assert shown == json.loads(golden.read_text()), golden.name


def test_diff_clean_vs_kz_2019_names_exactly_what_changed() -> None:
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "pathprobe", "profile", "diff", str(REPO / "profiles" / "clean.json"),
                          str(REPO / "profiles" / "kz-2019.json"), "--json"], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    changes = json.loads(res.stdout)["changes"]
    intercepted = {"www.socialnet.test", "www.tube.test", "news.freepress.test"}
    summary = set()
    for c in changes:
        if c["what"] == "path_verdict":
            summary.add(("path", c["path"], c["field"], str(c["before"]), str(c["after"])))
        elif c["what"] == "target_verdict":
            summary.add(("target", c["target"], c["field"], str(c["before"]), str(c["after"])))
        elif c["what"] == "interception":
            assert c["known_as"] is None and "Security Certificate" in c["issuer"] and c["paths"] == ["direct"]
            summary.add(("finding", c["host"], c["change"]))
        elif c["what"] == "recommendation":
            summary.add(("recommendation", c["field"]))
        else:
            summary.add((c["what"],))
    expected = {("path", "direct", "tls", "intact", "intercepted")}
    for h in intercepted:
        expected |= {("target", h, "tls", "intact", "intercepted"),
                     ("target", h, "signals", "[]", "['device_trusted_not_public']"),
                     ("finding", h, "added")}
    expected |= {("recommendation", f) for f in ("path", "ranked", "advice")}
    assert summary == expected
