"""Database schema versions. Each migration runs once, in a transaction, recorded in ``schema_version``.

Append new migrations at the end; never edit one that has shipped. A database whose version is newer
than this code knows is refused (an older pathprobe must not write into a newer schema).

Backfills compute with the latest code (all of :data:`COUNT_COLUMNS`), so they run after the SQL of
every pending migration, each distinct backfill once (a version-1 database gets migration 2's table
and migration 3's columns before its counters are recomputed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Migration:
    """One schema version: its SQL for each dialect, run in order in one transaction, then an
    optional backfill.
    """

    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]
    backfill: Callable[[Any], None] | None = None
    """Runs inside the same transaction, with the storage object, after the SQL of every pending
    migration."""


_COUNT_COLUMNS = (  # version 2's columns: never edit (migration 2 creates exactly these)
    "submissions",
    "entries",
    "reachable",
    "partial",
    "blocked",
    "unknown",
    "intact",
    "intercepted",
    "unverified",
    "works",
)
_BLOCKING_COLUMNS = (  # version 3 (issue 17): sites (per summary and path) by blocking kind; throttled sites
    "blocked_dns",
    "blocked_tcp",
    "blocked_tls",
    "blocked_http",
    "trigger_sni",
    "trigger_address",
    "evasion_tcp_segments",
    "evasion_tls_records",
    "throttled_sites",
)
COUNT_COLUMNS = _COUNT_COLUMNS + _BLOCKING_COLUMNS
"""Every counter column of ``path_counts``, in the order :func:`~pathprobe.collector.storage.add_counts`
fills them."""


def _counts_table(bigint: str) -> str:
    cols = ",\n  ".join(f"{c} {bigint} NOT NULL DEFAULT 0" for c in _COUNT_COLUMNS)
    return (
        "CREATE TABLE path_counts (\n  week TEXT NOT NULL,\n  country TEXT NOT NULL,\n"
        f"  asn {bigint} NOT NULL,\n  path TEXT NOT NULL,\n  {cols},\n"
        "  PRIMARY KEY (week, country, asn, path)\n)"
    )


def _backfill_counts(storage: Any) -> None:
    storage.rebuild_counters(in_transaction=True)


def _add_columns(bigint: str) -> tuple[str, ...]:
    return tuple(
        f"ALTER TABLE path_counts ADD COLUMN {c} {bigint} NOT NULL DEFAULT 0" for c in _BLOCKING_COLUMNS
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "tokens and summaries",
        sqlite=(
            "CREATE TABLE tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
            " token_sha256 TEXT NOT NULL UNIQUE, created TEXT NOT NULL, revoked TEXT)",
            "CREATE TABLE summaries (id TEXT PRIMARY KEY, token_id INTEGER NOT NULL REFERENCES tokens(id),"
            " received TEXT NOT NULL, day TEXT NOT NULL, week TEXT NOT NULL, country TEXT NOT NULL,"
            " asn INTEGER NOT NULL, body TEXT NOT NULL)",
        ),
        postgres=(
            "CREATE TABLE tokens (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " name TEXT NOT NULL UNIQUE,"
            " token_sha256 TEXT NOT NULL UNIQUE, created TEXT NOT NULL, revoked TEXT)",
            "CREATE TABLE summaries (id TEXT PRIMARY KEY, token_id BIGINT NOT NULL REFERENCES tokens(id),"
            " received TEXT NOT NULL, day TEXT NOT NULL, week TEXT NOT NULL, country TEXT NOT NULL,"
            " asn BIGINT NOT NULL, body TEXT NOT NULL)",
        ),
    ),
    Migration(
        2,
        "pre-aggregated counters per (week, country, ASN, path), filled from the stored summaries",
        sqlite=(_counts_table("INTEGER"), "CREATE INDEX path_counts_path ON path_counts (path, week)"),
        postgres=(_counts_table("BIGINT"), "CREATE INDEX path_counts_path ON path_counts (path, week)"),
        backfill=_backfill_counts,
    ),
    Migration(
        3,
        "counters of blocked sites by stage and trigger, of sites an evasion reached, and of throttled"
        " sites (issue 17), recomputed from the stored summaries",
        sqlite=_add_columns("INTEGER"),
        postgres=_add_columns("BIGINT"),
        backfill=_backfill_counts,
    ),
)

LATEST = MIGRATIONS[-1].version
