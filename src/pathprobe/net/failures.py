"""One classifier for every network error, in OONI's failure vocabulary (df-007-errors)."""

from __future__ import annotations

import asyncio
import errno
import re
import socket
import ssl

from OpenSSL import SSL

from pathprobe.errors import NetFailure

GENERIC_TIMEOUT = "generic_timeout_error"
CONNECTION_REFUSED = "connection_refused"
CONNECTION_RESET = "connection_reset"
EOF_ERROR = "eof_error"
DNS_NXDOMAIN = "dns_nxdomain_error"
DNS_NO_ANSWER = "dns_no_answer"
DNS_SERVER_FAILURE = "dns_server_failure"
SSL_UNKNOWN_AUTHORITY = "ssl_unknown_authority"
SSL_INVALID_HOSTNAME = "ssl_invalid_hostname"
SSL_INVALID_CERTIFICATE = "ssl_invalid_certificate"
SSL_FAILED_HANDSHAKE = "ssl_failed_handshake"
SSL_CHAIN_TOO_LARGE = "ssl_chain_too_large"
HOST_UNREACHABLE = "host_unreachable"
NETWORK_UNREACHABLE = "network_unreachable"
INTERNAL_ERROR = "internal_error"


_ERRNO_MAP = {
    errno.ECONNREFUSED: CONNECTION_REFUSED,
    errno.ECONNRESET: CONNECTION_RESET,
    errno.ECONNABORTED: CONNECTION_RESET,
    errno.EPIPE: CONNECTION_RESET,
    errno.ETIMEDOUT: GENERIC_TIMEOUT,
    errno.EHOSTUNREACH: HOST_UNREACHABLE,
    errno.ENETUNREACH: NETWORK_UNREACHABLE,
    errno.EADDRNOTAVAIL: NETWORK_UNREACHABLE,
}

_IP_RE = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b[0-9a-fA-F:]{3,}:[0-9a-fA-F:]+\b")


def scrub(text: str) -> str:
    """Remove addresses from a free-form error message."""
    return _IP_RE.sub("[scrubbed]", text)


def classify(exc: BaseException) -> str:
    """Map any exception from a network step to one failure string."""
    if isinstance(exc, NetFailure):
        return exc.failure
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | socket.timeout):
        return GENERIC_TIMEOUT
    if isinstance(exc, asyncio.IncompleteReadError | EOFError):
        return EOF_ERROR
    if isinstance(exc, SSL.ZeroReturnError):
        return EOF_ERROR
    if isinstance(exc, SSL.SysCallError):
        code = exc.args[0] if exc.args else None
        if code == -1:
            return EOF_ERROR
        if isinstance(code, int) and code in _ERRNO_MAP:
            return _ERRNO_MAP[code]
        return SSL_FAILED_HANDSHAKE
    if isinstance(exc, SSL.Error):
        text = str(exc).lower()
        if "excessive message size" in text or "cert length mismatch" in text:
            return SSL_CHAIN_TOO_LARGE
        return SSL_FAILED_HANDSHAKE
    if isinstance(exc, ssl.SSLError):
        return SSL_FAILED_HANDSHAKE
    if isinstance(exc, ConnectionRefusedError):
        return CONNECTION_REFUSED
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return CONNECTION_RESET
    if isinstance(exc, OSError) and exc.errno in _ERRNO_MAP:
        return _ERRNO_MAP[exc.errno]
    if isinstance(exc, OSError):
        return f"unknown_failure: {scrub(exc.strerror or str(exc))}"
    return f"unknown_failure: {scrub(type(exc).__name__)}"
