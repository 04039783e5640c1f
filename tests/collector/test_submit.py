"""`pathprobe submit`: back-off, stop on 4xx, offline queue; against real HTTP servers on loopback."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from collector_helpers import SAMPLE_PROFILE, Server, cli, free_port

from pathprobe.collector.storage import open_storage
from pathprobe.collector.synthetic import summary as synth
from pathprobe.errors import BadInput
from pathprobe.summary.queue import Queue
from pathprobe.summary.submit import (
    ACCEPTED,
    DUPLICATE,
    QUEUED,
    REJECTED,
    Outcome,
    Submitter,
    check_collector_url,
    submit_all,
)


class Scripted:
    """A real HTTP server that answers POSTs from a script of (status, headers) and records bodies."""

    def __init__(self, script: list[tuple[int, dict[str, str]]], default: int = 201) -> None:
        self.script, self.default = list(script), default
        self.bodies: list[dict[str, Any]] = []
        self.auth: list[str | None] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                n = int(self.headers.get("content-length", 0))
                outer.bodies.append(json.loads(self.rfile.read(n)))
                outer.auth.append(self.headers.get("authorization"))
                status, headers = outer.script.pop(0) if outer.script else (outer.default, {})
                body = json.dumps({"error": f"scripted {status}"}).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted() -> Iterator[list[Scripted]]:
    made: list[Scripted] = []
    yield made
    for s in made:
        s.close()


def summaries(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [synth(rng) for _ in range(n)]


def test_retries_with_backoff_then_stored(scripted: list[Scripted]) -> None:
    srv = Scripted([(503, {}), (502, {}), (201, {})])
    scripted.append(srv)
    sleeps: list[float] = []
    sub = Submitter(srv.url, "tok", attempts=4, backoff=0.5, sleep=sleeps.append)
    s = summaries(1)[0]
    assert sub.send(s) == Outcome(s["id"], ACCEPTED, http_status=201)
    assert len(srv.bodies) == 3 and all(b == s for b in srv.bodies)
    assert srv.auth == ["Bearer tok"] * 3
    # exponential with jitter in [0.5, 1] of the nominal 0.5, 1.0
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_retry_after_is_honoured_and_429_retried(scripted: list[Scripted]) -> None:
    srv = Scripted([(429, {"Retry-After": "3"}), (200, {})])
    scripted.append(srv)
    sleeps: list[float] = []
    s = summaries(1)[0]
    out = Submitter(srv.url, "tok", backoff=0.1, sleep=sleeps.append).send(s)
    assert out.status == DUPLICATE and sleeps == [3.0]


@pytest.mark.parametrize("status", [400, 401, 413, 422])
def test_stops_on_4xx(scripted: list[Scripted], status: int) -> None:
    srv = Scripted([(status, {})])
    scripted.append(srv)
    sleeps: list[float] = []
    out = Submitter(srv.url, "tok", sleep=sleeps.append).send(summaries(1)[0])
    assert out.status == REJECTED and out.http_status == status and f"scripted {status}" in out.message
    assert len(srv.bodies) == 1 and sleeps == []


def test_gives_up_after_attempts_and_queues_the_rest(tmp_path: Path, scripted: list[Scripted]) -> None:
    srv = Scripted([], default=503)
    scripted.append(srv)
    q = Queue(tmp_path / "q")
    items = summaries(3)
    outs = submit_all(items, Submitter(srv.url, "tok", attempts=3, sleep=lambda _: None), q, lambda o: None)
    assert [o.status for o in outs] == [QUEUED] * 3
    assert len(srv.bodies) == 3  # three tries for the first; the rest queued without trying
    assert {s["id"] for s in q.items()} == {s["id"] for s in items}


def test_queue_is_sent_first_then_emptied(tmp_path: Path, scripted: list[Scripted]) -> None:
    q = Queue(tmp_path / "q")
    old = summaries(2, seed=2)
    for s in old:
        q.put(s)
    srv = Scripted([])
    scripted.append(srv)
    new = summaries(1, seed=3)
    outs = submit_all([*new, old[0]], Submitter(srv.url, "tok", sleep=lambda _: None), q, lambda o: None)
    sent = [b["id"] for b in srv.bodies]
    assert sent[:2] == [s["id"] for s in old] and sent[2] == new[0]["id"] and len(sent) == 3
    assert all(o.status == ACCEPTED for o in outs) and len(q) == 0


def test_bad_token_keeps_everything_queued(tmp_path: Path, scripted: list[Scripted]) -> None:
    srv = Scripted([(401, {})])
    scripted.append(srv)
    q = Queue(tmp_path / "q")
    items = summaries(2)
    outs = submit_all(items, Submitter(srv.url, "bad", sleep=lambda _: None), q, lambda o: None)
    assert [o.status for o in outs] == [REJECTED, QUEUED] and len(srv.bodies) == 1
    assert len(q) == 2


def test_refused_queued_summary_is_set_aside(tmp_path: Path, scripted: list[Scripted]) -> None:
    srv = Scripted([(422, {})])
    scripted.append(srv)
    q = Queue(tmp_path / "q")
    s = summaries(1)[0]
    q.put(s)
    submit_all([], Submitter(srv.url, "tok", sleep=lambda _: None), q, lambda o: None)
    assert len(q) == 0 and (tmp_path / "q" / "rejected" / f"{s['id']}.json").exists()


def test_unreadable_queue_file_is_set_aside(tmp_path: Path) -> None:
    q = Queue(tmp_path / "q")
    q.put(summaries(1)[0])
    (tmp_path / "q" / "junk.json").write_text("{")
    assert len(q.items()) == 1 and (tmp_path / "q" / "invalid" / "junk.json").exists()


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://collector.example.org", True),
        ("http://127.0.0.1:8750/", True),
        ("http://localhost:1", True),
        ("http://[::1]:1", True),
        ("http://collector.example.org", False),
        ("ftp://x", False),
        ("https://user:pw@x.org", False),
        ("collector.example.org", False),
        ("https://x.org/?token=1", False),
    ],
)
def test_collector_url(url: str, ok: bool) -> None:
    if ok:
        assert check_collector_url(url)
    else:
        with pytest.raises(BadInput, match="--collector"):
            check_collector_url(url)


def test_cli_offline_then_online(tmp_path: Path, server_factory: list[Server]) -> None:
    """Offline: queued (exit 0). Later, with the collector up, a bare `submit` sends the queue."""
    data_home = tmp_path / "data"
    f = tmp_path / "s.json"
    r = cli("summary", str(SAMPLE_PROFILE), "--country", "KZ", "--out", str(f))
    assert r.returncode == 0, r.stderr
    sid = json.loads(f.read_text())["id"]
    db = str(tmp_path / "c.db")
    srv = Server(db)
    token = srv.token("ngo")
    r = cli(
        "submit",
        str(f),
        "--collector",
        srv.url,
        "--token",
        token,
        "--attempts",
        "2",
        "--backoff",
        "0",
        XDG_DATA_HOME=str(data_home),
    )
    assert r.returncode == 0, r.stderr
    assert f"{sid}: queued" in r.stdout and "offline queue" in r.stderr
    assert (data_home / "pathprobe" / "queue" / f"{sid}.json").exists()
    server_factory.append(srv.start())
    r = cli("submit", "--collector", srv.url, XDG_DATA_HOME=str(data_home), PATHPROBE_TOKEN=token)
    assert r.returncode == 0, r.stderr
    assert f"{sid}: stored" in r.stdout
    assert not (data_home / "pathprobe" / "queue" / f"{sid}.json").exists()
    r = cli("submit", str(f), "--collector", srv.url, "--token", token, XDG_DATA_HOME=str(data_home))
    assert r.returncode == 0 and f"{sid}: already stored" in r.stdout
    st = open_storage(db)
    assert st.summary_ids() == {sid}
    st.close()


def test_cli_refuses_profiles_and_bad_input(tmp_path: Path) -> None:
    r = cli(
        "submit",
        str(SAMPLE_PROFILE),
        "--collector",
        "http://127.0.0.1:1",
        "--token",
        "t",
        XDG_DATA_HOME=str(tmp_path),
    )
    assert r.returncode == 2 and "this is a profile, not a summary" in r.stderr
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({**summaries(1)[0], "label": "Hotel"}))
    r = cli(
        "submit", str(bad), "--collector", "http://127.0.0.1:1", "--token", "t", XDG_DATA_HOME=str(tmp_path)
    )
    assert r.returncode == 2 and "unknown key 'label'" in r.stderr
    good = tmp_path / "g.json"
    good.write_text(json.dumps(summaries(1)[0]))
    r = cli(
        "submit",
        str(good),
        "--collector",
        "http://collector.example.org",
        "--token",
        "t",
        XDG_DATA_HOME=str(tmp_path),
    )
    assert r.returncode == 2 and "https" in r.stderr
    assert not (tmp_path / "pathprobe" / "queue").exists()  # nothing queued on bad input
