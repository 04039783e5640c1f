"""Real servers on loopback for the DoH tests: unbound + dnsdist, HTTPS sites, hostile DoH servers.

Ports 18400-18499 only (other test suites use other ranges). Every process is started with its own
configuration file and stopped by its PID.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dns.flags
import dns.message
import dns.rrset
import h2.config
import h2.connection
import h2.events
import h2.exceptions

from pathprobe.lab.servers.pki import CA, Issued

DOH_PORT = 18400
DNSDIST_DO53_PORT = 18401
UNBOUND_PORT = 18402
SITE_PORT = 18440
CLOSED_PORT = 18499

LOCAL_DATA = {
    "site.test": ["127.0.0.1", "::1"],
    "good.test": ["127.0.0.1"],
    "poisoned.test": ["127.0.0.1"],
}
NO_ADDRESS = "empty.test"  # exists, with a TXT record only
SITE_NAMES = ("site.test", "good.test", "poisoned.test", "www.site.test")


@dataclass
class Pki:
    dir: Path
    ca: CA
    evil: CA
    resolver: Issued
    site: Issued
    impostor: Issued

    @property
    def ca_file(self) -> Path:
        return self.dir / "public-roots.pem"

    def write(self, name: str, issued: Issued) -> tuple[Path, Path]:
        cert, key = self.dir / f"{name}.crt", self.dir / f"{name}.key"
        cert.write_bytes(issued.chain_pem())
        key.write_bytes(issued.key_pem())
        return cert, key


def make_pki(tmp: Path) -> Pki:
    ca = CA("pathprobe DoH test root", "pathprobe tests")
    evil = CA("Totally Legit Root", "Censor")
    pki = Pki(tmp, ca, evil, ca.issue("doh.test"), ca.issue(*SITE_NAMES), evil.issue("poisoned.test"))
    pki.ca_file.write_bytes(ca.cert_pem())
    return pki


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}: {log.read_text(errors='replace')[-2000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop one process we started, by its PID."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class DnsStack:
    """unbound (local data only, ``local-zone: "." static``) behind dnsdist's DoH listener."""

    def __init__(self, pki: Pki) -> None:
        self.pki = pki
        self.procs: list[subprocess.Popen[bytes]] = []

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("unbound") and shutil.which("dnsdist"))

    def unbound_conf(self) -> str:
        lines = [
            "server:",
            f"  interface: 127.0.0.1@{UNBOUND_PORT}",
            f"  port: {UNBOUND_PORT}",
            "  do-daemonize: no",
            '  username: ""',
            '  chroot: ""',
            f'  directory: "{self.pki.dir}"',
            '  pidfile: ""',
            "  use-syslog: no",
            '  logfile: ""',
            "  do-ip6: no",
            "  access-control: 127.0.0.0/8 allow",
            '  module-config: "iterator"',
            '  local-zone: "." static',
        ]
        for name, addrs in LOCAL_DATA.items():
            for a in addrs:
                lines.append(f'  local-data: "{name}. 60 IN {"AAAA" if ":" in a else "A"} {a}"')
        lines.append(f'  local-data: "{NO_ADDRESS}. 60 IN TXT \\"no address here\\""')
        lines += ["remote-control:", "  control-enable: no", ""]
        return "\n".join(lines)

    def dnsdist_conf(self, cert: Path, key: Path) -> str:
        return "\n".join([
            'setSecurityPollSuffix("")',
            f'setLocal("127.0.0.1:{DNSDIST_DO53_PORT}")',
            f'newServer({{address="127.0.0.1:{UNBOUND_PORT}"}})',
            f'addDOHLocal("127.0.0.1:{DOH_PORT}", "{cert}", "{key}", "/dns-query")',
            "",
        ])

    def start(self) -> None:
        d = self.pki.dir
        (d / "unbound.conf").write_text(self.unbound_conf())
        cert, key = self.pki.write("doh", self.pki.resolver)
        (d / "dnsdist.conf").write_text(self.dnsdist_conf(cert, key))
        ulog, dlog = d / "unbound.log", d / "dnsdist.log"
        u = subprocess.Popen(["unbound", "-d", "-c", str(d / "unbound.conf")],
                             stdout=ulog.open("wb"), stderr=subprocess.STDOUT)
        self.procs.append(u)
        _wait_port(UNBOUND_PORT, u, "unbound", ulog)
        dd = subprocess.Popen(["dnsdist", "--supervised", "--disable-syslog", "-C", str(d / "dnsdist.conf")],
                              stdout=dlog.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(dd)
        _wait_port(DOH_PORT, dd, "dnsdist", dlog)

    def stop(self) -> None:
        for p in reversed(self.procs):
            stop(p)
        self.procs.clear()


# --- Python servers ------------------------------------------------------------------------------


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class ThreadedServer:
    """A TCP server in a thread; ``handle(sock)`` runs per connection (plain TCP socket)."""

    def __init__(self, host: str, port: int, handle: Callable[[socket.socket], None]) -> None:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError, ssl.SSLError, ValueError, h2.exceptions.H2Error):
                    handle(self.request)

        self.server = _Server((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def tls_context(cert: Path, key: Path, alpn: list[str]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(alpn)
    return ctx


def https_site(host: str, port: int, cert: Path, key: Path) -> ThreadedServer:
    """A small HTTPS origin: answers any request with 200."""
    ctx = tls_context(cert, key, ["http/1.1"])

    def handle(sock: socket.socket) -> None:
        sock.settimeout(5)
        with ctx.wrap_socket(sock, server_side=True) as s:
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    return
                buf += chunk
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    return ThreadedServer(host, port, handle)


def dns_answer(wire: bytes, address: str = "127.0.0.1", *, qname: str | None = None,
               tc: bool = False, msg_id: int | None = None, swap_type: bool = False) -> bytes:
    """A correct answer to ``wire`` (or one for ``qname`` instead, for the other address type with
    ``swap_type``, under another ``msg_id``, or with the TC bit)."""
    q = dns.message.from_wire(wire)
    if qname is not None or swap_type:
        rdtype = q.question[0].rdtype
        if swap_type:
            rdtype = 1 if rdtype == 28 else 28
        q = dns.message.make_query(qname or q.question[0].name, rdtype, id=q.id)
    r = dns.message.make_response(q)
    if msg_id is not None:
        r.id = msg_id
    qtype = q.question[0].rdtype
    rd = "AAAA" if qtype == 28 else "A"
    addr = "::1" if rd == "AAAA" else address
    r.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", rd, addr))
    if tc:
        r.flags |= dns.flags.TC
    return r.to_wire()


def _read_h1_request(s: ssl.SSLSocket, buf: bytearray) -> bytes | None:
    """One request from a kept-alive connection; returns the DNS wire query."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    buf[:] = rest
    lines = head.split(b"\r\n")
    method, target = lines[0].split()[:2]
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(buf) < length:
        chunk = s.recv(4096)
        if not chunk:
            return None
        buf += chunk
    body, buf[:] = bytes(buf[:length]), buf[length:]
    if method == b"POST":
        return body
    qs = parse_qs(urlsplit(target.decode()).query)
    b64 = qs["dns"][0]
    return base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))


def _ok(body: bytes, ctype: bytes = b"application/dns-message", extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n" + extra + b"\r\n" + body)


H1_BEHAVIOURS = (
    "ok", "truncated_body", "short_dns", "tc_flag", "wrong_ctype", "status_503", "oversize_length",
    "oversize_chunked", "oversize_eof", "slow_trickle", "silent", "garbage_http", "huge_headers",
    "wrong_question", "close_after_first", "wrong_id", "not_a_response", "wrong_type",
)


def hostile_h1(port: int, cert: Path, key: Path, behaviour: str,
               stop_event: threading.Event) -> ThreadedServer:
    """An HTTP/1.1 DoH server that misbehaves in one way (``H1_BEHAVIOURS``)."""
    assert behaviour in H1_BEHAVIOURS
    ctx = tls_context(cert, key, ["http/1.1"])

    def trickle(s: ssl.SSLSocket, byte: bytes, pause: float) -> None:
        while not stop_event.is_set():
            s.sendall(byte)
            time.sleep(pause)

    def handle(sock: socket.socket) -> None:
        sock.settimeout(10)
        with ctx.wrap_socket(sock, server_side=True) as s:
            buf = bytearray()
            served = 0
            while True:
                wire = _read_h1_request(s, buf)
                if wire is None:
                    return
                served += 1
                good = dns_answer(wire)
                if behaviour == "ok":
                    s.sendall(_ok(good))
                elif behaviour == "truncated_body":
                    s.sendall(_ok(good)[: -len(good) // 2])
                    return
                elif behaviour == "short_dns":
                    s.sendall(_ok(good[:7]))
                elif behaviour == "tc_flag":
                    s.sendall(_ok(dns_answer(wire, tc=True)))
                elif behaviour == "wrong_ctype":
                    s.sendall(_ok(b"<html>blocked</html>", b"text/html"))
                elif behaviour == "status_503":
                    s.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nnope")
                elif behaviour == "oversize_length":
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n"
                              b"Content-Length: 10000000\r\n\r\n")
                    trickle(s, b"\0" * 16384, 0.0)
                elif behaviour == "oversize_chunked":
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\n")
                    trickle(s, b"4000\r\n" + b"\0" * 0x4000 + b"\r\n", 0.0)
                elif behaviour == "oversize_eof":
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n\r\n")
                    trickle(s, b"\0" * 16384, 0.0)
                elif behaviour == "slow_trickle":
                    trickle(s, b"H", 0.1)
                elif behaviour == "silent":
                    stop_event.wait(30)
                    return
                elif behaviour == "garbage_http":
                    s.sendall(b"\x16\x03\x01 this is not HTTP at all \xff\xfe\r\n\r\n")
                elif behaviour == "huge_headers":
                    s.sendall(b"HTTP/1.1 200 OK\r\n")
                    trickle(s, b"X-Filler: " + b"a" * 1000 + b"\r\n", 0.0)
                elif behaviour == "wrong_question":
                    s.sendall(_ok(dns_answer(wire, qname="other.test")))
                elif behaviour == "wrong_id":  # a correct answer under another message ID
                    s.sendall(_ok(dns_answer(wire, msg_id=0x5A5A)))
                elif behaviour == "not_a_response":  # the query sent back: QR bit clear
                    s.sendall(_ok(wire))
                elif behaviour == "wrong_type":  # an answer to AAAA when A was asked, and the reverse
                    s.sendall(_ok(dns_answer(wire, swap_type=True)))
                elif behaviour == "close_after_first":
                    s.sendall(_ok(good, extra=b"Connection: close\r\n"))
                    return

    return ThreadedServer("127.0.0.1", port, handle)


DNS_HEADERS = [(":status", "200"), ("content-type", "application/dns-message")]
H2_BEHAVIOURS = ("ok", "garbage", "reset", "oversize", "wrong_ctype", "goaway")


def hostile_h2(port: int, cert: Path, key: Path, behaviour: str,
               stop_event: threading.Event) -> ThreadedServer:
    """An HTTP/2 DoH server (the ``h2`` library) that misbehaves in one way (``H2_BEHAVIOURS``)."""
    assert behaviour in H2_BEHAVIOURS
    ctx = tls_context(cert, key, ["h2"])

    def handle(sock: socket.socket) -> None:
        sock.settimeout(10)
        with ctx.wrap_socket(sock, server_side=True) as s:
            if behaviour == "garbage":
                s.sendall(b"\x00\x00\x12\x09garbage-frame-that-h2-cannot-parse" * 4)
                stop_event.wait(5)
                return
            conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
            conn.initiate_connection()
            s.sendall(conn.data_to_send())
            bodies: dict[int, bytes] = {}
            paths: dict[int, str] = {}
            flooding: set[int] = set()
            while not stop_event.is_set():
                for sid in list(flooding):
                    window = conn.local_flow_control_window(sid)
                    if window > 0:
                        conn.send_data(sid, b"\0" * min(window, conn.max_outbound_frame_size))
                s.sendall(conn.data_to_send())
                data = s.recv(65536)
                if not data:
                    return
                for ev in conn.receive_data(data):
                    if isinstance(ev, h2.events.RequestReceived):
                        hdrs = dict(ev.headers)
                        paths[ev.stream_id] = hdrs[b":path"].decode()
                        bodies[ev.stream_id] = b""
                    elif isinstance(ev, h2.events.DataReceived):
                        bodies[ev.stream_id] += ev.data
                        conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.StreamReset):
                        flooding.discard(ev.stream_id)
                    elif isinstance(ev, h2.events.StreamEnded):
                        sid = ev.stream_id
                        body = bodies[sid]
                        if not body:
                            b64 = parse_qs(urlsplit(paths[sid]).query)["dns"][0]
                            body = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
                        good = dns_answer(body)
                        if behaviour == "ok":
                            conn.send_headers(sid, [*DNS_HEADERS, ("content-length", str(len(good)))])
                            conn.send_data(sid, good, end_stream=True)
                        elif behaviour == "wrong_ctype":
                            conn.send_headers(sid, [(":status", "200"), ("content-type", "text/plain")])
                            conn.send_data(sid, b"hello", end_stream=True)
                        elif behaviour == "reset":
                            conn.reset_stream(sid)
                        elif behaviour == "oversize":
                            conn.send_headers(sid, DNS_HEADERS)
                            flooding.add(sid)
                        elif behaviour == "goaway":
                            conn.close_connection()
                s.sendall(conn.data_to_send())

    return ThreadedServer("127.0.0.1", port, handle)


def raw_server(port: int, payload: bytes | None, stop_event: threading.Event) -> ThreadedServer:
    """Plain TCP: sends ``payload`` (garbage instead of TLS) or, when None, stays silent."""

    def handle(sock: socket.socket) -> None:
        sock.settimeout(10)
        if payload is not None:
            sock.sendall(payload)
        stop_event.wait(10)

    return ThreadedServer("127.0.0.1", port, handle)
