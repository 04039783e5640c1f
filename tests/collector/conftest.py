"""Fixtures for the summary and collector tests (helpers in collector_helpers.py)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from collector_helpers import PG_BIN, Postgres, Server, in_ci


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return str(tmp_path / "collector.sqlite3")


@pytest.fixture
def server_factory() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        s.kill(signal.SIGTERM)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    if not (PG_BIN / "postgres").exists():
        msg = f"PostgreSQL 15 is not installed ({PG_BIN}); scripts/setup.sh installs it"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    pg = Postgres()
    try:
        pg.start()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        pg.stop()
        if in_ci():
            pytest.fail(f"cannot start a private PostgreSQL server: {exc}")
        pytest.skip(f"cannot start a private PostgreSQL server: {exc}")
    yield pg
    pg.stop()


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    return postgres.new_db()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "collector.sqlite3")
    return request.getfixturevalue("pg_url")
