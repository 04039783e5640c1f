"""The capped HTTP/1.1 reader (pure parsing; the byte stream is a list of chunks)."""

from __future__ import annotations

import asyncio

import pytest

from pathprobe.errors import NetFailure
from pathprobe.net.http1 import HttpResponse, read_response, request_bytes


class Chunks:
    """A ByteStream that yields the given chunks, then end of stream."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)
        self.sent = b""

    async def send(self, data: bytes) -> None:
        self.sent += data

    async def recv(self, max_bytes: int) -> bytes:
        if not self.chunks:
            return b""
        head = self.chunks[0]
        out, rest = head[:max_bytes], head[max_bytes:]
        if rest:
            self.chunks[0] = rest
        else:
            self.chunks.pop(0)
        return out

    def close(self) -> None:
        pass


def read(*chunks: bytes, max_body: int = 100, strict: bool = False) -> HttpResponse:
    return asyncio.run(read_response(Chunks(*chunks), max_body=max_body, strict=strict))


def fails(*chunks: bytes, max_body: int = 100, strict: bool = False) -> str:
    with pytest.raises(NetFailure) as exc:
        read(*chunks, max_body=max_body, strict=strict)
    return exc.value.failure


def test_content_length_split_across_reads() -> None:
    r = read(
        b"HTTP/1.1 200 OK\r\nContent-",
        b"Type: text/HTML; charset=x\r\nContent-Length: 5\r\n\r\nhel",
        b"loEXTRA",
    )
    assert (r.status, r.body, r.truncated, r.content_type) == (200, b"hello", False, "text/html")


def test_body_until_close_and_bare_newlines() -> None:
    r = read(b"HTTP/1.0 302 Found\nLocation: /x\n\nbody", b" more")
    assert (r.status, r.header("location"), r.body, r.truncated) == (302, "/x", b"body more", False)


def test_chunked() -> None:
    r = read(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n"
    )
    assert r.body == b"Wikipedia" and not r.truncated


def test_chunked_over_the_cap() -> None:
    resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"40\r\n" + b"x" * 64 + b"\r\n0\r\n\r\n"
    assert read(resp, max_body=10).body == b"x" * 10
    assert read(resp, max_body=10).truncated
    assert fails(resp, max_body=10, strict=True) == "http_response_too_large"


def test_truncation_without_length() -> None:
    r = read(b"HTTP/1.1 200 OK\r\n\r\n" + b"y" * 500, max_body=100)
    assert (len(r.body), r.truncated) == (100, True)
    assert (
        fails(b"HTTP/1.1 200 OK\r\n\r\n" + b"y" * 500, max_body=100, strict=True) == "http_response_too_large"
    )


def test_declared_length_over_the_cap_fails_before_reading_in_strict_mode() -> None:
    assert (
        fails(b"HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n", strict=True) == "http_response_too_large"
    )


def test_huge_headers_are_cut() -> None:
    assert fails(b"HTTP/1.1 200 OK\r\n" + b"X-A: " + b"a" * 40000) == "http_response_too_large"
    many = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n"
    assert fails(many) == "http_response_too_large"


@pytest.mark.parametrize(
    "raw",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nbad\r\n\r\n",
    ],
)
def test_not_http(raw: bytes) -> None:
    assert fails(raw) == "http_invalid_response"


def test_bad_content_length() -> None:
    assert fails(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") == "http_invalid_response"


def test_closed_before_headers_end() -> None:
    assert fails(b"HTTP/1.1 200 OK\r\nServer: x") == "eof_error"
    assert fails() == "eof_error"


def test_no_body_statuses() -> None:
    assert read(b"HTTP/1.1 204 No Content\r\n\r\nignored").body == b""


def test_request_is_browser_like_and_has_no_tool_name() -> None:
    req = request_bytes("detect.test:8080", "/success.txt")
    assert req.startswith(b"GET /success.txt HTTP/1.1\r\nHost: detect.test:8080\r\n")
    assert b"pathprobe" not in req.lower() and b"Mozilla/5.0" in req
