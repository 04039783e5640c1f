"""Full depth against the private Tor network: bootstrap, HTTPS through Tor, and tor's lifetime."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pathprobe.analysis.pipeline import analyse
from pathprobe.analysis.roots import KnownRoots, RootSet
from pathprobe.analysis.verdicts import Roots
from pathprobe.lab.servers.tor import COMMON
from pathprobe.model import HostPort, PathMeasurement
from pathprobe.probes.base import RunContext
from pathprobe.probes.tor import TorProbe
from pathprobe.tor import launch
from pathprobe.tor.bridges import parse_bridge
from pathprobe.tor.launch import torrc_lines

from .conftest import SITE, SITE_PORT, World
from .servers import HttpsOrigin

SITES = [HostPort(SITE, SITE_PORT)]


def roots(world: World) -> Roots:
    pub = RootSet.of("public", [world.public_ca.cert], "test")
    dev = RootSet.of("device", [world.public_ca.cert, world.interception_ca.cert], "test")
    return Roots(public=pub, device=dev, known=KnownRoots(()))


def profile_of(world: World, paths: tuple[PathMeasurement, ...] | list[PathMeasurement]) -> dict[str, Any]:
    return analyse(list(paths), None, roots(world)).to_dict()


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    return out


def processes_mentioning(text: str) -> list[int]:
    """PIDs whose command line contains ``text`` (the per-test temp dir: only our tor has it)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmd and alive(int(entry)):
            found.append(int(entry))
    return found


def wait_for(cond: Any, limit: float, what: str) -> Any:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def toml_value(v: object) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(json.dumps(x) for x in v) + "]"
    return json.dumps(v)


def write_plan(
    path: Path,
    world: World,
    *,
    direct: bool,
    transport: str = "vanilla",
    bridges: list[str] | None = None,
    bootstrap_timeout: int = 60,
    site: str = f"{SITE}:{SITE_PORT}",
) -> Path:
    lines = []
    if direct:
        lines += ["[[probe]]", 'kind = "direct"', f'sites = ["{site}"]', ""]
    lines += [
        "[[probe]]",
        'kind = "tor"',
        f'name = "{transport}"',
        f'transport = "{transport}"',
        f"bootstrap_timeout = {bootstrap_timeout}",
        f'sites = ["{site}"]',
    ]
    if bridges:
        lines.append(f"bridges = {toml_value(bridges)}")
    lines.append("[probe.torrc]")
    lines += [f"{k} = {toml_value(v)}" for k, v in world.torrc().items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_check_full_https_through_tor_witnesses_interception(world: World, tmp_path: Path) -> None:
    """The whole CLI: direct is intercepted (device-trusted root), Tor sees the genuine chain."""
    plan = write_plan(tmp_path / "plan.toml", world, direct=True)
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1 {SITE}\n")  # the direct path reaches the interceptor
    (tmp_path / "public.pem").write_bytes(world.public_ca.cert_pem())
    (tmp_path / "device.pem").write_bytes(world.public_ca.cert_pem() + world.interception_ca.cert_pem())
    env = {**os.environ, "PATHPROBE_HOSTS": str(hosts)}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pathprobe",
            "check",
            "--plan",
            str(plan),
            "--full",
            "--json",
            "--timeout",
            "8",
            "--public-roots",
            str(tmp_path / "public.pem"),
            "--device-roots",
            str(tmp_path / "device.pem"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    prof = json.loads(r.stdout)
    paths = {p["id"]: p for p in prof["paths"]}
    tor = paths["tor:vanilla"]
    assert (tor["reachability"], tor["tls"]) == ("reachable", "intact"), json.dumps(
        {"path": tor, "observations": [o for o in prof["observations"] if o["path"] == "tor:vanilla"]}, indent=1
    )[-6000:]
    assert tor["targets"][0]["target"] == f"{SITE}:{SITE_PORT}"
    boot = tor["detail"]["bootstrap"]
    assert boot["tor_progress"] == 100 and boot["tor_progress_tag"] == "done" and boot["bootstrap_time"] > 0
    assert [h["reachability"] for h in tor["detail"]["first_hops"]] == ["reachable"] * 3
    direct = paths["direct"]
    assert direct["tls"] == "intercepted"
    assert {"device_trusted_not_public", "cross_path_mismatch"} <= set(direct["targets"][0]["signals"])
    assert prof["recommendation"]["path"] == "tor:vanilla"
    steps = {(o["path"], o["step"]) for o in prof["observations"]}
    assert ("tor:vanilla", "bootstrap") in steps and ("tor:vanilla", "proxy") in steps
    assert world.dns.queries and all(q == f"{SITE}." for q in world.dns.queries)  # the exit resolved it
    assert processes_mentioning(os.environ[launch.TMP_ENV]) == []
    assert os.listdir(os.environ[launch.TMP_ENV]) == []  # data directories removed


def test_obfs4_full_through_the_bridge(world: World) -> None:
    line = world.net.obfs4_bridge_line()
    probe = TorProbe(
        "obfs4",
        "obfs4",
        [parse_bridge(line, "t")],
        bootstrap=True,
        sites=SITES,
        torrc=torrc_lines(world.torrc(), "t"),
    )
    res = asyncio.run(probe.run(RunContext(timeout=8.0)))
    prof = profile_of(world, res.paths)
    (p,) = prof["paths"]
    assert (p["id"], p["reachability"], p["tls"]) == ("tor:obfs4", "reachable", "intact"), p
    assert p["detail"]["bootstrap"]["tor_progress"] == 100
    assert any("conn_pt" in ln or "pluggable transport" in ln for ln in p["detail"]["bootstrap"]["tor_logs"])
    text = json.dumps(prof)
    bridge = world.net.node("bridge")
    assert f"{bridge.address}:{bridge.second_port}" not in text and world.net.obfs4_cert not in text
    assert world.net.fingerprints["bridge"] not in text
    assert launch.running_pids() == []


def test_missing_tor_binary_is_unknown_with_what_to_install(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(launch.TOR_ENV, "/nonexistent/tor")
    probe = TorProbe(
        "vanilla", "vanilla", [], bootstrap=True, sites=SITES, torrc=torrc_lines(world.torrc(), "t")
    )
    res = asyncio.run(probe.run(RunContext(timeout=5.0)))
    (p,) = profile_of(world, res.paths)["paths"]
    assert p["reachability"] == "unknown" and p["tls"] == "unverified"
    assert "tor is not installed" in p["reason"] and "apt install tor" in p["reason"]
    assert "PATHPROBE_TOR" in p["reason"]
    assert [h["reachability"] for h in p["detail"]["first_hops"]] == ["reachable"] * 3
    quick = asyncio.run(
        TorProbe("vanilla", "vanilla", [], torrc=torrc_lines(world.torrc(), "t")).run(RunContext(timeout=5.0))
    )
    assert [t.reachability for t in quick.paths[0].targets] == ["reachable"] * 3  # quick needs no tor


def test_missing_transport_binary_is_unknown(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHPROBE_PT_OBFS4", "/nonexistent/lyrebird")
    probe = TorProbe(
        "obfs4",
        "obfs4",
        [parse_bridge(world.net.obfs4_bridge_line(), "t")],
        bootstrap=True,
        sites=SITES,
        torrc=torrc_lines(world.torrc(), "t"),
    )
    res = asyncio.run(probe.run(RunContext(timeout=5.0)))
    (p,) = profile_of(world, res.paths)["paths"]
    assert p["reachability"] == "unknown"
    assert "obfs4 transport is not installed" in p["reason"] and "obfs4proxy" in p["reason"]


def test_unreached_first_hops_block_without_starting_tor() -> None:
    torrc = [
        *COMMON.items(),
        *(
            ("DirAuthority", f"a{i} orport={p} no-v2 v3ident={'A' * 40} 127.0.0.1:1 {'B' * 40}")
            for i, p in enumerate(range(18580, 18583))
        ),
    ]
    probe = TorProbe("vanilla", "vanilla", [], bootstrap=True, sites=SITES, torrc=list(torrc))
    res = asyncio.run(probe.run(RunContext(timeout=2.0)))
    (path,) = res.paths
    assert path.targets == () and path.blocked_reason
    assert "none of the 3 directory authorities answered (connection_refused)" in path.blocked_reason
    assert "bootstrap" not in {o.step for o in path.observations}
    assert os.listdir(os.environ[launch.TMP_ENV]) == []  # no data directory: tor never started


def test_bootstrap_deadline_stops_tor(world: World, tmp_path: Path) -> None:
    """A first hop that completes TLS but is no relay: tor never bootstraps; the deadline ends it."""
    fake = HttpsOrigin("127.0.0.1", 18584, world.public_ca, ["fake.pp.test"], tmp_path)
    try:
        torrc = [
            *COMMON.items(),
            ("DirAuthority", f"fake orport=18584 no-v2 v3ident={'A' * 40} 127.0.0.1:18585 {'B' * 40}"),
        ]
        probe = TorProbe(
            "vanilla", "vanilla", [], bootstrap=True, bootstrap_timeout=3, sites=SITES, torrc=list(torrc)
        )
        res = asyncio.run(probe.run(RunContext(timeout=3.0)))
    finally:
        fake.close()
    (path,) = res.paths
    assert path.targets == ()
    assert path.blocked_reason and "tor's bootstrap did not finish at" in path.blocked_reason
    boot = [o for o in path.observations if o.step == "bootstrap"]
    assert len(boot) == 1 and boot[0].failure == "generic_timeout_error"
    assert boot[0].detail["tor_progress"] < 100
    assert launch.running_pids() == []
    assert os.listdir(os.environ[launch.TMP_ENV]) == []


def test_cancellation_stops_tor_and_its_transport(world: World) -> None:
    probe = TorProbe(
        "obfs4",
        "obfs4",
        [parse_bridge(world.net.obfs4_bridge_line(), "t")],
        bootstrap=True,
        sites=SITES,
        torrc=torrc_lines(world.torrc(), "t"),
    )
    seen: list[int] = []

    async def main() -> None:
        task = asyncio.create_task(probe.run(RunContext(timeout=8.0)))
        while True:  # until tor runs and has started its obfs4 client
            await asyncio.sleep(0.05)
            assert not task.done(), "the probe finished before it could be cancelled"
            pids = launch.running_pids()
            kids = [c for p in pids for c in children(p)]
            if pids and kids:
                seen.extend(pids + kids)
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert seen
    assert [p for p in seen if alive(p)] == [] or wait_for(
        lambda: not any(alive(p) for p in seen), 10, "exit"
    )
    assert launch.running_pids() == []


SILENT_SITE_PORT = 18588
"""A listener that accepts (the kernel's backlog) and never answers: the check waits on it through Tor."""


@pytest.fixture
def silent_site() -> Iterator[str]:
    with socket.create_server(("127.0.0.1", SILENT_SITE_PORT)) as srv:
        yield f"127.0.0.1:{SILENT_SITE_PORT}"
        srv.close()


def _ctrl_c_not_ignored() -> None:
    """A person's Ctrl-C is never ignored; a test run as a background job inherits SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_check(world: World, tmp_path: Path, site: str) -> tuple[subprocess.Popen[bytes], list[int]]:
    """A full check through the obfs4 bridge whose site (through the exit) never answers, so the check
    is still running, tor with it, whenever the test signals it."""
    plan = write_plan(
        tmp_path / "plan.toml",
        world,
        direct=False,
        transport="obfs4",
        bridges=[world.net.obfs4_bridge_line()],
        site=site,
    )
    proc = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "pathprobe", "check", "--plan", str(plan), "--full", "--json", "--timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_ctrl_c_not_ignored,
    )
    marker = os.environ[launch.TMP_ENV]

    def tor_with_transport() -> list[int]:
        pids = processes_mentioning(marker)
        kids = [c for p in pids for c in children(p)]
        return pids + kids if pids and kids else []

    pids = wait_for(tor_with_transport, 60, "tor and its obfs4 client to start")
    return proc, pids


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_tor(world: World, tmp_path: Path, silent_site: str, sig: signal.Signals) -> None:
    """Ctrl-C or SIGTERM (what ``lab check`` sends first): tor and its transport stop, and their
    directories, whose torrc (0600 while it exists) names the bridge, are removed."""
    proc, pids = _start_check(world, tmp_path, silent_site)
    tmp = Path(os.environ[launch.TMP_ENV])
    try:
        (torrc,) = tmp.glob("pathprobe-tor-*/torrc")
        assert torrc.stat().st_mode & 0o777 == 0o600 and torrc.parent.stat().st_mode & 0o777 == 0o700
        assert "Bridge obfs4 " in torrc.read_text()
        proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # say where it hangs: faulthandler dumps every thread on SIGABRT
            proc.send_signal(signal.SIGABRT)
            _, err = proc.communicate(timeout=30)
            raise AssertionError(f"the check did not stop:\n{err.decode(errors='replace')[-6000:]}") from None
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    wait_for(lambda: not any(alive(p) for p in pids), 10, "tor to exit after Ctrl-C")
    assert processes_mentioning(str(tmp)) == []
    assert os.listdir(tmp) == []  # data directories and torrc files removed


def test_tor_does_not_outlive_a_killed_check(world: World, tmp_path: Path, silent_site: str) -> None:
    """Even SIGKILL, which runs no cleanup: tor took ownership, so it exits when pathprobe goes."""
    proc, pids = _start_check(world, tmp_path, silent_site)
    proc.kill()
    proc.communicate(timeout=30)
    wait_for(lambda: not any(alive(p) for p in pids), 30, "tor to exit after its owner was killed")


def test_tests_never_start_a_tor_that_could_reach_the_public_network() -> None:
    """The guard every test runs under (PATHPROBE_TOR_PRIVATE_ONLY=1): no test-network torrc, no tor."""
    tor = launch.find_tor()
    assert tor is not None
    launcher = launch.TorLauncher(tor, [("TestingTorNetwork", "1")])
    with pytest.raises(RuntimeError, match="does not confine tor to a test network"):
        asyncio.run(launcher.start())
    assert launch.running_pids() == []
    line = "x orport=1 127.0.0.1:2 " + "A" * 40
    assert launch.is_private_network([*COMMON.items(), ("DirAuthority", line)])


def test_a_torrc_tor_rejects_is_unknown_not_blocked(world: World) -> None:
    torrc = [*torrc_lines(world.torrc(), "t"), ("NoSuchTorOption", "1")]
    probe = TorProbe("vanilla", "vanilla", [], bootstrap=True, sites=SITES, torrc=torrc)
    res = asyncio.run(probe.run(RunContext(timeout=5.0)))
    (path,) = res.paths
    assert path.blocked_reason is None and path.targets == ()
    assert path.untested_reason and "tor could not be started" in path.untested_reason
    assert "NoSuchTorOption" in path.untested_reason
    assert launch.running_pids() == []


def test_a_failing_transport_binary_is_unknown_not_blocked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHPROBE_PT_OBFS4", "/bin/false")  # installed, but no obfs4 client
    probe = TorProbe("obfs4", "obfs4", [parse_bridge(world.net.obfs4_bridge_line(), "t")], bootstrap=True,
                     bootstrap_timeout=10, sites=SITES, torrc=torrc_lines(world.torrc(), "t"))
    res = asyncio.run(probe.run(RunContext(timeout=5.0)))
    (path,) = res.paths
    assert path.blocked_reason is None and path.targets == ()
    assert path.untested_reason and path.untested_reason.startswith("the transport binary failed")
    (boot,) = [o for o in path.observations if o.step == "bootstrap"]
    assert boot.failure == "tor_transport_failed"  # told at once, not at the bootstrap deadline
    assert launch.running_pids() == []
