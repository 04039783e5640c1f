"""Quick-check cost on loopback: pathprobe vs a minimal single-process prober, scale and memory.

    .venv/bin/python bench/bench_quick.py [--runs 5] [--write BENCHMARKS.md]

Measures, in one run (ratios are only compared within a run):
  * wall time of `pathprobe check` (direct probe, 20 and 200 sites, interpreter start included) and of
    a minimal prober doing the same TCP + TLS handshakes with threads (bench/minimal_prober.py);
  * the ratio of the two (DESIGN.md goal: 2.5x at most);
  * growth from 20 to 200 sites (must be far less than tenfold);
  * peak RSS of the 200-site check (goal: under 150 MB);
  * a check in which nothing answers (every site a silent server): wall time vs `--timeout` (goal:
    within timeout + 1 s, plus one more timeout for the blocking diagnosis that every unreached site
    gets: 2 x timeout + 1 s, DESIGN "Blocking diagnosis, evasion and throttling").
Everything runs on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.servers import hostile_server, https_server  # noqa: E402

from pathprobe.lab.servers.pki import CA  # noqa: E402

PY = sys.executable


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command."""
    start = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{res.stderr[-2000:]}")
    rss = int(res.stderr.strip().splitlines()[-1])
    return wall, rss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--write", type=Path, default=None, help="append the table to this Markdown file")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pp-bench-"))
    ca = CA("Bench Root")
    (tmp / "roots.pem").write_bytes(ca.cert_pem())
    rows: list[tuple[str, str]] = []
    with ExitStack() as st:
        port = st.enter_context(https_server(ca.issue("*.bench.test", "bench.test"), tmp))
        silent = st.enter_context(hostile_server("silent"))
        names = [f"s{i}.bench.test" for i in range(200)]
        (tmp / "hosts").write_text("".join(f"127.0.0.1 {n}\n" for n in names))
        env = {**os.environ, "PATHPROBE_HOSTS": str(tmp / "hosts"), "PATHPROBE_ACCEPT_RISK": "1"}
        results: dict[int, dict[str, list[float]]] = {}
        peak_rss = 0
        for n in (20, 200):
            sites = [f"{s}:{port}" for s in names[:n]]
            plan = tmp / f"plan{n}.toml"
            plan.write_text('[[probe]]\nkind = "direct"\nsites = [' + ", ".join(f'"{s}"' for s in sites) + "]\n")
            (tmp / f"sites{n}.txt").write_text("\n".join(sites))
            r: dict[str, list[float]] = {"pathprobe": [], "minimal": []}
            for _ in range(args.runs):
                w, rss = timed([PY, "-m", "pathprobe", "check", "--plan", str(plan), "--json", "--public-roots",
                                str(tmp / "roots.pem"), "--device-roots", str(tmp / "roots.pem")], env)
                r["pathprobe"].append(w)
                if n == 200:
                    peak_rss = max(peak_rss, rss)
                w, _ = timed([PY, str(ROOT / "bench" / "minimal_prober.py"), str(tmp / f"sites{n}.txt")], env)
                r["minimal"].append(w)
            results[n] = r
        # nothing answers: every site is a silent server; the TLS step must end at --timeout
        timeout = 2.0
        dead = [f"{s}:{silent}" for s in names[:50]]
        plan = tmp / "dead.toml"
        plan.write_text('[[probe]]\nkind = "direct"\nsites = [' + ", ".join(f'"{s}"' for s in dead) + "]\n")
        dead_walls = [timed([PY, "-m", "pathprobe", "check", "--plan", str(plan), "--json", "--timeout", str(timeout),
                             "--public-roots", str(tmp / "roots.pem"), "--device-roots", str(tmp / "roots.pem")],
                            env)[0] for _ in range(max(1, args.runs // 2))]

    med = {n: {k: statistics.median(v) for k, v in r.items()} for n, r in results.items()}
    rows.append(("pathprobe check, 20 sites (median s)", f"{med[20]['pathprobe']:.2f}"))
    rows.append(("minimal prober, 20 sites (median s)", f"{med[20]['minimal']:.2f}"))
    rows.append(("ratio pathprobe / minimal, 20 sites (goal <= 2.5)", f"{med[20]['pathprobe'] / med[20]['minimal']:.2f}"))
    rows.append(("pathprobe check, 200 sites (median s)", f"{med[200]['pathprobe']:.2f}"))
    rows.append(("minimal prober, 200 sites (median s)", f"{med[200]['minimal']:.2f}"))
    rows.append(("ratio pathprobe / minimal, 200 sites (goal <= 2.5)", f"{med[200]['pathprobe'] / med[200]['minimal']:.2f}"))
    rows.append(("growth 20 -> 200 sites (must be far below 10x)", f"{med[200]['pathprobe'] / med[20]['pathprobe']:.2f}x"))
    rows.append(("peak RSS, 200 sites (goal < 150 MB)", f"{peak_rss / 1024:.0f} MB"))
    rows.append((f"nothing answers, 50 sites, --timeout {timeout:g} (goal <= 2 x {timeout:g} + 1 = {2 * timeout + 1:g} s)",
                 f"{statistics.median(dead_walls):.2f} s (max {max(dead_walls):.2f})"))
    header = (f"### Quick check on loopback — {dt.date.today().isoformat()}, {platform.machine()}, "
              f"{os.cpu_count()} cores, Python {platform.python_version()}, {args.runs} runs\n\n"
              f"Command: `.venv/bin/python bench/bench_quick.py --runs {args.runs}`\n\n| measure | value |\n|---|---|\n")
    table = header + "".join(f"| {a} | {b} |\n" for a, b in rows)
    print(table)
    if args.write:
        with args.write.open("a") as fh:
            fh.write("\n" + table)


if __name__ == "__main__":
    main()
