"""The collector's HTTP protocol, hardened against slow and hostile clients (slowloris).

uvicorn bounds the idle time between keep-alive requests, but nothing else: a client that opens a
connection and trickles its request line, headers or body one byte at a time keeps it (and a file
descriptor) for ever, and a few thousand such connections exhaust the process's descriptors so that
nobody else is served. :func:`guarded_protocol` wraps uvicorn's HTTP protocol with three limits:

- **read timeout**: from the moment a connection opens (or its previous response ended), the whole
  next request — request line, headers and body — must arrive within ``read_timeout`` seconds, or
  the connection is dropped. Time the app spends answering does not count.
- **connection cap**: at most ``max_connections`` connections are open. When one more arrives, the
  oldest connection that is still waiting for its client (half-open: request not complete) is
  dropped to make room, so trickling clients cannot lock out new ones; when every connection is
  busy in the app, the new one is refused.
- **header cap**: request line and headers over ``max_head`` bytes get ``431`` and are closed (the
  httptools parser sets no limit of its own).

Nothing about the client (address, port) is logged here.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_CONNECTIONS = 512
DEFAULT_MAX_HEAD = 64 * 1024
_431 = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain\r\n"
    b"content-length: 31\r\nconnection: close\r\n\r\nrequest headers are too large.\n"
)


class _Guard:
    """Mixed in before uvicorn's protocol class; the limits are class attributes set by
    :func:`guarded_protocol`.
    """

    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_head: int = DEFAULT_MAX_HEAD

    # set by uvicorn's protocol classes
    transport: Any
    connections: Any
    cycle: Any
    loop: Any

    _opened: float = 0.0
    _deadline: asyncio.TimerHandle | None = None
    _head_bytes: int = 0

    def _client_turn(self) -> bool:
        """True while the connection waits for its client: no request yet, the last response sent,
        or a request whose body has not all arrived.
        """
        c = self.cycle
        return c is None or bool(c.response_complete) or bool(c.more_body)

    def _in_head(self) -> bool:
        c = self.cycle
        return c is None or bool(c.response_complete)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.read_timeout, self._expired)

    def _expired(self) -> None:
        self._deadline = None
        if self._client_turn() and not self.transport.is_closing():
            self.transport.abort()

    def _drop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if not self.transport.is_closing():
            self.transport.abort()

    def connection_made(self, transport: asyncio.Transport) -> None:
        """Register the connection, arm its read deadline and make room under the cap."""
        super().connection_made(transport)  # type: ignore[misc]
        self._opened = time.monotonic()
        self._arm()
        if len(self.connections) > self.max_connections:
            waiting = [
                c
                for c in self.connections
                if c is not self and isinstance(c, _Guard) and c._client_turn()
            ]
            if waiting:
                min(waiting, key=lambda c: c._opened)._drop()
            else:
                self._drop()

    def connection_lost(self, exc: Exception | None) -> None:
        """Cancel the deadline, then let uvicorn clean up."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        """Feed uvicorn's parser, counting the bytes of the request line and headers."""
        if self._in_head():
            self._head_bytes += len(data)
        super().data_received(data)  # type: ignore[misc]
        if not self._in_head():
            self._head_bytes = 0
        elif self._head_bytes > self.max_head and not self.transport.is_closing():
            self.transport.write(_431)
            self.transport.close()

    def on_response_complete(self) -> None:
        """A response went out: the next request gets a fresh read deadline."""
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
            self._arm()


def guarded_protocol(
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_head: int = DEFAULT_MAX_HEAD,
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools when installed, else h11) with the limits above; pass it as
    ``uvicorn.Config(http=...)``.
    """
    base: type[Any]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        base = HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is part of the collector extra
        from uvicorn.protocols.http.h11_impl import H11Protocol

        base = H11Protocol
    attrs = {"read_timeout": read_timeout, "max_connections": max_connections, "max_head": max_head}
    cls: type[asyncio.Protocol] = type("GuardedHttpProtocol", (_Guard, base), attrs)
    return cls
