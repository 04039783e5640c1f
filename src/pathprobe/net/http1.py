"""A minimal HTTP/1.1 GET over any :class:`~pathprobe.net.stream.ByteStream`, every read capped.

Used where pathprobe must see exactly what the network answers on plain HTTP (the portal probe): no
automatic redirects, no cookies, no decompression. Headers and body each have a cap; the caller's
step deadline bounds the whole exchange (a trickling server is cut off by that deadline).
"""

from __future__ import annotations

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
