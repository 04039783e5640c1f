"""Reports show how a network blocks (issue 17): terminal notes, Markdown, HTML badge and card, diff."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from rich.console import Console

from pathprobe.profile import load_profile
from pathprobe.report.diff import diff_profiles, render_text
from pathprobe.report.html import render_html
from pathprobe.report.markdown import render_markdown
from pathprobe.report.terminal import render_profile

PROFILES = Path(__file__).resolve().parents[2] / "profiles"


def test_terminal_markdown_html_show_the_kind_of_blocking() -> None:
    prof = load_profile(PROFILES / "sni-drop.json")
    buf = io.StringIO()
    render_profile(prof, Console(file=buf, width=200, color_system=None))
    text = buf.getvalue()
    assert ("Blocking www.socialnet.test on direct: silent drop after the TLS hello, by server name; splitting "
            "the hello got through with HTTPS intact (tcp_segments, tls_records)") in text
    md = render_markdown(prof)
    assert "## How this network blocks" in md and "[SNI drop]" in md
    html = render_html(prof)
    assert 'id="blocking"' in html and ">SNI drop</span>" in html
    reassembled = render_markdown(load_profile(PROFILES / "sni-reassemble.json"))
    assert "TCP reset after the TLS hello, by server name; splitting the hello did not help" in reassembled
    address = render_markdown(load_profile(PROFILES / "ip-drop.json"))
    assert "by address (whatever the name)" in address and "[address]" in address


def test_old_profiles_show_no_blocking() -> None:
    prof = load_profile(PROFILES / "ip-blocking.json")
    assert "How this network blocks" not in render_markdown(prof)
    assert 'id="blocking"' not in render_html(prof)


def test_diff_says_when_the_kind_of_blocking_changed() -> None:
    a = load_profile(PROFILES / "sni-drop.json")
    b = load_profile(PROFILES / "sni-reassemble.json")
    d = diff_profiles(a, b)
    changes = [c for c in d["changes"] if c.get("field") == "blocking"]
    assert {c["target"] for c in changes} == {"www.socialnet.test", "www.tube.test"}
    assert all((c["before"], c["after"]) == ("tls timeout sni", "tls reset sni") for c in changes)
    assert "blocking tls timeout sni → tls reset sni" in render_text(d)
    same = diff_profiles(a, dataclasses.replace(a))
    assert not [c for c in same["changes"] if c.get("field") == "blocking"]
