"""An HTTP proxy's CONNECT method (RFC 9110 §9.3.6) as a :class:`~pathprobe.net.sitecheck.Dialer`.

The proxy gets the site's name, never an address resolved here (socks5h semantics). Optional
Basic credentials go in ``Proxy-Authorization`` and nowhere else. The proxy's answer headers are
read with a cap; bytes after them (none, normally) are kept for the TLS layer.
"""

from __future__ import annotations

import base64

from pathprobe.errors import NetFailure
from pathprobe.model import HostPort
from pathprobe.net.sitecheck import Recorder, connect_any
from pathprobe.net.stream import BufferedStream, ByteStream
from pathprobe.vocab import Failure, Step
from pathprobe.vpn import endpoint

MAX_HEADER_BYTES = 16384


def _authority(hp: HostPort) -> str:
    host = f"[{hp.host}]" if ":" in hp.host else hp.host
    return f"{host}:{hp.port}"


async def http_connect(stream: ByteStream, hp: HostPort, username: str | None = None,
                       password: str | None = None) -> tuple[int, bytes]:
    """Ask for a tunnel to ``hp``; returns (status, bytes read past the headers). Raises on refusal."""
    auth = _authority(hp)
    req = f"CONNECT {auth} HTTP/1.1\r\nHost: {auth}\r\nUser-Agent: pathprobe\r\n"
    if username is not None:
        token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
        req += f"Proxy-Authorization: Basic {token}\r\n"
    await stream.send((req + "\r\n").encode("ascii", "replace"))
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = await stream.recv(4096)
        if not chunk:
            raise NetFailure(Failure.EOF_ERROR, "the proxy closed the connection before answering")
        buf += chunk
        if len(buf) > MAX_HEADER_BYTES:
            raise NetFailure(Failure.HTTP_PROXY_INVALID_REPLY, "proxy headers larger than the cap")
    head, _, rest = buf.partition(b"\r\n\r\n")
    parts = head.split(b"\r\n", 1)[0].split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise NetFailure(Failure.HTTP_PROXY_INVALID_REPLY, "not an HTTP answer")
    status = int(parts[1])
    if status in (401, 407):  # 407 is the standard; tinyproxy's BasicAuth answers 401
        raise NetFailure(Failure.HTTP_PROXY_AUTH_REQUIRED, "the proxy wants (other) credentials")
    if not 200 <= status < 300:
        raise NetFailure(Failure.HTTP_PROXY_REFUSED, f"the proxy answered {status}")
    return status, rest


class HttpConnectDialer:
    """Reach sites through an HTTP proxy with CONNECT."""

    def __init__(self, proxy: HostPort, username: str | None = None, password: str | None = None,
                 *, label: str = "http") -> None:
        self.proxy = proxy
        self.username = username
        self.password = password
        self.label = label

    def __repr__(self) -> str:
        return f"HttpConnectDialer(proxy={self.proxy!s}, credentials={'***' if self.username else None})"

    async def dial(self, hp: HostPort, rec: Recorder) -> ByteStream:
        """TCP to the proxy (its name resolved locally), then ``CONNECT`` to ``hp`` by name; raises
        :class:`NetFailure` (and closes the connection) when the proxy refuses.
        """
        addrs = await endpoint.resolve(self.proxy, rec, "proxy")
        tcp = await connect_any(addrs, self.proxy.port, rec)
        try:
            _status, rest = await rec.step(
                Step.PROXY, lambda: http_connect(tcp, hp, self.username, self.password),
                detail={"proxy": self.label},
            )
        except NetFailure:
            tcp.close()
            raise
        return BufferedStream(tcp, rest)
