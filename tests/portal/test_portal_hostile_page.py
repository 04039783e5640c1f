"""Hostile portal pages (issue 16, part 2): the page scanner is linear-time and bounded, and it runs off
the event loop, so a pathological page neither takes seconds nor stalls the probes sharing the loop.

Times are compared as ratios within one run (a normal page of the same size is the yardstick), never
against a wall-clock number; the loop's lag is compared with the probe's own ``--timeout``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from portal_helpers import DETECT, PORTAL, ServeFn

from pathprobe.lab.servers.pki import CA
from pathprobe.lab.servers.portal import Route, Site, certificate_portal, login_portal, qaznet_root_pem
from pathprobe.net.portalfetch import MAX_PAGE_BYTES, parse_url, scan_page
from pathprobe.probes.base import RunContext
from pathprobe.probes.portal import PortalProbe

KNOWN = f"http://detect.test:{DETECT}/success.txt"
PORTAL_URL = f"http://portal.test:{PORTAL}/"
SIZE = MAX_PAGE_BYTES


class Reference(HTMLParser):
    """What the stdlib's HTMLParser finds (the scanner's former implementation), for ordinary pages."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.refresh: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in reversed(attrs)}  # the first of repeated attributes wins
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh" and self.refresh is None:
            _, _, rest = a.get("content", "").partition(";")
            rest = rest.strip()
            if rest.lower().startswith("url="):
                self.refresh = rest[4:].strip().strip("'\"")
        for key in ("href", "src"):
            if a.get(key):
                self.links.append((a[key], a.get("type", "").split(";", 1)[0].strip().lower()))


ORDINARY = [
    certificate_portal([("qaznet", qaznet_root_pem())])["/"].body.decode(),
    login_portal()["/"].body.decode(),
    '<meta http-equiv="Refresh" content="0; URL=\'http://portal.test/login?a=1&amp;b=2\'">',
    "<A HREF=/root.cer TYPE='application/x-x509-ca-cert; q=1'>x</A><img src=logo.png alt=x/>",
    "<!-- <a href='/commented.cer'> --><a href = \"/spaced.crt\" >y</a><br/><a href='/a&#46;pem'>z</a>",
    "<script>var s = '<a href=\"/in-script.cer\">';</script><a href='/after-script.der'>ok</a>",
    "<style>a[href='/x.cer']{}</style><p title='a > b'><a href='/gt.cer' download>cert</a></p>",
    "<a href='/one.cer' href='/two.cer'>repeated attribute</a> 1 < 2 <a href=/plain.p7b>p</a>",
    "<!doctype html><?xml x?><a\nhref\n=\n'/newlines.cer'\n>n</a></body></html>",
]


@pytest.mark.parametrize("page", ORDINARY)
def test_the_scanner_finds_what_html_parser_found_on_ordinary_pages(page: str) -> None:
    ref = Reference()
    ref.feed(page)
    ref.close()
    got = scan_page(page)
    assert list(got.links) == ref.links
    assert got.refresh == ref.refresh


def normal_page(size: int) -> str:
    row = "<tr><td class='c'><a href='/files/root{}.crt' type='application/x-x509-ca-cert'>Root {}</a></td></tr>\n"
    out, i = [], 0
    while sum(map(len, out)) < size:
        out.append(row.format(i, i))
        i += 1
    return ("<html><body><table>" + "".join(out))[:size]


PATHOLOGICAL = {
    "a-href-repeated": "<a href=" * (SIZE // 8),
    "unclosed-attributes": "<a x='1' " * (SIZE // 9),
    "unclosed-quote": "<a href='" + "<a href=x " * (SIZE // 10),
    "lone-lt": "<" * SIZE,
    "lt-letter": "<a" * (SIZE // 2),
    "end-tags": "</" * (SIZE // 2),
    "processing": "<?" * (SIZE // 2),
    "cdata": "<![CDATA[" * (SIZE // 9),
    "comments": "<!--" * (SIZE // 4),
    "nested-divs": "<div>" * (SIZE // 5),
    "entities": "<a href='" + "&#" * (SIZE // 2) + "'>",
    "script-unclosed": "<script>" + "</scrip" * (SIZE // 7),
    "many-attributes": "<a " + "h=1 " * (SIZE // 4) + ">",
}


def best_of(f: Callable[[], object], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def test_pathological_pages_scan_in_time_proportional_to_their_size() -> None:
    normal = normal_page(SIZE)
    assert len(scan_page(normal).links) > 1000
    base = best_of(lambda: scan_page(normal))
    ratios = {}
    for name, page in PATHOLOGICAL.items():
        assert len(page) >= SIZE * 0.9, name
        ratios[name] = best_of(lambda page=page: scan_page(page)) / base  # type: ignore[misc]
    # HTMLParser took 1000-3000x a normal page on several of these (quadratic); a linear scan stays
    # within a small factor of it.
    assert max(ratios.values()) < 15, ratios


def test_the_scan_is_capped_in_size_and_links() -> None:
    from pathprobe.net.portalfetch import MAX_LINKS

    many = "<a href='/x.cer'>x</a>" * (MAX_LINKS * 3)
    assert len(scan_page(many).links) == MAX_LINKS
    beyond = "x" * (MAX_PAGE_BYTES + 10) + "<a href='/late.cer'>late</a>"
    assert scan_page(beyond).links == ()


async def _probe_with_lag_monitor(timeout: float) -> tuple[object, float]:
    """Run the portal probe while a coroutine measures how late the loop wakes it (the loop's lag)."""
    url = parse_url(KNOWN)
    assert url is not None
    done = False
    worst = 0.0

    async def monitor() -> None:
        nonlocal worst
        while not done:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - t - 0.005)

    mon = asyncio.create_task(monitor())
    await asyncio.sleep(0)
    try:
        result = await PortalProbe(url, 200, "success").run(RunContext(timeout=timeout))
    finally:
        done = True
        await mon
    return result, worst


@pytest.mark.parametrize(
    "body",
    [
        # 100,000 "<a href=" (800 KB, read up to the page cap), then a real offer that is never reached
        "<a href=" * 100_000 + "<a href='/root.cer'>root</a>",
        "<html>" + "<a x='1' " * 250_000,  # 2 MB of an unclosed tag's attributes
        "<div>" * 400_000,  # 2 MB of ever deeper nesting
    ],
    ids=["a-href-100k", "unclosed-attributes-2MB", "nested-2MB"],
)
def test_a_pathological_portal_page_neither_stalls_the_loop_nor_the_probe(
    body: str, serve: ServeFn, capture: Callable[[str], Site]
) -> None:
    root = CA("Hostile Portal Root")
    serve({"/": Route(body=body.encode()), "/root.cer": Route(body=root.cert.public_bytes(Encoding.DER),
                                                                 content_type="application/x-x509-ca-cert")}, PORTAL)
    capture(PORTAL_URL)
    timeout = 3.0
    result, lag = asyncio.run(_probe_with_lag_monitor(timeout))
    portal = result.portal  # type: ignore[attr-defined]
    assert portal.detected is True and portal.host == "portal.test"
    assert portal.offered == ()  # the offer sits behind the unterminated tag: not followed
    page = [o for o in portal.observations if o.step == "http" and o.target.endswith("portal.test:18801/")]
    assert page and page[-1].detail.get("truncated") and page[-1].failure is None
    assert lag < timeout / 10, lag  # the scan ran in a worker thread: the loop kept its pace


def test_the_probe_still_finds_offers_on_a_big_ordinary_page(serve: ServeFn, capture: Callable[[str], Site]) -> None:
    root = CA("Big Page Root")
    body = "<html><body>" + "<p>terms and conditions</p>" * 8000 + "<a href='/root.cer'>install</a></body></html>"
    assert len(body) < MAX_PAGE_BYTES
    serve({"/": Route(body=body.encode()), "/root.cer": Route(body=root.cert.public_bytes(Encoding.DER),
                                                                 content_type="application/x-x509-ca-cert")}, PORTAL)
    capture(PORTAL_URL)
    result, lag = asyncio.run(_probe_with_lag_monitor(3.0))
    assert [o["der"] for o in result.portal.offered] == [root.cert.public_bytes(Encoding.DER)]  # type: ignore[attr-defined]
    assert lag < 0.3


def test_a_slow_scan_runs_off_the_loop(
    serve: ServeFn, capture: Callable[[str], Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a scan costs, it is not paid on the event loop: a scan made to take a second (a stand-in
    for any slow parse) leaves the loop's lag far below that second."""
    import pathprobe.net.portalfetch as portalfetch

    real = portalfetch.scan_page

    def slow(text: str) -> portalfetch.Page:
        time.sleep(1.0)  # blocks whichever thread runs it
        return real(text)

    monkeypatch.setattr(portalfetch, "scan_page", slow)
    serve(login_portal(), PORTAL)
    capture(PORTAL_URL)
    result, lag = asyncio.run(_probe_with_lag_monitor(3.0))
    assert result.portal.detected is True  # type: ignore[attr-defined]
    assert lag < 0.3, lag
