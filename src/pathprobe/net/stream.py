"""A byte stream that TLS checks run over, whatever carries it (TCP, SOCKS, Shadowsocks, Tor).

The TLS layer (:mod:`pathprobe.net.tls`) only needs :class:`ByteStream`; each tunnel module wraps
its transport in one. This is how every path reuses the same TLS evidence code.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from pathprobe.errors import NetFailure
from pathprobe.net.failures import is_local_fault
from pathprobe.vocab import Failure

LOCAL_RETRY_FIRST = 0.05
"""Seconds before the first retry of a connect that failed locally (then doubling)."""
LOCAL_RETRY_MAX = 0.5
"""Nor more than this between retries."""
LOCAL_RETRY_WINDOW = 1.0
"""How long a connect retries a local fault when its caller gives no ``retry_until``."""


class ByteStream(Protocol):
    """A bidirectional byte stream."""

    async def send(self, data: bytes) -> None:
        """Write all of ``data``; raises on a broken connection."""
        ...

    async def recv(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes``; ``b""`` at end of stream."""
        ...

    def close(self) -> None:
        """Close the stream and the transport under it; must not raise."""
        ...


class TcpStream:
    """An asyncio TCP connection as a :class:`ByteStream`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        """Write ``data`` and wait until the transport's buffer has drained."""
        self.writer.write(data)
        await self.writer.drain()

    async def recv(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` from the socket; ``b""`` at end of stream."""
        return await self.reader.read(max_bytes)

    def close(self) -> None:
        """Close the connection, ignoring any error."""
        try:
            self.writer.close()
        except Exception:
            pass

    def peer(self) -> str | None:
        """The remote ``address:port``, or None when the socket has no peer."""
        p = self.writer.get_extra_info("peername")
        return f"{p[0]}:{p[1]}" if p else None


async def open_tcp(host: str, port: int, *, retry_until: float | None = None) -> TcpStream:
    """Connect (no timeout here: the caller's step deadline bounds it).

    A connect that fails with a fault of this device (:func:`~pathprobe.net.failures.is_local_fault`:
    no free port, no descriptors, ...) is not an answer from the network: it is retried, with pauses
    from :data:`LOCAL_RETRY_FIRST` doubling to :data:`LOCAL_RETRY_MAX`, until ``retry_until``
    (monotonic; give the step's deadline, or less) or, without it, for :data:`LOCAL_RETRY_WINDOW`. A
    fault that persists is raised before that time, so the caller sees the fault, not a timeout.
    """
    until = retry_until if retry_until is not None else time.monotonic() + LOCAL_RETRY_WINDOW
    pause = LOCAL_RETRY_FIRST
    while True:
        try:
            reader, writer = await asyncio.open_connection(host, port, limit=2**16)
        except OSError as exc:
            if not is_local_fault(exc) or time.monotonic() + 2 * pause > until:
                raise
            await asyncio.sleep(pause)
            pause = min(2 * pause, LOCAL_RETRY_MAX)
            continue
        return TcpStream(reader, writer)


async def recv_exactly(stream: ByteStream, n: int) -> bytes:
    """Read exactly ``n`` bytes or fail with ``eof_error``."""
    buf = bytearray()
    while len(buf) < n:
        chunk = await stream.recv(n - len(buf))
        if not chunk:
            raise NetFailure(Failure.EOF_ERROR, "stream closed early")
        buf += chunk
    return bytes(buf)


class BufferedStream:
    """A stream with bytes already read pushed back in front (after a proxy's reply)."""

    def __init__(self, inner: ByteStream, head: bytes = b"") -> None:
        self.inner = inner
        self.head = head

    async def send(self, data: bytes) -> None:
        """Write ``data`` to the inner stream."""
        await self.inner.send(data)

    async def recv(self, max_bytes: int) -> bytes:
        """The pushed-back bytes first (up to ``max_bytes``), then reads from the inner stream."""
        if self.head:
            out, self.head = self.head[:max_bytes], self.head[max_bytes:]
            return out
        return await self.inner.recv(max_bytes)

    def close(self) -> None:
        """Close the inner stream."""
        self.inner.close()
