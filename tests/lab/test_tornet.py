"""The private Tor network in the lab (``tornet``) and the ``tor-bridge`` scenario.

As root (marker ``lab``): ``lab check tor-bridge`` meets every expectation with tor at full depth, and
afterwards no process of that lab (tor nodes, obfs4proxy, the check's tor clients) is left; a ``lab
down`` after a killed ``lab up`` ends the whole network; a tor node that dies during ``up`` fails the
up with its story and leaves nothing behind.

Without root: the scenario's plan carries the test network's client settings, the censor's filter
covers every authority and relay but not the bridge, the plan is validated once filled, and the
teardown counts a service's children as the service's.
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from pathprobe.errors import BadInput
from pathprobe.lab import world as w
from pathprobe.lab.scenario import fill_plan, load, placeholders

from .conftest import LabRunner, assert_clean, need_kinds, pid_alive

SCENARIO = "tor-bridge"


def need_tor() -> None:
    """tor, tor-gencert, obfs4proxy and the rest of the scenario's programs (scripts/setup.sh installs
    them): skipped on a workstation without them, failed in CI."""
    need_kinds(SCENARIO)


def lab_processes(*marks: Path) -> dict[int, str]:
    """Live processes whose command line or environment names one of ``marks`` (the lab's state
    directory: every service and tor node; the tor clients' directory: the check's tor and obfs4proxy)."""
    needles = [str(m).encode() for m in marks]
    out: dict[int, str] = {}
    me = os.getpid()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == me:
            continue
        try:
            cmd = (d / "cmdline").read_bytes()
            env = (d / "environ").read_bytes()
            name = (d / "comm").read_text().strip()
        except OSError:
            continue
        if any(n in cmd or n in env for n in needles) and pid_alive(int(d.name)):
            out[int(d.name)] = name
    return out


def wait_for(pred: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


# --------------------------------------------------------------------------- as root, the real network


@pytest.mark.lab
def test_tor_bridge_check_passes_and_leaves_no_tor_process(lab: LabRunner) -> None:
    need_tor()
    cli, profile = lab.check(SCENARIO)  # shared with test_scenarios.py: one network per session
    assert cli.rc == 0, cli.text()
    assert "expectations met" in cli.out and "FAIL" not in cli.out, cli.text()
    assert profile is not None
    paths = {p["id"]: p for p in profile["paths"]}
    # Full depth really ran: vanilla was refused from its first hops, the bridge path bootstrapped.
    vanilla = paths["tor:vanilla"]["detail"]
    assert vanilla["depth"] == "full" and "bootstrap" not in vanilla
    assert {h["failure"] for h in vanilla["first_hops"]} == {"generic_timeout_error"}
    assert len(vanilla["first_hops"]) == 3
    boot = paths["tor:obfs4"]["detail"]["bootstrap"]
    assert boot["tor_progress"] == 100 and boot["bootstrap_time"] > 0
    # The bridge line is a secret: never in the profile.
    run_dirs = sorted((lab.state / "runs").glob(f"*-{SCENARIO}"))
    assert run_dirs, "no run directory"
    plan = tomllib.loads((run_dirs[-1] / "plan.toml").read_text())
    line = next(p for p in plan["probe"] if p.get("transport") == "obfs4")["bridges"][0]
    text = json.dumps(profile)
    address, fingerprint, cert = line.split()[1:4]
    assert address not in text and fingerprint not in text and cert.removeprefix("cert=") not in text
    assert_clean()
    left = lab_processes(lab.state, lab.tor_tmp)
    assert left == {}, f"processes outlived 'lab check {SCENARIO}': {left}"


@pytest.mark.lab
def test_down_ends_the_tor_network_of_a_killed_up(clean_lab: LabRunner) -> None:
    """``lab up`` killed outright while the network starts: ``lab down`` ends every node by the recorded
    service (its children go with it, silently), and nothing is left."""
    need_tor()
    lab = clean_lab
    proc = lab.popen("up", SCENARIO)
    try:

        def started() -> bool:
            names = list(lab_processes(lab.state).values())
            return names.count("tor") >= 6 and "obfs4proxy" in names

        wait_for(started, 60, "the six tor nodes and the bridge's obfs4proxy")
        nodes = lab_processes(lab.state)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    state = lab.state_json()
    assert state is not None and state["status"] == "starting"
    assert "tornet" in {s["instance"] for s in state["services"]}

    down = lab.run("down")
    assert down.rc == 0, down.text()
    assert "lab down" in down.out
    assert "leftover" not in down.out, "the tor nodes belong to the tornet service: " + down.text()
    assert not [p for p in nodes if pid_alive(p)], f"still running after down: {nodes}"
    assert lab_processes(lab.state) == {}
    assert_clean()


@pytest.mark.lab
def test_a_tor_node_that_dies_during_up_fails_the_up_cleanly(clean_lab: LabRunner) -> None:
    need_tor()
    lab = clean_lab
    proc = lab.popen("up", SCENARIO)
    try:

        def auth1() -> int | None:
            for pid, name in lab_processes(lab.state).items():
                if name == "tor" and b"/auth1/torrc" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            return None

        wait_for(lambda: auth1() is not None, 60, "tor node auth1")
        pid = auth1()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, out + err
    assert "service 'tornet'" in err and "exited during start" in err, err
    assert "auth1 exited" in err, err  # the supervisor's log names the node
    assert "taking the lab down again" in out
    assert lab_processes(lab.state) == {}
    assert_clean()


# --------------------------------------------------------------------------- without root


def _tor_probes() -> list[dict[str, object]]:
    scn = load(SCENARIO)
    return [p for p in tomllib.loads(scn.plan)["probe"] if p["kind"] == "tor"]


def test_plan_carries_the_test_networks_client_settings() -> None:
    from pathprobe.lab.servers.tor import COMMON

    probes = _tor_probes()
    assert {p["transport"] for p in probes} == {"vanilla", "obfs4"}
    for p in probes:
        torrc = p["torrc"]
        assert isinstance(torrc, dict)
        assert p["bootstrap"] is True
        for key, value in COMMON.items():
            assert str(torrc[key]) == value, key
        assert torrc["DirAuthority"] == [f"{{{{tornet.dirauth{i}}}}}" for i in range(3)]
    assert placeholders(load(SCENARIO).plan) == [
        "tornet.dirauth0",
        "tornet.dirauth1",
        "tornet.dirauth2",
        "tornet.obfs4_bridge",
    ]


def test_the_filled_plan_is_a_private_tor_plan() -> None:
    """Filled as the lab fills it, the plan parses, and every tor probe is confined to the test network."""
    from pathprobe.plan import parse_plan_data
    from pathprobe.tor.launch import is_private_network, torrc_lines

    fp = "A" * 40
    values = {
        f"tornet.dirauth{i}": f"auth{i} orport=9000 no-v2 v3ident={fp} 10.77.2.10{i + 1}:9001 {fp}"
        for i in range(3)
    }
    cert = "a" * 70
    values["tornet.obfs4_bridge"] = f"obfs4 {w.TOR_ADDRS['bridge']}:9011 {fp} cert={cert} iat-mode=0"
    scn = load(SCENARIO)
    text = fill_plan(scn.plan, values, scn.source)
    parse_plan_data(tomllib.loads(text), "filled")
    for p in tomllib.loads(text)["probe"]:
        if p["kind"] == "tor":
            assert is_private_network(torrc_lines(p["torrc"], "t"))


def test_censor_drops_every_authority_and_relay_but_not_the_bridge() -> None:
    scn = load(SCENARIO)
    (block,) = scn.censor.blocks
    assert block.action == "drop" and block.port is None and block.to == w.TOR_RELAYS_NET
    net = ipaddress.IPv4Network(w.TOR_RELAYS_NET)
    for node, addr in w.TOR_ADDRS.items():
        assert (ipaddress.IPv4Address(addr) in net) == (node != "bridge"), node
        assert addr in w.inet_addresses()
    others = [a for a in w.inet_addresses() if a not in w.TOR_ADDRS.values()]
    assert w.DNS_ADDR in others and w.SITE_BY_NAME["www.bank.test"].address in others
    assert not any(ipaddress.IPv4Address(a) in net for a in others)
    # No node port is one an intercepting censor redirects (443) or the interceptor's own.
    ports = {w.TOR_BASE_PORT + i for i in range(2 * len(w.TOR_ADDRS))}
    assert not ports & {443, w.INTERCEPT_PORT}


def test_tornet_service_listens_on_every_node_and_publishes_the_plan_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's shape without starting it: node sockets, programs, and the values a plan names."""
    from pathprobe.lab.services import internet_service
    from pathprobe.lab.services.tornet import TorNetwork

    svc = internet_service("tornet")
    assert isinstance(svc, TorNetwork) and svc.netns == w.INET_NS
    listens = {(x.address, x.port) for x in svc.listens()}
    assert (w.TOR_ADDRS["auth0"], w.TOR_BASE_PORT) in listens  # ORPort
    assert (w.TOR_ADDRS["auth0"], w.TOR_BASE_PORT + 1) in listens  # DirPort
    assert (w.TOR_ADDRS["bridge"], w.TOR_BASE_PORT + 11) in listens  # obfs4
    assert len(listens) == 6 + 3 + 1
    assert any(p.endswith("obfs4proxy") or p.endswith("lyrebird") for p in svc.programs())
    # plan_values from a prepared network (fingerprints and the obfs4 cert set by hand: no keys made)
    svc.net.fingerprints = {n.name: f"{i:040X}" for i, n in enumerate(svc.net.nodes)}
    svc.net.v3idents = {f"auth{i}": f"{i + 10:040X}" for i in range(3)}
    svc.net.obfs4_cert = "c" * 70
    values = svc.plan_values()
    assert set(values) == {"dirauth0", "dirauth1", "dirauth2", "obfs4_bridge"}
    assert (
        values["dirauth1"].startswith("auth1 orport=9002 no-v2 v3ident=")
        and "10.77.2.102:9003" in values["dirauth1"]
    )
    assert values["obfs4_bridge"].startswith(f"obfs4 {w.TOR_ADDRS['bridge']}:9011 ")


def test_the_plan_is_checked_once_filled_not_before(tmp_path: Path) -> None:
    """``lab check`` validates a plan before anything starts; placeholders wait for ``up`` to fill them,
    a plan without any is still refused at once."""
    from pathprobe.lab.lifecycle import _validate_plan
    from pathprobe.lab.scenario import parse

    _validate_plan(load(SCENARIO))  # placeholders in bridge lines: not a bad plan yet
    bad = parse(
        'title = "t"\nplan = """\n[[probe]]\nkind = "tor"\ntransport = "obfs4"\nbridges = ["obfs4 nowhere"]\n"""\n'
        '[expect]\nrecommendation = "none"\n',
        "t",
        "t.toml",
    )
    with pytest.raises(BadInput, match="bridge #1"):
        _validate_plan(bad)


def test_teardown_counts_a_services_children_as_its_own() -> None:
    from pathprobe.lab.lifecycle import _recorded_ancestor

    parent = subprocess.Popen(["sh", "-c", "sleep 30 & echo $!; wait"], stdout=subprocess.PIPE, text=True)
    child: int | None = None
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _recorded_ancestor(child, {parent.pid: "tornet"}) == parent.pid
        assert _recorded_ancestor(child, {os.getpid() + 10_000_000: "x"}) is None
        assert _recorded_ancestor(parent.pid, {child: "x"}) is None
    finally:
        if child is not None:
            os.kill(child, signal.SIGKILL)
        parent.kill()
        parent.wait()


@pytest.mark.lab
def test_ctrl_c_during_check_leaves_no_bridge_line_on_disk(clean_lab: LabRunner) -> None:
    """Ctrl-C while the check's tor bootstraps through the bridge: the check is stopped (SIGTERM
    first, so it stops its own tor), its tor data directories and torrc files (0600 while they
    exist; they name the bridge) are gone, and no process of the lab or the check is left."""
    need_tor()
    lab = clean_lab
    proc = lab.popen("check", SCENARIO)
    torrcs: list[Path] = []
    try:

        def bridge_torrc() -> bool:
            torrcs[:] = [
                p
                for p in lab.tor_tmp.glob("pp-tor-*/pathprobe-tor-*/torrc")
                if "Bridge " in p.read_text(errors="replace")
            ]
            return bool(torrcs)

        wait_for(bridge_torrc, 120, "the check's tor to be started with the bridge")
        assert torrcs[0].stat().st_mode & 0o777 == 0o600
        assert torrcs[0].parent.stat().st_mode & 0o777 == 0o700
        line = next(ln for ln in torrcs[0].read_text().splitlines() if ln.startswith("Bridge "))
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, f"{proc.returncode}\n{out}\n{err}"
    assert "Traceback" not in err
    secret = line.split()[-1].encode()  # the bridge's cert= argument
    assert not torrcs[0].parents[1].exists()  # the lab's directory for this check's tor: gone
    for root in (lab.state, lab.tor_tmp):
        for f in root.rglob("*"):
            # The lab's own plan (0600) and the bridge's own files (the server side, in the tornet
            # service's directory) name the bridge; nothing of the check's may.
            if f.is_file() and f.name != "plan.toml" and "tornet" not in f.relative_to(root).parts:
                assert secret not in f.read_bytes(), f"the bridge line was left in {f}"
    wait_for(lambda: lab_processes(lab.state, lab.tor_tmp) == {}, 20, "every lab and check process to end")
    assert_clean()
