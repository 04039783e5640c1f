"""Accuracy and speed of `pathprobe check` over every lab scenario, and at scale (docs/bench.md).

    sudo PATHPROBE_LAB_PREFIX=pp-x- PATHPROBE_MITMDUMP=/path/to/mitmdump \\
        python bench/lab_bench.py [--runs 5] [--scenarios clean,lossy] [--scale 20,200 | --no-scale]
                                  [--write BENCHMARKS.md]

Scenarios come from the lab (``pathprobe.lab.scenario.shipped()``), never from a list here; one
whose plan needs a probe kind this pathprobe lacks is reported as skipped. Each scenario is brought
up once with the lab's Python API, checked ``--runs`` times with the very command ``pathprobe lab
check`` runs in the client namespace, compared with the scenario's expectations, and taken down.
Scale runs use a generated scenario: the origins serve N generated names (``[options.origins]
many = N``), the lab's resolvers know them, and the plan checks all of them.

The check runs as an installed tool would: bytecode is cached (under ~/.cache/pathprobe/bench,
whatever PYTHONDONTWRITEBYTECODE says) and one warm-up check is not counted. Wall times on a shared
machine are indicative; the CPU column (user + system of the check process) is steadier.
Needs root and the lab's programs, like the lab itself. Exit 1 when an expectation failed or a clean
scenario reported interception.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pathprobe.errors import PathprobeError  # noqa: E402
from pathprobe.lab import scenario as sc  # noqa: E402
from pathprobe.lab import world as w  # noqa: E402
from pathprobe.lab.expect import Outcome, compare  # noqa: E402
from pathprobe.lab.lifecycle import Lab, State, check_command, child_env, preflight  # noqa: E402
from pathprobe.profile import Profile  # noqa: E402

BEGIN = "<!-- BEGIN lab-bench: written by bench/lab_bench.py; rerun it to replace this section -->"
END = "<!-- END lab-bench -->"
CHECK_LIMIT = 300.0
TIMEOUT_FAILURES = ("generic_timeout_error",)


# --------------------------------------------------------------------------- one check


@dataclass
class Run:
    wall: float
    cpu: float
    rss_kib: int
    profile: Profile
    outcomes: list[Outcome]


def _env() -> dict[str, str]:
    env = child_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cache = Path.home() / ".cache" / "pathprobe" / "bench" / "pycache"
    cache.mkdir(parents=True, exist_ok=True)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def run_check(argv: list[str], log: Path) -> tuple[float, float, int, bytes]:
    """Wall seconds, CPU seconds and peak RSS (KiB) of one check process, and its stdout."""
    chunks: list[bytes] = []
    t0 = time.perf_counter()
    with open(log, "wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                env=_env(), start_new_session=True)
        assert proc.stdout is not None
        reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()))  # type: ignore[union-attr]
        reader.start()
        killer = threading.Timer(CHECK_LIMIT, lambda: os.killpg(proc.pid, signal.SIGKILL))
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        reader.join()
        proc.stdout.close()
    if proc.returncode != 0:
        tail = log.read_text("utf-8", "replace")[-2000:]
        raise SystemExit(f"the check failed (exit {proc.returncode}): {shlex.join(argv)}\n{tail}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, b"".join(chunks)


def one_run(scn: sc.Scenario, st: State, log: Path) -> Run:
    wall, cpu, rss, out = run_check(check_command(scn, st), log)
    log.with_suffix(".json").write_bytes(out)
    profile = Profile.from_json(json.loads(out), str(log.with_suffix(".json")))
    return Run(wall, cpu, rss, profile, compare(scn.expect, profile, interceptor_root=st.interceptor_root))


# --------------------------------------------------------------------------- measures


def kind_of(o: Outcome) -> str:
    """Which part of the ground truth an outcome checks: ``path``, ``target`` or ``other``."""
    if o.what.startswith("path "):
        return "path"
    if o.what.startswith("target ") or (" / " in o.what and not o.what.startswith("interception")):
        return "target"
    return "other"


def truth_has_interception(scn: sc.Scenario) -> bool:
    e = scn.expect
    return bool(
        e.interception
        or e.interception_hosts
        or any(p.tls == "intercepted" for p in e.paths)
        or any(t.tls == "intercepted" for t in e.targets)
    )


def interception_reports(profile: Profile) -> int:
    """Interception findings plus paths and targets with ``tls: intercepted``."""
    n = len(profile.interception)
    for p in profile.paths:
        n += p.tls == "intercepted"
        n += sum(t.tls == "intercepted" for t in p.targets)
    return n


def _ends(profile: Profile) -> dict[tuple[str, str], float]:
    """(path, target) -> end of its last observation, ms since the check's probes started."""
    out: dict[tuple[str, str], float] = {}
    for o in profile.observations:
        key = (o.path, o.target)
        end = o.started_ms + o.duration_ms
        out[key] = max(out.get(key, 0.0), end)
    return out


def slowest_probe(profile: Profile) -> float:
    """Seconds: per path, the end of its last observation; the slowest path."""
    per_path: dict[str, float] = {}
    for (path, _), end in _ends(profile).items():
        per_path[path] = max(per_path.get(path, 0.0), end)
    return max(per_path.values(), default=0.0) / 1000.0


def silent_block_decided(profile: Profile) -> float | None:
    """Seconds until the last target that met only silence was called blocked (None: there was none)."""
    ends = _ends(profile)
    times = [
        ends.get((p.id, t.target), 0.0)
        for p in profile.paths
        for t in p.targets
        if t.reachability == "blocked" and t.failure in TIMEOUT_FAILURES
    ]
    return max(times) / 1000.0 if times else None


@dataclass
class Row:
    name: str
    runs: list[Run] = field(default_factory=list)
    drops: bool = False
    clean: bool = False
    skipped: str | None = None

    def tally(self, kind: str | None = None) -> tuple[int, int]:
        outs = [o for r in self.runs for o in r.outcomes if kind is None or kind_of(o) == kind]
        return sum(o.ok for o in outs), len(outs)

    def false_interception(self) -> int | None:
        return sum(interception_reports(r.profile) for r in self.runs) if self.clean else None

    def failed(self) -> list[str]:
        seen: dict[str, int] = {}
        for r in self.runs:
            for o in r.outcomes:
                if not o.ok:
                    seen[o.line()] = seen.get(o.line(), 0) + 1
        return [f"{line} ({n}/{len(self.runs)} runs)" for line, n in seen.items()]


def _s(x: float) -> str:
    return f"{x:.2f}"


def _med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def scenario_line(row: Row) -> str:
    if row.skipped:
        return f"| {row.name} | skipped: {row.skipped} |" + " |" * 9
    walls = [r.wall for r in row.runs]
    probes = [slowest_probe(r.profile) for r in row.runs]
    ratios = [r.wall / p for r, p in zip(row.runs, probes, strict=True) if p > 0]
    decided = [d for r in row.runs if (d := silent_block_decided(r.profile)) is not None]
    fi = row.false_interception()

    def frac(kind: str | None) -> str:
        met, total = row.tally(kind)
        return f"{met}/{total}"

    met, total = row.tally()
    acc = f"{100.0 * met / total:.0f}% ({frac(None)})" if total else "—"
    return (
        f"| {row.name} | {len(row.runs)} | {acc} | {frac('path')} | {frac('target')} | "
        f"{'—' if fi is None else fi} | {_s(_med(walls))} / {_s(max(walls))} | {_s(_med(probes))} | "
        f"{_s(_med(ratios))} / {_s(max(ratios))} | "
        f"{(_s(_med(decided)) + ' / ' + _s(max(decided))) if decided else '—'} | "
        f"{_s(_med([r.cpu for r in row.runs]))} | {max(r.rss_kib for r in row.runs) / 1024:.0f} |"
    )


HEADER = (
    "| scenario | runs | expectations met | paths | targets | false interception | wall s (median / max) "
    "| slowest probe s | wall ÷ slowest probe (median / max) | silent drop → blocked s (median / max) "
    "| CPU s | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n"
)


# --------------------------------------------------------------------------- the lab


def scale_scenario(n: int, timeout: float, where: Path) -> Path:
    """A generated scenario: an honest network whose origins serve ``n`` generated sites, all checked."""
    names = list(w.many_sites(n))
    listed = ", ".join(f'"{x}"' for x in names)
    text = f'''title = "Scale: {n} sites on an honest network"
description = "Generated by bench/lab_bench.py: the direct probe checks {n} sites served by one origin."
timeout = {timeout:g}
services = ["origins", "dns"]
plan = \'\'\'
[[probe]]
kind = "direct"
sites = [{listed}]
\'\'\'

[options.origins]
many = {n}

[device]
trusts = ["public"]

[expect]
recommendation = "direct"
connectivity = "online"
interception_hosts = []

[[expect.path]]
id = "direct"
reachability = "reachable"
tls = "intact"

[[expect.target]]
path = "direct"
targets = [{listed}]
reachability = "reachable"
tls = "intact"
failure = "none"
'''
    path = where / f"scale-{n}.toml"
    path.write_text(text, "utf-8")
    return path


def measure(scn: sc.Scenario, runs: int, logs: Path, *, warm_up: bool = False,
            say: Any = print) -> Row:
    row = Row(scn.name, drops=any(b.action == "drop" for b in scn.censor.blocks),
              clean=not truth_has_interception(scn))
    missing = scn.missing_kinds()
    if missing:
        row.skipped = f"needs probe kind {', '.join(missing)}"
        return row
    lab = Lab(lambda _: None)
    t0 = time.monotonic()
    st = lab.up(scn)
    try:
        if warm_up:
            one_run(scn, st, logs / f"{scn.name}-warmup.log")
        for i in range(runs):
            row.runs.append(one_run(scn, st, logs / f"{scn.name}-{i + 1}.log"))
    finally:
        lab.down()
    met, total = row.tally()
    say(f"  {scn.name}: {met}/{total} expectations met over {runs} runs "
        f"({time.monotonic() - t0:.1f} s with up and down)")
    return row


def startup(scn: sc.Scenario, logs: Path) -> tuple[float, float]:
    """Median wall of ``pathprobe --version`` (3 runs) and a check's total import time (s), in the client."""
    lab = Lab(lambda _: None)
    st = lab.up(scn)
    try:
        env = _env()
        versions = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([*check_command(scn, st)[:5], "-m", "pathprobe", "--version"], env=env,
                           capture_output=True, check=True)
            versions.append(time.perf_counter() - t0)
        argv = check_command(scn, st)
        argv = [*argv[:5], "-X", "importtime", *argv[5:]]
        cp = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        total = 0
        for line in cp.stderr.splitlines():
            m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
            if m and not m.group(2).startswith(" "):
                total += int(m.group(1))
        return statistics.median(versions), total / 1e6
    finally:
        lab.down()


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{model}, {os.cpu_count()} cores, {mem} RAM, Linux {platform.release()}, "
            f"Python {platform.python_version()}")


def command_line() -> str:
    prefix = f"PATHPROBE_LAB_PREFIX={w.PREFIX} " if w.PREFIX != "pp-" else ""
    args = shlex.join(sys.argv[1:])
    return f"sudo {prefix}PATHPROBE_MITMDUMP=… python bench/lab_bench.py {args}".rstrip()


# --------------------------------------------------------------------------- report


def report(rows: list[Row], scale: list[tuple[int, Row]], runs: int, started: str, load: tuple[str, str],
           boot: tuple[float, float] | None) -> str:
    out = [
        BEGIN,
        f"### Lab benchmark — {started}",
        "",
        f"Machine: {machine()}. Load average (1 min) {load[0]} at the start, {load[1]} at the end: "
        "other work shares these cores, so wall times are indicative (CPU is steadier).",
        "",
        f"Command: `{command_line()}`",
        "",
        f"Every scenario the lab ships, {runs} runs each (one warm-up check not counted). "
        "Columns: docs/bench.md.",
        "",
        HEADER + "\n".join(scenario_line(r) for r in rows),
        "",
    ]
    failures = [(r.name, f) for r in rows for f in r.failed()]
    if failures:
        out += ["Failed expectations:", ""] + [f"- {n}: `{f}`" for n, f in failures] + [""]
    if boot is not None:
        out += [f"Start-up in the client namespace: `python -m pathprobe --version` {boot[0]:.2f} s "
                f"(median of 3); a check's imports (sum of `-X importtime` top-level) {boot[1]:.2f} s.", ""]
    if scale:
        out += [f"Scale: the `clean` network with N generated sites (`[options.origins] many = N`), "
                f"{runs} runs each.", "", HEADER + "\n".join(scenario_line(r) for _, r in scale), ""]
        by_n = {n: r for n, r in scale}
        if len(by_n) >= 2:
            lo, hi = min(by_n), max(by_n)
            wl = _med([r.wall for r in by_n[lo].runs])
            wh = _med([r.wall for r in by_n[hi].runs])
            pl = _med([slowest_probe(r.profile) for r in by_n[lo].runs])
            ph = _med([slowest_probe(r.profile) for r in by_n[hi].runs])
            out += [f"Growth {lo} → {hi} sites ({hi / lo:.0f}x the sites): wall {wh / wl:.2f}x, "
                    f"slowest probe {ph / pl:.2f}x (must stay far below {hi / lo:.0f}x).", ""]
    out.append(END)
    return "\n".join(out) + "\n"


def write_section(path: Path, section: str) -> None:
    text = path.read_text("utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + section.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    path.write_text(text, "utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="checks per scenario (default 5)")
    ap.add_argument("--scenarios", default=None, help="comma-separated names or files (default: every shipped one)")
    ap.add_argument("--scale", default="20,200", help="site counts for the scale runs (default 20,200)")
    ap.add_argument("--no-scale", action="store_true", help="skip the scale runs")
    ap.add_argument("--write", type=Path, default=None, help="write the section into this Markdown file")
    a = ap.parse_args()
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    try:
        sizes = [] if a.no_scale else [int(x) for x in a.scale.split(",") if x.strip()]
    except ValueError:
        ap.error("--scale takes whole numbers, e.g. 20,200")
    if any(not 1 <= n <= w.MANY_MAX for n in sizes):
        ap.error(f"--scale: from 1 to {w.MANY_MAX} sites")
    try:
        preflight()
        names = [x.strip() for x in a.scenarios.split(",")] if a.scenarios else sc.shipped()
        scenarios = [sc.load(n) for n in names if n]
    except PathprobeError as exc:
        print(f"lab_bench: {exc}", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load0 = f"{os.getloadavg()[0]:.1f}"
    logs = Path(tempfile.mkdtemp(prefix="pp-lab-bench-"))
    print(f"lab benchmark: {len(scenarios)} scenarios x {a.runs} runs; check logs in {logs}")
    rows: list[Row] = []
    scale: list[tuple[int, Row]] = []
    boot = None
    try:
        for i, scn in enumerate(scenarios):
            rows.append(measure(scn, a.runs, logs, warm_up=i == 0))
        runnable = [s for s in scenarios if not s.missing_kinds()]
        if runnable:
            boot = startup(runnable[0], logs)
        for n in sizes:
            scn = sc.load(str(scale_scenario(n, 4, logs)))
            scale.append((n, measure(scn, a.runs, logs, warm_up=n == sizes[0])))
    except PathprobeError as exc:
        print(f"lab_bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lab_bench: interrupted (the lab was taken down)", file=sys.stderr)
        return 130
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    section = report(rows, scale, a.runs, started, (load0, f"{os.getloadavg()[0]:.1f}"), boot)
    print()
    print(section)
    print(f"(bench process itself: peak RSS {own / 1024:.0f} MB)")
    if a.write:
        write_section(a.write, section)
        print(f"written to {a.write}")
    bad = [r for r in rows + [r for _, r in scale] if r.failed() or (r.false_interception() or 0) > 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
