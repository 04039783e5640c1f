"""A check from the page vs the same check from the command line, on one local plan (loopback only)
or on a lab scenario (root: the lab is brought up, both run in its client namespace).

    .venv/bin/python bench/bench_ui.py [--runs 5] [--sites 20] [--write BENCHMARKS.md]
    sudo .venv/bin/python bench/bench_ui.py --scenario kz-2019 [--runs 5] [--write BENCHMARKS.md]

In one run (ratios are only compared within a run), on the same plan of SITES sites served by a real
TLS server on 127.0.0.1:

  * CLI: wall time of `pathprobe check --json` (a process per check, interpreter start included);
  * page (HTTP): `pathprobe ui` already open; wall time from the click's POST /check to the answer's
    HTML (the server-sent events say "end", then GET /part/result) — what the page adds is the
    server, the live progress and the rendering of the answer;
  * page (browser): the same in headless Debian Chromium driven by Playwright, from the click on
    "Check this network" to the recommendation on screen (browser rendering included), when
    Playwright and /usr/bin/chromium are there.

With ``--scenario``, the lab is brought up once and this script runs itself again in the client
namespace (``--inner``) with the very check arguments ``pathprobe lab check`` uses (the scenario's
plan, roots, timeout), so the CLI and the page check the same censored network; then the lab is
taken down.

The ratio page / CLI is the figure: the page must add nothing to a check's time beyond the browser's
own rendering (the CLI pays the interpreter's start on every check, the page once).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
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

import httpx  # noqa: E402
from tests.servers import https_server  # noqa: E402
from tests.ui.uihelpers import run_ui  # noqa: E402

from pathprobe.lab.servers.pki import CA  # noqa: E402

PY = sys.executable
PORT = 19340


def cli_check(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    res = subprocess.run([PY, "-m", "pathprobe", "check", "--json", "--accept-risk", *args],
                         capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"pathprobe check failed:\n{res.stderr[-2000:]}")
    return wall


def page_check(client: httpx.Client) -> float:
    start = time.perf_counter()
    r = client.post("/check", headers={"Accept": "application/json"}, data={"label": ""})
    if r.status_code != 202:
        raise SystemExit(f"POST /check: {r.status_code} {r.text[:300]}")
    with client.stream("GET", "/events") as events:
        for line in events.iter_lines():
            if line == "event: end":
                break
    html = client.get("/part/result").text
    wall = time.perf_counter() - start
    if 'id="advice"' not in html:
        raise SystemExit("the page showed no answer:\n" + html[:2000])
    return wall


def browser_checks(url: str, runs: int) -> list[float]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return []
    exe = shutil.which("chromium")
    if exe is None:
        return []
    walls = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page()
        page.goto(url)
        for _ in range(runs):
            page.goto(url)
            button = page.get_by_role("button", name=re.compile("Check"))
            start = time.perf_counter()
            button.click()
            page.locator("#result #advice").wait_for(timeout=120_000)
            walls.append(time.perf_counter() - start)
        b.close()
    return walls


def measure(check_args: list[str], runs: int, hosts: Path | None, tmp: Path) -> tuple[list[float], list[float], list[float]]:
    """CLI, page (HTTP) and page (browser) wall times of ``runs`` checks with ``check_args``."""
    env = {**os.environ, **({"PATHPROBE_HOSTS": str(hosts)} if hosts else {})}
    cli = [cli_check(check_args, env) for _ in range(runs)]
    with ExitStack() as st:
        ui = st.enter_context(run_ui(tmp, PORT, check_args, hosts))
        base = ui.base
        client = st.enter_context(httpx.Client(base_url=base, cookies={f"pathprobe_ui_{PORT}": ui.token},
                                               headers={"Origin": base}, timeout=120))
        client.post("/consent")  # the person accepted the notice once
        page = [page_check(client) for _ in range(runs)]
        browser = browser_checks(ui.url, runs)
    return cli, page, browser


def in_lab(name: str, runs: int) -> tuple[list[float], list[float], list[float], str]:
    """Bring scenario ``name`` up, measure inside its client namespace (this script with ``--inner``),
    take it down; the times and a description of the plan."""
    from pathprobe.lab import scenario
    from pathprobe.lab.lifecycle import Lab, check_command, preflight

    preflight()
    scn = scenario.load(name)
    lab = Lab(lambda _: None)
    st = lab.up(scn)
    try:
        argv = check_command(scn, st)
        at = argv.index(sys.executable)
        prefix, rest = argv[:at], argv[at + 4:]  # after: python -m pathprobe check
        check_args = [a for a in rest if a not in ("--json", "--accept-risk")]
        inner = [*prefix, sys.executable, str(Path(__file__).resolve()), "--inner", "--runs", str(runs), "--",
                 *check_args]
        res = subprocess.run(inner, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise SystemExit(f"the run in the client namespace failed:\n{res.stderr[-3000:]}")
        out = json.loads(res.stdout.strip().splitlines()[-1])
    finally:
        lab.down()
    return out["cli"], out["page"], out["browser"], f"the lab scenario `{name}` (its plan, timeout {scn.timeout:g} s)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sites", type=int, default=20)
    ap.add_argument("--scenario", default=None, help="measure on this lab scenario (root)")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--write", type=Path, default=None, help="append the table to this Markdown file")
    ap.add_argument("check_args", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pp-bench-ui-"))
    if args.inner:  # in the lab's client namespace: measure and print the times as JSON
        cli, page, browser = measure(args.check_args, args.runs, None, tmp)
        print(json.dumps({"cli": cli, "page": page, "browser": browser}))
        return
    if args.scenario:
        cli, page, browser, what = in_lab(args.scenario, args.runs)
        write(args, cli, page, browser, what, f"--scenario {args.scenario}")
        return
    ca = CA("Bench Root")
    roots = tmp / "roots.pem"
    roots.write_bytes(ca.cert_pem())
    with ExitStack() as st:
        port = st.enter_context(https_server(ca.issue("*.bench.test", "bench.test"), tmp))
        names = [f"s{i}.bench.test" for i in range(args.sites)]
        hosts = tmp / "hosts"
        hosts.write_text("".join(f"127.0.0.1 {n}\n" for n in names))
        plan = tmp / "plan.toml"
        plan.write_text('[[probe]]\nkind = "direct"\nsites = [' + ", ".join(f'"{n}:{port}"' for n in names) + "]\n")
        check_args = ["--plan", str(plan), "--public-roots", str(roots), "--device-roots", str(roots)]
        cli, page, browser = measure(check_args, args.runs, hosts, tmp)
    write(args, cli, page, browser, f"{args.sites} sites on one TLS server on 127.0.0.1", f"--sites {args.sites}")


def write(args: argparse.Namespace, cli: list[float], page: list[float], browser: list[float], what: str,
          option: str) -> None:
    med_cli, med_page = statistics.median(cli), statistics.median(page)
    rows = [
        (f"`pathprobe check` on {what} (median s, process start included)", f"{med_cli:.2f}"),
        ("page over HTTP: click to answer HTML (median s)", f"{med_page:.2f}"),
        ("ratio page (HTTP) / CLI (goal: at most 1, nothing added)", f"{med_page / med_cli:.2f}"),
    ]
    if browser:
        med_b = statistics.median(browser)
        rows += [
            ("page in headless Chromium: click to recommendation on screen (median s)", f"{med_b:.2f}"),
            ("ratio page (browser) / CLI", f"{med_b / med_cli:.2f}"),
        ]
    header = (f"### Check from the page vs the CLI — {dt.date.today().isoformat()}, {platform.machine()}, "
              f"{os.cpu_count()} cores, Python {platform.python_version()}, {args.runs} runs\n\n"
              f"Command: `.venv/bin/python bench/bench_ui.py --runs {args.runs} {option}`\n\n"
              "| measure | value |\n|---|---|\n")
    table = header + "".join(f"| {a} | {b} |\n" for a, b in rows)
    print(table)
    if args.write:
        with args.write.open("a") as fh:
            fh.write("\n" + table)


if __name__ == "__main__":
    main()
