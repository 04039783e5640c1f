"""``doh``: the direct network with names resolved over DNS-over-HTTPS (path id ``doh:<name>``).

For one resolver from the plan: TCP to its bootstrap addresses (never the system resolver), one TLS
handshake with SNI = the URL's host (the one TLS step of every HTTPS check,
:func:`~pathprobe.net.sitecheck.tls_step`, so an intercepted resolver shows up like any intercepted
site), then A and AAAA for every site over RFC 8484 on that same connection (:mod:`pathprobe.net.doh`).
Each site is then checked exactly as the direct probe checks it —
:func:`~pathprobe.probes.base.check_sites` — but dialled at the DoH answers
(:class:`~pathprobe.net.sitecheck.FixedAddressDialer`). Plan::

    [[probe]]
    kind = "doh"
    name = "quad9"                                   # path id doh:quad9
    url = "https://dns.quad9.net/dns-query"
    bootstrap = ["9.9.9.9", "149.112.112.112"]       # optional when the URL's host is an address
    # sites = ["www.example.com"]                    # default: the direct probe's sites and controls
    # method = "get"                                 # get | post (RFC 8484 allows both)
    # do53 = true                                    # also ask the bootstrap addresses over plain UDP 53
    # diagnosis_name = "neutral.example.org"         # control server name of the blocking diagnosis

The resolver is itself a target of the path, with role ``resolver``: the verdict code judges its chain
like any other, so ``doh:<name>`` is ``blocked`` when the resolver cannot be reached (with the failure)
and ``intercepted`` when its chain is forged. Each site's DoH answers are kept in a ``doh`` observation
(``detail.answers``, ``detail.rcode``) for :mod:`pathprobe.analysis.dns` to compare with the system's.

With ``do53`` (the default), the same names are also asked in plain DNS over UDP, straight to each
bootstrap address on port 53, with randomised 0x20 letter case, while the DoH work runs and under a
short deadline (:data:`DO53_LIFETIME`): each is a ``dns`` observation on the resolver target
(``detail.resolver`` ``do53:<address>``, ``detail.case_kept``), the evidence for injected answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import time
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pathprobe.errors import NetFailure
from pathprobe.i18n import _
from pathprobe.model import HostPort, Observation, PathMeasurement, TargetMeasurement
from pathprobe.net.dns import DNS_PORT, ask_server, is_ip
from pathprobe.net.sitecheck import FixedAddressDialer, Recorder, connect_any, tls_step
from pathprobe.net.stream import ByteStream
from pathprobe.planfields import Entry, parse_hostport
from pathprobe.probes.base import (
    Probe,
    ProbeResult,
    RunContext,
    check_sites,
    control_names,
    diagnosis_name,
    targets_or_default,
)
from pathprobe.vocab import Failure, Reachability, Role, Step

if TYPE_CHECKING:  # the DoH client (h2, dnspython) is imported when a DoH probe runs, not at start-up
    from pathprobe.net.doh import Answer

Lookup = tuple[Observation, tuple[str, ...]]
"""A name's ``doh`` observation and the addresses it gave."""
ALPN = [b"h2", b"http/1.1"]
METHODS = ("get", "post")
DO53_LIFETIME = 1.5
"""Seconds the plain-DNS queries may take (at most ``--timeout``): a resolver answers a cached name in
a few round trips, and a missing answer is never evidence, so waiting longer for a front end that has
no Do53 service would only lengthen the check (docs/doh.md)."""
NO_SITES = "no sites to resolve: give the doh probe 'sites', or add a direct probe to the plan"
NOT_SENT = ("not measured: the step's deadline ended before this name's DoH queries were sent (too many "
            "names for one resolver connection)")
PROBE_NAME = "example.com"
"""The name asked when the path has no names of its own to resolve (IANA's reserved example domain)."""


def resolver_failure(answers: list[Answer]) -> str | None:
    """None when some query got a well-formed DNS answer (any rcode); else the first query's failure
    (a ``doh_*`` failure, a timeout, ...), preferring one that says what the resolver sent."""
    if any(a.failure is None for a in answers):
        return None
    failures = [a.failure for a in answers if a.failure is not None and a.sent]
    said = [f for f in failures if f != Failure.GENERIC_TIMEOUT_ERROR]
    return (said or failures or [Failure.DNS_NO_ANSWER])[0]


class DohProbe(Probe):
    """One DoH resolver and the sites reached through its answers; path id ``doh:<name>``."""

    kind: ClassVar[str] = "doh"
    version: ClassVar[str] = "0.1.0"

    def __init__(self, name: str, url: str, resolver: HostPort, url_path: str,
                 bootstrap: tuple[str, ...], sites: list[HostPort] | None, method: str = "get",
                 do53: bool = True, do53_port: int = DNS_PORT, diagnosis_name: str | None = None) -> None:
        self.diagnosis_name = diagnosis_name
        self.name = name
        self.url = url
        self.resolver = resolver
        self.url_path = url_path
        self.bootstrap = bootstrap
        self.sites = sites
        self.method = method
        self.do53 = do53
        self.do53_port = do53_port

    @classmethod
    def from_plan(cls, entry: Entry) -> DohProbe:
        """Read ``url``, ``bootstrap`` (required unless the URL's host is an address), ``sites``,
        ``method`` and ``do53``; every bootstrap entry must be an IP address.
        """
        name = entry.path_name()
        url = entry.req_str("url")
        resolver, url_path = parse_doh_url(url, entry)
        boot = entry.str_list("bootstrap")
        if boot is None:
            if not is_ip(resolver.host):
                raise entry.error("bootstrap", _("is required (the resolver's addresses, so that the system "
                                                 "resolver is never asked for it) unless the URL's host is an "
                                                 "address"))
            boot = [resolver.host]
        if not boot:
            raise entry.error("bootstrap", _("give at least one address"))
        addrs: list[str] = []
        for b in boot:
            try:
                addrs.append(str(ipaddress.ip_address(str(b).strip("[]"))))
            except ValueError:
                raise entry.error("bootstrap", _("'{address}' is not an IP address", address=b)) from None
        sites = entry.sites("sites")
        method = entry.choice("method", METHODS, "get")
        do53 = entry.bool("do53", True)
        diag = diagnosis_name(entry)
        entry.finish()
        return cls(name, url, resolver, url_path, tuple(dict.fromkeys(addrs)), sites, method, do53,
                   diagnosis_name=diag)

    def path_ids(self) -> list[str]:
        """One path: ``doh:<name>``."""
        return [f"doh:{self.name}"]

    def budget_extra(self, ctx: RunContext) -> float:
        """Resolver TCP + TLS + queries come before the site checks."""
        return 3 * ctx.timeout

    async def run(self, ctx: RunContext) -> ProbeResult:
        """Reach the resolver at its bootstrap addresses, ask it for every site's names, then check
        the sites at its answers (the plain-DNS queries run alongside). A resolver that cannot be
        reached is ``blocked`` (and so is the path), its sites left untested (``unknown``).
        """
        path = self.path_ids()[0]
        targets = targets_or_default(self.sites, ctx)
        hosts = list(dict.fromkeys(hp.host for hp, _ in targets if not is_ip(hp.host)))
        do53 = asyncio.ensure_future(self._do53(path, hosts, ctx))
        try:
            return await self._run(ctx, path, targets, hosts, do53)
        finally:
            if not do53.done():
                do53.cancel()
                await asyncio.gather(do53, return_exceptions=True)

    async def _run(self, ctx: RunContext, path: str, targets: list[tuple[HostPort, Role]], hosts: list[str],
                   do53: asyncio.Future[list[Observation]]) -> ProbeResult:
        total = len(targets) + 1
        rec = Recorder(path, str(self.resolver), ctx.t0, ctx.timeout)
        ctx.so_far.describe(path, {"resolver": self.url})
        ctx.so_far.slot(path, str(self.resolver), Role.RESOLVER).rec = rec
        ctx.so_far.expect(path, [(str(hp), role) for hp, role in targets])
        tcp: ByteStream | None = None
        try:
            tcp = await connect_any(self.bootstrap, self.resolver.port, rec)
            hs = await tls_step(tcp, self.resolver.host, rec, alpn=ALPN, detail={"sni": self.resolver.host})
        except NetFailure as exc:
            if tcp is not None:
                tcp.close()
            blocked = self._blocked(path, rec, exc.failure, targets, await do53)
            ctx.progress(path, total, total)
            return ProbeResult(paths=(blocked,))
        tls, evidence = hs.stream, hs.evidence
        tls_obs = rec.observations[-1] = dataclasses.replace(
            hs.observation, detail={"sni": self.resolver.host, "alpn": evidence.alpn}
        )
        address = next((o.address for o in rec.observations if o.step == Step.TCP and o.failure is None), None)
        ctx.progress(path, 1, total)

        from pathprobe.net.doh import DohClient, Query

        # Without names to resolve, one query for a neutral name still shows whether the resolver answers.
        asked = hosts or [PROBE_NAME]
        queries = [Query(h, t) for h in asked for t in ("A", "AAAA")]
        client = DohClient(tls, _authority(self.resolver), self.url_path, alpn=evidence.alpn,
                           method=self.method.upper())
        qstart = rec.now_ms()
        try:
            answers = await client.resolve(queries, ctx.timeout)
        finally:
            tls.close()
        by_host: dict[str, list[Answer]] = {}
        for a in answers:
            by_host.setdefault(a.query.name, []).append(a)
        lookups = {h: self._lookup_observation(path, h, by_host.get(h, []), qstart, address, client.protocol,
                                               rec) for h in asked}
        resolver_obs: tuple[Observation, ...] = tuple(rec.observations)
        if not hosts:
            resolver_obs += (dataclasses.replace(lookups.pop(PROBE_NAME)[0], target=str(self.resolver)),)
        # The resolver was reached only when it answered a DoH query with a well-formed DNS message (any
        # rcode): a TLS handshake alone does not make a resolver (DESIGN "Precise rules").
        failure = resolver_failure(answers)
        note = None
        if failure is not None:
            note = f"the TLS handshake completed but no DoH query was answered ({failure})"
        resolver_tm = TargetMeasurement(
            target=str(self.resolver), role=Role.RESOLVER, observations=resolver_obs, tls=evidence,
            latency_ms=tls_obs.duration_ms, note=note, failure=failure,
        )
        ctx.so_far.done(path, resolver_tm)
        unsent = {h for h, got in by_host.items() if h in lookups and got and not any(a.sent for a in got)}
        results = await self._sites(path, targets, lookups, ctx, total, unsent)
        resolver_tm = dataclasses.replace(resolver_tm, observations=(*resolver_tm.observations, *await do53))
        return ProbeResult(paths=(PathMeasurement(
            id=path, kind=self.kind, targets=(resolver_tm, *results),
            detail={"resolver": self.url, "protocol": client.protocol},
            untested_reason=None if targets else NO_SITES,
        ),))

    async def _sites(self, path: str, targets: list[tuple[HostPort, Role]], lookups: dict[str, Lookup],
                     ctx: RunContext, total: int, unsent: set[str] | None = None) -> list[TargetMeasurement]:
        """Each site checked as the direct probe checks it, dialled at its DoH answers (an address
        literal at itself); a name the resolver did not answer fails with its lookup's failure, and one
        whose queries were never sent (``unsent``: the deadline ended first) is ``unknown``. A name's
        ``doh`` observation comes first in its target's observations."""
        unsent = unsent or set()
        everything = targets
        skipped = [(hp, role) for hp, role in targets if hp.host in unsent]
        targets = [(hp, role) for hp, role in targets if hp.host not in unsent]
        out = []
        for hp, role in skipped:
            lookup = dataclasses.replace(lookups[hp.host][0], target=str(hp),
                                         detail={**lookups[hp.host][0].detail, "sent": False})
            tm = TargetMeasurement(target=str(hp), role=role, observations=(lookup,),
                                   reachability=Reachability.UNKNOWN, note=NOT_SENT)
            ctx.so_far.done(path, tm)
            out.append(tm)
        dialer = FixedAddressDialer(
            {**{h: addrs for h, (_, addrs) in lookups.items()},
             **{hp.host: (hp.host,) for hp, _ in targets if is_ip(hp.host)}},
            failures={h.lower(): obs.failure for h, (obs, _) in lookups.items() if obs.failure is not None},
        )
        controls = [hp for hp, role in everything if role == Role.CONTROL] + list(ctx.controls)
        checked = await check_sites(dialer, targets, path, ctx, done=1 + len(skipped), total=total,
                                    diagnose=control_names(self.diagnosis_name, controls))
        for tm, (hp, _role) in zip(checked, targets, strict=True):
            if not is_ip(hp.host):
                lookup = dataclasses.replace(lookups[hp.host][0], target=str(hp))
                tm = dataclasses.replace(tm, observations=(lookup, *tm.observations))
            out.append(tm)
        if not skipped:
            return out
        order = {(str(hp), role): i for i, (hp, role) in reversed(list(enumerate(everything)))}
        return sorted(out, key=lambda t: order.get((t.target, t.role), 0))

    async def _do53(self, path: str, hosts: list[str], ctx: RunContext) -> list[Observation]:
        """Each name in plain DNS (A, mixed 0x20 case) straight to each bootstrap address, all at once,
        within :data:`DO53_LIFETIME` (at most ``--timeout``): one ``dns`` observation per name and
        address. An answer of any rcode counts as an answer; silence is ``generic_timeout_error``."""
        if not self.do53 or not hosts:
            return []
        lifetime = min(ctx.timeout, DO53_LIFETIME)

        async def one(addr: str, host: str) -> Observation:
            start = (time.monotonic() - ctx.t0) * 1000.0
            where = f"[{addr}]:{self.do53_port}" if ":" in addr else f"{addr}:{self.do53_port}"
            detail: dict[str, Any] = {"resolver": f"do53:{addr}", "protocol": "udp"}
            failure: str | None = None
            try:
                reply = await ask_server(addr, self.do53_port, host, lifetime)
            except NetFailure as exc:
                failure = exc.failure
            else:
                detail.update(query=reply.sent, echoed=reply.echoed, case_kept=reply.case_kept,
                              rcode=reply.rcode, answers=list(reply.addresses))
            return Observation(path=path, target=host, step=Step.DNS, started_ms=start,
                               duration_ms=(time.monotonic() - ctx.t0) * 1000.0 - start, failure=failure,
                               address=where, detail=detail)

        return list(await asyncio.gather(*(one(a, h) for a in self.bootstrap for h in hosts)))

    def _lookup_observation(self, path: str, host: str, answers: list[Answer], qstart: float,
                            address: str | None, protocol: str,
                            rec: Recorder) -> tuple[Observation, tuple[str, ...]]:
        """Both queries for one name as one ``doh`` observation (A first, then AAAA)."""
        addrs = tuple(dict.fromkeys(a for ans in answers if ans.failure is None for a in ans.addresses))
        ok = [a for a in answers if a.failure is None]
        failure: str | None
        if addrs:
            failure = None
        elif any(a.rcode == "NXDOMAIN" for a in ok):
            failure = Failure.DNS_NXDOMAIN_ERROR
        elif ok and all(a.rcode == "NOERROR" for a in ok):
            failure = Failure.DNS_NO_ANSWER
        elif ok:
            failure = Failure.DNS_SERVER_FAILURE
        else:
            failure = answers[0].failure if answers else Failure.DNS_NO_ANSWER
        detail: dict[str, Any] = {
            "resolver": self.name,
            "protocol": protocol,
            "rcode": ok[0].rcode if ok else None,
            "answers": list(addrs),
        }
        errors = {a.query.rdtype: a.failure for a in answers if a.failure is not None}
        statuses = sorted({a.status for a in answers if a.status is not None and a.status != 200})
        if errors:
            detail["errors"] = errors
        if statuses:
            detail["http_status"] = statuses
        obs = Observation(path=path, target=host, step=Step.DOH, started_ms=qstart,
                          duration_ms=rec.now_ms() - qstart, failure=failure, address=address, detail=detail)
        return obs, addrs

    def _blocked(self, path: str, rec: Recorder, failure: str, targets: list[tuple[HostPort, Role]],
                 do53: list[Observation]) -> PathMeasurement:
        resolver_tm = TargetMeasurement(target=str(self.resolver), role=Role.RESOLVER,
                                        observations=(*rec.observations, *do53), failure=failure,
                                        reachability=Reachability.BLOCKED)
        untested = tuple(
            TargetMeasurement(target=str(hp), role=role, observations=(), reachability=Reachability.UNKNOWN,
                              note="not tested: the DoH resolver could not be reached")
            for hp, role in targets
        )
        return PathMeasurement(
            id=path, kind=self.kind, targets=(resolver_tm, *untested),
            blocked_reason=f"the DoH resolver could not be reached ({failure})",
            detail={"resolver": self.url},
        )


def parse_doh_url(url: str, entry: Entry) -> tuple[HostPort, str]:
    """``https://host[:port]/path[?query]`` (an RFC 8484 ``{?dns}`` template suffix is dropped)."""
    text = url.strip()
    if text.endswith("{?dns}"):
        text = text[: -len("{?dns}")]
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise entry.error("url", _("'{url}' is not a valid URL ({reason})", url=url, reason=exc)) from None
    if parts.scheme != "https":
        raise entry.error("url", _("'{url}' must start with https://", url=url))
    if parts.username is not None or parts.password is not None:
        raise entry.error("url", _("must not carry a user name or password"))
    if parts.fragment or "{" in text or " " in text:
        raise entry.error("url", _("'{url}' is not a DoH URL (https://host/path)", url=url))
    host = parts.hostname or ""
    try:
        hp = parse_hostport(f"[{host}]" if ":" in host else host)
    except ValueError as exc:
        raise entry.error("url", str(exc)) from None
    path = parts.path or "/dns-query"
    if parts.query:
        path += "?" + parts.query
    return HostPort(hp.host, port or 443), path


def _authority(hp: HostPort) -> str:
    host = f"[{hp.host}]" if ":" in hp.host else hp.host
    return host if hp.port == 443 else f"{host}:{hp.port}"
