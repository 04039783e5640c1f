"""A minimal HTTP/1.1 GET over any :class:`~pathprobe.net.stream.ByteStream`, every read capped.

Used where pathprobe must see exactly what the network answers on plain HTTP (the portal probe): no
automatic redirects, no cookies, no decompression. Headers and body each have a cap; the caller's
step deadline bounds the whole exchange (a trickling server is cut off by that deadline).

The HTTPS site check (:mod:`pathprobe.net.sitecheck`) uses it too: :func:`read_head` for the status,
then :func:`measure_body` reads the body for throughput (DESIGN "Throughput and throttling"): at most
``max_bytes`` and ``seconds`` whatever the server does (Content-Length, chunked or close-delimited;
a trickling or endless body is cut at the bound), keeping only counts and times, never the bytes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from pathprobe.errors import NetFailure
from pathprobe.net.stream import ByteStream
from pathprobe.vocab import Failure

MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 100
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
"""A common browser's User-Agent: on plain HTTP everyone on the path reads it, so do not stand out."""
_CHUNK = 16384


@dataclass(frozen=True)
class HttpResponse:
    """One response: status, headers (in order, names lower-cased) and the body (maybe truncated)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool
    """True when the body was longer than the cap and only the first ``max_body`` bytes were kept."""

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None when the response has none."""
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    @property
    def content_type(self) -> str:
        """The media type alone, lower-cased (``text/html``), or ``""``."""
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()


class _Reader:
    def __init__(self, stream: ByteStream) -> None:
        self.stream = stream
        self.buf = b""
        self.eof = False

    async def fill(self) -> bool:
        if self.eof:
            return False
        chunk = await self.stream.recv(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def take(self, n: int) -> bytes:
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def request_bytes(host_header: str, target: str) -> bytes:
    """The request line and headers of a browser-like GET."""
    return (
        f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
        "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
    ).encode("ascii", "replace")


def _parse_head(head: bytes) -> tuple[int, tuple[tuple[str, str], ...]]:
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit() or len(parts[1]) != 3:
        raise NetFailure(Failure.HTTP_INVALID_RESPONSE, "not an HTTP/1.x response")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if b":" not in line:
            raise NetFailure(Failure.HTTP_INVALID_RESPONSE, "malformed header line")
        k, v = line.split(b":", 1)
        headers.append((k.strip().decode("latin-1").lower(), v.strip().decode("latin-1")))
        if len(headers) > MAX_HEADERS:
            raise NetFailure(Failure.HTTP_RESPONSE_TOO_LARGE, "too many headers")
    return int(parts[1]), tuple(headers)


async def _read_head(r: _Reader, max_header: int) -> bytes:
    while True:
        for sep in (b"\r\n\r\n", b"\n\n"):
            i = r.buf.find(sep)
            if i >= 0:
                head = r.take(i)
                r.take(len(sep))
                return head
        if len(r.buf) > max_header:
            raise NetFailure(Failure.HTTP_RESPONSE_TOO_LARGE, "HTTP headers larger than the cap")
        if not await r.fill():
            raise NetFailure(Failure.EOF_ERROR, "the connection closed before the HTTP headers ended")


async def _read_chunked(r: _Reader, max_body: int, strict: bool) -> tuple[bytes, bool]:
    body = bytearray()
    while True:
        while b"\n" not in r.buf:
            if len(r.buf) > 1024:
                raise NetFailure(Failure.HTTP_INVALID_RESPONSE, "bad chunk size line")
            if not await r.fill():
                return bytes(body), False  # closed mid-body: keep what came
        line, _, r.buf = r.buf.partition(b"\n")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise NetFailure(Failure.HTTP_INVALID_RESPONSE, "bad chunk size") from None
        if size == 0:
            return bytes(body), False
        if len(body) + size > max_body:
            if strict:
                raise NetFailure(Failure.HTTP_RESPONSE_TOO_LARGE, "body larger than the cap")
            need = max_body - len(body)
            while len(r.buf) < need and await r.fill():
                pass
            body += r.take(need)
            return bytes(body), True
        while len(r.buf) < size + 2 and await r.fill():
            pass
        body += r.take(size)
        r.take(2)
        if r.eof and not r.buf:
            return bytes(body), False


async def read_response(
    stream: ByteStream,
    *,
    max_body: int,
    strict: bool,
    max_header: int = MAX_HEADER_BYTES,
    head_only: bool = False,
) -> HttpResponse:
    """Read one response. ``strict``: a body over ``max_body`` fails (``http_response_too_large``);
    otherwise it is truncated at the cap and marked so."""
    r = _Reader(stream)
    status, headers = _parse_head(await _read_head(r, max_header))
    resp = HttpResponse(status, headers, b"", False)
    if head_only or status in (204, 304) or 100 <= status < 200:
        return resp
    te = (resp.header("transfer-encoding") or "").lower()
    if "chunked" in te:
        body, truncated = await _read_chunked(r, max_body, strict)
        return HttpResponse(status, headers, body, truncated)
    length_text = resp.header("content-length")
    length: int | None = None
    if length_text is not None:
        if not length_text.strip().isdigit():
            raise NetFailure(Failure.HTTP_INVALID_RESPONSE, "bad Content-Length")
        length = int(length_text)
        if length > max_body and strict:
            raise NetFailure(Failure.HTTP_RESPONSE_TOO_LARGE, "body larger than the cap")
    want = max_body if length is None else min(length, max_body)
    while len(r.buf) < want and await r.fill():
        pass
    body = r.take(want)
    # Without a length, a body that filled the cap on a still-open stream counts as longer than the cap.
    truncated = length > max_body if length is not None else bool(r.buf) or not r.eof
    if truncated and strict:
        raise NetFailure(Failure.HTTP_RESPONSE_TOO_LARGE, "body larger than the cap")
    return HttpResponse(status, headers, body, truncated)


async def http_get(
    stream: ByteStream,
    host_header: str,
    target: str,
    *,
    max_body: int,
    strict: bool = False,
    max_header: int = MAX_HEADER_BYTES,
) -> HttpResponse:
    """Send ``GET target`` and read the response under the caps (the caller bounds the time)."""
    await stream.send(request_bytes(host_header, target))
    return await read_response(stream, max_body=max_body, strict=strict, max_header=max_header)


# ------------------------------------------------------------------------------- throughput reading


async def read_head(
    stream: ByteStream, host_header: str, target: str = "/", *, max_header: int = MAX_HEADER_BYTES
) -> tuple[int, tuple[tuple[str, str], ...], _Reader]:
    """Send ``GET target`` and read the status line and headers (capped); returns the status, the
    headers and the reader holding whatever body bytes came with them (for :func:`measure_body`)."""
    await stream.send(request_bytes(host_header, target))
    r = _Reader(stream)
    status, headers = _parse_head(await _read_head(r, max_header))
    return status, headers, r


@dataclass(frozen=True)
class BodyRead:
    """What reading a body for throughput saw (counts and times only; the bytes are dropped)."""

    body_bytes: int
    """Body bytes read (chunk framing not counted), at most the cap."""
    goodput_kbps: float | None
    """Bytes after the first body byte, over the time from that byte to the last one, in kbit/s (rounded
    to 0.1); None when the body came in one piece (nothing to time)."""
    transfer_ms: float
    """From the first body byte to the last one read, in milliseconds."""
    page_bytes: int | None
    """The whole body's size when known: its Content-Length, or the bytes read when it ended within
    the bounds; None when the read was cut (by the cap or the time) before a body of unknown length ended."""
    steady_kbps: float | None = None
    """The median rate of the arrivals after the first (each arrival's bytes over the time since the one
    before), in kbit/s: a flow slowed by a few retransmission stalls still comes at its full rate between
    them, a shaped flow comes slowly all along. None with fewer than two arrivals after the first."""


class _Meter:
    """Counts body bytes as they arrive, with the time of the first and last arrival."""

    def __init__(self, cap: int, clock: Callable[[], float]) -> None:
        self.cap = cap
        self.clock = clock
        self.total = 0
        self.first_n = 0
        self.t_first: float | None = None
        self.t_last = 0.0
        self.arrivals: list[tuple[float, int]] = []
        """(time, bytes) of each arrival; arrivals at the same instant are merged."""

    def got(self, n: int) -> None:
        n = min(n, self.cap - self.total)
        if n <= 0:
            return
        now = self.clock()
        if self.t_first is None:
            self.t_first, self.first_n = now, n
        self.t_last = now
        self.total += n
        if self.arrivals and self.arrivals[-1][0] == now:
            self.arrivals[-1] = (now, self.arrivals[-1][1] + n)
        else:
            self.arrivals.append((now, n))

    @property
    def full(self) -> bool:
        return self.total >= self.cap

    def result(self, page_bytes: int | None) -> BodyRead:
        if self.t_first is None:
            return BodyRead(0, None, 0.0, page_bytes)
        span = self.t_last - self.t_first
        after = self.total - self.first_n
        goodput = round(after * 8 / span / 1000, 1) if after > 0 and span > 0 else None
        rates = sorted(n * 8 / (t - prev) / 1000 for (prev, _), (t, n) in zip(self.arrivals, self.arrivals[1:], strict=False))
        steady = round(rates[len(rates) // 2], 1) if len(rates) >= 2 else None
        return BodyRead(self.total, goodput, round(span * 1000, 1), page_bytes, steady)


async def _count_plain(r: _Reader, m: _Meter, length: int | None) -> bool:
    """Count a Content-Length or close-delimited body; True when the body ended (all of it read)."""
    want = m.cap if length is None else min(length, m.cap)
    while True:
        if r.buf:
            take = len(r.take(want - m.total))
            m.got(take)
            r.buf = b""
        if m.total >= want:
            return length is not None and m.total >= length
        if not await r.fill():
            return True


async def _count_chunked(r: _Reader, m: _Meter) -> bool:
    """Count a chunked body's payload; True when its last chunk came (or the stream ended)."""
    while not m.full:
        while b"\n" not in r.buf:
            if len(r.buf) > 1024:
                raise NetFailure(Failure.HTTP_INVALID_RESPONSE, "bad chunk size line")
            if not await r.fill():
                return True
        line, _, r.buf = r.buf.partition(b"\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise NetFailure(Failure.HTTP_INVALID_RESPONSE, "bad chunk size") from None
        if size == 0:
            return True
        left = size
        while left > 0 and not m.full:
            if not r.buf and not await r.fill():
                return True
            piece = r.take(left)
            left -= len(piece)
            m.got(len(piece))
        if m.full:
            return False
        while len(r.buf) < 2:  # the CRLF after the chunk
            if not await r.fill():
                return True
        r.take(2)
    return False


async def measure_body(
    r: _Reader,
    status: int,
    headers: tuple[tuple[str, str], ...],
    *,
    max_bytes: int,
    seconds: float,
    clock: Callable[[], float] = time.monotonic,
) -> BodyRead:
    """Read the body that follows the head :func:`read_head` read, for at most ``seconds`` and
    ``max_bytes`` (whichever comes first; a server that trickles or never ends is cut there), and say
    how fast it came. Never raises for what the server sends: a malformed or broken body just ends
    the count."""
    resp = HttpResponse(status, headers, b"", False)
    if status in (204, 304) or 100 <= status < 200 or max_bytes <= 0:
        return BodyRead(0, None, 0.0, 0 if max_bytes > 0 else None)
    chunked = "chunked" in (resp.header("transfer-encoding") or "").lower()
    length_text = resp.header("content-length")
    length = int(length_text.strip()) if not chunked and length_text and length_text.strip().isdigit() else None
    m = _Meter(max_bytes, clock)
    ended = False
    try:
        async with asyncio.timeout(seconds):
            ended = await (_count_chunked(r, m) if chunked else _count_plain(r, m, length))
    except (TimeoutError, NetFailure, OSError):
        ended = False
    page = length if length is not None else (m.total if ended and not m.full else None)
    return m.result(page)
