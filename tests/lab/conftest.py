"""Lab fixtures: run ``pathprobe lab ...`` as a subprocess (root, the real namespaces and programs).

A lab test that cannot run here (not root, a program missing) is skipped on a workstation and FAILS
in CI (``CI=true`` or ``PATHPROBE_CI=1``). The one exception: a scenario whose plan needs a probe
kind this pathprobe does not have yet is skipped everywhere, naming the kind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pathprobe.lab import world as w

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"
LAB_NAMESPACES = w.NAMESPACES
"""pp-client, pp-censor, pp-inet (with ``PATHPROBE_LAB_PREFIX=pp-x-``: pp-x-client, ...)."""


def in_ci() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("PATHPROBE_CI") == "1"


def lab_problem() -> str | None:
    from pathprobe.lab.services.interceptor import mitmdump_path
    from pathprobe.lab.topology import platform_problem

    problem = platform_problem()
    if problem:
        return problem
    missing = [p for p in ("nft", "unbound", "microsocks") if shutil.which(p) is None]
    exe = mitmdump_path()
    if exe is None or not os.access(exe, os.X_OK):
        missing.append("mitmdump (set PATHPROBE_MITMDUMP or run scripts/setup.sh)")
    return f"lab programs missing: {', '.join(missing)}" if missing else None


def need_lab() -> None:
    problem = lab_problem()
    if problem:
        if in_ci():
            pytest.fail(f"lab test cannot run in CI: {problem}")
        pytest.skip(problem)


def need_kinds(scenario: str) -> None:
    from pathprobe.lab.scenario import load

    missing = load(scenario).missing_kinds()
    if missing:
        pytest.skip(
            f"scenario {scenario} needs probe kind '{', '.join(missing)}', not importable on this branch yet"
        )
    need_programs(scenario)


TUN_PROGRAMS = ("openvpn", "wireguard-go")
"""Services that create a tun device in their namespace (they need /dev/net/tun)."""


def need_programs(scenario: str) -> None:
    """Every program the scenario's services run (and /dev/net/tun for the VPN servers) is here;
    skipped on a workstation without them, a failure in CI."""
    from pathprobe.lab.lifecycle import services_for
    from pathprobe.lab.scenario import load

    programs = [p for s in services_for(load(scenario)) for p in s.programs()]
    missing = [p for p in dict.fromkeys(programs) if shutil.which(p) is None and not os.access(p, os.X_OK)]
    if any(p in TUN_PROGRAMS for p in programs) and not os.path.exists("/dev/net/tun"):
        missing.append("/dev/net/tun")
    if missing:
        problem = f"scenario {scenario} needs {', '.join(missing)} (run scripts/setup.sh)"
        if in_ci():
            pytest.fail(f"lab test cannot run in CI: {problem}")
        pytest.skip(problem)


@dataclass
class Cli:
    rc: int
    out: str
    err: str

    def text(self) -> str:
        return f"exit {self.rc}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class LabRunner:
    def __init__(self, state: Path, tmp: Path) -> None:
        self.state = state
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])
        self.env["PATHPROBE_LAB_STATE"] = str(state)
        self.env["PATHPROBE_ACCEPT_RISK"] = "1"
        # The check's tor clients keep their data directories here, so a test can tell whether any of
        # them outlived the check (their command lines name this directory).
        self.tor_tmp = tmp / "tor-clients"
        self.tor_tmp.mkdir(exist_ok=True)
        self.env["PATHPROBE_TOR_TMPDIR"] = str(self.tor_tmp)
        self._checks: dict[str, tuple[Cli, dict[str, Any] | None]] = {}

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "pathprobe", "lab", *args]

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 240) -> Cli:
        cp = subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**self.env, **(env or {})},
            check=False,
        )
        return Cli(cp.returncode, cp.stdout, cp.stderr)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            # Ctrl-C is sent by the tests: not ignored even when the suite runs as a background job.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    def check(self, scenario: str) -> tuple[Cli, dict[str, Any] | None]:
        """``lab check SCENARIO --out FILE`` once per session (scenario and reference tests share it)."""
        if scenario not in self._checks:
            out = self.tmp / f"{scenario}.json"
            cli = self.run("check", scenario, "--out", str(out))
            profile = json.loads(out.read_text()) if out.exists() else None
            self._checks[scenario] = (cli, profile)
        return self._checks[scenario]

    def state_json(self) -> dict[str, Any] | None:
        p = self.state / "state.json"
        return json.loads(p.read_text()) if p.exists() else None


def namespaces() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    names = {line.split()[0] for line in out.splitlines() if line.strip()}
    return [n for n in LAB_NAMESPACES if n in names]


def assert_clean() -> None:
    assert namespaces() == [], f"lab namespaces left behind: {namespaces()}"
    left = [n for n in LAB_NAMESPACES if Path("/etc/netns", n).exists()]
    assert left == [], f"/etc/netns entries left behind: {left}"


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> LabRunner:
    need_lab()
    runner = LabRunner(tmp_path_factory.mktemp("lab-state"), tmp_path_factory.mktemp("lab-profiles"))
    return runner


@pytest.fixture
def clean_lab(lab: LabRunner) -> Any:
    """Each lifecycle test starts and ends with no lab up (a failed test does not leak into the next)."""
    lab.run("down")
    yield lab
    lab.run("down")
    assert_clean()
