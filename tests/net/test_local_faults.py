"""No verdict from a local fault (issue 16, part 4).

An error of this device — no file descriptors, no free port, a missing file — is not an answer from the
network: the connect step retries it within its deadline, and when it persists the target is
``unknown`` (the reason given), never ``blocked``. The faults are raised by the lowest socket call
(``socket.connect``) against a real local TLS server, or made for real (a process out of descriptors).
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from OpenSSL import SSL

from pathprobe.analysis.pipeline import analyse
from pathprobe.analysis.roots import RootSet
from pathprobe.analysis.verdicts import Roots
from pathprobe.lab.servers.pki import CA
from pathprobe.model import HostPort, PathMeasurement, TargetMeasurement
from pathprobe.net.failures import LOCAL_ERRNOS, classify, is_local_fault
from pathprobe.probes.base import RunContext
from pathprobe.probes.direct import DirectProbe
from pathprobe.runner import run_probes
from pathprobe.trust import known_roots
from pathprobe.vocab import Reachability, Role, is_unknown_failure
from tests.servers import https_server

TIMEOUT = 1.5


# --- the mapping (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOENT, errno.EADDRNOTAVAIL, errno.EMFILE, errno.ENFILE, errno.ENOBUFS,
                                  errno.EPERM])
def test_local_errnos_are_local_faults_and_unknown_failures(code: int) -> None:
    exc = OSError(code, os.strerror(code))
    assert code in LOCAL_ERRNOS and is_local_fault(exc)
    failure = classify(exc)
    assert is_unknown_failure(failure) and failure.startswith("unknown_failure: ")
    assert is_local_fault(SSL.SysCallError(code, os.strerror(code)))
    assert is_unknown_failure(classify(SSL.SysCallError(code, os.strerror(code))))


@pytest.mark.parametrize(("exc", "failure"), [
    (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "connection_refused"),
    (ConnectionResetError(errno.ECONNRESET, "reset"), "connection_reset"),
    (OSError(errno.ENETUNREACH, "unreachable"), "network_unreachable"),
    (OSError(errno.EHOSTUNREACH, "unreachable"), "host_unreachable"),
    (TimeoutError(), "generic_timeout_error"),
])
def test_answers_from_the_network_are_not_local(exc: OSError, failure: str) -> None:
    assert not is_local_fault(exc) and classify(exc) == failure


def _judge(targets: tuple[TargetMeasurement, ...]) -> dict[str, Any]:
    roots = Roots(public=RootSet.of("public", [], "t"), device=RootSet.of("device", [], "t"), known=known_roots(None))
    return analyse([PathMeasurement("direct", "direct", targets)], None, roots).to_dict()["paths"][0]


def test_an_unknown_failure_makes_a_target_unknown_never_blocked() -> None:
    local = TargetMeasurement("a.example", Role.SITE, (), failure="unknown_failure: No such file or directory")
    handshake = TargetMeasurement("vpn.example:1194/udp", Role.ENDPOINT, (), failure="unknown_failure: EMFILE",
                                  reachability=Reachability.BLOCKED)
    refused = TargetMeasurement("b.example", Role.SITE, (), failure="connection_refused")
    path = _judge((local, handshake, refused))
    verdicts = [(t["reachability"], t["failure"]) for t in path["targets"]]
    assert verdicts == [("unknown", local.failure), ("unknown", handshake.failure), ("blocked", "connection_refused")]
    assert "no answer from the network" in path["targets"][0]["note"]
    assert path["reachability"] == "blocked", "judged on the one target that was tested"
    assert _judge((local,))["reachability"] == "unknown"


# --- against a real local TLS server -----------------------------------------------------------------


@contextmanager
def server(tmp: Path) -> Iterator[tuple[CA, int]]:
    ca = CA("Local Fault Test Root", "pathprobe tests")
    with https_server(ca.issue("good.test"), tmp) as port:
        yield ca, port


def flaky_connect(monkeypatch: pytest.MonkeyPatch, port: int, code: int, times: int) -> list[int]:
    """``socket.connect`` to ``port`` fails locally with ``code`` the first ``times`` calls."""
    real = socket.socket.connect
    calls: list[int] = []

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[1] == port:
            calls.append(code)
            if len(calls) <= times:
                raise OSError(code, os.strerror(code))
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return calls


def check(ca: CA, port: int, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], float]:
    (tmp / "hosts").write_text("127.0.0.1 good.test\n")
    monkeypatch.setenv("PATHPROBE_HOSTS", str(tmp / "hosts"))
    start = time.monotonic()
    paths, _ = asyncio.run(run_probes([DirectProbe([HostPort("good.test", port)], [])], RunContext(timeout=TIMEOUT)))
    took = time.monotonic() - start
    roots = Roots(public=RootSet.of("public", [ca.cert], "t"), device=RootSet.of("device", [ca.cert], "t"),
                  known=known_roots(None))
    return analyse(paths, None, roots).to_dict(), took


@pytest.mark.parametrize("code", [errno.ENOENT, errno.EADDRNOTAVAIL, errno.EMFILE])
def test_a_local_fault_once_is_retried_and_the_site_reached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            code: int) -> None:
    with server(tmp_path) as (ca, port):
        calls = flaky_connect(monkeypatch, port, code, times=1)
        prof, _ = check(ca, port, tmp_path, monkeypatch)
    assert len(calls) >= 2, "the connect was tried again"
    (t,) = prof["paths"][0]["targets"]
    assert (t["reachability"], t["tls"], t["failure"]) == ("reachable", "intact", None)


def test_a_local_fault_that_persists_is_unknown_not_blocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with server(tmp_path) as (ca, port):
        calls = flaky_connect(monkeypatch, port, errno.ENOENT, times=10**6)
        prof, took = check(ca, port, tmp_path, monkeypatch)
    assert len(calls) >= 3, "retried within the step's deadline"
    assert took < TIMEOUT + 1.0, "the retries share the step's deadline"
    path = prof["paths"][0]
    (t,) = path["targets"]
    assert t["reachability"] == "unknown" and t["tls"] == "unverified"
    assert t["failure"].startswith("unknown_failure: ") and "no answer from the network" in t["note"]
    assert path["reachability"] == "unknown"
    tcp = [o for o in prof["observations"] if o["step"] == "tcp"]
    assert tcp and tcp[0]["failure"] == t["failure"] and tcp[0]["duration_ms"] <= TIMEOUT * 1000 + 100


def test_a_network_answer_on_one_address_outweighs_a_local_fault_on_another(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """two.test has two addresses: a local fault on the first, a refusal (an answer) on the second."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[0] == "::1":
            raise OSError(errno.EADDRNOTAVAIL, os.strerror(errno.EADDRNOTAVAIL))
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    (tmp_path / "hosts").write_text("::1 two.test\n127.0.0.1 two.test\n")
    monkeypatch.setenv("PATHPROBE_HOSTS", str(tmp_path / "hosts"))
    paths, _ = asyncio.run(run_probes([DirectProbe([HostPort("two.test", closed)], [])], RunContext(timeout=1.0)))
    (t,) = paths[0].targets
    assert t.failure == "connection_refused"


def test_a_process_out_of_file_descriptors_is_unknown_then_reached_when_one_is_freed(tmp_path: Path) -> None:
    """A real EMFILE: a child process lowers its descriptor limit and uses every descriptor up. Freed
    after 0.3 s, the retried connect reaches the site; never freed, the site is unknown, not blocked."""
    with server(tmp_path) as (_, port):
        script = textwrap.dedent(f"""
            import asyncio, json, os, resource, socket
            from pathprobe.model import HostPort
            from pathprobe.net.sitecheck import SystemDialer, check_site
            from pathprobe.vocab import Role

            async def main(free_after):
                resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
                hog = []
                try:
                    while True:
                        hog.append(os.open(os.devnull, os.O_RDONLY))
                except OSError:
                    pass
                if free_after is not None:
                    asyncio.get_running_loop().call_later(free_after, lambda: [os.close(fd) for fd in hog[-8:]])
                tm = await check_site(SystemDialer(), HostPort("127.0.0.1", {port}), Role.SITE, "direct", 0.0, 2.0)
                return {{"failure": tm.failure, "tls": tm.tls is not None}}

            print(json.dumps([asyncio.run(main(0.3)), asyncio.run(main(None))]))
        """)
        res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    import json

    freed, never = json.loads(res.stdout)
    assert freed == {"failure": None, "tls": True}
    assert never["tls"] is False and is_unknown_failure(never["failure"])
