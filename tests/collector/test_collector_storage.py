"""Storage on SQLite and a real PostgreSQL: migrations, idempotent batches, counters equal a recount."""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pathprobe.collector.migrations import LATEST, MIGRATIONS
from pathprobe.collector.storage import Incoming, open_storage
from pathprobe.collector.synthetic import summary as synth
from pathprobe.errors import BadInput
from pathprobe.summary.schema import base_path, iso_week


def recount(summaries: list[dict[str, Any]], k: int) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    """(country, week, path) -> (submissions, paths tested, works), computed naively."""
    out: dict[tuple[Any, ...], list[int]] = {}
    for s in summaries:
        seen: set[str] = set()
        for p in s["paths"]:
            key = (s["network"]["country"], iso_week(s["day"]), base_path(p["id"]))
            c = out.setdefault(key, [0, 0, 0])
            if key[2] not in seen:
                seen.add(key[2])
                c[0] += 1
            c[1] += 1
            c[2] += p["reachability"] == "reachable" and p["tls"] == "intact"
    return {k2: (v[0], v[1], v[2]) for k2, v in out.items() if v[0] >= k}


def shown(agg: dict[str, Any]) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    return {
        (c["country"], c["week"], c["path"]): (c["submissions"], c["paths_tested"], c["works"])
        for c in agg["cells"]
    }


def test_batches_are_idempotent_and_counters_match_a_recount(db_url: str) -> None:
    st = open_storage(db_url)
    try:
        st.add_token("a")
        tid = st.token_id(st.add_token("b"))
        assert tid is not None
        rng = random.Random(11)
        items = [synth(rng, country=rng.choice(["KZ", "RU", None])) for _ in range(60)]
        for s in items[::7]:
            s["network"]["asn"] = None
        # a duplicate inside one batch and across batches
        first = st.insert_batch([Incoming(s, tid, "2026-11-22") for s in [*items[:30], items[0]]])
        assert first == [True] * 30 + [False]
        second = st.insert_batch([Incoming(s, tid, "2026-11-22") for s in items[20:]])
        assert second == [False] * 10 + [True] * 30
        assert st.count_summaries() == 60 and st.summary_ids() == {s["id"] for s in items}
        for k in (1, 3):
            assert shown(st.aggregate(("country", "week"), k)) == recount(items, k)
        before = st.aggregate(("country", "asn", "week"), 1)
        st.rebuild_counters()
        assert st.aggregate(("country", "asn", "week"), 1) == before
        assert st.list_tokens()[1] == {
            "name": "b",
            "created": st.list_tokens()[1]["created"],
            "revoked": None,
            "summaries": 60,
        }
        with pytest.raises(BadInput, match="exists already"):
            st.add_token("a")
        with pytest.raises(BadInput, match="token name"):
            st.add_token("has space")
    finally:
        st.close()


def test_bulk_load_equals_inserts(db_url: str) -> None:
    st = open_storage(db_url)
    try:
        tid = st.token_id(st.add_token("bulk"))
        assert tid is not None
        rng = random.Random(12)
        items = [synth(rng, day=dt.date(2026, 10, 1) + dt.timedelta(days=i % 30)) for i in range(500)]
        assert st.bulk_load(items, tid, "2026-11-22", chunk=128) == 500
        assert shown(st.aggregate(("country", "week"), 2)) == recount(items, 2)
        agg = st.aggregate(
            ("country",), 1, country="KZ", path="tor:obfs4", since="2026-W41", until="2026-W44"
        )
        kz = [
            s
            for s in items
            if s["network"]["country"] == "KZ" and "2026-W41" <= iso_week(s["day"]) <= "2026-W44"
        ]
        assert [c["submissions"] for c in agg["cells"]] == [
            sum(1 for s in kz if any(p["id"] == "tor:obfs4" for p in s["paths"]))
        ]
    finally:
        st.close()


def _v1_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for sql in MIGRATIONS[0].sqlite:
        conn.execute(sql)
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute(
        "INSERT INTO tokens (name, token_sha256, created) VALUES ('old', 'x', '2026-01-01T00:00:00Z')"
    )
    s = synth(random.Random(13), country="KZ", asn=9198)
    conn.execute(
        "INSERT INTO summaries VALUES (?, 1, '2026-09-01', ?, ?, 'KZ', 9198, ?)",
        (s["id"], s["day"], iso_week(s["day"]), json.dumps(s)),
    )
    conn.commit()
    conn.close()


def test_migration_from_v1_backfills_counters(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _v1_sqlite(db)
    st = open_storage(str(db))
    try:
        assert st.schema_version() == LATEST == 3
        cells = st.aggregate(("country",), 1)["cells"]
        assert cells and all(c["country"] == "KZ" and c["submissions"] == 1 for c in cells)
    finally:
        st.close()
    st = open_storage(f"sqlite://{db}")  # a second open does nothing more
    assert st.migrate() == LATEST
    st.close()


def test_migration_on_postgres_and_newer_schema_refused(pg_url: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for sql in MIGRATIONS[0].postgres:
            c.execute(sql)
        c.execute("INSERT INTO schema_version VALUES (1)")
    st = open_storage(pg_url)
    assert st.schema_version() == LATEST
    st.close()
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("INSERT INTO schema_version VALUES (99)")
    with pytest.raises(BadInput, match="schema version is 99, newer"):
        open_storage(pg_url)


def test_newer_sqlite_schema_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    open_storage(str(db)).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_version VALUES (7)")
    conn.commit()
    conn.close()
    with pytest.raises(BadInput, match="upgrade pathprobe"):
        open_storage(str(db))


@pytest.mark.parametrize(
    "url,message",
    [
        ("mysql://x/y", "unsupported database 'mysql://'"),
        ("sqlite:", "needs a file path"),
        ("", "must name a database"),
        ("postgresql://nobody@127.0.0.1:18799/none?connect_timeout=2", "cannot connect to the database"),
        ("postgresql://u:secretpw@127.0.0.1:18799/none?connect_timeout=2", "u:***@"),
    ],
)
def test_bad_database_urls(url: str, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("*", r"\*")) as e:
        open_storage(url)
    assert "secretpw" not in str(e.value)
