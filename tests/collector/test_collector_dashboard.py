"""The dashboard loaded once in headless chromium: it runs without errors and draws the stored data."""

from __future__ import annotations

import datetime as dt
import random
import re
import subprocess
from pathlib import Path

from collector_helpers import Server
from tests.chromium import HEADLESS, require_chromium

from pathprobe.collector.storage import open_storage
from pathprobe.collector.synthetic import summary as synth


def chromium_dom(url: str, profile_dir: Path) -> str:
    r = subprocess.run(
        [
            require_chromium(),
            *HEADLESS,
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile_dir}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_dashboard_in_headless_chromium(tmp_path: Path, server_factory: list[Server]) -> None:
    require_chromium()
    db = str(tmp_path / "c.db")
    st = open_storage(db)
    tid = st.token_id(st.add_token("demo"))
    assert tid is not None
    rng = random.Random(31)
    start = dt.date(2026, 10, 5)
    st.bulk_load(
        [
            synth(rng, country=rng.choice(["KZ", "RU"]), day=start + dt.timedelta(days=rng.randrange(28)))
            for _ in range(400)
        ],
        tid,
        "2026-11-22",
    )
    expected = st.aggregate(("week",), 5)["cells"]
    st.close()
    srv = Server(db, k=5)
    server_factory.append(srv.start())
    dom = chromium_dom(srv.url + "/", tmp_path / "chromium")
    assert 'data-status="ok"' in dom, dom[:500]
    cells = re.findall(
        r'<g class="cell" data-path="([^"]+)" data-week="([^"]+)" data-works="(\d+)" '
        r'data-tested="(\d+)"',
        dom,
    )
    # the default view (all countries) shows every visible cell with its numbers
    assert sorted(cells) == sorted(
        (c["path"], c["week"], str(c["works"]), str(c["paths_tested"])) for c in expected
    )
    assert {w for _, w, _, _ in cells} == {"2026-W41", "2026-W42", "2026-W43", "2026-W44"}
    assert len(re.findall(r'<polyline[^>]+class="series"', dom)) == len({p for p, _, _, _ in cells})
    assert '<option value="KZ">KZ</option>' in dom and '<option value="RU">RU</option>' in dom


def test_over_time_chart_fits_1280px_and_names_every_line(tmp_path: Path) -> None:
    """Sixteen weeks of data at a 1280 px wide window: no horizontal scrollbar, and every line of the
    "over time" chart is named in a legend and has its own dash pattern (not colour alone)."""
    from pathprobe.collector.dashboard import render_dashboard

    st = open_storage(str(tmp_path / "c.db"))
    tid = st.token_id(st.add_token("demo"))
    assert tid is not None
    rng = random.Random(5)
    start = dt.date(2026, 6, 1)
    st.bulk_load(
        [synth(rng, country="KZ", day=start + dt.timedelta(days=rng.randrange(16 * 7)), n_paths=7)
         for _ in range(1500)],
        tid,
        "2026-11-22",
    )
    page = render_dashboard(st.aggregate(("country", "week"), 5), st.aggregate(("week",), 5), 5)
    st.close()
    probe = (
        "<script>document.body.dataset.scroll = document.documentElement.scrollWidth + ',' +"
        " document.documentElement.clientWidth;</script></body>"
    )
    f = tmp_path / "dash.html"
    f.write_text(page.replace("</body>", probe))
    r = subprocess.run(
        [require_chromium(), *HEADLESS, "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chr'}",
         "--window-size=1280,900", "--dump-dom", f.as_uri()],
        capture_output=True, text=True, timeout=90,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    assert 'data-status="ok"' in dom, dom[:500]
    m = re.search(r'data-scroll="(\d+),(\d+)"', dom)
    assert m, dom[:500]
    scroll, client = int(m[1]), int(m[2])
    assert 1000 < client <= 1280 and scroll <= client, (scroll, client)
    weeks = set(re.findall(r'data-week="([^"]+)"', dom))
    assert len(weeks) >= 15
    series = re.findall(r'<polyline[^>]+stroke-dasharray="([^"]*)"[^>]+class="series" data-path="([^"]+)"', dom)
    keys = re.findall(r'<li class="key" data-path="([^"]+)"', dom)
    assert len(series) >= 6 and sorted(keys) == sorted(p for _, p in series)
    dashes = [d for d, _ in series]
    assert len(set(dashes)) == min(len(dashes), 6)
