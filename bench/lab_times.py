"""Lab timings: ``lab up`` / ``lab down`` per scenario and one full ``lab check`` (wall time, CLI included).

    sudo python bench/lab_times.py [--repeat N] [--scenarios clean,kz-2019] [--check kz-2019,tor-bridge]

Prints a Markdown table (median and range over the repeats) for docs/lab.md and BENCHMARKS.md.
Needs root and the lab programs, like the lab itself; it brings the lab down at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def lab(*args: str) -> float:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    t0 = time.perf_counter()
    cp = subprocess.run([sys.executable, "-m", "pathprobe", "lab", *args], capture_output=True, text=True,
                        env=env, check=False)
    took = time.perf_counter() - t0
    if cp.returncode != 0:
        cmd = " ".join(args)
        raise SystemExit(f"'pathprobe lab {cmd}' failed (exit {cp.returncode}):\n{cp.stdout}\n{cp.stderr}")
    return took


def row(what: str, xs: list[float]) -> str:
    return f"| {what} | {statistics.median(xs):.2f} s | {min(xs):.2f}–{max(xs):.2f} s | {len(xs)} |"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scenarios", default="clean,kz-2019")
    ap.add_argument("--check", default="kz-2019", help="comma-separated scenarios to time 'lab check' on")
    a = ap.parse_args()
    lab("down")
    rows = ["| step (wall time, `pathprobe lab ...` incl. interpreter start) | median | range | runs |",
            "|---|---|---|---|"]
    for scn in a.scenarios.split(","):
        ups, downs = [], []
        for _ in range(a.repeat):
            ups.append(lab("up", scn))
            downs.append(lab("down"))
        rows += [row(f"`up {scn}`", ups), row(f"`down` ({scn})", downs)]
    for scn in filter(None, a.check.split(",")):
        checks = [lab("check", scn) for _ in range(a.repeat)]
        rows.append(row(f"`check {scn}` (up + check in pp-client + compare + down)", checks))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
