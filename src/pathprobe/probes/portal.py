"""``portal``: does the network answer plain HTTP honestly, or send the client to a portal — and does
that portal offer a root certificate to install (Kazakhstan 2019, hotel and airport Wi-Fi)?

Plan::

    [[probe]]
    kind = "portal"                  # at most one; no path of its own: it fills ``network.portal``
    url = "http://detectportal.firefox.com/canonical.html"   # plain HTTP, an answer known in advance
    expect_status = 200              # default 200
    expect_body = "success"          # optional: the body must contain it

Steps: one plain-HTTP GET of ``url`` (system resolver, no automatic redirects, reads capped). The known
answer means no portal. Any other answer is a portal: follow at most :data:`MAX_REDIRECTS` redirects
(HTTP ``Location`` or an HTML meta refresh, loop-safe) to the portal page (HTTP or HTTPS; the portal's
certificate is recorded, never required), find links to certificate files, fetch each (size-capped)
and keep every certificate's DER. The analysis (:mod:`pathprobe.analysis.portal`) names them.
Every step runs under the step deadline and the whole probe under :data:`BUDGET_STEPS` deadlines.
The fetching itself (GETs, caps, TLS, reading pages and certificate files) is
:mod:`pathprobe.net.portalfetch`; this module decides what to fetch and what the answers mean.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from pathprobe.errors import NetFailure
from pathprobe.i18n import _
from pathprobe.model import PortalMeasurement
from pathprobe.net.http1 import HttpResponse
from pathprobe.net.portalfetch import (
    MAX_KNOWN_BODY,
    MAX_PAGE_BYTES,
    Fetcher,
    Url,
    certificate_links,
    is_certificate,
    parse_url,
    read_page,
    redirect_target,
)
from pathprobe.planfields import Entry
from pathprobe.probes.base import Probe, ProbeResult, RunContext
from pathprobe.vocab import Failure, Step

PATH = "portal"
"""The ``path`` of this probe's observations (it has no path in ``paths``)."""
MAX_REDIRECTS = 5
BUDGET_STEPS = 4
"""The whole probe ends within this many step timeouts (the runner allows 4 x timeout + 2 s)."""


class PortalProbe(Probe):
    """Captive and certificate-install portals; fills ``network.portal``, has no path of its own."""

    kind: ClassVar[str] = "portal"
    version: ClassVar[str] = "0.1.0"
    fills_portal: ClassVar[bool] = True
    max_instances: ClassVar[int | None] = 1
    """A network has one ``network.portal``."""

    def __init__(self, url: Url, expect_status: int, expect_body: str | None) -> None:
        self.url = url
        self.expect_status = expect_status
        self.expect_body = expect_body

    @classmethod
    def from_plan(cls, entry: Entry) -> PortalProbe:
        """Read ``url`` (a plain ``http://`` URL whose answer is known), ``expect_status`` (default
        200) and ``expect_body`` (text the known answer contains).
        """
        text = str(entry.req_str("url"))  # str(): Entry has a method named str, which confuses mypy
        if not text.lower().startswith("http://"):
            raise entry.error(
                "url",
                _("'{url}' must be a plain http:// URL (its answer must be one the network can rewrite)", url=text),
            )
        url = parse_url(text)
        if url is None or text.strip() != text:
            raise entry.error(
                "url",
                _("'{url}' is not a valid http:// URL (host, optional port and path; no user name or password)",
                  url=text),
            )
        expect_status = entry.int("expect_status", 200, low=100, high=599)
        expect_body = entry.str("expect_body")
        entry.finish()
        return cls(url, expect_status, expect_body)

    def path_ids(self) -> list[str]:
        """Always empty: the portal probe reports ``network.portal``, not a path."""
        return []

    def honest(self, resp: HttpResponse) -> bool:
        """The known answer: the expected status and, when given, the expected text in the body."""
        if resp.status != self.expect_status:
            return False
        return self.expect_body is None or self.expect_body.encode("utf-8") in resp.body

    async def run(self, ctx: RunContext) -> ProbeResult:
        """GET the known URL; an answer other than the known one is a portal, whose redirects
        are followed to its page and whose offered certificate files are fetched, all within
        :data:`BUDGET_STEPS` step timeouts. When the first GET fails, ``detected`` is None and the
        portal carries the failure.
        """
        f = Fetcher(PATH, ctx.t0, ctx.timeout, BUDGET_STEPS * ctx.timeout)
        try:
            first = await f.get(self.url, Step.PORTAL, max_body=MAX_KNOWN_BODY, strict=False)
        except NetFailure as exc:
            return self._result(None, None, [], exc.failure, f)
        if self.honest(first):
            return self._result(False, None, [], None, f)
        ctx.progress(PATH, 1, 2)
        page, page_url, host = await self._follow(f, first)
        offered: list[dict[str, Any]] = []
        if page is not None:
            offered = await self._certificates(f, page, page_url)
        ctx.progress(PATH, 2, 2)
        return self._result(True, host, offered, None, f)

    def _result(
        self,
        detected: bool | None,
        host: str | None,
        offered: list[dict[str, Any]],
        failure: str | None,
        f: Fetcher,
    ) -> ProbeResult:
        f.observations.sort(key=lambda o: o.started_ms)
        return ProbeResult(
            portal=PortalMeasurement(detected, host, tuple(offered), failure, tuple(f.observations))
        )

    async def _follow(self, f: Fetcher, first: HttpResponse) -> tuple[HttpResponse | None, Url, str | None]:
        """Follow redirects from the known URL's answer to the portal page (loop-safe, at most a few)."""
        resp: HttpResponse | None = first
        url = self.url
        visited = {str(url)}
        host: str | None = None
        for hop in range(MAX_REDIRECTS + 1):
            assert resp is not None
            page = await read_page(resp) if resp.status == 200 else None  # off the loop: see read_page
            nxt = redirect_target(resp, url, page)
            if nxt is None:
                return resp, url, host
            if host is None:
                host = nxt.host
            if str(nxt) in visited or hop == MAX_REDIRECTS:
                f.note(Step.HTTP, nxt, Failure.HTTP_REDIRECT_LOOP if str(nxt) in visited else Failure.HTTP_TOO_MANY_REDIRECTS)
                return None, url, host
            visited.add(str(nxt))
            url = nxt
            try:
                resp = await f.get(url, Step.HTTP, max_body=MAX_PAGE_BYTES, strict=False)
            except NetFailure:
                return None, url, host
        return None, url, host  # pragma: no cover - the loop always returns

    async def _certificates(self, f: Fetcher, page: HttpResponse, url: Url) -> list[dict[str, Any]]:
        if is_certificate(url, page.content_type):
            found = [f.certificates_in(url, page)]
        else:
            links = certificate_links(page, url, await read_page(page))
            found = list(await asyncio.gather(*(f.certificate_file(link) for link in links)))
        offered: list[dict[str, Any]] = []
        seen: set[bytes] = set()
        for ders, over in found:
            for der in ders:
                if der not in seen:
                    seen.add(der)
                    offered.append({"der": der, "over": over})
        return offered
