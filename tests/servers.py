"""Real local servers for tests: HTTPS with chosen chains, hostile ones (silent, garbage), and HTTPS
servers whose page bodies come fast, slow, trickled or without end (:class:`BodyServer`)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
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


KIB = 1024


class BodyServer(_Server):
    """A local HTTPS server (the accept loop and close of :class:`_Server`) whose answer to any GET is chosen by ``mode``:

    - ``fast``: 256 KiB with a Content-Length, at once;
    - ``slow``: 256 KiB with a Content-Length, 1 KiB every 1/8 s (64 kbit/s);
    - ``trickle``: a 10 MB Content-Length, then one byte every 50 ms;
    - ``endless``: no length, no end (close-delimited), as fast as it can;
    - ``chunked``: 40 000 bytes in 1 000-byte chunks, then the last chunk;
    - ``chunked-slow``: endless 500-byte chunks, one every 1/16 s;
    - ``small``: 2 KiB with a Content-Length;
    - ``small-slow``: 15 KiB (just under the size that is judged) with a Content-Length, 512 bytes every 1/8 s;
    - ``bursty``: 256 KiB with a Content-Length, eight 1 KiB TLS records in one TCP burst every second
      (64 kbit/s, as a shaper's queue delivers after a retransmission fills a hole).
    """

    def __init__(self, ctx: ssl.SSLContext, mode: str) -> None:
        self.mode = mode  # before the accept loop starts
        super().__init__("body", ctx)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        assert self.ctx is not None
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = tls.recv(4096)
                if not chunk:
                    return
                data += chunk
            self._answer(tls)
            tls.close()
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def _answer(self, tls: ssl.SSLSocket) -> None:
        m = self.mode
        if m in ("fast", "slow", "small"):
            size = 2 * KIB if m == "small" else 256 * KIB
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % size)
            if m == "slow":
                for _ in range(size // KIB):
                    if self.stop.is_set():
                        return
                    tls.sendall(b"s" * KIB)
                    time.sleep(1 / 8)
            else:
                tls.sendall(b"f" * size)
        elif m == "bursty":
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (256 * KIB))
            for _ in range(32):
                if self.stop.is_set():
                    return
                tls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
                for _ in range(8):
                    tls.sendall(b"b" * KIB)
                tls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
                time.sleep(1)
        elif m == "small-slow":
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (15 * KIB))
            for _ in range(30):
                if self.stop.is_set():
                    return
                tls.sendall(b"s" * 512)
                time.sleep(1 / 8)
        elif m == "trickle":
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n")
            while not self.stop.is_set():
                tls.sendall(b"t")
                time.sleep(0.05)
        elif m == "endless":
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
            while not self.stop.is_set():
                tls.sendall(b"e" * 16 * KIB)
        elif m == "chunked":
            tls.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(40):
                tls.sendall(b"3e8\r\n" + b"c" * 1000 + b"\r\n")
            tls.sendall(b"0\r\n\r\n")
        elif m == "chunked-slow":
            tls.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            while not self.stop.is_set():
                tls.sendall(b"1f4\r\n" + b"c" * 500 + b"\r\n")
                time.sleep(1 / 16)



@contextmanager
def body_server(tmp: Path, mode: str, issued: Issued | None = None) -> Iterator[int]:
    """A :class:`BodyServer` presenting ``issued`` (default: a fresh CA's ``site.test``); yields its port."""
    if issued is None:
        issued = CA("Throughput Test Root", "pathprobe tests").issue("site.test")
    srv = BodyServer(tls_context(issued, tmp), mode)
    try:
        yield srv.port
    finally:
        srv.close()
