"""`pathprobe collector token|serve`: output contract and bad input (exit 2, one message)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from collector_helpers import cli

from pathprobe.collector.tokens import bearer, token_hash


def test_token_add_prints_the_token_alone_on_the_last_line(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    r = cli("collector", "token", "add", "ngo.kz-2026", "--db", db)
    assert r.returncode == 0, r.stderr
    token = r.stdout.splitlines()[-1]
    assert token.startswith("pp_") and len(token) > 40 and " " not in token
    stored = sqlite3.connect(db).execute("SELECT name, token_sha256 FROM tokens").fetchall()
    assert stored == [("ngo.kz-2026", token_hash(token))]  # only the hash is kept
    assert token not in Path(db).read_bytes().decode("latin-1")


def test_token_list_and_revoke(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    assert "no tokens yet" in cli("collector", "token", "list", "--db", db).stdout
    cli("collector", "token", "add", "a", "--db", db)
    r = cli("collector", "token", "revoke", "a", "--db", db)
    assert r.returncode == 0 and "revoked" in r.stdout
    r = cli("collector", "token", "list", "--db", db)
    assert r.returncode == 0 and r.stdout.splitlines()[1].startswith("a ")
    r = cli("collector", "token", "revoke", "a", "--db", db)
    assert r.returncode == 2 and "no active token named 'a'" in r.stderr


def test_default_db_from_environment(tmp_path: Path) -> None:
    r = cli("collector", "token", "add", "x", PATHPROBE_COLLECTOR_DB=str(tmp_path / "env.db"))
    assert r.returncode == 0 and (tmp_path / "env.db").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["collector", "token", "add", "bad name"], "a token name is"),
        (["collector", "serve", "--k", "0"], "--k must be"),
        (["collector", "serve", "--port", "70000"], "--port must be"),
        (["collector", "serve", "--db", "mysql://h/db"], "unsupported database"),
        (["collector", "token", "list", "--db", "/proc/nonexistent/x.db"], "cannot open the SQLite database"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    if "--db" not in args:
        args = [*args, "--db", str(tmp_path / "c.db")]
    r = cli(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and "Traceback" not in r.stderr


def test_duplicate_token_name_exits_2(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    cli("collector", "token", "add", "a", "--db", db)
    r = cli("collector", "token", "add", "a", "--db", db)
    assert r.returncode == 2 and "exists already" in r.stderr and r.stdout == ""


@pytest.mark.parametrize(
    "header,token",
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        (None, None),
        ("Bearer " + "x" * 300, None),
    ],
)
def test_bearer(header: str | None, token: str | None) -> None:
    assert bearer(header) == token
