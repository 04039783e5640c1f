"""The one HTTPS site check every path reuses: dial (however the path dials), TLS, HTTP status.

A path supplies a :class:`Dialer` (system DNS + TCP, fixed addresses, a SOCKS/HTTP/Shadowsocks proxy,
Tor's SOCKS port); this module does the rest the same way for all of them and records each step as an
:class:`~pathprobe.model.Observation` with its timing and failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pathprobe.errors import NetFailure
from pathprobe.model import HostPort, Observation, TargetMeasurement, TlsEvidence
from pathprobe.net import pace
from pathprobe.net.dns import system_resolve
from pathprobe.net.failures import classify, is_local_fault
from pathprobe.net.http1 import measure_body, read_head
from pathprobe.net.stream import ByteStream, TcpStream, open_tcp
from pathprobe.net.tls import TlsStream
from pathprobe.vocab import Failure, Role, Step

T = TypeVar("T")


class Recorder:
    """Runs steps under the step deadline and records each as an observation."""

    def __init__(self, path: str, target: str, t0: float, timeout: float) -> None:
        self.path = path
        self.target = target
        self.t0 = t0
        self.timeout = timeout
        self.observations: list[Observation] = []

    def now_ms(self) -> float:
        """Milliseconds since the check's start ``t0`` (monotonic clock)."""
        return (time.monotonic() - self.t0) * 1000.0

    def add(
        self,
        step: Step,
        started_ms: float,
        failure: str | None,
        *,
        address: str | None = None,
        detail: dict[str, Any] | None = None,
        tls: TlsEvidence | None = None,
    ) -> Observation:
        """Record a step that started at ``started_ms`` and ends now; ``failure`` None means it succeeded."""
        obs = Observation(
            path=self.path,
            target=self.target,
            step=step,
            started_ms=started_ms,
            duration_ms=self.now_ms() - started_ms,
            failure=failure,
            address=address,
            detail=detail or {},
            tls=tls,
        )
        self.observations.append(obs)
        return obs

    async def step(
        self,
        step: Step,
        fn: Callable[[], Awaitable[T]],
        *,
        address: str | None = None,
        detail: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> T:
        """Run ``fn`` within the deadline; record it; re-raise failures as :class:`NetFailure`."""
        start = self.now_ms()
        try:
            async with asyncio.timeout(self.timeout if timeout is None else timeout):
                result = await fn()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failure = classify(exc)
            self.add(step, start, failure, address=address, detail=detail)
            raise NetFailure(failure) from exc
        self.add(step, start, None, address=address, detail=detail)
        return result


class Dialer(Protocol):
    """How a path opens a byte stream to ``host:port`` (recording its own steps)."""

    async def dial(self, hp: HostPort, rec: Recorder) -> ByteStream:
        """A stream to ``hp``, recording the steps it took on ``rec``; raises :class:`NetFailure`."""
        ...


async def connect_any(addresses: tuple[str, ...], port: int, rec: Recorder) -> TcpStream:
    """TCP to each address in turn, all within one step deadline.

    An unanswered connection attempt is repeated, paced by the round trips this check has seen
    (:mod:`pathprobe.net.pace`): a lost SYN is not a blocked site. A reset is an answer. A fault of
    this device (no free port, no descriptors, ...) is no answer: it is retried within the address's
    share of the deadline (:func:`~pathprobe.net.stream.open_tcp`), and the step fails with it
    (``unknown_failure``) only when no address gave an answer.
    """
    last: Exception = NetFailure(Failure.GENERIC_TIMEOUT_ERROR)
    answer: Exception | None = None
    start = rec.now_ms()
    deadline = time.monotonic() + rec.timeout
    for i, addr in enumerate(addresses):
        now = time.monotonic()
        remaining = deadline - now
        if remaining <= 0:
            break
        share = now + remaining / (len(addresses) - i)  # local faults on one address leave time for the next

        def attempt(a: str = addr, until: float = share) -> Awaitable[TcpStream]:
            return open_tcp(a, port, retry_until=until)

        try:
            async with asyncio.timeout(remaining):
                stream = await pace.race(attempt, pace.tcp(), deadline, discard=lambda s: s.close())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            last = exc
            if not is_local_fault(exc):
                answer = exc
            continue
        rec.add(Step.TCP, start, None, address=f"{addr}:{port}" if ":" not in addr else f"[{addr}]:{port}")
        return stream
    if answer is not None:
        last = answer  # what the network did outweighs a local fault on another address
    failure = classify(last)
    rec.add(Step.TCP, start, failure, address=",".join(addresses[:4]) + f":{port}")
    raise NetFailure(failure) from last


async def resolve_step(host: str, rec: Recorder, purpose: str | None = None) -> tuple[str, ...]:
    """The system resolver as a recorded ``dns`` step (an address literal needs no step).

    ``purpose`` says what the name is for when it is not the target itself (a proxy, an endpoint).
    """
    extra = {"for": purpose} if purpose else {}
    start = rec.now_ms()
    try:
        async with asyncio.timeout(rec.timeout):
            answer = await system_resolve(host, rec.timeout)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        failure = classify(exc)
        rec.add(Step.DNS, start, failure, detail={"resolver": "system", **extra})
        raise NetFailure(failure) from exc
    if answer.source != "literal":
        rec.add(Step.DNS, start, None, detail={"resolver": answer.source, **extra, "answers": list(answer.addresses)})
    return answer.addresses


class SystemDialer:
    """The plain path: the system resolver, then TCP."""

    async def dial(self, hp: HostPort, rec: Recorder) -> ByteStream:
        """Resolve ``hp.host`` with the system resolver, then connect over TCP (both recorded)."""
        return await connect_any(await resolve_step(hp.host, rec), hp.port, rec)


class FixedAddressDialer:
    """Dial addresses already known (from DoH answers, a bootstrap list).

    ``failures``: names whose lookup failed, with its failure; dialling one fails the same way.
    """

    def __init__(self, addresses: dict[str, tuple[str, ...]], failures: dict[str, str] | None = None) -> None:
        self.addresses = addresses
        self.failures = failures or {}

    async def dial(self, hp: HostPort, rec: Recorder) -> ByteStream:
        """TCP to the known addresses of ``hp.host``; raises :class:`NetFailure` with the
        name's recorded failure, or ``dns_no_answer`` when it has no addresses.
        """
        failure = self.failures.get(hp.host.lower())
        if failure is not None:
            raise NetFailure(failure)
        addrs = self.addresses.get(hp.host.lower(), ())
        if not addrs:
            raise NetFailure(Failure.DNS_NO_ANSWER)
        return await connect_any(addrs, hp.port, rec)


DOWNLOAD_BYTES = 64 * 1024
"""How much of each reached site's page a check reads for throughput by default (plan: ``download_bytes``)."""
MAX_DOWNLOAD_BYTES = 1024 * 1024
"""The most a plan may ask for per site: a person on a metered link should not pay much for a check."""
DOWNLOAD_SECONDS = 2.0
"""The most time the body read takes after the status (``min(--timeout, this)``)."""


def download_seconds(timeout: float) -> float:
    """How long a site check reads a page's body for throughput: ``min(timeout, 2 s)``."""
    return min(timeout, DOWNLOAD_SECONDS)


HTTP1 = (b"http/1.1",)
"""The ALPN a plain HTTPS GET offers."""


@dataclass(frozen=True)
class Handshake:
    """A completed ``tls`` step: the session to go on with, what it showed, and its observation."""

    stream: TlsStream
    evidence: TlsEvidence
    """The whole presented chain (nothing verified yet)."""
    observation: Observation


async def tls_step(
    stream: ByteStream,
    server_name: str,
    rec: Recorder,
    *,
    alpn: Sequence[bytes] = HTTP1,
    detail: dict[str, Any] | None = None,
) -> Handshake:
    """The one TLS step every HTTPS check takes: one handshake over ``stream`` (SNI ``server_name``)
    within the step deadline, the presented chain captured and nothing verified, recorded as a ``tls``
    observation carrying the chain. A failure is classified once and raised as :class:`NetFailure`."""
    tls = TlsStream(stream, server_name, list(alpn))
    start = rec.now_ms()
    try:
        async with asyncio.timeout(rec.timeout):
            evidence = await tls.handshake()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        failure = classify(exc)
        rec.add(Step.TLS, start, failure, detail=detail)
        raise NetFailure(failure) from exc
    return Handshake(tls, evidence, rec.add(Step.TLS, start, None, tls=evidence, detail=detail))


async def check_site(
    dialer: Dialer,
    hp: HostPort,
    role: Role,
    path: str,
    t0: float,
    timeout: float,
    *,
    http: bool = True,
    rec: Recorder | None = None,
    download_bytes: int = DOWNLOAD_BYTES,
) -> TargetMeasurement:
    """Dial, complete one TLS handshake (chain captured, nothing verified), ask for ``/``. The steps
    are recorded on ``rec`` when given (its owner sees them as they happen), else on a new recorder.

    After the status, the body is read for throughput (:func:`http_step`): at most ``download_bytes``
    (0: not at all) and :func:`download_seconds`."""
    if rec is None:
        rec = Recorder(path, str(hp), t0, timeout)
    stream: ByteStream | None = None
    try:
        stream = await dialer.dial(hp, rec)
        hs = await tls_step(stream, hp.host, rec, detail={"sni": hp.host})
        if http:
            try:
                await http_step(hs.stream, hp.host, rec, download_bytes)
            except NetFailure:
                pass
        return TargetMeasurement(
            target=str(hp),
            role=role,
            observations=tuple(rec.observations),
            tls=hs.evidence,
            latency_ms=hs.observation.duration_ms,
        )
    except NetFailure as exc:
        return TargetMeasurement(
            target=str(hp), role=role, observations=tuple(rec.observations), failure=exc.failure
        )
    finally:
        if stream is not None:
            stream.close()


async def http_step(stream: ByteStream, host: str, rec: Recorder, download_bytes: int) -> None:
    """The ``http`` step: ``GET /`` and its status within the step deadline, then (``download_bytes``
    above 0) the body read for at most ``download_bytes`` and ``min(timeout, 2 s)`` more, recorded on
    the same observation as ``body_bytes``, ``goodput_kbps`` (kbit/s from the first body byte on;
    null when the body came in one piece), ``transfer_ms``, ``page_bytes`` (the body's size when
    known) and ``steady_kbps`` (the median rate of its arrivals: loss stalls a flow, a shaper slows it all
    along). A failed status read raises :class:`NetFailure` (recorded); the body read never fails."""
    start = rec.now_ms()
    try:
        async with asyncio.timeout(rec.timeout):
            status, headers, reader = await read_head(stream, host)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        failure = classify(exc)
        rec.add(Step.HTTP, start, failure)
        raise NetFailure(failure) from exc
    detail: dict[str, Any] = {"status": status}
    if download_bytes > 0:
        body = await measure_body(reader, status, headers, max_bytes=download_bytes,
                                  seconds=download_seconds(rec.timeout))
        detail.update(body_bytes=body.body_bytes, goodput_kbps=body.goodput_kbps,
                      transfer_ms=body.transfer_ms, page_bytes=body.page_bytes, steady_kbps=body.steady_kbps)
    rec.add(Step.HTTP, start, None, detail=detail)
