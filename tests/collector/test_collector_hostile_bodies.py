"""Hostile summary bodies at a real collector process: every one is a 4xx (413 too large, 400 not
usable JSON, 422 against the schema), never a 500, and nothing is stored (issue 16, part 2)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import httpx
import pytest
from collector_helpers import Server

from pathprobe.collector.storage import open_storage
from pathprobe.collector.synthetic import summary as synth


@pytest.fixture
def service(sqlite_db: str, server_factory: list[Server]) -> Iterator[tuple[Server, str]]:
    srv = Server(sqlite_db, k=1, max_body=256 * 1024)
    token = srv.token("ngo-one")
    server_factory.append(srv.start())
    yield srv, token


def post(srv: Server, token: str, body: bytes) -> httpx.Response:
    h = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return httpx.post(srv.url + "/v1/summaries", content=body, headers=h, timeout=30)


def test_hostile_bodies_are_4xx_and_leave_nothing(service: tuple[Server, str]) -> None:
    srv, token = service
    s = synth(random.Random(7), country="KZ", asn=9198)
    inner = json.dumps(s)[1:]
    p0 = s["paths"][0]
    cases: list[tuple[str, bytes, int, str]] = [
        ("deep array", b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b", " + inner.encode(), 400, "nested deeper"),
        ("deep unclosed", b"[" * 200_000, 400, "nested deeper"),
        ("huge int", ('{"x": ' + "9" * 100_000 + ", " + inner).encode(), 400, "number"),
        ("1e999", ('{"x": 1e999, ' + inner).encode(), 400, "number"),
        ("NaN", ('{"x": NaN, ' + inner).encode(), 400, "NaN"),
        ("not UTF-8", b'{"x": "\xff", ' + inner.encode(), 400, "not UTF-8"),
        ("too large", b"[" + b"1," * 200_000 + b"1]", 413, "larger than"),
        # wrongly typed values where the validator compares with a set: unhashable, once a 500
        ("list as known_as", json.dumps({**s, "trust_store": {"known_interception_roots": [
            {"sha256": "a" * 64, "known_as": ["x"]}]}}).encode(), 422, "known_as"),
        ("object as recommendation", json.dumps({**s, "recommendation": {"path": "direct"}}).encode(), 422,
         "recommendation"),
        ("list in interception paths", json.dumps({**s, "interception": [{
            "issuer": None, "root_sha256": None, "known_as": None, "signals": [], "paths": [[p0["id"]]],
            "hosts": [], "other_hosts": 0}]}).encode(), 422, "paths[0]"),
        ("number as portal.detected", json.dumps({**s, "network": {**s["network"], "portal": {
            "detected": 1, "offered_certificates": []}}}).encode(), 422, "detected"),
    ]
    for name, body, status, word in cases:
        r = post(srv, token, body)
        assert r.status_code == status, (name, r.status_code, r.text[:300])
        assert word in r.json()["error"], (name, r.text[:300])
    st = open_storage(srv.db)
    try:
        assert st.count_summaries() == 0
    finally:
        st.close()
    assert post(srv, token, json.dumps(s).encode()).status_code == 201  # and the collector still serves
