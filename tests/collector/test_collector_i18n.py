"""The collector dashboard in English, Russian and Kazakh (issue 18): ``?lang=``, then the request's
Accept-Language, then the server's language; ``<html lang>``, every heading and label, numbers for the
reader; the JSON API stays English whatever the server's language."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import httpx
import pytest
from collector_helpers import Server
from tests.chromium import require_chromium

from pathprobe import i18n
from pathprobe.collector.app import dashboard_language
from pathprobe.collector.dashboard import render_dashboard
from pathprobe.collector.storage import open_storage
from pathprobe.collector.synthetic import summary as synth

HEADINGS = {
    "en": ["How networks block", "Over time", "Latest week", "Which ways of reaching the web keep HTTPS intact, where"],
    "ru": ["Как блокируют сети", "Во времени", "Последняя неделя",
           "Какие способы выхода в интернет сохраняют HTTPS без перехвата и где"],
    "kk": ["Желілер қалай бұғаттайды", "Уақыт бойынша", "Соңғы апта",
           "Интернетке шығудың қай тәсілдері HTTPS-ті бүтін сақтайды және қай жерде"],
}
ENGLISH_RUN = re.compile(r"\b[a-z]{2,}(?: [a-z]{2,}){2,}\b")


def visible_text(page: str) -> str:
    """The page's text outside the scripts and tags (what a reader sees before the script runs)."""
    page = re.sub(r"<script\b.*?</script>", "", page, flags=re.S)
    page = re.sub(r"<style\b.*?</style>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def blocking(n: int) -> dict[str, object]:
    cells = [{"country": None, "asn": 9198 + i, "path": "direct", "submissions": 123456,
              "blocking": {"trigger": {"sni": 99999, "address": 1}, "evasion_reached": {}}, "throttled": 0}
             for i in range(n)]
    return {"k": 5, "by": ["country", "asn"], "cells": cells, "suppressed_cells": 0}


def test_language_choice() -> None:
    assert dashboard_language("kk", "ru-RU,ru;q=0.9") == "kk"
    assert dashboard_language(" RU ", None) == "ru"
    assert dashboard_language(None, "de-DE, ru;q=0.5, kk;q=0.8") == "kk"  # by weight
    assert dashboard_language(None, "ru-RU,ru;q=0.9,en;q=0.8") == "ru"
    assert dashboard_language(None, "kk_KZ, ru") == "kk"  # by order at equal weight
    assert dashboard_language("xx", "fr, kk;q=0") == "en"  # nothing usable: the server's language
    with i18n.using("ru"):
        assert dashboard_language(None, None) == "ru"


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_page_in_each_language(lang: str) -> None:
    page = render_dashboard({"cells": []}, {"cells": []}, 5, blocking(1), lang)
    assert f'<html lang="{lang}">' in page
    for h in HEADINGS[lang]:
        assert h in page
    text = visible_text(page)
    for h in HEADINGS["en"]:
        assert h not in page
    # names (English, as the languages' own names) and ids aside, no English sentence is left
    assert not ENGLISH_RUN.findall(text), ENGLISH_RUN.findall(text)
    assert "99\u00a0999" in page and "123\u00a0456" in page  # numbers for the reader
    assert '<b id="k">5</b>' in page
    for code in ("en", "ru", "kk"):
        assert f'href="?lang={code}"' in page
    assert 'aria-current="true">' + i18n.LANGUAGE_NAMES[lang] in page


def test_page_in_english_keeps_its_words() -> None:
    page = render_dashboard({"cells": []}, {"cells": []}, 5, blocking(1))
    assert '<html lang="en">' in page and "<td>99999</td>" in page
    assert 'Cells with fewer than <b id="k">5</b> submissions are not shown.' in page
    for h in HEADINGS["en"]:
        assert h in page


def test_dashboard_over_http_follows_query_then_accept_language(tmp_path: Path, server_factory: list[Server]) -> None:
    srv = Server(str(tmp_path / "c.db"))
    server_factory.append(srv.start())
    cases = [({}, {}, "en"), ({"lang": "kk"}, {"Accept-Language": "ru"}, "kk"),
             ({}, {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}, "ru"), ({}, {"Accept-Language": "de, kk;q=0.3"}, "kk")]
    for params, headers, lang in cases:
        r = httpx.get(srv.url + "/", params=params, headers=headers, timeout=10)
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text, (params, headers)
        assert r.headers["content-language"] == lang and "Accept-Language" in r.headers["vary"]
        assert all(h in r.text for h in HEADINGS[lang]), (params, headers)


def test_server_language_is_the_fallback_and_the_api_stays_english(
    tmp_path: Path, server_factory: list[Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHPROBE_LANG", "ru")
    srv = Server(str(tmp_path / "c.db"))
    token = srv.token("ngo")
    server_factory.append(srv.start())
    r = httpx.get(srv.url + "/", timeout=10)
    assert '<html lang="ru">' in r.text and "Как блокируют сети" in r.text
    r = httpx.post(srv.url + "/v1/summaries", json={"schema": "x"}, headers={"Authorization": f"Bearer {token}"},
                   timeout=10)
    assert r.status_code == 422 and r.json()["error"].startswith("body: not a pathprobe summary: 'schema' must be")


def test_charts_speak_russian_in_headless_chromium(tmp_path: Path, server_factory: list[Server]) -> None:
    """The script's words (totals, table headers, the country list) come from the page's language."""
    require_chromium()
    from test_collector_dashboard import chromium_dom

    db = str(tmp_path / "c.db")
    st = open_storage(db)
    tid = st.token_id(st.add_token("demo"))
    assert tid is not None
    rng = random.Random(7)
    start = dt.date(2026, 10, 5)
    st.bulk_load([synth(rng, country="KZ", day=start + dt.timedelta(days=rng.randrange(21))) for _ in range(200)],
                 tid, "2026-11-22")
    st.close()
    srv = Server(db, k=5)
    server_factory.append(srv.start())
    dom = chromium_dom(srv.url + "/?lang=ru", tmp_path / "chromium")
    assert 'data-status="ok"' in dom, dom[:500]
    assert re.search(r"Показано: \d+ (путь|пути|путей), 3 недели", dom), dom[:3000]
    assert "<th>проверки</th>" in dom and "<th>отправки</th>" in dom and "Все страны" in dom
    assert "weeks shown" not in dom and "All countries" not in dom
