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
