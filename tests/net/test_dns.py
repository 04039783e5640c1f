"""The system resolver's stub (net/dns.py) against real servers on loopback: unbound with local data,
and small UDP servers that lose, lie, truncate or stay silent. Ports 18700-18719 only.

No timing assertions: what is checked is the answer, the failure string and how many copies of a
query the server saw (a lost datagram is re-sent; silence is called a timeout only after retries).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from pathprobe.errors import NetFailure
from pathprobe.net import dns as stub
from pathprobe.net import pace
from pathprobe.vocab import Failure
from tests.conftest import in_ci

UNBOUND_PORT = 18700
UDP_PORT = 18701
UDP_PORT_2 = 18702


@pytest.fixture(scope="module")
def unbound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if shutil.which("unbound") is None:
        if in_ci():
            pytest.fail("unbound is required (scripts/setup.sh installs it)")
        pytest.skip("unbound is not installed")
    d = tmp_path_factory.mktemp("unbound")
    conf = d / "unbound.conf"
    conf.write_text("\n".join([
        "server:",
        f"  interface: 127.0.0.1@{UNBOUND_PORT}",
        f"  port: {UNBOUND_PORT}",
        "  do-daemonize: no",
        '  username: ""',
        '  chroot: ""',
        f'  directory: "{d}"',
        '  pidfile: ""',
        "  use-syslog: no",
        '  logfile: ""',
        "  do-ip6: no",
        "  access-control: 127.0.0.0/8 allow",
        '  module-config: "iterator"',
        '  local-zone: "." static',
        '  local-data: "both.test. 60 IN A 127.0.0.7"',
        '  local-data: "both.test. 60 IN AAAA ::7"',
        '  local-data: "four.test. 60 IN A 127.0.0.8"',
        '  local-data: "text.test. 60 IN TXT \\"no address\\""',
        "remote-control:",
        "  control-enable: no",
        "",
    ]))
    log = d / "log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(["unbound", "-d", "-p", "-c", str(conf)], stdout=fh, stderr=fh)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                asyncio.run(stub.resolve_with([("127.0.0.1", UNBOUND_PORT)], "four.test", 0.5))
                break
            except NetFailure:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"unbound did not start: {log.read_text()[-1000:]}")
        yield UNBOUND_PORT
    finally:
        proc.terminate()
        proc.wait(timeout=10)


Handler = Callable[[dns.message.Message, int], list[bytes]]
"""(query, how many copies of it came before) -> datagrams to send back (none: lost)."""


@contextmanager
def udp_server(port: int, handle: Handler, tcp: Callable[[dns.message.Message], bytes] | None = None
               ) -> Iterator[dict[str, int]]:
    """A DNS server on 127.0.0.1:port (UDP, and TCP when ``tcp`` is given) run by ``handle``."""
    seen: dict[str, int] = {}
    stop = threading.Event()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", port))
    u.settimeout(0.1)
    t = None
    if tcp is not None:
        t = socket.socket()
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind(("127.0.0.1", port))
        t.listen(4)
        t.settimeout(0.1)

    def udp_loop() -> None:
        while not stop.is_set():
            try:
                data, addr = u.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            q = dns.message.from_wire(data)
            key = f"{q.question[0].name}/{q.question[0].rdtype}"
            n = seen.get(key, 0)
            seen[key] = n + 1
            for out in handle(q, n):
                u.sendto(out, addr)

    def tcp_loop() -> None:
        assert t is not None and tcp is not None
        while not stop.is_set():
            try:
                conn, _ = t.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2)
                (size,) = struct.unpack("!H", conn.recv(2))
                q = dns.message.from_wire(conn.recv(size))
                seen["tcp"] = seen.get("tcp", 0) + 1
                out = tcp(q)
                conn.sendall(struct.pack("!H", len(out)) + out)

    threads = [threading.Thread(target=udp_loop, daemon=True)]
    if t is not None:
        threads.append(threading.Thread(target=tcp_loop, daemon=True))
    for th in threads:
        th.start()
    try:
        yield seen
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=2)
        u.close()
        if t is not None:
            t.close()


def answer(q: dns.message.Message, address: str = "127.0.0.9", *, rcode: int = dns.rcode.NOERROR) -> bytes:
    r = dns.message.make_response(q)
    r.set_rcode(rcode)
    if rcode == dns.rcode.NOERROR and q.question[0].rdtype == dns.rdatatype.A:
        r.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", "A", address))
    return r.to_wire()


def resolve(servers: list[tuple[str, int]], name: str, lifetime: float = 3.0, *, fast: bool = False) -> object:
    """The stub within a check's pace (``fast``: as if the resolver had already answered quickly)."""

    async def main() -> object:
        paces = pace.begin()
        if fast:
            for _ in range(pace.MIN_SAMPLES):
                paces.dns.add(0.001)
        try:
            return sorted((await stub.resolve_with(servers, name, lifetime)).addresses)
        except NetFailure as exc:
            return exc.failure

    return asyncio.run(main())


def test_addresses_of_both_families_at_once(unbound: int) -> None:
    assert resolve([("127.0.0.1", unbound)], "both.test") == ["127.0.0.7", "::7"]


def test_a_cname_chain_is_followed_within_the_answer() -> None:
    def chain(q: dns.message.Message, n: int) -> list[bytes]:
        r = dns.message.make_response(q)
        if q.question[0].rdtype == dns.rdatatype.A:
            name = str(q.question[0].name)
            r.answer.append(dns.rrset.from_text(name, 60, "IN", "CNAME", "cdn.test."))
            r.answer.append(dns.rrset.from_text("cdn.test.", 60, "IN", "CNAME", "edge.cdn.test."))
            r.answer.append(dns.rrset.from_text("edge.cdn.test.", 60, "IN", "A", "127.0.0.11"))
            r.answer.append(dns.rrset.from_text("unrelated.test.", 60, "IN", "A", "10.6.6.6"))
        return [r.to_wire()]

    def loop(q: dns.message.Message, n: int) -> list[bytes]:
        r = dns.message.make_response(q)
        r.answer.append(dns.rrset.from_text("loop.test.", 60, "IN", "CNAME", "loop.test."))
        return [r.to_wire()]

    with udp_server(UDP_PORT, chain):
        assert resolve([("127.0.0.1", UDP_PORT)], "alias.test") == ["127.0.0.11"]
    with udp_server(UDP_PORT, loop):
        assert resolve([("127.0.0.1", UDP_PORT)], "loop.test") == Failure.DNS_NO_ANSWER


def test_nxdomain_and_no_address(unbound: int) -> None:
    assert resolve([("127.0.0.1", unbound)], "nothing.test") == Failure.DNS_NXDOMAIN_ERROR
    assert resolve([("127.0.0.1", unbound)], "text.test") == Failure.DNS_NO_ANSWER


def test_a_lost_query_is_sent_again() -> None:
    def lossy(q: dns.message.Message, n: int) -> list[bytes]:
        return [] if n < 2 else [answer(q)]  # the first two copies of every query are lost

    with udp_server(UDP_PORT, lossy) as seen:
        assert resolve([("127.0.0.1", UDP_PORT)], "lossy.test", fast=True) == ["127.0.0.9"]
    assert seen["lossy.test./1"] == 3


def test_silence_is_a_timeout_after_repeated_queries() -> None:
    with udp_server(UDP_PORT, lambda q, n: []) as seen:
        assert resolve([("127.0.0.1", UDP_PORT)], "silent.test", fast=True) == Failure.GENERIC_TIMEOUT_ERROR
    assert seen["silent.test./1"] >= pace.MIN_ATTEMPTS


def test_forged_and_mismatched_answers_are_ignored() -> None:
    def forger(q: dns.message.Message, n: int) -> list[bytes]:
        wrong_id = dns.message.from_wire(answer(q, "10.6.6.6"))
        wrong_id.id = (q.id + 1) % 65536
        other = dns.message.make_query("other.test", "A")
        other.id = q.id
        return [wrong_id.to_wire(), answer(other, "10.6.6.7"), b"\x00garbage", answer(q)]

    with udp_server(UDP_PORT, forger):
        assert resolve([("127.0.0.1", UDP_PORT)], "forged.test") == ["127.0.0.9"]


def test_a_failing_server_is_left_for_the_next() -> None:
    fail = udp_server(UDP_PORT, lambda q, n: [answer(q, rcode=dns.rcode.SERVFAIL)])
    good = udp_server(UDP_PORT_2, lambda q, n: [answer(q)])
    with fail, good:
        assert resolve([("127.0.0.1", UDP_PORT), ("127.0.0.1", UDP_PORT_2)], "next.test") == ["127.0.0.9"]
    with udp_server(UDP_PORT, lambda q, n: [answer(q, rcode=dns.rcode.REFUSED)]):
        assert resolve([("127.0.0.1", UDP_PORT)], "refused.test") == Failure.DNS_SERVER_FAILURE


def test_a_truncated_answer_is_asked_again_over_tcp() -> None:
    def truncated(q: dns.message.Message, n: int) -> list[bytes]:
        r = dns.message.make_response(q)
        r.flags |= dns.flags.TC
        return [r.to_wire()]

    with udp_server(UDP_PORT, truncated, tcp=lambda q: answer(q, "127.0.0.10")) as seen:
        assert resolve([("127.0.0.1", UDP_PORT)], "big.test") == ["127.0.0.10"]
    assert seen["tcp"] >= 1


def test_nameservers_from_resolv_conf(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# a comment\nsearch example.org\nnameserver 10.77.2.53\nnameserver fe80::1%eth0\n"
        "nameserver not-an-address\nnameserver 10.77.2.53\noptions ndots:2\n"
    )
    assert stub.nameservers(str(conf)) == ["10.77.2.53", "fe80::1"]
    assert stub.nameservers(str(tmp_path / "missing")) == []


def test_no_configured_resolver_is_a_server_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(stub, "RESOLV_CONF", str(tmp_path / "none"))
    monkeypatch.setattr(stub, "HOSTS_FILES", ())
    with pytest.raises(NetFailure) as err:
        asyncio.run(stub.system_resolve("anything.test", 1.0))
    assert err.value.failure == Failure.DNS_SERVER_FAILURE


def test_a_bad_name_is_a_failure_not_a_crash(unbound: int) -> None:
    assert resolve([("127.0.0.1", unbound)], "a" * 70 + ".test") == Failure.DNS_SERVER_FAILURE
