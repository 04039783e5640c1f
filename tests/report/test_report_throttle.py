"""Throttling in every report (issue 17), from the real lab run in profiles/throttle.json."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from pathprobe.profile import load_profile
from pathprobe.report.diff import diff_profiles, render_text
from pathprobe.report.html import render_html
from pathprobe.report.markdown import render_markdown
from pathprobe.report.terminal import render_profile

PROFILES = Path(__file__).resolve().parents[2] / "profiles"


def test_terminal_names_each_throttled_site_and_its_comparable() -> None:
    buf = io.StringIO()
    render_profile(load_profile(PROFILES / "throttle.json"), Console(file=buf, width=200))
    out = buf.getvalue()
    assert "Throttled www.socialnet.test on direct:" in out and "Throttled www.tube.test on direct:" in out
    assert "kbit/s for" in out and "Throttled" not in render_clean()


def render_clean() -> str:
    buf = io.StringIO()
    render_profile(load_profile(PROFILES / "clean.json"), Console(file=buf, width=200))
    return buf.getvalue()


def test_markdown_and_html_carry_a_badge_per_throttled_site() -> None:
    prof = load_profile(PROFILES / "throttle.json")
    md = render_markdown(prof)
    assert md.count("**throttled ") == 2
    html = render_html(prof)
    assert html.count('class="badge throttled"') == 2
    assert 'class="badge throttled"' not in render_html(load_profile(PROFILES / "lossy.json"))


def test_diff_says_throttled_added_and_removed() -> None:
    clean, thr = load_profile(PROFILES / "clean.json"), load_profile(PROFILES / "throttle.json")
    added = [c for c in diff_profiles(clean, thr)["changes"] if c.get("field") == "throttled"]
    assert sorted(c["target"] for c in added) == ["www.socialnet.test", "www.tube.test"]
    assert all(c["before"] is False and c["after"] is True for c in added)
    assert "throttled added" in render_text(diff_profiles(clean, thr))
    assert "throttled removed" in render_text(diff_profiles(thr, clean))
    assert not [c for c in diff_profiles(clean, clean)["changes"] if c.get("field") == "throttled"]
