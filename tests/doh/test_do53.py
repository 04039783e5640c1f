"""The doh probe's plain-DNS (Do53) injection test, against real servers on loopback.

- a real **unbound** (the DoH stack's, local data only) answering Do53 honestly: the echoed question
  keeps the 0x20 case we sent, no Do53 reason;
- a small **injector** (127.0.0.1:18901) answering every query with the name lower-cased: the case is
  lost, ``dns_tampering`` names it;
- the DoH port **closed** (127.0.0.1:18949) while UDP answers on the same address: someone answered
  for an unreachable resolver, ``dns_tampering``;
- a **silent** UDP port (127.0.0.1:18902): no answer, no signal, and the probe still ends.

The direct path's lie comes from the PATHPROBE_HOSTS hosts file (poisoned.test -> 127.0.0.2, an
impostor with a certificate from an untrusted CA), so nothing asks the system resolver. Ports
18900-18949 (and the DoH stack's 18400/18402).
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.rrset
import pytest
from doh_servers import DOH_PORT, SITE_PORT, UNBOUND_PORT, Pki, https_site
from pytest_socket import socket_allow_hosts
from test_doh_probe import entry, roots

from pathprobe.analysis.pipeline import analyse
from pathprobe.errors import BadInput
from pathprobe.net.dns import Do53Reply, ask_server, mix_case
from pathprobe.planfields import Entry, parse_hostport
from pathprobe.probes.base import RunContext
from pathprobe.probes.direct import DirectProbe
from pathprobe.probes.doh import DohProbe

INJECTOR_PORT = 18901
SILENT_PORT = 18902
CLOSED_DOH_PORT = 18949
TIMEOUT = 1.5
SITE = f"poisoned.test:{SITE_PORT}"


@pytest.fixture(autouse=True)
def _impostor_address(_loopback_only: None) -> None:
    """The direct check dials the impostor at 127.0.0.2 from this process: loopback too."""
    socket_allow_hosts(["127.0.0.1", "::1", "localhost", "127.0.0.2"], allow_unix_socket=True)


class Injector:
    """Answers every UDP query at once with 127.0.0.2 and the question name lower-cased."""

    def __init__(self, port: int, answer: bool = True) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.answer = answer
        self.seen: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                data, addr = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            q = dns.message.from_wire(data)
            self.seen.append(q.question[0].name.to_text())
            if not self.answer:
                continue
            r = dns.message.make_response(q)
            lowered = dns.name.from_text(q.question[0].name.to_text().lower())
            r.question = [dns.rrset.RRset(lowered, q.question[0].rdclass, q.question[0].rdtype)]
            r.answer.append(dns.rrset.from_text(lowered, 60, "IN", "A", "127.0.0.2"))
            self.sock.sendto(r.to_wire(), addr)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def injector() -> Iterator[Injector]:
    srv = Injector(INJECTOR_PORT)
    yield srv
    srv.close()


@pytest.fixture
def silent() -> Iterator[Injector]:
    srv = Injector(SILENT_PORT, answer=False)
    yield srv
    srv.close()


@pytest.fixture
def impostor(pki: Pki, stop_event: threading.Event) -> Iterator[Any]:
    cert, key = pki.write("impostor", pki.impostor)
    with https_site("127.0.0.2", SITE_PORT, cert, key) as srv:
        yield srv


@pytest.fixture
def lying_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.2 poisoned.test\n")
    monkeypatch.setenv("PATHPROBE_HOSTS", str(hosts))


def doh(doh_port: int, do53_port: int) -> DohProbe:
    p = DohProbe.from_plan(entry(name="local", url=f"https://doh.test:{doh_port}/dns-query",
                                 bootstrap=["127.0.0.1"], sites=[SITE]))
    p.do53_port = do53_port
    return p


def check(pki: Pki, p: DohProbe) -> dict[str, Any]:
    """The direct probe (lied to by the hosts file) and ``p``, with the tampering hook: the profile."""
    ctx = RunContext(timeout=TIMEOUT, sites=[parse_hostport(SITE)])
    direct = DirectProbe([parse_hostport(SITE)], [])

    async def both() -> list[Any]:
        a, b = await asyncio.gather(direct.run(ctx), p.run(ctx))
        return [*a.paths, *b.paths]

    return analyse(asyncio.run(both()), None, roots(pki)).to_dict()


def do53_obs(profile: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in profile["observations"]
            if o["step"] == "dns" and str(o["detail"].get("resolver", "")).startswith("do53:")]


def direct_site(profile: dict[str, Any]) -> dict[str, Any]:
    path = next(p for p in profile["paths"] if p["id"] == "direct")
    return next(t for t in path["targets"] if t["target"] == SITE)


def test_honest_unbound_keeps_case(pki: Pki, dns_stack: object, site_server: object, impostor: object,
                                   lying_hosts: None) -> None:
    prof = check(pki, doh(DOH_PORT, UNBOUND_PORT))
    (o,) = do53_obs(prof)
    assert o["failure"] is None and o["path"] == "doh:local" and o["target"] == "poisoned.test"
    assert o["detail"]["resolver"] == "do53:127.0.0.1"
    assert o["detail"]["case_kept"] is True
    assert o["detail"]["echoed"] == o["detail"]["query"] != "poisoned.test"
    assert o["detail"]["answers"] == ["127.0.0.1"]
    note = direct_site(prof)["note"]
    # The DoH witness still shows the hosts file's lie; the plain-DNS answer adds nothing.
    assert "dns_tampering" in direct_site(prof)["signals"]
    assert "plain DNS" not in note


def test_injector_loses_case(pki: Pki, dns_stack: object, site_server: object, impostor: object,
                             lying_hosts: None, injector: Injector) -> None:
    prof = check(pki, doh(DOH_PORT, INJECTOR_PORT))
    (o,) = do53_obs(prof)
    assert o["detail"]["case_kept"] is False
    assert o["detail"]["echoed"] == "poisoned.test" != o["detail"]["query"]
    site = direct_site(prof)
    assert "dns_tampering" in site["signals"]
    assert "changed the name's letter case" in site["note"]
    assert injector.seen and injector.seen[0] != injector.seen[0].lower()


def test_answer_while_doh_unreachable(pki: Pki, dns_stack: object, impostor: object,
                                      lying_hosts: None) -> None:
    """DoH to 127.0.0.1 fails (closed port) but UDP on 127.0.0.1 answers: someone else answered."""
    prof = check(pki, doh(CLOSED_DOH_PORT, UNBOUND_PORT))
    path = next(p for p in prof["paths"] if p["id"] == "doh:local")
    assert path["reachability"] == "blocked"
    (o,) = do53_obs(prof)
    assert o["failure"] is None and o["detail"]["case_kept"] is True
    site = direct_site(prof)
    assert "dns_tampering" in site["signals"]
    assert "DoH connection to that address failed (connection_refused)" in site["note"]


def test_silent_do53_is_not_evidence(pki: Pki, impostor: object, lying_hosts: None, silent: Injector) -> None:
    prof = check(pki, doh(CLOSED_DOH_PORT, SILENT_PORT))
    (o,) = do53_obs(prof)
    assert o["failure"] == "generic_timeout_error"
    assert silent.seen  # it was asked, and said nothing
    assert "dns_tampering" not in direct_site(prof)["signals"]


def test_do53_off(pki: Pki, impostor: object, lying_hosts: None, injector: Injector) -> None:
    p = DohProbe.from_plan(entry(name="local", url=f"https://doh.test:{CLOSED_DOH_PORT}/dns-query",
                                 bootstrap=["127.0.0.1"], sites=[SITE], do53=False))
    p.do53_port = INJECTOR_PORT
    prof = check(pki, p)
    assert do53_obs(prof) == [] and injector.seen == []
    assert "dns_tampering" not in direct_site(prof)["signals"]


def test_do53_plan_key_must_be_bool() -> None:
    with pytest.raises(BadInput, match="do53"):
        DohProbe.from_plan(Entry({"kind": "doh", "name": "x", "url": "https://1.1.1.1/dns-query", "do53": "yes"},
                                 "plan.toml", 1))


def test_ask_server_direct(injector: Injector) -> None:
    reply = asyncio.run(ask_server("127.0.0.1", INJECTOR_PORT, "Example.TEST", 1.0, random.Random(1)))
    assert reply.addresses == ("127.0.0.2",)
    assert reply.case_kept is False and reply.echoed == "example.test"


@pytest.mark.parametrize("seed", range(20))
def test_mix_case(seed: int) -> None:
    rng = random.Random(seed)
    for name in ("example.com", "a.b", "x", "www.some-long-name.example"):
        mixed = mix_case(name, rng)
        assert mixed.lower() == name
        letters = [c for c in mixed if c.isalpha()]
        assert any(c.isupper() for c in letters)
        if len(letters) > 1:
            assert any(c.islower() for c in letters)
    assert mix_case("1.2.3", rng) == "1.2.3"


def test_case_kept_rules() -> None:
    assert Do53Reply("ExAmple.com", "ExAmple.com.", "NOERROR", ()).case_kept is True
    assert Do53Reply("ExAmple.com", "example.com", "NOERROR", ()).case_kept is False
    assert Do53Reply("ExAmple.com", "EXAMPLE.COM", "NOERROR", ()).case_kept is False
    assert Do53Reply("ExAmple.com", None, "NOERROR", ()).case_kept is None
    assert Do53Reply("1.2", "1.2", "NOERROR", ()).case_kept is None
