"""Reading, rendering, diffing and summarising large profiles: growth from N to 10 N targets.

    .venv/bin/python bench/bench_render.py [--small 2000] [--big 20000] [--runs 2]

Makes two profiles of each size (bench/big_profiles.py: four paths, every target with its dns, tcp,
tls and http observations, a tenth intercepted), writes them to files, and times in one process, in
one run, each command as the CLI runs it (``pathprobe.cli.main.main``, output discarded):
``profile show``, ``profile render --format md``, ``profile render --format html``, ``profile diff``
and ``summary`` (reading the file included). Prints seconds for each size and the big/small ratio:
ten times the targets should take about ten times as long (linear); a quadratic step shows as ~100.
Nothing touches the network.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.big_profiles import big_profile  # noqa: E402
from pathprobe.cli.main import main as cli_main  # noqa: E402

COMMANDS = ("profile show", "profile render md", "profile render html", "profile diff", "summary")


def _args(command: str, a: Path, b: Path) -> list[str]:
    return {
        "profile show": ["profile", "show", str(a)],
        "profile render md": ["profile", "render", str(a), "--format", "md"],
        "profile render html": ["profile", "render", str(a), "--format", "html"],
        "profile diff": ["profile", "diff", str(a), str(b)],
        "summary": ["summary", str(a)],
    }[command]


def run_command(args: list[str]) -> float:
    """Seconds one in-process CLI command takes (its output discarded); it must exit 0."""
    out, err = io.StringIO(), io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli_main(args)
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise RuntimeError(f"{args} exited {exc.code}: {err.getvalue()[-500:]}") from None
    return time.perf_counter() - t


def write_profiles(n: int, folder: Path) -> tuple[Path, Path]:
    a, b = folder / f"a-{n}.json", folder / f"b-{n}.json"
    a.write_text(json.dumps(big_profile(n)), "utf-8")
    b.write_text(json.dumps(big_profile(n, seed_variant=1)), "utf-8")
    return a, b


def measure(small: int, big: int, runs: int = 2) -> dict[str, tuple[float, float]]:
    """Best-of-``runs`` seconds of each command at ``small`` and ``big`` targets, in this one run (the
    small size gets one more run: the first of each command also pays for its lazy imports)."""
    with tempfile.TemporaryDirectory(prefix="pp-bench-render-") as tmp:
        files = {n: write_profiles(n, Path(tmp)) for n in (small, big)}
        out: dict[str, tuple[float, float]] = {}
        for command in COMMANDS:
            s = min(run_command(_args(command, *files[small])) for _ in range(runs + 1))
            b = min(run_command(_args(command, *files[big])) for _ in range(runs))
            out[command] = (s, b)
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=2000)
    ap.add_argument("--big", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    res = measure(args.small, args.big, args.runs)
    print(f"| command | {args.small} targets (s) | {args.big} targets (s) | ratio {args.big}/{args.small} |")
    print("|---|---|---|---|")
    for command, (s, b) in res.items():
        print(f"| `{command}` | {s:.2f} | {b:.2f} | {b / s:.1f} |")


if __name__ == "__main__":
    main()
