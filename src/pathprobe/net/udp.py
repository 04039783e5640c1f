"""One UDP request/answer exchange under the caller's step deadline.

The socket is *connected*, so an ICMP port-unreachable comes back as ``connection_refused``
(an unconnected socket would only time out). The request is sent again every ``resend`` seconds
(retries share the step deadline, which the caller enforces); datagrams that ``accept`` does not
recognise are counted and ignored, at most :data:`MAX_DATAGRAMS` of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pathprobe.errors import NetFailure
from pathprobe.net.failures import classify
from pathprobe.vocab import Failure

T = TypeVar("T")

MAX_DATAGRAM = 2048
"""Bytes kept of any one datagram (the answers we wait for are far smaller)."""
MAX_DATAGRAMS = 256
"""A flood of unrelated datagrams ends the exchange instead of keeping us busy."""


@dataclass
class ExchangeStats:
    """What happened on the wire, for the observation's detail."""

    sent: int = 0
    ignored: int = 0
    ignored_lengths: list[int] = field(default_factory=list)


class _Protocol(asyncio.DatagramProtocol, Generic[T]):
    def __init__(self, accept: Callable[[bytes], T | None], stats: ExchangeStats) -> None:
        self.accept = accept
        self.stats = stats
        self.done: asyncio.Future[T] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: object) -> None:
        if self.done.done():
            return
        try:
            result = self.accept(data[:MAX_DATAGRAM])
        except Exception:
            result = None
        if result is not None:
            self.done.set_result(result)
            return
        self.stats.ignored += 1
        if len(self.stats.ignored_lengths) < 8:
            self.stats.ignored_lengths.append(len(data))
        if self.stats.ignored >= MAX_DATAGRAMS:
            self.done.set_exception(NetFailure(Failure.UDP_FLOODED, "too many unrelated datagrams"))

    def error_received(self, exc: Exception) -> None:
        if not self.done.done():
            failure = Failure.CONNECTION_REFUSED if isinstance(exc, ConnectionRefusedError) else classify(exc)
            self.done.set_exception(NetFailure(failure, str(failure)))


async def exchange(
    address: str,
    port: int,
    request: Callable[[], bytes],
    accept: Callable[[bytes], T | None],
    stats: ExchangeStats,
    *,
    resend: float = 1.0,
) -> T:
    """Send ``request()`` until ``accept`` returns an answer (not None); the caller bounds the time."""
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(
        lambda: _Protocol(accept, stats), remote_addr=(address, port)
    )
    try:
        while True:
            transport.sendto(request())
            stats.sent += 1
            done, _ = await asyncio.wait({proto.done}, timeout=resend)
            if done:
                return proto.done.result()
    finally:
        transport.close()
