"""Where the collector keeps summaries: SQLite (default, one file) or PostgreSQL (``postgresql://`` URL).

Both hold the same tables (see :mod:`pathprobe.collector.migrations`): ``tokens`` (hashed),
``summaries`` (one row per summary id, the validated JSON body, the ISO week, country or ``ZZ``, ASN
or 0, the day it was received — no time, no address) and ``path_counts``, counters per (week, country,
ASN, path) updated in the same transaction as the insert, so aggregates never scan the summaries.

Writes go through one connection in batches (:meth:`Storage.insert_batch`, one transaction, durable
before it returns: SQLite WAL with ``synchronous=FULL``, PostgreSQL's default synchronous commit);
reads use a second connection. Methods are blocking: the web app calls them from threads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pathprobe.bounded import MiB, loads_json
from pathprobe.collector.migrations import COUNT_COLUMNS, LATEST, MIGRATIONS
from pathprobe.collector.tokens import new_token, token_hash, valid_name
from pathprobe.errors import BadInput
from pathprobe.i18n import _
from pathprobe.summary.schema import REACHABILITY, TLS, base_path, iso_week
from pathprobe.vocab import BlockStage, BlockTrigger, Evasion, Reachability, Signal, TlsVerdict

UNKNOWN_COUNTRY, UNKNOWN_ASN = "ZZ", 0
DIMENSIONS = ("country", "asn", "week")
ROWS_PER_STATEMENT = 200
MAX_STORED_BODY = 16 * MiB
"""A backstop when stored summaries are read again (each was validated and capped when it came in)."""
"""Rows per multi-row INSERT (SQLite allows 32766 parameters, PostgreSQL 65535)."""
_REACH_IX = {v: 2 + i for i, v in enumerate(REACHABILITY)}
_TLS_IX = {v: 6 + i for i, v in enumerate(TLS)}
_STAGES = tuple(BlockStage)
_TRIGGERS = tuple(BlockTrigger)
_EVASIONS = tuple(Evasion)
_STAGE_IX = {v: COUNT_COLUMNS.index(f"blocked_{v}") for v in _STAGES}
_TRIGGER_IX = {v: COUNT_COLUMNS.index(f"trigger_{v}") for v in _TRIGGERS}
_EVASION_IX = {v: COUNT_COLUMNS.index(f"evasion_{v}") for v in _EVASIONS}
_THROTTLED_IX = COUNT_COLUMNS.index("throttled_sites")


@dataclass(frozen=True)
class Incoming:
    """A validated summary accepted by the app, with the id of the token that sent it."""

    summary: dict[str, Any]
    token_id: int
    received: str
    """The day the collector received it (YYYY-MM-DD): no time of day is kept."""


Key = tuple[str, str, int, str]


def summary_row(s: dict[str, Any]) -> tuple[str, str, str, int]:
    """``(day, week, country, asn)`` of a summary, with ``ZZ`` and 0 for an unknown country and ASN."""
    net = s["network"]
    return s["day"], iso_week(s["day"]), net["country"] or UNKNOWN_COUNTRY, net["asn"] or UNKNOWN_ASN


def add_counts(acc: dict[Key, list[int]], s: dict[str, Any]) -> None:
    """Add one summary's contribution to the counters (one submission per path kind+transport).

    The blocking counters count catalogue sites of the summary's paths: blocked at each stage, by
    trigger, reached by each evasion strategy with HTTPS intact, and throttled (a site tested on two
    paths of one kind counts twice).
    """
    _sid, week, country, asn = summary_row(s)
    mine: dict[str, list[int]] = {}
    for p in s["paths"]:
        c = mine.setdefault(base_path(p["id"]), [0] * len(COUNT_COLUMNS))
        c[1] += 1
        c[_REACH_IX[p["reachability"]]] += 1
        c[_TLS_IX[p["tls"]]] += 1
        if p["reachability"] == Reachability.REACHABLE and p["tls"] == TlsVerdict.INTACT:
            c[9] += 1
        for site in p["sites"]:  # issue 17: how sites were blocked, what reached them, throttling
            b = site.get("blocking")
            if b is not None:
                if b["stage"] in _STAGE_IX:
                    c[_STAGE_IX[b["stage"]]] += 1
                if b["trigger"] in _TRIGGER_IX:
                    c[_TRIGGER_IX[b["trigger"]]] += 1
                for e in b["evasion_reached"]:
                    if e in _EVASION_IX:
                        c[_EVASION_IX[e]] += 1
            if site.get(Signal.THROTTLED) is True:
                c[_THROTTLED_IX] += 1
    for path, c in mine.items():
        c[0] = 1
        tot = acc.setdefault((week, country, asn, path), [0] * len(COUNT_COLUMNS))
        for i, v in enumerate(c):
            tot[i] += v


def redact_url(url: str) -> str:
    """The database URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


class Storage:
    """Shared logic; subclasses give the connections and the dialect's few differences."""

    dialect = ""

    def __init__(self) -> None:
        self._wlock = threading.Lock()
        self._rlock = threading.Lock()
        self._w: Any = None
        self._r: Any = None

    # -- dialect hooks ------------------------------------------------------------------------------
    def _exec(self, conn: Any, sql: str, params: Iterable[Any] = ()) -> Any:
        raise NotImplementedError

    @contextlib.contextmanager
    def _tx(self, conn: Any) -> Iterator[None]:
        raise NotImplementedError
        yield

    def _lock_for_migration(self, conn: Any) -> None:
        pass

    def _copy_summaries(self, conn: Any, rows: list[tuple[Any, ...]]) -> None:
        for r in rows:
            self._exec(
                conn,
                "INSERT INTO summaries (id, token_id, received, day, week, country, asn, body)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                r,
            )

    def _integrity_error(self) -> type[Exception]:
        raise NotImplementedError

    def close(self) -> None:
        """Close both connections, ignoring errors."""
        for c in (self._w, self._r):
            with contextlib.suppress(Exception):
                c.close()

    # -- schema -------------------------------------------------------------------------------------
    def migrate(self) -> int:
        """Bring the schema to the latest version; return the version found before."""
        with self._wlock, self._tx(self._w):
            self._lock_for_migration(self._w)
            self._exec(self._w, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = self._exec(self._w, "SELECT MAX(version) FROM schema_version").fetchone()
            found = int(row[0] or 0)
            if found > LATEST:
                raise BadInput(
                    _("the database's schema version is {found}, newer than this pathprobe knows ({latest}):"
                      " upgrade pathprobe", found=found, latest=LATEST)
                )
            backfills: list[Callable[[Any], None]] = []
            for m in MIGRATIONS:
                if m.version <= found:
                    continue
                for sql in m.sqlite if self.dialect == "sqlite" else m.postgres:
                    self._exec(self._w, sql)
                if m.backfill and m.backfill not in backfills:
                    backfills.append(m.backfill)
                self._exec(self._w, "INSERT INTO schema_version (version) VALUES (?)", (m.version,))
            for backfill in backfills:  # with the latest columns in place (they compute all of them)
                backfill(self)
        return found

    def schema_version(self) -> int:
        """The latest schema version recorded (0 when none is); the ``schema_version`` table must
        exist (:meth:`migrate` creates it).
        """
        with self._rlock:
            row = self._exec(self._r, "SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    # -- tokens -------------------------------------------------------------------------------------
    def add_token(self, name: str) -> str:
        """Create an active token named ``name`` and return it (the only time it is shown; only its
        hash is stored); raises :class:`BadInput` for a bad or already used name.
        """
        if not valid_name(name):
            raise BadInput(
                _("a token name is 1-64 letters, digits, '.', '_' or '-' (an organisation or campaign)")
            )
        token = new_token()
        try:
            with self._wlock, self._tx(self._w):
                self._exec(
                    self._w,
                    "INSERT INTO tokens (name, token_sha256, created) VALUES (?, ?, ?)",
                    (name, token_hash(token), _now()),
                )
        except self._integrity_error():
            raise BadInput(_("a token named '{name}' exists already (names are never reused)", name=name)) from None
        return token

    def revoke_token(self, name: str) -> bool:
        """Revoke the active token named ``name``; False when there is none (unknown or already revoked)."""
        with self._wlock, self._tx(self._w):
            cur = self._exec(
                self._w, "UPDATE tokens SET revoked = ? WHERE name = ? AND revoked IS NULL", (_now(), name)
            )
            return bool(cur.rowcount)

    def list_tokens(self) -> list[dict[str, Any]]:
        """Every token ever created, oldest first: name, created, revoked (None while active) and the
        number of summaries it sent.
        """
        with self._rlock:
            rows = self._exec(
                self._r,
                "SELECT t.name, t.created, t.revoked,"
                " (SELECT COUNT(*) FROM summaries s WHERE s.token_id = t.id)"
                " FROM tokens t ORDER BY t.id",
            ).fetchall()
        return [{"name": r[0], "created": r[1], "revoked": r[2], "summaries": int(r[3])} for r in rows]

    def token_id(self, token: str) -> int | None:
        """The id of an active token, or None."""
        with self._rlock:
            row = self._exec(
                self._r,
                "SELECT id FROM tokens WHERE token_sha256 = ? AND revoked IS NULL",
                (token_hash(token),),
            ).fetchone()
        return int(row[0]) if row else None

    # -- summaries ----------------------------------------------------------------------------------
    def insert_batch(self, items: list[Incoming]) -> list[bool]:
        """Store a batch in one transaction; True where the summary is new (False: its id was stored).

        A few multi-row statements per batch (``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` and one
        counter upsert), whatever its size.
        """
        rows = []
        for it in items:
            day, week, country, asn = summary_row(it.summary)
            body = json.dumps(it.summary, separators=(",", ":"))
            rows.append((it.summary["id"], it.token_id, it.received, day, week, country, asn, body))
        with self._wlock, self._tx(self._w):
            inserted = self._insert_rows(rows)
            out: list[bool] = []
            counts: dict[Key, list[int]] = {}
            for it in items:
                new = it.summary["id"] in inserted
                if new:
                    inserted.discard(it.summary["id"])  # a repeat later in the same batch is a duplicate
                    add_counts(counts, it.summary)
                out.append(new)
            self._upsert_counts(counts)
        return out

    _COLS = "id, token_id, received, day, week, country, asn, body"

    def _insert_rows(self, rows: list[tuple[Any, ...]]) -> set[str]:
        """Insert summary rows, skipping stored ids; return the ids inserted."""
        inserted: set[str] = set()
        for i in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[i : i + ROWS_PER_STATEMENT]
            values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            cur = self._exec(
                self._w,
                f"INSERT INTO summaries ({self._COLS}) VALUES {values}"
                " ON CONFLICT (id) DO NOTHING RETURNING id",
                [v for r in chunk for v in r],
            )
            inserted.update(r[0] for r in cur.fetchall())
        return inserted

    def _upsert_counts(self, counts: dict[Key, list[int]]) -> None:
        cols = ", ".join(COUNT_COLUMNS)
        row = "(" + ", ".join("?" for _ in range(4 + len(COUNT_COLUMNS))) + ")"
        sets = ", ".join(f"{c} = path_counts.{c} + excluded.{c}" for c in COUNT_COLUMNS)
        keys = sorted(counts)  # a fixed order: concurrent writers cannot deadlock on counter rows
        for i in range(0, len(keys), ROWS_PER_STATEMENT):
            part = keys[i : i + ROWS_PER_STATEMENT]
            values = ", ".join([row] * len(part))
            sql = (
                f"INSERT INTO path_counts (week, country, asn, path, {cols}) VALUES {values}"
                f" ON CONFLICT (week, country, asn, path) DO UPDATE SET {sets}"
            )
            self._exec(self._w, sql, [v for k in part for v in (*k, *counts[k])])

    def bulk_load(
        self, summaries: Iterable[dict[str, Any]], token_id: int, received: str, chunk: int = 20_000
    ) -> int:
        """Load many (valid) summaries fast (benchmarks, imports): few transactions, counters at the end."""
        n = 0
        counts: dict[Key, list[int]] = {}
        rows: list[tuple[Any, ...]] = []

        def flush() -> None:
            with self._wlock, self._tx(self._w):
                self._copy_summaries(self._w, rows)
            rows.clear()

        for s in summaries:
            day, week, country, asn = summary_row(s)
            rows.append(
                (s["id"], token_id, received, day, week, country, asn, json.dumps(s, separators=(",", ":")))
            )
            add_counts(counts, s)
            n += 1
            if len(rows) >= chunk:
                flush()
        if rows:
            flush()
        with self._wlock, self._tx(self._w):
            self._upsert_counts(counts)
        return n

    def rebuild_counters(self, in_transaction: bool = False) -> None:
        """Recompute ``path_counts`` from the stored summaries (migration backfill, repairs)."""
        ctx = contextlib.nullcontext() if in_transaction else self._tx(self._w)
        with ctx:
            self._exec(self._w, "DELETE FROM path_counts")
            counts: dict[Key, list[int]] = {}
            cur = self._exec(self._w, "SELECT body FROM summaries")
            while batch := cur.fetchmany(5000):
                for (body,) in batch:
                    add_counts(counts, loads_json(body, "a stored summary", max_bytes=MAX_STORED_BODY))
            self._upsert_counts(counts)

    def count_summaries(self) -> int:
        """How many summaries are stored."""
        with self._rlock:
            return int(self._exec(self._r, "SELECT COUNT(*) FROM summaries").fetchone()[0])

    def summary_ids(self) -> set[str]:
        """The ids of every stored summary (loads them all: for tests and benchmarks)."""
        with self._rlock:
            return {r[0] for r in self._exec(self._r, "SELECT id FROM summaries").fetchall()}

    # -- aggregates ---------------------------------------------------------------------------------
    def aggregate(
        self,
        by: tuple[str, ...],
        k: int,
        *,
        country: str | None = None,
        asn: int | None = None,
        path: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        """Counters grouped by ``by`` (a subset of country, asn, week) and path; cells under k suppressed."""
        dims = [d for d in DIMENSIONS if d in by] + ["path"]
        where, params = [], []
        for col, val in (("country", country), ("asn", asn), ("path", path)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        if since:
            where.append("week >= ?")
            params.append(since)
        if until:
            where.append("week <= ?")
            params.append(until)
        wsql = f" WHERE {' AND '.join(where)}" if where else ""
        group = ", ".join(dims)
        sums = ", ".join(f"SUM({c})" for c in COUNT_COLUMNS)
        sql = (
            f"SELECT {group}, {sums} FROM path_counts{wsql} GROUP BY {group}"
            f" HAVING SUM(submissions) >= ? ORDER BY {group}"
        )
        hidden = (
            f"SELECT COUNT(*) FROM (SELECT 1 AS one FROM path_counts{wsql} GROUP BY {group}"
            " HAVING SUM(submissions) < ?) AS small"
        )
        with self._rlock:
            rows = self._exec(self._r, sql, (*params, k)).fetchall()
            suppressed = int(self._exec(self._r, hidden, (*params, k)).fetchone()[0])
        cells = []
        for r in rows:
            cell: dict[str, Any] = {}
            for i, d in enumerate(dims):
                v = r[i]
                if d == "country":
                    v = None if v == UNKNOWN_COUNTRY else v
                elif d == "asn":
                    v = None if int(v) == UNKNOWN_ASN else int(v)
                cell[d] = v
            c = [int(x) for x in r[len(dims) :]]
            cell.update(
                {
                    "submissions": c[0],
                    "paths_tested": c[1],
                    "reachability": dict(zip(REACHABILITY, c[2:6], strict=True)),
                    "tls": dict(zip(TLS, c[6:9], strict=True)),
                    "works": c[9],
                    "blocking": {
                        "stage": {v: c[_STAGE_IX[v]] for v in _STAGES},
                        "trigger": {v: c[_TRIGGER_IX[v]] for v in _TRIGGERS},
                        "evasion_reached": {v: c[_EVASION_IX[v]] for v in _EVASIONS},
                    },
                    Signal.THROTTLED.value: c[_THROTTLED_IX],
                }
            )
            cells.append(cell)
        return {"k": k, "by": dims, "cells": cells, "suppressed_cells": suppressed}


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> str:
    """Today's date in UTC (``YYYY-MM-DD``): the only time the collector records."""
    return dt.datetime.now(dt.UTC).date().isoformat()


class SqliteStorage(Storage):
    """Storage in one SQLite file (WAL, ``synchronous=FULL``), created owner-only (0600, as are its
    ``-wal`` and ``-shm`` files); raises :class:`BadInput` when it cannot be opened.
    """

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        try:
            if not path.parent.exists():
                path.parent.mkdir(parents=True, mode=0o700)
            # Created owner-only before SQLite opens it: SQLite gives its -wal and -shm files the
            # database file's permissions, so they are owner-only too.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            self._w = self._connect()
            self._r = self._connect()
        except (OSError, sqlite3.Error) as exc:
            raise BadInput(_("cannot open the SQLite database {path}: {reason}", path=path, reason=exc)) from None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # an answered 2xx survives a power cut, not just a kill
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _exec(self, conn: Any, sql: str, params: Iterable[Any] = ()) -> Any:
        return conn.execute(sql, tuple(params))

    @contextlib.contextmanager
    def _tx(self, conn: Any) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _copy_summaries(self, conn: Any, rows: list[tuple[Any, ...]]) -> None:
        conn.executemany(
            "INSERT INTO summaries (id, token_id, received, day, week, country, asn, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            rows,
        )

    def _integrity_error(self) -> type[Exception]:
        return sqlite3.IntegrityError


class PostgresStorage(Storage):
    """Storage in PostgreSQL (psycopg); raises :class:`BadInput` when it cannot connect (the message
    never shows the password).
    """

    dialect = "postgres"

    def __init__(self, url: str) -> None:
        super().__init__()
        try:
            import psycopg
        except ImportError:
            raise BadInput(
                _("a PostgreSQL database needs psycopg, which this install lacks; "
                  "install it with: pip install 'pathprobe[collector]'")
            ) from None

        self._psycopg = psycopg
        try:
            self._w = psycopg.connect(url, autocommit=True, connect_timeout=10)
            self._r = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            msg = " ".join(str(exc).split())[:300]
            raise BadInput(_("cannot connect to the database {db}: {reason}", db=redact_url(url), reason=msg)) from None

    def _exec(self, conn: Any, sql: str, params: Iterable[Any] = ()) -> Any:
        return conn.execute(sql.replace("?", "%s"), tuple(params))

    @contextlib.contextmanager
    def _tx(self, conn: Any) -> Iterator[None]:
        with conn.transaction():
            yield

    # One fixed statement over arrays (unnest): psycopg converts and PostgreSQL plans it once, whatever
    # the batch size; a statement with thousands of placeholders costs more to build than to run.
    # Parameters go in binary (%b): a text array in text form costs an escaping pass over every body.
    def _insert_rows(self, rows: list[tuple[Any, ...]]) -> set[str]:
        if not rows:
            return set()
        cols = list(zip(*rows, strict=True))
        cur = self._w.execute(
            f"INSERT INTO summaries ({self._COLS}) SELECT * FROM unnest(%b::text[], %b::bigint[], %b::text[],"
            " %b::text[], %b::text[], %b::text[], %b::bigint[], %b::text[])"
            " ON CONFLICT (id) DO NOTHING RETURNING id",
            [list(c) for c in cols],
        )
        return {r[0] for r in cur.fetchall()}

    def _upsert_counts(self, counts: dict[Key, list[int]]) -> None:
        if not counts:
            return
        keys = sorted(counts)
        arrays: list[list[Any]] = [[k[i] for k in keys] for i in range(4)]
        arrays += [[counts[k][i] for k in keys] for i in range(len(COUNT_COLUMNS))]
        cols = ", ".join(COUNT_COLUMNS)
        casts = ", ".join(
            ["%b::text[]", "%b::text[]", "%b::bigint[]", "%b::text[]"] + ["%b::bigint[]"] * len(COUNT_COLUMNS)
        )
        sets = ", ".join(f"{c} = path_counts.{c} + excluded.{c}" for c in COUNT_COLUMNS)
        self._w.execute(
            f"INSERT INTO path_counts (week, country, asn, path, {cols}) SELECT * FROM unnest({casts})"
            f" ON CONFLICT (week, country, asn, path) DO UPDATE SET {sets}",
            arrays,
        )

    def _lock_for_migration(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(87501)")  # two servers starting at once migrate once

    def _copy_summaries(self, conn: Any, rows: list[tuple[Any, ...]]) -> None:
        with conn.cursor().copy(
            "COPY summaries (id, token_id, received, day, week, country, asn, body) FROM STDIN"
        ) as copy:
            for r in rows:
                copy.write_row(r)

    def _integrity_error(self) -> type[Exception]:
        return self._psycopg.errors.UniqueViolation

    def rebuild_counters(self, in_transaction: bool = False) -> None:
        """Recompute ``path_counts`` as the base class does, reading the summaries through a
        server-side cursor.
        """
        ctx = contextlib.nullcontext() if in_transaction else self._tx(self._w)
        with ctx:
            self._exec(self._w, "DELETE FROM path_counts")
            counts: dict[Key, list[int]] = {}
            with self._w.cursor(name="rebuild") as cur:
                cur.execute("SELECT body FROM summaries")
                while batch := cur.fetchmany(5000):
                    for (body,) in batch:
                        add_counts(counts, loads_json(body, "a stored summary", max_bytes=MAX_STORED_BODY))
            self._upsert_counts(counts)


def open_storage(url: str, *, migrate: bool = True) -> Storage:
    """``postgresql://...`` (or ``postgres://``), ``sqlite:///abs/path``, ``sqlite:rel/path`` or a path."""
    url = url.strip()
    if not url:
        raise BadInput(_("--db must name a database (a file path, sqlite:///path or postgresql://...)"))
    scheme = url.partition(":")[0].lower() if "://" in url or url.lower().startswith("sqlite:") else ""
    storage: Storage
    if scheme in ("postgresql", "postgres"):
        storage = PostgresStorage(url)
    elif scheme == "sqlite":
        rest = url[len("sqlite:") :]
        path = rest[2:] if rest.startswith("//") else rest
        if not path or path == "/":
            raise BadInput(_("--db sqlite: needs a file path, e.g. sqlite:///var/lib/pathprobe/collector.db"))
        storage = SqliteStorage(Path(path))
    elif scheme:
        raise BadInput(
            _("--db: unsupported database '{scheme}://' (use a file path, sqlite:// or postgresql://)", scheme=scheme)
        )
    else:
        storage = SqliteStorage(Path(url))
    if migrate:
        try:
            storage.migrate()
        except BadInput:
            storage.close()
            raise
    return storage
