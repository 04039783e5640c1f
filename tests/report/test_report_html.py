"""The HTML report: self-contained, escaped, and checked in a real headless browser (Debian chromium)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest
from tests.chromium import HEADLESS, require_chromium

from pathprobe.profile import Profile, load_profile
from pathprobe.report.html import render_html
from pathprobe.report.markdown import render_markdown

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE.parent / "golden" / "recommend"


def _hostile(profile: Profile) -> Profile:
    p = profile.to_dict()
    p["label"] = '<script>alert(1)</script><img src="http://127.0.0.1:9/x.png">'
    p["paths"][0]["targets"][0]["target"] = "<img src=x onerror=alert(2)>"
    p["interception"][0]["issuer"] = "CN=<b>evil</b>,O=<style>body{display:none}</style>"
    p["recommendation"]["advice"] = "</p><a href='http://127.0.0.1:9/'>click</a>"
    return Profile.from_json(p, "hostile")


def test_self_contained_and_escaped() -> None:
    page = render_html(_hostile(load_profile(FIXTURES / "kz-2019.json")))
    assert "<script" not in page and "<img" not in page and "<a " not in page and "<b>evil" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # No external assets: no src/href attributes, no stylesheet links, one inline style block.
    assert not re.search(r"<[^>]*\s(src|href)\s*=", page)
    assert "<link" not in page and page.count("<style>") == 1
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_markdown_escapes_and_lists_verdicts() -> None:
    md = render_markdown(_hostile(load_profile(FIXTURES / "kz-2019.json")))
    outside_code = re.sub(r"`[^`]*`", "", md)  # code spans are literal in Markdown
    assert not re.search(r"(?<!\\)<", outside_code), "an unescaped < in the Markdown"
    assert "\\<script\\>" in md
    md = render_markdown(load_profile(FIXTURES / "kz-2019.json"))
    assert "## Sites × paths" in md and "⚠ intercepted" in md and "✓ intact" in md
    assert "Qaznet Trust Network (lab copy) (KZ, 2019)" in md
    # Every table row has as many cells as its header.
    table = [ln for ln in md.splitlines() if ln.startswith("| Site") or ln.startswith("| facebook")]
    assert len({ln.count(" | ") for ln in table}) == 1


def _chromium(url: str, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Headless chromium, inside a new empty network namespace when root (nothing can leave)."""
    cmd = [
        require_chromium(),
        *HEADLESS,
        f"--user-data-dir={tmp / 'chrome-profile'}",
        "--enable-logging=stderr",
        "--v=0",
        *extra,
        url,
    ]
    if os.geteuid() == 0 and shutil.which("unshare"):
        cmd = ["unshare", "--net", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _console(stderr: str) -> list[str]:
    """Console messages: script errors, and CSP refusals (any attempt to load something external)."""
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln]




def test_console_detector_can_fail(tmp_path: Path) -> None:
    """The check below is real: a page that loads something external or throws does log to the console."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        'content="default-src \'none\'"></head><body><img src="http://127.0.0.1:9/x.png">'
        "<script>throw new Error('boom')</script></body></html>",
        "utf-8",
    )
    run = _chromium(bad.as_uri(), tmp_path, "--dump-dom")
    assert run.returncode == 0
    assert _console(run.stderr)


@pytest.mark.parametrize(
    "source", [FIXTURES / "kz-2019.json", GOLDEN / "portal-offers-certificates" / "profile.json"]
)
def test_renders_in_chromium(tmp_path: Path, source: Path) -> None:
    profile = load_profile(source)
    page = tmp_path / "report.html"
    page.write_text(render_html(profile), "utf-8")
    run = _chromium(page.as_uri(), tmp_path, "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    assert _console(run.stderr) == [], _console(run.stderr)
    dom = run.stdout
    # The browser built the page: the advice, every path and every cell's verdict are in its DOM.
    assert 'id="advice"' in dom and escape(profile.recommendation.advice or "", quote=False) in dom
    for p in profile.paths:
        assert f'<span class="pid">{p.id}</span>' in dom
    cells = re.findall(r'data-verdict="([^"]+)"', dom)
    assert cells == [t for row in _rows(profile) for t in row]
    assert "intercepted" in cells and "intact" in cells


def _rows(profile: Profile) -> list[list[str]]:
    from pathprobe.report.view import cell_word, matrix

    _paths, rows = matrix(profile)
    return [[cell_word(c.reachability, c.tls) for c in r.cells if c is not None] for r in rows]


def test_screenshot(tmp_path: Path) -> None:
    """A screenshot for the eye (kept under tmp); proves the page paints at projector size."""
    page = tmp_path / "report.html"
    page.write_text(render_html(load_profile(FIXTURES / "kz-2019.json")), "utf-8")
    shot = tmp_path / "shot.png"
    run = _chromium(page.as_uri(), tmp_path, "--window-size=1280,800", f"--screenshot={shot}")
    assert run.returncode == 0, run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
