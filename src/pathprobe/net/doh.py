"""An RFC 8484 (DNS-over-HTTPS) client over one already-open TLS stream.

The probe opens the TLS connection itself (bootstrap addresses, core :class:`~pathprobe.net.tls.TlsStream`
with ALPN ``h2, http/1.1``) so that the resolver's own chain is captured like any other; this module
only speaks HTTP on that stream: HTTP/2 (the ``h2`` library, all queries multiplexed) when ALPN chose
``h2``, else HTTP/1.1 (queries one after another on the kept-alive connection). GET or POST.

Everything a hostile server could send is bounded: response headers (:data:`MAX_HEADER_BYTES`), each
DNS answer (:data:`MAX_ANSWER_BYTES`, the largest DNS message there is), the bytes read in all; the
caller's deadline cancels a slow or trickling answer. Every problem ends as a failure string per query
(never an exception): the ``doh_*`` strings below, or the core classifier's (``eof_error``, timeouts).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

from pathprobe.errors import NetFailure
from pathprobe.net.failures import classify
from pathprobe.net.stream import ByteStream
from pathprobe.vocab import Failure

MEDIA_TYPE = "application/dns-message"
MAX_ANSWER_BYTES = 65535
MAX_HEADER_BYTES = 16384
H1_READ = 4096
H2_READ = 16384
MAX_H2_STREAMS = 16
"""Queries in flight at once on HTTP/2 (fewer when the server's SETTINGS say so)."""
MAX_CNAME_HOPS = 16


@dataclass(frozen=True)
class Query:
    """One question: a name and ``A`` or ``AAAA``."""

    name: str
    rdtype: str


@dataclass(frozen=True)
class Answer:
    """What one query gave: addresses and rcode, or a failure string."""

    query: Query
    failure: str | None
    rcode: str | None = None
    addresses: tuple[str, ...] = ()
    status: int | None = None
    """The HTTP status, when one was received."""
    sent: bool = True
    """False for a query the deadline ended before it was sent (queued behind the others): it says
    nothing about the resolver."""


def build_query(q: Query) -> dns.message.QueryMessage:
    """ID 0 (RFC 8484 4.1: cache friendly), recursion desired, EDNS(0) padded to 128 (RFC 8467)."""
    return dns.message.make_query(q.name, q.rdtype, use_edns=0, id=0, pad=128)


def request_path(path: str, wire: bytes, method: str) -> str:
    if method == "GET":
        b64 = base64.urlsafe_b64encode(wire).rstrip(b"=").decode("ascii")
        return f"{path}{'&' if '?' in path else '?'}dns={b64}"
    return path


def parse_answer(q: Query, msg: dns.message.QueryMessage, status: int, ctype: str | None,
                 body: bytes) -> Answer:
    """Check the HTTP envelope and the DNS message; extract the addresses for the name."""
    if status != 200:
        return Answer(q, Failure.DOH_HTTP_ERROR, status=status)
    media = (ctype or "").split(";", 1)[0].strip().lower()
    if media != MEDIA_TYPE:
        return Answer(q, Failure.DOH_BAD_CONTENT_TYPE, status=status)
    try:
        resp = dns.message.from_wire(body)
    except (dns.exception.DNSException, ValueError, IndexError, UnicodeError):
        return Answer(q, Failure.DOH_INVALID_RESPONSE, status=status)
    if not msg.is_response(resp):
        return Answer(q, Failure.DOH_INVALID_RESPONSE, status=status)
    if resp.flags & dns.flags.TC:
        return Answer(q, Failure.DOH_TRUNCATED_RESPONSE, status=status)
    rcode = dns.rcode.to_text(resp.rcode())
    return Answer(q, None, rcode=rcode, addresses=_addresses(resp, q), status=status)


def _addresses(resp: dns.message.Message, q: Query) -> tuple[str, ...]:
    """The answer's addresses for the name, following CNAMEs within the answer section."""
    want = dns.rdatatype.from_text(q.rdtype)
    name = dns.name.from_text(q.name)
    out: list[str] = []
    for _ in range(MAX_CNAME_HOPS):
        target = None
        for rrset in resp.answer:
            if rrset.name != name:
                continue
            if rrset.rdtype == want:
                out.extend(r.to_text() for r in rrset)
            elif rrset.rdtype == dns.rdatatype.CNAME and len(rrset):
                target = rrset[0].target
        if out or target is None:
            break
        name = target
    return tuple(dict.fromkeys(out))


class DohClient:
    """Sends RFC 8484 queries over one TLS stream and returns one :class:`Answer` per query."""

    def __init__(self, stream: ByteStream, authority: str, path: str, *, alpn: str | None,
                 method: str = "GET") -> None:
        self.stream = stream
        self.authority = authority
        self.path = path
        self.http2 = alpn == "h2"
        self.method = method.upper()
        self.sent: set[int] = set()
        """Indexes of the queries sent so far (by :meth:`resolve`)."""

    @property
    def protocol(self) -> str:
        """The HTTP version the queries go over: ``h2`` when ALPN chose it, else ``http/1.1``."""
        return "h2" if self.http2 else "http/1.1"

    async def resolve(self, queries: Sequence[Query], timeout: float) -> list[Answer]:
        """All ``queries`` within one deadline; unanswered ones end as ``generic_timeout_error``
        (those never sent, queued behind the others, with ``sent`` False)."""
        results: dict[int, Answer] = {}
        self.sent = set()
        try:
            async with asyncio.timeout(timeout):
                if self.http2:
                    await self._resolve_h2(queries, results)
                else:
                    await self._resolve_h1(queries, results)
        except TimeoutError:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            fail = _failure(exc)
            for i, q in enumerate(queries):
                results.setdefault(i, Answer(q, fail))
        return [results.get(i, Answer(q, Failure.GENERIC_TIMEOUT_ERROR, sent=i in self.sent))
                for i, q in enumerate(queries)]

    # --- HTTP/1.1 -------------------------------------------------------------------------------

    async def _resolve_h1(self, queries: Sequence[Query], results: dict[int, Answer]) -> None:
        reader = _H1Reader(self.stream)
        for i, q in enumerate(queries):
            msg = build_query(q)
            wire = msg.to_wire()
            target = request_path(self.path, wire, self.method)
            head = (
                f"{self.method} {target} HTTP/1.1\r\nHost: {self.authority}\r\n"
                f"Accept: {MEDIA_TYPE}\r\nUser-Agent: pathprobe\r\n"
            )
            if self.method == "POST":
                head += f"Content-Type: {MEDIA_TYPE}\r\nContent-Length: {len(wire)}\r\n"
            data = (head + "\r\n").encode("ascii", "replace") + (wire if self.method == "POST" else b"")
            try:
                self.sent.add(i)
                await self.stream.send(data)
                status, headers, body = await reader.response()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                fail = _failure(exc)
                for j in range(i, len(queries)):
                    results[j] = Answer(queries[j], fail)
                return
            results[i] = parse_answer(q, msg, status, headers.get("content-type"), body)
            if headers.get("connection", "").lower() == "close":
                for j in range(i + 1, len(queries)):
                    results[j] = Answer(queries[j], Failure.EOF_ERROR)
                return

    # --- HTTP/2 ---------------------------------------------------------------------------------

    async def _resolve_h2(self, queries: Sequence[Query], results: dict[int, Answer]) -> None:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding=None))
        conn.initiate_connection()
        await self._h2_flush(conn)
        pending = list(enumerate(queries))
        streams: dict[int, _H2Stream] = {}
        cap = len(queries) * (MAX_ANSWER_BYTES + MAX_HEADER_BYTES) + 4 * MAX_ANSWER_BYTES
        received = 0

        def open_more() -> None:
            limit = min(MAX_H2_STREAMS, conn.remote_settings.max_concurrent_streams)
            while pending and conn.open_outbound_streams < limit:
                i, q = pending.pop(0)
                msg = build_query(q)
                wire = msg.to_wire()
                sid = conn.get_next_available_stream_id()
                hdrs = [
                    (b":method", self.method.encode()),
                    (b":scheme", b"https"),
                    (b":authority", self.authority.encode("idna")),
                    (b":path", request_path(self.path, wire, self.method).encode("ascii")),
                    (b"accept", MEDIA_TYPE.encode()),
                    (b"user-agent", b"pathprobe"),
                ]
                if self.method == "POST":
                    hdrs += [(b"content-type", MEDIA_TYPE.encode()),
                             (b"content-length", str(len(wire)).encode())]
                    conn.send_headers(sid, hdrs)
                    conn.send_data(sid, wire, end_stream=True)
                else:
                    conn.send_headers(sid, hdrs, end_stream=True)
                streams[sid] = _H2Stream(i, q, msg)
                self.sent.add(i)

        open_more()
        await self._h2_flush(conn)
        while len(results) < len(queries):
            data = await self.stream.recv(H2_READ)
            if not data:
                raise NetFailure(Failure.EOF_ERROR, "the resolver closed the connection")
            received += len(data)
            if received > cap:
                raise NetFailure(Failure.DOH_RESPONSE_TOO_LARGE, "more data than the queries can need")
            for ev in conn.receive_data(data):
                self._h2_event(conn, ev, streams, results)
            open_more()
            await self._h2_flush(conn)
            if not streams and pending == [] and len(results) < len(queries):
                raise NetFailure(Failure.DOH_INVALID_RESPONSE, "streams ended without answers")

    def _h2_event(self, conn: h2.connection.H2Connection, ev: h2.events.Event,
                  streams: dict[int, _H2Stream], results: dict[int, Answer]) -> None:
        sid = getattr(ev, "stream_id", None)
        st = streams.get(sid) if isinstance(sid, int) else None
        if isinstance(ev, h2.events.ResponseReceived) and st is not None:
            for k, v in ev.headers or []:
                key = bytes(k).lower()
                if key == b":status":
                    st.status = int(v) if bytes(v).isdigit() else 0
                elif key == b"content-type":
                    st.ctype = bytes(v).decode("latin-1")
        elif isinstance(ev, h2.events.DataReceived) and st is not None:
            conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            st.body += ev.data or b""
            if len(st.body) > MAX_ANSWER_BYTES:
                conn.reset_stream(ev.stream_id)
                results[st.index] = Answer(st.query, Failure.DOH_RESPONSE_TOO_LARGE, status=st.status)
                del streams[ev.stream_id]
        elif isinstance(ev, h2.events.StreamEnded) and st is not None:
            if st.status is None:
                results[st.index] = Answer(st.query, Failure.DOH_INVALID_RESPONSE)
            else:
                results[st.index] = parse_answer(st.query, st.msg, st.status, st.ctype, st.body)
            del streams[ev.stream_id]
        elif isinstance(ev, h2.events.StreamReset) and st is not None:
            results[st.index] = Answer(st.query, Failure.DOH_STREAM_RESET, status=st.status)
            del streams[ev.stream_id]
        elif isinstance(ev, h2.events.DataReceived):
            # Data still arriving on a stream we gave up on: keep the connection's window open for the rest.
            with contextlib.suppress(h2.exceptions.H2Error):
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.ConnectionTerminated):
            raise NetFailure(Failure.EOF_ERROR, "the resolver ended the HTTP/2 connection")

    async def _h2_flush(self, conn: h2.connection.H2Connection) -> None:
        out = conn.data_to_send()
        if out:
            await self.stream.send(out)


@dataclass
class _H2Stream:
    index: int
    query: Query
    msg: dns.message.QueryMessage
    status: int | None = None
    ctype: str | None = None
    body: bytes = b""


class _H1Reader:
    """Reads HTTP/1.1 responses (Content-Length, chunked, or to EOF), every part capped."""

    def __init__(self, stream: ByteStream) -> None:
        self.stream = stream
        self.buf = b""

    async def _more(self) -> bool:
        data = await self.stream.recv(H1_READ)
        if not data:
            return False
        self.buf += data
        return True

    async def _line(self, limit: int) -> bytes:
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                raise NetFailure(Failure.DOH_RESPONSE_TOO_LARGE, "line longer than the cap")
            if not await self._more():
                raise NetFailure(Failure.DOH_TRUNCATED_RESPONSE if self.buf else Failure.EOF_ERROR, "closed mid-line")
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    async def _exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not await self._more():
                raise NetFailure(Failure.DOH_TRUNCATED_RESPONSE, "the body ended early")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        while True:
            status, headers = await self._head()
            if not 100 <= status < 200:
                break
        body = await self._body(headers)
        return status, headers, body

    async def _head(self) -> tuple[int, dict[str, str]]:
        while b"\r\n\r\n" not in self.buf and b"\n\n" not in self.buf:
            if len(self.buf) > MAX_HEADER_BYTES:
                raise NetFailure(Failure.DOH_RESPONSE_TOO_LARGE, "headers larger than the cap")
            if not await self._more():
                raise NetFailure(
                    Failure.DOH_TRUNCATED_RESPONSE if self.buf else Failure.EOF_ERROR, "closed before the headers ended"
                )
        first = await self._line(MAX_HEADER_BYTES)
        parts = first.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise NetFailure(Failure.DOH_INVALID_RESPONSE, "not an HTTP/1.1 response")
        headers: dict[str, str] = {}
        while True:
            line = await self._line(MAX_HEADER_BYTES)
            if not line:
                break
            k, sep, v = line.partition(b":")
            if not sep:
                raise NetFailure(Failure.DOH_INVALID_RESPONSE, "malformed header line")
            headers[k.strip().decode("latin-1").lower()] = v.strip().decode("latin-1")
        return int(parts[1]), headers

    async def _body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                size_line = (await self._line(1024)).split(b";", 1)[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    raise NetFailure(Failure.DOH_INVALID_RESPONSE, "bad chunk size") from None
                if size == 0:
                    while await self._line(MAX_HEADER_BYTES):  # trailers
                        pass
                    return body
                if len(body) + size > MAX_ANSWER_BYTES:
                    raise NetFailure(Failure.DOH_RESPONSE_TOO_LARGE, "chunked body larger than the cap")
                body += await self._exactly(size)
                await self._exactly(2)
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise NetFailure(Failure.DOH_INVALID_RESPONSE, "bad Content-Length")
            n = int(length)
            if n > MAX_ANSWER_BYTES:
                raise NetFailure(Failure.DOH_RESPONSE_TOO_LARGE, "Content-Length larger than the cap")
            return await self._exactly(n)
        # Neither: the body runs to the end of the connection.
        while await self._more():
            if len(self.buf) > MAX_ANSWER_BYTES:
                raise NetFailure(Failure.DOH_RESPONSE_TOO_LARGE, "body larger than the cap")
        out, self.buf = self.buf, b""
        headers["connection"] = "close"
        return out


def _failure(exc: BaseException) -> str:
    if isinstance(exc, h2.exceptions.H2Error):
        return Failure.DOH_INVALID_RESPONSE
    if isinstance(exc, UnicodeError | ValueError):
        return Failure.DOH_INVALID_RESPONSE
    return classify(exc)


__all__ = [
    "MEDIA_TYPE",
    "Answer",
    "DohClient",
    "Query",
]
