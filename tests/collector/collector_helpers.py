"""Helpers for the summary and collector tests: real collector processes on loopback and a real,
private PostgreSQL server (initdb into a temporary directory, port 18750, stopped by PID)."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

import pathprobe

HERE = Path(__file__).parent
SAMPLE_PROFILE = HERE / "sample_profile.json"
SRC = Path(pathprobe.__file__).resolve().parents[1]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT = 18750
_ports = itertools.cycle(range(19400, 19500))  # a range no other test module uses (tests/net/test_dns.py has 18700-18719)


def free_port() -> int:
    """A free port of 19400-19499, taken in turn (a port comes round again only after 99 others)."""
    for port in itertools.islice(_ports, 100):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port left in 19400-19499")


def env(**extra: str) -> dict[str, str]:
    e = os.environ.copy()
    e["PYTHONPATH"] = str(SRC) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.update(extra)
    return e


def cli(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pathprobe", *args],
        capture_output=True,
        text=True,
        env=env(**extra_env),
        timeout=120,
    )


class Server:
    """``pathprobe collector serve`` as a child process."""

    def __init__(
        self,
        db: str,
        k: int = 5,
        max_body: int | None = None,
        *,
        host: str = "127.0.0.1",
        extra: tuple[str, ...] = (),
        log: Path | None = None,
    ) -> None:
        self.db, self.k, self.max_body = db, k, max_body
        self.host, self.extra, self.log = host, extra, log
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Server:
        args = [
            sys.executable,
            "-m",
            "pathprobe",
            "collector",
            "serve",
            "--db",
            self.db,
            "--port",
            str(self.port),
            "--k",
            str(self.k),
            "--host",
            self.host,
            *self.extra,
        ]
        if self.max_body:
            args += ["--max-body", str(self.max_body)]
        if self.log is not None:
            with open(self.log, "wb") as out:
                self.proc = subprocess.Popen(args, env=env(), stdout=out, stderr=subprocess.STDOUT)
        else:
            self.proc = subprocess.Popen(args, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                if self.log is not None:
                    err = self.log.read_text(errors="replace")
                raise RuntimeError(f"collector exited early: {err}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError("collector did not start in 30 s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()

    def token(self, name: str) -> str:
        r = cli("collector", "token", "add", name, "--db", self.db)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip().splitlines()[-1]


class Postgres:
    """A private PostgreSQL 15 cluster in a temporary directory, run as the postgres user when root."""

    def __init__(self, port: int = PG_PORT, settings: tuple[str, ...] = ()) -> None:
        self.port = port
        self.settings = settings
        self.dir = Path(tempfile.mkdtemp(prefix="pp-pg-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.user = "postgres" if os.geteuid() == 0 else None
        self.dbs = 0

    def start(self) -> None:
        data = self.dir / "data"
        if self.user:
            shutil.chown(self.dir, self.user, self.user)
        log = open(self.dir / "initdb.log", "wb")  # noqa: SIM115 (closed below)
        with log:
            subprocess.run(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "pathprobe",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ],
                user=self.user,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=120,
                cwd=self.dir,
            )
        self.proc = subprocess.Popen(
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-k",
                str(self.dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=on",
                "-c",
                "max_connections=40",
                *(arg for kv in self.settings for arg in ("-c", kv)),
            ],
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "server.log", "wb"),  # noqa: SIM115
            cwd=self.dir,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.dir / "server.log").read_text(errors="replace")[-2000:])
            ok = (
                subprocess.run(
                    [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
                ).returncode
                == 0
            )
            if ok:
                return
            time.sleep(0.2)
        raise RuntimeError("postgres did not become ready in 30 s")

    def new_db(self) -> str:
        """A fresh database on the cluster; returns its URL."""
        import psycopg

        self.dbs += 1
        name = f"t{self.dbs}"
        with psycopg.connect(f"postgresql://pathprobe@127.0.0.1:{self.port}/postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return f"postgresql://pathprobe@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def in_ci() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("PATHPROBE_CI") == "1"
