"""Collector benchmark: ingest rate (concurrent clients on loopback) and aggregate time over 1,000,000
stored summaries, for SQLite and a private PostgreSQL server. Not a test: run it by hand.

    PYTHONPATH=src python bench/collector_bench.py [--backend sqlite,postgres] [--count 6000]
        [--clients 32] [--seconds 60] [--stored 1000000]

Ingest: one `pathprobe collector serve` process; a load generator in this process keeps ``--clients``
keep-alive connections busy with POST /v1/summaries (pre-serialised requests over raw sockets, so the
client's own cost stays small) until ``--count`` summaries were answered or ``--seconds`` passed. Every
answer must be 201. Aggregates: ``--stored`` summaries are bulk-loaded straight into a fresh database
(``Storage.bulk_load``), then GET /v1/aggregate is timed for several groupings (median of 7 runs,
each over HTTP, so the figure is what a client sees).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "collector")]

from collector_helpers import Postgres, Server  # noqa: E402

from pathprobe.collector.storage import open_storage  # noqa: E402
from pathprobe.collector.synthetic import summary as synth  # noqa: E402

BENCH_PG_PORT = 18760
AGG_QUERIES = (
    ("by country, ASN, week, path (default)", "by=country,asn,week"),
    ("by country, path", "by=country"),
    ("by week, path", "by=week"),
    ("one country, by ASN and week", "by=asn,week&country=KZ"),
    ("one path, by country and week", "by=country,week&path=tor:obfs4"),
)


def requests(token: str, port: int, n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        body = json.dumps(synth(rng), separators=(",", ":")).encode()
        head = (
            f"POST /v1/summaries HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        out.append(head + body)
    return out


async def _client(port: int, queue: list[bytes], stats: dict[str, Any], deadline: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue and time.monotonic() < deadline:
            req = queue.pop()
            t0 = time.perf_counter()
            writer.write(req)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            stats["latency"].append(time.perf_counter() - t0)
            code = int(status_line.split()[1])
            stats["codes"][code] = stats["codes"].get(code, 0) + 1
    finally:
        writer.close()


async def load(port: int, reqs: list[bytes], clients: int, seconds: float) -> dict[str, Any]:
    stats: dict[str, Any] = {"latency": [], "codes": {}}
    queue = list(reqs)
    t0 = time.perf_counter()
    await asyncio.gather(*(_client(port, queue, stats, time.monotonic() + seconds) for _ in range(clients)))
    stats["elapsed"] = time.perf_counter() - t0
    return stats


def ingest(db: str, count: int, clients: int, seconds: float) -> dict[str, Any]:
    srv = Server(db)
    token = srv.token("bench")
    srv.start()
    try:
        warm = requests(token, srv.port, 200, seed=1)
        asyncio.run(load(srv.port, warm, clients, seconds))
        reqs = requests(token, srv.port, count, seed=2)
        st = asyncio.run(load(srv.port, reqs, clients, seconds))
    finally:
        srv.kill(signal.SIGTERM)
    done = sum(st["codes"].values())
    lat = sorted(st["latency"])
    return {
        "answered": done,
        "codes": st["codes"],
        "seconds": round(st["elapsed"], 2),
        "per_second": round(done / st["elapsed"]),
        "p50_ms": round(1000 * lat[len(lat) // 2], 1),
        "p99_ms": round(1000 * lat[int(len(lat) * 0.99)], 1),
    }


def aggregates(db: str, stored: int) -> dict[str, Any]:
    import httpx

    st = open_storage(db)
    tid = st.token_id(st.add_token("bulk"))
    assert tid is not None
    rng = random.Random(3)
    start = dt.date(2025, 1, 6)
    t0 = time.perf_counter()
    n = st.bulk_load(
        (synth(rng, day=start + dt.timedelta(days=rng.randrange(700))) for _ in range(stored)),
        tid,
        "2026-11-22",
    )
    load_s = time.perf_counter() - t0
    assert st.count_summaries() == n == stored
    st.close()
    srv = Server(db)
    token = srv.token("reader")
    srv.start()
    out: dict[str, Any] = {"stored": n, "bulk_load_s": round(load_s, 1), "queries": {}}
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
            for name, q in AGG_QUERIES:
                times, cells = [], 0
                for _ in range(7):
                    t0 = time.perf_counter()
                    r = c.get(f"{srv.url}/v1/aggregate?{q}")
                    times.append(time.perf_counter() - t0)
                    assert r.status_code == 200, r.text
                    cells = len(r.json()["cells"])
                out["queries"][name] = {
                    "median_ms": round(1000 * statistics.median(times), 1),
                    "max_ms": round(1000 * max(times), 1),
                    "cells": cells,
                }
            t0 = time.perf_counter()
            assert c.get(srv.url + "/").status_code == 200
            out["dashboard_ms"] = round(1000 * (time.perf_counter() - t0), 1)
    finally:
        srv.kill(signal.SIGTERM)
    return out


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pg = subprocess.run(["/usr/lib/postgresql/15/bin/postgres", "--version"], capture_output=True, text=True)
    import sqlite3

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_avg_before": os.getloadavg(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgres": pg.stdout.strip(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", default="sqlite,postgres")
    ap.add_argument("--count", type=int, default=6000, help="summaries to send in the ingest run")
    ap.add_argument("--clients", type=int, default=32, help="concurrent keep-alive connections")
    ap.add_argument("--seconds", type=float, default=60, help="time bound of the ingest run")
    ap.add_argument("--stored", type=int, default=1_000_000, help="summaries bulk-loaded for the aggregates")
    ap.add_argument("--skip-aggregates", action="store_true")
    args = ap.parse_args()
    report: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    pg: Postgres | None = None
    tmp = Path(tempfile.mkdtemp(prefix="pp-collector-bench-"))
    try:
        for backend in args.backend.split(","):
            if backend == "postgres" and pg is None:
                pg = Postgres(port=BENCH_PG_PORT, settings=("shared_buffers=256MB", "work_mem=32MB"))
                pg.start()

            def fresh(tag: str, backend: str = backend, pg: Postgres | None = pg) -> str:
                return pg.new_db() if backend == "postgres" and pg else str(tmp / f"{tag}.sqlite3")

            print(f"[{backend}] ingest ...", file=sys.stderr, flush=True)
            res: dict[str, Any] = {"ingest": ingest(fresh("ingest"), args.count, args.clients, args.seconds)}
            print(f"[{backend}] {res['ingest']}", file=sys.stderr, flush=True)
            if not args.skip_aggregates:
                print(f"[{backend}] bulk load {args.stored} + aggregates ...", file=sys.stderr, flush=True)
                res["aggregate"] = aggregates(fresh("agg"), args.stored)
                print(f"[{backend}] {res['aggregate']}", file=sys.stderr, flush=True)
            report[backend] = res
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
