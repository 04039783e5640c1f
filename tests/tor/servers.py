"""Local servers for the tor tests: a DNS responder for the exit relay and an HTTPS origin."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

from pathprobe.lab.servers.pki import CA


class DnsStub:
    """Answers A queries for known names on UDP (what the test network's exit resolves); NXDOMAIN else."""

    def __init__(self, host: str, port: int, names: dict[str, str]) -> None:
        self.names = {k.lower().rstrip(".") + ".": v for k, v in names.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.settimeout(0.5)
        self.queries: list[str] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            try:
                q = dns.message.from_wire(data)
            except Exception:
                continue
            r = dns.message.make_response(q)
            for question in q.question:
                name = question.name.to_text().lower()
                self.queries.append(name)
                if name in self.names and question.rdtype == dns.rdatatype.A:
                    r.answer.append(dns.rrset.from_text(name, 60, "IN", "A", self.names[name]))
                elif name not in self.names:
                    r.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(r.to_wire(), peer)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


class HttpsOrigin:
    """A tiny HTTPS server presenting a pki.CA chain and answering every request with 200."""

    def __init__(self, host: str, port: int, ca: CA, names: list[str], tmp: Path) -> None:
        issued = ca.issue(*names)
        (tmp / "chain.pem").write_bytes(issued.chain_pem())
        (tmp / "key.pem").write_bytes(issued.key_pem())
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(tmp / "chain.pem", tmp / "key.pem")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.sock.settimeout(0.5)
        self.hits = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                buf = b""
                while b"\r\n\r\n" not in buf and len(buf) < 65536:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
                self.hits += 1
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.sock.close()
