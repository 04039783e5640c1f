"""DNS tampering: the system resolver's answers against each DoH resolver's (pure; DESIGN.md "Precise rules").

Inputs are the evaluated targets of every path (:class:`TargetEvidence`, chains already validated):

- the system's view: the ``direct`` path's ``dns`` observations (``detail.resolver`` ``system`` or
  ``hosts``, ``detail.answers``; or the failure ``dns_nxdomain_error`` / ``dns_no_answer``) and the
  chain presented at the address the direct check connected to;
- each DoH resolver's view: on a ``doh:<name>`` path, a site's ``doh`` observation (``detail.answers``)
  and the chain presented at the DoH-resolved address. A DoH resolver is a witness only when its own
  chain was valid against the public roots with no interception signal: an intercepted or unverified
  resolver's answers prove nothing.

``dns_tampering`` goes on the direct path's target for the host, when its chain is not publicly valid
(answers that differ but all validate are CDNs, never tampering) and a witness shows one of:

(a) the system's address presents a chain that fails for the name, while a witness's answer (an address
    the direct check did not use) presents a publicly valid chain;
(b) the system answered a bogon (private, loopback, unspecified, link-local, CGNAT, multicast, reserved)
    while a witness answered a public address — a private answer alone is not enough (labs and offices
    use them);
(c) the system said NXDOMAIN or gave no address, while a witness gave addresses.

Plain-DNS injection (the doh probe's ``do53`` queries: ``dns`` observations on a ``doh:<name>`` path's
resolver target, ``detail.resolver`` ``do53:<address>``) needs no witness; on the same direct targets
(not publicly valid) for the queried host:

(d) an answer (any rcode) arrived from an address that the DoH connection could not reach — every TCP
    attempt to it failed — so someone else answered in its name;
(e) an answer whose question lost the 0x20 letter case we sent (resolvers echo the question as sent).

Silence is never evidence, and neither is an answer that merely differs.

The target's note names the lie ("the system resolver answered 10.10.34.35 ...").
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from pathprobe.analysis.signals import SUPPORTING_ONLY, TargetEvidence
from pathprobe.vocab import Failure, Role, Signal, Step

SYSTEM_SOURCES = {"system": "the system resolver", "hosts": "the hosts file"}
EMPTY_FAILURES = frozenset({Failure.DNS_NXDOMAIN_ERROR, Failure.DNS_NO_ANSWER})

_BOGON_NETS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
    )
)
"""Addresses that never serve a public name. Documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32) are deliberately *not* here: the offline lab uses them as its internet."""


def is_bogon(address: str) -> bool:
    """True for addresses that cannot be a public server's (see :data:`_BOGON_NETS`)."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in _BOGON_NETS)


def address_ip(address: str | None) -> str | None:
    """``1.2.3.4`` from ``1.2.3.4:443``, ``::1`` from ``[::1]:443``."""
    if not address:
        return None
    if address.startswith("["):
        return address[1 : address.find("]")]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


@dataclass(frozen=True)
class SystemView:
    """What the system said about a target's host, from the target's last ``dns`` observation: ``source``
    (``system`` or ``hosts``), the ``answers`` (addresses), the ``failure`` (None when it answered), and
    ``connected``, the address of the first TCP connection that succeeded (None when none did).
    """

    source: str
    answers: tuple[str, ...]
    failure: str | None
    connected: str | None


@dataclass(frozen=True)
class Witness:
    """What one trusted DoH resolver said about a host, and what its answer presented."""

    path: str
    answers: tuple[str, ...]
    chain_valid: bool


def _clean(ev: TargetEvidence) -> bool:
    """A chain valid against the public roots with no interception signal (DNS tampering aside)."""
    strong = ev.signals - SUPPORTING_ONLY - {Signal.DNS_TAMPERING}
    return ev.target.tls is not None and ev.publicly_trusted and not strong


def system_view(ev: TargetEvidence) -> SystemView | None:
    """The system's view of ``ev``'s host; None when nothing was resolved (an address literal) or when the
    last ``dns`` observation came from another resolver than ``system`` or ``hosts``.
    """
    dns_obs = [o for o in ev.target.observations if o.step == Step.DNS]
    if not dns_obs:
        return None  # an address literal: nothing was resolved
    o = dns_obs[-1]
    source = str(o.detail.get("resolver", "system"))
    if source not in SYSTEM_SOURCES:
        return None
    answers = tuple(str(a) for a in o.detail.get("answers", []) or [])
    connected = next(
        (address_ip(t.address) for t in ev.target.observations if t.step == Step.TCP and t.failure is None), None
    )
    return SystemView(source, answers, o.failure, connected)


def witnesses(items: Sequence[TargetEvidence]) -> dict[str, list[Witness]]:
    """Per host, what each DoH resolver with an intact chain answered (only names it resolved)."""
    trusted = {
        ev.path.id for ev in items
        if ev.path.kind == "doh" and ev.target.role == Role.RESOLVER and _clean(ev)
    }
    out: dict[str, list[Witness]] = {}
    for ev in items:
        if ev.path.id not in trusted or ev.target.role == Role.RESOLVER:
            continue
        doh = [o for o in ev.target.observations if o.step == Step.DOH]
        if not doh or doh[-1].failure is not None:
            continue
        answers = tuple(str(a) for a in doh[-1].detail.get("answers", []) or [])
        if not answers:
            continue
        out.setdefault(ev.host, []).append(Witness(ev.path.id, answers, _clean(ev)))
    return out


def _list(addrs: Sequence[str]) -> str:
    shown = ", ".join(addrs[:3])
    return shown + (f" (+{len(addrs) - 3})" if len(addrs) > 3 else "")


def reasons_for(ev: TargetEvidence, sys: SystemView, ws: Sequence[Witness]) -> list[str]:
    """Why the system's answer for this target is a lie (empty when it is not shown to be)."""
    who = SYSTEM_SOURCES[sys.source]
    out: list[str] = []
    # (a) the system's address presents a chain that fails for the name; a DoH address a valid one.
    if ev.target.tls is not None and ev.public is not None and not ev.publicly_trusted and sys.connected:
        for w in ws:
            if w.chain_valid and sys.connected not in w.answers:
                out.append(
                    f"{who} answered {sys.connected}, whose certificate is not valid for the name "
                    f"({ev.public.failure}), while {w.path} answered {_list(w.answers)} with a valid one"
                )
                break
    # (b) a bogon from the system where a DoH resolver gives a public address.
    bogons = [a for a in sys.answers if is_bogon(a)]
    if bogons:
        for w in ws:
            public = [a for a in w.answers if not is_bogon(a)]
            if public:
                out.append(f"{who} answered {_list(bogons)}, an address no public site uses, while {w.path} "
                           f"answered {_list(public)}")
                break
    # (c) NXDOMAIN or no address from the system only.
    if sys.failure in EMPTY_FAILURES and not sys.answers and ws:
        what = "the name does not exist" if sys.failure == Failure.DNS_NXDOMAIN_ERROR else "no address"
        out.append(f"{who} said {what} ({sys.failure}), while {ws[0].path} answered {_list(ws[0].answers)}")
    return out


@dataclass(frozen=True)
class Do53Answer:
    """A plain-DNS answer the doh probe received, with what makes it suspect."""

    path: str
    server: str
    rcode: str
    answers: tuple[str, ...]
    sent: str
    echoed: str | None
    case_kept: bool | None
    doh_failure: str | None
    """The failure of the DoH connection to the same address when no TCP attempt to it succeeded."""


def do53_answers(items: Sequence[TargetEvidence]) -> dict[str, list[Do53Answer]]:
    """Per host (lower case), the Do53 answers recorded on DoH resolver targets."""
    out: dict[str, list[Do53Answer]] = {}
    for ev in items:
        if ev.path.kind != "doh" or ev.target.role != Role.RESOLVER:
            continue
        obs = ev.target.observations
        tcp_ok = {address_ip(o.address) for o in obs if o.step == Step.TCP and o.failure is None}
        tcp_failed: dict[str | None, str] = {}
        for o in obs:
            if o.step == Step.TCP and o.failure is not None:
                tcp_failed.setdefault(address_ip(o.address), o.failure)
        for o in obs:
            resolver = str(o.detail.get("resolver", ""))
            if o.step != Step.DNS or not resolver.startswith("do53:") or o.failure is not None:
                continue
            server = resolver[len("do53:"):]
            kept = o.detail.get("case_kept")
            out.setdefault(o.target.lower().rstrip("."), []).append(Do53Answer(
                ev.path.id, server, str(o.detail.get("rcode", "")),
                tuple(str(a) for a in o.detail.get("answers", []) or []),
                str(o.detail.get("query", "")), o.detail.get("echoed"),
                kept if isinstance(kept, bool) else None,
                None if server in tcp_ok else tcp_failed.get(server),
            ))
    return out


def _said(a: Do53Answer) -> str:
    if a.answers:
        return _list(a.answers)
    return "no address" if a.rcode == "NOERROR" else a.rcode


def do53_reasons(answers: Sequence[Do53Answer]) -> list[str]:
    """Why plain-DNS answers for one host were not the resolver's (empty when nothing shows it)."""
    out: list[str] = []
    # (d) an answer from an address the DoH connection could not reach.
    for a in answers:
        if a.doh_failure is not None:
            out.append(f"a plain DNS query to {a.server} ({a.path}) was answered ({_said(a)}) although "
                       f"the DoH connection to that address failed ({a.doh_failure}): someone else answered")
            break
    # (e) the question came back without the 0x20 letter case sent.
    for a in answers:
        if a.case_kept is False:
            out.append(f"the plain DNS answer from {a.server} ({a.path}) changed the name's letter case "
                       f"(sent {a.sent}, got {a.echoed}): resolvers echo it, so someone else answered")
            break
    return out


def dns_tampering_hook(items: Sequence[TargetEvidence]) -> None:
    """Add ``dns_tampering`` (and a note naming the lie) to direct targets, in place."""
    by_host = witnesses(items)
    injected = do53_answers(items)
    for ev in items:
        if ev.path.kind != "direct" or ev.target.role not in (Role.SITE, Role.CONTROL):
            continue
        ws = by_host.get(ev.host)
        d53 = injected.get(ev.host.lower().rstrip("."))
        if (not ws and not d53) or _clean(ev):
            continue
        sys = system_view(ev)
        if sys is None:
            continue
        reasons = reasons_for(ev, sys, ws) if ws else []
        reasons += do53_reasons(d53 or [])
        if not reasons:
            continue
        ev.signals.add(Signal.DNS_TAMPERING)
        text = f"{Signal.DNS_TAMPERING}: " + "; ".join(reasons)
        note = f"{ev.target.note}; {text}" if ev.target.note else text
        ev.target = dataclasses.replace(ev.target, note=note)
