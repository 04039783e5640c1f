"""The RFC 8484 client against dnsdist (HTTP/2 and HTTP/1.1, GET and POST) and hostile servers."""

from __future__ import annotations

import asyncio
import threading

import pytest
from doh_servers import DOH_PORT, H1_BEHAVIOURS, H2_BEHAVIOURS, NO_ADDRESS, Pki, hostile_h1, hostile_h2

from pathprobe.net.doh import Answer, DohClient, Query
from pathprobe.net.stream import open_tcp
from pathprobe.net.tls import TlsStream

TIMEOUT = 1.5
QUERIES = [Query("site.test", "A"), Query("site.test", "AAAA")]


async def _resolve(port: int, queries: list[Query], *, alpn: list[bytes], method: str = "GET",
                   timeout: float = TIMEOUT) -> tuple[str | None, list[Answer]]:
    tcp = await open_tcp("127.0.0.1", port)
    tls = TlsStream(tcp, "doh.test", alpn)
    try:
        ev = await asyncio.wait_for(tls.handshake(), timeout)
        client = DohClient(tls, f"doh.test:{port}", "/dns-query", alpn=ev.alpn, method=method)
        return client.protocol, await client.resolve(queries, timeout)
    finally:
        tls.close()


def resolve(port: int, queries: list[Query] = QUERIES, **kw: object) -> tuple[str | None, list[Answer]]:
    return asyncio.run(_resolve(port, queries, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("alpn", "protocol"), [([b"h2", b"http/1.1"], "h2"), ([b"http/1.1"], "http/1.1")])
def test_dnsdist(dns_stack: object, method: str, alpn: list[bytes], protocol: str) -> None:
    queries = [*QUERIES, Query("nothing-here.test", "A"), Query(NO_ADDRESS, "A"), Query("SiTe.TeSt", "A")]
    got_protocol, answers = resolve(DOH_PORT, queries, alpn=alpn, method=method)
    assert got_protocol == protocol
    a, aaaa, nx, empty, mixed = answers
    assert (a.failure, a.rcode, a.addresses, a.status) == (None, "NOERROR", ("127.0.0.1",), 200)
    assert (aaaa.failure, aaaa.addresses) == (None, ("::1",))
    assert (nx.failure, nx.rcode, nx.addresses) == (None, "NXDOMAIN", ())
    assert (empty.failure, empty.rcode, empty.addresses) == (None, "NOERROR", ())
    assert mixed.addresses == ("127.0.0.1",)


def test_dnsdist_many_queries_on_one_h2_connection(dns_stack: object) -> None:
    """More queries than the client keeps in flight at once: all answered, in order."""
    queries = [Query("site.test", "A"), Query("good.test", "A")] * 20
    _, answers = resolve(DOH_PORT, queries, alpn=[b"h2"])
    assert [a.addresses for a in answers] == [("127.0.0.1",)] * 40


EXPECTED_H1 = {
    "ok": None,
    "truncated_body": "doh_truncated_response",
    "short_dns": "doh_invalid_response",
    "tc_flag": "doh_truncated_response",
    "wrong_ctype": "doh_bad_content_type",
    "status_503": "doh_http_error",
    "oversize_length": "doh_response_too_large",
    "oversize_chunked": "doh_response_too_large",
    "oversize_eof": "doh_response_too_large",
    "slow_trickle": "generic_timeout_error",
    "silent": "generic_timeout_error",
    "garbage_http": "doh_invalid_response",
    "huge_headers": "doh_response_too_large",
    "wrong_question": "doh_invalid_response",
    "wrong_id": "doh_invalid_response",
    "not_a_response": "doh_invalid_response",
    "wrong_type": "doh_invalid_response",
}


@pytest.mark.parametrize("behaviour", sorted(EXPECTED_H1))
def test_hostile_http1(pki: Pki, stop_event: threading.Event, behaviour: str) -> None:
    cert, key = pki.write("doh", pki.resolver)
    port = 18410 + H1_BEHAVIOURS.index(behaviour)
    with hostile_h1(port, cert, key, behaviour, stop_event):
        protocol, answers = resolve(port, alpn=[b"h2", b"http/1.1"])
    stop_event.set()
    assert protocol == "http/1.1"
    assert answers[0].failure == EXPECTED_H1[behaviour]
    if behaviour == "ok":
        assert answers[0].addresses == ("127.0.0.1",) and answers[1].addresses == ("::1",)
    if behaviour in ("status_503",):
        assert answers[0].status == 503


def test_http1_server_that_closes_after_one_answer(pki: Pki, stop_event: threading.Event) -> None:
    cert, key = pki.write("doh", pki.resolver)
    port = 18410 + H1_BEHAVIOURS.index("close_after_first")
    with hostile_h1(port, cert, key, "close_after_first", stop_event):
        _, answers = resolve(port, alpn=[b"http/1.1"])
    assert answers[0].addresses == ("127.0.0.1",)
    assert answers[1].failure == "eof_error"


EXPECTED_H2 = {
    "ok": None,
    "garbage": "doh_invalid_response",
    "reset": "doh_stream_reset",
    "oversize": "doh_response_too_large",
    "wrong_ctype": "doh_bad_content_type",
    "goaway": "eof_error",
}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("behaviour", sorted(EXPECTED_H2))
def test_hostile_http2(pki: Pki, stop_event: threading.Event, behaviour: str, method: str) -> None:
    cert, key = pki.write("doh", pki.resolver)
    port = 18425 + H2_BEHAVIOURS.index(behaviour)
    with hostile_h2(port, cert, key, behaviour, stop_event):
        protocol, answers = resolve(port, alpn=[b"h2", b"http/1.1"], method=method)
    stop_event.set()
    assert protocol == "h2"
    assert [a.failure for a in answers] == [EXPECTED_H2[behaviour]] * 2
    if behaviour == "ok":
        assert [a.addresses for a in answers] == [("127.0.0.1",), ("::1",)]
