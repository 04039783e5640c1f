"""`pathprobe submit` against hostile peers (a collector that trickles, floods or talks garbage), a
queue folder with broken files in it, and through a SOCKS5 proxy (the collector sees the proxy, not
the submitter). Real servers on loopback, written here."""

from __future__ import annotations

import json
import os
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from collector_helpers import cli, free_port

from pathprobe.collector.synthetic import summary as synth
from pathprobe.errors import BadInput
from pathprobe.summary.queue import Queue
from pathprobe.summary.submit import ACCEPTED, QUEUED, REJECTED, Submitter, check_proxy, submit_all


def one_summary(seed: int = 3) -> dict[str, Any]:
    return synth(random.Random(seed))


class RawServer:
    """A TCP server on 127.0.0.1 that reads the request head and then runs ``answer(conn)``."""

    def __init__(self, answer: Callable[[socket.socket], None]) -> None:
        self.answer = answer
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", free_port()))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.sent = 0
        self.closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            buf = b""
            try:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                self.answer(conn)
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw() -> Iterator[list[RawServer]]:
    made: list[RawServer] = []
    yield made
    for s in made:
        s.close()


def _send_slowly(conn: socket.socket) -> None:
    for b in b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}" * 100:
        conn.send(bytes([b]))
        time.sleep(0.3)


def test_a_trickling_collector_cannot_hold_submit(raw: list[RawServer]) -> None:
    """Every read gets a byte in time; only an overall deadline ends it."""
    srv = RawServer(_send_slowly)
    raw.append(srv)
    sub = Submitter(srv.url, "tok", attempts=2, backoff=0, timeout=1.5, sleep=lambda _: None)
    t0 = time.monotonic()
    out = sub.send(one_summary())
    took = time.monotonic() - t0
    sub.close()
    assert out.status == QUEUED and "within 1.5 s" in out.message
    assert took < 2 * 1.5 + 1.0


def test_a_huge_error_body_is_read_with_a_cap(raw: list[RawServer]) -> None:
    srv: RawServer

    def flood(conn: socket.socket) -> None:
        conn.send(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 10000000000\r\n\r\n")
        chunk = b"A" * 65536
        while srv.sent < 2 << 30:
            conn.sendall(chunk)
            srv.sent += len(chunk)

    srv = RawServer(flood)
    raw.append(srv)
    sub = Submitter(srv.url, "tok", attempts=1, timeout=20, sleep=lambda _: None)
    t0 = time.monotonic()
    out = sub.send(one_summary())
    sub.close()
    assert out.status == REJECTED and out.http_status == 400
    assert len(out.message) <= 300 and out.message.startswith("AAAA")
    assert time.monotonic() - t0 < 5
    time.sleep(0.2)
    assert srv.sent < 32 << 20, f"the client took {srv.sent} bytes of the answer"


@pytest.mark.parametrize(
    "answer",
    [
        b"GARBAGE\r\n\r\n",
        b"\x16\x03\x01\x00\x05hello",
        b"HTTP/1.1 abc\r\n\r\n",
        b"HTTP/1.1 500 Oops\r\nContent-Length: 5\r\n\r\n\x1b[2J!",
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 503 Busy\r\nRetry-After: 99999999999999999999\r\nContent-Length: 0\r\n\r\n",
        b"",
    ],
)
def test_garbage_answers_are_queued_not_raised(answer: bytes, raw: list[RawServer]) -> None:
    def reply(conn: socket.socket) -> None:
        conn.sendall(answer)

    srv = RawServer(reply)
    raw.append(srv)
    sleeps: list[float] = []
    sub = Submitter(srv.url, "tok", attempts=2, max_backoff=1, timeout=3, sleep=sleeps.append)
    out = sub.send(one_summary())
    sub.close()
    assert out.status in (QUEUED, ACCEPTED)
    assert all(s <= 1 for s in sleeps)


def test_a_bad_queue_file_is_set_aside_and_the_rest_still_go(tmp_path: Path) -> None:
    """A FIFO, a file nested too deep, a huge file, a directory and broken JSON in the queue: each is
    set aside and reported once; the good summaries are sent."""
    stored: list[str] = []

    class H(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            n = int(self.headers.get("content-length", 0))
            stored.append(json.loads(self.rfile.read(n))["id"])
            self.send_response(201)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), H)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    data_home = tmp_path / "data"
    qdir = data_home / "pathprobe" / "queue"
    q = Queue(qdir)
    good = [one_summary(1), one_summary(2)]
    for s in good:
        q.put(s)
    os.mkfifo(qdir / "fifo.json")
    (qdir / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (qdir / "huge.json").write_text(" " * (2 << 20) + "{}")
    (qdir / "dir.json").mkdir()
    (qdir / "broken.json").write_text('{"schema": ')
    try:
        r = cli("submit", "--collector", f"http://127.0.0.1:{httpd.server_address[1]}", "--token", "t",
                XDG_DATA_HOME=str(data_home))
        assert r.returncode == 0, r.stderr
        assert sorted(stored) == sorted(s["id"] for s in good)
        assert "Traceback" not in r.stderr
        for name in ("fifo", "deep", "huge", "dir", "broken"):
            assert r.stderr.count(f"{name}.json") == 1, r.stderr
            assert (qdir / "invalid" / f"{name}.json").exists() or (qdir / f"{name}.json.bad").exists()
        r = cli("submit", "--collector", f"http://127.0.0.1:{httpd.server_address[1]}", "--token", "t",
                XDG_DATA_HOME=str(data_home))
        assert r.returncode == 0 and "setting aside" not in r.stderr
    finally:
        httpd.shutdown()
        httpd.server_close()


class Socks5Proxy:
    """A tiny SOCKS5 proxy (no authentication, CONNECT only) whose outgoing connections come from
    127.0.0.5; it records the names it was asked for."""

    OUT = "127.0.0.5"

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", free_port()))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.asked: list[tuple[int, str, int]] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    @staticmethod
    def _exactly(conn: socket.socket, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise OSError("closed")
            buf += chunk
        return buf

    def _one(self, conn: socket.socket) -> None:
        with conn:
            _ver, n = self._exactly(conn, 2)
            self._exactly(conn, n)
            conn.sendall(b"\x05\x00")
            _, _cmd, _, atyp = self._exactly(conn, 4)
            if atyp == 3:
                host = self._exactly(conn, self._exactly(conn, 1)[0]).decode()
            elif atyp == 1:
                host = socket.inet_ntoa(self._exactly(conn, 4))
            else:
                return
            (port,) = struct.unpack("!H", self._exactly(conn, 2))
            self.asked.append((atyp, host, port))
            out = socket.socket()
            out.bind((self.OUT, 0))
            out.connect(("127.0.0.1" if host == "localhost" else host, port))
            conn.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", 0))
            with out:
                threading.Thread(target=self._pipe, args=(out, conn), daemon=True).start()
                self._pipe(conn, out)

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while chunk := a.recv(65536):
                b.sendall(chunk)
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()


def test_submit_through_a_socks5_proxy_hides_the_address(tmp_path: Path) -> None:
    """`--proxy socks5h://`: the name goes to the proxy unresolved and the collector sees the proxy."""
    peers: list[str] = []

    class H(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            peers.append(self.client_address[0])
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(201)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), H)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    proxy = Socks5Proxy()
    f = tmp_path / "s.json"
    f.write_text(json.dumps(one_summary()))
    try:
        r = cli(
            "submit", str(f), "--collector", f"http://localhost:{httpd.server_address[1]}", "--token", "t",
            "--proxy", f"socks5h://127.0.0.1:{proxy.port}", XDG_DATA_HOME=str(tmp_path),
        )
        assert r.returncode == 0, r.stderr
        assert "stored" in r.stdout
        assert proxy.asked == [(3, "localhost", httpd.server_address[1])]  # by name: socks5h
        assert peers == [Socks5Proxy.OUT]
        q = Queue(tmp_path / "q")
        outs = submit_all(
            [one_summary(9)],
            Submitter(f"http://127.0.0.1:{httpd.server_address[1]}", "t", proxy=f"socks5://127.0.0.1:{proxy.port}"),
            q, lambda o: None,
        )
        assert outs[0].status == ACCEPTED and peers[-1] == Socks5Proxy.OUT
    finally:
        httpd.shutdown()
        httpd.server_close()
        proxy.close()


def test_a_proxy_that_is_not_there_queues(tmp_path: Path) -> None:
    port = free_port()
    f = tmp_path / "s.json"
    f.write_text(json.dumps(one_summary()))
    r = cli("submit", str(f), "--collector", "http://127.0.0.1:1", "--token", "t", "--attempts", "1",
            "--proxy", f"socks5h://127.0.0.1:{port}", XDG_DATA_HOME=str(tmp_path))
    assert r.returncode == 0 and "queued" in r.stdout, r.stderr


@pytest.mark.parametrize("url", ["https://127.0.0.1:1", "socks4://127.0.0.1:1", "socks5h://127.0.0.1", "x"])
def test_bad_proxy_urls_are_bad_input(url: str) -> None:
    with pytest.raises(BadInput, match="--proxy"):
        check_proxy(url)


def test_tor_and_proxy_together_are_bad_input(tmp_path: Path) -> None:
    f = tmp_path / "s.json"
    f.write_text(json.dumps(one_summary()))
    r = cli("submit", str(f), "--collector", "http://127.0.0.1:1", "--token", "t", "--tor",
            "--proxy", "socks5h://127.0.0.1:9050", XDG_DATA_HOME=str(tmp_path))
    assert r.returncode == 2 and "not both" in r.stderr
