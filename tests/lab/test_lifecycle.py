"""Lifecycle: up twice, down twice, a stale lab from an earlier run, crashed services, Ctrl-C during up.

Each ends with the machine clean: none of pp-client / pp-censor / pp-inet, nothing under their
/etc/netns entries, and no process the lab had started still running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pathprobe.lab import world as w

from .conftest import LabRunner, assert_clean, namespaces, pid_alive

pytestmark = pytest.mark.lab


def _pids(state: dict | None) -> list[int]:  # type: ignore[type-arg]
    return [s["pid"] for s in (state or {}).get("services", [])]


def test_up_twice_down_twice(clean_lab: LabRunner) -> None:
    lab = clean_lab
    first = lab.run("up", "clean")
    assert first.rc == 0, first.text()
    assert "lab up: scenario 'clean'" in first.out
    pids = _pids(lab.state_json())
    assert pids and all(pid_alive(p) for p in pids)
    assert namespaces() == list(w.NAMESPACES)

    second = lab.run("up", "clean")
    assert second.rc == 1, second.text()
    assert "a lab is already up (scenario 'clean'" in second.err
    assert all(pid_alive(p) for p in pids), "a refused 'up' must leave the running lab alone"

    status = lab.run("status")
    assert status.rc == 0 and "running" in status.out, status.text()

    down = lab.run("down")
    assert down.rc == 0 and "lab down" in down.out, down.text()
    assert not any(pid_alive(p) for p in pids)
    assert_clean()

    again = lab.run("down")
    assert again.rc == 0 and "no lab is up" in again.out, again.text()
    assert_clean()


def test_stale_lab_from_an_earlier_run_is_removed(clean_lab: LabRunner, tmp_path: Path) -> None:
    lab = clean_lab
    # What a killed run leaves: namespaces, an /etc/netns entry, a program still running inside one,
    # and no state file.
    subprocess.run(["ip", "netns", "add", w.CLIENT_NS], check=True)
    subprocess.run(["ip", "netns", "add", w.INET_NS], check=True)
    Path("/etc/netns", w.INET_NS).mkdir(parents=True, exist_ok=True)
    Path("/etc/netns", w.INET_NS, "resolv.conf").write_text("nameserver 10.77.2.53\n")
    leftover = subprocess.Popen(["ip", "netns", "exec", w.INET_NS, "sleep", "300"], start_new_session=True)
    try:
        deadline = time.monotonic() + 5
        while leftover.pid not in _netns_pids(w.INET_NS) and time.monotonic() < deadline:
            time.sleep(0.02)

        up = lab.run("up", "clean")
        assert up.rc == 0, up.text()
        assert "removing a stale lab from an earlier run" in up.out, up.text()
        assert f"ending a leftover process in {w.INET_NS} (pid {leftover.pid})" in up.out, up.text()
        assert leftover.wait(timeout=5) is not None
        assert lab.run("status").rc == 0
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait()
    down = lab.run("down")
    assert down.rc == 0, down.text()
    assert_clean()


def _netns_pids(ns: str) -> list[int]:
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, check=False).stdout
    return [int(x) for x in out.split()]


def test_service_crashing_at_start_leaves_a_clean_machine(clean_lab: LabRunner) -> None:
    lab = clean_lab
    # A real crash: the interceptor's program exits at once with an error.
    res = lab.run("up", "kz-2019", env={"PATHPROBE_MITMDUMP": "/bin/false"})
    assert res.rc == 1, res.text()
    assert "service 'interceptor'" in res.err and "exited during start with code 1" in res.err, res.text()
    assert "taking the lab down again" in res.out
    assert "Traceback" not in res.err
    assert_clean()
    # The services that had started (origins, dns) were stopped: no process runs from that run's directory.
    runs = sorted((lab.state / "runs").iterdir())
    assert runs, "the run directory (with the logs) is kept"
    assert (runs[-1] / "interceptor" / "log").exists()
    assert _processes_mentioning(str(runs[-1])) == []


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmd and pid_alive(int(d.name)):
                found.append(int(d.name))
    return found


def test_service_crashing_while_up(clean_lab: LabRunner) -> None:
    lab = clean_lab
    assert lab.run("up", "clean").rc == 0
    state = lab.state_json()
    assert state is not None
    origins = next(s for s in state["services"] if s["instance"] == "origins")
    os.kill(origins["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pid_alive(origins["pid"]) and time.monotonic() < deadline:
        time.sleep(0.02)

    status = lab.run("status")
    assert status.rc == 1, status.text()
    assert "NOT RUNNING" in status.out and "not healthy" in status.out, status.text()

    # 'up' treats an unhealthy lab as stale: it removes it and starts again.
    up = lab.run("up", "clean")
    assert up.rc == 0, up.text()
    assert "removing a stale lab" in up.out
    assert "service 'origins' had already exited" in up.out, up.text()
    other = [s["pid"] for s in state["services"] if s["instance"] != "origins"]
    assert not any(pid_alive(p) for p in other), "the old lab's other services were stopped"
    assert lab.run("down").rc == 0
    assert_clean()


def test_ctrl_c_during_up_takes_the_lab_down(clean_lab: LabRunner) -> None:
    lab = clean_lab
    proc = lab.popen("up", "kz-2019")
    # Wait until services are starting (the interceptor takes a second or two to be ready).
    deadline = time.monotonic() + 30
    state = None
    while time.monotonic() < deadline:
        state = lab.state_json()
        if state and any(s["instance"] == "interceptor" for s in state["services"]):
            break
        time.sleep(0.01)
    assert state and state["status"] == "starting", f"never saw the lab starting: {state}"
    pids = _pids(state)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, f"{proc.returncode}\n{out}\n{err}"
    assert "taking the lab down again" in out
    assert "interrupted" in err
    assert "Traceback" not in err
    assert not any(pid_alive(p) for p in pids)
    assert lab.state_json() is None
    assert_clean()
