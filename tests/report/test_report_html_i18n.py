"""The HTML report in Russian and Kazakh, checked in headless Chromium: ``<html lang>``, and no horizontal
overflow on a phone (375 px) or a small laptop (1024 px), for every reference profile.

Each report is put, as it is (its own CSP and CSS), in an ``<iframe srcdoc>`` of the width under test on
one page per language; the page's script (the reports have none) measures each frame once they have all
loaded and writes the results into the DOM that ``--dump-dom`` prints.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest
from tests.chromium import HEADLESS, require_chromium

from pathprobe.profile import load_profile
from pathprobe.report.html import render_html

REPO = Path(__file__).resolve().parents[2]
PROFILES = sorted((REPO / "profiles").glob("*.json"))
WIDTHS = (375, 1024)

MEASURE = """
<script>
window.addEventListener("load", () => {
  const out = Array.from(document.querySelectorAll("iframe")).map(f => {
    const d = f.contentDocument, root = d.documentElement;
    const wide = Array.from(d.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > f.contentWindow.innerWidth + 1)
      .slice(0, 3).map(e => e.tagName + "." + e.className + ": " + (e.textContent || "").slice(0, 60));
    return {name: f.dataset.name, width: f.contentWindow.innerWidth, scroll: root.scrollWidth, lang: root.lang,
            title: d.title, wide: wide};
  });
  const pre = document.createElement("pre");
  pre.id = "result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _page(lang: str, profiles: list[Path], widths: tuple[int, ...]) -> str:
    frames = []
    for path in profiles:
        doc = render_html(load_profile(path), lang)
        for w in widths:
            frames.append(f'<iframe data-name="{escape(path.stem)}@{w}" style="width:{w}px;height:600px;border:0" '
                          f'srcdoc="{escape(doc, quote=True)}"></iframe>')
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{''.join(frames)}{MEASURE}</body></html>"


def _measure(tmp: Path, page: str) -> list[dict[str, object]]:
    html = tmp / "page.html"
    html.write_text(page, "utf-8")
    cmd = [require_chromium(), *HEADLESS, f"--user-data-dir={tmp / 'chrome-profile'}", "--window-size=1200,900",
           "--virtual-time-budget=10000", "--dump-dom", html.as_uri()]
    if os.geteuid() == 0 and shutil.which("unshare"):
        cmd = ["unshare", "--net", *cmd]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    m = re.search(r'<pre id="result">(.*?)</pre>', run.stdout, re.S)
    assert m, run.stdout[-2000:]
    result: list[dict[str, object]] = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")
                                                 .replace("&lt;", "<").replace("&gt;", ">"))
    return result


def test_the_overflow_check_can_fail(tmp_path: Path) -> None:
    """A report with an unbreakable line wider than a phone is caught."""
    wide = tmp_path / "wide.json"
    data = json.loads((REPO / "profiles" / "clean.json").read_text("utf-8"))
    data["label"] = "x" * 40 + "—" + "W" * 200  # no break opportunity... unless the page allows one anywhere
    wide.write_text(json.dumps(data), "utf-8")
    page = _page("ru", [wide], (375,)).replace("overflow-wrap: anywhere", "overflow-wrap: normal")
    page = re.sub(r"(header h1 \{)", r"\1 white-space: nowrap;", page)
    (got,) = _measure(tmp_path, page)
    assert got["scroll"] > got["width"], got  # type: ignore[operator]


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_reports_fit_a_phone_and_a_laptop_in_chromium(tmp_path: Path, lang: str) -> None:
    assert len(PROFILES) >= 20
    results = _measure(tmp_path, _page(lang, PROFILES, WIDTHS))
    assert len(results) == len(PROFILES) * len(WIDTHS)
    for r in results:
        assert r["lang"] == lang, r
        assert r["width"] in WIDTHS, r
        assert r["scroll"] <= r["width"], r  # no horizontal overflow: nothing to scroll sideways
        assert str(r["title"]).startswith("pathprobe"), r
