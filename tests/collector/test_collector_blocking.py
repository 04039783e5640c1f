"""The collector counts how networks block (issue 17): summaries with ``blocking`` and ``throttled`` sites
sent through the real collector process (SQLite and a real PostgreSQL), counted per country/ASN/path,
k-suppressed, backfilled by the migration from schema version 2, and shown on the dashboard."""

from __future__ import annotations

import copy
import dataclasses
import json
import random
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from collector_helpers import Server
from tests.chromium import HEADLESS, require_chromium

from pathprobe.collector.dashboard import render_dashboard
from pathprobe.collector.migrations import LATEST, MIGRATIONS
from pathprobe.collector.storage import open_storage
from pathprobe.collector.synthetic import summary as synth
from pathprobe.errors import SummaryError
from pathprobe.profile import Profile, load_profile
from pathprobe.summary.anonymise import summarise
from pathprobe.summary.schema import base_path, iso_week, validate_summary

PROFILES = Path(__file__).resolve().parents[2] / "profiles"
RENAME = {"www.socialnet.test": "allo.google.com", "www.tube.test": "android.com",
          "news.freepress.test": "www.google.com"}


def with_catalogue_hosts(p: Profile) -> Profile:
    paths = tuple(
        dataclasses.replace(path, targets=tuple(
            dataclasses.replace(t, target=RENAME.get(t.target, t.target)) for t in path.targets))
        for path in p.paths
    )
    return dataclasses.replace(p, paths=paths)


def made(scenario: str, country: str | None, asn: int | None) -> dict[str, Any]:
    """A real summary of a lab scenario's reference profile (its sites renamed into the catalogue)."""
    s = summarise(with_catalogue_hosts(load_profile(PROFILES / f"{scenario}.json")), country=country, asn=asn)
    return json.loads(json.dumps(s))


def recount(summaries: list[dict[str, Any]], k: int) -> dict[tuple[Any, ...], dict[str, Any]]:
    """(country, asn, path) -> the blocking counts, computed naively from the sites; cells under k dropped."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    subs: dict[tuple[Any, ...], set[str]] = {}
    for s in summaries:
        for p in s["paths"]:
            key = (s["network"]["country"], s["network"]["asn"], base_path(p["id"]))
            subs.setdefault(key, set()).add(s["id"])
            c = out.setdefault(key, {"stage": {"dns": 0, "tcp": 0, "tls": 0, "http": 0},
                                     "trigger": {"sni": 0, "address": 0},
                                     "evasion_reached": {"tcp_segments": 0, "tls_records": 0},
                                     "throttled": 0})
            for site in p["sites"]:
                b = site.get("blocking")
                if b:
                    c["stage"][b["stage"]] += 1
                    if b["trigger"]:
                        c["trigger"][b["trigger"]] += 1
                    for e in b["evasion_reached"]:
                        c["evasion_reached"][e] += 1
                c["throttled"] += site.get("throttled") is True
    return {key: v for key, v in out.items() if len(subs[key]) >= k}


def shown(agg: dict[str, Any]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {(c["country"], c["asn"], c["path"]): {**c["blocking"], "throttled": c["throttled"]}
            for c in agg["cells"]}


def test_summaries_say_throttled_and_nothing_more() -> None:
    throttle = made("throttle", "KZ", 9198)
    sites = {(p["id"], s["host"]): s for p in throttle["paths"] for s in p["sites"]}
    assert sites[("direct", "allo.google.com")]["throttled"] is True
    assert sites[("direct", "android.com")]["throttled"] is True
    assert "throttled" not in sites[("direct", "www.google.com")]  # not throttled: no key at all
    assert all("throttled" not in s for (pid, _), s in sites.items() if pid != "direct")
    text = json.dumps(throttle)
    assert "kbps" not in text and "goodput" not in text and "compared_with" not in text
    assert "throttled" not in json.dumps(made("sni-drop", None, None))  # old-style summaries unchanged
    validate_summary(throttle)


@pytest.mark.parametrize("bad", [1, 0, "true", None, [], {}, 1.0])
def test_throttled_must_be_a_boolean(bad: Any) -> None:
    s = made("throttle", None, None)
    s["paths"][0]["sites"][0]["throttled"] = bad
    with pytest.raises(SummaryError, match=r"paths\[0\]\.sites\[0\]\.throttled: must be true or false"):
        validate_summary(s)
    s["paths"][0]["sites"][0]["throttled"] = False
    validate_summary(s)


def test_counts_through_the_collector_with_k_suppression(db_url: str, server_factory: list[Server]) -> None:
    srv = Server(db_url, k=3)
    token = srv.token("ngo")
    server_factory.append(srv.start())
    auth = {"Authorization": f"Bearer {token}"}
    kz = [made(x, "KZ", 9198) for x in ("sni-drop", "sni-drop", "ip-drop", "throttle", "sni-reassemble")]
    ru = [made("sni-drop", "RU", 8359) for _ in range(2)]  # two submissions: under k=3
    for s in [*kz, *ru, kz[0]]:  # the repeat is a duplicate and counts once
        r = httpx.post(srv.url + "/v1/summaries", json=s, headers=auth, timeout=10)
        assert r.status_code in (200, 201), r.text
    # a wrong type is the sender's fault (422), never a 500, and stores nothing
    before = httpx.get(srv.url + "/v1/aggregate", params={"by": "country,asn"}, headers=auth, timeout=10).json()
    for bad in (1, "yes", None, [True]):
        broken = copy.deepcopy(kz[3])
        broken["id"] = f"{random.Random(str(bad)).getrandbits(128):032x}"
        broken["paths"][0]["sites"][0]["throttled"] = bad
        r = httpx.post(srv.url + "/v1/summaries", json=broken, headers=auth, timeout=10)
        assert r.status_code == 422 and "throttled" in r.json()["error"], r.text
    agg = httpx.get(srv.url + "/v1/aggregate", params={"by": "country,asn"}, headers=auth, timeout=10).json()
    assert agg == before
    assert shown(agg) == recount([*kz, *ru], 3)
    direct = shown(agg)[("KZ", 9198, "direct")]
    assert direct == {"stage": {"dns": 0, "tcp": 0, "tls": 7, "http": 0}, "trigger": {"sni": 6, "address": 1},
                      "evasion_reached": {"tcp_segments": 4, "tls_records": 4}, "throttled": 2}
    assert {(c["country"], c["path"]) for c in agg["cells"]} == {("KZ", "direct")}
    assert agg["suppressed_cells"] == 2  # RU direct (2 submissions), KZ vpn:shadowsocks (1)
    # the dashboard's table, with no token, shows the KZ network and not the suppressed RU one
    page = httpx.get(srv.url + "/", timeout=10).text
    section = page.split('<section id="blocking">', 1)[1].split("</section>", 1)[0]
    assert "How networks block" in section
    rows = [[c for c in row.split('<td')[1:]] for row in section.split('<tr class="net">')[1:]]
    cells = [[c.split(">", 1)[1].split("<", 1)[0] for c in row] for row in rows]
    assert cells == [["KZ", "AS9198", "direct", "6", "1", "4", "4", "2", "5"]]


def _old_schema(url: str, summaries: list[dict[str, Any]]) -> None:
    """A database at schema version 2 (as the last release left it), holding ``summaries`` and the
    counters version 2 knew."""
    rows = [(s["id"], s["day"], iso_week(s["day"]), s["network"]["country"] or "ZZ",
             s["network"]["asn"] or 0, json.dumps(s)) for s in summaries]
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as c:
            c.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            for m in MIGRATIONS[:2]:
                for sql in m.postgres:
                    c.execute(sql)
            c.execute("INSERT INTO schema_version VALUES (1), (2)")
            c.execute("INSERT INTO tokens (name, token_sha256, created) VALUES ('old', 'x', '2026-01-01T00:00:00Z')")
            for r in rows:
                c.execute("INSERT INTO summaries VALUES (%s, 1, '2026-11-01', %s, %s, %s, %s, %s)", r)
            c.execute("INSERT INTO path_counts (week, country, asn, path, submissions) VALUES ('x', 'KZ', 1, 'direct', 1)")
        return
    conn = sqlite3.connect(url)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for m in MIGRATIONS[:2]:
        for sql in m.sqlite:
            conn.execute(sql)
    conn.execute("INSERT INTO schema_version VALUES (1), (2)")
    conn.execute("INSERT INTO tokens (name, token_sha256, created) VALUES ('old', 'x', '2026-01-01T00:00:00Z')")
    conn.executemany("INSERT INTO summaries VALUES (?, 1, '2026-11-01', ?, ?, ?, ?, ?)", rows)
    conn.execute("INSERT INTO path_counts (week, country, asn, path, submissions) VALUES ('x', 'KZ', 1, 'direct', 1)")
    conn.commit()
    conn.close()


def test_migration_from_version_2_backfills_the_new_counters(db_url: str, tmp_path: Path) -> None:
    rng = random.Random(17)
    items = [made(x, "KZ", 9198) for x in ("sni-drop", "ip-drop", "throttle")] + [synth(rng) for _ in range(20)]
    _old_schema(db_url, items)
    st = open_storage(db_url)
    try:
        assert LATEST == 3 and st.schema_version() == 3
        got = st.aggregate(("country", "asn"), 1)
        assert shown(got) == recount(items, 1)
        assert shown(got)[("KZ", 9198, "direct")]["trigger"] == {"sni": 2, "address": 1}
        fresh = open_storage(str(tmp_path / "fresh.db"))  # the same summaries loaded at the new version
        tid = fresh.token_id(fresh.add_token("new"))
        assert tid is not None
        fresh.bulk_load(items, tid, "2026-11-22")
        for by in (("country", "asn", "week"), ("week",)):
            assert st.aggregate(by, 1) == fresh.aggregate(by, 1)  # the old counters were recomputed too
        fresh.close()
    finally:
        st.close()
    st = open_storage(db_url)  # a second open does nothing more
    assert st.migrate() == 3
    st.close()


def _network_cells(n: int) -> dict[str, Any]:
    cells = []
    for i in range(n):
        cells.append({"country": "KZ" if i % 2 else None, "asn": 4_200_000_000 + i if i % 3 else None,
                      "path": "vpn:shadowsocks" if i % 2 else "doh:cleanbrowsing", "submissions": 123456,
                      "blocking": {"stage": {"tls": 1}, "trigger": {"sni": 99999, "address": 88888},
                                   "evasion_reached": {"tcp_segments": 77777, "tls_records": 66666}},
                      "throttled": 55555})
    return {"k": 5, "by": ["country", "asn", "path"], "cells": cells, "suppressed_cells": 0}


def test_the_table_escapes_what_it_shows() -> None:
    agg = _network_cells(1)
    agg["cells"][0]["path"] = "<script>alert(1)</script>"
    agg["cells"].append({**agg["cells"][0], "path": "tor", "blocking": {}, "throttled": 0})  # nothing to show
    page = render_dashboard({"cells": []}, {"cells": []}, 5, agg)
    section = page.split('<section id="blocking">', 1)[1].split("</section>", 1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section and "<script>" not in section
    assert section.count('<tr class="net">') == 1
    empty = render_dashboard({"cells": []}, {"cells": []}, 5, _network_cells(0))
    assert 'id="no-blocking"' in empty and "<link" not in empty and "http://" not in empty.replace(
        'xmlns="http://www.w3.org/2000/svg"', "").replace('"http://www.w3.org/2000/svg"', "")


def test_the_table_fits_1280px(tmp_path: Path) -> None:
    page = render_dashboard({"cells": []}, {"cells": []}, 5, _network_cells(40))
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
    assert dom.count('<tr class="net">') == 40
    scroll, client = (int(x) for x in dom.split('data-scroll="', 1)[1].split('"', 1)[0].split(","))
    assert 1000 < client <= 1280 and scroll <= client, (scroll, client)
