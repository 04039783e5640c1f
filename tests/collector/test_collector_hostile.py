"""The collector against hostile peers: slowloris, wrong-typed summaries, hostile bodies; its database
file's permissions; no client address in its output. Real `pathprobe collector serve` processes on
loopback, real sockets."""

from __future__ import annotations

import copy
import json
import os
import random
import select
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from collector_helpers import Server, env

from pathprobe.collector.storage import open_storage
from pathprobe.collector.synthetic import summary as synth
from pathprobe.errors import BadInput
from pathprobe.summary.schema import validate_summary

HEX = "ab" * 32


def rich_summary() -> dict[str, Any]:
    """A valid summary that uses every part of the format (sites, portal, findings, known roots)."""
    rng = random.Random(7)
    while True:
        s = synth(rng, country="KZ", asn=9198)
        if s["interception"]:
            break
    s["paths"][0]["sites"] = [
        {"host": "facebook.com", "reachability": "blocked", "tls": "unverified",
         "failure": "connection_reset", "signals": ["missing_sct"]}
    ]
    s["network"]["portal"] = {
        "detected": True,
        "offered_certificates": [{"sha256": HEX, "spki_sha256": None, "subject": "CN=Portal Root", "known_as": None}],
    }
    s["trust_store"]["known_interception_roots"] = [
        {"sha256": HEX, "known_as": "Qaznet Trust Network (KZ, 2019)"}
    ]
    s["recommendation"] = s["paths"][0]["id"]
    return validate_summary(s)


WRONG: list[Any] = [
    [], {}, [{}], [[]], {"k": [1]}, 10**39, -(10**38), 1.5, 1e308, True, 0, None, "", "x" * 300, "\u202e",
    [[["deep"]]], ["direct", {"a": 1}],
]


def positions(v: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(v, dict):
        for k, x in v.items():
            yield from positions(x, (*path, k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from positions(x, (*path, i))


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(doc)
    if not path:
        return copy.deepcopy(value)
    cur = out
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = copy.deepcopy(value)
    return out


def variants(doc: dict[str, Any]) -> Iterator[Any]:
    for path in positions(doc):
        for w in WRONG:
            yield replaced(doc, path, w)
        here = doc
        for p in path:
            here = here[p]
        if isinstance(here, list):  # an unhashable member where a set of strings is kept
            yield replaced(doc, path, [*here, {"x": 1}])
            yield replaced(doc, path, [*here, ["direct"]])


def test_wrong_typed_summaries_are_4xx_never_500(sqlite_db: str, server_factory: list[Server]) -> None:
    srv = Server(sqlite_db)
    token = srv.token("fuzz")
    server_factory.append(srv.start())
    base = rich_summary()
    seen = 0
    with httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        r = c.post("/v1/summaries", json=base)
        assert r.status_code == 201, r.text
        for v in variants(base):
            r = c.post("/v1/summaries", content=json.dumps(v), headers={"Content-Type": "application/json"})
            try:
                validate_summary(v)
                valid = True
            except BadInput:
                valid = False
            if valid:
                assert r.status_code in (200, 201), (v, r.status_code, r.text)
            else:
                assert r.status_code in (400, 422), (v, r.status_code, r.text)
            seen += 1
        assert c.get("/healthz").status_code == 200
    assert seen > 500


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000 + b"]" * 50_000,  # a RecursionError for json.loads
        b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
        b'{"schema": "pathprobe.summary/1", "n": ' + b"9" * 5000 + b"}",
        json.dumps({**rich_summary(), "\ud800": 1}).encode(),  # a lone surrogate key, quoted in the error
        b'{"schema": "pathprobe.summary/1", "n": NaN}',
        b"\xff\xfe{}",
        b"",
    ],
)
def test_hostile_bodies_are_400_or_422(body: bytes, sqlite_db: str, server_factory: list[Server]) -> None:
    srv = Server(sqlite_db)
    token = srv.token("fuzz")
    server_factory.append(srv.start())
    r = httpx.post(
        srv.url + "/v1/summaries",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code in (400, 422), (r.status_code, r.text[:300])
    assert "error" in r.json()


def _closed(sock: socket.socket) -> bool:
    """Whether the server has closed (or reset) this connection."""
    while True:
        r, _, _ = select.select([sock], [], [], 0)
        if not r:
            return False
        try:
            if sock.recv(4096) == b"":
                return True
        except OSError:
            return True


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_slowloris_is_cut_off_and_others_still_served(sqlite_db: str, server_factory: list[Server]) -> None:
    """Many connections trickling their request a byte at a time: a normal GET and POST are still
    answered at once, the server never holds much more than its cap of connections, and the
    trickling ones are closed after the read timeout."""
    cap, timeout = 40, 1.5
    srv = Server(sqlite_db, extra=("--read-timeout", str(timeout), "--max-connections", str(cap)))
    token = srv.token("ngo")
    server_factory.append(srv.start())
    assert srv.proc is not None
    pid = srv.proc.pid
    idle_fds = _fds(pid)
    socks: list[socket.socket] = []
    stop = threading.Event()

    def trickle() -> None:
        while not stop.is_set():
            for s in list(socks):
                try:
                    s.send(b"X")
                except OSError:
                    pass
            time.sleep(0.2)

    try:
        for i in range(150):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.send(b"POST /v1/summaries HTTP/1.1\r\nHost: x\r\nX-Slow-%d: " % i)
            socks.append(s)
        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        time.sleep(0.3)
        assert _fds(pid) <= idle_fds + cap + 5, "the server keeps more connections than its cap"
        t0 = time.monotonic()
        assert httpx.get(srv.url + "/healthz", timeout=5).text == "ok"
        r = httpx.post(
            srv.url + "/v1/summaries",
            json=rich_summary(),
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert r.status_code == 201, r.text
        assert time.monotonic() - t0 < 2.0
        time.sleep(timeout + 1.5)
        still_open = [s for s in socks if not _closed(s)]
        assert not still_open, f"{len(still_open)} trickling connections are still open"
        assert _fds(pid) <= idle_fds + 5
    finally:
        stop.set()
        for s in socks:
            s.close()


def test_a_slow_body_is_cut_off(sqlite_db: str, server_factory: list[Server]) -> None:
    srv = Server(sqlite_db, extra=("--read-timeout", "1"))
    token = srv.token("ngo")
    server_factory.append(srv.start())
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.send(
        b"POST /v1/summaries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\nContent-Length: 1000\r\n\r\n{"
    )
    t0 = time.monotonic()
    closed = False
    while time.monotonic() - t0 < 5:
        try:
            s.send(b" ")
        except OSError:
            closed = True
            break
        if _closed(s):
            closed = True
            break
        time.sleep(0.2)
    s.close()
    assert closed and time.monotonic() - t0 < 3.5


def test_huge_headers_are_refused(sqlite_db: str, server_factory: list[Server]) -> None:
    srv = Server(sqlite_db)
    server_factory.append(srv.start())
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    answer = b""
    try:
        for i in range(2000):
            s.send(b"X-Pad-%d: %s\r\n" % (i, b"a" * 100))
    except OSError:
        pass
    try:
        answer = s.recv(200)
    except OSError:
        pass
    s.close()
    assert answer.startswith(b"HTTP/1.1 431") or answer == b""
    assert httpx.get(srv.url + "/healthz", timeout=5).text == "ok"


def test_no_client_address_in_output_or_database(tmp_path: Path, server_factory: list[Server]) -> None:
    """Requests from 127.0.0.3 (the collector listens on 127.0.0.1): that address shows up nowhere."""
    db = str(tmp_path / "c.sqlite3")
    log = tmp_path / "collector.log"
    srv = Server(db, log=log)
    token = srv.token("ngo")
    server_factory.append(srv.start())
    transport = httpx.HTTPTransport(local_address="127.0.0.3")
    with httpx.Client(transport=transport, base_url=srv.url, timeout=10) as c:
        auth = {"Authorization": f"Bearer {token}"}
        assert c.post("/v1/summaries", json=rich_summary(), headers=auth).status_code == 201
        assert c.post("/v1/summaries", content=b"{", headers={**auth, "Content-Type": "application/json"}).status_code == 400
        assert c.post("/v1/summaries", json={"x": 1}).status_code == 401
        assert c.get("/v1/aggregate?by=nope", headers=auth).status_code == 400
        assert c.get("/").status_code == 200
        assert c.get("/missing").status_code == 404
    raw = socket.socket()
    raw.bind(("127.0.0.3", 0))
    raw.connect(("127.0.0.1", srv.port))
    raw.send(b"NOT HTTP AT ALL\r\n\r\n")
    raw.recv(1000)
    raw.close()
    srv.kill(15)
    out = log.read_text(errors="replace")
    assert "127.0.0.3" not in out
    for f in tmp_path.glob("c.sqlite3*"):
        assert b"127.0.0.3" not in f.read_bytes()


def test_sqlite_database_is_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        st = open_storage(str(tmp_path / "sub" / "c.sqlite3"))
        st.add_token("ngo")
        files = list((tmp_path / "sub").glob("c.sqlite3*"))
        assert len(files) >= 2  # the database and its WAL
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, (f, oct(f.stat().st_mode))
        st.close()
    finally:
        os.umask(old)


BLOCKER = """
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("starlette", "uvicorn"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Block())
"""


def test_serve_without_the_collector_extra_says_how_to_install(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER)
    e = env()
    e["PYTHONPATH"] = str(site) + os.pathsep + e["PYTHONPATH"]
    r = subprocess.run(
        [sys.executable, "-m", "pathprobe", "collector", "serve", "--db", str(tmp_path / "c.db")],
        capture_output=True,
        text=True,
        env=e,
        timeout=60,
    )
    assert r.returncode == 2, r.stderr
    assert "pip install 'pathprobe[collector]'" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
