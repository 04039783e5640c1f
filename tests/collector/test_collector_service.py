"""The collector as a real process on loopback (SQLite and a real PostgreSQL): statuses, no trace of
refused requests, idempotency, tokens added and revoked while it runs, k-suppressed aggregates."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from collector_helpers import Server, cli

from pathprobe.collector.storage import open_storage
from pathprobe.collector.synthetic import summary as synth


@pytest.fixture
def service(db_url: str, server_factory: list[Server]) -> Iterator[tuple[Server, str]]:
    srv = Server(db_url, k=3, max_body=16 * 1024)
    token = srv.token("ngo-one")
    server_factory.append(srv.start())
    yield srv, token


def trace(db: str) -> tuple[int, Any]:
    st = open_storage(db)
    try:
        return st.count_summaries(), st.aggregate(("country", "asn", "week"), 1)["cells"]
    finally:
        st.close()


def post(
    srv: Server, token: str | None, body: Any, ctype: str = "application/json", **headers: str
) -> httpx.Response:
    h = {"Content-Type": ctype, **headers}
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    content = body if isinstance(body, bytes | str) else json.dumps(body).encode()
    return httpx.post(srv.url + "/v1/summaries", content=content, headers=h, timeout=10)


def test_statuses_and_no_trace(service: tuple[Server, str]) -> None:
    srv, token = service
    rng = random.Random(3)
    first = synth(rng, country="KZ", asn=9198)
    r = post(srv, token, first)
    assert r.status_code == 201 and r.json() == {"id": first["id"], "stored": True, "duplicate": False}
    before = trace(srv.db)
    assert before[0] == 1
    s = synth(rng)
    too_big = {**s, "paths": s["paths"] * 1}
    too_big_body = json.dumps(too_big).encode() + b" " * (17 * 1024)

    def chunks() -> Iterator[bytes]:
        yield json.dumps(s).encode()
        for _ in range(40):
            yield b" " * 1024

    cases = [
        (post(srv, None, s), 401, "bearer token"),
        (post(srv, "pp_not-a-token", s), 401, "bearer token"),
        (post(srv, None, s, Authorization="Basic dXNlcjpwdw=="), 401, "bearer token"),
        (post(srv, token, json.dumps(s), ctype="text/plain"), 415, "application/json"),
        (post(srv, token, too_big_body), 413, "larger than 16384 bytes"),
        (
            httpx.post(
                srv.url + "/v1/summaries",
                content=chunks(),
                timeout=10,  # no Content-Length: streamed
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            ),
            413,
            "larger than",
        ),
        (post(srv, token, b'{"schema": "pathprobe.summary/1", '), 400, "not valid JSON"),
        (post(srv, token, b"\xff\xfe"), 400, "not valid JSON"),
        (post(srv, token, {**s, "label": "Hotel Astana"}), 422, "unknown key 'label'"),
        (post(srv, token, {**s, "day": "2026-13-01"}), 422, "day: not a real date"),
        (
            post(srv, token, {**s, "network": {**s["network"], "country": "Kazakhstan"}}),
            422,
            "network.country",
        ),
        (post(srv, token, [s]), 422, "top level must be a JSON object"),
    ]
    for r, status, message in cases:
        assert r.status_code == status, (status, r.text)
        assert message in r.json()["error"]
    assert cases[0][0].headers["www-authenticate"].startswith("Bearer")
    assert trace(srv.db) == before  # refused requests left nothing: no row, no counter


def test_duplicates_stored_once(service: tuple[Server, str]) -> None:
    srv, token = service
    s = synth(random.Random(4), country="RU", asn=12389)
    codes = [post(srv, token, s).status_code for _ in range(3)]
    assert codes == [201, 200, 200]
    n, cells = trace(srv.db)
    assert n == 1 and all(c["submissions"] == 1 for c in cells)
    # the same id from another organisation is still the same summary
    other = srv.token("ngo-two")
    assert post(srv, other, s).status_code == 200 and trace(srv.db)[0] == 1


def test_tokens_added_and_revoked_while_running(service: tuple[Server, str]) -> None:
    srv, _ = service
    rng = random.Random(5)
    fresh = srv.token("campaign-2026")  # added by another process while the server runs
    assert post(srv, fresh, synth(rng)).status_code == 201
    unused = srv.token("to-revoke")
    r = cli("collector", "token", "revoke", "to-revoke", "--db", srv.db)
    assert r.returncode == 0, r.stderr
    assert post(srv, unused, synth(rng)).status_code == 401
    r = cli("collector", "token", "list", "--db", srv.db)
    assert "campaign-2026" in r.stdout and "to-revoke" in r.stdout and "pp_" not in r.stdout


def test_aggregate_suppresses_small_cells(service: tuple[Server, str]) -> None:
    srv, token = service  # k = 3
    rng = random.Random(6)
    import datetime as dt

    day = dt.date(2026, 11, 18)  # 2026-W47
    kz = [synth(rng, country="KZ", asn=9198, day=day) for _ in range(4)]
    ru = [synth(rng, country="RU", asn=12389, day=day) for _ in range(2)]
    for s in kz + ru:
        assert post(srv, token, s).status_code == 201
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(srv.url + "/v1/aggregate", timeout=10).status_code == 401
    r = httpx.get(srv.url + "/v1/aggregate", params={"by": "country"}, headers=auth, timeout=10)
    assert r.status_code == 200
    data = r.json()
    assert data["k"] == 3 and data["by"] == ["country", "path"]
    expected: dict[tuple[str, str], list[int]] = {}
    for s in kz + ru:
        seen = set()
        for p in s["paths"]:
            c = expected.setdefault((s["network"]["country"], p["id"]), [0, 0])
            if p["id"] not in seen:
                c[0] += 1
                seen.add(p["id"])
            c[1] += p["reachability"] == "reachable" and p["tls"] == "intact"
    shown = {(c["country"], c["path"]): [c["submissions"], c["works"]] for c in data["cells"]}
    assert shown == {k: v for k, v in expected.items() if v[0] >= 3}
    assert all(c[0] != "RU" for c in shown)
    assert data["suppressed_cells"] == sum(1 for v in expected.values() if v[0] < 3) > 0
    r = httpx.get(
        srv.url + "/v1/aggregate",
        params={"by": "country,asn,week", "country": "kz"},
        headers=auth,
        timeout=10,
    )
    assert {c["week"] for c in r.json()["cells"]} == {"2026-W47"} and {
        c["asn"] for c in r.json()["cells"]
    } == {9198}
    for params, message in [
        ({"by": "city"}, "by: 'city'"),
        ({"asn": "AS1"}, "asn"),
        ({"path": "vpn:office"}, "path"),
        ({"since": "2026-47"}, "since"),
        ({"ip": "1"}, "unknown parameter 'ip'"),
    ]:
        r = httpx.get(srv.url + "/v1/aggregate", params=params, headers=auth, timeout=10)
        assert r.status_code == 400 and message in r.json()["error"], params


def test_dashboard_is_self_contained(service: tuple[Server, str]) -> None:
    srv, _token = service
    r = httpx.get(srv.url + "/", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    page = r.text
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert "https://" not in page and "//cdn" not in page
