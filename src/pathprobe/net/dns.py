"""The system resolver, as this device sees it: the hosts file first, then the configured DNS servers.

A small stub of its own (dnspython's message code, asyncio sockets): the nameservers from
/etc/resolv.conf (or the namespace's copy under ``ip netns exec``), A and AAAA asked at once, an
unanswered query re-sent on the pace of the answers this check has seen (:mod:`pathprobe.net.pace`:
a lost datagram is not a blocked name), a truncated answer repeated over TCP, and every wait bounded
by the caller's deadline, so a silent resolver ends at the step deadline with no thread left behind.
(dnspython's resolver would also import its HTTP stack: a third of a check's start-up.)
``PATHPROBE_HOSTS`` names an extra hosts file read first (tests).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import random
import socket
import struct
import time
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from pathprobe.errors import NetFailure
from pathprobe.net import pace
from pathprobe.vocab import Failure

RESOLV_CONF = "/etc/resolv.conf"
DNS_PORT = 53
MAX_CNAMES = 16
HOSTS_FILES = ("/etc/hosts",)


@dataclass(frozen=True)
class DnsAnswer:
    """Addresses for a name from one resolver, with where they came from."""

    addresses: tuple[str, ...]
    source: str
    """``literal`` | ``hosts`` | ``system``."""
    rcode: str = "NOERROR"


def is_ip(host: str) -> bool:
    """True when ``host`` is an IPv4 or IPv6 address literal (``[...]`` brackets allowed), not a name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _hosts_lookup(name: str) -> tuple[str, ...]:
    files = [os.environ["PATHPROBE_HOSTS"]] if os.environ.get("PATHPROBE_HOSTS") else []
    files += list(HOSTS_FILES)
    name = name.lower().rstrip(".")
    found: list[str] = []
    for path in files:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    fields = line.split("#", 1)[0].split()
                    if len(fields) >= 2 and name in (f.lower() for f in fields[1:]) and is_ip(fields[0]):
                        found.append(fields[0])
        except OSError:
            continue
        if found:
            return tuple(dict.fromkeys(found))
    return ()


def nameservers(path: str | None = None) -> list[str]:
    """The ``nameserver`` lines of resolv.conf (IPv4 / IPv6 addresses; a zone index is dropped)."""
    out: list[str] = []
    try:
        with open(path or RESOLV_CONF, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split("#", 1)[0].split(";", 1)[0].split()
                if len(fields) >= 2 and fields[0] == "nameserver":
                    addr = fields[1].split("%", 1)[0]
                    if is_ip(addr):
                        out.append(addr)
    except OSError:
        pass
    return list(dict.fromkeys(out))


async def system_resolve(host: str, lifetime: float) -> DnsAnswer:
    """Resolve ``host`` like the system would; raises :class:`NetFailure` on failure."""
    if is_ip(host):
        return DnsAnswer((host.strip("[]"),), "literal")
    hosts = _hosts_lookup(host)
    if hosts:
        return DnsAnswer(hosts, "hosts")
    servers = nameservers()
    if not servers:
        raise NetFailure(Failure.DNS_SERVER_FAILURE, "no resolver configured")
    return await resolve_with([(s, DNS_PORT) for s in servers], host, lifetime)


async def resolve_with(servers: list[tuple[str, int]], host: str, lifetime: float) -> DnsAnswer:
    """A and AAAA for ``host`` from ``servers`` at once, within ``lifetime`` seconds."""
    try:
        qname = dns.name.from_text(host.rstrip(".") + ".")
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        raise NetFailure(Failure.DNS_SERVER_FAILURE, "not a valid name") from exc
    deadline = time.monotonic() + lifetime
    first = time.monotonic()
    tasks = [
        asyncio.ensure_future(_lookup(servers, qname, t, deadline))
        for t in (dns.rdatatype.A, dns.rdatatype.AAAA)
    ]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        early = [t for t in done if not t.exception() and t.result()]
        if pending and early:
            # One family answered with addresses: give the other as long again (at least 50 ms).
            grace = min(max(0.05, time.monotonic() - first), max(0.0, deadline - time.monotonic()))
            await asyncio.wait(pending, timeout=grace)
        elif pending:
            await asyncio.wait(pending)
    finally:
        for t in tasks:
            if not t.done():
                t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    addresses: list[str] = []
    nx = 0
    errors: list[str] = []
    for t in tasks:
        if t.cancelled():
            continue
        err = t.exception()
        if err is None:
            addresses.extend(t.result())
        elif isinstance(err, NetFailure) and err.failure == Failure.DNS_NXDOMAIN_ERROR:
            nx += 1
        elif isinstance(err, NetFailure):
            errors.append(err.failure)
        elif isinstance(err, TimeoutError):
            errors.append(Failure.GENERIC_TIMEOUT_ERROR)
        else:
            errors.append(Failure.DNS_SERVER_FAILURE)
    if addresses:
        return DnsAnswer(tuple(dict.fromkeys(addresses)), "system")
    if nx:
        raise NetFailure(Failure.DNS_NXDOMAIN_ERROR)
    if errors:
        raise NetFailure(Failure.GENERIC_TIMEOUT_ERROR if Failure.GENERIC_TIMEOUT_ERROR in errors else errors[0])
    raise NetFailure(Failure.DNS_NO_ANSWER)


async def _lookup(servers: list[tuple[str, int]], qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, deadline: float) -> list[str]:
    """Addresses of one type (CNAMEs followed within the answer); NXDOMAIN / failures as NetFailure."""
    q = dns.message.make_query(qname, rdtype, use_edns=0, payload=1232)
    resp = await _exchange(q, servers, deadline)
    rcode = resp.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        raise NetFailure(Failure.DNS_NXDOMAIN_ERROR)
    if rcode != dns.rcode.NOERROR:
        raise NetFailure(Failure.DNS_SERVER_FAILURE)
    name = qname
    for _ in range(MAX_CNAMES):
        rrset = resp.get_rrset(resp.answer, name, dns.rdataclass.IN, rdtype)
        if rrset is not None:
            return [r.to_text() for r in rrset]
        cname = resp.get_rrset(resp.answer, name, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is None:
            break
        name = next(iter(cname)).target
    return []


class _Exchange:
    """One query over UDP to the servers in turn, re-sent while unanswered; the first fit answer wins."""

    def __init__(self, q: dns.message.Message, servers: list[tuple[str, int]]) -> None:
        self.q = q
        self.wire = q.to_wire()
        self.servers = servers
        self.alive = list(servers)
        self.socks: dict[int, socket.socket] = {}
        self.inbox: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()
        self.readers: list[asyncio.Task[None]] = []
        self.sent = 0
        self.last_send = 0.0

    def _sock(self, family: int) -> socket.socket:
        s = self.socks.get(family)
        if s is None:
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.setblocking(False)
            self.socks[family] = s
            self.readers.append(asyncio.ensure_future(self._read(s)))
        return s

    async def _read(self, s: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            data, addr = await loop.sock_recvfrom(s, 65535)
            self.inbox.put_nowait((data, (addr[0], addr[1])))

    async def send(self) -> None:
        host, port = self.alive[self.sent % len(self.alive)]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sent += 1
        self.last_send = time.monotonic()
        try:
            await asyncio.get_running_loop().sock_sendto(self._sock(family), self.wire, (host, port))
        except OSError:
            pass  # an unreachable server stays silent here; the next send tries the next one

    def close(self) -> None:
        for t in self.readers:
            t.cancel()
        for s in self.socks.values():
            s.close()


async def _exchange(q: dns.message.Message, servers: list[tuple[str, int]], deadline: float) -> dns.message.Message:
    p = pace.dns()
    ex = _Exchange(q, servers)
    start = time.monotonic()
    limit = max(0.0, deadline - start)
    known = {(ipaddress.ip_address(h).compressed, port) for h, port in servers}
    try:
        await ex.send()
        while True:
            now = time.monotonic()
            give_up_at = start + p.give_up_after(limit) if ex.sent >= pace.MIN_ATTEMPTS else deadline
            wake = min(deadline, give_up_at, ex.last_send + p.retry_after(), now + pace.RETRY_FLOOR)
            try:
                async with asyncio.timeout(max(0.0, wake - now)):
                    data, addr = await ex.inbox.get()
            except TimeoutError:
                now = time.monotonic()
                give_up_at = start + p.give_up_after(limit) if ex.sent >= pace.MIN_ATTEMPTS else deadline
                if now >= deadline or now >= give_up_at:
                    raise NetFailure(Failure.GENERIC_TIMEOUT_ERROR) from None
                if now >= ex.last_send + p.retry_after():
                    await ex.send()
                continue
            src = (ipaddress.ip_address(addr[0].split("%", 1)[0]).compressed, addr[1])
            if src not in known:
                continue  # not from a server we asked
            try:
                resp = dns.message.from_wire(data)
            except dns.exception.DNSException:
                continue
            if not q.is_response(resp):
                continue
            p.add(time.monotonic() - ex.last_send)
            if resp.flags & dns.flags.TC:
                return await _tcp_exchange(q, addr[0], addr[1], deadline)
            if resp.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                return resp
            # SERVFAIL, REFUSED...: this server cannot answer; the others may.
            ex.alive = [s for s in ex.alive if (ipaddress.ip_address(s[0]).compressed, s[1]) != src]
            if not ex.alive:
                return resp
            await ex.send()
    finally:
        ex.close()


async def _tcp_exchange(q: dns.message.Message, host: str, port: int, deadline: float) -> dns.message.Message:
    """The same query over TCP (after a truncated UDP answer), within the deadline."""
    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            wire = q.to_wire()
            writer.write(struct.pack("!H", len(wire)) + wire)
            await writer.drain()
            (size,) = struct.unpack("!H", await reader.readexactly(2))
            resp = dns.message.from_wire(await reader.readexactly(size))
        finally:
            writer.close()
    if not q.is_response(resp):
        raise NetFailure(Failure.DNS_SERVER_FAILURE, "a TCP answer that does not match the query")
    return resp


@dataclass(frozen=True)
class Do53Reply:
    """One plain-DNS answer from one server to a query whose name was sent in mixed (0x20) case."""

    sent: str
    """The question name exactly as sent."""
    echoed: str | None
    """The question name as the answer carried it (``None``: no question section)."""
    rcode: str
    addresses: tuple[str, ...]

    @property
    def case_kept(self) -> bool | None:
        """True when the answer echoed the exact letter case sent; ``None`` when that shows nothing
        (no letter in the name, or no question in the answer)."""
        if self.echoed is None or self.sent.lower() == self.sent.upper():
            return None
        return self.echoed.rstrip(".") == self.sent.rstrip(".")


def mix_case(name: str, rng: random.Random | None = None) -> str:
    """``name`` with each letter's case chosen at random (DNS 0x20), at least one upper and one lower
    letter when it has two or more letters, so that an answer that folds the case in either
    direction shows."""
    r = rng or random.SystemRandom()
    chars = [c.upper() if c.isalpha() and r.random() < 0.5 else c.lower() for c in name]
    letters = [i for i, c in enumerate(chars) if c.isascii() and c.isalpha()]
    if letters and all(chars[i].islower() for i in letters):
        i = r.choice(letters)
        chars[i] = chars[i].upper()
    if len(letters) > 1 and all(chars[i].isupper() for i in letters):
        i = r.choice(letters)
        chars[i] = chars[i].lower()
    return "".join(chars)


async def ask_server(server: str, port: int, host: str, lifetime: float,
                     rng: random.Random | None = None) -> Do53Reply:
    """One A query for ``host`` in mixed case straight to ``server:port`` over UDP (re-sent on the
    stub's pace, TCP after a truncated answer), within ``lifetime`` seconds; the answer whatever its
    rcode. Raises :class:`NetFailure` (``generic_timeout_error``) when nothing answered."""
    sent = mix_case(host.rstrip("."), rng)
    try:
        qname = dns.name.from_text(sent + ".")
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        raise NetFailure(Failure.DNS_SERVER_FAILURE, "not a valid name") from exc
    q = dns.message.make_query(qname, dns.rdatatype.A, use_edns=0, payload=1232)
    resp = await _exchange(q, [(server, port)], time.monotonic() + lifetime)
    echoed = resp.question[0].name.to_text(omit_final_dot=True) if resp.question else None
    addrs: list[str] = []
    for rrset in resp.answer:
        if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            addrs.extend(r.to_text() for r in rrset)
    return Do53Reply(sent, echoed, dns.rcode.to_text(resp.rcode()), tuple(dict.fromkeys(addrs)))
