"""Plain GETs for the portal probe: what a network answers on plain HTTP, and the pages and
certificate files a portal offers (:mod:`pathprobe.probes.portal` decides what to fetch and what it means).

- :class:`Url` / :func:`parse_url`: absolute http(s) URLs, recorded without their query (portals put
  the client's address and MAC there).
- :class:`Fetcher`: one ``GET`` at a time over the system resolver and TCP — HTTPS through the one TLS
  step of every check (:func:`~pathprobe.net.sitecheck.tls_step`: the portal's chain recorded, never
  required) — no automatic redirects, every read capped (:mod:`pathprobe.net.http1`), each step within
  the step deadline and all of them within one budget.
- :func:`scan_page` (a linear-time, size-capped scan for links and meta refresh; :func:`read_page` runs
  it in a worker thread, off the event loop), :func:`redirect_target` (HTTP ``Location`` or an HTML
  meta refresh) and :func:`certificate_links`
  read a page; :meth:`Fetcher.certificate_file` fetches one offered file (following a couple of
  redirects) and :func:`parse_certificates` reads DER, PEM or PKCS#7 from it.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from pathprobe.errors import NetFailure
from pathprobe.model import HostPort, Observation
from pathprobe.net.dns import is_ip
from pathprobe.net.failures import scrub
from pathprobe.net.http1 import HttpResponse, http_get
from pathprobe.net.sitecheck import Recorder, SystemDialer, tls_step
from pathprobe.net.stream import ByteStream
from pathprobe.planfields import parse_hostport
from pathprobe.vocab import Failure, Step

MAX_KNOWN_BODY = 64 * 1024
MAX_PAGE_BYTES = 256 * 1024
MAX_CERT_BYTES = 64 * 1024
"""A certificate file (even a PKCS#7 bundle of a few roots) is a few kilobytes."""
MAX_CERT_FILES = 12
MAX_CERTS_PER_FILE = 16
MAX_LINKS = 2000
MAX_PARSE_CHARS = MAX_PAGE_BYTES
"""A page is scanned up to here (it was read up to :data:`MAX_PAGE_BYTES` in the first place)."""
MAX_URL_CHARS = 8192
"""A longer ``href``/``src`` is not a link anyone follows."""
CERT_EXTENSIONS = (".cer", ".crt", ".der", ".pem", ".p7b", ".p7c")
CERT_TYPES = frozenset(
    {
        "application/x-x509-ca-cert",
        "application/x-x509-user-cert",
        "application/pkix-cert",
        "application/x-pkcs7-certificates",
        "application/pkcs7-mime",
        "application/x-pem-file",
    }
)
BUDGET_SPENT = "the portal probe's time budget was spent"
NOT_A_CERTIFICATE = "not a certificate (DER, PEM or PKCS#7)"


@dataclass(frozen=True)
class Url:
    """An absolute http(s) URL, split the way a request needs it."""

    scheme: str
    host: str
    port: int
    target: str
    """Path and query, as sent in the request line."""

    @property
    def default_port(self) -> bool:
        """True when the port is the scheme's own (80 for http, 443 for https)."""
        return self.port == (443 if self.scheme == "https" else 80)

    @property
    def authority(self) -> str:
        """``host[:port]`` for the Host header: IPv6 in brackets, the port only when not the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.default_port else f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.authority}{self.target}"

    def public(self) -> str:
        """For observations: no query (portals put the client's address and MAC there), addresses scrubbed."""
        return f"{self.scheme}://{self.authority}{scrub(self.target.split('?', 1)[0])}"

    @property
    def path(self) -> str:
        """The path alone, without the query."""
        return self.target.split("?", 1)[0]


def parse_url(text: str, base: Url | None = None) -> Url | None:
    """An absolute http/https URL (``text`` relative to ``base`` when given); None when not one."""
    text = text.strip()
    if base is not None:
        text = urljoin(str(base), text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password or port == 0:
        return None
    host = parts.hostname.lower().rstrip(".")
    try:
        parse_hostport(f"[{host}]" if ":" in host else host)
    except ValueError:
        return None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if any(ord(c) < 33 or ord(c) > 126 for c in target):
        return None
    return Url(scheme, host, port if port is not None else (443 if scheme == "https" else 80), target)


@dataclass(frozen=True)
class Page:
    """What a portal page says: its links (``href``/``src`` with their ``type``) and its meta refresh target."""

    links: tuple[tuple[str, str], ...] = ()
    refresh: str | None = None


_TAG_NAME = re.compile(r"[A-Za-z][^\s/>]*")
_GAP = re.compile(r"[\s/]*")
_SPACES = re.compile(r"\s*")
_ATTR_NAME = re.compile(r"[^\s/>][^\s/>=]*")
_UNQUOTED = re.compile(r"[^\s>]*")
_RAW_TEXT = {t: re.compile(f"</{t}", re.IGNORECASE) for t in ("script", "style", "textarea", "title")}
"""Elements whose content is text, not markup: the scan jumps to their end tag."""
_KEPT = frozenset({"href", "src", "type", "http-equiv", "content"})


def scan_page(text: str) -> Page:
    """Links and meta refresh of an HTML page, in one forward pass (linear time in ``text``).

    Not a full HTML parser: it finds start tags and their attributes the way browsers tokenise them
    (quoted and unquoted values, comments, raw-text elements, character references in kept values).
    Every search starts where the last one ended and nothing is scanned twice: an unterminated comment,
    quote or tag ends the scan (a browser would read it to the end of the document as well). The
    standard library's HTMLParser takes quadratic time on such input (seconds for a few hundred KiB
    of ``<a href=``).
    """
    text = text[:MAX_PARSE_CHARS]
    n = len(text)
    links: list[tuple[str, str]] = []
    refresh: str | None = None
    i = 0
    while True:
        lt = text.find("<", i)
        if lt < 0 or lt + 1 >= n:
            break
        c = text[lt + 1]
        if text.startswith("!--", lt + 1):
            end = text.find("-->", lt + 4)
            if end < 0:
                break
            i = end + 3
            continue
        if c in "!?/":
            end = text.find(">", lt + 2)
            if end < 0:
                break
            i = end + 1
            continue
        m = _TAG_NAME.match(text, lt + 1)
        if m is None:  # a lone "<" in text
            i = lt + 1
            continue
        tag = m.group().lower()
        j = m.end()
        attrs: dict[str, str] = {}
        closed = False
        while j < n:
            j = _GAP.match(text, j).end()  # type: ignore[union-attr]  # matches the empty string
            if j >= n:
                break
            if text[j] == ">":
                closed = True
                j += 1
                break
            a = _ATTR_NAME.match(text, j)
            assert a is not None  # text[j] is neither space, "/" nor ">"
            name = a.group().lower()
            j = a.end()
            k = _SPACES.match(text, j).end()  # type: ignore[union-attr]
            value = ""
            if k < n and text[k] == "=":
                k = _SPACES.match(text, k + 1).end()  # type: ignore[union-attr]
                if k < n and text[k] in "\"'":
                    end = text.find(text[k], k + 1)
                    if end < 0:
                        j = n
                        break
                    value, j = text[k + 1 : end], end + 1
                else:
                    v = _UNQUOTED.match(text, k)
                    assert v is not None
                    value, j = v.group(), v.end()
            if name in _KEPT and name not in attrs and len(value) <= MAX_URL_CHARS:
                attrs[name] = html.unescape(value)
        if not closed:
            break
        i = j
        if tag == "meta" and refresh is None and attrs.get("http-equiv", "").lower() == "refresh":
            _, _, rest = attrs.get("content", "").partition(";")
            rest = rest.strip()
            if rest.lower().startswith("url="):
                refresh = rest[4:].strip().strip("'\"")
        for key in ("href", "src"):
            if attrs.get(key) and len(links) < MAX_LINKS:
                links.append((attrs[key], attrs.get("type", "").split(";", 1)[0].strip().lower()))
        raw = _RAW_TEXT.get(tag)
        if raw is not None:
            end_tag = raw.search(text, i)
            if end_tag is None:
                break
            i = end_tag.start()
    return Page(tuple(links), refresh)


def _parse_page(resp: HttpResponse) -> Page:
    if resp.content_type not in ("", "text/html", "application/xhtml+xml"):
        return Page()
    return scan_page(resp.body[:MAX_PAGE_BYTES].decode("utf-8", "replace"))


async def read_page(resp: HttpResponse) -> Page:
    """:func:`scan_page` of a response, in a worker thread: however long a page takes, the event loop
    that the other probes share keeps running."""
    return await asyncio.to_thread(_parse_page, resp)


def redirect_target(resp: HttpResponse, url: Url, page: Page | None = None) -> Url | None:
    """Where this answer sends the client: ``Location`` of a 3xx, or a meta refresh (from ``page``
    when the caller has read it already, e.g. with :func:`read_page` off the event loop)."""
    if 300 <= resp.status < 400:
        loc = resp.header("location")
        return parse_url(loc, url) if loc else None
    if resp.status == 200:
        refresh = (page if page is not None else _parse_page(resp)).refresh
        return parse_url(refresh, url) if refresh else None
    return None


def is_certificate(url: Url, content_type: str) -> bool:
    """True when a link or response looks like a certificate file, by media type or by a
    certificate extension (``.cer``, ``.crt``, ``.pem``, ...) on its path or a query value.
    """
    if content_type in CERT_TYPES:
        return True
    path = url.path.lower()
    query = url.target.partition("?")[2].lower()
    return path.endswith(CERT_EXTENSIONS) or any(v.endswith(CERT_EXTENSIONS) for v in query.split("&"))


def certificate_links(resp: HttpResponse, url: Url, page: Page | None = None) -> list[Url]:
    """Links on a portal page that point at certificate files, in page order, without repeats
    (at most :data:`MAX_CERT_FILES`); ``page`` as for :func:`redirect_target`."""
    out: list[Url] = []
    for href, typ in (page if page is not None else _parse_page(resp)).links:
        link = parse_url(href, url)
        if link is None or link in out or not is_certificate(link, typ):
            continue
        out.append(link)
        if len(out) >= MAX_CERT_FILES:
            break
    return out


def parse_certificates(data: bytes) -> list[bytes]:
    """The DER of every certificate in a DER, PEM or PKCS#7 (DER or PEM) file; ValueError when none."""
    certs: list[x509.Certificate] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # real interception roots can have odd encodings
        try:
            if b"-----BEGIN" in data:
                if b"-----BEGIN PKCS7-----" in data or b"-----BEGIN CERTIFICATE CHAIN-----" in data:
                    certs = pkcs7.load_pem_pkcs7_certificates(data)
                else:
                    certs = x509.load_pem_x509_certificates(data)
            else:
                try:
                    certs = [x509.load_der_x509_certificate(data)]
                except ValueError:
                    certs = pkcs7.load_der_pkcs7_certificates(data)
        except (ValueError, TypeError) as exc:
            raise ValueError(NOT_A_CERTIFICATE) from exc
    if not certs:
        raise ValueError(NOT_A_CERTIFICATE)
    return [c.public_bytes(Encoding.DER) for c in certs[:MAX_CERTS_PER_FILE]]


class Fetcher:
    """Plain GETs (HTTP, or HTTPS with the chain recorded and nothing verified) under one budget."""

    def __init__(self, path: str, t0: float, timeout: float, budget: float) -> None:
        self.path = path
        """The ``path`` of the observations (the portal probe has no path in ``paths``)."""
        self.t0 = t0
        self.timeout = timeout
        """Bound for each step, in seconds."""
        self.deadline = time.monotonic() + budget
        self.observations: list[Observation] = []
        self.dialer = SystemDialer()

    def note(self, step: Step, url: Url, failure: str | None, **detail: Any) -> None:
        """Record one observation for ``step`` on ``url`` (``failure`` None for success) without any I/O."""
        rec = Recorder(self.path, url.public(), self.t0, self.timeout)
        rec.add(step, rec.now_ms(), failure, detail=detail)
        self.observations.extend(rec.observations)

    async def get(self, url: Url, step: Step, *, max_body: int, strict: bool) -> HttpResponse:
        """One GET; each step within the step timeout, the whole fetch within what is left of the budget."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0.05:
            self.note(step, url, Failure.GENERIC_TIMEOUT_ERROR, reason=BUDGET_SPENT)
            raise NetFailure(Failure.GENERIC_TIMEOUT_ERROR)
        rec = Recorder(self.path, url.public(), self.t0, min(self.timeout, remaining))
        streams: list[ByteStream] = []
        start = rec.now_ms()
        try:
            async with asyncio.timeout(remaining):
                return await self._get(url, step, rec, streams, max_body=max_body, strict=strict)
        except TimeoutError:  # the budget ran out in the middle of a step (steps report their own)
            rec.add(step, start, Failure.GENERIC_TIMEOUT_ERROR, detail={"url": url.public(), "reason": BUDGET_SPENT})
            raise NetFailure(Failure.GENERIC_TIMEOUT_ERROR) from None
        finally:
            for s in streams:
                s.close()
            self.observations.extend(rec.observations)

    async def _get(
        self, url: Url, step: Step, rec: Recorder, streams: list[ByteStream], *, max_body: int, strict: bool
    ) -> HttpResponse:
        stream = await self.dialer.dial(HostPort(url.host, url.port), rec)
        streams.append(stream)
        if url.scheme == "https":  # one handshake, chain kept: a portal's self-signed certificate is evidence, not a stop
            stream = (await tls_step(stream, url.host, rec, detail={} if is_ip(url.host) else {"sni": url.host})).stream
        conn = stream
        resp = await rec.step(
            step,
            lambda: http_get(conn, url.authority, url.target, max_body=max_body, strict=strict),
            detail={"url": url.public()},
        )
        extra = {"status": resp.status, "content_type": resp.content_type, "bytes": len(resp.body)}
        if resp.truncated:
            extra["truncated"] = True
        last = rec.observations[-1]
        rec.observations[-1] = replace(last, detail={**last.detail, **extra})
        return resp

    async def certificate_file(self, link: Url) -> tuple[list[bytes], str]:
        """One offered file (following a couple of redirects), size-capped; ``([], ...)`` on any failure."""
        url, visited = link, {str(link)}
        for _ in range(3):
            try:
                resp = await self.get(url, Step.HTTP, max_body=MAX_CERT_BYTES, strict=True)
            except NetFailure:
                return [], url.scheme
            nxt = redirect_target(resp, url) if 300 <= resp.status < 400 else None
            if nxt is None:
                return self.certificates_in(url, resp)
            if str(nxt) in visited:
                self.note(Step.HTTP, nxt, Failure.HTTP_REDIRECT_LOOP)
                return [], url.scheme
            visited.add(str(nxt))
            url = nxt
        self.note(Step.HTTP, url, Failure.HTTP_TOO_MANY_REDIRECTS)
        return [], url.scheme

    def certificates_in(self, url: Url, resp: HttpResponse) -> tuple[list[bytes], str]:
        """Certificates in one fetched body; the outcome goes into that fetch's observation."""
        if resp.status != 200 or resp.truncated or len(resp.body) > MAX_CERT_BYTES:
            result: dict[str, Any] = {
                "certificate_error": "not served" if resp.status != 200 else "too large"
            }
            ders: list[bytes] = []
        else:
            try:
                ders = parse_certificates(resp.body)
                result = {"certificates": len(ders)}
            except ValueError:
                ders, result = [], {"certificate_error": NOT_A_CERTIFICATE}
        for i in range(len(self.observations) - 1, -1, -1):
            o = self.observations[i]
            if (
                o.step in (Step.HTTP, Step.PORTAL)
                and o.target == url.public()
                and o.failure is None
                and not ({"certificates", "certificate_error"} & o.detail.keys())
            ):
                self.observations[i] = replace(o, detail={**o.detail, **result})
                break
        return ders, url.scheme
