"""One classifier for every network error, in OONI's failure vocabulary (df-007-errors).

The words are :class:`pathprobe.vocab.Failure`; this module maps exceptions onto them.

**Local faults.** Some errors come from this device, not from the network: no free local port or
source address, no file descriptors or buffers left, a missing file, a local firewall's ``EPERM``.
They are not an answer from the network and prove nothing about blocking. :data:`LOCAL_ERRNOS` lists
them (the one place); :func:`is_local_fault` tells them apart, the connect step retries them within
its deadline (:func:`pathprobe.net.stream.open_tcp`), and one that persists is classified
``unknown_failure: <detail>``, which the verdicts read as ``unknown``, never ``blocked``
(:func:`pathprobe.vocab.is_unknown_failure`).
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

from OpenSSL import SSL

from pathprobe.addresses import scrub_addresses
from pathprobe.errors import NetFailure
from pathprobe.vocab import Failure

_ERRNO_MAP = {
    errno.ECONNREFUSED: Failure.CONNECTION_REFUSED,
    errno.ECONNRESET: Failure.CONNECTION_RESET,
    errno.ECONNABORTED: Failure.CONNECTION_RESET,
    errno.EPIPE: Failure.CONNECTION_RESET,
    errno.ETIMEDOUT: Failure.GENERIC_TIMEOUT_ERROR,
    errno.EHOSTUNREACH: Failure.HOST_UNREACHABLE,
    errno.ENETUNREACH: Failure.NETWORK_UNREACHABLE,
    errno.EHOSTDOWN: Failure.HOST_UNREACHABLE,
}

LOCAL_ERRNOS = frozenset({
    errno.ENOENT,  # a file or socket path this device lacks
    errno.EADDRNOTAVAIL,  # no free local port, or the source address is gone
    errno.EADDRINUSE,
    errno.EMFILE,  # this process is out of file descriptors
    errno.ENFILE,  # the system is
    errno.ENOBUFS,  # the kernel is out of socket buffers
    errno.ENOMEM,
    errno.EAGAIN,  # a non-blocking connect with no local resources (Unix sockets, full backlogs)
    errno.EINTR,
    errno.EPERM,  # this device's own firewall or policy refused to send
    errno.EACCES,
    errno.EAFNOSUPPORT,  # this device has no IPv6 (or IPv4) stack
})
"""Errors of this device, not answers from the network (see the module's "Local faults")."""


def is_local_fault(exc: BaseException) -> bool:
    """Whether ``exc`` is a fault of this device (:data:`LOCAL_ERRNOS`), not something the network did."""
    if isinstance(exc, SSL.SysCallError):
        code = exc.args[0] if exc.args else None
        return isinstance(code, int) and code in LOCAL_ERRNOS
    return isinstance(exc, OSError) and not isinstance(exc, TimeoutError) and exc.errno in LOCAL_ERRNOS


def scrub(text: str) -> str:
    """Remove addresses (IPv4, IPv6, MAC, in any encoding :mod:`pathprobe.addresses` knows) from free text."""
    return scrub_addresses(text)


def classify(exc: BaseException) -> str:
    """Map any exception from a network step to one failure string."""
    if isinstance(exc, NetFailure):
        return exc.failure
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | socket.timeout):
        return Failure.GENERIC_TIMEOUT_ERROR
    if isinstance(exc, asyncio.IncompleteReadError | EOFError):
        return Failure.EOF_ERROR
    if isinstance(exc, SSL.ZeroReturnError):
        return Failure.EOF_ERROR
    if isinstance(exc, SSL.SysCallError):
        code = exc.args[0] if exc.args else None
        if code == -1:
            return Failure.EOF_ERROR
        if isinstance(code, int) and code in _ERRNO_MAP:
            return _ERRNO_MAP[code]
        if isinstance(code, int) and code in LOCAL_ERRNOS:
            return f"{Failure.UNKNOWN_FAILURE}: {scrub(errno.errorcode.get(code, str(code)))}"
        return Failure.SSL_FAILED_HANDSHAKE
    if isinstance(exc, SSL.Error):
        text = str(exc).lower()
        if "excessive message size" in text or "cert length mismatch" in text:
            return Failure.SSL_CHAIN_TOO_LARGE
        return Failure.SSL_FAILED_HANDSHAKE
    if isinstance(exc, ssl.SSLError):
        return Failure.SSL_FAILED_HANDSHAKE
    if isinstance(exc, ConnectionRefusedError):
        return Failure.CONNECTION_REFUSED
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return Failure.CONNECTION_RESET
    if isinstance(exc, OSError) and exc.errno in _ERRNO_MAP:
        return _ERRNO_MAP[exc.errno]
    if isinstance(exc, OSError):
        return f"{Failure.UNKNOWN_FAILURE}: {scrub(exc.strerror or str(exc))}"
    return f"{Failure.UNKNOWN_FAILURE}: {scrub(type(exc).__name__)}"
