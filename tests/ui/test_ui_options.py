"""``pathprobe ui``'s check options are what its button runs: the same options as ``check`` (one builder,
``pathprobe.cli.check.check_options``), the probe kinds' own options (tor's ``--bridge``) included; and
when the server stops (SIGTERM, as Ctrl-C), the running check stops what it started — tor too — and
no worker is left behind."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from pathprobe.cli.main import build_app
from tests.ui.uihelpers import Net, Ui, local_net, run_ui, wait_for

FINGERPRINT = "A" * 40
NOT_FOR_THE_PAGE = {"as_json", "out", "quiet", "accept_risk"}
"""``check``'s options that shape its terminal output or its consent: the page has its own."""


def params(command: str) -> set[str]:
    import typer

    app = build_app(command)
    group = typer.main.get_command(app)
    cmd = group.commands[command]  # type: ignore[attr-defined]
    return {p.name for p in cmd.params}


def test_ui_takes_every_check_option_that_makes_sense() -> None:
    check, ui = params("check"), params("ui")
    assert "bridge" in check  # a probe kind's option (tor): learnt from the kinds
    missing = check - NOT_FOR_THE_PAGE - ui
    assert not missing, missing
    assert {"host", "port", "no_browser"} <= ui


def client(ui: Ui) -> httpx.Client:
    jar = {f"pathprobe_ui_{ui.port}": ui.token}
    return httpx.Client(base_url=ui.base, cookies=jar, headers={"Origin": ui.base, "Accept": "application/json"},
                        timeout=60)


def run_check(c: httpx.Client) -> None:
    assert c.post("/consent").status_code in (202, 303)
    r = c.post("/check")
    assert r.status_code == 202, r.text
    with c.stream("GET", "/events") as events:
        for line in events.iter_lines():
            if line == "event: end":
                break


def tor_plan(net: Net, extra: str = "") -> Path:
    plan = net.folder / "tor-plan.toml"
    plan.write_text(net.plan.read_text("utf-8") + f'\n[[probe]]\nkind = "tor"\ntransport = "vanilla"\n{extra}',
                    "utf-8")
    return plan


def site_port(net: Net) -> int:
    text = net.plan.read_text("utf-8")
    return int(text.split("facebook.com:", 1)[1].split('"', 1)[0])


def test_a_bridge_given_to_ui_is_what_the_button_tests(tmp_path: Path) -> None:
    with local_net(tmp_path) as net:
        # Without --bridge this vanilla probe would go to Tor's directory authorities: never run so here.
        bridge = f"127.0.0.1:{site_port(net)} {FINGERPRINT}"
        args = ["--plan", str(tor_plan(net)), *net.check_args()[2:], "--bridge", bridge]
        with run_ui(tmp_path, 19340, args, net.hosts) as ui, client(ui) as c:
            run_check(c)
            r = c.get("/profile.json")
            assert r.status_code == 200, c.get("/part/result").text
            profile = json.loads(r.text)
    tor = next(p for p in profile["paths"] if p["id"] == "tor:vanilla")
    assert tor["detail"]["bridges"], tor  # the bridge from ui's command line, not the authorities
    hops = {t["target"] for t in tor["targets"]}
    assert hops == {f"vanilla {b}" for b in tor["detail"]["bridges"]} and len(hops) == 1, hops  # that bridge alone
    assert bridge not in r.text  # a bridge line is secret: the profile names it by its id only


def test_a_bad_bridge_given_to_ui_is_the_checks_one_clear_message(tmp_path: Path) -> None:
    with local_net(tmp_path) as net:
        # A plain bridge line, but the plan has no tor probe to use it: check's own bad input.
        args = [*net.check_args(), "--bridge", f"127.0.0.1:9 {FINGERPRINT}"]
        with run_ui(tmp_path, 19341, args, net.hosts) as ui, client(ui) as c:
            run_check(c)
            result = c.get("/part/result").text
    assert 'id="check-error"' in result and "--bridge #1: no tor probe in the plan" in result


def children(pid: int) -> set[int]:
    """``pid``'s descendants, from /proc."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        kids.setdefault(int(fields[1]), []).append(int(entry))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            if k not in out:
                out.add(k)
                todo.append(k)
    return out


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        return ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_server_stops_the_check_and_its_tor(tmp_path: Path, sig: int) -> None:
    with local_net(tmp_path) as net:
        # Full depth: tor is started, and tries to bootstrap through a "bridge" that is a plain TLS
        # server, which never works: the check is still running tor when the server is stopped.
        bridge = f"127.0.0.1:{site_port(net)} {FINGERPRINT}"
        plan = tor_plan(net, "bootstrap = true\nbootstrap_timeout = 120\n")
        args = ["--plan", str(plan), *net.check_args()[2:], "--bridge", bridge]
        scratch = tmp_path / "scratch"  # tor's data and control directories (they name the bridges)
        scratch.mkdir()
        env = {"PATHPROBE_TOR_TMPDIR": str(scratch), "TMPDIR": str(scratch)}
        with run_ui(tmp_path, 19342 + (sig == signal.SIGINT), args, net.hosts, env) as ui, client(ui) as c:
            assert c.post("/consent").status_code == 202
            assert c.post("/check").status_code == 202
            tors: set[int] = set()

            def tor_started() -> bool:
                tors.update(p for p in children(ui.proc.pid) if comm(p) == "tor")
                return bool(tors)

            wait_for(tor_started, within=30)
            assert list(scratch.iterdir())
            assert c.get("/part/result").text == ""  # the check is still running
            t0 = time.monotonic()
            ui.proc.send_signal(sig)
            code = ui.proc.wait(30)
            took = time.monotonic() - t0
            stderr = ui.proc.stderr.read() if ui.proc.stderr else ""
    assert code == 130, stderr
    assert took < 15, took
    assert not [p for p in tors if running(p)], "tor left running after pathprobe ui stopped"
    assert "did not stop in time" not in stderr and "The check that was running was stopped." in stderr, stderr
    assert list(scratch.iterdir()) == []  # the check removed what it made, as the CLI's does on Ctrl-C


def test_jobs_stop_ends_a_running_check_and_its_tor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process, before any exit hook could help: stop() cancels the check's tasks, each stops what it
    started (tor, its directories), and the worker thread ends; the job says why, in its language."""
    from pathprobe.cli.check import check_options
    from pathprobe.i18n import translate
    from pathprobe.tor import launch
    from pathprobe.ui.jobs import FAILED, Jobs

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("PATHPROBE_TOR_TMPDIR", str(scratch))
    with local_net(tmp_path) as net:
        monkeypatch.setenv("PATHPROBE_HOSTS", str(net.hosts))
        options = check_options(
            plan=[tor_plan(net, "bootstrap = true\nbootstrap_timeout = 120\n")], only=None,
            public_roots=net.public, device_roots=net.device, known_roots=None, legacy_public_roots=None,
            timeout=3, full=False, label=None,
            probe_options={"bridge": [f"127.0.0.1:{site_port(net)} {FINGERPRINT}"], "unused": None},
        )
        jobs = Jobs(options)
        assert jobs.start_check(lang="kk") is not None
        wait_for(lambda: bool(launch.running_pids()), within=30)
        tors = launch.running_pids()
        assert list(scratch.iterdir())
        assert jobs.stop(20)
        assert jobs.alive() == [] and launch.running_pids() == []
        assert not [p for p in tors if running(p)]
        assert list(scratch.iterdir()) == []
        job = jobs.snapshot()
        assert job is not None and job.state == FAILED
        assert job.error == translate("The check was stopped: pathprobe ui is closing.", "kk") != \
            "The check was stopped: pathprobe ui is closing."
        assert jobs.start_check() is None  # nothing new starts once the server stops
