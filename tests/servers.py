"""Real local servers for tests: HTTPS with chosen chains, and hostile ones (silent, garbage)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pathprobe.lab.servers.pki import CA, Issued


class _Server:
    def __init__(self, handler: str, ctx: ssl.SSLContext | None = None) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.ctx = ctx
        self.handler = handler
        self.stop = threading.Event()
        self.held: list[socket.socket] = []
        self.sock.settimeout(0.2)  # here, not in the thread: a short-lived server may close first
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            if self.handler == "silent":
                self.held.append(conn)
                return
            if self.handler == "garbage":
                conn.recv(4096)
                conn.sendall(b"SSH-2.0-OpenSSH_9.2 not TLS at all\r\n" * 50)
                conn.close()
                return
            assert self.ctx is not None
            tls = self.ctx.wrap_socket(conn, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            tls.close()
        except (OSError, ssl.SSLError):
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for c in self.held:
            try:
                c.close()
            except OSError:
                pass
        self.thread.join(timeout=2)


def tls_context(issued: Issued, tmp: Path, extra_chain: list[bytes] | None = None) -> ssl.SSLContext:
    """A server context presenting ``issued`` (leaf + its intermediates) and any extra PEM blocks."""
    chain = tmp / f"chain-{id(issued)}.pem"
    key = tmp / f"key-{id(issued)}.pem"
    chain.write_bytes(issued.chain_pem() + b"".join(extra_chain or []))
    key.write_bytes(issued.key_pem())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(chain), str(key))
    return ctx


@contextmanager
def https_server(issued: Issued, tmp: Path, extra_chain: list[bytes] | None = None) -> Iterator[int]:
    srv = _Server("tls", tls_context(issued, tmp, extra_chain))
    try:
        yield srv.port
    finally:
        srv.close()


@contextmanager
def hostile_server(kind: str) -> Iterator[int]:
    """``silent`` (accepts, never speaks) or ``garbage`` (answers with non-TLS bytes)."""
    srv = _Server(kind)
    try:
        yield srv.port
    finally:
        srv.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def write_roots(path: Path, *cas: CA) -> Path:
    path.write_bytes(b"".join(ca.cert_pem() for ca in cas))
    return path
